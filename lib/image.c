/* Image content sniffing for thumbnails: PNG, JPEG, GIF or WebP, with dimensions read from the header. */
#include "image.h"
#include "err.h"

#include <string.h>

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[1] << 8 | p[0];
}

static unsigned long le24(const unsigned char *p)
{
	return (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

static unsigned long le32(const unsigned char *p)
{
	return (unsigned long)p[3] << 24 | le24(p);
}

static int set_dims(struct img_info *info, enum img_type t, unsigned long w, unsigned long h)
{
	if (w < 1 || h < 1 || w > IMG_MAX_DIM || h > IMG_MAX_DIM)
		return AC_EINVAL;
	info->type = t;
	info->width = (unsigned)w;
	info->height = (unsigned)h;
	return AC_OK;
}

static int png(const unsigned char *p, size_t len, struct img_info *info)
{
	static const unsigned char iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82 };
	unsigned depth, colour;
	int ok;

	/* signature, IHDR (4 + 4 + 13 + CRC 4), at least the IEND chunk */
	if (len < 8 + 25 + 12 || be32(p + 8) != 13 || memcmp(p + 12, "IHDR", 4) != 0)
		return AC_EINVAL;
	depth = p[24];
	colour = p[25];
	switch (colour) {
	case 0:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
		break;
	case 3:
		ok = depth == 1 || depth == 2 || depth == 4 || depth == 8;
		break;
	case 2:
	case 4:
	case 6:
		ok = depth == 8 || depth == 16;
		break;
	default:
		ok = 0;
	}
	if (!ok || p[26] != 0 || p[27] != 0 || p[28] > 1 || memcmp(p + len - 12, iend, 12) != 0)
		return AC_EINVAL;
	return set_dims(info, IMG_PNG, be32(p + 16), be32(p + 20));
}

static int is_sof(unsigned m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* Walks the marker segments after SOI to the first frame header. */
static int jpeg(const unsigned char *p, size_t len, struct img_info *info)
{
	size_t i = 2;

	for (;;) {
		unsigned m, seglen;

		if (i >= len || p[i] != 0xFF)
			return AC_EINVAL;
		while (i < len && p[i] == 0xFF)
			i++; /* fill bytes */
		if (i >= len)
			return AC_EINVAL;
		m = p[i++];
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
			continue; /* standalone markers */
		if (m == 0x00 || m == 0xD8 || m == 0xD9 || m == 0xDA)
			return AC_EINVAL; /* no frame header before the scan or the end */
		if (len - i < 2)
			return AC_EINVAL;
		seglen = be16(p + i);
		if (seglen < 2 || len - i < seglen)
			return AC_EINVAL;
		if (is_sof(m)) {
			/* length, precision, height, width, component count */
			if (seglen < 8 || p[i + 7] == 0)
				return AC_EINVAL;
			return set_dims(info, IMG_JPEG, be16(p + i + 5), be16(p + i + 3));
		}
		i += seglen;
	}
}

static int gif(const unsigned char *p, size_t len, struct img_info *info)
{
	if (len < 13)
		return AC_EINVAL;
	return set_dims(info, IMG_GIF, le16(p + 6), le16(p + 8));
}

static int webp(const unsigned char *p, size_t len, struct img_info *info)
{
	unsigned long riff, chunk;
	const unsigned char *c = p + 20;

	if (len < 20)
		return AC_EINVAL;
	riff = le32(p + 4);
	chunk = le32(p + 16);
	if (riff < 12 || riff > len - 8 || chunk > riff - 12)
		return AC_EINVAL;
	if (memcmp(p + 12, "VP8 ", 4) == 0) {
		/* key frame tag, start code, 14-bit width and height */
		if (chunk < 10 || (c[0] & 1) != 0 || c[3] != 0x9D || c[4] != 0x01 || c[5] != 0x2A)
			return AC_EINVAL;
		return set_dims(info, IMG_WEBP, le16(c + 6) & 0x3FFF, le16(c + 8) & 0x3FFF);
	}
	if (memcmp(p + 12, "VP8L", 4) == 0) {
		unsigned long bits;

		if (chunk < 5 || c[0] != 0x2F)
			return AC_EINVAL;
		bits = le32(c + 1);
		if (bits >> 29)
			return AC_EINVAL; /* version must be 0 */
		return set_dims(info, IMG_WEBP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
	}
	if (memcmp(p + 12, "VP8X", 4) == 0) {
		if (chunk < 10)
			return AC_EINVAL;
		return set_dims(info, IMG_WEBP, le24(c + 4) + 1, le24(c + 7) + 1);
	}
	return AC_EINVAL;
}

int img_sniff(const void *data, size_t len, struct img_info *info)
{
	static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	const unsigned char *p = data;
	int rc = AC_EINVAL;

	memset(info, 0, sizeof *info);
	if (!p)
		return AC_EINVAL;
	if (len >= 8 && memcmp(p, png_sig, 8) == 0)
		rc = png(p, len, info);
	else if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		rc = jpeg(p, len, info);
	else if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		rc = gif(p, len, info);
	else if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		rc = webp(p, len, info);
	if (rc != AC_OK)
		memset(info, 0, sizeof *info);
	return rc;
}

const char *img_ext(enum img_type t)
{
	switch (t) {
	case IMG_PNG:
		return "png";
	case IMG_JPEG:
		return "jpg";
	case IMG_GIF:
		return "gif";
	case IMG_WEBP:
		return "webp";
	default:
		return NULL;
	}
}

const char *img_mime(enum img_type t)
{
	switch (t) {
	case IMG_PNG:
		return "image/png";
	case IMG_JPEG:
		return "image/jpeg";
	case IMG_GIF:
		return "image/gif";
	case IMG_WEBP:
		return "image/webp";
	default:
		return NULL;
	}
}
