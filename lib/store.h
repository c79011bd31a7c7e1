/* Thumbnail storage behind one small interface: put and delete by stored name; local disk or S3. */
#ifndef AUTHCGI_STORE_H
#define AUTHCGI_STORE_H

#include <stddef.h>
#include "cfg.h"

#define STORE_NAME_MAX 100   /* users_user.thumbnail is varchar(100), "users/" included */
#define STORE_SUFFIX_LEN 7
#define STORE_PREFIX "users/"

struct store;

/*
 * Opens the backend cfg->storage_backend names. cfg must outlive the store. Returns 0 and a
 * store the caller frees with store_free(), or AC_ENOMEM / AC_EINTERNAL. Only programs that
 * call this link the S3 backend (and so libcurl).
 */
int store_open(const struct cfg *cfg, struct store **out);
void store_free(struct store *s);

/*
 * Stores len bytes under a new name "users/<stem>_<7 random [A-Za-z0-9]>.<ext>" built from
 * the client's file name (store_stem()). The local backend never replaces a file: a taken
 * name gets a new suffix. Writes the stored name into name. Returns 0; AC_EUNAVAIL when the
 * storage is unreachable, full, timing out or answering 5xx; AC_EINTERNAL otherwise.
 */
int store_put(struct store *s, const char *filename, size_t filename_len, const char *ext,
	      const char *content_type, const void *data, size_t len, char name[STORE_NAME_MAX + 1]);

/*
 * Deletes a stored name (a previous thumbnail, or a new one after a failed transaction).
 * A name that is already gone is a success. Names outside "users/<file>" (or with "..",
 * a NUL or a '/' in the file part) are refused with AC_EINVAL and never touched.
 * Returns 0, AC_EINVAL, AC_EUNAVAIL or AC_EINTERNAL.
 */
int store_delete(struct store *s, const char *name);

/*
 * The sanitised stem of a client file name (API.md §7.10): the part after the last '/' or
 * '\', without its extension, spaces turned into '_', only [A-Za-z0-9_-] kept, "thumbnail"
 * when empty, cut to max characters (max >= 1). out has max + 1 bytes.
 */
void store_stem(const char *filename, size_t len, char *out, size_t max);

/*
 * The name "users/<stem>_<suffix>.<ext>" with stem from store_stem() shortened so the whole
 * fits STORE_NAME_MAX. Returns 0, or AC_EINVAL when ext or suffix have a bad shape.
 */
int store_make_name(const char *filename, size_t filename_len, const char *suffix, const char *ext,
		    char name[STORE_NAME_MAX + 1]);

/* 1 when name is "users/<file>" with a file part that is safe to use as a path or key. */
int store_name_ok(const char *name);

/* Backends: used by store.c only. put returns AC_ECONFLICT when the name is taken. */
struct store_ops {
	int (*open)(struct store *s);
	int (*put)(struct store *s, const char *name, const void *data, size_t len,
		   const char *content_type);
	int (*del)(struct store *s, const char *name);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	const struct cfg *cfg;
	int dirfd;       /* local: MEDIA_ROOT/users, -1 until opened */
};

extern const struct store_ops store_local_ops;
extern const struct store_ops store_s3_ops;

#endif
