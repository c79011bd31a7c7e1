/* The local storage backend: files under MEDIA_ROOT/users, created exclusively and never seen half-written. */
#include "store.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".upload-"

/* Disk full, I/O errors and the like are "storage unavailable" (503); the rest is a 500. */
static int map_errno(int e, const char *what, const char *path)
{
	log_error("storage: %s %s: %s", what, path, strerror(e));
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EIO:
	case EROFS:
	case EAGAIN:
	case EINTR:
	case ENOMEM:
	case ETIMEDOUT:
	case ESTALE:
	case ENFILE:
	case EMFILE:
		return AC_EUNAVAIL;
	default:
		return AC_EINTERNAL;
	}
}

static int local_open(struct store *s)
{
	const char *root = s->cfg->media_root;
	int rootfd, fd;

	if (!root) {
		log_error("storage: MEDIA_ROOT is not set");
		return AC_EINTERNAL;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return map_errno(errno, "open", root);
	if (mkdirat(rootfd, "users", 0755) != 0 && errno != EEXIST) {
		int rc = map_errno(errno, "mkdir users in", root);

		close(rootfd);
		return rc;
	}
	fd = openat(rootfd, "users", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int rc = map_errno(errno, "open users in", root);

		close(rootfd);
		return rc;
	}
	close(rootfd);
	s->dirfd = fd;
	return AC_OK;
}

static void local_close(struct store *s)
{
	if (s->dirfd >= 0)
		close(s->dirfd);
	s->dirfd = -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Moves tmp to file without ever replacing an existing file: 0, EEXIST or another errno. */
static int publish(int dirfd, const char *tmp, const char *file)
{
	if (linkat(dirfd, tmp, dirfd, file, 0) == 0)
		return 0;
	if (errno != EPERM && errno != EOPNOTSUPP && errno != EMLINK)
		return errno;
	/* file systems without hard links */
	if (renameat2(dirfd, tmp, dirfd, file, RENAME_NOREPLACE) == 0)
		return 0;
	return errno;
}

/*
 * Writes a uniquely named hidden temporary file, syncs it, then links it under its final
 * name: the name appears only complete, and an existing file is never replaced.
 */
static int local_put(struct store *s, const char *name, const void *data, size_t len,
		     const char *content_type)
{
	const char *file = name + strlen(STORE_PREFIX);
	char tmp[sizeof TMP_PREFIX + 16];
	int fd, e;

	(void)content_type; /* the web server derives it from the extension */
	memcpy(tmp, TMP_PREFIX, sizeof TMP_PREFIX - 1);
	if (sec_random_alnum(tmp + sizeof TMP_PREFIX - 1, 16) != AC_OK)
		return AC_EINTERNAL;
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return map_errno(errno, "create", tmp);
	e = write_all(fd, data, len);
	/* readable by the web server whatever the umask */
	if (!e && fchmod(fd, 0644) != 0)
		e = errno;
	if (!e && fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	if (!e)
		e = publish(s->dirfd, tmp, file);
	unlinkat(s->dirfd, tmp, 0);
	if (e == EEXIST)
		return AC_ECONFLICT;
	if (e)
		return map_errno(e, "write", name);
	/* The file is complete and named: a failed directory sync costs durability, not the upload. */
	if (fsync(s->dirfd) != 0)
		log_warn("storage: sync the directory of %s: %s", name, strerror(errno));
	return AC_OK;
}

static int local_del(struct store *s, const char *name)
{
	if (unlinkat(s->dirfd, name + strlen(STORE_PREFIX), 0) != 0 && errno != ENOENT)
		return map_errno(errno, "delete", name);
	return AC_OK;
}

const struct store_ops store_local_ops = {
	.open = local_open,
	.put = local_put,
	.del = local_del,
	.close = local_close,
};
