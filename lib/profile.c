/* update-user (API.md §7.10): the multipart form, the validation table, the one-transaction update. */
#include "profile.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "mp.h"
#include "user.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F_THUMBNAIL PF__MAX   /* the sixth form name */

static const char *const names[PF__MAX + 1] = {
	"first_name", "last_name", "phone_number", "birth_date", "github_link", "thumbnail",
};

static const char MSG_NOT_MULTIPART[] = "The request body must be multipart/form-data";
static const char MSG_MALFORMED[] = "Malformed multipart body";
static const char MSG_TOO_MANY[] = "Too many form fields";
static const char MSG_UNKNOWN[] = "Unknown form field";
static const char MSG_DUPLICATE[] = "Duplicate form field";
static const char MSG_NOT_TEXT[] = "Form fields must be valid UTF-8 text";
static const char MSG_NOT_IMAGE[] =
	"Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

const char *profile_field_name(enum profile_field f)
{
	return (int)f >= 0 && (int)f < PF__MAX ? names[f] : NULL;
}

static int fail(struct profile_err *e, int status, const char *msg)
{
	e->status = status;
	snprintf(e->msg, sizeof e->msg, "%s", msg);
	return AC_EINVAL;
}

static int field_index(const struct mp_part *p)
{
	for (int i = 0; i <= PF__MAX; i++)
		if (p->name_len == strlen(names[i]) && memcmp(p->name, names[i], p->name_len) == 0)
			return i;
	return -1;
}

static int is_text(const struct mp_part *p, int idx)
{
	return idx != F_THUMBNAIL || !p->has_filename;
}

int profile_parse(const char *content_type, const char *body, size_t len, struct profile_form *f,
		  struct profile_err *err)
{
	char boundary[MP_BOUNDARY_MAX + 1];
	struct mp_part parts[PROFILE_MAX_PARTS], p;
	int idx[PROFILE_MAX_PARTS];
	size_t n = 0;
	struct mp m;
	int r;

	memset(f, 0, sizeof *f);
	memset(err, 0, sizeof *err);
	if (mp_boundary(content_type, boundary) != AC_OK)
		return fail(err, 400, MSG_NOT_MULTIPART);
	mp_init(&m, boundary, body, len);
	while ((r = mp_next(&m, &p)) == 1) {
		if (n < PROFILE_MAX_PARTS)
			parts[n] = p;
		n++;
	}
	if (r < 0)
		return fail(err, 400, MSG_MALFORMED);
	if (n > PROFILE_MAX_PARTS)
		return fail(err, 400, MSG_TOO_MANY);
	for (size_t i = 0; i < n; i++) {
		idx[i] = field_index(&parts[i]);
		if (idx[i] < 0)
			return fail(err, 400, MSG_UNKNOWN);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (idx[i] == idx[j])
				return fail(err, 400, MSG_DUPLICATE);
	for (size_t i = 0; i < n; i++)
		if (is_text(&parts[i], idx[i]) &&
		    (!utf8_valid(parts[i].data, parts[i].data_len) ||
		     memchr(parts[i].data, '\0', parts[i].data_len)))
			return fail(err, 400, MSG_NOT_TEXT);
	for (size_t i = 0; i < n; i++) {
		const struct mp_part *q = &parts[i];

		if (q->data_len == 0)
			continue; /* "" leaves a field unchanged; an empty file is no thumbnail */
		if (idx[i] < PF__MAX) {
			f->text[idx[i]] = q->data;
			f->text_len[idx[i]] = q->data_len;
		} else if (!q->has_filename) {
			f->thumb = q->data;
			f->thumb_len = q->data_len;
			f->thumb_is_text = 1;
		} else if (q->filename_len > 0) {
			f->thumb = q->data;
			f->thumb_len = q->data_len;
			f->thumb_filename = q->filename;
			f->thumb_filename_len = q->filename_len;
		}
	}
	return AC_OK;
}

int profile_form_empty(const struct profile_form *f)
{
	for (int i = 0; i < PF__MAX; i++)
		if (f->text[i])
			return 0;
	return f->thumb == NULL;
}

static int digits(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 1;
}

int profile_date_ok(const char *s, size_t len)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d, max;

	if (len != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d))
		return 0;
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* The code point at s[*i] of valid UTF-8; advances *i. */
static unsigned long next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned long cp = s[*i];
	size_t n = cp < 0x80 ? 0 : cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;

	if (n)
		cp &= 0x3F >> n;
	(*i)++;
	for (size_t k = 0; k < n && *i < len; k++, (*i)++)
		cp = cp << 6 | (s[*i] & 0x3F);
	return cp;
}

/* Control characters (C0, DEL, C1) and the Unicode white space characters. */
static int space_or_control(unsigned long c)
{
	return c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

int profile_github_link_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, rest;

	if (utf8_chars(s, len) > 20000)
		return 0;
	if (len >= 7 && strncasecmp(s, "http://", 7) == 0)
		rest = 7;
	else if (len >= 8 && strncasecmp(s, "https://", 8) == 0)
		rest = 8;
	else
		return 0;
	if (rest >= len || s[rest] == '/' || s[rest] == '?' || s[rest] == '#')
		return 0;
	while (i < len)
		if (space_or_control(next_cp(u, len, &i)))
			return 0;
	return 1;
}

int profile_validate(const struct profile_form *f, unsigned long thumbnail_max_bytes,
		     struct img_info *img, struct profile_err *err)
{
	static const size_t max_chars[PF__MAX] = { 150, 150, 20, 0, 0 };
	char msg[PROFILE_MSG_MAX];

	memset(img, 0, sizeof *img);
	memset(err, 0, sizeof *err);
	for (int i = 0; i < PF__MAX; i++) {
		const char *s = f->text[i];
		size_t n = f->text_len[i];

		if (!s)
			continue;
		if (max_chars[i] && utf8_chars(s, n) > max_chars[i]) {
			snprintf(msg, sizeof msg, "%s must be at most %zu characters", names[i], max_chars[i]);
			return fail(err, 400, msg);
		}
		if (i == PF_BIRTH_DATE && !profile_date_ok(s, n))
			return fail(err, 400, "birth_date must be a valid date in the format YYYY-MM-DD");
		if (i == PF_GITHUB_LINK && !profile_github_link_ok(s, n))
			return fail(err, 400, "github_link must be an http or https URL");
	}
	if (!f->thumb)
		return AC_OK;
	if (f->thumb_len > thumbnail_max_bytes) {
		snprintf(msg, sizeof msg, "The thumbnail must not be larger than %lu bytes",
			 thumbnail_max_bytes);
		return fail(err, 413, msg);
	}
	if (f->thumb_is_text || img_sniff(f->thumb, f->thumb_len, img) != AC_OK)
		return fail(err, 400, MSG_NOT_IMAGE);
	return AC_OK;
}

/* The current thumbnail (malloc'd or NULL) of the user row; AC_ENOTFOUND without the row. */
static int read_thumbnail(struct db *db, const char *hex, char **out)
{
	struct db_rows r;
	int rc = db_run(db, Q_USER_THUMBNAIL, 1, &hex, &r, NULL);

	*out = NULL;
	if (rc != AC_OK)
		return rc;
	if (r.n == 0)
		rc = AC_ENOTFOUND;
	else if (db_cell(&r, 0, 0) && !(*out = strdup(db_cell(&r, 0, 0))))
		rc = AC_ENOMEM;
	db_rows_clear(&r);
	return rc;
}

/* The form's text fields as NUL-terminated copies (NULL where not given), for binding. */
static int copy_fields(const struct profile_form *f, char *out[PF__MAX])
{
	for (int i = 0; i < PF__MAX; i++) {
		out[i] = NULL;
		if (f->text[i] && !(out[i] = strndup(f->text[i], f->text_len[i])))
			return AC_ENOMEM;
	}
	return AC_OK;
}

struct update {
	const char *hex, *new_thumbnail;
	char *field[PF__MAX];
	char *old;
};

/*
 * Reads the old thumbnail, then updates the given users_user columns and the given
 * user_profile columns (a NULL parameter keeps a column); a user without a profile row gets one.
 */
static int update_tx(struct db *db, void *arg)
{
	struct update *u = arg;
	const char *user[4] = {
		u->field[PF_FIRST_NAME], u->field[PF_LAST_NAME], u->new_thumbnail, u->hex,
	};
	const char *prof[4] = {
		u->field[PF_PHONE_NUMBER], u->field[PF_GITHUB_LINK], u->field[PF_BIRTH_DATE], u->hex,
	};
	long changes = 0;
	int rc;

	free(u->old);
	u->old = NULL;
	rc = read_thumbnail(db, u->hex, &u->old);
	if (rc == AC_OK)
		rc = db_run(db, Q_USER_UPDATE, 4, user, NULL, &changes);
	if (rc == AC_OK && changes != 1)
		rc = AC_ENOTFOUND;
	if (rc == AC_OK)
		rc = db_run(db, Q_PROFILE_UPDATE, 4, prof, NULL, &changes);
	if (rc == AC_OK && changes == 0)
		rc = user_insert_profile(db, u->hex, prof[0], prof[1], prof[2], NULL);
	return rc;
}

int profile_update(struct db *db, const char *user_id, const struct profile_form *f,
		   const char *new_thumbnail, char **old_thumbnail)
{
	char hex[33];
	struct update u = { hex, new_thumbnail, { NULL }, NULL };
	int rc;

	if (old_thumbnail)
		*old_thumbnail = NULL;
	if (sec_uuid_to_db(user_id, hex) != AC_OK)
		return AC_ENOTFOUND;
	rc = copy_fields(f, u.field);
	if (rc == AC_OK)
		rc = db_tx(db, update_tx, &u);
	for (int i = 0; i < PF__MAX; i++)
		free(u.field[i]);
	if (rc == AC_OK && new_thumbnail && old_thumbnail)
		*old_thumbnail = u.old;
	else
		free(u.old);
	return rc;
}
