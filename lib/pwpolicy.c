/* The password policy applied wherever a password is set (API.md §2.8). */
#include "pw.h"
#include "common_passwords.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMON_FILE_MAX (16u << 20)  /* COMMON_PASSWORDS_FILE is read whole, up to 16 MiB */

static int fail(char *reason, size_t reasonlen, const char *text)
{
	if (reason != NULL && reasonlen > 0)
		snprintf(reason, reasonlen, "%s", text);
	return AC_EINVAL;
}

static unsigned char ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Decodes one code point of s[*i..n) and advances *i. A byte that does not start a
 * well-formed sequence counts as one character of its own (0x110000 + byte), so
 * malformed input never merges with or vanishes into its neighbours.
 */
static uint32_t next_char(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp, min;
	size_t need;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		(*i)++;
		return 0x110000u + c;
	}
	if (n - *i <= need)
		goto bad;
	for (size_t k = 1; k <= need; k++) {
		unsigned char cc = s[*i + k];

		if ((cc & 0xc0) != 0x80)
			goto bad;
		cp = (cp << 6) | (cc & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*i += need + 1;
	return cp;
bad:
	(*i)++;
	return 0x110000u + c;
}

/* ASCII-lower-cases s and decodes it into out (room for n code points). Returns the count. */
static size_t lower_chars(const char *s, size_t n, uint32_t *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k = 0;

	while (i < n) {
		uint32_t cp = next_char(u, n, &i);

		out[k++] = cp < 0x80 ? ascii_lower((unsigned char)cp) : cp;
	}
	return k;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Size of the multiset intersection of two sorted arrays. */
static size_t common_count(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t i = 0, j = 0, m = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j]) {
			i++;
		} else if (a[i] > b[j]) {
			j++;
		} else {
			m++;
			i++;
			j++;
		}
	}
	return m;
}

/* Steps 2 and 3 of §2.8's similarity test for one part v; p is sorted, v is sorted in place. */
static int part_too_similar(const uint32_t *p, size_t lp, uint32_t *v, size_t lv)
{
	/* Skip when len(p) >= 10 len(v) and len(v) < 0.35 len(p), in integers. */
	if (lp >= 10 * lv && 20 * lv < 7 * lp)
		return 0;
	qsort(v, lv, sizeof *v, cmp_u32);
	/* 2M / (lp + lv) >= 0.7, in integers. */
	return 20 * common_count(p, lp, v, lv) >= 7 * (lp + lv);
}

static int is_word_char(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/*
 * §2.8 similarity: p (lp sorted code points of the lower-cased password) against the
 * lower-cased address and each run of [a-z0-9_] in it. Returns 1, 0 or AC_EINTERNAL.
 */
static int too_similar(const uint32_t *p, size_t lp, const char *email)
{
	size_t n = strlen(email), ne, start;
	uint32_t *e, *scratch;
	int hit;

	if (n == 0)
		return 0;
	if (n > SIZE_MAX / (2 * sizeof *e))
		return AC_EINTERNAL;
	e = malloc(2 * n * sizeof *e);
	if (e == NULL)
		return AC_EINTERNAL;
	scratch = e + n;
	ne = lower_chars(email, n, e);

	memcpy(scratch, e, ne * sizeof *e);
	hit = part_too_similar(p, lp, scratch, ne);
	for (size_t i = 0; !hit && i < ne; i = start) {
		while (i < ne && !is_word_char(e[i]))
			i++;
		start = i;
		while (start < ne && is_word_char(e[start]))
			start++;
		if (start > i) {
			memcpy(scratch, e + i, (start - i) * sizeof *e);
			hit = part_too_similar(p, lp, scratch, start - i);
		}
	}
	free(e);
	return hit;
}

/* Whether the trimmed, lower-cased candidate is a line of the common-password file at path. */
static int file_contains(const char *path, const char *cand, size_t clen, int *found)
{
	FILE *f = fopen(path, "rb");
	char *buf, *line, *end;
	size_t len = 0, got;

	*found = 0;
	if (f == NULL) {
		log_error("COMMON_PASSWORDS_FILE %s: %s", path, strerror(errno));
		return AC_EINTERNAL;
	}
	buf = malloc(COMMON_FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return AC_EINTERNAL;
	}
	/* Read one byte past the bound to notice a file that exceeds it. */
	while ((got = fread(buf + len, 1, COMMON_FILE_MAX + 1 - len, f)) > 0 &&
	       len + got <= COMMON_FILE_MAX)
		len += got;
	if (got > 0 || ferror(f)) {
		log_error("COMMON_PASSWORDS_FILE %s: %s", path,
			  got > 0 ? "larger than 16 MiB" : strerror(errno));
		goto err;
	}
	if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) {
		log_error("COMMON_PASSWORDS_FILE %s: gzip is not supported, decompress it", path);
		goto err;
	}
	fclose(f);

	end = buf + len;
	for (line = buf; line < end && !*found;) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *a = line, *b = nl ? nl : end;

		line = nl ? nl + 1 : end;
		while (a < b && is_space((unsigned char)*a))
			a++;
		while (b > a && is_space((unsigned char)b[-1]))
			b--;
		if (a == b || (size_t)(b - a) != clen)
			continue;
		*found = 1;
		for (size_t i = 0; i < clen && *found; i++)
			if (ascii_lower((unsigned char)a[i]) != (unsigned char)cand[i])
				*found = 0;
	}
	free(buf);
	return AC_OK;
err:
	fclose(f);
	free(buf);
	return AC_EINTERNAL;
}

/* Check 4: the lower-cased, whitespace-trimmed password on the list. Sets *common. */
static int is_common(const char *password, size_t len, const char *common_file, int *common)
{
	char cand[PW_MAX_BYTES];
	size_t a = 0, b = len;

	while (a < b && is_space((unsigned char)password[a]))
		a++;
	while (b > a && is_space((unsigned char)password[b - 1]))
		b--;
	for (size_t i = a; i < b; i++)
		cand[i - a] = (char)ascii_lower((unsigned char)password[i]);
	if (common_file != NULL)
		return file_contains(common_file, cand, b - a, common);
	*common = common_passwords_contains(cand, b - a);
	return AC_OK;
}

int pw_policy_check(const char *password, size_t len, const char *email, unsigned min_length,
		    const char *common_file, char *reason, size_t reasonlen)
{
	uint32_t p[PW_MAX_BYTES];
	size_t lp, digits = 0;
	int rc, common = 0;

	if (reason != NULL && reasonlen > 0)
		reason[0] = '\0';
	if (password == NULL && len > 0)
		return AC_EINTERNAL;
	if (password == NULL)
		password = "";
	if (len > PW_MAX_BYTES)
		return fail(reason, reasonlen,
			    "This password is too long. It must not exceed 4096 bytes.");

	lp = lower_chars(password, len, p);
	if (email != NULL) {
		qsort(p, lp, sizeof *p, cmp_u32);
		rc = too_similar(p, lp, email);
		if (rc < 0)
			return rc;
		if (rc)
			return fail(reason, reasonlen, "The password is too similar to the email.");
	}

	if (lp < min_length) {
		char text[96];

		snprintf(text, sizeof text,
			 "This password is too short. It must contain at least %u character%s.",
			 min_length, min_length == 1 ? "" : "s");
		return fail(reason, reasonlen, text);
	}

	rc = is_common(password, len, common_file, &common);
	if (rc < 0)
		return rc;
	if (common)
		return fail(reason, reasonlen, "This password is too common.");

	while (digits < len && password[digits] >= '0' && password[digits] <= '9')
		digits++;
	if (len > 0 && digits == len)
		return fail(reason, reasonlen, "This password is entirely numeric.");
	return AC_OK;
}
