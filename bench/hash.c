/* Login's yardsticks (bench/run): one Argon2id hash in a fresh process (cold or with login's allocator), or warm hashes back to back in one. */
#include <argon2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "a2mem.h"

/*
 *   hash [m [t [p]]]
 * one hash in this fresh process, with libargon2's own malloc: the cold yardstick (every page
 * of the m KiB is new to the process, as in a CGI before lib/a2mem.c).
 *   hash --fresh [m [t [p]]]
 * one hash in this fresh process with login's allocator (lib/a2mem.c: huge pages, populated at
 * once): the least a process that hashes once can spend, the kernel's zeroing of m KiB included.
 *   hash --warm SECONDS CLIENTS SLOTS [m [t [p]]]
 * the physical limit of a login: CLIENTS threads hash back to back for SECONDS, at most SLOTS at
 * once, taken in arrival order (like the gate), each thread reusing one faulted-in block of
 * memory mapped as login maps it (lib/a2mem.c, huge pages where the kernel allows); prints the CPU per hash and the latency percentiles of a hash, queueing included, as
 * JSON. CLIENTS 8 and SLOTS = ARGON2_MAX_CONCURRENT is what login sees under wrk -c8.
 */
static const char pw[] = "correct horse battery staple";
static const unsigned char salt[16] = "bench-salt-0123";
static unsigned m_kib = 19456, t_cost = 2, lanes = 1;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Each thread's block: allocated and faulted in once, handed to libargon2 at every hash. */
static __thread uint8_t *block;
static __thread size_t block_size;

static int reuse_alloc(uint8_t **mem, size_t n)
{
	if (block_size < n) {
		a2mem_unmap(block, block_size);
		block = a2mem_map(n, a2mem_thp_usable());
		block_size = block ? n : 0;
	}
	*mem = block;
	return block ? 0 : -1;
}

static void reuse_free(uint8_t *mem, size_t n)
{
	(void)mem;
	(void)n;
}

enum mode { COLD, FRESH, WARM };

static int hash_once(enum mode mode)
{
	unsigned char out[16];
	argon2_context c = {
		.out = out, .outlen = sizeof out, .pwd = (uint8_t *)(uintptr_t)pw,
		.pwdlen = sizeof pw - 1, .salt = (uint8_t *)(uintptr_t)salt, .saltlen = sizeof salt,
		.t_cost = t_cost, .m_cost = m_kib, .lanes = lanes, .threads = lanes,
		.version = ARGON2_VERSION_13,
		.allocate_cbk = mode == WARM ? reuse_alloc : mode == FRESH ? a2mem_alloc : NULL,
		.free_cbk = mode == WARM ? reuse_free : mode == FRESH ? a2mem_free : NULL,
	};
	int rc = argon2_ctx(&c, Argon2_id);

	if (rc != ARGON2_OK)
		fprintf(stderr, "argon2: %s\n", argon2_error_message(rc));
	return rc;
}

/* The slots: a ticket queue, so that waiting hashes are served in arrival order. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static unsigned long next_ticket, admitted;
static double stop_at;
static double *lat;
static size_t nlat, caplat;
static int failed;
static unsigned ready;

static void *client(void *arg)
{
	(void)arg;
	int first = hash_once(WARM);   /* faults the block in, outside the measurement */

	pthread_mutex_lock(&mu);
	ready++;
	if (first != ARGON2_OK)
		failed = 1;
	pthread_mutex_unlock(&mu);
	while (now_ms() < stop_at) {
		double t0 = now_ms();
		unsigned long ticket;
		int rc;

		pthread_mutex_lock(&mu);
		ticket = next_ticket++;
		while (ticket >= admitted)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		rc = hash_once(WARM);
		pthread_mutex_lock(&mu);
		admitted++;
		pthread_cond_broadcast(&cv);
		if (rc != ARGON2_OK)
			failed = 1;
		else if (nlat < caplat)
			lat[nlat++] = now_ms() - t0;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int warm(double seconds, unsigned clients, unsigned slots)
{
	pthread_t th[256];
	double c0, w0, wall;

	if (clients < 1 || clients > 256 || slots < 1)
		return 2;
	caplat = 1000000;
	lat = malloc(caplat * sizeof *lat);
	if (lat == NULL)
		return 1;
	/* The threads' first hashes (their blocks' page faults) happen before the start. */
	pthread_mutex_lock(&mu);
	admitted = slots;
	stop_at = 1e300;
	for (unsigned i = 0; i < clients; i++)
		if (pthread_create(&th[i], NULL, client, NULL) != 0)
			return 1;
	pthread_mutex_unlock(&mu);
	/* Let every thread do its first hash, then reset the counters and measure. */
	{
		struct timespec ts = { 0, 0 };
		double first = now_ms();

		for (;;) {
			pthread_mutex_lock(&mu);
			if (ready >= clients || now_ms() - first > 30000) {
				stop_at = now_ms() + seconds * 1e3;
				nlat = 0;
				c0 = cpu_ms();
				w0 = now_ms();
				pthread_mutex_unlock(&mu);
				break;
			}
			pthread_mutex_unlock(&mu);
			ts.tv_nsec = 1000000;
			nanosleep(&ts, NULL);
		}
	}
	for (unsigned i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	wall = now_ms() - w0;
	if (failed || nlat == 0)
		return 1;
	qsort(lat, nlat, sizeof *lat, cmp);
	printf("{\"hashes\": %zu, \"cpu_ms\": %.3f, \"p50_ms\": %.2f, \"p99_ms\": %.2f, "
	       "\"rps\": %.2f, \"clients\": %u, \"slots\": %u}\n",
	       nlat, (cpu_ms() - c0) / (double)nlat, lat[nlat / 2],
	       lat[(size_t)((double)nlat * 0.99) < nlat ? (size_t)((double)nlat * 0.99) : nlat - 1],
	       (double)nlat * 1e3 / wall, clients, slots);
	return 0;
}

int main(int argc, char **argv)
{
	int base = 1, w = argc > 1 && strcmp(argv[1], "--warm") == 0;
	int fresh = argc > 1 && strcmp(argv[1], "--fresh") == 0;

	if (w) {
		if (argc < 5) {
			fprintf(stderr, "usage: hash --warm SECONDS CLIENTS SLOTS [m [t [p]]]\n");
			return 2;
		}
		base = 5;
	} else if (fresh) {
		base = 2;
	}
	if (argc > base)
		m_kib = (unsigned)strtoul(argv[base], NULL, 10);
	if (argc > base + 1)
		t_cost = (unsigned)strtoul(argv[base + 1], NULL, 10);
	if (argc > base + 2)
		lanes = (unsigned)strtoul(argv[base + 2], NULL, 10);
	if (w)
		return warm(strtod(argv[2], NULL), (unsigned)strtoul(argv[3], NULL, 10),
			    (unsigned)strtoul(argv[4], NULL, 10));
	return hash_once(fresh ? FRESH : COLD) == ARGON2_OK ? 0 : 1;
}
