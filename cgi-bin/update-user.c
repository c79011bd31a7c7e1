/* PATCH /users/update-user/ — profile fields and a thumbnail in, the stored user out (API.md §7.10). */
#include "endpoint.h"
#include "err.h"
#include "log.h"
#include "profile.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

/* Apply steps 2 to 4 of §7.10 once the new thumbnail (if any) is stored under name. */
static int apply(struct ctx *c, struct store *st, const struct profile_form *f, const char *name)
{
	struct user *fresh = NULL;
	char *old = NULL;
	struct db *db;
	int rc;

	rc = ctx_db(c, &db);
	if (rc == AC_OK)
		rc = profile_update(db, c->user->id, f, name, &old);
	if (rc != AC_OK) {
		if (name && store_delete(st, name) != AC_OK)
			log_error("update-user: could not remove %s after the failed update", name);
		if (rc == AC_ENOTFOUND) {
			ctx_not_logged_in(c);
			return AC_OK;
		}
		return rc;
	}
	if (name && old && *old && strcmp(old, name) != 0 && store_delete(st, old) != AC_OK)
		log_error("update-user: could not delete the previous thumbnail %s", old);
	free(old);
	rc = user_by_id(db, c->user->id, &fresh);
	if (rc != AC_OK)
		return rc == AC_ENOTFOUND ? AC_EINTERNAL : rc;
	user_free(c->user);
	c->user = fresh;
	return ctx_reply_user(c, c->user);
}

static int handle(struct ctx *c)
{
	char name[STORE_NAME_MAX + 1];
	struct profile_form f;
	struct profile_err err;
	struct img_info img;
	struct store *st = NULL;
	int rc;

	if (c->req.body_len == 0)
		return ctx_reply_user(c, c->user);
	if (profile_parse(c->req.content_type, c->req.body, c->req.body_len, &f, &err) != AC_OK ||
	    profile_validate(&f, c->cfg->thumbnail_max_bytes, &img, &err) != AC_OK)
		return resp_error(&c->resp, err.status, err.msg);
	if (profile_form_empty(&f))
		return ctx_reply_user(c, c->user);
	if (!f.thumb)
		return apply(c, NULL, &f, NULL);

	rc = store_open(c->cfg, &st);
	if (rc == AC_OK)
		rc = store_put(st, f.thumb_filename, f.thumb_filename_len, img_ext(img.type),
			       img_mime(img.type), f.thumb, f.thumb_len, name);
	if (rc == AC_OK)
		rc = apply(c, st, &f, name);
	store_free(st);
	return rc;
}

static const struct endpoint update_user = {
	.name = "update-user",
	.methods = REQ_PATCH,
	.body = EP_BODY_RAW,
	.body_cap = 0, /* THUMBNAIL_MAX_BYTES + 65536 */
	.session = EP_SESSION_REQUIRED,
	.handle = handle,
};

int main(void)
{
	return ep_main(&update_user);
}
