/* Configuration: every key of API.md §8, read from the environment over a KEY=VALUE file, validated once. */
#include "cfg.h"
#include "cfg_internal.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "netaddr.h"
#include "origin.h"
#include "utf8.h"

#ifdef AUTHCGI_POSTGRES
#include <libpq-fe.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AUTHCGI_HOME
#define AUTHCGI_HOME "/usr/local/authcgi"
#endif

#define PATH_MAX_LEN 4096   /* longest accepted filesystem path */
#define LIST_MAX 256        /* most entries in ALLOWED_ORIGINS / TRUSTED_PROXIES */
#define ORIGIN_MAX 320      /* "https://" + 253-byte host + ":65535", with room */
#define UNIX_PATH_MAX 107   /* sizeof(sun_path) - 1 on Linux */

/* Every key this program reads, in §8 order; the names never start with HTTP_. */
enum key {
	K_SECRET_KEY, K_DATABASE_URL, K_SQLITE_BUSY_TIMEOUT_MS, K_REDIS_URL,
	K_REDIS_CONNECT_TIMEOUT_MS, K_REDIS_TIMEOUT_MS, K_FRONTEND_URL, K_API_BASE_URL,
	K_ALLOWED_ORIGINS, K_TRUSTED_PROXIES,
	K_TOKEN_EXPIRATION, K_SESSION_COOKIE_AGE, K_SESSION_COOKIE_SECURE, K_SESSION_IDLE_TIMEOUT,
	K_ARGON2_MEMORY_KIB, K_ARGON2_TIME_COST, K_ARGON2_PARALLELISM, K_ARGON2_MAX_MEMORY_KIB,
	K_ARGON2_MAX_CONCURRENT, K_PASSWORD_MIN_LENGTH, K_COMMON_PASSWORDS_FILE,
	K_RATE_LIMIT_LOGIN_ACCOUNT, K_RATE_LIMIT_LOGIN_ADDR, K_RATE_LIMIT_REGISTER_ADDR,
	K_RATE_LIMIT_MAIL_ADDR, K_RATE_LIMIT_MAIL_EMAIL,
	K_EMAIL_BACKEND, K_EMAIL_FILE_PATH, K_EMAIL_HOST, K_EMAIL_PORT, K_EMAIL_HOST_USER,
	K_EMAIL_HOST_PASSWORD, K_EMAIL_USE_TLS, K_EMAIL_USE_SSL, K_EMAIL_TIMEOUT,
	K_DEFAULT_FROM_EMAIL, K_EMAIL_MAX_ATTEMPTS, K_APP_EMAIL__HOST_USER,
	K_APP_EMAIL__HOST_USER_PASSWORD,
	K_STORAGE_BACKEND, K_MEDIA_ROOT, K_MEDIA_URL, K_THUMBNAIL_MAX_BYTES, K_AWS_ACCESS_KEY_ID,
	K_AWS_SECRET_ACCESS_KEY, K_AWS_S3_BUCKET_NAME, K_AWS_REGION, K_AWS_S3_ENDPOINT_URL,
	K_AWS_DEFAULT_ACL,
	K_TOTP_ISSUER,
	K__MAX
};

static const char *const key_names[K__MAX] = {
	"SECRET_KEY", "DATABASE_URL", "SQLITE_BUSY_TIMEOUT_MS", "REDIS_URL",
	"REDIS_CONNECT_TIMEOUT_MS", "REDIS_TIMEOUT_MS", "FRONTEND_URL", "API_BASE_URL",
	"ALLOWED_ORIGINS", "TRUSTED_PROXIES",
	"TOKEN_EXPIRATION", "SESSION_COOKIE_AGE", "SESSION_COOKIE_SECURE", "SESSION_IDLE_TIMEOUT",
	"ARGON2_MEMORY_KIB", "ARGON2_TIME_COST", "ARGON2_PARALLELISM", "ARGON2_MAX_MEMORY_KIB",
	"ARGON2_MAX_CONCURRENT", "PASSWORD_MIN_LENGTH", "COMMON_PASSWORDS_FILE",
	"RATE_LIMIT_LOGIN_ACCOUNT", "RATE_LIMIT_LOGIN_ADDR", "RATE_LIMIT_REGISTER_ADDR",
	"RATE_LIMIT_MAIL_ADDR", "RATE_LIMIT_MAIL_EMAIL",
	"EMAIL_BACKEND", "EMAIL_FILE_PATH", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER",
	"EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_TIMEOUT",
	"DEFAULT_FROM_EMAIL", "EMAIL_MAX_ATTEMPTS", "APP_EMAIL__HOST_USER",
	"APP_EMAIL__HOST_USER_PASSWORD",
	"STORAGE_BACKEND", "MEDIA_ROOT", "MEDIA_URL", "THUMBNAIL_MAX_BYTES", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_S3_BUCKET_NAME", "AWS_REGION", "AWS_S3_ENDPOINT_URL",
	"AWS_DEFAULT_ACL",
	"TOTP_ISSUER",
};

/* The original project's published SECRET_KEY (§8.2), refused. */
static const char django_default_key[] =
	"django-insecure-zt$)wab#-u1)frduzwlq-)yqse^a%5guk7kq%^-h(v(xdlfm&h";

struct cfg_file {
	char *value[K__MAX];   /* NULL when the file does not name the key */
	unsigned line[K__MAX];
};

const char *cfg_home(void)
{
	return AUTHCGI_HOME;
}

const char *cfg_default_path(void)
{
	return AUTHCGI_HOME "/authcgi.conf";
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Frees a string after overwriting it, for values that may be secret. */
static void free_wipe(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

int cfg_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off" };

	if (!s || !out)
		return AC_EINVAL;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return AC_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return AC_OK;
		}
	}
	return AC_EINVAL;
}

/* ---- the file ---- */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int find_key(const char *k, size_t n)
{
	for (int i = 0; i < K__MAX; i++)
		if (strlen(key_names[i]) == n && memcmp(key_names[i], k, n) == 0)
			return i;
	return -1;
}

/* Parses one line (without its '\n'); stores a known key's value in f. */
static int parse_line(struct cfg_file *f, const char *s, size_t n, unsigned lineno, char *err,
		      size_t errlen)
{
	size_t klen = 0, vlen;
	const char *key, *v;
	int k;

	while (n > 0 && is_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n == 0 || *s == '#')
		return AC_OK;
	if (n > 7 && memcmp(s, "export", 6) == 0 && (s[6] == ' ' || s[6] == '\t')) {
		s += 7;
		n -= 7;
		while (n > 0 && is_space(*s)) {
			s++;
			n--;
		}
	}
	key = s;
	if (n == 0 || !(*s >= 'A' && *s <= 'Z'))
		goto malformed;
	while (klen < n && ((key[klen] >= 'A' && key[klen] <= 'Z') ||
			    (key[klen] >= '0' && key[klen] <= '9') || key[klen] == '_'))
		klen++;
	v = key + klen;
	vlen = n - klen;
	while (vlen > 0 && is_space(*v)) {
		v++;
		vlen--;
	}
	if (vlen == 0 || *v != '=')
		goto malformed;
	v++;
	vlen--;
	while (vlen > 0 && is_space(*v)) {
		v++;
		vlen--;
	}
	if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
		v++;
		vlen -= 2;
	}
	k = find_key(key, klen);
	if (k < 0) {
		log_warn("configuration line %u: unknown key %.*s ignored", lineno,
			 (int)(klen > 64 ? 64 : klen), key);
		return AC_OK;
	}
	if (f->value[k]) {
		seterr(err, errlen, "line %u: %s is already set on line %u", lineno, key_names[k],
		       f->line[k]);
		return AC_EINVAL;
	}
	f->value[k] = strndup(v, vlen);
	if (!f->value[k]) {
		seterr(err, errlen, "out of memory");
		return AC_ENOMEM;
	}
	f->line[k] = lineno;
	return AC_OK;

malformed:
	seterr(err, errlen, "line %u: expected KEY=VALUE with KEY matching [A-Z][A-Z0-9_]*", lineno);
	return AC_EINVAL;
}

void cfg_file_free(struct cfg_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < K__MAX; i++)
		free_wipe(f->value[i]);
	free(f);
}

int cfg_parse_buffer(const char *buf, size_t len, struct cfg_file **out, char *err, size_t errlen)
{
	struct cfg_file *f;
	size_t pos = 0;
	unsigned lineno = 0;

	*out = NULL;
	if (len > CFG_FILE_MAX) {
		seterr(err, errlen, "larger than %d bytes", CFG_FILE_MAX);
		return AC_EINVAL;
	}
	f = calloc(1, sizeof *f);
	if (!f) {
		seterr(err, errlen, "out of memory");
		return AC_ENOMEM;
	}
	/* A UTF-8 byte order mark, as some editors write, is not part of the first key. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		size_t end = eol ? (size_t)(eol - buf) : len;
		int rc;

		lineno++;
		if (end - pos > CFG_LINE_MAX) {
			seterr(err, errlen, "line %u: longer than %d bytes", lineno, CFG_LINE_MAX);
			cfg_file_free(f);
			return AC_EINVAL;
		}
		if (memchr(buf + pos, '\0', end - pos)) {
			seterr(err, errlen, "line %u: contains a NUL byte", lineno);
			cfg_file_free(f);
			return AC_EINVAL;
		}
		rc = parse_line(f, buf + pos, end - pos, lineno, err, errlen);
		if (rc != AC_OK) {
			cfg_file_free(f);
			return rc;
		}
		pos = end + 1;
	}
	*out = f;
	return AC_OK;
}

/* Reads the file at path; a missing file is an error only when required. *out may be NULL. */
static int read_file(const char *path, int required, struct cfg_file **out, char *err,
		     size_t errlen)
{
	char inner[256];
	struct stat st;
	char *buf;
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (!required && (errno == ENOENT || errno == ENOTDIR))
			return AC_OK;
		seterr(err, errlen, "configuration file %s: %s", path, strerror(errno));
		return AC_EINVAL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "configuration file %s: not a regular file", path);
		close(fd);
		return AC_EINVAL;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH))
		log_warn("configuration file %s is accessible to other users; it holds secrets", path);
	buf = malloc(CFG_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		seterr(err, errlen, "out of memory");
		return AC_ENOMEM;
	}
	while (len <= CFG_FILE_MAX) {
		ssize_t r = read(fd, buf + len, CFG_FILE_MAX + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(err, errlen, "configuration file %s: %s", path, strerror(errno));
			OPENSSL_cleanse(buf, len);
			free(buf);
			close(fd);
			return AC_EINVAL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	inner[0] = '\0';
	rc = cfg_parse_buffer(buf, len, out, inner, sizeof inner);
	if (rc != AC_OK)
		seterr(err, errlen, "configuration file %s: %s", path, inner);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

int cfg_load(struct cfg **out, char *err, size_t errlen)
{
	const char *named = getenv("AUTHCGI_CONFIG");
	int required = named && *named;
	struct cfg_file *f = NULL;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	rc = read_file(required ? named : cfg_default_path(), required, &f, err, errlen);
	if (rc != AC_OK)
		return rc;
	rc = cfg_build(f, 1, out, err, errlen);
	cfg_file_free(f);
	return rc;
}

/* ---- values ---- */

struct ctx {
	const struct cfg_file *f;
	int use_env;
	char *err;
	size_t errlen;
};

static int bad(struct ctx *x, enum key k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(struct ctx *x, enum key k, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	seterr(x->err, x->errlen, "%s: %s", key_names[k], msg);
	return AC_EINVAL;
}

static int nomem(struct ctx *x)
{
	seterr(x->err, x->errlen, "out of memory");
	return AC_ENOMEM;
}

/* The environment's value when set and non-empty, else the file's (possibly ""), else NULL. */
static const char *raw(const struct ctx *x, enum key k)
{
	if (x->use_env && strncmp(key_names[k], "HTTP_", 5) != 0) {
		const char *e = getenv(key_names[k]);

		if (e && *e)
			return e;
	}
	return x->f ? x->f->value[k] : NULL;
}

/*
 * The default ARGON2_MAX_CONCURRENT: the CPUs this process may run on (at most 64). Hashing is
 * CPU-bound, so more hashes at once than cores only make each one slower and costlier.
 */
static unsigned cpus_available(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
	if (n < 1)
		n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
}

/* Bounded length, no control characters, valid UTF-8. */
static int check_text(struct ctx *x, enum key k, const char *v)
{
	size_t n = strlen(v);

	if (n > CFG_LINE_MAX)
		return bad(x, k, "longer than %d bytes", CFG_LINE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return bad(x, k, "contains a control character");
	if (!utf8_valid(v, n))
		return bad(x, k, "is not valid UTF-8");
	return AC_OK;
}

/* *v is the checked value, or NULL when the key is unset or empty. */
static int get(struct ctx *x, enum key k, const char **v)
{
	const char *r = raw(x, k);

	*v = NULL;
	if (!r || !*r)
		return AC_OK;
	if (check_text(x, k, r) != AC_OK)
		return AC_EINVAL;
	*v = r;
	return AC_OK;
}

static int dup_to(struct ctx *x, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? AC_OK : nomem(x);
}

/* Plain decimal digits, no sign or space, at most max. */
static int parse_decimal(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (n == 0 || n > 20)
		return AC_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return AC_EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return AC_EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return AC_OK;
}

static int get_ull(struct ctx *x, enum key k, unsigned long long def, unsigned long long min,
		   unsigned long long max, unsigned long long *out)
{
	const char *v;
	unsigned long long n;

	if (get(x, k, &v) != AC_OK)
		return AC_EINVAL;
	if (!v) {
		*out = def;
		return AC_OK;
	}
	if (parse_decimal(v, strlen(v), max, &n) != AC_OK || n < min)
		return bad(x, k, "must be a whole number from %llu to %llu", min, max);
	*out = n;
	return AC_OK;
}

static int get_uint(struct ctx *x, enum key k, unsigned def, unsigned min, unsigned max,
		    unsigned *out)
{
	unsigned long long n;

	if (get_ull(x, k, def, min, max, &n) != AC_OK)
		return AC_EINVAL;
	*out = (unsigned)n;
	return AC_OK;
}

static int get_bool(struct ctx *x, enum key k, int def, int *out)
{
	const char *v;

	if (get(x, k, &v) != AC_OK)
		return AC_EINVAL;
	if (!v) {
		*out = def;
		return AC_OK;
	}
	if (cfg_parse_bool(v, out) != AC_OK)
		return bad(x, k, "must be true/false, 1/0, yes/no or on/off");
	return AC_OK;
}

/* "COUNT/SECONDS"; "0" or a count of 0 disables the limit. */
static int get_rate(struct ctx *x, enum key k, unsigned dcount, unsigned dsecs,
		    struct rate_limit *out)
{
	const char *v, *slash;
	unsigned long long count, secs;

	if (get(x, k, &v) != AC_OK)
		return AC_EINVAL;
	out->count = dcount;
	out->seconds = dsecs;
	if (!v)
		return AC_OK;
	if (strcmp(v, "0") == 0) {
		out->count = out->seconds = 0;
		return AC_OK;
	}
	slash = strchr(v, '/');
	if (!slash || parse_decimal(v, (size_t)(slash - v), 1000000, &count) != AC_OK ||
	    parse_decimal(slash + 1, strlen(slash + 1), 31536000, &secs) != AC_OK ||
	    (count > 0 && secs < 1))
		return bad(x, k, "must be COUNT/SECONDS (COUNT 0 to 1000000, SECONDS 1 to 31536000) or 0");
	out->count = (unsigned)count;
	out->seconds = count ? (unsigned)secs : 0;
	return AC_OK;
}

/* An absolute filesystem path, or unset (*out NULL). */
static int get_abs_path(struct ctx *x, enum key k, char **out)
{
	const char *v;

	*out = NULL;
	if (get(x, k, &v) != AC_OK)
		return AC_EINVAL;
	if (!v)
		return AC_OK;
	if (v[0] != '/' || strlen(v) > PATH_MAX_LEN)
		return bad(x, k, "must be an absolute path");
	return dup_to(x, v, out);
}

static int get_str(struct ctx *x, enum key k, const char *def, char **out)
{
	const char *v;

	*out = NULL;
	if (get(x, k, &v) != AC_OK)
		return AC_EINVAL;
	if (!v)
		v = def;
	return v ? dup_to(x, v, out) : AC_OK;
}

/* ---- URLs and hosts ---- */

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* An RFC 3986 path: "" or starting with '/', only pchar and '/'. No query or fragment. */
static int path_ok(const char *p)
{
	if (*p && *p != '/')
		return 0;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (is_alnum(c) || strchr("-._~!$&'()*+,;=:@/", c))
			continue;
		if (c == '%' && is_hex((unsigned char)p[1]) && is_hex((unsigned char)p[2])) {
			p += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/* The offset in an already origin-checked URL where its path starts. */
static size_t path_offset(const char *url)
{
	const char *a = strstr(url, "://") + 3;

	return (size_t)(a - url) + strcspn(a, "/?#");
}

/* Absolute http(s) URL, optional path, no userinfo, query or fragment. */
static int http_url_ok(const char *s)
{
	char origin[ORIGIN_MAX];

	if (origin_of_url(s, origin, sizeof origin) != AC_OK)
		return 0;
	return path_ok(s + path_offset(s));
}

/* Removes trailing '/' from the path of a checked URL. */
static void strip_slashes(char *url)
{
	size_t start = path_offset(url), n = strlen(url);

	while (n > start && url[n - 1] == '/')
		url[--n] = '\0';
}

/* An absolute http(s) base URL: checked, trailing '/' removed, origin computed. */
static int get_base_url(struct ctx *x, enum key k, const char *def, char **url, char **origin)
{
	char o[ORIGIN_MAX];

	if (get_str(x, k, def, url) != AC_OK)
		return AC_EINVAL;
	if (!http_url_ok(*url))
		return bad(x, k, "must be an absolute http(s) URL without user, query or fragment");
	strip_slashes(*url);
	if (origin_of_url(*url, o, sizeof o) != AC_OK)
		return bad(x, k, "has no valid origin");
	return dup_to(x, o, origin);
}

static int hostname_ok(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return 0;
	return 1;
}

static int ipv6_ok(const char *h, size_t n)
{
	char buf[64];
	struct addr_range a;

	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return addr_parse(buf, &a) == AC_OK && a.family == 6;
}

/* A host name, IPv4 address, or IPv6 address bare or in brackets. */
static int host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
		return ipv6_ok(h + 1, n - 2);
	return hostname_ok(h, n) || ipv6_ok(h, n);
}

/* Decodes %XX in n bytes of s; the result must be free of control characters. */
static int pct_decode(const char *s, size_t n, char **out)
{
	char *d = malloc(n + 1);
	size_t j = 0;

	*out = NULL;
	if (!d)
		return AC_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			char hex[3];

			if (i + 2 >= n)
				goto bad;
			if (!is_hex((unsigned char)s[i + 1]) || !is_hex((unsigned char)s[i + 2]))
				goto bad;
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = '\0';
			c = (unsigned char)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		d[j++] = (char)c;
	}
	d[j] = '\0';
	*out = d;
	return AC_OK;
bad:
	OPENSSL_cleanse(d, n + 1);
	free(d);
	return AC_EINVAL;
}

static void redis_clear(struct cfg_redis *r)
{
	free(r->host);
	free(r->path);
	free_wipe(r->user);
	free_wipe(r->password);
	for (size_t i = 0; i < r->n_sentinels; i++)
		free(r->sentinels[i].host);
	free(r->master_name);
	memset(r, 0, sizeof *r);
}

/*
 * The optional [[user]:password@] at the start of the authority p..end (it ends at the last '@',
 * its first ':' splits user and password). Sets r->user, r->password and *after (the host part).
 */
static int parse_userinfo(const char *p, const char *end, struct cfg_redis *r, const char **after,
			  const char **why)
{
	const char *at = end, *colon;
	int rc = AC_OK;

	*after = p;
	while (at > p && at[-1] != '@')
		at--;
	if (at == p)
		return AC_OK;
	colon = memchr(p, ':', (size_t)(at - 1 - p));
	if (!colon) {
		*why = "the user part must be [user]:password";
		return AC_EINVAL;
	}
	if (colon > p)
		rc = pct_decode(p, (size_t)(colon - p), &r->user);
	if (rc == AC_OK && at - 1 > colon + 1)
		rc = pct_decode(colon + 1, (size_t)(at - 2 - colon), &r->password);
	if (rc == AC_EINVAL)
		*why = "the user or password has a bad %-escape or a control character";
	if (rc != AC_OK)
		return rc;
	if (r->user && !r->password) {
		*why = "a user needs a password";
		return AC_EINVAL;
	}
	*after = at;
	return AC_OK;
}

/* host[:port] or [IPv6][:port] in exactly n bytes of s; defport when no port is given. */
static int parse_node(const char *s, size_t n, int defport, char **host, int *port)
{
	const char *end = s + n, *h, *p;
	size_t hlen;
	unsigned long long v;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || !ipv6_ok(s + 1, (size_t)(close - s - 1)))
			return AC_EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		p = close + 1;
	} else {
		const char *colon = memchr(s, ':', n);

		p = colon ? colon : end;
		h = s;
		hlen = (size_t)(p - s);
		if (!hostname_ok(h, hlen))
			return AC_EINVAL;
	}
	*port = defport;
	if (p < end) {
		if (*p != ':' || parse_decimal(p + 1, (size_t)(end - p - 1), 65535, &v) != AC_OK ||
		    v < 1)
			return AC_EINVAL;
		*port = (int)v;
	}
	*host = strndup(h, hlen);
	return *host ? AC_OK : AC_ENOMEM;
}

static int master_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CFG_MASTER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* "?db=N" (N 0 to 65535) or nothing. */
static int parse_db_query(const char *q, int *db)
{
	unsigned long long n;

	if (!*q)
		return AC_OK;
	if (strncmp(q, "?db=", 4) != 0 || parse_decimal(q + 4, strlen(q + 4), 65535, &n) != AC_OK)
		return AC_EINVAL;
	*db = (int)n;
	return AC_OK;
}

/* redis-sentinel://[[user]:password@]host[:port][,host[:port]...]/master-name[?db=N] (§10.3). */
static int parse_sentinel(const char *url, struct cfg_redis *r, const char **why)
{
	const char *p = url + 17, *end, *item, *name, *q;
	size_t nlen;
	int rc;

	r->is_sentinel = 1;
	r->port = 0;
	*why = "must be redis-sentinel://[[user]:password@]host:port[,host:port...]/master-name[?db=N]";
	if (strchr(p, '#'))
		return AC_EINVAL;
	end = p + strcspn(p, "/?");
	if ((rc = parse_userinfo(p, end, r, &p, why)) != AC_OK)
		return rc;
	for (item = p;;) {
		const char *comma = memchr(item, ',', (size_t)(end - item));
		const char *iend = comma ? comma : end;
		struct cfg_redis_node *node = &r->sentinels[r->n_sentinels];

		if (r->n_sentinels == CFG_SENTINELS_MAX) {
			*why = "lists more than 8 Sentinels";
			return AC_EINVAL;
		}
		rc = parse_node(item, (size_t)(iend - item), CFG_SENTINEL_PORT, &node->host, &node->port);
		if (rc == AC_EINVAL)
			*why = "a Sentinel address is empty or not host[:port] (port 1 to 65535)";
		if (rc != AC_OK)
			return rc;
		r->n_sentinels++;
		if (!comma)
			break;
		item = comma + 1;
	}
	if (*end != '/') {
		*why = "the master name is missing: redis-sentinel://host:port,.../master-name";
		return AC_EINVAL;
	}
	name = end + 1;
	q = strchr(name, '?');
	nlen = q ? (size_t)(q - name) : strlen(name);
	if (!master_name_ok(name, nlen)) {
		*why = "the master name must be 1 to 64 characters of A-Z a-z 0-9 . _ -";
		return AC_EINVAL;
	}
	if (parse_db_query(name + nlen, &r->db) != AC_OK) {
		*why = "the only query parameter is db=N (0 to 65535)";
		return AC_EINVAL;
	}
	r->master_name = strndup(name, nlen);
	return r->master_name ? AC_OK : AC_ENOMEM;
}

/*
 * redis://[[user]:password@]host[:port][/db], unix:///path[?db=N] or redis-sentinel://...;
 * *why on failure.
 */
static int parse_redis_url(const char *url, struct cfg_redis *r, const char **why)
{
	unsigned long long n;
	const char *p, *end;
	int rc;

	memset(r, 0, sizeof *r);
	r->port = 6379;
	*why = "must be redis://[[user]:password@]host[:port][/db], unix:///path[?db=N] or "
	       "redis-sentinel://host:port,.../master-name[?db=N]";
	if (strncasecmp(url, "rediss://", 9) == 0) {
		*why = "TLS (rediss://) is not supported; use a local socket or a tunnel";
		return AC_EINVAL;
	}
	if (strncasecmp(url, "redis-sentinel://", 17) == 0)
		return parse_sentinel(url, r, why);
	if (strncasecmp(url, "unix://", 7) == 0) {
		const char *q;

		p = url + 7;
		if (*p != '/')
			return AC_EINVAL;
		q = strchr(p, '?');
		end = q ? q : p + strlen(p);
		if (strchr(p, '#') || end - p < 2)
			return AC_EINVAL;
		if ((size_t)(end - p) > UNIX_PATH_MAX) {
			*why = "the socket path is too long";
			return AC_EINVAL;
		}
		if (parse_db_query(end, &r->db) != AC_OK)
			return AC_EINVAL;
		r->is_unix = 1;
		r->path = strndup(p, (size_t)(end - p));
		return r->path ? AC_OK : AC_ENOMEM;
	}
	if (strncasecmp(url, "redis://", 8) != 0)
		return AC_EINVAL;
	p = url + 8;
	end = p + strcspn(p, "/?#");
	if ((rc = parse_userinfo(p, end, r, &p, why)) != AC_OK)
		return rc;
	if ((rc = parse_node(p, (size_t)(end - p), 6379, &r->host, &r->port)) != AC_OK)
		return rc;
	p = end;
	if (*p == '/') {
		p++;
		if (*p) {
			if (parse_decimal(p, strlen(p), 65535, &n) != AC_OK)
				return AC_EINVAL;
			r->db = (int)n;
		}
	} else if (*p) {
		return AC_EINVAL;  /* a query or fragment */
	}
	return AC_OK;
}

static int parse_redis(const char *url, struct cfg_redis *r, const char **why)
{
	int rc = parse_redis_url(url, r, why);

	if (rc != AC_OK)
		redis_clear(r);
	return rc;
}

/*
 * A sqlite:////absolute/path URL gives its path; a postgres:// or postgresql:// URL is kept
 * whole for libpq (its query parameters are libpq's), in a build with PostgreSQL support.
 */
static int parse_database_url(struct ctx *x, const char *url, struct cfg *c)
{
	const char *sep = strstr(url, "://"), *p;
	size_t slen;

	if (!sep)
		return bad(x, K_DATABASE_URL, "must be sqlite:////absolute/path or postgres://...");
	slen = (size_t)(sep - url);
	if ((slen == 8 && strncasecmp(url, "postgres", 8) == 0) ||
	    (slen == 10 && strncasecmp(url, "postgresql", 10) == 0)) {
#ifdef AUTHCGI_POSTGRES
		PQconninfoOption *opts = PQconninfoParse(url, NULL);

		/* libpq's own message could quote the URL, password included: not logged */
		if (!opts)
			return bad(x, K_DATABASE_URL, "is not a URL libpq accepts (postgres://user:password"
				   "@host:port/name?param=value)");
		PQconninfoFree(opts);
		c->database_engine = CFG_DB_POSTGRES;
		return dup_to(x, url, &c->database_url);
#else
		return bad(x, K_DATABASE_URL, "names PostgreSQL, but this build has no PostgreSQL "
			   "support: build with `make POSTGRES=1` (or install with `make install "
			   "POSTGRES=1`)");
#endif
	}
	if (slen != 6 || strncasecmp(url, "sqlite", 6) != 0)
		return bad(x, K_DATABASE_URL,
			   "unsupported scheme; use sqlite:////absolute/path or postgres://...");
	p = sep + 3;
	if (p[0] != '/' || p[1] != '/')
		return bad(x, K_DATABASE_URL,
			   "the SQLite path must be absolute: sqlite:////absolute/path (four slashes)");
	p++;
	if (strpbrk(p, "?#") || p[strlen(p) - 1] == '/' || strlen(p) > PATH_MAX_LEN)
		return bad(x, K_DATABASE_URL, "must name a file: sqlite:////absolute/path");
	c->database_engine = CFG_DB_SQLITE;
	return dup_to(x, p, &c->database_path);
}

/* Splits a comma-separated list; calls fn on each trimmed non-empty entry. */
static int each_entry(struct ctx *x, enum key k, const char *v,
		      int (*fn)(struct ctx *, enum key, const char *, void *), void *arg)
{
	char item[CFG_LINE_MAX + 1];
	unsigned count = 0;

	while (*v) {
		size_t n = strcspn(v, ","), a = 0, b = n;
		int rc;

		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b > a) {
			if (++count > LIST_MAX)
				return bad(x, k, "more than %d entries", LIST_MAX);
			memcpy(item, v + a, b - a);
			item[b - a] = '\0';
			rc = fn(x, k, item, arg);
			if (rc != AC_OK)
				return rc;
		}
		v += n;
		if (*v == ',')
			v++;
	}
	return AC_OK;
}

static int add_origin(struct ctx *x, enum key k, const char *item, void *arg)
{
	struct cfg *c = arg;
	char o[ORIGIN_MAX];
	char **grown;

	if (origin_canonical(item, o, sizeof o) != AC_OK)
		return bad(x, k, "\"%.100s\" is not an origin scheme://host[:port]", item);
	grown = realloc(c->allowed_origins, (c->n_allowed_origins + 1) * sizeof *grown);
	if (!grown)
		return nomem(x);
	c->allowed_origins = grown;
	grown[c->n_allowed_origins] = strdup(o);
	if (!grown[c->n_allowed_origins])
		return nomem(x);
	c->n_allowed_origins++;
	return AC_OK;
}

static int add_proxy(struct ctx *x, enum key k, const char *item, void *arg)
{
	struct cfg *c = arg;
	struct addr_range r, *grown;

	if (addr_parse_range(item, &r) != AC_OK)
		return bad(x, k, "\"%.100s\" is not an IP address or CIDR range", item);
	grown = realloc(c->trusted_proxies, (c->n_trusted_proxies + 1) * sizeof *grown);
	if (!grown)
		return nomem(x);
	c->trusted_proxies = grown;
	grown[c->n_trusted_proxies++] = r;
	return AC_OK;
}

/* ---- the sections ---- */

static int build_core(struct ctx *x, struct cfg *c)
{
	const char *v, *why;
	char *dbdefault = NULL;
	int rc;

	if (get(x, K_SECRET_KEY, &v) != AC_OK)
		return AC_EINVAL;
	if (!v)
		return bad(x, K_SECRET_KEY, "is required (at least 32 bytes of random text)");
	if (strlen(v) < 32)
		return bad(x, K_SECRET_KEY, "must be at least 32 bytes");
	if (sec_str_equal(v, django_default_key))
		return bad(x, K_SECRET_KEY, "is the original project's published default; generate a new one");
	if (dup_to(x, v, &c->secret_key) != AC_OK)
		return AC_ENOMEM;
	c->secret_key_len = strlen(v);

	if (get(x, K_DATABASE_URL, &v) != AC_OK)
		return AC_EINVAL;
	if (v) {
		rc = parse_database_url(x, v, c);
	} else {
		if (asprintf(&dbdefault, "%s/db/authcgi.sqlite3", cfg_home()) < 0)
			return nomem(x);
		c->database_path = dbdefault;
		rc = AC_OK;
	}
	if (rc != AC_OK ||
	    get_uint(x, K_SQLITE_BUSY_TIMEOUT_MS, 3000, 0, 60000, &c->sqlite_busy_timeout_ms) != AC_OK)
		return rc != AC_OK ? rc : AC_EINVAL;
	/* The Argon2 slot files are host-local (§10.2): beside a SQLite file, never beside a
	 * remote database, so with PostgreSQL in the installation's run/ directory. */
	if (c->database_path)
		rc = dup_to(x, c->database_path, &c->argon2_slot_prefix);
	else if (asprintf(&c->argon2_slot_prefix, "%s/run/authcgi", cfg_home()) < 0)
		return nomem(x);
	if (rc != AC_OK)
		return rc;

	if (get_str(x, K_REDIS_URL, "redis://127.0.0.1:6379/0", &c->redis_url) != AC_OK)
		return AC_EINVAL;
	rc = parse_redis(c->redis_url, &c->redis, &why);
	if (rc == AC_ENOMEM)
		return nomem(x);
	if (rc != AC_OK)
		return bad(x, K_REDIS_URL, "%s", why);
	if (get_uint(x, K_REDIS_CONNECT_TIMEOUT_MS, 500, 1, 60000, &c->redis_connect_timeout_ms) != AC_OK ||
	    get_uint(x, K_REDIS_TIMEOUT_MS, 1000, 1, 60000, &c->redis_timeout_ms) != AC_OK)
		return AC_EINVAL;

	rc = get_base_url(x, K_FRONTEND_URL, "http://localhost:3000", &c->frontend_url,
			  &c->frontend_origin);
	if (rc == AC_OK)
		rc = get_base_url(x, K_API_BASE_URL, "http://localhost:8000", &c->api_base_url,
				  &c->api_origin);
	if (rc != AC_OK)
		return rc;

	if (get(x, K_ALLOWED_ORIGINS, &v) != AC_OK)
		return AC_EINVAL;
	if (v && (rc = each_entry(x, K_ALLOWED_ORIGINS, v, add_origin, c)) != AC_OK)
		return rc;
	if (get(x, K_TRUSTED_PROXIES, &v) != AC_OK)
		return AC_EINVAL;
	if (v && (rc = each_entry(x, K_TRUSTED_PROXIES, v, add_proxy, c)) != AC_OK)
		return rc;
	return AC_OK;
}

static int build_sessions_passwords(struct ctx *x, struct cfg *c)
{
	const char *v;
	int b;

	if (get_uint(x, K_TOKEN_EXPIRATION, 600, 60, 31536000, &c->token_expiration) != AC_OK ||
	    get_uint(x, K_SESSION_COOKIE_AGE, 1209600, 60, 315360000, &c->session_cookie_age) != AC_OK ||
	    get_uint(x, K_SESSION_IDLE_TIMEOUT, 0, 0, 315360000, &c->session_idle_timeout) != AC_OK)
		return AC_EINVAL;
	if (get(x, K_SESSION_COOKIE_SECURE, &v) != AC_OK)
		return AC_EINVAL;
	if (!v || strcasecmp(v, "auto") == 0)
		c->session_cookie_secure = COOKIE_SECURE_AUTO;
	else if (cfg_parse_bool(v, &b) == AC_OK)
		c->session_cookie_secure = b ? COOKIE_SECURE_ALWAYS : COOKIE_SECURE_NEVER;
	else
		return bad(x, K_SESSION_COOKIE_SECURE, "must be auto, true or false");

	if (get_uint(x, K_ARGON2_PARALLELISM, 1, 1, 16, &c->argon2_parallelism) != AC_OK ||
	    get_uint(x, K_ARGON2_TIME_COST, 2, 1, 16, &c->argon2_time_cost) != AC_OK ||
	    get_uint(x, K_ARGON2_MAX_MEMORY_KIB, 131072, 8, 4194304, &c->argon2_max_memory_kib) != AC_OK ||
	    get_uint(x, K_ARGON2_MEMORY_KIB, 19456, 8, 4194304, &c->argon2_memory_kib) != AC_OK ||
	    get_uint(x, K_ARGON2_MAX_CONCURRENT, cpus_available(), 0, 4096,
		     &c->argon2_max_concurrent) != AC_OK)
		return AC_EINVAL;
	if (c->argon2_memory_kib < 8 * c->argon2_parallelism)
		return bad(x, K_ARGON2_MEMORY_KIB, "must be at least 8 x ARGON2_PARALLELISM");
	if (c->argon2_memory_kib > c->argon2_max_memory_kib)
		return bad(x, K_ARGON2_MAX_MEMORY_KIB, "must be at least ARGON2_MEMORY_KIB");
	if (get_uint(x, K_PASSWORD_MIN_LENGTH, 8, 1, 4096, &c->password_min_length) != AC_OK ||
	    get_abs_path(x, K_COMMON_PASSWORDS_FILE, &c->common_passwords_file) != AC_OK)
		return AC_EINVAL;

	if (get_rate(x, K_RATE_LIMIT_LOGIN_ACCOUNT, 5, 900, &c->rl_login_account) != AC_OK ||
	    get_rate(x, K_RATE_LIMIT_LOGIN_ADDR, 50, 900, &c->rl_login_addr) != AC_OK ||
	    get_rate(x, K_RATE_LIMIT_REGISTER_ADDR, 10, 3600, &c->rl_register_addr) != AC_OK ||
	    get_rate(x, K_RATE_LIMIT_MAIL_ADDR, 20, 3600, &c->rl_mail_addr) != AC_OK ||
	    get_rate(x, K_RATE_LIMIT_MAIL_EMAIL, 5, 3600, &c->rl_mail_email) != AC_OK)
		return AC_EINVAL;
	return AC_OK;
}

static int build_email(struct ctx *x, struct cfg *c)
{
	const char *v, *app_user, *app_pass;

	if (get(x, K_EMAIL_BACKEND, &v) != AC_OK)
		return AC_EINVAL;
	if (!v || strcasecmp(v, "console") == 0)
		c->email_backend = EMAIL_BACKEND_CONSOLE;
	else if (strcasecmp(v, "file") == 0)
		c->email_backend = EMAIL_BACKEND_FILE;
	else if (strcasecmp(v, "smtp") == 0)
		c->email_backend = EMAIL_BACKEND_SMTP;
	else
		return bad(x, K_EMAIL_BACKEND, "must be smtp, file or console");
	if (get_abs_path(x, K_EMAIL_FILE_PATH, &c->email_file_path) != AC_OK)
		return AC_EINVAL;
	if (c->email_backend == EMAIL_BACKEND_FILE && !c->email_file_path)
		return bad(x, K_EMAIL_FILE_PATH, "is required when EMAIL_BACKEND is file");
	if (get_str(x, K_EMAIL_HOST, "localhost", &c->email_host) != AC_OK)
		return AC_EINVAL;
	if (!host_ok(c->email_host))
		return bad(x, K_EMAIL_HOST, "must be a host name or an IP address");
	if (get_uint(x, K_EMAIL_PORT, 25, 1, 65535, &c->email_port) != AC_OK)
		return AC_EINVAL;

	if (get(x, K_APP_EMAIL__HOST_USER, &app_user) != AC_OK ||
	    get(x, K_APP_EMAIL__HOST_USER_PASSWORD, &app_pass) != AC_OK)
		return AC_EINVAL;
	if (get_str(x, K_EMAIL_HOST_USER, app_user ? app_user : "", &c->email_host_user) != AC_OK ||
	    get_str(x, K_EMAIL_HOST_PASSWORD, app_pass ? app_pass : "", &c->email_host_password) != AC_OK)
		return AC_EINVAL;
	if (get_bool(x, K_EMAIL_USE_TLS, 0, &c->email_use_tls) != AC_OK ||
	    get_bool(x, K_EMAIL_USE_SSL, 0, &c->email_use_ssl) != AC_OK)
		return AC_EINVAL;
	if (c->email_use_tls && c->email_use_ssl)
		return bad(x, K_EMAIL_USE_SSL, "cannot be used together with EMAIL_USE_TLS");
	if (get_uint(x, K_EMAIL_TIMEOUT, 30, 1, 3600, &c->email_timeout) != AC_OK)
		return AC_EINVAL;
	if (get_str(x, K_DEFAULT_FROM_EMAIL, app_user ? app_user : "webmaster@localhost",
		    &c->default_from_email) != AC_OK)
		return AC_EINVAL;
	if (!strchr(c->default_from_email, '@') || strlen(c->default_from_email) > 998)
		return bad(x, K_DEFAULT_FROM_EMAIL, "must be an e-mail address, e.g. Auth <no-reply@example.com>");
	if (get_uint(x, K_EMAIL_MAX_ATTEMPTS, 8, 1, 100, &c->email_max_attempts) != AC_OK)
		return AC_EINVAL;
	return AC_OK;
}

/* Printable ASCII without spaces (and without ':' when no_colon). */
static int token_ok(const char *s, int no_colon)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || (no_colon && *s == ':'))
			return 0;
	return 1;
}

/* An S3 bucket name usable in a host name: 3-63 of [a-z0-9.-], alphanumeric at both ends. */
static int bucket_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 3 || n > 63 || !is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

static int region_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/*
 * AWS_DEFAULT_ACL: a canned ACL, or none. An empty value in the file means none; the
 * environment cannot carry an empty value (§8.1), so "none" is accepted there too.
 */
static int get_acl(struct ctx *x, struct cfg *c)
{
	static const char *const acls[] = {
		"private", "public-read", "public-read-write", "authenticated-read",
		"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control",
		"log-delivery-write",
	};
	const char *v = raw(x, K_AWS_DEFAULT_ACL);

	if (!v)
		v = "public-read";
	if (check_text(x, K_AWS_DEFAULT_ACL, v) != AC_OK)
		return AC_EINVAL;
	if (!*v || strcasecmp(v, "none") == 0)
		return dup_to(x, "", &c->aws_default_acl);
	for (size_t i = 0; i < sizeof acls / sizeof *acls; i++)
		if (strcmp(v, acls[i]) == 0)
			return dup_to(x, v, &c->aws_default_acl);
	return bad(x, K_AWS_DEFAULT_ACL, "must be a canned ACL such as public-read or private, or empty");
}

/* MEDIA_URL: an absolute http(s) URL or an absolute path, ending in '/'. */
static int media_url_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[n - 1] != '/')
		return 0;
	if (s[0] == '/')
		return s[1] != '/' && path_ok(s);
	return http_url_ok(s);
}

static int build_storage(struct ctx *x, struct cfg *c)
{
	unsigned long long thumb;
	const char *v;
	int rc;

	if (get(x, K_STORAGE_BACKEND, &v) != AC_OK)
		return AC_EINVAL;
	if (!v || strcasecmp(v, "local") == 0)
		c->storage_backend = STORAGE_BACKEND_LOCAL;
	else if (strcasecmp(v, "s3") == 0)
		c->storage_backend = STORAGE_BACKEND_S3;
	else
		return bad(x, K_STORAGE_BACKEND, "must be local or s3");
	if (get_abs_path(x, K_MEDIA_ROOT, &c->media_root) != AC_OK)
		return AC_EINVAL;
	/* Default: the installation's media directory, like the database's default (a deviation
	 * from API.md §8.7, which calls it required: without it every endpoint would answer 500). */
	if (c->storage_backend == STORAGE_BACKEND_LOCAL && !c->media_root) {
		c->media_root = strdup(AUTHCGI_HOME "/media");
		if (!c->media_root)
			return bad(x, K_MEDIA_ROOT, "out of memory");
	}
	if (get_ull(x, K_THUMBNAIL_MAX_BYTES, 2097152, 1, 67108864, &thumb) != AC_OK)
		return AC_EINVAL;
	c->thumbnail_max_bytes = (unsigned long)thumb;

	if (get_str(x, K_AWS_ACCESS_KEY_ID, NULL, &c->aws_access_key_id) != AC_OK ||
	    get_str(x, K_AWS_SECRET_ACCESS_KEY, NULL, &c->aws_secret_access_key) != AC_OK ||
	    get_str(x, K_AWS_S3_BUCKET_NAME, NULL, &c->aws_s3_bucket_name) != AC_OK ||
	    get_str(x, K_AWS_REGION, "us-east-1", &c->aws_region) != AC_OK ||
	    get_str(x, K_AWS_S3_ENDPOINT_URL, "", &c->aws_s3_endpoint_url) != AC_OK)
		return AC_EINVAL;
	if (c->aws_access_key_id && !token_ok(c->aws_access_key_id, 1))
		return bad(x, K_AWS_ACCESS_KEY_ID, "must be printable ASCII without spaces or ':'");
	if (c->aws_secret_access_key && !token_ok(c->aws_secret_access_key, 0))
		return bad(x, K_AWS_SECRET_ACCESS_KEY, "must be printable ASCII without spaces");
	if (c->aws_s3_bucket_name && !bucket_ok(c->aws_s3_bucket_name))
		return bad(x, K_AWS_S3_BUCKET_NAME, "must be 3-63 characters of a-z, 0-9, '.' and '-'");
	if (!region_ok(c->aws_region))
		return bad(x, K_AWS_REGION, "must be a region name such as us-east-1");
	if (*c->aws_s3_endpoint_url) {
		if (!http_url_ok(c->aws_s3_endpoint_url))
			return bad(x, K_AWS_S3_ENDPOINT_URL,
				   "must be an absolute http(s) URL without user, query or fragment");
		strip_slashes(c->aws_s3_endpoint_url);
	}
	if ((rc = get_acl(x, c)) != AC_OK)
		return rc;
	if (c->storage_backend == STORAGE_BACKEND_S3) {
		if (!c->aws_access_key_id)
			return bad(x, K_AWS_ACCESS_KEY_ID, "is required when STORAGE_BACKEND is s3");
		if (!c->aws_secret_access_key)
			return bad(x, K_AWS_SECRET_ACCESS_KEY, "is required when STORAGE_BACKEND is s3");
		if (!c->aws_s3_bucket_name)
			return bad(x, K_AWS_S3_BUCKET_NAME, "is required when STORAGE_BACKEND is s3");
	}

	if (get(x, K_MEDIA_URL, &v) != AC_OK)
		return AC_EINVAL;
	if (v) {
		if (!media_url_ok(v))
			return bad(x, K_MEDIA_URL, "must be an absolute http(s) URL or path ending in '/'");
		return dup_to(x, v, &c->media_url);
	}
	if (c->storage_backend == STORAGE_BACKEND_LOCAL)
		rc = asprintf(&c->media_url, "%s/media/", c->api_base_url);
	else if (*c->aws_s3_endpoint_url)
		rc = asprintf(&c->media_url, "%s/%s/media/users/django-auth/",
			      c->aws_s3_endpoint_url, c->aws_s3_bucket_name);
	else
		rc = asprintf(&c->media_url, "https://%s.s3.%s.amazonaws.com/media/users/django-auth/",
			      c->aws_s3_bucket_name, c->aws_region);
	if (rc < 0) {
		c->media_url = NULL;
		return nomem(x);
	}
	return AC_OK;
}

/* TOTP_ISSUER (§8, §11.3.2): text; by default the host name of FRONTEND_URL, without port. */
static int build_two_factor(struct ctx *x, struct cfg *c)
{
	const char *v, *host;
	size_t n;

	if (get(x, K_TOTP_ISSUER, &v) != AC_OK)
		return AC_EINVAL;
	if (v) {
		if (strlen(v) > 255)
			return bad(x, K_TOTP_ISSUER, "longer than 255 bytes");
		return dup_to(x, v, &c->totp_issuer);
	}
	/* the canonical origin "scheme://host[:port]", IPv6 hosts in brackets */
	host = strstr(c->frontend_origin, "://") + 3;
	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
	c->totp_issuer = strndup(host, n);
	return c->totp_issuer ? AC_OK : nomem(x);
}

int cfg_build(const struct cfg_file *f, int use_env, struct cfg **out, char *err, size_t errlen)
{
	struct ctx x = { f, use_env, err, errlen };
	struct cfg *c;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	c = calloc(1, sizeof *c);
	if (!c)
		return nomem(&x);
	rc = build_core(&x, c);
	if (rc == AC_OK)
		rc = build_sessions_passwords(&x, c);
	if (rc == AC_OK)
		rc = build_email(&x, c);
	if (rc == AC_OK)
		rc = build_storage(&x, c);
	if (rc == AC_OK)
		rc = build_two_factor(&x, c);
	if (rc != AC_OK) {
		cfg_free(c);
		return rc;
	}
	*out = c;
	return AC_OK;
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	if (c->secret_key) {
		OPENSSL_cleanse(c->secret_key, c->secret_key_len);
		free(c->secret_key);
	}
	free(c->database_path);
	free_wipe(c->database_url);   /* may hold the database password */
	free(c->argon2_slot_prefix);
	free_wipe(c->redis_url);
	redis_clear(&c->redis);
	free(c->frontend_url);
	free(c->frontend_origin);
	free(c->api_base_url);
	free(c->api_origin);
	for (size_t i = 0; i < c->n_allowed_origins; i++)
		free(c->allowed_origins[i]);
	free(c->allowed_origins);
	free(c->trusted_proxies);
	free(c->common_passwords_file);
	free(c->email_file_path);
	free(c->email_host);
	free_wipe(c->email_host_user);
	free_wipe(c->email_host_password);
	free(c->default_from_email);
	free(c->media_root);
	free(c->media_url);
	free(c->aws_access_key_id);
	free_wipe(c->aws_secret_access_key);
	free(c->aws_s3_bucket_name);
	free(c->aws_region);
	free(c->aws_s3_endpoint_url);
	free(c->aws_default_acl);
	free(c->totp_issuer);
	free(c);
}
