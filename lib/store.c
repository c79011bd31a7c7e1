/* Thumbnail storage behind one small interface: stored names, the random suffix, backend dispatch. */
#include "store.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define PUT_ATTEMPTS 8

int store_open(const struct cfg *cfg, struct store **out)
{
	struct store *s = calloc(1, sizeof *s);
	int rc;

	*out = NULL;
	if (!s)
		return AC_ENOMEM;
	s->cfg = cfg;
	s->dirfd = -1;
	s->ops = cfg->storage_backend == STORAGE_BACKEND_S3 ? &store_s3_ops : &store_local_ops;
	rc = s->ops->open(s);
	if (rc != AC_OK) {
		free(s);
		return rc;
	}
	*out = s;
	return AC_OK;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	s->ops->close(s);
	free(s);
}

static int keep_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

void store_stem(const char *filename, size_t len, char *out, size_t max)
{
	size_t start = 0, end = len, n = 0;

	for (size_t i = 0; i < len; i++)
		if (filename[i] == '/' || filename[i] == '\\')
			start = i + 1;
	/* The extension starts at the last dot, unless that dot begins the name (".profile"). */
	for (size_t i = len; i > start + 1; i--)
		if (filename[i - 1] == '.') {
			end = i - 1;
			break;
		}
	for (size_t i = start; i < end && n < max; i++) {
		unsigned char c = (unsigned char)filename[i];

		if (c == ' ')
			c = '_';
		if (keep_char(c))
			out[n++] = (char)c;
	}
	if (n == 0) {
		n = strlen("thumbnail") < max ? strlen("thumbnail") : max;
		memcpy(out, "thumbnail", n);
	}
	out[n] = '\0';
}

int store_make_name(const char *filename, size_t filename_len, const char *suffix, const char *ext,
		    char name[STORE_NAME_MAX + 1])
{
	size_t fixed, n, pl = strlen(STORE_PREFIX), el = ext ? strlen(ext) : 0;
	char stem[STORE_NAME_MAX + 1];

	if (el == 0 || el > 8 || !suffix || strlen(suffix) != STORE_SUFFIX_LEN)
		return AC_EINVAL;
	for (size_t i = 0; i < el; i++)
		if (!keep_char((unsigned char)ext[i]))
			return AC_EINVAL;
	for (size_t i = 0; i < STORE_SUFFIX_LEN; i++)
		if (!keep_char((unsigned char)suffix[i]))
			return AC_EINVAL;
	/* "users/" stem "_" suffix "." ext */
	fixed = pl + 1 + STORE_SUFFIX_LEN + 1 + el;
	store_stem(filename ? filename : "", filename ? filename_len : 0, stem, STORE_NAME_MAX - fixed);
	n = strlen(stem);
	memcpy(name, STORE_PREFIX, pl);
	memcpy(name + pl, stem, n);
	name[pl + n] = '_';
	memcpy(name + pl + n + 1, suffix, STORE_SUFFIX_LEN);
	name[pl + n + 1 + STORE_SUFFIX_LEN] = '.';
	memcpy(name + pl + n + 2 + STORE_SUFFIX_LEN, ext, el + 1);
	return AC_OK;
}

int store_name_ok(const char *name)
{
	size_t pl = strlen(STORE_PREFIX), n;
	const char *file;

	if (!name || strncmp(name, STORE_PREFIX, pl) != 0)
		return 0;
	file = name + pl;
	n = strlen(file);
	if (n == 0 || n > 255 || strcmp(file, ".") == 0 || strcmp(file, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)file; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int store_put(struct store *s, const char *filename, size_t filename_len, const char *ext,
	      const char *content_type, const void *data, size_t len, char name[STORE_NAME_MAX + 1])
{
	char suffix[STORE_SUFFIX_LEN + 1];
	int rc = AC_EINTERNAL;

	name[0] = '\0';
	for (int attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
		if (sec_random_alnum(suffix, STORE_SUFFIX_LEN) != AC_OK)
			return AC_EINTERNAL;
		rc = store_make_name(filename, filename_len, suffix, ext, name);
		if (rc != AC_OK)
			return AC_EINTERNAL;
		rc = s->ops->put(s, name, data, len, content_type);
		if (rc != AC_ECONFLICT)
			break;
	}
	if (rc == AC_ECONFLICT) {
		log_error("storage: no free name after %d attempts", PUT_ATTEMPTS);
		rc = AC_EINTERNAL;
	}
	if (rc != AC_OK)
		name[0] = '\0';
	return rc;
}

int store_delete(struct store *s, const char *name)
{
	if (!store_name_ok(name)) {
		log_warn("storage: not deleting %s: not a users/ thumbnail name", name ? name : "(null)");
		return AC_EINVAL;
	}
	return s->ops->del(s, name);
}
