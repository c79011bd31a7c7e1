/* Activation and password-reset tokens, and the uidb64 link encoding (API.md §5). */
#include "tok.h"
#include "tok_internal.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define TOK_TS_MAX 13    /* base36 digits of UINT64_MAX */
#define TOK_HASH_LEN 32
#define TOK_LEN_MAX (TOK_TS_MAX + 1 + TOK_HASH_LEN)  /* 46, §9 */
#define KEY_IN_MAX 4096  /* key_salt ‖ SECRET_KEY */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

/* Compilers may drop a plain memset of a dead buffer; this one they may not. */
static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static const char *key_salt(enum tok_purpose purpose)
{
	switch (purpose) {
	case TOK_ACTIVATION:
		return "auth.tokens.activation";
	case TOK_RESET_LINK:
		return "auth.tokens.password-reset";
	case TOK_RESET_FORM:
		return "auth.tokens.password-reset-form";
	}
	return NULL;
}

int tok_key(const char *secret, size_t secretlen, enum tok_purpose purpose, unsigned char key[32])
{
	const char *salt = key_salt(purpose);
	unsigned char in[KEY_IN_MAX];
	size_t saltlen;

	if (!salt || !secret)
		return AC_EINVAL;
	saltlen = strlen(salt);
	if (secretlen > sizeof in - saltlen)
		return AC_EINVAL;
	memcpy(in, salt, saltlen);
	memcpy(in + saltlen, secret, secretlen);
	sec_sha256(in, saltlen + secretlen, key);
	wipe(in, sizeof in);
	return AC_OK;
}

/* The `login` part: last_login as "YYYY-MM-DD HH:MM:SS" UTC, "" when NULL. */
static int login_part(const char *last_login, char out[TM_BUF])
{
	time_t sec;
	long usec;

	out[0] = '\0';
	if (!last_login)
		return AC_OK;
	if (tm_db_parse(last_login, &sec, &usec) != AC_OK)
		return AC_EINVAL;
	tm_db_format(sec, 0, out);
	return AC_OK;
}

static int append(char *out, size_t outlen, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (l >= outlen - *n)
		return AC_EINVAL;
	memcpy(out + *n, s, l + 1);
	*n += l;
	return AC_OK;
}

int tok_msg(const struct tok_user *u, uint64_t ts, char *out, size_t outlen, size_t *msglen)
{
	char login[TM_BUF], tsdec[24], db[33];
	size_t n = 0;

	if (!u || !u->id || !u->password || !u->email || !out || outlen == 0)
		return AC_EINVAL;
	/* Catches a caller passing the 32-hex storage form instead of the hyphenated one. */
	if (sec_uuid_to_db(u->id, db) != AC_OK)
		return AC_EINVAL;
	if (login_part(u->last_login, login) != AC_OK) {
		log_error("token: unparsable last_login for user %s", u->id);
		return AC_EINVAL;
	}
	snprintf(tsdec, sizeof tsdec, "%llu", (unsigned long long)ts);
	out[0] = '\0';
	if (append(out, outlen, &n, u->id) || append(out, outlen, &n, u->password) ||
	    append(out, outlen, &n, login) || append(out, outlen, &n, tsdec) ||
	    append(out, outlen, &n, u->email) ||
	    append(out, outlen, &n, u->is_active ? "True" : "False"))
		return AC_EINVAL;
	*msglen = n;
	return AC_OK;
}

int tok_mac(const char *secret, size_t secretlen, enum tok_purpose purpose,
	    const struct tok_user *u, uint64_t ts, char mac[65])
{
	unsigned char key[32], md[32];
	char msg[TOK_MSG_MAX];
	size_t msglen;
	int rc;

	if ((rc = tok_key(secret, secretlen, purpose, key)) != AC_OK)
		return rc;
	rc = tok_msg(u, ts, msg, sizeof msg, &msglen);
	if (rc == AC_OK) {
		sec_hmac_sha256(key, sizeof key, msg, msglen, md);
		sec_hex(md, sizeof md, mac);
	}
	wipe(key, sizeof key);
	wipe(md, sizeof md);
	wipe(msg, sizeof msg);
	return rc;
}

/* hash32: the characters at even positions of the hex mac, NUL-terminated. */
static int hash32(const char *secret, size_t secretlen, enum tok_purpose purpose,
		  const struct tok_user *u, uint64_t ts, char out[TOK_HASH_LEN + 1])
{
	char mac[65];
	int rc = tok_mac(secret, secretlen, purpose, u, ts, mac);

	if (rc == AC_OK) {
		for (size_t i = 0; i < TOK_HASH_LEN; i++)
			out[i] = mac[2 * i];
		out[TOK_HASH_LEN] = '\0';
	}
	wipe(mac, sizeof mac);
	return rc;
}

void tok_base36(uint64_t v, char out[14])
{
	char rev[14];
	size_t n = 0;

	do {
		rev[n++] = b36[v % 36];
		v /= 36;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
}

int tok_base36_decode(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || len == 0 || len > TOK_TS_MAX || (len > 1 && s[0] == '0'))
		return AC_EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'z')
			d = (unsigned)(s[i] - 'a') + 10;
		else
			return AC_EINVAL;
		if (v > (UINT64_MAX - d) / 36)
			return AC_EINVAL;
		v = v * 36 + d;
	}
	*out = v;
	return AC_OK;
}

/* Rules 1-3 of §5.4: splits a token into its ts and the position of hash32. */
static int parse(const char *token, uint64_t *ts, const char **hash)
{
	size_t len, dash = 0, ndash = 0;

	if (!token)
		return AC_EINVAL;
	len = strnlen(token, TOK_LEN_MAX + 1);
	if (len > TOK_LEN_MAX)
		return AC_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (token[i] == '-') {
			ndash++;
			dash = i;
		}
	if (ndash != 1 || tok_base36_decode(token, dash, ts) != AC_OK ||
	    !sec_is_lower_hex(token + dash + 1, TOK_HASH_LEN))
		return AC_EINVAL;
	*hash = token + dash + 1;
	return AC_OK;
}

int tok_make(const char *secret, size_t secretlen, enum tok_purpose purpose,
	     const struct tok_user *u, int64_t ts, char out[TOK_MAX])
{
	char h[TOK_HASH_LEN + 1], t[14];

	if (ts < 0 || hash32(secret, secretlen, purpose, u, (uint64_t)ts, h) != AC_OK)
		return AC_EINVAL;
	tok_base36((uint64_t)ts, t);
	snprintf(out, TOK_MAX, "%s-%s", t, h);
	return AC_OK;
}

int tok_check(const char *secret, size_t secretlen, enum tok_purpose purpose,
	      const struct tok_user *u, const char *token, int64_t now_ts, unsigned expiration)
{
	const char *given;
	char want[TOK_HASH_LEN + 1];
	uint64_t ts;
	int ok;

	if (parse(token, &ts, &given) != AC_OK)
		return AC_EDENIED;
	/* Rule 5; a ts in the future is accepted. */
	if (now_ts > 0 && (uint64_t)now_ts > ts && (uint64_t)now_ts - ts > expiration)
		return AC_EDENIED;
	if (hash32(secret, secretlen, purpose, u, ts, want) != AC_OK)
		return AC_EDENIED;
	ok = sec_equal(want, given, TOK_HASH_LEN);
	wipe(want, sizeof want);
	return ok ? AC_OK : AC_EDENIED;
}

int64_t tok_now(void)
{
	return (int64_t)time(NULL) - TOK_EPOCH;
}

int64_t tok_ts(const char *token)
{
	const char *h;
	uint64_t ts;

	if (parse(token, &ts, &h) != AC_OK || ts > INT64_MAX)
		return -1;
	return (int64_t)ts;
}

int tok_uidb64_encode(const char *uuid36, char out[49])
{
	char db[33];
	const unsigned char *b = (const unsigned char *)uuid36;
	size_t j = 0;

	if (!uuid36 || sec_uuid_to_db(uuid36, db) != AC_OK)
		return AC_EINVAL;
	for (size_t i = 0; i < 36; i += 3) {
		unsigned long v = (unsigned long)b[i] << 16 | (unsigned long)b[i + 1] << 8 | b[i + 2];

		out[j++] = b64url[(v >> 18) & 63];
		out[j++] = b64url[(v >> 12) & 63];
		out[j++] = b64url[(v >> 6) & 63];
		out[j++] = b64url[v & 63];
	}
	out[48] = '\0';
	return AC_OK;
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int tok_uidb64_decode(const char *s, size_t len, char out[37])
{
	char raw[37], db[33];
	size_t j = 0;

	/* 48 characters are exactly 36 bytes: no padding and no spare bits to check. */
	if (!s || len != 48)
		return AC_EINVAL;
	for (size_t i = 0; i < 48; i += 4) {
		unsigned long v = 0;

		for (size_t k = 0; k < 4; k++) {
			int d = b64url_value(s[i + k]);

			if (d < 0)
				return AC_EINVAL;
			v = v << 6 | (unsigned long)d;
		}
		raw[j++] = (char)((v >> 16) & 0xff);
		raw[j++] = (char)((v >> 8) & 0xff);
		raw[j++] = (char)(v & 0xff);
	}
	raw[36] = '\0';
	/* A NUL among the 36 bytes fails here too: every position must be hex or '-'. */
	if (sec_uuid_to_db(raw, db) != AC_OK)
		return AC_EINVAL;
	memcpy(out, raw, 37);
	return AC_OK;
}
