/* Argon2's working memory: 2 MiB-aligned anonymous mappings with transparent huge pages. */
#include "a2mem.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t round_len(size_t bytes)
{
	if (bytes == 0 || bytes > SIZE_MAX - 2 * A2MEM_ALIGN)
		return 0;
	return (bytes + A2MEM_ALIGN - 1) & ~(A2MEM_ALIGN - 1);
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
	tail = A2MEM_ALIGN - head;
	if (head > 0)
		munmap(p, head);
	if (tail > 0)
		munmap((void *)(aligned + len), tail);
	/* Both are hints: a failure leaves ordinary pages, faulted in on first touch. */
	if (huge)
		(void)madvise((void *)aligned, len, MADV_HUGEPAGE);
	else
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

int a2mem_alloc(uint8_t **mem, size_t bytes)
{
	*mem = a2mem_map(bytes, a2mem_thp_usable());
	return *mem != NULL ? 0 : -1;
}

void a2mem_free(uint8_t *mem, size_t bytes)
{
	a2mem_unmap(mem, bytes);
}
