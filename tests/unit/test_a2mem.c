/* Unit tests for lib/a2mem.c: Argon2's 2 MiB-aligned, huge-page-backed working memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <argon2.h>

#include "a2mem.h"

#define MIB ((size_t)1 << 20)

/* 1 when no page of [p, p+len) is mapped any more (mincore fails with ENOMEM). */
static int unmapped(void *p, size_t len)
{
	static unsigned char vec[1 << 16];   /* one byte per page: up to 256 MiB */

	assert_true(len / 4096 <= sizeof vec);
	errno = 0;
	return mincore(p, len, vec) != 0 && errno == ENOMEM;
}

/* One write per 4 KiB page; not instrumented, so that ASan's shadow pages add no fault. */
__attribute__((no_sanitize("address")))
static void touch(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 4096)
		((volatile unsigned char *)p)[i] = 1;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* The kB of a field (AnonHugePages, LazyFree) of the mapping that starts at p (/proc/self/smaps). */
static long smaps_kib(void *p, const char *field)
{
	char line[512], want[32];
	size_t flen = strlen(field);
	FILE *f = fopen("/proc/self/smaps", "r");
	long kib = -1;
	int in = 0;

	assert_non_null(f);
	snprintf(want, sizeof want, "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof line, f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in = strncmp(line, want, strlen(want)) == 0;
		if (in && strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kib = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

static void test_aligned_and_page_rounded(void **state)
{
	(void)state;
	for (int huge = 0; huge <= 1; huge++) {
		size_t sizes[] = { 1, 19456 * 1024, 2 * MIB, 2 * MIB + 1, 100 * 1024 * 1024 };

		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			size_t len = (sizes[i] + 4095) / 4096 * 4096;
			unsigned char *p = a2mem_map(sizes[i], huge);

			assert_non_null(p);
			assert_int_equal((uintptr_t)p % A2MEM_ALIGN, 0);
			/* The whole rounded length is usable, and it is zeroed memory. */
			assert_int_equal(p[0], 0);
			assert_int_equal(p[len - 1], 0);
			memset(p, 0xa5, sizes[i]);
			/* Nothing of the over-mapping is left on either side. */
			assert_true(unmapped(p - A2MEM_ALIGN, A2MEM_ALIGN) ||
				    (uintptr_t)p < A2MEM_ALIGN);
			assert_true(unmapped(p + len, A2MEM_ALIGN));
			a2mem_unmap(p, sizes[i]);
			assert_true(unmapped(p, len));
		}
	}
}

static void test_released_on_free(void **state)
{
	uint8_t *m = (uint8_t *)1;

	(void)state;
	assert_int_equal(a2mem_alloc(&m, 19456 * 1024), 0);
	assert_non_null(m);
	memset(m, 1, 19456 * 1024);
	a2mem_free(m, 19456 * 1024);
	/* munmap()ed: the pages are the kernel's again, touching them would fault. */
	assert_true(unmapped(m, 19 * MIB));
}

static void test_failure_is_null(void **state)
{
	uint8_t *m = (uint8_t *)1;

	(void)state;
	assert_null(a2mem_map(0, 1));
	assert_null(a2mem_map(SIZE_MAX - MIB, 1));
	assert_int_equal(a2mem_alloc(&m, SIZE_MAX / 2), -1);
	assert_null(m);
	a2mem_free(NULL, 0);   /* harmless */
}

/* Without huge pages (THP off): populated at once, so the hash itself takes no fault. */
static void test_fallback_populated(void **state)
{
	unsigned char *p = a2mem_map(8 * MIB, 0);
	long before;

	(void)state;
	assert_non_null(p);
	before = minflt();
	touch(p, 8 * MIB);
	/* MADV_POPULATE_WRITE exists since Linux 5.14; an older kernel faults each page here. */
	assert_true(minflt() - before < 64);
	a2mem_unmap(p, 8 * MIB);
}

/* The default m (19 MiB): 9 huge pages and 1 MiB of small ones, never a 20th MiB in the RSS. */
static void test_no_rss_beyond_the_request(void **state)
{
	unsigned char vec[(20 * MIB) / 4096];
	unsigned char *p = a2mem_map(19 * MIB, 1);
	size_t resident = 0;

	(void)state;
	assert_non_null(p);
	touch(p, 19 * MIB);
	assert_int_equal(mincore(p, 19 * MIB, vec), 0);
	for (size_t i = 0; i < (19 * MIB) / 4096; i++)
		resident += vec[i] & 1;
	assert_int_equal(resident, (19 * MIB) / 4096);
	assert_true(unmapped(p + 19 * MIB, MIB));
	a2mem_unmap(p, 19 * MIB);
}

/* With THP "madvise" or "always", 20 MiB take a few dozen faults instead of ~5,000. */
static void test_huge_pages(void **state)
{
	unsigned char *p;
	long before, faults;

	(void)state;
	/* valgrind runs the program on its own memory manager: no huge pages there */
	if (!a2mem_thp_usable() || (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload")))
		skip();
	p = a2mem_map(20 * MIB, 1);
	assert_non_null(p);
	before = minflt();
	touch(p, 20 * MIB);
	faults = minflt() - before;
	print_message("20 MiB touched: %ld page faults, %ld kB in huge pages\n", faults,
		      smaps_kib(p, "AnonHugePages"));
	assert_true(smaps_kib(p, "AnonHugePages") > 0);
	assert_true(faults < 1000);
	a2mem_unmap(p, 20 * MIB);
}

/* One Argon2id hash through a2mem's callbacks (as lib/pw.c hashes). */
static void hash_a2mem(unsigned char out[32])
{
	static const char pw[] = "correct horse battery staple";
	static const unsigned char salt[16] = "a2mem-test-salt";
	argon2_context c = {
		.out = out, .outlen = 32, .pwd = (uint8_t *)(uintptr_t)pw, .pwdlen = sizeof pw - 1,
		.salt = (uint8_t *)(uintptr_t)salt, .saltlen = sizeof salt, .t_cost = 1,
		.m_cost = 4096, .lanes = 1, .threads = 1, .version = ARGON2_VERSION_13,
		.allocate_cbk = a2mem_alloc, .free_cbk = a2mem_free,
	};

	assert_int_equal(argon2_ctx(&c, Argon2_id), ARGON2_OK);
}

/* FastCGI: the block stays mapped between hashes, lazily freed, and is handed out again. */
static void test_kept_block_reused(void **state)
{
	uint8_t *a, *b, *c;
	long before;

	(void)state;
	a2mem_keep(19456 * 1024);
	assert_int_equal(a2mem_alloc(&a, 19456 * 1024), 0);
	memset(a, 0x5a, 19456 * 1024);
	a2mem_free(a, 19456 * 1024);
	assert_false(unmapped(a, 19 * MIB));
	/* MADV_FREE: the kernel may take these pages back without writing them anywhere */
	if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "vgpreload"))
		assert_true(smaps_kib(a, "LazyFree") > 0);
	assert_int_equal(a2mem_alloc(&b, 19456 * 1024), 0);
	assert_ptr_equal(a, b);
	before = minflt();
	touch(b, 19 * MIB);
	assert_true(minflt() - before < 64);   /* nothing to fault in again */
	a2mem_free(b, 19456 * 1024);
	/* another size: the kept block is unmapped before the new one is mapped */
	assert_int_equal(a2mem_alloc(&c, 8 * MIB), 0);
	assert_true(c == a || unmapped(a, 19 * MIB));
	a2mem_free(c, 8 * MIB);
	a2mem_keep(0);
	assert_true(unmapped(c, 8 * MIB));
}

/* Only blocks up to the configured size stay: a larger m (an old stored hash) is unmapped. */
static void test_keeps_no_block_above_the_limit(void **state)
{
	uint8_t *small, *big;

	(void)state;
	a2mem_keep(4 * MIB);
	assert_int_equal(a2mem_alloc(&big, 8 * MIB), 0);
	a2mem_free(big, 8 * MIB);
	assert_true(unmapped(big, 8 * MIB));
	assert_int_equal(a2mem_alloc(&small, 4 * MIB), 0);
	a2mem_free(small, 4 * MIB);
	assert_false(unmapped(small, 4 * MIB));
	a2mem_keep(2 * MIB);   /* a lowered limit lets a larger kept block go at once */
	assert_true(unmapped(small, 4 * MIB));
	a2mem_keep(0);
}

/* A reused block, and one whose pages the kernel took back (read as zeros), hash alike. */
static void test_kept_block_hashes_alike(void **state)
{
	unsigned char fresh[32], first[32], again[32], dirty[32], reclaimed[32];
	static const char pw[] = "correct horse battery staple";
	static const unsigned char salt[16] = "a2mem-test-salt";
	uint8_t *block;

	(void)state;
	assert_int_equal(argon2id_hash_raw(1, 4096, 1, pw, sizeof pw - 1, salt, sizeof salt, fresh,
					   sizeof fresh), ARGON2_OK);
	a2mem_keep(19456 * 1024);
	hash_a2mem(first);
	hash_a2mem(again);
	assert_int_equal(a2mem_alloc(&block, 4096 * 1024), 0);
	memset(block, 0xff, 4096 * 1024);   /* whatever a block holds must not matter */
	a2mem_free(block, 4096 * 1024);
	hash_a2mem(dirty);
	assert_int_equal(a2mem_alloc(&block, 4096 * 1024), 0);
	a2mem_free(block, 4096 * 1024);
	assert_int_equal(madvise(block, 4096 * 1024, MADV_DONTNEED), 0);   /* as reclaim does */
	hash_a2mem(reclaimed);
	a2mem_keep(0);
	assert_memory_equal(fresh, first, sizeof fresh);
	assert_memory_equal(fresh, again, sizeof fresh);
	assert_memory_equal(fresh, dirty, sizeof fresh);
	assert_memory_equal(fresh, reclaimed, sizeof fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aligned_and_page_rounded),
		cmocka_unit_test(test_released_on_free),
		cmocka_unit_test(test_failure_is_null),
		cmocka_unit_test(test_fallback_populated),
		cmocka_unit_test(test_no_rss_beyond_the_request),
		cmocka_unit_test(test_huge_pages),
		cmocka_unit_test(test_kept_block_reused),
		cmocka_unit_test(test_kept_block_hashes_alike),
		cmocka_unit_test(test_keeps_no_block_above_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
