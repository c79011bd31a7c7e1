/* At most ARGON2_MAX_CONCURRENT Argon2 hashes at once across processes: flock()ed slot files. */
#ifndef AUTHCGI_ARGON2_GATE_H
#define AUTHCGI_ARGON2_GATE_H

#include "cfg.h"

/*
 * How long a hash waits for a free slot before the request gets 503. A hash at the default
 * parameters takes a few tens of milliseconds, so a full queue of ARGON2_MAX_CONCURRENT
 * drains many times over in this time; a longer burst is answered 503 rather than queued.
 */
#define A2GATE_WAIT_MS 2000
#define A2GATE_PATH_MAX 4200

/* One held slot. Zero-initialise it (or a2gate_enter sets it up); a2gate_leave releases it. */
struct a2gate {
	int fd;   /* the locked slot file, -1 when none is held */
};

/*
 * Takes one of max slots, the files "<prefix>-argon2-<i>" (created 0644 when missing), each
 * locked with flock(LOCK_EX): the kernel releases the lock when the holder exits or is killed,
 * so a crashed process never keeps a slot. Tries every slot, then sleeps a few milliseconds
 * and tries again until wait_ms has passed. max 0 means unbounded: nothing is locked.
 * Returns 0 holding a slot (or none when max is 0); AC_EUNAVAIL when every slot stayed busy
 * for wait_ms, or when the slot files cannot be opened (logged): the caller answers 503.
 */
int a2gate_enter_at(struct a2gate *g, const char *prefix, unsigned max, int wait_ms);
/* a2gate_enter_at with the database path as prefix, ARGON2_MAX_CONCURRENT and A2GATE_WAIT_MS. */
int a2gate_enter(struct a2gate *g, const struct cfg *cfg);
/* Releases the slot; safe on a gate that holds none. */
void a2gate_leave(struct a2gate *g);

#endif
