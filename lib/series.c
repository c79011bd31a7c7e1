/* The series list of GET /users/series/ (API.md §7.11): series and their articles, one JSON array. */
#include "series.h"
#include "err.h"
#include "log.h"
#include "user.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>


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

/* Cell (row, i) as a JSON string (bad UTF-8 bytes become U+FFFD), or JSON null for SQL NULL. */
static cJSON *text_item(const struct db_rows *rows, size_t row, size_t i)
{
	const char *t = db_cell(rows, row, i);
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
static int add_articles(struct db *db, const char *raw_id, cJSON *articles)
{
	struct db_rows r;
	int rc = db_run(db, Q_SERIES_ARTICLES, 1, &raw_id, &r, NULL);

	for (size_t i = 0; rc == AC_OK && i < r.n; i++) {
		char id[37];
		cJSON *a;

		if (series_uuid(db_cell(&r, i, 0), id) != AC_OK) {
			log_error("users_articles row with a malformed id");
			rc = AC_EINTERNAL;
			break;
		}
		a = cJSON_CreateObject();
		if (!a || !cJSON_AddItemToArray(articles, a)) {
			cJSON_Delete(a);
			rc = AC_ENOMEM;
		} else if (!add_item(a, "id", cJSON_CreateString(id)) ||
			   !add_item(a, "title", text_item(&r, i, 1)) ||
			   !add_item(a, "url", text_item(&r, i, 2))) {
			rc = AC_ENOMEM;
		}
	}
	db_rows_clear(&r);
	return rc;
}

/* Appends series `row` of the series list, with its articles, to arr. */
static int add_series(struct db *db, const struct cfg *cfg, const struct db_rows *ss, size_t row,
		      cJSON *arr)
{
	const char *raw_id = db_cell(ss, row, 0);
	const char *image = db_cell(ss, row, 2);
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
	ok = add_item(o, "id", cJSON_CreateString(id)) && add_item(o, "name", text_item(ss, row, 1)) &&
	     add_item(o, "image", url ? cJSON_CreateString(url) : cJSON_CreateNull()) &&
	     add_item(o, "articles", articles);
	free(url);
	if (!ok)
		return AC_ENOMEM;
	return add_articles(db, raw_id, articles);
}

int series_list(struct db *db, const struct cfg *cfg, cJSON **out)
{
	struct db_rows ss;
	cJSON *arr;
	int rc;

	*out = NULL;
	arr = cJSON_CreateArray();
	if (!arr)
		return AC_ENOMEM;
	rc = db_run(db, Q_SERIES_LIST, 0, NULL, &ss, NULL);
	for (size_t i = 0; rc == AC_OK && i < ss.n; i++)
		rc = add_series(db, cfg, &ss, i, arr);
	db_rows_clear(&ss);
	if (rc != AC_OK) {
		cJSON_Delete(arr);
		return rc;
	}
	*out = arr;
	return AC_OK;
}
