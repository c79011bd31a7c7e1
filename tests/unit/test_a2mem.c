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

/* The kB of AnonHugePages in the mapping that starts at p (from /proc/self/smaps). */
static long huge_kib(void *p)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	long kib = -1;
	int in = 0;

	assert_non_null(f);
	snprintf(want, sizeof want, "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof line, f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' '))
			in = strncmp(line, want, strlen(want)) == 0;
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kib) == 1)
			break;
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
		      huge_kib(p));
	assert_true(huge_kib(p) > 0);
	assert_true(faults < 1000);
	a2mem_unmap(p, 20 * MIB);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
