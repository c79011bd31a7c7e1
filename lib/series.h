/* The read-only series list of GET /users/series/ (API.md §2.4, §7.11): SQL and JSON. */
#ifndef AUTHCGI_SERIES_H
#define AUTHCGI_SERIES_H

#include <cjson/cJSON.h>
#include "cfg.h"
#include "db/db.h"

/*
 * Builds the series array of §7.11 from users_series and users_articles, both in table
 * (rowid) order: [{"id", "name", "image", "articles": [{"id", "title", "url"}]}].
 * Ids are written hyphenated and lowercase; image is MEDIA_URL + the stored name, or null
 * when the column is empty; text that is not valid UTF-8 has each bad byte replaced by U+FFFD.
 * Returns 0 with *out a new array the caller frees with cJSON_Delete(); AC_ENOMEM; a db
 * error (AC_EUNAVAIL when busy); or AC_EINTERNAL for a row whose id is not a UUID.
 */
int series_list(struct db *db, const struct cfg *cfg, cJSON **out);

/*
 * Writes the canonical hyphenated lowercase form of a stored UUID: 32 hex digits (Django's
 * SQLite form) or the 36-character hyphenated form, in either case. 0 or AC_EINVAL.
 */
int series_uuid(const char *stored, char out[37]);

#endif
