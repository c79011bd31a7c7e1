/* libFuzzer harness for lib/mp.c (and the form and image checks on top): "Content-Type\nbody". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "image.h"
#include "mp.h"
#include "profile.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ctlen = nl ? (size_t)(nl - data) : size;
	char boundary[MP_BOUNDARY_MAX + 1], *ct, *body;
	size_t len = nl ? size - ctlen - 1 : 0, total = 0;
	struct profile_form f;
	struct profile_err e;
	struct img_info img;
	struct mp_part p;
	struct mp m;
	int r, parts = 0;

	ct = malloc(ctlen + 1);
	body = malloc(len ? len : 1);
	if (!ct || !body)
		goto out;
	memcpy(ct, data, ctlen);
	ct[ctlen] = '\0';
	if (len)
		memcpy(body, nl + 1, len);

	if (mp_boundary(ct, boundary) == AC_OK) {
		size_t bl = strlen(boundary);

		if (bl < 1 || bl > MP_BOUNDARY_MAX || boundary[bl - 1] == ' ')
			abort();
		mp_init(&m, boundary, body, len);
		while ((r = mp_next(&m, &p)) == 1) {
			char stem[STORE_NAME_MAX + 1];

			if (!p.name || !inside(p.name, p.name_len, body, len) ||
			    !inside(p.data, p.data_len, body, len) ||
			    (p.has_filename && !inside(p.filename, p.filename_len, body, len)) ||
			    (!p.has_filename && p.filename) ||
			    (p.content_type && !inside(p.content_type, p.content_type_len, body, len)))
				abort();
			/* header text never holds CR, LF or NUL */
			if (memchr(p.name, '\r', p.name_len) || memchr(p.name, '\n', p.name_len) ||
			    memchr(p.name, '\0', p.name_len))
				abort();
			/* parts never overlap and come in order */
			if ((size_t)(p.data - body) < total)
				abort();
			total = (size_t)(p.data - body) + p.data_len;
			img_sniff(p.data, p.data_len, &img);
			if (p.has_filename) {
				store_stem(p.filename, p.filename_len, stem, 81);
				if (strlen(stem) == 0 || strlen(stem) > 81 ||
				    strspn(stem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(stem))
					abort();
			}
			parts++;
		}
		if (r != 0 && r != AC_EINVAL)
			abort();
		if (mp_next(&m, &p) != r)
			abort(); /* the end and errors are sticky */
		(void)parts;
	}
	if (profile_parse(ct, body, len, &f, &e) == AC_OK) {
		if (profile_validate(&f, 4096, &img, &e) == AC_OK && f.thumb && img.type == IMG_NONE)
			abort();
	} else if (e.status != 400 || !e.msg[0]) {
		abort();
	}
out:
	free(ct);
	free(body);
	return 0;
}
