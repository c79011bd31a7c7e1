/*
 * At most ARGON2_MAX_CONCURRENT Argon2 hashes at once across all processes: a System V semaphore.
 *
 * Each hash holds ARGON2_MEMORY_KIB (up to ARGON2_MAX_MEMORY_KIB for a stored hash with larger
 * parameters) for its whole run, and a web server starts one CGI per connection: without a cap
 * a burst of logins multiplies that memory until the OOM killer picks a process. With the cap
 * the memory Argon2 can take is at most ARGON2_MAX_CONCURRENT x m, and since hashing is CPU
 * bound, more concurrent hashes than cores only make each one slower. Sizing (default: the CPUs
 * the process may run on, at most 64): about the number of cores, and ARGON2_MAX_CONCURRENT x
 * ARGON2_MAX_MEMORY_KIB below the memory the host can spare (bench/README.md).
 *
 * Why a semaphore (issue 15): a process waiting for a slot sleeps in semtimedop() and the
 * kernel wakes the waiters of a single-semaphore decrement in the order they came (a test
 * checks it), so no login waits its 2 s out while later ones pass, as they did when this
 * polled flock()ed slot files with sleeps. SEM_UNDO makes the kernel return the slot of a
 * holder that dies. The set: semaphore 0 counts the free slots, semaphore 1 the total.
 *
 * The key: a random one, chosen by whoever creates the set (IPC_CREAT | IPC_EXCL, so no two
 * sets share it) and kept in "<prefix>-argon2-sem" beside the database, so two checkouts or
 * installs share a semaphore only when they share the prefix (ftok() could make two different
 * files collide). The set is created, initialised (SETALL) and only then its key written, all
 * under flock(LOCK_EX) of that file; readers read the key under LOCK_SH, so none ever sees a
 * set that is not initialised. A stale key (after a reboot, or ipcrm) names no set, or a set
 * of another owner or shape: it is replaced the same way. File and set are 0600: only the
 * user the CGIs run as can take or release slots.
 *
 * ARGON2_MAX_CONCURRENT changed between processes: a process that finds another total adds
 * the difference to both semaphores (under LOCK_EX), so the last configuration seen wins and
 * "slots in use = total - free" stays true. A decrease needs that many free slots at that
 * moment (IPC_NOWAIT); until then the old total stays and a later hash tries again.
 */
#include "argon2_gate.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The set's semaphores. */
enum { SEM_FREE = 0, SEM_TOTAL = 1, SEM_COUNT = 2 };

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int lock(int fd, int how)
{
	while (flock(fd, how) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* The key in the file, or IPC_PRIVATE (never a real key here) when there is none. */
static key_t read_key(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	char *end;
	long v;

	if (n <= 0)
		return IPC_PRIVATE;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v != (key_t)v)
		return IPC_PRIVATE;
	return (key_t)v;
}

/* The set of that key if it is one of ours: two semaphores, owned by the key file's owner. */
static int open_set(key_t key, int fd)
{
	struct semid_ds ds;
	struct stat st;
	union semun arg = { .buf = &ds };
	int id;

	if (key == IPC_PRIVATE || fstat(fd, &st) != 0)
		return -1;
	id = semget(key, 0, 0);
	if (id < 0)
		return -1;
	if (semctl(id, 0, IPC_STAT, arg) != 0 || ds.sem_nsems != SEM_COUNT ||
	    ds.sem_perm.uid != st.st_uid || semctl(id, SEM_TOTAL, GETVAL) < 1)
		return -1;
	return id;
}

/*
 * root (authctl run by hand) creating the key file must not lock the CGIs' user out: the file
 * and the set then belong to the owner of the directory they are in, as the database does.
 */
static void own_like_directory(int fd, const char *path)
{
	char dir[A2GATE_PATH_MAX];
	struct stat st, dst;
	char *slash;

	if (geteuid() != 0 || fstat(fd, &st) != 0 || st.st_uid != 0)
		return;
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &dst) == 0 && dst.st_uid != 0 && fchown(fd, dst.st_uid, dst.st_gid) != 0)
		log_warn("argon2 gate: cannot give %s to the directory's owner: %s", path,
			 strerror(errno));
}

/* The new set's owner: the key file's (open_set accepts no other). */
static int give_to_file_owner(int id, int fd)
{
	struct semid_ds ds;
	struct stat st;
	union semun arg = { .buf = &ds };

	if (fstat(fd, &st) != 0 || semctl(id, 0, IPC_STAT, arg) != 0)
		return -1;
	if (ds.sem_perm.uid == st.st_uid)
		return 0;
	ds.sem_perm.uid = st.st_uid;
	ds.sem_perm.gid = st.st_gid;
	ds.sem_perm.mode = 0600;
	return semctl(id, 0, IPC_SET, arg);
}

/* Under LOCK_EX: a new set with max free slots, its key written to the file. */
static int create_set(int fd, unsigned max, const char *path)
{
	unsigned short init[SEM_COUNT] = { (unsigned short)max, (unsigned short)max };
	union semun arg = { .array = init };
	char buf[32];
	int id = -1, n;
	key_t key = IPC_PRIVATE;

	for (int tries = 0; tries < 16 && id < 0; tries++) {
		uint32_t r;

		if (sec_random(&r, sizeof r) != AC_OK)
			return -1;
		key = (key_t)(r & 0x7fffffff);
		if (key == IPC_PRIVATE)
			continue;
		id = semget(key, SEM_COUNT, IPC_CREAT | IPC_EXCL | 0600);
		if (id < 0 && errno != EEXIST) {
			log_error("argon2 gate: cannot create a semaphore: %s", strerror(errno));
			return -1;
		}
	}
	if (id < 0)
		return -1;
	n = snprintf(buf, sizeof buf, "%ld\n", (long)key);
	if (give_to_file_owner(id, fd) != 0 || semctl(id, 0, SETALL, arg) != 0 ||
	    ftruncate(fd, 0) != 0 ||
	    pwrite(fd, buf, (size_t)n, 0) != n) {
		log_error("argon2 gate: cannot set up %s: %s", path, strerror(errno));
		semctl(id, 0, IPC_RMID);
		return -1;
	}
	return id;
}

/* Under LOCK_EX: the total made max (see the top comment); failures keep the old total. */
static void retotal(int id, unsigned max)
{
	int total = semctl(id, SEM_TOTAL, GETVAL), delta = (int)max - total;
	struct sembuf ops[2] = {
		{ .sem_num = SEM_FREE, .sem_op = (short)delta, .sem_flg = IPC_NOWAIT },
		{ .sem_num = SEM_TOTAL, .sem_op = (short)delta, .sem_flg = IPC_NOWAIT },
	};

	if (total > 0 && delta != 0 && semop(id, ops, 2) != 0 && errno != EAGAIN)
		log_warn("argon2 gate: cannot change the slot total: %s", strerror(errno));
}

/* The semaphore set for prefix with max slots; -1 on an error (logged). */
static int attach(const char *prefix, unsigned max)
{
	char path[A2GATE_PATH_MAX];
	int fd, id, n;

	n = snprintf(path, sizeof path, "%s" A2GATE_KEY_SUFFIX, prefix);
	if (n < 0 || (size_t)n >= sizeof path) {
		log_error("argon2 gate: key file path too long");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (fd < 0) {
		log_error("argon2 gate: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	own_like_directory(fd, path);
	if (lock(fd, LOCK_SH) != 0)
		goto fail;
	id = open_set(read_key(fd), fd);
	if (id >= 0 && semctl(id, SEM_TOTAL, GETVAL) == (int)max) {
		close(fd);   /* drops the lock */
		return id;
	}
	/* Missing, stale or another total: again under the exclusive lock (another process may
	 * have done it meanwhile: the shared lock is given up before the exclusive one is held). */
	if (lock(fd, LOCK_EX) != 0)
		goto fail;
	id = open_set(read_key(fd), fd);
	if (id < 0)
		id = create_set(fd, max, path);
	else
		retotal(id, max);
	close(fd);
	return id;
fail:
	log_error("argon2 gate: cannot lock %s: %s", path, strerror(errno));
	close(fd);
	return -1;
}

int a2gate_enter_at(struct a2gate *g, const char *prefix, unsigned max, int wait_ms)
{
	long long deadline = tm_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int id, retried = 0;

	g->semid = -1;
	if (max == 0)
		return AC_OK;
	if (max > 32767)   /* SEMVMX */
		max = 32767;
	id = attach(prefix, max);
	if (id < 0)
		return AC_EUNAVAIL;
	for (;;) {
		long long left = deadline - tm_mono_ms();
		struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000L };
		struct sembuf op = { .sem_num = SEM_FREE, .sem_op = -1, .sem_flg = SEM_UNDO };

		if (left <= 0)
			op.sem_flg |= IPC_NOWAIT;
		if (semtimedop(id, &op, 1, left > 0 ? &ts : NULL) == 0) {
			g->semid = id;
			return AC_OK;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		/* The set was removed (ipcrm) under us: once more with a new one. */
		if ((errno == EIDRM || errno == EINVAL) && !retried++) {
			id = attach(prefix, max);
			if (id < 0)
				return AC_EUNAVAIL;
			continue;
		}
		log_error("argon2 gate: cannot take a slot: %s", strerror(errno));
		return AC_EUNAVAIL;
	}
	log_warn("argon2 gate: all %u slots busy for %d ms; answering 503", max, wait_ms);
	return AC_EUNAVAIL;
}

int a2gate_enter(struct a2gate *g, const struct cfg *cfg)
{
	return a2gate_enter_at(g, cfg->argon2_slot_prefix, cfg->argon2_max_concurrent,
			       A2GATE_WAIT_MS);
}

void a2gate_leave(struct a2gate *g)
{
	struct sembuf op = { .sem_num = SEM_FREE, .sem_op = 1, .sem_flg = SEM_UNDO };

	if (g->semid >= 0) {
		/* Fails only if the set was removed meanwhile: then there is nothing to give back. */
		(void)semop(g->semid, &op, 1);
		g->semid = -1;
	}
}
