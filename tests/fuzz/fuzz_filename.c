/*
 * libFuzzer harness for the thumbnail file name (API.md §7.10): the filename parameter of a
 * multipart part (lib/mp.c, lib/profile.c) and its sanitising (store_stem, store_make_name in
 * lib/store.c). The input is the raw filename parameter value, sent quoted ("...") when the
 * first byte is even, else as a token; the rest of the body is a valid PNG part. Checks:
 *   - a filename without '"', CR, LF and NUL reaches the form unchanged (quoted);
 *   - the stored name is "users/" + stem + "_" + suffix + "." + ext, at most 100 characters,
 *     accepted by store_name_ok, its stem 1..max characters of [A-Za-z0-9_-] only;
 *   - the stem equals an independent reading of the §7.10 rule (after the last '/' or '\',
 *     without the extension, spaces as '_', other characters dropped, "thumbnail" when empty,
 *     cut to the room left), for the stored name and for store_stem with rooms of 1..120.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "image.h"
#include "profile.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KEEP[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/* §7.10 as written, kept apart from lib/store.c on purpose. */
static void ref_stem(const char *f, size_t len, char *out, size_t max)
{
	const char *base = f, *stop;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (f[i] == '/' || f[i] == '\\')
			base = f + i + 1;
	/* the extension: from the last dot, which must not be the name's first character */
	stop = f + len;
	for (const char *p = f + len; p > base; p--)
		if (p[-1] == '.' && p - 1 != base) {
			stop = p - 1;
			break;
		}
	for (const char *p = base; p < stop; p++) {
		char c = *p == ' ' ? '_' : *p;

		if (c && strchr(KEEP, c) && n < max)
			out[n++] = c;
	}
	if (n == 0) {
		n = max < 9 ? max : 9;
		memcpy(out, "thumbnail", n);
	}
	out[n] = '\0';
}

static void check_name(const char *filename, size_t len, const char *ext)
{
	static const char suffix[] = "Ab3dE9z";
	char name[STORE_NAME_MAX + 1], want[STORE_NAME_MAX + 1], tail[32];
	size_t nl, room = STORE_NAME_MAX - strlen("users/") - 1 - 7 - 1 - strlen(ext), sl;

	memset(name, 0x7F, sizeof name);
	if (store_make_name(filename, len, suffix, ext, name) != AC_OK)
		abort();
	nl = strnlen(name, sizeof name);
	if (nl > STORE_NAME_MAX || !store_name_ok(name) || strncmp(name, "users/", 6) != 0)
		abort();
	ref_stem(filename, len, want, room);
	sl = strlen(want);
	if (sl < 1 || sl > room || strspn(want, KEEP) != sl)
		abort();
	if (nl != 6 + sl + 1 + 7 + 1 + strlen(ext) || memcmp(name + 6, want, sl) != 0)
		abort();
	strcpy(tail, "_");
	strcat(tail, suffix);
	strcat(tail, ".");
	strcat(tail, ext);
	if (strcmp(name + 6 + sl, tail) != 0)
		abort();
}

static const unsigned char PNG1[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1,
	8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *exts[] = { "png", "jpg", "gif", "webp" };
	static const char head[] = "--b\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=";
	static const char mid[] = "\r\nContent-Type: image/png\r\n\r\n";
	static const char end[] = "\r\n--b--\r\n";
	const char *fn = (const char *)data + 1;
	size_t fl = size ? size - 1 : 0, len = 0;
	int quoted = size && (data[0] & 1) == 0;
	struct profile_form f;
	struct profile_err e;
	char stem[121], want[121], *body;

	static const size_t maxes[] = { 1, 2, 3, 8, 9, 10, 16, 63, 64, 79, 80, 81, 99, 100, 120 };

	if (size == 0 || size > 1024)
		return 0;
	/* the sanitiser alone, on the raw bytes, with room sizes around the limits */
	for (size_t k = 0; k < sizeof maxes / sizeof maxes[0]; k++) {
		size_t max = maxes[k];

		store_stem(fn, fl, stem, max);
		ref_stem(fn, fl, want, max);
		if (strcmp(stem, want) != 0 || strlen(stem) > max || strspn(stem, KEEP) != strlen(stem))
			abort();
	}
	check_name(fn, fl, exts[data[0] >> 1 & 3]);

	/* the same bytes as the filename parameter of an update-user thumbnail part */
	body = malloc(sizeof head + 2 + fl + sizeof mid + sizeof PNG1 + sizeof end);
	if (!body)
		return 0;
	memcpy(body + len, head, sizeof head - 1);
	len += sizeof head - 1;
	if (quoted)
		body[len++] = '"';
	memcpy(body + len, fn, fl);
	len += fl;
	if (quoted)
		body[len++] = '"';
	memcpy(body + len, mid, sizeof mid - 1);
	len += sizeof mid - 1;
	memcpy(body + len, PNG1, sizeof PNG1);
	len += sizeof PNG1;
	memcpy(body + len, end, sizeof end - 1);
	len += sizeof end - 1;
	if (profile_parse("multipart/form-data; boundary=b", body, len, &f, &e) == AC_OK) {
		if (f.thumb_filename) {
			if (f.thumb_filename_len == 0 || f.thumb_filename_len > fl ||
			    memchr(f.thumb_filename, '\r', f.thumb_filename_len) ||
			    memchr(f.thumb_filename, '\n', f.thumb_filename_len))
				abort();
			check_name(f.thumb_filename, f.thumb_filename_len, "png");
		}
		if (quoted && fl > 0 && !memchr(fn, '"', fl) && !memchr(fn, '\r', fl) && !memchr(fn, '\n', fl) &&
		    !memchr(fn, '\0', fl) &&
		    (!f.thumb_filename || f.thumb_filename_len != fl || memcmp(f.thumb_filename, fn, fl) != 0))
			abort();
	} else if (e.status != 400 || !e.msg[0]) {
		abort();
	}
	free(body);
	return 0;
}
