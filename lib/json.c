/* Strict JSON request bodies (API.md §1.6): our own RFC 8259 scanner first, then a cJSON tree. */
#include "json.h"
#include "err.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Why a scanner of our own: cJSON 1.7.15 accepts a BOM, 01, "1.", raw control characters,
 * invalid UTF-8 and lone surrogates, and truncates keys at \u0000 (so "a\u0000b" and
 * "a\u0000c" would look like one key). The scanner decides syntax, the top-level type,
 * duplicate keys (on the decoded key bytes, NULs included) and \u0000; cJSON only builds
 * the tree of a text already known to be good.
 *
 * Depth: every object or array counts one level, the top-level value included, so a
 * top-level {} is depth 1; JSON_MAX_DEPTH (16) nested containers pass, 17 do not.
 */

struct key_ref {
	size_t obj;                /* which object (numbered in order of the opening brace) */
	const unsigned char *p;    /* decoded key bytes inside scan.keybuf */
	size_t len;
};

struct scan {
	const unsigned char *s;
	size_t len;
	size_t i;
	int has_nul;
	unsigned char top;         /* first byte of the top-level value */
	/* Key collection for the duplicate check; off when keybuf is NULL. */
	unsigned char *keybuf;     /* len bytes: decoded keys are never longer than the text */
	size_t keyused;
	struct key_ref *keys;
	size_t nkeys, capkeys;
	int oom;
};

static void skip_ws(struct scan *sc)
{
	while (sc->i < sc->len) {
		unsigned char c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Reads 4 hex digits at s[at]; -1 when they are not there. */
static long hex4(const struct scan *sc, size_t at)
{
	long v = 0;

	if (at > sc->len || sc->len - at < 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		unsigned char c = sc->s[at + k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_byte(struct scan *sc, int collect, unsigned char c)
{
	if (collect)
		sc->keybuf[sc->keyused++] = c;
}

static void put_cp(struct scan *sc, int collect, unsigned long cp)
{
	if (cp < 0x80) {
		put_byte(sc, collect, (unsigned char)cp);
	} else if (cp < 0x800) {
		put_byte(sc, collect, (unsigned char)(0xC0 | (cp >> 6)));
		put_byte(sc, collect, (unsigned char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		put_byte(sc, collect, (unsigned char)(0xE0 | (cp >> 12)));
		put_byte(sc, collect, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		put_byte(sc, collect, (unsigned char)(0x80 | (cp & 0x3F)));
	} else {
		put_byte(sc, collect, (unsigned char)(0xF0 | (cp >> 18)));
		put_byte(sc, collect, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
		put_byte(sc, collect, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
		put_byte(sc, collect, (unsigned char)(0x80 | (cp & 0x3F)));
	}
}

static int add_key(struct scan *sc, size_t obj, size_t off)
{
	if (sc->nkeys == sc->capkeys) {
		size_t cap = sc->capkeys ? sc->capkeys * 2 : 16;
		struct key_ref *k = realloc(sc->keys, cap * sizeof *k);

		if (k == NULL) {
			sc->oom = 1;
			return -1;
		}
		sc->keys = k;
		sc->capkeys = cap;
	}
	sc->keys[sc->nkeys].obj = obj;
	sc->keys[sc->nkeys].p = sc->keybuf + off;
	sc->keys[sc->nkeys].len = sc->keyused - off;
	sc->nkeys++;
	return 0;
}

/*
 * A string at s[i] == '"'. Raw bytes >= 0x80 were validated as UTF-8 for the whole text
 * beforehand, and a sequence cannot straddle the ASCII quote. When is_key and keys are
 * being collected, the decoded key is recorded for object obj.
 */
static int scan_string(struct scan *sc, int is_key, size_t obj)
{
	int collect = is_key && sc->keybuf != NULL;
	size_t start = sc->keyused;

	sc->i++;
	for (;;) {
		unsigned char c;
		long cp, lo;

		if (sc->i >= sc->len)
			return -1;
		c = sc->s[sc->i];
		if (c == '"') {
			sc->i++;
			break;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			put_byte(sc, collect, c);
			sc->i++;
			continue;
		}
		if (sc->len - sc->i < 2)
			return -1;
		c = sc->s[sc->i + 1];
		sc->i += 2;
		switch (c) {
		case '"': put_byte(sc, collect, '"'); break;
		case '\\': put_byte(sc, collect, '\\'); break;
		case '/': put_byte(sc, collect, '/'); break;
		case 'b': put_byte(sc, collect, '\b'); break;
		case 'f': put_byte(sc, collect, '\f'); break;
		case 'n': put_byte(sc, collect, '\n'); break;
		case 'r': put_byte(sc, collect, '\r'); break;
		case 't': put_byte(sc, collect, '\t'); break;
		case 'u':
			cp = hex4(sc, sc->i);
			if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
				return -1;
			sc->i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* A high surrogate must be followed at once by a low one. */
				if (sc->len - sc->i < 6 || sc->s[sc->i] != '\\' || sc->s[sc->i + 1] != 'u')
					return -1;
				lo = hex4(sc, sc->i + 2);
				if (lo < 0xDC00 || lo > 0xDFFF)
					return -1;
				sc->i += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (cp == 0)
				sc->has_nul = 1;
			put_cp(sc, collect, (unsigned long)cp);
			break;
		default:
			return -1;
		}
	}
	if (collect)
		return add_key(sc, obj, start);
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; what may follow is the caller's business. */
static int scan_number(struct scan *sc)
{
	const unsigned char *s = sc->s;
	size_t n = sc->len;

	if (sc->i < n && s[sc->i] == '-')
		sc->i++;
	if (sc->i >= n)
		return -1;
	if (s[sc->i] == '0') {
		sc->i++;
	} else if (s[sc->i] >= '1' && s[sc->i] <= '9') {
		while (sc->i < n && is_digit(s[sc->i]))
			sc->i++;
	} else {
		return -1;
	}
	if (sc->i < n && s[sc->i] == '.') {
		sc->i++;
		if (sc->i >= n || !is_digit(s[sc->i]))
			return -1;
		while (sc->i < n && is_digit(s[sc->i]))
			sc->i++;
	}
	if (sc->i < n && (s[sc->i] == 'e' || s[sc->i] == 'E')) {
		sc->i++;
		if (sc->i < n && (s[sc->i] == '+' || s[sc->i] == '-'))
			sc->i++;
		if (sc->i >= n || !is_digit(s[sc->i]))
			return -1;
		while (sc->i < n && is_digit(s[sc->i]))
			sc->i++;
	}
	return 0;
}

static int scan_literal(struct scan *sc)
{
	static const char *const lits[] = { "true", "false", "null" };

	for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++) {
		size_t n = strlen(lits[k]);

		if (sc->len - sc->i >= n && memcmp(sc->s + sc->i, lits[k], n) == 0) {
			sc->i += n;
			return 0;
		}
	}
	return -1;
}

/* An object member's key and colon, leaving i at the value. */
static int scan_key(struct scan *sc, size_t obj)
{
	skip_ws(sc);
	if (sc->i >= sc->len || sc->s[sc->i] != '"')
		return -1;
	if (scan_string(sc, 1, obj) != 0)
		return -1;
	skip_ws(sc);
	if (sc->i >= sc->len || sc->s[sc->i] != ':')
		return -1;
	sc->i++;
	return 0;
}

/* The whole text, iteratively, with an explicit stack of JSON_MAX_DEPTH open containers. */
static int scan_text(struct scan *sc)
{
	unsigned char open[JSON_MAX_DEPTH];
	size_t objid[JSON_MAX_DEPTH];
	size_t depth = 0, nobj = 0;
	int have_value = 0;

	if (sc->s == NULL || !utf8_valid((const char *)sc->s, sc->len))
		return -1;
	/* A BOM (EF BB BF) is not whitespace and cannot start a value: rejected below. */
	skip_ws(sc);
	if (sc->i < sc->len)
		sc->top = sc->s[sc->i];
	for (;;) {
		if (!have_value) {
			unsigned char c;

			skip_ws(sc);
			if (sc->i >= sc->len)
				return -1;
			c = sc->s[sc->i];
			if (c == '{' || c == '[') {
				if (depth == JSON_MAX_DEPTH)
					return -1;
				open[depth] = c;
				objid[depth] = c == '{' ? nobj++ : 0;
				depth++;
				sc->i++;
				skip_ws(sc);
				if (sc->i < sc->len && sc->s[sc->i] == (c == '{' ? '}' : ']')) {
					sc->i++;
					depth--;
					have_value = 1;
				} else if (c == '{' && scan_key(sc, objid[depth - 1]) != 0) {
					return -1;
				}
				continue;
			}
			if (c == '"') {
				if (scan_string(sc, 0, 0) != 0)
					return -1;
			} else if (c == '-' || is_digit(c)) {
				if (scan_number(sc) != 0)
					return -1;
			} else if (scan_literal(sc) != 0) {
				return -1;
			}
			have_value = 1;
		}
		/* After a value: close containers, go to the next element, or end. */
		skip_ws(sc);
		if (depth == 0)
			return sc->i == sc->len ? 0 : -1;
		if (sc->i >= sc->len)
			return -1;
		if (sc->s[sc->i] == ',') {
			sc->i++;
			if (open[depth - 1] == '{' && scan_key(sc, objid[depth - 1]) != 0)
				return -1;
			have_value = 0;
		} else if (sc->s[sc->i] == (open[depth - 1] == '{' ? '}' : ']')) {
			sc->i++;
			depth--;
		} else {
			return -1;
		}
	}
}

int json_check_syntax(const char *body, size_t len, int *has_nul)
{
	struct scan sc;
	int rc;

	memset(&sc, 0, sizeof sc);
	sc.s = (const unsigned char *)body;
	sc.len = len;
	rc = scan_text(&sc);
	if (has_nul)
		*has_nul = sc.has_nul;
	return rc == 0 ? AC_OK : AC_EINVAL;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;

	if (x->obj != y->obj)
		return x->obj < y->obj ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->len ? memcmp(x->p, y->p, x->len) : 0;
}

/* Sorting (object, key) pairs brings equal keys of one object next to each other. */
static int has_duplicate(struct scan *sc)
{
	if (sc->nkeys < 2)
		return 0;
	qsort(sc->keys, sc->nkeys, sizeof sc->keys[0], key_cmp);
	for (size_t k = 1; k < sc->nkeys; k++)
		if (key_cmp(&sc->keys[k - 1], &sc->keys[k]) == 0)
			return 1;
	return 0;
}

static int is_field(const char *key, const char *const fields[], size_t nfields)
{
	for (size_t k = 0; k < nfields; k++)
		if (strcmp(key, fields[k]) == 0)
			return 1;
	return 0;
}

/*
 * Besides AC_EINVAL (with the client message in err), returns AC_ENOMEM when an allocation
 * fails (err is then empty); cJSON failing on a text the scanner accepted can only be that.
 */
int json_parse_body(const char *body, size_t len, const char *const fields[], size_t nfields,
		    cJSON **root, const char *values[], char *err, size_t errlen)
{
	struct scan sc;
	cJSON *tree = NULL;
	char *copy = NULL;
	const char *msg = NULL;
	const char *badfield = NULL;
	int rc = AC_OK;

	*root = NULL;
	if (errlen > 0)
		err[0] = '\0';
	for (size_t k = 0; k < nfields; k++)
		values[k] = NULL;

	memset(&sc, 0, sizeof sc);
	sc.s = (const unsigned char *)body;
	sc.len = len;
	if (len == SIZE_MAX)
		return AC_ENOMEM;
	sc.keybuf = malloc(len ? len : 1);
	if (sc.keybuf == NULL)
		return AC_ENOMEM;

	if (scan_text(&sc) != 0) {
		if (sc.oom)
			rc = AC_ENOMEM;
		else
			msg = "Malformed JSON body";
		goto out;
	}
	if (sc.top != '{') {
		msg = "JSON body must be an object";
		goto out;
	}
	if (has_duplicate(&sc)) {
		msg = "Duplicate key in JSON body";
		goto out;
	}
	if (sc.has_nul) {
		msg = "JSON strings must not contain NUL characters";
		goto out;
	}

	/* cJSON wants the terminating NUL inside the length when require_null_terminated=1. */
	copy = malloc(len + 1);
	if (copy == NULL) {
		rc = AC_ENOMEM;
		goto out;
	}
	memcpy(copy, body, len);
	copy[len] = '\0';
	tree = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	if (tree == NULL || !cJSON_IsObject(tree)) {
		rc = AC_ENOMEM;
		goto out;
	}

	for (const cJSON *it = tree->child; it != NULL; it = it->next) {
		if (it->string == NULL || !is_field(it->string, fields, nfields)) {
			msg = "Unknown field in request body";
			goto out;
		}
	}
	for (size_t k = 0; k < nfields; k++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(tree, fields[k]);

		if (it == NULL || cJSON_IsNull(it))
			continue;
		if (!cJSON_IsString(it) || it->valuestring == NULL) {
			badfield = fields[k];
			goto out;
		}
		values[k] = it->valuestring;
	}

out:
	free(copy);
	free(sc.keys);
	free(sc.keybuf);
	if (msg != NULL || badfield != NULL || rc != AC_OK) {
		cJSON_Delete(tree);
		for (size_t k = 0; k < nfields; k++)
			values[k] = NULL;
		if (badfield != NULL && errlen > 0)
			snprintf(err, errlen, "The %s field must be a string", badfield);
		else if (msg != NULL && errlen > 0)
			snprintf(err, errlen, "%s", msg);
		return rc != AC_OK ? rc : AC_EINVAL;
	}
	*root = tree;
	return AC_OK;
}
