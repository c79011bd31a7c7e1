/* A small, strict multipart/form-data parser (RFC 7578, RFC 2046 §5.1): zero-copy, bounded. */
#include "mp.h"
#include "err.h"

#include <string.h>
#include <strings.h>

enum { MP_START, MP_PARTS, MP_DONE, MP_ERROR };

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 bchars: what a boundary may consist of (a space only inside). */
static int is_bchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

/* A cursor over one header value or one Content-Type (len bytes, not NUL-terminated). */
struct cur {
	const char *s;
	size_t len;
	size_t i;
};

static void skip_ows(struct cur *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
		c->i++;
}

/* A token at the cursor: its start and length (0 when there is none). */
static size_t token(struct cur *c, const char **start)
{
	size_t b = c->i;

	while (c->i < c->len && is_tchar((unsigned char)c->s[c->i]))
		c->i++;
	*start = c->s + b;
	return c->i - b;
}

/* name=value after a ';': value is a token or a quoted string taken literally. 0 or AC_EINVAL. */
static int param(struct cur *c, const char **name, size_t *name_len, const char **val,
		 size_t *val_len)
{
	*name_len = token(c, name);
	if (*name_len == 0 || c->i >= c->len || c->s[c->i] != '=')
		return AC_EINVAL;
	c->i++;
	if (c->i < c->len && c->s[c->i] == '"') {
		const char *end = memchr(c->s + c->i + 1, '"', c->len - c->i - 1);

		if (!end)
			return AC_EINVAL;
		*val = c->s + c->i + 1;
		*val_len = (size_t)(end - *val);
		c->i = (size_t)(end - c->s) + 1;
		return AC_OK;
	}
	*val_len = token(c, val);
	return *val_len ? AC_OK : AC_EINVAL;
}

typedef int (*param_fn)(void *arg, const char *n, size_t nl, const char *v, size_t vl);

/*
 * The parameter list after a media type or disposition type: *( OWS ";" OWS param ) OWS.
 * Calls fn for each parameter; fn returns 0 or AC_EINVAL.
 */
static int params(struct cur *c, param_fn fn, void *arg)
{
	for (;;) {
		const char *n, *v;
		size_t nl, vl;

		skip_ows(c);
		if (c->i == c->len)
			return AC_OK;
		if (c->s[c->i] != ';')
			return AC_EINVAL;
		c->i++;
		skip_ows(c);
		if (param(c, &n, &nl, &v, &vl) != AC_OK || fn(arg, n, nl, v, vl) != AC_OK)
			return AC_EINVAL;
	}
}

static int name_is(const char *n, size_t nl, const char *want)
{
	return nl == strlen(want) && strncasecmp(n, want, nl) == 0;
}

struct boundary_arg {
	char *out;
	int seen;
};

static int boundary_param(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct boundary_arg *b = arg;

	if (!name_is(n, nl, "boundary"))
		return AC_OK;
	if (b->seen || vl == 0 || vl > MP_BOUNDARY_MAX || v[vl - 1] == ' ')
		return AC_EINVAL;
	for (size_t i = 0; i < vl; i++)
		if (!is_bchar((unsigned char)v[i]))
			return AC_EINVAL;
	memcpy(b->out, v, vl);
	b->out[vl] = '\0';
	b->seen = 1;
	return AC_OK;
}

int mp_boundary(const char *content_type, char out[MP_BOUNDARY_MAX + 1])
{
	struct boundary_arg b = { out, 0 };
	struct cur c;
	const char *t;
	size_t tl, sl;

	out[0] = '\0';
	if (!content_type)
		return AC_EINVAL;
	c.s = content_type;
	c.len = strlen(content_type);
	c.i = 0;
	skip_ows(&c);
	tl = token(&c, &t);
	if (tl != strlen("multipart") || strncasecmp(t, "multipart", tl) != 0 ||
	    c.i >= c.len || c.s[c.i] != '/')
		return AC_EINVAL;
	c.i++;
	sl = token(&c, &t);
	if (!name_is(t, sl, "form-data"))
		return AC_EINVAL;
	if (params(&c, boundary_param, &b) != AC_OK || !b.seen) {
		out[0] = '\0';
		return AC_EINVAL;
	}
	return AC_OK;
}

void mp_init(struct mp *m, const char *boundary, const char *buf, size_t len)
{
	size_t bl = strnlen(boundary, MP_BOUNDARY_MAX);

	memcpy(m->delim, "\r\n--", 4);
	memcpy(m->delim + 4, boundary, bl);
	m->delim[4 + bl] = '\0';
	m->delim_len = 4 + bl;
	m->buf = buf;
	m->len = len;
	m->pos = 0;
	m->state = bl ? MP_START : MP_ERROR;
}

static int fail(struct mp *m)
{
	m->state = MP_ERROR;
	return AC_EINVAL;
}

/* After a boundary: CRLF starts a part (1); "--" then nothing or CRLF closes the body (0). */
static int after_boundary(struct mp *m)
{
	const char *p = m->buf + m->pos;
	size_t left = m->len - m->pos;

	if (left >= 2 && p[0] == '\r' && p[1] == '\n') {
		m->pos += 2;
		return 1;
	}
	if (left >= 2 && p[0] == '-' && p[1] == '-' &&
	    (left == 2 || (left == 4 && p[2] == '\r' && p[3] == '\n'))) {
		m->pos = m->len;
		m->state = MP_DONE;
		return 0;
	}
	return fail(m);
}

struct disp_arg {
	struct mp_part *p;
	int have_name;
};

static int disposition_param(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
	struct disp_arg *d = arg;

	if (name_is(n, nl, "name")) {
		if (d->have_name)
			return AC_EINVAL;
		d->have_name = 1;
		d->p->name = v;
		d->p->name_len = vl;
	} else if (name_is(n, nl, "filename")) {
		if (d->p->has_filename)
			return AC_EINVAL;
		d->p->has_filename = 1;
		d->p->filename = v;
		d->p->filename_len = vl;
	}
	return AC_OK;
}

/* Content-Disposition: form-data; name="..." [; filename="..."] [; other params]. */
static int disposition(const char *v, size_t vl, struct mp_part *p)
{
	struct disp_arg d = { p, 0 };
	struct cur c = { v, vl, 0 };
	const char *t;
	size_t tl = token(&c, &t);

	if (!name_is(t, tl, "form-data") || params(&c, disposition_param, &d) != AC_OK)
		return AC_EINVAL;
	return d.have_name ? AC_OK : AC_EINVAL;
}

/* One "Name: value" line (without its CRLF). */
static int header_line(const char *s, size_t len, struct mp_part *p, int *have_cd)
{
	struct cur c = { s, len, 0 };
	const char *n;
	size_t nl = token(&c, &n), vb, ve;

	if (nl == 0 || c.i >= len || s[c.i] != ':')
		return AC_EINVAL;
	c.i++;
	skip_ows(&c);
	vb = c.i;
	ve = len;
	while (ve > vb && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
		ve--;
	if (name_is(n, nl, "content-disposition")) {
		if (*have_cd)
			return AC_EINVAL;
		*have_cd = 1;
		return disposition(s + vb, ve - vb, p);
	}
	if (name_is(n, nl, "content-type")) {
		if (p->content_type)
			return AC_EINVAL;
		p->content_type = s + vb;
		p->content_type_len = ve - vb;
	}
	return AC_OK;
}

/* The header block at m->pos up to and including its blank line, within MP_HEADER_MAX bytes. */
static int headers(struct mp *m, struct mp_part *p)
{
	size_t limit = m->len - m->pos > MP_HEADER_MAX ? m->pos + MP_HEADER_MAX : m->len;
	int have_cd = 0;

	for (;;) {
		size_t start = m->pos, i = start;

		while (i < limit) {
			unsigned char ch = (unsigned char)m->buf[i];

			if (ch == '\r' || ch == '\n')
				break;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return AC_EINVAL;
			i++;
		}
		if (i + 2 > limit || m->buf[i] != '\r' || m->buf[i + 1] != '\n')
			return AC_EINVAL;
		m->pos = i + 2;
		if (i == start)
			break;
		if (m->buf[start] == ' ' || m->buf[start] == '\t')
			return AC_EINVAL; /* obsolete line folding */
		if (header_line(m->buf + start, i - start, p, &have_cd) != AC_OK)
			return AC_EINVAL;
	}
	return have_cd ? AC_OK : AC_EINVAL;
}

int mp_next(struct mp *m, struct mp_part *part)
{
	const char *end;
	size_t bl = m->delim_len - 2;
	int r;

	memset(part, 0, sizeof *part);
	if (m->state == MP_ERROR)
		return AC_EINVAL;
	if (m->state == MP_DONE)
		return 0;
	if (m->state == MP_START) {
		/* The first delimiter has no CRLF before it. */
		if (m->len < bl || memcmp(m->buf, m->delim + 2, bl) != 0)
			return fail(m);
		m->pos = bl;
		m->state = MP_PARTS;
		r = after_boundary(m);
		if (r <= 0)
			return r;
	}
	if (headers(m, part) != AC_OK) {
		memset(part, 0, sizeof *part);
		return fail(m);
	}
	end = memmem(m->buf + m->pos, m->len - m->pos, m->delim, m->delim_len);
	if (!end) {
		memset(part, 0, sizeof *part);
		return fail(m);
	}
	part->data = m->buf + m->pos;
	part->data_len = (size_t)(end - part->data);
	m->pos = (size_t)(end - m->buf) + m->delim_len;
	if (after_boundary(m) < 0) {
		memset(part, 0, sizeof *part);
		return AC_EINVAL;
	}
	return 1;
}
