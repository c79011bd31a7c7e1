/* Image content sniffing for thumbnails: PNG, JPEG, GIF or WebP, with dimensions read from the header. */
#ifndef AUTHCGI_IMAGE_H
#define AUTHCGI_IMAGE_H

#include <stddef.h>

#define IMG_MAX_DIM 16384

enum img_type { IMG_NONE, IMG_PNG, IMG_JPEG, IMG_GIF, IMG_WEBP };

struct img_info {
	enum img_type type;
	unsigned width;
	unsigned height;
};

/*
 * Identifies data by its bytes alone (API.md §7.10): the PNG, JPEG, GIF or WebP signature,
 * then the header structure up to the dimensions, which must each be 1..IMG_MAX_DIM.
 * PNG: IHDR first with a valid bit depth and colour type, and an IEND chunk at the end.
 * JPEG: a well-formed marker sequence up to the first SOFn frame header.
 * GIF: the logical screen size. WebP: a RIFF size that fits and a VP8, VP8L or VP8X header.
 * Returns 0 and fills *info, or AC_EINVAL (info->type is then IMG_NONE).
 */
int img_sniff(const void *data, size_t len, struct img_info *info);

/* "png", "jpg", "gif", "webp"; NULL for IMG_NONE. */
const char *img_ext(enum img_type t);
/* "image/png", "image/jpeg", "image/gif", "image/webp"; NULL for IMG_NONE. */
const char *img_mime(enum img_type t);

#endif
