/* Unit tests for lib/mime.c: quoted-printable, RFC 2047 words, From handling, header injection, message layout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mime.h"
#include "timefmt.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A strict QP decoder (uppercase hex only, '=' CRLF soft breaks); returns a new string. */
static char *qp_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t k = 0;

	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			out[k++] = s[i];
			continue;
		}
		if (i + 2 < n + 0 && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		assert_true(i + 2 < n);
		assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
		out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
		i += 2;
	}
	out[k] = '\0';
	return out;
}

/* Every line of s (CRLF separated) is at most max characters; no bare CR or LF. */
static void assert_lines_at_most(const char *s, size_t max)
{
	size_t col = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '\r') {
			assert_int_equal(p[1], '\n');
			if (col > max)
				fail_msg("line of %zu characters: %.80s", col, p - col);
			col = 0;
			p++;
			continue;
		}
		assert_int_not_equal(*p, '\n');
		col++;
	}
	assert_true(col <= max);
}

static char *lf_to_crlf(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;

	assert_non_null(out);
	for (; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static void qp_roundtrip(const char *in)
{
	char *enc, *dec, *want;
	size_t len;

	assert_int_equal(mime_qp_encode(in, strlen(in), &enc, &len), AC_OK);
	assert_int_equal(strlen(enc), len);
	assert_lines_at_most(enc, 76);
	/* no trailing blank before a line break */
	for (const char *p = strstr(enc, "\r\n"); p; p = strstr(p + 1, "\r\n"))
		assert_true(p == enc || (p[-1] != ' ' && p[-1] != '\t'));
	dec = qp_decode(enc, len);
	want = lf_to_crlf(in);
	assert_string_equal(dec, want);
	free(enc);
	free(dec);
	free(want);
}

static void test_qp(void **state)
{
	char *enc;
	size_t len;
	char longline[400], mixed[600];

	(void)state;
	assert_int_equal(mime_qp_encode("Hello, world.\n", 14, &enc, &len), AC_OK);
	assert_string_equal(enc, "Hello, world.\r\n");
	free(enc);
	assert_int_equal(mime_qp_encode("a=b é\tx \n", 10, &enc, &len), AC_OK);
	assert_string_equal(enc, "a=3Db =C3=A9\tx=20\r\n");
	free(enc);
	assert_int_equal(mime_qp_encode("end\t", 4, &enc, &len), AC_OK);
	assert_string_equal(enc, "end=09");
	free(enc);
	assert_int_equal(mime_qp_encode("cr\rlf\r\n", 7, &enc, &len), AC_OK);
	assert_string_equal(enc, "cr=0Dlf\r\n");
	free(enc);
	assert_int_equal(mime_qp_encode("", 0, &enc, &len), AC_OK);
	assert_string_equal(enc, "");
	assert_int_equal(len, 0);
	free(enc);
	/* exactly 76 characters fit on a line of their own, 77 need a soft break */
	memset(longline, 'a', 76);
	longline[76] = '\0';
	assert_int_equal(mime_qp_encode(longline, 76, &enc, &len), AC_OK);
	assert_null(strchr(enc, '='));
	free(enc);
	longline[76] = 'a';
	longline[77] = '\0';
	assert_int_equal(mime_qp_encode(longline, 77, &enc, &len), AC_OK);
	assert_non_null(strstr(enc, "=\r\n"));
	free(enc);

	/* a long link survives on its own line */
	snprintf(longline, sizeof longline,
		 "Before\nhttps://api.example.com/users/password-change/confirm/change-password/"
		 "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/"
		 "bohohd-72c12308e11efffde629178b369213ad/\nAfter\n");
	qp_roundtrip(longline);
	qp_roundtrip("trailing spaces   \nand tabs\t\t\nlast line no newline ");
	qp_roundtrip("= at the end=\n==\n");
	/* a run of multi-byte characters: escapes are never split by a soft break */
	mixed[0] = '\0';
	for (int i = 0; i < 60; i++)
		strcat(mixed, "ü");
	strcat(mixed, " x=y\n");
	qp_roundtrip(mixed);
	for (int i = 0; i < 100; i++) {
		char buf[300];
		size_t n = (size_t)(rand() % 299);

		for (size_t j = 0; j < n; j++)
			buf[j] = (char)(1 + rand() % 255);
		buf[n] = '\0';
		/* a bare CR is encoded, so compare only inputs without one */
		for (size_t j = 0; j < n; j++)
			if (buf[j] == '\r')
				buf[j] = 'r';
		qp_roundtrip(buf);
	}
}

static int b64val(char c)
{
	const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(tab, c);

	return c && p ? (int)(p - tab) : -1;
}

/* Decodes a header value made only of =?utf-8?B?...?= words (folded); returns a new string. */
static char *words_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	size_t k = 0;

	assert_non_null(out);
	while (*s) {
		const char *end;
		unsigned v = 0;
		int bits = 0;
		size_t wordlen, start = k;

		assert_memory_equal(s, "=?utf-8?B?", 10);
		end = strstr(s + 10, "?=");
		assert_non_null(end);
		wordlen = (size_t)(end + 2 - s);
		assert_true(wordlen <= 75);
		for (const char *p = s + 10; p < end; p++) {
			if (*p == '=')
				break;
			assert_true(b64val(*p) >= 0);
			v = (v << 6) | (unsigned)b64val(*p);
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[k++] = (char)((v >> bits) & 0xff);
			}
		}
		/* a word never starts inside a UTF-8 sequence */
		assert_true(k > start);
		assert_int_not_equal((unsigned char)out[start] & 0xc0, 0x80);
		s = end + 2;
		if (*s) {
			assert_memory_equal(s, "\r\n ", 3);
			s += 3;
		}
	}
	out[k] = '\0';
	return out;
}

static void test_header_words(void **state)
{
	char *out, *dec, subject[256];

	(void)state;
	assert_int_equal(mime_encode_header("Please, verify your account", 9, &out), AC_OK);
	assert_string_equal(out, "Please, verify your account");
	free(out);

	assert_int_equal(mime_encode_header("Réinitialisation du mot de passe ✓", 9, &out), AC_OK);
	dec = words_decode(out);
	assert_string_equal(dec, "Réinitialisation du mot de passe ✓");
	free(dec);
	free(out);

	/* long non-ASCII text: several words, split only on character boundaries */
	subject[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(subject, "ж€");
	assert_true(strlen(subject) <= 255);
	assert_int_equal(mime_encode_header(subject, 9, &out), AC_OK);
	assert_lines_at_most(out, 78);
	dec = words_decode(out);
	assert_string_equal(dec, subject);
	free(dec);
	free(out);

	/* "=?" in ASCII would be read as an encoded word, so it is encoded */
	assert_int_equal(mime_encode_header("a =?x?= b", 9, &out), AC_OK);
	dec = words_decode(out);
	assert_string_equal(dec, "a =?x?= b");
	free(dec);
	free(out);

	/* long ASCII folds before a space and unfolds to the original */
	memset(subject, 0, sizeof subject);
	for (int i = 0; i < 30; i++)
		strcat(subject, "word123 ");
	subject[strlen(subject) - 1] = '\0';
	assert_int_equal(mime_encode_header(subject, 9, &out), AC_OK);
	assert_non_null(strstr(out, "\r\n "));
	assert_true(strlen(strstr(out, "\r\n")) > 0);
	{
		char unfolded[512];
		size_t k = 0;
		const char *first_break = strstr(out, "\r\n");

		assert_true((size_t)(first_break - out) + 9 <= 78);
		for (const char *p = out; *p; p++) {
			if (p[0] == '\r' && p[1] == '\n') {
				p++;
				continue;
			}
			unfolded[k++] = *p;
		}
		unfolded[k] = '\0';
		assert_string_equal(unfolded, subject);
	}
	free(out);

	/* header injection */
	assert_int_equal(mime_encode_header("Hi\r\nBcc: x@example.com", 9, &out), AC_EINVAL);
	assert_null(out);
	assert_int_equal(mime_encode_header("Hi\nthere", 9, &out), AC_EINVAL);
	assert_int_equal(mime_encode_header("tab\there", 9, &out), AC_EINVAL);
}

static void test_addr_spec(void **state)
{
	char a[MIME_ADDR_MAX + 1];

	(void)state;
	assert_int_equal(mime_addr_spec("webmaster@localhost", a), AC_OK);
	assert_string_equal(a, "webmaster@localhost");
	assert_int_equal(mime_addr_spec("Auth <no-reply@example.com>", a), AC_OK);
	assert_string_equal(a, "no-reply@example.com");
	assert_int_equal(mime_addr_spec("  \"Doe, John\" <j.doe@example.org>  ", a), AC_OK);
	assert_string_equal(a, "j.doe@example.org");
	assert_int_equal(mime_addr_spec("<bare@example.org>", a), AC_OK);
	assert_string_equal(a, "bare@example.org");
	assert_int_equal(mime_addr_spec("Zoë <z@example.org>", a), AC_OK);
	assert_string_equal(a, "z@example.org");

	assert_int_equal(mime_addr_spec("Auth <no-reply@example.com>\r\nBcc: x@y.z", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("Auth <no-reply@exa\nmple.com>", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("no-at-sign", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("Name <>", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("<a@b", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("two words@example.com", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("@example.com", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("x@", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec("", a), AC_EINVAL);
	assert_int_equal(mime_addr_spec(NULL, a), AC_EINVAL);
}

static void test_message_id(void **state)
{
	char a[MIME_MSGID_MAX], b[MIME_MSGID_MAX];

	(void)state;
	assert_int_equal(mime_message_id("Auth <no-reply@example.com>", 1684570801, a), AC_OK);
	assert_int_equal(mime_message_id("Auth <no-reply@example.com>", 1684570801, b), AC_OK);
	assert_string_not_equal(a, b);
	assert_memory_equal(a, "<20230520082001.", 16);
	assert_int_equal(strlen(a), 16 + 32 + strlen("@example.com>"));
	assert_string_equal(a + 16 + 32, "@example.com>");
	assert_int_equal(mime_message_id("x@[192.0.2.1]", 0, a), AC_OK);
	assert_string_equal(a + strlen(a) - strlen("@localhost>"), "@localhost>");
	assert_int_equal(mime_message_id("bad\r\n", 0, a), AC_EINVAL);
}

/* Returns the value of header name in the header block of msg (unfolded), or fails. */
static void header(const char *msg, const char *name, char *out, size_t outlen)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t nl = strlen(name);

	assert_non_null(end);
	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
			size_t k = 0;

			for (p += nl + 2; p < end + 2 && k + 1 < outlen; p++) {
				if (p[0] == '\r' && p[1] == '\n') {
					if (p[2] != ' ' && p[2] != '\t')
						break;
					p++;
					continue;
				}
				out[k++] = *p;
			}
			out[k] = '\0';
			return;
		}
	}
	fail_msg("no %s header", name);
}

#define TEXT_HDR "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
#define HTML_HDR "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"

static void test_build(void **state)
{
	const char *text = "Let's get you verified\n\nVerify email address:\n"
			   "https://api.example.com/users/register/confirm/"
			   "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/"
			   "bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf/\nCafé = ok\n";
	const char *html = "<p>Café &amp; <a href=\"https://x.example/?a=1&amp;b=2\">x</a></p>\n";
	struct mime_mail m = {
		.from = "Auth Team <no-reply@example.com>", .to = "john@example.com",
		.subject = "Please, verify your account", .text = text, .html = html,
		.date = 1684570801, .message_id = "<1.abc@example.com>",
	};
	char *msg, v[512], boundary[128], delim[140], *p1, *p2, *end, *dec, *want;
	size_t len;

	(void)state;
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	assert_int_equal(strlen(msg), len);
	assert_lines_at_most(msg, 78);
	header(msg, "From", v, sizeof v);
	assert_string_equal(v, "Auth Team <no-reply@example.com>");
	header(msg, "To", v, sizeof v);
	assert_string_equal(v, "john@example.com");
	header(msg, "Subject", v, sizeof v);
	assert_string_equal(v, "Please, verify your account");
	header(msg, "Date", v, sizeof v);
	assert_string_equal(v, "Sat, 20 May 2023 08:20:01 +0000");
	header(msg, "Message-ID", v, sizeof v);
	assert_string_equal(v, "<1.abc@example.com>");
	header(msg, "MIME-Version", v, sizeof v);
	assert_string_equal(v, "1.0");
	header(msg, "Content-Type", v, sizeof v);
	assert_memory_equal(v, "multipart/alternative; boundary=\"", 33);
	snprintf(boundary, sizeof boundary, "%.*s", (int)(strlen(v) - 34), v + 33);
	assert_true(strlen(boundary) > 20);

	/* text/plain first, then text/html, both quoted-printable, then the close delimiter */
	snprintf(delim, sizeof delim, "--%s\r\n", boundary);
	p1 = strstr(msg, delim);
	assert_non_null(p1);
	p2 = strstr(p1 + 1, delim);
	assert_non_null(p2);
	assert_null(strstr(p2 + 1, delim));
	assert_memory_equal(p1 + strlen(delim), TEXT_HDR, strlen(TEXT_HDR));
	assert_memory_equal(p2 + strlen(delim), HTML_HDR, strlen(HTML_HDR));
	snprintf(delim, sizeof delim, "\r\n--%s--\r\n", boundary);
	end = strstr(msg, delim);
	assert_non_null(end);
	assert_string_equal(end, delim);

	p1 += strlen(boundary) + 4 + strlen(TEXT_HDR);
	dec = qp_decode(p1, (size_t)(p2 - 2 - p1));
	want = lf_to_crlf(text);
	assert_string_equal(dec, want);
	assert_non_null(strstr(dec, "\r\nhttps://api.example.com/users/register/confirm/"
				    "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/"
				    "bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf/\r\n"));
	free(dec);
	free(want);
	p2 += strlen(boundary) + 4 + strlen(HTML_HDR);
	dec = qp_decode(p2, (size_t)(end - p2));
	want = lf_to_crlf(html);
	assert_string_equal(dec, want);
	free(dec);
	free(want);
	free(msg);
}

static void test_build_from_and_subject(void **state)
{
	struct mime_mail m = {
		.from = "Doe, John <j@example.org>", .to = "a@example.com",
		.subject = "Réinitialisation", .text = "t", .html = "h", .date = 0,
		.message_id = "<x@y>",
	};
	char *msg, v[512], *dec;
	size_t len;

	(void)state;
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	header(msg, "From", v, sizeof v);
	assert_string_equal(v, "\"Doe, John\" <j@example.org>");
	header(msg, "Subject", v, sizeof v);
	dec = words_decode(v);
	assert_string_equal(dec, "Réinitialisation");
	free(dec);
	free(msg);

	m.from = "\"Zoë \\\"Z\\\"\" <z@example.org>";
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	header(msg, "From", v, sizeof v);
	assert_memory_equal(v, "=?utf-8?B?", 10);
	*strstr(v, " <z@example.org>") = '\0';
	dec = words_decode(v);
	assert_string_equal(dec, "Zoë \"Z\"");
	free(dec);
	free(msg);

	m.from = "plain@example.org";
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	header(msg, "From", v, sizeof v);
	assert_string_equal(v, "plain@example.org");
	free(msg);
}

static void test_build_rejects(void **state)
{
	struct mime_mail good = {
		.from = "Auth <no-reply@example.com>", .to = "a@example.com", .subject = "S",
		.text = "t", .html = "h", .date = 0, .message_id = "<x@y>",
	};
	struct mime_mail m;
	char *msg = (char *)1, big[600];
	size_t len = 1;

	(void)state;
	m = good;
	m.to = "a@example.com\r\nBcc: victim@example.com";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	assert_null(msg);
	assert_int_equal(len, 0);
	m = good;
	m.to = "a@example.com\n";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.to = "Name <a@example.com>";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.subject = "Hello\r\nBcc: victim@example.com";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.subject = "Hello\rthere";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.from = "Auth <no-reply@example.com>\r\nBcc: victim@example.com";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.from = "Au\nth <no-reply@example.com>";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	m.message_id = "<x@y>\r\nBcc: v@e.com";
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	m = good;
	memset(big, 'a', 256);
	big[256] = '\0';
	m.subject = big;
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	big[255] = '\0';
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	assert_lines_at_most(msg, 998);
	free(msg);
	/* the limit counts characters: 255 two-byte characters fit, 256 do not */
	big[0] = '\0';
	for (int i = 0; i < 256; i++)
		strcat(big, "\xc3\xa9");
	m.subject = big;
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
	big[510] = '\0';
	assert_int_equal(mime_build(&m, &msg, &len), AC_OK);
	free(msg);
	m = good;
	m.text = NULL;
	assert_int_equal(mime_build(&m, &msg, &len), AC_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_header_words),
		cmocka_unit_test(test_addr_spec),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_from_and_subject),
		cmocka_unit_test(test_build_rejects),
	};

	srand(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
