/* Argon2's working memory: 2 MiB-aligned anonymous mappings with transparent huge pages. */
#include "a2mem.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* A long-lived process's last block, kept between hashes (a2mem_keep). */
static size_t keep_max;
static void *kept;
static size_t kept_len;

/* bytes rounded up to whole pages: the tail below 2 MiB is not rounded up to a huge page,
 * which would add up to 2 MiB to the RSS of every hash for memory it never uses. */
static size_t round_len(size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (bytes == 0 || bytes > SIZE_MAX - 2 * A2MEM_ALIGN)
		return 0;
	return (bytes + page - 1) & ~(page - 1);
}

void *a2mem_map(size_t bytes, int huge)
{
	size_t len = round_len(bytes), head, tail;
	uintptr_t start, aligned;
	void *p;

	if (len == 0)
		return NULL;
	/* Over-map by one alignment unit, then give back the unaligned head and the tail. */
	p = mmap(NULL, len + A2MEM_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uintptr_t)p;
	aligned = (start + A2MEM_ALIGN - 1) & ~(uintptr_t)(A2MEM_ALIGN - 1);
	head = aligned - start;
	tail = A2MEM_ALIGN - head;   /* what is left after [aligned, aligned + len) */
	if (head > 0)
		munmap(p, head);
	if (tail > 0)
		munmap((void *)(aligned + len), tail);
	/* Hints: a failure leaves ordinary pages, faulted in on first touch. Populating after
	 * MADV_HUGEPAGE maps the huge pages, and the small ones of a tail below 2 MiB, in one call. */
	if (huge)
		(void)madvise((void *)aligned, len, MADV_HUGEPAGE);
	(void)madvise((void *)aligned, len, MADV_POPULATE_WRITE);
	return (void *)aligned;
}

void a2mem_unmap(void *mem, size_t bytes)
{
	size_t len = round_len(bytes);

	if (mem != NULL && len > 0)
		munmap(mem, len);
}

int a2mem_thp_usable(void)
{
	static int cached = -1;
	char buf[128];
	ssize_t n;
	int fd;

	if (cached >= 0)
		return cached;
	cached = 0;
	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			cached = strstr(buf, "[always]") != NULL || strstr(buf, "[madvise]") != NULL;
		}
	}
	return cached;
}

static void drop_kept(void)
{
	if (kept) {
		munmap(kept, kept_len);
		kept = NULL;
	}
}

void a2mem_keep(size_t max_bytes)
{
	keep_max = max_bytes;
	if (kept && kept_len > round_len(max_bytes))
		drop_kept();
}

int a2mem_alloc(uint8_t **mem, size_t bytes)
{
	size_t len = round_len(bytes);

	if (kept && len == kept_len) {
		/* Pages the kernel took back meanwhile come back as new ones; the rest are
		 * only marked in use again. Argon2 writes every block before it reads it. */
		(void)madvise(kept, len, MADV_POPULATE_WRITE);
		*mem = kept;
		kept = NULL;
		return 0;
	}
	drop_kept();   /* another size: its memory goes back first */
	*mem = a2mem_map(bytes, a2mem_thp_usable());
	return *mem != NULL ? 0 : -1;
}

void a2mem_free(uint8_t *mem, size_t bytes)
{
	size_t len = round_len(bytes);

	/* libargon2 has already wiped the block. MADV_FREE lets the kernel take its pages
	 * whenever it needs memory, without writing them anywhere. */
	if (!kept && mem && len > 0 && len <= round_len(keep_max) &&
	    madvise(mem, len, MADV_FREE) == 0) {
		kept = mem;
		kept_len = len;
		return;
	}
	a2mem_unmap(mem, bytes);
}
