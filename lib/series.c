/* The series list of GET /users/series/ (API.md §7.11): two prepared reads, one JSON array. */
#include "series.h"
#include "err.h"
#include "log.h"
#include "user.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define SERIES_SQL "SELECT id, name, image FROM users_series ORDER BY rowid"
#define ARTICLES_SQL "SELECT id, title, url FROM users_articles WHERE series_id = ?1 ORDER BY rowid"

int series_uuid(const char *stored, char out[37])
{
	size_t n = stored ? strlen(stored) : 0, j = 0;

	if (n != 32 && n != 36)
		return AC_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char ch = stored[i];

		if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (ch != '-')
				return AC_EINVAL;
			continue;
		}
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return AC_EINVAL;
		if (j == 8 || j == 13 || j == 18 || j == 23)
			out[j++] = '-';
		out[j++] = ch;
	}
	out[36] = '\0';
	return AC_OK;
}

/* The length a UTF-8 lead byte announces, or 0 for a byte that cannot start a character. */
static size_t lead_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if ((b & 0xE0) == 0xC0)
		return 2;
	if ((b & 0xF0) == 0xE0)
		return 3;
	if ((b & 0xF8) == 0xF0)
		return 4;
	return 0;
}

/* Column i as a JSON string (bad UTF-8 bytes become U+FFFD), or JSON null for SQL NULL. */
static cJSON *text_item(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	size_t len, w = 0;
	char *fixed;
	cJSON *item;

	if (!t)
		return cJSON_CreateNull();
	len = strlen(t);
	if (utf8_valid(t, len))
		return cJSON_CreateString(t);
	fixed = malloc(3 * len + 1);
	if (!fixed)
		return NULL;
	for (size_t r = 0; r < len;) {
		size_t k = lead_len((unsigned char)t[r]);

		if (k && r + k <= len && utf8_valid(t + r, k)) {
			memcpy(fixed + w, t + r, k);
			w += k;
			r += k;
		} else {
			memcpy(fixed + w, "\xEF\xBF\xBD", 3);
			w += 3;
			r++;
		}
	}
	fixed[w] = '\0';
	item = cJSON_CreateString(fixed);
	free(fixed);
	return item;
}

/* Adds item under key; frees item and returns 0 when it is NULL or cannot be added. */
static int add_item(cJSON *obj, const char *key, cJSON *item)
{
	if (item && cJSON_AddItemToObject(obj, key, item))
		return 1;
	cJSON_Delete(item);
	return 0;
}

/* Appends the articles of the series whose stored id is raw_id, in table order. */
static int add_articles(struct db *db, sqlite3_stmt *as, const char *raw_id, cJSON *articles)
{
	int step;

	sqlite3_reset(as);
	if (sqlite3_bind_text(as, 1, raw_id, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		return AC_ENOMEM;
	while ((step = sqlite3_step(as)) == SQLITE_ROW) {
		char id[37];
		cJSON *a;

		if (series_uuid((const char *)sqlite3_column_text(as, 0), id) != AC_OK) {
			log_error("users_articles row with a malformed id");
			return AC_EINTERNAL;
		}
		a = cJSON_CreateObject();
		if (!a || !cJSON_AddItemToArray(articles, a)) {
			cJSON_Delete(a);
			return AC_ENOMEM;
		}
		if (!add_item(a, "id", cJSON_CreateString(id)) || !add_item(a, "title", text_item(as, 1)) ||
		    !add_item(a, "url", text_item(as, 2)))
			return AC_ENOMEM;
	}
	return step == SQLITE_DONE ? AC_OK : db_fail(db, step, "select articles");
}

/* Appends the series at the current row of ss, with its articles, to arr. */
static int add_series(struct db *db, const struct cfg *cfg, sqlite3_stmt *ss, sqlite3_stmt *as,
		      cJSON *arr)
{
	const char *raw_id = (const char *)sqlite3_column_text(ss, 0);
	const char *image = (const char *)sqlite3_column_text(ss, 2);
	char id[37], *url = NULL;
	cJSON *o, *articles;
	int ok;

	if (series_uuid(raw_id, id) != AC_OK) {
		log_error("users_series row with a malformed id");
		return AC_EINTERNAL;
	}
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return AC_ENOMEM;
	}
	if (image && *image && !(url = user_media_url(cfg, image)))
		return AC_ENOMEM;
	articles = cJSON_CreateArray();
	ok = add_item(o, "id", cJSON_CreateString(id)) && add_item(o, "name", text_item(ss, 1)) &&
	     add_item(o, "image", url ? cJSON_CreateString(url) : cJSON_CreateNull()) &&
	     add_item(o, "articles", articles);
	free(url);
	if (!ok)
		return AC_ENOMEM;
	return add_articles(db, as, raw_id, articles);
}

int series_list(struct db *db, const struct cfg *cfg, cJSON **out)
{
	sqlite3_stmt *ss = NULL, *as = NULL;
	cJSON *arr;
	int rc;

	*out = NULL;
	arr = cJSON_CreateArray();
	if (!arr)
		return AC_ENOMEM;
	/* ss stays active through the loop, so every read below sees one snapshot. */
	rc = db_prepare(db, SERIES_SQL, &ss);
	if (rc == AC_OK)
		rc = db_prepare(db, ARTICLES_SQL, &as);
	while (rc == AC_OK) {
		int step = sqlite3_step(ss);

		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW)
			rc = db_fail(db, step, "select series");
		else
			rc = add_series(db, cfg, ss, as, arr);
	}
	sqlite3_finalize(as);
	sqlite3_finalize(ss);
	if (rc != AC_OK) {
		cJSON_Delete(arr);
		return rc;
	}
	*out = arr;
	return AC_OK;
}
