/* At most ARGON2_MAX_CONCURRENT Argon2 hashes at once across processes: a System V semaphore. */
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
/* "<prefix>" A2GATE_KEY_SUFFIX: the file that holds the semaphore's key (decimal, one line). */
#define A2GATE_KEY_SUFFIX "-argon2-sem"

/* One held slot. Zero-initialise it (or a2gate_enter sets it up); a2gate_leave releases it. */
struct a2gate {
	int semid;   /* the semaphore set a slot was taken from, -1 when none is held */
};

/*
 * Takes one of max slots: decrements semaphore 0 of the set whose key is in the file
 * "<prefix>-argon2-sem" (created 0600 with the set when missing), with SEM_UNDO so that the
 * kernel gives the slot back when the holder exits or is killed, and waits at most wait_ms
 * (semtimedop). Waiters are served in arrival order. max 0 means unbounded: nothing is taken.
 * Returns 0 holding a slot (or none when max is 0); AC_EUNAVAIL when no slot fell free within
 * wait_ms, or when the key file or the semaphore cannot be used (logged): the caller answers 503.
 */
int a2gate_enter_at(struct a2gate *g, const char *prefix, unsigned max, int wait_ms);
/* a2gate_enter_at with the database path as prefix, ARGON2_MAX_CONCURRENT and A2GATE_WAIT_MS. */
int a2gate_enter(struct a2gate *g, const struct cfg *cfg);
/* Releases the slot; safe on a gate that holds none. */
void a2gate_leave(struct a2gate *g);

#endif
