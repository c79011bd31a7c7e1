/*
 * At most ARGON2_MAX_CONCURRENT Argon2 hashes at once across all processes: flock()ed slot files.
 *
 * Each hash holds ARGON2_MEMORY_KIB (up to ARGON2_MAX_MEMORY_KIB for a stored hash with larger
 * parameters) for its whole run, and a web server starts one CGI per connection: without a cap
 * a burst of logins multiplies that memory until the OOM killer picks a process. With the cap
 * the memory Argon2 can take is at most ARGON2_MAX_CONCURRENT x m, and since hashing is CPU
 * bound, more concurrent hashes than cores only make each one slower. Sizing (default: the CPUs
 * the process may run on, at most 64): about the number of cores, and ARGON2_MAX_CONCURRENT x
 * ARGON2_MAX_MEMORY_KIB below the memory the host can spare (bench/README.md).
 */
#include "argon2_gate.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* Opens and tries to lock slot i. Returns the locked fd, -1 when busy, -2 on an error (logged). */
static int try_slot(const char *prefix, unsigned i)
{
	char path[A2GATE_PATH_MAX];
	int fd, n;

	n = snprintf(path, sizeof path, "%s-argon2-%u", prefix, i);
	if (n < 0 || (size_t)n >= sizeof path) {
		log_error("argon2 gate: slot path too long");
		return -2;
	}
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0) {
		log_error("argon2 gate: cannot open %s: %s", path, strerror(errno));
		return -2;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		if (e == EWOULDBLOCK)
			return -1;
		log_error("argon2 gate: cannot lock %s: %s", path, strerror(e));
		return -2;
	}
	return fd;
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int a2gate_enter_at(struct a2gate *g, const char *prefix, unsigned max, int wait_ms)
{
	long long deadline = tm_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	/* Processes start at different slots so that they do not all contend for slot 0. */
	unsigned start = max ? (unsigned)getpid() % max : 0, round = 0;

	g->fd = -1;
	if (max == 0)
		return AC_OK;
	for (;;) {
		for (unsigned k = 0; k < max; k++) {
			int fd = try_slot(prefix, (start + k) % max);

			if (fd >= 0) {
				g->fd = fd;
				return AC_OK;
			}
			if (fd == -2)
				return AC_EUNAVAIL;
		}
		if (tm_mono_ms() >= deadline) {
			log_warn("argon2 gate: all %u slots busy for %d ms; answering 503", max, wait_ms);
			return AC_EUNAVAIL;
		}
		/* 3 to 10 ms, varied so that waiting processes do not retry in lockstep. */
		pause_ms(3 + (long)((getpid() + round++) % 8));
	}
}

int a2gate_enter(struct a2gate *g, const struct cfg *cfg)
{
	return a2gate_enter_at(g, cfg->argon2_slot_prefix, cfg->argon2_max_concurrent,
			       A2GATE_WAIT_MS);
}

void a2gate_leave(struct a2gate *g)
{
	if (g->fd >= 0) {
		/* close() drops the flock (this is the only descriptor of that open file). */
		close(g->fd);
		g->fd = -1;
	}
}
