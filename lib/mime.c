/* Assembles the RFC 5322 e-mail of API.md §6.2: headers, RFC 2047 words, multipart/alternative, QP parts. */
#include "mime.h"
#include "crypto.h"
#include "buf.h"
#include "err.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX (1024 * 1024)  /* bound on each part before encoding */
#define FROM_MAX 512
#define SUBJECT_MAX 255         /* characters, as varchar(255) */
#define WORD_BYTES 42           /* UTF-8 bytes per encoded-word: 56 base64 + 12 = 68 characters */

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* UTF-8 characters in s: the bytes that do not continue a sequence. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* A plausible bare address: printable ASCII without specials, with text on both sides of the last '@'. */
static int addr_ok(const char *a, size_t n)
{
	const char *at = NULL;

	if (n < 3 || n > MIME_ADDR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];

		if (c <= 0x20 || c >= 0x7f || strchr("<>(),;:\\\"", c))
			return 0;
		if (c == '@')
			at = a + i;
	}
	return at && at > a && at < a + n - 1;
}

/* Splits "addr" or "Name <addr>" into the trimmed name (maybe empty) and the address. */
static int split_from(const char *from, const char **name, size_t *name_len,
		      const char **addr, size_t *addr_len)
{
	size_t n;
	const char *lt;

	if (!from || has_ctl(from) || strlen(from) > FROM_MAX)
		return AC_EINVAL;
	while (is_ws(*from))
		from++;
	n = strlen(from);
	while (n && is_ws(from[n - 1]))
		n--;
	*name = from;
	*name_len = 0;
	*addr = from;
	*addr_len = n;
	if (n && from[n - 1] == '>') {
		lt = NULL;
		for (size_t i = 0; i < n; i++)
			if (from[i] == '<')
				lt = from + i;
		if (!lt)
			return AC_EINVAL;
		*addr = lt + 1;
		*addr_len = (size_t)(from + n - 1 - *addr);
		*name_len = (size_t)(lt - from);
		while (*name_len && is_ws(from[*name_len - 1]))
			(*name_len)--;
	}
	return addr_ok(*addr, *addr_len) ? AC_OK : AC_EINVAL;
}

int mime_addr_spec(const char *from, char out[MIME_ADDR_MAX + 1])
{
	const char *name, *addr;
	size_t nl, al;

	out[0] = '\0';
	if (split_from(from, &name, &nl, &addr, &al) != AC_OK)
		return AC_EINVAL;
	memcpy(out, addr, al);
	out[al] = '\0';
	return AC_OK;
}

static void base64(const unsigned char *in, size_t n, struct buf *b)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char q[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = tab[(v >> 18) & 63];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? tab[v & 63] : '=';
		buf_add(b, q, 4);
	}
}

static void encoded_words(const char *s, size_t n, struct buf *b)
{
	size_t i = 0;

	while (i < n) {
		size_t k = n - i < WORD_BYTES ? n - i : WORD_BYTES;

		/* never end a word inside a UTF-8 sequence (unless the sequence is malformed) */
		if (i + k < n) {
			size_t back = k;

			while (back > 0 && ((unsigned char)s[i + back] & 0xc0) == 0x80)
				back--;
			if (back > 0)
				k = back;
		}
		if (i)
			buf_str(b, "\r\n ");
		buf_str(b, "=?utf-8?B?");
		base64((const unsigned char *)s + i, k, b);
		buf_str(b, "?=");
		i += k;
	}
}

static int needs_words(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 1;
	return 0;
}

/* ASCII text folded before a space whenever a line would pass 78 characters. */
static void folded(const char *s, size_t n, size_t col, struct buf *b)
{
	size_t i = 0;
	int first = 1;

	while (i <= n) {
		size_t j = i;

		while (j < n && s[j] != ' ')
			j++;
		if (!first) {
			if (col + 1 + (j - i) > 78 && col > 1) {
				buf_str(b, "\r\n ");
				col = 1;
			} else {
				buf_str(b, " ");
				col++;
			}
		}
		buf_add(b, s + i, j - i);
		col += j - i;
		first = 0;
		i = j + 1;
	}
}

int mime_encode_header(const char *value, size_t name_len, char **out)
{
	struct buf b = BUF_INIT(0);
	size_t n;

	*out = NULL;
	if (!value || has_ctl(value))
		return AC_EINVAL;
	n = strlen(value);
	if (needs_words(value, n))
		encoded_words(value, n, &b);
	else
		folded(value, n, name_len, &b);
	return buf_finish(&b, out, NULL);
}

/* The From field value: the address alone, or a display name (plain, quoted or encoded) and <addr>. */
static int from_value(const char *from, struct buf *b)
{
	const char *name, *addr;
	size_t nl, al;
	char *nm;
	int special = 0;

	if (split_from(from, &name, &nl, &addr, &al) != AC_OK)
		return AC_EINVAL;
	if (nl >= 2 && name[0] == '"' && name[nl - 1] == '"') {
		name++;
		nl -= 2;
	}
	nm = malloc(nl + 1);
	if (!nm)
		return AC_ENOMEM;
	/* unescape a quoted name so that it is re-quoted or encoded exactly once */
	{
		size_t k = 0;

		for (size_t i = 0; i < nl; i++) {
			if (name[i] == '\\' && i + 1 < nl)
				i++;
			nm[k++] = name[i];
		}
		nm[k] = '\0';
		nl = k;
	}
	if (nl == 0) {
		buf_add(b, addr, al);
	} else if (needs_words(nm, nl)) {
		encoded_words(nm, nl, b);
		buf_str(b, " <");
		buf_add(b, addr, al);
		buf_str(b, ">");
	} else {
		for (size_t i = 0; i < nl; i++)
			if (strchr("()<>[]:;@\\,.\"", nm[i]))
				special = 1;
		if (special) {
			buf_str(b, "\"");
			for (size_t i = 0; i < nl; i++) {
				if (nm[i] == '"' || nm[i] == '\\')
					buf_str(b, "\\");
				buf_add(b, nm + i, 1);
			}
			buf_str(b, "\"");
		} else {
			buf_add(b, nm, nl);
		}
		buf_str(b, " <");
		buf_add(b, addr, al);
		buf_str(b, ">");
	}
	free(nm);
	return AC_OK;
}

int mime_message_id(const char *from, time_t now, char out[MIME_MSGID_MAX])
{
	const char *name, *addr, *at = NULL;
	size_t nl, al, dl;
	unsigned char rnd[16];
	char hex[33], domain[MIME_ADDR_MAX + 1];
	struct tm t;

	out[0] = '\0';
	if (split_from(from, &name, &nl, &addr, &al) != AC_OK)
		return AC_EINVAL;
	for (size_t i = 0; i < al; i++)
		if (addr[i] == '@')
			at = addr + i;
	dl = (size_t)(addr + al - at - 1);
	memcpy(domain, at + 1, dl);
	domain[dl] = '\0';
	/* a domain literal or odd domain is not a dot-atom: fall back to a fixed one */
	for (size_t i = 0; i < dl; i++) {
		char c = domain[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.')) {
			strcpy(domain, "localhost");
			break;
		}
	}
	if (sec_random(rnd, sizeof rnd) != AC_OK)
		return AC_EINTERNAL;
	sec_hex(rnd, sizeof rnd, hex);
	if (!gmtime_r(&now, &t))
		memset(&t, 0, sizeof t);
	snprintf(out, MIME_MSGID_MAX, "<%04d%02d%02d%02d%02d%02d.%s@%s>", t.tm_year + 1900,
		 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, hex, domain);
	return AC_OK;
}

int mime_qp_encode(const char *in, size_t len, char **out, size_t *outlen)
{
	static const char hexd[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(0);
	size_t col = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char tok[3];
		size_t tl, next = i + 1;
		int last;

		if (c == '\n' || (c == '\r' && next < len && in[next] == '\n')) {
			if (c == '\r')
				i++;
			buf_str(&b, "\r\n");
			col = 0;
			continue;
		}
		last = next == len || in[next] == '\n' ||
		       (in[next] == '\r' && next + 1 < len && in[next + 1] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') || (is_ws((char)c) && !last)) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hexd[c >> 4];
			tok[2] = hexd[c & 15];
			tl = 3;
		}
		/* 76 characters per line at most, counting the '=' of a soft break */
		if (col + tl > (last ? 76u : 75u)) {
			buf_str(&b, "=\r\n");
			col = 0;
		}
		buf_add(&b, tok, tl);
		col += tl;
	}
	return buf_finish(&b, out, outlen);
}

static void part(struct buf *b, const char *boundary, const char *type, const char *qp)
{
	buf_str(b, "--");
	buf_str(b, boundary);
	buf_str(b, "\r\nContent-Type: ");
	buf_str(b, type);
	buf_str(b, "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	buf_str(b, qp);
	buf_str(b, "\r\n");
}

int mime_build(const struct mime_mail *m, char **out, size_t *outlen)
{
	struct buf b = BUF_INIT(0);
	char date[TM_BUF], boundary[64], hex[33], *subj = NULL, *qt = NULL, *qh = NULL;
	unsigned char rnd[16];
	size_t tl, hl;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!m->to || !m->subject || !m->text || !m->html || !m->message_id)
		return AC_EINVAL;
	if (!addr_ok(m->to, strlen(m->to)) || chars(m->subject) > SUBJECT_MAX ||
	    has_ctl(m->message_id) || strchr(m->message_id, ' ') || m->message_id[0] != '<')
		return AC_EINVAL;
	tl = strlen(m->text);
	hl = strlen(m->html);
	if (tl > BODY_MAX || hl > BODY_MAX)
		return AC_EBOUNDS;
	rc = mime_encode_header(m->subject, strlen("Subject: "), &subj);
	if (rc != AC_OK)
		return rc;
	if (sec_random(rnd, sizeof rnd) != AC_OK) {
		free(subj);
		return AC_EINTERNAL;
	}
	sec_hex(rnd, sizeof rnd, hex);
	/* "=_" never occurs in quoted-printable output, so the boundary cannot clash with a part */
	snprintf(boundary, sizeof boundary, "=_authcgi_%s", hex);
	tm_rfc5322(m->date, date);

	buf_str(&b, "From: ");
	rc = from_value(m->from, &b);
	if (rc == AC_OK)
		rc = mime_qp_encode(m->text, tl, &qt, NULL);
	if (rc == AC_OK)
		rc = mime_qp_encode(m->html, hl, &qh, NULL);
	if (rc != AC_OK) {
		free(subj);
		free(qt);
		free(b.p);
		return rc;
	}
	buf_str(&b, "\r\nTo: ");
	buf_str(&b, m->to);
	buf_str(&b, "\r\nSubject: ");
	buf_str(&b, subj);
	buf_str(&b, "\r\nDate: ");
	buf_str(&b, date);
	buf_str(&b, "\r\nMessage-ID: ");
	buf_str(&b, m->message_id);
	buf_str(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"");
	buf_str(&b, boundary);
	buf_str(&b, "\"\r\n\r\n");
	part(&b, boundary, "text/plain", qt);
	part(&b, boundary, "text/html", qh);
	buf_str(&b, "--");
	buf_str(&b, boundary);
	buf_str(&b, "--\r\n");
	free(subj);
	free(qt);
	free(qh);
	return buf_finish(&b, out, outlen);
}
