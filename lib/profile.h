/* update-user (API.md §7.10): the multipart form, the validation table, the one-transaction update. */
#ifndef AUTHCGI_PROFILE_H
#define AUTHCGI_PROFILE_H

#include <stddef.h>
#include "db/db.h"
#include "image.h"

/* The text fields in the order §7.10 validates them. */
enum profile_field {
	PF_FIRST_NAME,
	PF_LAST_NAME,
	PF_PHONE_NUMBER,
	PF_BIRTH_DATE,
	PF_GITHUB_LINK,
	PF__MAX
};

#define PROFILE_MAX_PARTS 16
#define PROFILE_MSG_MAX 160

/*
 * The parsed form. Pointers point into the request body (not owned, not NUL-terminated).
 * text[i] is NULL when the field is absent or "" (both mean unchanged); otherwise it has
 * text_len[i] bytes of valid UTF-8 without NUL. thumb is NULL when no file was given
 * (no thumbnail part, an empty filename or zero bytes). A thumbnail part without a filename
 * parameter that holds text sets thumb with thumb_is_text = 1: it is never an image.
 */
struct profile_form {
	const char *text[PF__MAX];
	size_t text_len[PF__MAX];
	const char *thumb;
	size_t thumb_len;
	const char *thumb_filename;
	size_t thumb_filename_len;
	int thumb_is_text;
};

/* A client error: the HTTP status and the exact message of §7.10. */
struct profile_err {
	int status;
	char msg[PROFILE_MSG_MAX];
};

/* The JSON/form name of a field ("first_name", ...). */
const char *profile_field_name(enum profile_field f);

/*
 * Parses a non-empty multipart body per the parsing table of §7.10, checking in this order:
 * the Content-Type, the structure, the part count, unknown names, repeated names, text
 * that is not UTF-8 or holds NUL. A thumbnail part without a filename parameter is a
 * text field: "" means no thumbnail, other text is not an image (400).
 * Returns 0, or AC_EINVAL with *err set (f is then cleared).
 */
int profile_parse(const char *content_type, const char *body, size_t len, struct profile_form *f,
		  struct profile_err *err);

/*
 * The validation table of §7.10 in its order, for the fields given; then the thumbnail's
 * size (413) and content (400). *img is the detected image (type IMG_NONE without a
 * thumbnail). Returns 0, or AC_EINVAL with *err set.
 */
int profile_validate(const struct profile_form *f, unsigned long thumbnail_max_bytes,
		     struct img_info *img, struct profile_err *err);

/* The field rules on their own (len bytes of valid UTF-8): 1 when acceptable. */
int profile_date_ok(const char *s, size_t len);
int profile_github_link_ok(const char *s, size_t len);

/* 1 when the form changes nothing (no text field and no thumbnail given). */
int profile_form_empty(const struct profile_form *f);

/*
 * In one BEGIN IMMEDIATE transaction, writes the given fields of users_user (first_name,
 * last_name, and thumbnail when new_thumbnail is not NULL) and of user_profile (creating
 * the profile row when the user has none). Columns not given are not written.
 * When new_thumbnail is not NULL, *old_thumbnail receives the name it replaced (malloc'd,
 * caller frees; NULL when the column was NULL). Returns 0, AC_ENOTFOUND when the user row
 * is gone, or a db error (AC_EUNAVAIL when busy); nothing is written on failure.
 */
int profile_update(struct db *db, const char *user_id, const struct profile_form *f,
		   const char *new_thumbnail, char **old_thumbnail);

#endif
