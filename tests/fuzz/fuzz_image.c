/*
 * libFuzzer harness for lib/image.c (img_sniff, API.md §7.10). Beyond "no crash, no read past
 * the end" (ASan sees every byte read: the input buffer has exactly size bytes), it checks:
 *   - a success has a type, dimensions in 1..IMG_MAX_DIM, an extension and a MIME type, and
 *     the bytes begin with that type's signature; a failure leaves info all zero;
 *   - the dimensions are the ones an independent reader finds at the fixed header offsets
 *     (PNG IHDR, GIF screen, WebP VP8/VP8L/VP8X), and a PNG ends with the IEND chunk;
 *   - the verdict depends on the bytes only: the same data in a copy gives the same answer, and
 *     bytes appended to a GIF, JPEG or WebP (inserted before IEND for a PNG) change nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };

static unsigned long be32(const uint8_t *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static unsigned long le(const uint8_t *p, int n)
{
	unsigned long v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int same(const struct img_info *a, const struct img_info *b)
{
	return a->type == b->type && a->width == b->width && a->height == b->height;
}

/* The dimensions at the fixed offsets of each format, as the format specifications place them. */
static void check_dims(const uint8_t *d, size_t n, const struct img_info *in)
{
	unsigned long w = 0, h = 0;

	switch (in->type) {
	case IMG_PNG:
		if (n < 45 || memcmp(d, png_sig, 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0 ||
		    memcmp(d + n - 12, iend, 12) != 0)
			abort();
		w = be32(d + 16);
		h = be32(d + 20);
		break;
	case IMG_GIF:
		if (n < 13 || (memcmp(d, "GIF87a", 6) != 0 && memcmp(d, "GIF89a", 6) != 0))
			abort();
		w = le(d + 6, 2);
		h = le(d + 8, 2);
		break;
	case IMG_WEBP:
		if (n < 25 || memcmp(d, "RIFF", 4) != 0 || memcmp(d + 8, "WEBP", 4) != 0 || le(d + 4, 4) > n - 8)
			abort();
		if (memcmp(d + 12, "VP8 ", 4) == 0) {
			if (n < 30)
				abort();
			w = le(d + 26, 2) & 0x3FFF;
			h = le(d + 28, 2) & 0x3FFF;
		} else if (memcmp(d + 12, "VP8L", 4) == 0) {
			w = (le(d + 21, 4) & 0x3FFF) + 1;
			h = ((le(d + 21, 4) >> 14) & 0x3FFF) + 1;
		} else if (memcmp(d + 12, "VP8X", 4) == 0) {
			if (n < 30)
				abort();
			w = le(d + 24, 3) + 1;
			h = le(d + 27, 3) + 1;
		} else {
			abort();
		}
		break;
	case IMG_JPEG:
		if (n < 3 || d[0] != 0xFF || d[1] != 0xD8 || d[2] != 0xFF)
			abort();
		return; /* the frame header's place depends on the segments before it */
	default:
		abort();
	}
	if (w != in->width || h != in->height)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct img_info zero;
	struct img_info info, again;
	uint8_t *copy, *longer;
	int rc;

	memset(&info, 0xA5, sizeof info);
	rc = img_sniff(data, size, &info);
	if (rc != AC_OK) {
		if (rc != AC_EINVAL || memcmp(&info, &zero, sizeof info) != 0)
			abort();
		return 0;
	}
	if (info.type == IMG_NONE || info.width < 1 || info.height < 1 || info.width > IMG_MAX_DIM ||
	    info.height > IMG_MAX_DIM || !img_ext(info.type) || !img_mime(info.type) ||
	    strncmp(img_mime(info.type), "image/", 6) != 0)
		abort();
	check_dims(data, size, &info);

	copy = malloc(size + 16);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (img_sniff(copy, size, &again) != AC_OK || !same(&info, &again))
		abort();
	/* trailing bytes (or, for a PNG, chunks before IEND) do not change the verdict */
	longer = copy;
	if (info.type == IMG_PNG) {
		memmove(longer + size - 12 + 16, longer + size - 12, 12);
		memset(longer + size - 12, 0x5A, 16);
	} else {
		memset(longer + size, 0x5A, 16);
	}
	if (img_sniff(longer, size + 16, &again) != AC_OK || !same(&info, &again))
		abort();
	free(copy);
	return 0;
}
