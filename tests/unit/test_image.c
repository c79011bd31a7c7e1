/* Unit tests for lib/image.c: PNG, JPEG, GIF and WebP by content, dimensions and truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "image.h"

static void put_be32(unsigned char *p, unsigned long v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put_le32(unsigned char *p, unsigned long v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* signature + IHDR + IEND (CRCs are not checked). Returns the length. */
static size_t make_png(unsigned char *b, unsigned long w, unsigned long h, int depth, int colour)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };

	memcpy(b, sig, 8);
	put_be32(b + 8, 13);
	memcpy(b + 12, "IHDR", 4);
	put_be32(b + 16, w);
	put_be32(b + 20, h);
	b[24] = (unsigned char)depth;
	b[25] = (unsigned char)colour;
	b[26] = b[27] = b[28] = 0;
	put_be32(b + 29, 0x12345678);
	memcpy(b + 33, iend, 12);
	return 45;
}

static void test_png(void **state)
{
	unsigned char b[64];
	struct img_info info;
	size_t n;

	(void)state;
	n = make_png(b, 640, 480, 8, 6);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	assert_int_equal(info.type, IMG_PNG);
	assert_int_equal(info.width, 640);
	assert_int_equal(info.height, 480);
	assert_string_equal(img_ext(info.type), "png");
	assert_string_equal(img_mime(info.type), "image/png");

	n = make_png(b, 1, 16384, 1, 0);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	n = make_png(b, 16385, 1, 8, 2);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	assert_int_equal(info.type, IMG_NONE);
	n = make_png(b, 0, 1, 8, 2);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_png(b, 1, 0x80000000UL, 8, 2);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* colour type and depth must be a valid pair */
	n = make_png(b, 1, 1, 16, 3);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_png(b, 1, 1, 4, 2);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_png(b, 1, 1, 8, 5);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* interlace method 2 does not exist */
	n = make_png(b, 1, 1, 8, 2);
	b[28] = 2;
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* truncated: no IEND at the end */
	n = make_png(b, 1, 1, 8, 2);
	assert_int_equal(img_sniff(b, n - 1, &info), AC_EINVAL);
	/* IHDR must come first */
	n = make_png(b, 1, 1, 8, 2);
	memcpy(b + 12, "IDAT", 4);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	assert_int_equal(img_sniff(b, 8, &info), AC_EINVAL);
}

/* SOI, an APP0 segment, then a frame header SOFn. */
static size_t make_jpeg(unsigned char *b, unsigned marker, unsigned w, unsigned h)
{
	static const unsigned char head[] = {
		0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
	};
	size_t n = sizeof head;

	memcpy(b, head, n);
	b[n++] = 0xFF;
	b[n++] = (unsigned char)marker;
	b[n++] = 0;
	b[n++] = 11;  /* length: 8 + 3 for one component */
	b[n++] = 8;   /* precision */
	b[n++] = (unsigned char)(h >> 8);
	b[n++] = (unsigned char)h;
	b[n++] = (unsigned char)(w >> 8);
	b[n++] = (unsigned char)w;
	b[n++] = 1;   /* components */
	b[n++] = 1;
	b[n++] = 0x11;
	b[n++] = 0;
	b[n++] = 0xFF;
	b[n++] = 0xD9;
	return n;
}

static void test_jpeg(void **state)
{
	unsigned char b[64];
	struct img_info info;
	size_t n;

	(void)state;
	n = make_jpeg(b, 0xC0, 300, 200);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	assert_int_equal(info.type, IMG_JPEG);
	assert_int_equal(info.width, 300);
	assert_int_equal(info.height, 200);
	assert_string_equal(img_ext(info.type), "jpg");
	assert_string_equal(img_mime(info.type), "image/jpeg");
	/* progressive */
	n = make_jpeg(b, 0xC2, 16, 16);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	/* DHT (C4) is not a frame header; then the end comes first */
	n = make_jpeg(b, 0xC4, 16, 16);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* height 0 (defined later by DNL) and oversize are refused */
	n = make_jpeg(b, 0xC0, 16, 0);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_jpeg(b, 0xC0, 20000, 16);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* a scan before any frame header */
	n = make_jpeg(b, 0xDA, 16, 16);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* a segment length running past the end */
	n = make_jpeg(b, 0xC0, 16, 16);
	b[5] = 0x7F;
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* truncated inside the frame header */
	n = make_jpeg(b, 0xC0, 16, 16);
	assert_int_equal(img_sniff(b, 25, &info), AC_EINVAL);
	/* just the signature */
	assert_int_equal(img_sniff("\xFF\xD8\xFF", 3, &info), AC_EINVAL);
	assert_int_equal(img_sniff("\xFF\xD8\xFF\xFF\xFF\xFF", 6, &info), AC_EINVAL);
}

static void test_gif(void **state)
{
	unsigned char b[16] = { 'G', 'I', 'F', '8', '9', 'a', 0x40, 0x01, 0xF0, 0x00, 0, 0, 0, 0x3B };
	struct img_info info;

	(void)state;
	assert_int_equal(img_sniff(b, 14, &info), AC_OK);
	assert_int_equal(info.type, IMG_GIF);
	assert_int_equal(info.width, 320);
	assert_int_equal(info.height, 240);
	assert_string_equal(img_ext(info.type), "gif");
	assert_string_equal(img_mime(info.type), "image/gif");
	b[4] = '7';
	assert_int_equal(img_sniff(b, 14, &info), AC_OK);
	b[4] = '8';
	assert_int_equal(img_sniff(b, 14, &info), AC_EINVAL);
	b[4] = '9';
	assert_int_equal(img_sniff(b, 12, &info), AC_EINVAL);
	b[6] = b[7] = 0;
	assert_int_equal(img_sniff(b, 14, &info), AC_EINVAL);
}

static size_t make_webp(unsigned char *b, const char *fourcc, const unsigned char *payload, size_t plen)
{
	memcpy(b, "RIFF", 4);
	put_le32(b + 4, 4 + 8 + plen);
	memcpy(b + 8, "WEBP", 4);
	memcpy(b + 12, fourcc, 4);
	put_le32(b + 16, plen);
	memcpy(b + 20, payload, plen);
	return 20 + plen;
}

static void test_webp(void **state)
{
	/* key frame tag, start code, 14-bit width 100 and height 50 */
	static const unsigned char vp8[10] = { 0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 100, 0, 50, 0 };
	/* signature, then width-1 = 99 and height-1 = 49 in 14 bits each */
	unsigned char vp8l[5] = { 0x2F, 0, 0, 0, 0 };
	/* flags, reserved, canvas width-1 = 1023 and height-1 = 767 in 24 bits */
	static const unsigned char vp8x[10] = { 0, 0, 0, 0, 0xFF, 0x03, 0, 0xFF, 0x02, 0 };
	unsigned long bits = 99UL | 49UL << 14;
	unsigned char b[64];
	struct img_info info;
	size_t n;

	(void)state;
	n = make_webp(b, "VP8 ", vp8, sizeof vp8);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	assert_int_equal(info.type, IMG_WEBP);
	assert_int_equal(info.width, 100);
	assert_int_equal(info.height, 50);
	assert_string_equal(img_ext(info.type), "webp");
	assert_string_equal(img_mime(info.type), "image/webp");

	put_le32(vp8l + 1, bits);
	n = make_webp(b, "VP8L", vp8l, sizeof vp8l);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	assert_int_equal(info.width, 100);
	assert_int_equal(info.height, 50);
	put_le32(vp8l + 1, bits | 1UL << 29);
	n = make_webp(b, "VP8L", vp8l, sizeof vp8l);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);

	n = make_webp(b, "VP8X", vp8x, sizeof vp8x);
	assert_int_equal(img_sniff(b, n, &info), AC_OK);
	assert_int_equal(info.width, 1024);
	assert_int_equal(info.height, 768);

	/* truncated: the RIFF size says more than there is */
	n = make_webp(b, "VP8 ", vp8, sizeof vp8);
	assert_int_equal(img_sniff(b, n - 1, &info), AC_EINVAL);
	/* a chunk larger than the RIFF */
	put_le32(b + 16, 100);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* not a key frame, no start code, unknown chunk */
	n = make_webp(b, "VP8 ", vp8, sizeof vp8);
	b[20] |= 1;
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_webp(b, "VP8 ", vp8, sizeof vp8);
	b[23] = 0;
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	n = make_webp(b, "ALPH", vp8, sizeof vp8);
	assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	/* width 0 */
	{
		unsigned char z[10];

		memcpy(z, vp8, 10);
		z[6] = 0;
		n = make_webp(b, "VP8 ", z, sizeof z);
		assert_int_equal(img_sniff(b, n, &info), AC_EINVAL);
	}
}

static void test_not_images(void **state)
{
	static const char *const texts[] = {
		"some file data", "", "\x89PNG", "GIF8", "RIFF\x10\x01\x01\x01WAVEfmt ", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
		"BM:xyzw", "\xFF\xD8", "\xFF\xD9\xFF", "RIFF\x04\x01\x01\x01WEBP",
	};
	struct img_info info;

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		assert_int_equal(img_sniff(texts[i], strlen(texts[i]), &info), AC_EINVAL);
	assert_int_equal(img_sniff(NULL, 0, &info), AC_EINVAL);
	assert_null(img_ext(IMG_NONE));
	assert_null(img_mime(IMG_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_jpeg),
		cmocka_unit_test(test_gif),
		cmocka_unit_test(test_webp),
		cmocka_unit_test(test_not_images),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
