/* Password hashes (API.md §2.7): new ones in Argon2id; Django's stored formats verified. */
#include "pw.h"
#include "a2mem.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <argon2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* The low-level SHA functions: PBKDF2 below needs no EVP provider (see crypto.c). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#define PW_STORED_MAX 512     /* longer than any well-formed stored hash */
#define PW_BIN_MIN 8          /* salt and hash bounds in bytes (§2.7) */
#define PW_BIN_MAX 64
#define PW_ARGON2_MAX_TP 16
#define PW_PBKDF2_MAX_ITER 2000000UL
#define PW_NEW_SALT_CHARS 22
#define PW_NEW_HASH_BYTES 16

enum pw_alg { ALG_ARGON2ID, ALG_ARGON2I, ALG_PBKDF2_SHA256, ALG_PBKDF2_SHA1 };

/* A stored hash after parsing and bounding. */
struct pw_parsed {
	enum pw_alg alg;
	uint32_t version;          /* Argon2: 0x10 or 0x13 */
	uint32_t m, t, p;          /* Argon2 */
	unsigned long iter;        /* PBKDF2 */
	unsigned char salt[PW_BIN_MAX];
	size_t saltlen;
	unsigned char hash[PW_BIN_MAX];
	size_t hashlen;
};

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict standard base64: with padded set, n must be a multiple of 4 with at most two
 * trailing '='; without it, no '=' at all. Unused trailing bits must be zero (one encoding
 * per value). Writes at most cap bytes. Returns the decoded length or -1.
 */
static long b64_decode(const char *s, size_t n, int padded, unsigned char *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t len = 0;

	if (padded) {
		if (n == 0 || n % 4 != 0)
			return -1;
		if (s[n - 1] == '=')
			n--;
		if (s[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len >= cap)
				return -1;
			out[len++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	return (long)len;
}

/* Unpadded standard base64 of n bytes into out (4*ceil(n/3)+1 bytes suffice), NUL-terminated. */
static void b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t j = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[j++] = b64_alphabet[(acc >> bits) & 63];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[j++] = b64_alphabet[(acc << (6 - bits)) & 63];
	out[j] = '\0';
}

/* Consumes literal lit at *s. Returns 1 when it was there. */
static int eat(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return 0;
	*s += n;
	return 1;
}

/*
 * Consumes a canonical decimal at *s: 1-10 digits, no sign, no leading zero. Values that do
 * not fit are still returned (up to 9999999999) so the caller's bound rejects them.
 */
static int eat_number(const char **s, unsigned long long *v)
{
	const char *p = *s;
	unsigned long long acc = 0;
	size_t n = 0;

	while (p[n] >= '0' && p[n] <= '9') {
		if (n == 10)
			return 0;
		acc = acc * 10 + (unsigned long long)(p[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && p[0] == '0'))
		return 0;
	*v = acc;
	*s = p + n;
	return 1;
}

/* Records why a stored hash is refused (a fixed text, never the hash itself). Returns -1. */
static int reject(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

/* Length of the segment at s up to the next '$' or the end. */
static size_t segment(const char *s)
{
	return strcspn(s, "$");
}

static int parse_argon2(const char *s, unsigned max_m_kib, struct pw_parsed *out,
			const char **why)
{
	unsigned long long v = 0, m = 0, t = 0, p = 0;
	size_t n;
	long len;

	if (eat(&s, "argon2id$"))
		out->alg = ALG_ARGON2ID;
	else if (eat(&s, "argon2i$"))
		out->alg = ALG_ARGON2I;
	else
		return reject(why, "unknown argon2 variant");

	out->version = ARGON2_VERSION_10;  /* a missing v= means version 16 */
	if (eat(&s, "v=")) {
		if (!eat_number(&s, &v) || !eat(&s, "$"))
			return reject(why, "malformed argon2 version");
		if (v == 19)
			out->version = ARGON2_VERSION_13;
		else if (v != 16)
			return reject(why, "unsupported argon2 version");
	}
	if (!eat(&s, "m=") || !eat_number(&s, &m) || !eat(&s, ",t=") || !eat_number(&s, &t) ||
	    !eat(&s, ",p=") || !eat_number(&s, &p) || !eat(&s, "$"))
		return reject(why, "malformed argon2 parameters");
	if (t < 1 || t > PW_ARGON2_MAX_TP || p < 1 || p > PW_ARGON2_MAX_TP)
		return reject(why, "argon2 t or p out of bounds");
	if (m > max_m_kib || m < 8 * p)
		return reject(why, "argon2 m out of bounds");
	out->m = (uint32_t)m;
	out->t = (uint32_t)t;
	out->p = (uint32_t)p;

	n = segment(s);
	if (s[n] != '$')
		return reject(why, "malformed argon2 hash");
	len = b64_decode(s, n, 0, out->salt, sizeof out->salt);
	if (len < PW_BIN_MIN)
		return reject(why, "argon2 salt malformed or out of bounds");
	out->saltlen = (size_t)len;
	s += n + 1;

	n = segment(s);
	if (s[n] != '\0')
		return reject(why, "malformed argon2 hash");
	len = b64_decode(s, n, 0, out->hash, sizeof out->hash);
	if (len < PW_BIN_MIN)
		return reject(why, "argon2 hash malformed or out of bounds");
	out->hashlen = (size_t)len;
	return 0;
}

static int parse_pbkdf2(const char *s, size_t dklen, struct pw_parsed *out, const char **why)
{
	unsigned long long iter = 0;
	size_t n;
	long len;

	if (!eat_number(&s, &iter) || !eat(&s, "$"))
		return reject(why, "malformed pbkdf2 iterations");
	if (iter < 1 || iter > PW_PBKDF2_MAX_ITER)
		return reject(why, "pbkdf2 iterations out of bounds");
	out->iter = (unsigned long)iter;

	/* The salt is used as its ASCII bytes: printable, no '$'. */
	n = segment(s);
	if (s[n] != '$' || n < PW_BIN_MIN || n > PW_BIN_MAX)
		return reject(why, "pbkdf2 salt malformed or out of bounds");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return reject(why, "pbkdf2 salt malformed or out of bounds");
	memcpy(out->salt, s, n);
	out->saltlen = n;
	s += n + 1;

	n = segment(s);
	if (s[n] != '\0')
		return reject(why, "malformed pbkdf2 hash");
	len = b64_decode(s, n, 1, out->hash, sizeof out->hash);
	if (len < 0 || (size_t)len != dklen)
		return reject(why, "pbkdf2 hash malformed or of the wrong length");
	out->hashlen = (size_t)len;
	return 0;
}

/* Parses and bounds a stored hash. Returns 0, or -1 with *why set (never the hash itself). */
static int parse_stored(const char *stored, unsigned max_m_kib, struct pw_parsed *out,
			const char **why)
{
	const char *s = stored;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return reject(why, "no stored hash");
	if (strnlen(s, PW_STORED_MAX + 1) > PW_STORED_MAX)
		return reject(why, "stored hash too long");
	if (eat(&s, "argon2$"))
		return parse_argon2(s, max_m_kib, out, why);
	if (eat(&s, "pbkdf2_sha256$")) {
		out->alg = ALG_PBKDF2_SHA256;
		return parse_pbkdf2(s, 32, out, why);
	}
	if (eat(&s, "pbkdf2_sha1$")) {
		out->alg = ALG_PBKDF2_SHA1;
		return parse_pbkdf2(s, 20, out, why);
	}
	return reject(why, "unknown hash algorithm");
}

union sha_ctx {
	SHA_CTX s1;
	SHA256_CTX s256;
};

static void sha_init(int sha256, union sha_ctx *c)
{
	if (sha256)
		SHA256_Init(&c->s256);
	else
		SHA1_Init(&c->s1);
}

static void sha_update(int sha256, union sha_ctx *c, const void *d, size_t n)
{
	if (sha256)
		SHA256_Update(&c->s256, d, n);
	else
		SHA1_Update(&c->s1, d, n);
}

static void sha_final(int sha256, union sha_ctx *c, unsigned char *md)
{
	if (sha256)
		SHA256_Final(md, &c->s256);
	else
		SHA1_Final(md, &c->s1);
}

/* PBKDF2 (RFC 8018) with HMAC-SHA256 or HMAC-SHA1; the keyed pad states are computed once. */
static void pbkdf2(int sha256, const char *pw, size_t pwlen, const unsigned char *salt,
		   size_t saltlen, unsigned long iter, unsigned char *out, size_t outlen)
{
	size_t hl = sha256 ? 32 : 20, pos = 0;
	unsigned char key[64] = { 0 }, pad[64], u[32], t[32], ctr[4];
	union sha_ctx inner, outer, c;

	if (pwlen > sizeof key) {
		sha_init(sha256, &c);
		sha_update(sha256, &c, pw, pwlen);
		sha_final(sha256, &c, key);
	} else if (pwlen > 0) {
		memcpy(key, pw, pwlen);
	}
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(key[i] ^ 0x36);
	sha_init(sha256, &inner);
	sha_update(sha256, &inner, pad, sizeof pad);
	for (size_t i = 0; i < sizeof pad; i++)
		pad[i] = (unsigned char)(key[i] ^ 0x5c);
	sha_init(sha256, &outer);
	sha_update(sha256, &outer, pad, sizeof pad);
	for (uint32_t block = 1; pos < outlen; block++) {
		size_t k = outlen - pos < hl ? outlen - pos : hl;

		ctr[0] = (unsigned char)(block >> 24);
		ctr[1] = (unsigned char)(block >> 16);
		ctr[2] = (unsigned char)(block >> 8);
		ctr[3] = (unsigned char)block;
		c = inner;
		sha_update(sha256, &c, salt, saltlen);
		sha_update(sha256, &c, ctr, sizeof ctr);
		sha_final(sha256, &c, u);
		c = outer;
		sha_update(sha256, &c, u, hl);
		sha_final(sha256, &c, u);
		memcpy(t, u, hl);
		for (unsigned long i = 1; i < iter; i++) {
			c = inner;
			sha_update(sha256, &c, u, hl);
			sha_final(sha256, &c, u);
			c = outer;
			sha_update(sha256, &c, u, hl);
			sha_final(sha256, &c, u);
			for (size_t j = 0; j < hl; j++)
				t[j] ^= u[j];
		}
		memcpy(out + pos, t, k);
		pos += k;
	}
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(pad, sizeof pad);
	OPENSSL_cleanse(u, sizeof u);
	OPENSSL_cleanse(t, sizeof t);
	OPENSSL_cleanse(&inner, sizeof inner);
	OPENSSL_cleanse(&outer, sizeof outer);
	OPENSSL_cleanse(&c, sizeof c);
}

/* One Argon2 run. Allocation and thread failures are resource exhaustion: AC_EUNAVAIL. */
static int run_argon2(argon2_type type, uint32_t version, uint32_t m, uint32_t t, uint32_t p,
		      const char *password, size_t len, const void *salt, size_t saltlen,
		      unsigned char *out, size_t outlen)
{
	/* argon2_ctx rather than argon2_hash: only a context takes an allocator (a2mem.h). */
	argon2_context ctx = {
		.out = out, .outlen = (uint32_t)outlen,
		.pwd = (uint8_t *)(uintptr_t)(password ? password : ""), .pwdlen = (uint32_t)len,
		.salt = (uint8_t *)(uintptr_t)salt, .saltlen = (uint32_t)saltlen,
		.t_cost = t, .m_cost = m, .lanes = p, .threads = p, .version = version,
		.allocate_cbk = a2mem_alloc, .free_cbk = a2mem_free, .flags = ARGON2_DEFAULT_FLAGS,
	};
	int rc = argon2_ctx(&ctx, type);

	if (rc == ARGON2_OK)
		return AC_OK;
	OPENSSL_cleanse(out, outlen);
	if (rc == ARGON2_MEMORY_ALLOCATION_ERROR || rc == ARGON2_THREAD_FAIL) {
		log_error("argon2 (m=%u KiB, p=%u): %s", (unsigned)m, (unsigned)p,
			  argon2_error_message(rc));
		return AC_EUNAVAIL;
	}
	log_error("argon2: %s", argon2_error_message(rc));
	return AC_EINTERNAL;
}

/* The configured parameters must give hashes that pw_verify itself accepts. */
static int params_ok(const struct pw_params *params)
{
	if (params->t < 1 || params->t > PW_ARGON2_MAX_TP || params->p < 1 ||
	    params->p > PW_ARGON2_MAX_TP || params->m_kib < 8 * params->p ||
	    params->m_kib > params->max_m_kib) {
		log_error("argon2 parameters out of bounds: m=%u t=%u p=%u max_m=%u",
			  params->m_kib, params->t, params->p, params->max_m_kib);
		return 0;
	}
	return 1;
}

int pw_hash(const struct pw_params *params, const char *password, size_t len, char **out)
{
	char salt[PW_NEW_SALT_CHARS + 1];
	unsigned char hash[PW_NEW_HASH_BYTES];
	char salt64[4 * PW_NEW_SALT_CHARS / 3 + 4], hash64[4 * PW_NEW_HASH_BYTES / 3 + 4];
	char *s;
	size_t cap;
	int rc, n;

	if (out == NULL)
		return AC_EINTERNAL;
	*out = NULL;
	if (params == NULL || (password == NULL && len > 0))
		return AC_EINTERNAL;
	if (len > PW_MAX_BYTES)
		return AC_EINVAL;
	if (!params_ok(params))
		return AC_EINTERNAL;
	if (sec_random_alnum(salt, PW_NEW_SALT_CHARS) != AC_OK)
		return AC_EINTERNAL;
	rc = run_argon2(Argon2_id, ARGON2_VERSION_13, params->m_kib, params->t, params->p,
			password, len, salt, PW_NEW_SALT_CHARS, hash, sizeof hash);
	if (rc != AC_OK)
		return rc;
	b64_encode((const unsigned char *)salt, PW_NEW_SALT_CHARS, salt64);
	b64_encode(hash, sizeof hash, hash64);
	OPENSSL_cleanse(hash, sizeof hash);

	cap = sizeof "argon2$argon2id$v=19$m=,t=,p=$$" + 3 * 10 + strlen(salt64) + strlen(hash64);
	s = malloc(cap);
	if (s == NULL)
		return AC_EINTERNAL;
	n = snprintf(s, cap, "argon2$argon2id$v=19$m=%u,t=%u,p=%u$%s$%s", params->m_kib,
		     params->t, params->p, salt64, hash64);
	if (n < 0 || (size_t)n >= cap) {
		free(s);
		return AC_EINTERNAL;
	}
	*out = s;
	return AC_OK;
}

int pw_verify(const struct pw_params *params, const char *stored, const char *password,
	      size_t len, enum pw_result *result)
{
	struct pw_parsed ph;
	unsigned char derived[PW_BIN_MAX];
	const char *why = "";
	int rc = AC_OK;

	if (result == NULL)
		return AC_EINTERNAL;
	*result = PW_UNSUPPORTED;
	if (params == NULL || (password == NULL && len > 0))
		return AC_EINTERNAL;
	if (stored != NULL && stored[0] == '!') {
		*result = PW_UNUSABLE;
		return AC_OK;
	}
	if (parse_stored(stored, params->max_m_kib, &ph, &why) != 0) {
		log_warn("stored password hash not verified: %s", why);
		return AC_OK;
	}
	if (len > PW_MAX_BYTES) {
		*result = PW_NOMATCH;
		return AC_OK;
	}

	switch (ph.alg) {
	case ALG_ARGON2ID:
	case ALG_ARGON2I:
		rc = run_argon2(ph.alg == ALG_ARGON2ID ? Argon2_id : Argon2_i, ph.version, ph.m,
				ph.t, ph.p, password, len, ph.salt, ph.saltlen, derived,
				ph.hashlen);
		break;
	case ALG_PBKDF2_SHA256:
	case ALG_PBKDF2_SHA1:
		pbkdf2(ph.alg == ALG_PBKDF2_SHA256, password ? password : "", len, ph.salt,
		       ph.saltlen, ph.iter, derived, ph.hashlen);
		break;
	}
	if (rc == AC_OK)
		*result = sec_equal(derived, ph.hash, ph.hashlen) ? PW_MATCH : PW_NOMATCH;
	else
		*result = PW_NOMATCH;
	OPENSSL_cleanse(derived, sizeof derived);
	return rc;
}

int pw_dummy_verify(const struct pw_params *params, const char *password, size_t len)
{
	static const char salt[] = "authcgi.dummy.salt.22b";  /* 22 bytes, like a real salt */
	unsigned char hash[PW_NEW_HASH_BYTES];
	int rc;

	if (params == NULL || (password == NULL && len > 0))
		return AC_EINTERNAL;
	if (len > PW_MAX_BYTES)
		return AC_OK;
	if (!params_ok(params))
		return AC_EINTERNAL;
	rc = run_argon2(Argon2_id, ARGON2_VERSION_13, params->m_kib, params->t, params->p,
			password, len, salt, sizeof salt - 1, hash, sizeof hash);
	OPENSSL_cleanse(hash, sizeof hash);
	return rc;
}

int pw_needs_upgrade(const struct pw_params *params, const char *stored)
{
	struct pw_parsed ph;
	const char *why = "";

	/* Anything we cannot parse is no current hash; only a verified hash gets here anyway. */
	if (params == NULL || parse_stored(stored, params->max_m_kib, &ph, &why) != 0)
		return 1;
	return ph.alg != ALG_ARGON2ID || ph.version != ARGON2_VERSION_13 ||
	       ph.m != params->m_kib || ph.t != params->t || ph.p != params->p ||
	       ph.hashlen != PW_NEW_HASH_BYTES || ph.saltlen < PW_NEW_SALT_CHARS;
}
