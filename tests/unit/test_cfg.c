/* Unit tests for lib/cfg.c: sources and precedence, file format, every value type and its rejections (API.md §8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_internal.h"
#include "err.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define BASE "SECRET_KEY=" SECRET "\nMEDIA_ROOT=/srv/media\n"

/* ARGON2_MAX_CONCURRENT's default: the CPUs this process may run on, at most 64. */
static unsigned expected_cpus(void)
{
	cpu_set_t set;
	int n;

	assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
	n = CPU_COUNT(&set);
	return n > 64 ? 64 : (unsigned)n;
}

static const char *const all_keys[] = {
	"SECRET_KEY", "DATABASE_URL", "SQLITE_BUSY_TIMEOUT_MS", "REDIS_URL",
	"REDIS_CONNECT_TIMEOUT_MS", "REDIS_TIMEOUT_MS", "FRONTEND_URL", "API_BASE_URL",
	"ALLOWED_ORIGINS", "TRUSTED_PROXIES", "TOKEN_EXPIRATION", "SESSION_COOKIE_AGE",
	"SESSION_COOKIE_SECURE", "SESSION_IDLE_TIMEOUT", "ARGON2_MEMORY_KIB", "ARGON2_TIME_COST",
	"ARGON2_PARALLELISM", "ARGON2_MAX_MEMORY_KIB", "ARGON2_MAX_CONCURRENT",
	"PASSWORD_MIN_LENGTH", "COMMON_PASSWORDS_FILE", "RATE_LIMIT_LOGIN_ACCOUNT",
	"RATE_LIMIT_LOGIN_ADDR", "RATE_LIMIT_REGISTER_ADDR", "RATE_LIMIT_MAIL_ADDR",
	"RATE_LIMIT_MAIL_EMAIL", "EMAIL_BACKEND", "EMAIL_FILE_PATH", "EMAIL_HOST", "EMAIL_PORT",
	"EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
	"EMAIL_TIMEOUT", "DEFAULT_FROM_EMAIL", "EMAIL_MAX_ATTEMPTS", "APP_EMAIL__HOST_USER",
	"APP_EMAIL__HOST_USER_PASSWORD", "STORAGE_BACKEND", "MEDIA_ROOT", "MEDIA_URL",
	"THUMBNAIL_MAX_BYTES", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_S3_BUCKET_NAME", "AWS_REGION", "AWS_S3_ENDPOINT_URL", "AWS_DEFAULT_ACL",
	"TOTP_ISSUER", "AUTHCGI_CONFIG", "HTTP_SECRET_KEY", "HTTP_TOKEN_EXPIRATION",
};

static int clear_env(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof all_keys / sizeof *all_keys; i++)
		unsetenv(all_keys[i]);
	return 0;
}

/* Parses text as a file and builds over the environment. */
static int build(const char *text, struct cfg **c, char *err, size_t errlen)
{
	struct cfg_file *f;
	int rc;

	*c = NULL;
	rc = cfg_parse_buffer(text, strlen(text), &f, err, errlen);
	if (rc != AC_OK)
		return rc;
	rc = cfg_build(f, 1, c, err, errlen);
	cfg_file_free(f);
	return rc;
}

/* BASE + extra must load; the caller frees. */
static struct cfg *ok(const char *extra)
{
	char text[8192], err[512] = "";
	struct cfg *c;
	int rc;

	snprintf(text, sizeof text, "%s%s", BASE, extra);
	rc = build(text, &c, err, sizeof err);
	if (rc != AC_OK)
		fail_msg("unexpected failure for \"%s\": %s", extra, err);
	assert_non_null(c);
	return c;
}

/* text (no BASE added) must fail with a reason containing needle. */
static void fails_raw(const char *text, const char *needle)
{
	char err[512] = "";
	struct cfg *c = (struct cfg *)1;

	assert_int_equal(build(text, &c, err, sizeof err), AC_EINVAL);
	assert_null(c);
	if (!strstr(err, needle))
		fail_msg("reason \"%s\" does not mention \"%s\"", err, needle);
}

static void fails(const char *extra, const char *needle)
{
	char text[8192];

	snprintf(text, sizeof text, "%s%s", BASE, extra);
	fails_raw(text, needle);
}

static void test_defaults(void **state)
{
	struct cfg *c = ok("");

	(void)state;
	assert_string_equal(c->secret_key, SECRET);
	assert_int_equal(c->secret_key_len, 32);
	assert_string_equal(c->database_path, AUTHCGI_HOME "/db/authcgi.sqlite3");
	assert_int_equal(c->sqlite_busy_timeout_ms, 3000);
	assert_string_equal(c->redis_url, "redis://127.0.0.1:6379/0");
	assert_int_equal(c->redis.is_unix, 0);
	assert_string_equal(c->redis.host, "127.0.0.1");
	assert_int_equal(c->redis.port, 6379);
	assert_null(c->redis.path);
	assert_null(c->redis.user);
	assert_null(c->redis.password);
	assert_int_equal(c->redis.db, 0);
	assert_int_equal(c->redis_connect_timeout_ms, 500);
	assert_int_equal(c->redis_timeout_ms, 1000);
	assert_string_equal(c->frontend_url, "http://localhost:3000");
	assert_string_equal(c->frontend_origin, "http://localhost:3000");
	assert_string_equal(c->api_base_url, "http://localhost:8000");
	assert_string_equal(c->api_origin, "http://localhost:8000");
	assert_int_equal(c->n_allowed_origins, 0);
	assert_int_equal(c->n_trusted_proxies, 0);
	assert_int_equal(c->token_expiration, 600);
	assert_int_equal(c->session_cookie_age, 1209600);
	assert_int_equal(c->session_cookie_secure, COOKIE_SECURE_AUTO);
	assert_int_equal(c->session_idle_timeout, 0);
	assert_int_equal(c->argon2_memory_kib, 19456);
	assert_int_equal(c->argon2_time_cost, 2);
	assert_int_equal(c->argon2_parallelism, 1);
	assert_int_equal(c->argon2_max_memory_kib, 131072);
	assert_int_equal(c->argon2_max_concurrent, expected_cpus());
	assert_int_equal(c->password_min_length, 8);
	assert_null(c->common_passwords_file);
	assert_int_equal(c->rl_login_account.count, 5);
	assert_int_equal(c->rl_login_account.seconds, 900);
	assert_int_equal(c->rl_login_addr.count, 50);
	assert_int_equal(c->rl_login_addr.seconds, 900);
	assert_int_equal(c->rl_register_addr.count, 10);
	assert_int_equal(c->rl_register_addr.seconds, 3600);
	assert_int_equal(c->rl_mail_addr.count, 20);
	assert_int_equal(c->rl_mail_addr.seconds, 3600);
	assert_int_equal(c->rl_mail_email.count, 5);
	assert_int_equal(c->rl_mail_email.seconds, 3600);
	assert_int_equal(c->email_backend, EMAIL_BACKEND_CONSOLE);
	assert_null(c->email_file_path);
	assert_string_equal(c->email_host, "localhost");
	assert_int_equal(c->email_port, 25);
	assert_string_equal(c->email_host_user, "");
	assert_string_equal(c->email_host_password, "");
	assert_int_equal(c->email_use_tls, 0);
	assert_int_equal(c->email_use_ssl, 0);
	assert_int_equal(c->email_timeout, 30);
	assert_string_equal(c->default_from_email, "webmaster@localhost");
	assert_int_equal(c->email_max_attempts, 8);
	assert_int_equal(c->storage_backend, STORAGE_BACKEND_LOCAL);
	assert_string_equal(c->media_root, "/srv/media");
	assert_string_equal(c->media_url, "http://localhost:8000/media/");
	assert_int_equal(c->thumbnail_max_bytes, 2097152);
	assert_null(c->aws_access_key_id);
	assert_null(c->aws_secret_access_key);
	assert_null(c->aws_s3_bucket_name);
	assert_string_equal(c->aws_region, "us-east-1");
	assert_string_equal(c->aws_s3_endpoint_url, "");
	assert_string_equal(c->aws_default_acl, "public-read");
	cfg_free(c);
}

/* On one CPU (a CGI started under taskset or a cpuset) the default cap is 1. */
static void test_argon2_cap_follows_affinity(void **state)
{
	cpu_set_t all, one;
	struct cfg *c;
	int cpu = 0;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
	while (!CPU_ISSET(cpu, &all))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
	c = ok("");
	assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
	assert_int_equal(c->argon2_max_concurrent, 1);
	cfg_free(c);
	c = ok("ARGON2_MAX_CONCURRENT=7\n");
	assert_int_equal(c->argon2_max_concurrent, 7);
	cfg_free(c);
}

static void test_paths(void **state)
{
	(void)state;
	assert_string_equal(cfg_home(), AUTHCGI_HOME);
	assert_string_equal(cfg_default_path(), AUTHCGI_HOME "/authcgi.conf");
	cfg_free(NULL);
}

static void test_file_format(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("# a comment\n"
	       "\n"
	       "   \t\n"
	       "  # an indented comment\n"
	       "export TOKEN_EXPIRATION=900\n"
	       "export\tSESSION_IDLE_TIMEOUT = 120 \n"
	       "  PASSWORD_MIN_LENGTH  =  10\t\n"
	       "DEFAULT_FROM_EMAIL=\"Auth <no-reply@example.com>\"\n"
	       "EMAIL_HOST_USER='  spaced user  '\n"
	       "EMAIL_HOST_PASSWORD=\"it's\"\n"
	       "AWS_REGION=eu-west-1\r\n"
	       "UNKNOWN_KEY=whatever\n"
	       "HTTP_HOST=evil.example\n"
	       "EMAIL_TIMEOUT=\"\"\n"
	       "EMAIL_PORT=587");
	assert_int_equal(c->token_expiration, 900);
	assert_int_equal(c->session_idle_timeout, 120);
	assert_int_equal(c->password_min_length, 10);
	assert_string_equal(c->default_from_email, "Auth <no-reply@example.com>");
	assert_string_equal(c->email_host_user, "  spaced user  ");
	assert_string_equal(c->email_host_password, "it's");
	assert_string_equal(c->aws_region, "eu-west-1");
	assert_int_equal(c->email_timeout, 30);  /* empty value: the default */
	assert_int_equal(c->email_port, 587);    /* last line without '\n' */
	cfg_free(c);
	/* mismatched quotes are kept, so this host name is invalid */
	fails("EMAIL_HOST=\"mail.example.com'\n", "EMAIL_HOST");
	/* no escaping: the backslash stays and the value is not a number */
	fails("EMAIL_PORT=\\25\n", "EMAIL_PORT");
	/* no inline comments */
	fails("EMAIL_PORT=25 # smtp\n", "EMAIL_PORT");

	/* the value is everything after the first '=' */
	c = ok("DEFAULT_FROM_EMAIL=a=b@example.com\n");
	assert_string_equal(c->default_from_email, "a=b@example.com");
	cfg_free(c);
	/* a byte order mark before the first key */
	c = ok("");
	cfg_free(c);
	{
		char err[256];
		const char text[] = "\xef\xbb\xbfSECRET_KEY=" SECRET "\nMEDIA_ROOT=/m\n";

		assert_int_equal(build(text, &c, err, sizeof err), AC_OK);
		assert_string_equal(c->secret_key, SECRET);
		cfg_free(c);
	}
}

static void test_file_malformed(void **state)
{
	static const char *const bad[] = {
		"lowercase=1", "NOEQUALS", "=value", "1KEY=x", "KEY-X=1", "Key=1", "export",
		"export =1", "exportKEY=1", "KEY X=1", "_KEY=1", "ÄKEY=1", "[section]",
		"KEY:1", "export export KEY=1",
	};
	char text[256], err[256];
	struct cfg *c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(text, sizeof text, "SECRET_KEY=" SECRET "\n\n# c\n%s\n", bad[i]);
		err[0] = '\0';
		assert_int_equal(build(text, &c, err, sizeof err), AC_EINVAL);
		assert_null(c);
		if (!strstr(err, "line 4"))
			fail_msg("\"%s\": reason \"%s\" lacks the line number", bad[i], err);
	}
	/* a malformed line never quotes its content, which may be a secret */
	assert_int_equal(build("SECRET_KEY " SECRET "\n", &c, err, sizeof err), AC_EINVAL);
	assert_null(strstr(err, SECRET));
	assert_non_null(strstr(err, "line 1"));
}

static void test_file_duplicate_and_limits(void **state)
{
	char err[256], *big;
	struct cfg_file *f;
	static const char nul[] = "SECRET_KEY=" SECRET "\nEMAIL_HOST=a\0b\n";

	(void)state;
	fails("TOKEN_EXPIRATION=600\nTOKEN_EXPIRATION=700\n", "line 4");
	fails("TOKEN_EXPIRATION=600\nexport TOKEN_EXPIRATION=700\n", "already set on line 3");

	assert_int_equal(cfg_parse_buffer(nul, sizeof nul - 1, &f, err, sizeof err), AC_EINVAL);
	assert_null(f);
	assert_non_null(strstr(err, "line 2"));

	big = malloc(CFG_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', CFG_FILE_MAX + 1);
	for (size_t i = 100; i < CFG_FILE_MAX + 1; i += 100)
		big[i] = '\n';
	assert_int_equal(cfg_parse_buffer(big, CFG_FILE_MAX + 1, &f, err, sizeof err), AC_EINVAL);
	assert_null(f);
	assert_int_equal(cfg_parse_buffer(big, CFG_FILE_MAX, &f, err, sizeof err), AC_OK);
	cfg_file_free(f);
	/* one line longer than CFG_LINE_MAX */
	memset(big, '#', CFG_LINE_MAX + 1);
	big[CFG_LINE_MAX + 1] = '\n';
	assert_int_equal(cfg_parse_buffer(big, CFG_LINE_MAX + 2, &f, err, sizeof err), AC_EINVAL);
	assert_non_null(strstr(err, "line 1"));
	assert_int_equal(cfg_parse_buffer(big, CFG_LINE_MAX, &f, err, sizeof err), AC_OK);
	cfg_file_free(f);
	free(big);

	assert_int_equal(cfg_parse_buffer("", 0, &f, err, sizeof err), AC_OK);
	cfg_file_free(f);
	cfg_file_free(NULL);
}

static void test_env_over_file(void **state)
{
	struct cfg *c;

	(void)state;
	setenv("TOKEN_EXPIRATION", "900", 1);
	setenv("EMAIL_PORT", "", 1);
	c = ok("TOKEN_EXPIRATION=700\nEMAIL_PORT=2525\nEMAIL_TIMEOUT=40\n");
	assert_int_equal(c->token_expiration, 900);   /* environment wins */
	assert_int_equal(c->email_port, 2525);        /* empty environment value does not */
	assert_int_equal(c->email_timeout, 40);       /* file value without environment */
	cfg_free(c);
	/* the environment is validated like the file */
	setenv("TOKEN_EXPIRATION", " 900", 1);
	fails("TOKEN_EXPIRATION=700\n", "TOKEN_EXPIRATION");
	/* the environment alone can carry the secret */
	setenv("SECRET_KEY", "ffffffffffffffffffffffffffffffff-env", 1);
	setenv("MEDIA_ROOT", "/env/media", 1);
	unsetenv("TOKEN_EXPIRATION");
	{
		struct cfg_file *f = NULL;
		char err[256];

		assert_int_equal(cfg_build(f, 1, &c, err, sizeof err), AC_OK);
		assert_string_equal(c->secret_key, "ffffffffffffffffffffffffffffffff-env");
		assert_string_equal(c->media_root, "/env/media");
		cfg_free(c);
		/* use_env 0 ignores it */
		assert_int_equal(cfg_build(f, 0, &c, err, sizeof err), AC_EINVAL);
		assert_non_null(strstr(err, "SECRET_KEY"));
	}
}

static void test_http_keys_never_read(void **state)
{
	(void)state;
	/* under CGI, request headers become HTTP_* variables: none of them is configuration */
	setenv("HTTP_SECRET_KEY", "ffffffffffffffffffffffffffffffff", 1);
	setenv("HTTP_TOKEN_EXPIRATION", "61", 1);
	fails_raw("MEDIA_ROOT=/m\n", "SECRET_KEY");
	{
		struct cfg *c = ok("HTTP_TOKEN_EXPIRATION=61\n");

		assert_int_equal(c->token_expiration, 600);
		cfg_free(c);
	}
}

static char tmpdir_file[64];

/* Writes text to a new temporary file; returns its path (static). */
static const char *temp_config(const char *text)
{
	int fd;

	strcpy(tmpdir_file, "/tmp/test_cfg_XXXXXX");
	fd = mkstemp(tmpdir_file);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmpdir_file;
}

static void test_load_named_file(void **state)
{
	struct cfg *c;
	char err[512];
	const char *path;

	(void)state;
	path = temp_config(BASE "TOKEN_EXPIRATION=700\nREDIS_TIMEOUT_MS=900\n");
	setenv("AUTHCGI_CONFIG", path, 1);
	setenv("TOKEN_EXPIRATION", "800", 1);
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_OK);
	assert_int_equal(c->token_expiration, 800);
	assert_int_equal(c->redis_timeout_ms, 900);
	assert_string_equal(c->secret_key, SECRET);
	cfg_free(c);

	/* a malformed named file is an error naming the file and the line */
	unlink(path);
	path = temp_config(BASE "oops\n");
	setenv("AUTHCGI_CONFIG", path, 1);
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "line 3"));
	unlink(path);

	/* a missing named file is an error */
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, path));

	/* a directory is not a configuration file */
	setenv("AUTHCGI_CONFIG", "/tmp", 1);
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_EINVAL);
	assert_null(c);
}

static void test_load_default_file(void **state)
{
	struct cfg *c;
	char err[512];

	(void)state;
	if (access(cfg_default_path(), F_OK) == 0) {
		skip();
		return;
	}
	/* a missing default file is fine; an empty AUTHCGI_CONFIG means the default */
	setenv("AUTHCGI_CONFIG", "", 1);
	setenv("SECRET_KEY", SECRET, 1);
	setenv("MEDIA_ROOT", "/srv/m", 1);
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_OK);
	assert_string_equal(c->media_root, "/srv/m");
	cfg_free(c);
	unsetenv("SECRET_KEY");
	assert_int_equal(cfg_load(&c, err, sizeof err), AC_EINVAL);
	assert_non_null(strstr(err, "SECRET_KEY"));
}

static void test_secret_key(void **state)
{
	struct cfg *c;
	char err[512];

	(void)state;
	fails_raw("MEDIA_ROOT=/m\n", "SECRET_KEY");
	fails_raw("SECRET_KEY=\nMEDIA_ROOT=/m\n", "SECRET_KEY");
	fails_raw("SECRET_KEY=0123456789abcdef0123456789abcde\nMEDIA_ROOT=/m\n", "at least 32");
	fails_raw("SECRET_KEY=django-insecure-zt$)wab#-u1)frduzwlq-)yqse^a%5guk7kq%^-h(v(xdlfm&h\n"
		  "MEDIA_ROOT=/m\n", "published default");
	fails_raw("SECRET_KEY='django-insecure-zt$)wab#-u1)frduzwlq-)yqse^a%5guk7kq%^-h(v(xdlfm&h'\n"
		  "MEDIA_ROOT=/m\n", "SECRET_KEY");
	/* one character more is a different key */
	assert_int_equal(build("SECRET_KEY=django-insecure-zt$)wab#-u1)frduzwlq-)yqse^a%5guk7kq%^-h(v(xdlfm&hx\n"
			       "MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_OK);
	cfg_free(c);
	/* the reason never carries the value */
	setenv("SECRET_KEY", "short-secret-value", 1);
	assert_int_equal(build("MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_EINVAL);
	assert_null(strstr(err, "short-secret-value"));
	setenv("SECRET_KEY", "0123456789abcdef0123456789abcdef\x01", 1);
	assert_int_equal(build("MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_EINVAL);
	assert_non_null(strstr(err, "SECRET_KEY"));
	assert_null(strstr(err, "0123456789abcdef"));
	setenv("SECRET_KEY", "0123456789abcdef0123456789abcdef\xff", 1);
	assert_int_equal(build("MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_EINVAL);
	assert_non_null(strstr(err, "UTF-8"));
	/* UTF-8 is fine and counts bytes */
	{
		char key[64] = "";

		for (int i = 0; i < 15; i++)
			strcat(key, "\xc3\xa9");  /* 15 characters, 30 bytes */
		setenv("SECRET_KEY", key, 1);
		assert_int_equal(build("MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_EINVAL);
		strcat(key, "\xc3\xa9");      /* 16 characters, 32 bytes */
		setenv("SECRET_KEY", key, 1);
		assert_int_equal(build("MEDIA_ROOT=/m\n", &c, err, sizeof err), AC_OK);
		assert_int_equal(c->secret_key_len, 32);
		cfg_free(c);
	}
}

static void test_integers(void **state)
{
	static const char *const bad[] = {
		"-1", "+600", "6O0", "600s", "0x258", "1e3", "600.0", "6 00",
		"99999999999999999999999999", "18446744073709551616", "4294967896", "59",
		"31536001",
	};
	char line[128];
	struct cfg *c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "TOKEN_EXPIRATION=%s\n", bad[i]);
		fails(line, "TOKEN_EXPIRATION");
	}
	c = ok("TOKEN_EXPIRATION=60\nPASSWORD_MIN_LENGTH=4096\nSQLITE_BUSY_TIMEOUT_MS=0\n"
	       "REDIS_CONNECT_TIMEOUT_MS=0001\nTHUMBNAIL_MAX_BYTES=67108864\n"
	       "ARGON2_MAX_CONCURRENT=0\nSESSION_IDLE_TIMEOUT=3600\nSESSION_COOKIE_AGE=60\n");
	assert_int_equal(c->token_expiration, 60);
	assert_int_equal(c->password_min_length, 4096);
	assert_int_equal(c->sqlite_busy_timeout_ms, 0);
	assert_int_equal(c->redis_connect_timeout_ms, 1);
	assert_int_equal(c->thumbnail_max_bytes, 67108864);
	assert_int_equal(c->argon2_max_concurrent, 0);
	assert_int_equal(c->session_idle_timeout, 3600);
	assert_int_equal(c->session_cookie_age, 60);
	cfg_free(c);
	fails("PASSWORD_MIN_LENGTH=0\n", "PASSWORD_MIN_LENGTH");
	fails("PASSWORD_MIN_LENGTH=4097\n", "PASSWORD_MIN_LENGTH");
	fails("REDIS_TIMEOUT_MS=0\n", "REDIS_TIMEOUT_MS");
	fails("REDIS_CONNECT_TIMEOUT_MS=60001\n", "REDIS_CONNECT_TIMEOUT_MS");
	fails("THUMBNAIL_MAX_BYTES=67108865\n", "THUMBNAIL_MAX_BYTES");
	fails("THUMBNAIL_MAX_BYTES=0\n", "THUMBNAIL_MAX_BYTES");
	fails("EMAIL_PORT=0\n", "EMAIL_PORT");
	fails("EMAIL_PORT=65536\n", "EMAIL_PORT");
	fails("EMAIL_TIMEOUT=0\n", "EMAIL_TIMEOUT");
	fails("EMAIL_MAX_ATTEMPTS=0\n", "EMAIL_MAX_ATTEMPTS");
	fails("SESSION_COOKIE_AGE=0\n", "SESSION_COOKIE_AGE");
	fails("ARGON2_MAX_CONCURRENT=-1\n", "ARGON2_MAX_CONCURRENT");
}

static void test_booleans(void **state)
{
	static const char *const t[] = { "true", "TRUE", "True", "1", "yes", "YES", "on", "On" };
	static const char *const f[] = { "false", "FALSE", "0", "no", "No", "off", "OFF" };
	static const char *const bad[] = { "", "2", "y", "n", "t", "truee", " true", "enable", "-1" };
	int v;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		v = 7;
		assert_int_equal(cfg_parse_bool(t[i], &v), AC_OK);
		assert_int_equal(v, 1);
	}
	for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
		v = 7;
		assert_int_equal(cfg_parse_bool(f[i], &v), AC_OK);
		assert_int_equal(v, 0);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(cfg_parse_bool(bad[i], &v), AC_EINVAL);
	assert_int_equal(cfg_parse_bool(NULL, &v), AC_EINVAL);

	{
		struct cfg *c = ok("EMAIL_USE_TLS=Yes\nEMAIL_USE_SSL=off\n");

		assert_int_equal(c->email_use_tls, 1);
		assert_int_equal(c->email_use_ssl, 0);
		cfg_free(c);
	}
	fails("EMAIL_USE_TLS=maybe\n", "EMAIL_USE_TLS");
}

static void test_cookie_secure(void **state)
{
	static const struct { const char *v; enum cfg_cookie_secure want; } cases[] = {
		{ "auto", COOKIE_SECURE_AUTO }, { "AUTO", COOKIE_SECURE_AUTO },
		{ "true", COOKIE_SECURE_ALWAYS }, { "1", COOKIE_SECURE_ALWAYS },
		{ "on", COOKIE_SECURE_ALWAYS }, { "false", COOKIE_SECURE_NEVER },
		{ "no", COOKIE_SECURE_NEVER }, { "0", COOKIE_SECURE_NEVER },
	};
	char line[128];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct cfg *c;

		snprintf(line, sizeof line, "SESSION_COOKIE_SECURE=%s\n", cases[i].v);
		c = ok(line);
		assert_int_equal(c->session_cookie_secure, cases[i].want);
		cfg_free(c);
	}
	fails("SESSION_COOKIE_SECURE=always\n", "SESSION_COOKIE_SECURE");
}

static void test_argon2(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("ARGON2_MEMORY_KIB=65536\nARGON2_TIME_COST=3\nARGON2_PARALLELISM=4\n"
	       "ARGON2_MAX_MEMORY_KIB=65536\nARGON2_MAX_CONCURRENT=2\n");
	assert_int_equal(c->argon2_memory_kib, 65536);
	assert_int_equal(c->argon2_time_cost, 3);
	assert_int_equal(c->argon2_parallelism, 4);
	assert_int_equal(c->argon2_max_memory_kib, 65536);
	assert_int_equal(c->argon2_max_concurrent, 2);
	cfg_free(c);
	c = ok("ARGON2_MEMORY_KIB=128\nARGON2_PARALLELISM=16\n");
	cfg_free(c);
	fails("ARGON2_MEMORY_KIB=127\nARGON2_PARALLELISM=16\n", "ARGON2_MEMORY_KIB");
	fails("ARGON2_MEMORY_KIB=7\n", "ARGON2_MEMORY_KIB");
	fails("ARGON2_MEMORY_KIB=200000\n", "ARGON2_MAX_MEMORY_KIB");
	fails("ARGON2_MAX_MEMORY_KIB=4194305\n", "ARGON2_MAX_MEMORY_KIB");
	c = ok("ARGON2_MAX_MEMORY_KIB=4194304\nARGON2_MEMORY_KIB=4194304\n");
	cfg_free(c);
	fails("ARGON2_TIME_COST=0\n", "ARGON2_TIME_COST");
	fails("ARGON2_TIME_COST=17\n", "ARGON2_TIME_COST");
	fails("ARGON2_PARALLELISM=0\n", "ARGON2_PARALLELISM");
	fails("ARGON2_PARALLELISM=17\n", "ARGON2_PARALLELISM");
}

static void test_rate_limits(void **state)
{
	static const char *const bad[] = {
		"5", "5/", "/900", "5/0", "a/b", "5/900/1", "-5/900", "5/-900", "5 / 900",
		"5/31536001", "1000001/60", "5/900s",
	};
	char line[128];
	struct cfg *c;

	(void)state;
	c = ok("RATE_LIMIT_LOGIN_ACCOUNT=3/60\nRATE_LIMIT_LOGIN_ADDR=0\n"
	       "RATE_LIMIT_REGISTER_ADDR=0/60\nRATE_LIMIT_MAIL_ADDR=0/0\n"
	       "RATE_LIMIT_MAIL_EMAIL=1000000/31536000\n");
	assert_int_equal(c->rl_login_account.count, 3);
	assert_int_equal(c->rl_login_account.seconds, 60);
	assert_int_equal(c->rl_login_addr.count, 0);
	assert_int_equal(c->rl_register_addr.count, 0);
	assert_int_equal(c->rl_mail_addr.count, 0);
	assert_int_equal(c->rl_mail_email.count, 1000000);
	assert_int_equal(c->rl_mail_email.seconds, 31536000);
	cfg_free(c);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "RATE_LIMIT_MAIL_ADDR=%s\n", bad[i]);
		fails(line, "RATE_LIMIT_MAIL_ADDR");
	}
}

static void test_database_url(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("DATABASE_URL=sqlite:////var/lib/authcgi/db.sqlite3\n");
	assert_int_equal(c->database_engine, CFG_DB_SQLITE);
	assert_string_equal(c->database_path, "/var/lib/authcgi/db.sqlite3");
	/* the Argon2 slot files live beside the SQLite file */
	assert_string_equal(c->argon2_slot_prefix, "/var/lib/authcgi/db.sqlite3");
	cfg_free(c);
	c = ok("DATABASE_URL=SQLite:////db.sqlite3\n");
	assert_string_equal(c->database_path, "/db.sqlite3");
	cfg_free(c);
	fails("DATABASE_URL=sqlite:///db.sqlite3\n", "absolute");
	fails("DATABASE_URL=sqlite://db.sqlite3\n", "DATABASE_URL");
	fails("DATABASE_URL=sqlite://\n", "DATABASE_URL");
	fails("DATABASE_URL=sqlite:////\n", "DATABASE_URL");
	fails("DATABASE_URL=sqlite:////var/lib/\n", "DATABASE_URL");
	fails("DATABASE_URL=sqlite:////db.sqlite3?mode=ro\n", "DATABASE_URL");
	fails("DATABASE_URL=sqlite::memory:\n", "DATABASE_URL");
	fails("DATABASE_URL=/var/lib/db.sqlite3\n", "DATABASE_URL");
#ifdef AUTHCGI_POSTGRES
	/* the URL goes to libpq whole; the slot files stay on this host, in run/ */
	c = ok("DATABASE_URL=postgres://u:p@db:5432/auth?sslmode=verify-full\n");
	assert_int_equal(c->database_engine, CFG_DB_POSTGRES);
	assert_string_equal(c->database_url, "postgres://u:p@db:5432/auth?sslmode=verify-full");
	assert_null(c->database_path);
	assert_string_equal(c->argon2_slot_prefix, AUTHCGI_HOME "/run/authcgi");
	cfg_free(c);
	c = ok("DATABASE_URL=postgresql:///auth?host=/var/run/postgresql\n");
	assert_int_equal(c->database_engine, CFG_DB_POSTGRES);
	cfg_free(c);
	fails("DATABASE_URL=postgres://u:p@db/auth?=x\n", "libpq");
#else
	/* a build without the engine names the build option that has it */
	fails("DATABASE_URL=postgres://u:p@db:5432/auth\n", "no PostgreSQL support");
	fails("DATABASE_URL=postgresql://u:p@db/auth\n", "make POSTGRES=1");
#endif
	fails("DATABASE_URL=mysql://u:p@db/auth\n", "DATABASE_URL");
	/* the reason does not quote the URL (it may carry a password) */
	{
		char err[256];

		assert_int_equal(build(BASE "DATABASE_URL=postgres://u:hunter2@db/a?=x\n", &c, err,
				       sizeof err), AC_EINVAL);
		assert_null(strstr(err, "hunter2"));
	}
}

static void test_redis_url(void **state)
{
	static const char *const bad[] = {
		"rediss://h:6380/0", "http://localhost:6379", "redis://", "redis://:6379",
		"redis://h:0", "redis://h:65536", "redis://h:port", "redis://h/x", "redis://h/1/2",
		"redis://h/0?timeout=1", "redis://h#x", "redis://user@h", "redis://user:@h",
		"redis://[::1", "redis://[::1]x", "redis://[zz]", "redis://h:6379:1", "redis://h h",
		"redis://u:p%zz@h", "redis://u:p%00@h", "redis://u:p%0a@h", "redis://u:p%@h",
		"unix://", "unix://tmp/redis.sock", "unix:///", "unix:///tmp/r.sock?db=x",
		"unix:///tmp/r.sock?password=x", "unix:///tmp/r.sock#x", "localhost:6379",
		"redis://h/65536",
	};
	char line[512], err[512];
	struct cfg *c;

	(void)state;
	c = ok("REDIS_URL=redis://localhost\n");
	assert_string_equal(c->redis.host, "localhost");
	assert_int_equal(c->redis.port, 6379);
	assert_int_equal(c->redis.db, 0);
	assert_null(c->redis.password);
	cfg_free(c);

	c = ok("REDIS_URL=redis://:s3cret@redis.example:6380/2\n");
	assert_string_equal(c->redis.host, "redis.example");
	assert_int_equal(c->redis.port, 6380);
	assert_int_equal(c->redis.db, 2);
	assert_null(c->redis.user);
	assert_string_equal(c->redis.password, "s3cret");
	assert_string_equal(c->redis_url, "redis://:s3cret@redis.example:6380/2");
	cfg_free(c);

	c = ok("REDIS_URL=redis://app%40x:p%40ss%3Aw@10.0.0.5/\n");
	assert_string_equal(c->redis.user, "app@x");
	assert_string_equal(c->redis.password, "p@ss:w");
	assert_string_equal(c->redis.host, "10.0.0.5");
	assert_int_equal(c->redis.db, 0);
	cfg_free(c);

	/* an unescaped '@' in the password: the last '@' ends the userinfo */
	c = ok("REDIS_URL=redis://u:p@ss@h:1\n");
	assert_string_equal(c->redis.password, "p@ss");
	assert_string_equal(c->redis.host, "h");
	assert_int_equal(c->redis.port, 1);
	cfg_free(c);

	c = ok("REDIS_URL=redis://[::1]:6390/15\n");
	assert_string_equal(c->redis.host, "::1");
	assert_int_equal(c->redis.port, 6390);
	assert_int_equal(c->redis.db, 15);
	cfg_free(c);

	c = ok("REDIS_URL=unix:///run/redis/redis.sock\n");
	assert_int_equal(c->redis.is_unix, 1);
	assert_string_equal(c->redis.path, "/run/redis/redis.sock");
	assert_null(c->redis.host);
	assert_int_equal(c->redis.db, 0);
	cfg_free(c);

	c = ok("REDIS_URL=UNIX:///tmp/r.sock?db=3\n");
	assert_int_equal(c->redis.is_unix, 1);
	assert_string_equal(c->redis.path, "/tmp/r.sock");
	assert_int_equal(c->redis.db, 3);
	cfg_free(c);

	fails("REDIS_URL=rediss://h\n", "not supported");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "REDIS_URL=%s\n", bad[i]);
		fails(line, "REDIS_URL");
	}
	/* a socket path longer than sun_path */
	memset(line, 0, sizeof line);
	strcpy(line, "REDIS_URL=unix:///");
	memset(line + strlen(line), 'a', 107);
	strcat(line, "\n");
	fails(line, "too long");
	/* never the password in the reason */
	assert_int_equal(build(BASE "REDIS_URL=redis://:hunter2@h:99999\n", &c, err, sizeof err),
			 AC_EINVAL);
	assert_null(strstr(err, "hunter2"));
}

static void test_redis_sentinel_url(void **state)
{
	static const char *const bad[] = {
		"redis-sentinel://", "redis-sentinel:///mymaster", "redis-sentinel://h:26379",
		"redis-sentinel://h:26379/", "redis-sentinel://h:26379/my master",
		"redis-sentinel://h:26379/my$master", "redis-sentinel://h:26379/m/0",
		"redis-sentinel://h:0/m", "redis-sentinel://h:65536/m", "redis-sentinel://h:x/m",
		"redis-sentinel://h:1,/m", "redis-sentinel://,h:1/m", "redis-sentinel://h:1,,h:2/m",
		"redis-sentinel://h h:1/m", "redis-sentinel://[::1/m", "redis-sentinel://[zz]:1/m",
		"redis-sentinel://::1:26379/m", "redis-sentinel://h:1/m?db=x",
		"redis-sentinel://h:1/m?db=65536", "redis-sentinel://h:1/m?password=x",
		"redis-sentinel://h:1/m?db=1&x=2", "redis-sentinel://h:1/m#x", "redis-sentinel://h:1?db=1",
		"redis-sentinel://user@h:1/m", "redis-sentinel://user:@h:1/m",
		"redis-sentinel://u:p%zz@h:1/m", "rediss-sentinel://h:1/m",
	};
	char line[512], err[512];
	struct cfg *c;

	(void)state;
	c = ok("REDIS_URL=redis-sentinel://127.0.0.1:26379,sentinel-b.example:26380,[::1]:26381/mymaster\n");
	assert_int_equal(c->redis.is_sentinel, 1);
	assert_int_equal(c->redis.is_unix, 0);
	assert_null(c->redis.host);
	assert_null(c->redis.path);
	assert_int_equal(c->redis.n_sentinels, 3);
	assert_string_equal(c->redis.sentinels[0].host, "127.0.0.1");
	assert_int_equal(c->redis.sentinels[0].port, 26379);
	assert_string_equal(c->redis.sentinels[1].host, "sentinel-b.example");
	assert_int_equal(c->redis.sentinels[1].port, 26380);
	assert_string_equal(c->redis.sentinels[2].host, "::1");
	assert_int_equal(c->redis.sentinels[2].port, 26381);
	assert_string_equal(c->redis.master_name, "mymaster");
	assert_int_equal(c->redis.db, 0);
	assert_null(c->redis.user);
	assert_null(c->redis.password);
	cfg_free(c);

	/* the password is the master's; a port defaults to 26379; ?db=N */
	c = ok("REDIS_URL=REDIS-SENTINEL://app:p%40ss,w@s1,s2:1/cache.main_1-a?db=7\n");
	assert_int_equal(c->redis.is_sentinel, 1);
	assert_string_equal(c->redis.user, "app");
	assert_string_equal(c->redis.password, "p@ss,w");
	assert_int_equal(c->redis.n_sentinels, 2);
	assert_string_equal(c->redis.sentinels[0].host, "s1");
	assert_int_equal(c->redis.sentinels[0].port, 26379);
	assert_string_equal(c->redis.sentinels[1].host, "s2");
	assert_int_equal(c->redis.sentinels[1].port, 1);
	assert_string_equal(c->redis.master_name, "cache.main_1-a");
	assert_int_equal(c->redis.db, 7);
	cfg_free(c);

	c = ok("REDIS_URL=redis-sentinel://:pw@h:1/m\n");
	assert_null(c->redis.user);
	assert_string_equal(c->redis.password, "pw");
	assert_int_equal(c->redis.n_sentinels, 1);
	cfg_free(c);

	/* eight Sentinels at most; a 64-character name at most */
	c = ok("REDIS_URL=redis-sentinel://a,b,c,d,e,f,g,h/m\n");
	assert_int_equal(c->redis.n_sentinels, 8);
	assert_string_equal(c->redis.sentinels[7].host, "h");
	cfg_free(c);
	fails("REDIS_URL=redis-sentinel://a,b,c,d,e,f,g,h,i/m\n", "more than 8 Sentinels");
	memset(line, 0, sizeof line);
	strcpy(line, "REDIS_URL=redis-sentinel://h/");
	memset(line + strlen(line), 'n', 64);
	strcat(line, "\n");
	c = ok(line);
	assert_int_equal(strlen(c->redis.master_name), 64);
	cfg_free(c);
	memset(line, 0, sizeof line);
	strcpy(line, "REDIS_URL=redis-sentinel://h/");
	memset(line + strlen(line), 'n', 65);
	strcat(line, "\n");
	fails(line, "master name");

	fails("REDIS_URL=redis-sentinel://h:26379\n", "master name is missing");
	fails("REDIS_URL=redis-sentinel://h:1,,h:2/m\n", "Sentinel address");
	fails("REDIS_URL=redis-sentinel://h:1/m?timeout=3\n", "db=N");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(line, sizeof line, "REDIS_URL=%s\n", bad[i]);
		fails(line, "REDIS_URL");
	}
	/* never the password in the reason */
	assert_int_equal(build(BASE "REDIS_URL=redis-sentinel://:hunter2@h:99999/m\n", &c, err,
			       sizeof err), AC_EINVAL);
	assert_null(strstr(err, "hunter2"));
}

static void test_base_urls(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("FRONTEND_URL=https://App.Example.com:443/\n"
	       "API_BASE_URL=https://api.example.com/auth//\n");
	assert_string_equal(c->frontend_url, "https://App.Example.com:443");
	assert_string_equal(c->frontend_origin, "https://app.example.com");
	assert_string_equal(c->api_base_url, "https://api.example.com/auth");
	assert_string_equal(c->api_origin, "https://api.example.com");
	assert_string_equal(c->media_url, "https://api.example.com/auth/media/");
	cfg_free(c);
	c = ok("FRONTEND_URL=http://[::1]:5173\nAPI_BASE_URL=http://127.0.0.1:8080/\n");
	assert_string_equal(c->frontend_origin, "http://[::1]:5173");
	assert_string_equal(c->api_base_url, "http://127.0.0.1:8080");
	cfg_free(c);

	fails("FRONTEND_URL=https://app.example.com/?x=1\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://app.example.com/#top\n", "FRONTEND_URL");
	fails("FRONTEND_URL=app.example.com\n", "FRONTEND_URL");
	fails("FRONTEND_URL=ftp://app.example.com\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://user:pw@app.example.com\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://app.example.com/a b\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://app.example.com/a\"b\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://app.example.com/%zz\n", "FRONTEND_URL");
	fails("FRONTEND_URL=https://app.example.com/\xc3\xa9\n", "FRONTEND_URL");
	fails("API_BASE_URL=https://api.example.com/x?y\n", "API_BASE_URL");
	fails("API_BASE_URL=//api.example.com\n", "API_BASE_URL");
	fails("API_BASE_URL=https://\n", "API_BASE_URL");
}

static void test_control_characters(void **state)
{
	static const char *const keys[] = {
		"FRONTEND_URL", "API_BASE_URL", "DEFAULT_FROM_EMAIL", "MEDIA_URL", "EMAIL_HOST",
		"EMAIL_HOST_USER", "AWS_DEFAULT_ACL", "ALLOWED_ORIGINS", "REDIS_URL",
	};
	static const char *const values[] = {
		"http://a.example\r\nSet-Cookie: x=1", "http://a.example\n", "a@b\rX",
		"http://a.example/\x7f/", "a\0b",
	};

	(void)state;
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
		for (size_t v = 0; v < sizeof values / sizeof *values; v++) {
			setenv(keys[k], values[v], 1);
			if (values[v][1] == '\0')
				continue;  /* "a\0b" in the environment is just "a" */
			fails("", keys[k]);
		}
		unsetenv(keys[k]);
	}
	/* a tab inside a value is a control character too */
	fails("DEFAULT_FROM_EMAIL=a\tb@example.com\n", "control");
	/* over-long values from the environment */
	{
		char *big = malloc(CFG_LINE_MAX + 2);

		assert_non_null(big);
		memset(big, 'a', CFG_LINE_MAX + 1);
		big[CFG_LINE_MAX + 1] = '\0';
		setenv("EMAIL_HOST_PASSWORD", big, 1);
		fails("", "EMAIL_HOST_PASSWORD");
		free(big);
	}
}

static void test_allowed_origins(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("ALLOWED_ORIGINS= https://A.example.com:443 ,http://b.example:8080,, "
	       "HTTP://[::1]:80 ,\n");
	assert_int_equal(c->n_allowed_origins, 3);
	assert_string_equal(c->allowed_origins[0], "https://a.example.com");
	assert_string_equal(c->allowed_origins[1], "http://b.example:8080");
	assert_string_equal(c->allowed_origins[2], "http://[::1]");
	cfg_free(c);
	c = ok("ALLOWED_ORIGINS=\n");
	assert_int_equal(c->n_allowed_origins, 0);
	cfg_free(c);
	c = ok("ALLOWED_ORIGINS= , \n");
	assert_int_equal(c->n_allowed_origins, 0);
	cfg_free(c);
	fails("ALLOWED_ORIGINS=https://a.example/\n", "ALLOWED_ORIGINS");
	fails("ALLOWED_ORIGINS=https://a.example,null\n", "ALLOWED_ORIGINS");
	fails("ALLOWED_ORIGINS=*\n", "ALLOWED_ORIGINS");
	fails("ALLOWED_ORIGINS=a.example\n", "ALLOWED_ORIGINS");
	fails("ALLOWED_ORIGINS=https://a.example https://b.example\n", "ALLOWED_ORIGINS");
}

static void test_trusted_proxies(void **state)
{
	struct cfg *c;
	struct addr_range a;

	(void)state;
	c = ok("TRUSTED_PROXIES=127.0.0.1, 10.0.0.0/8 ,::1,2001:db8::/32\n");
	assert_int_equal(c->n_trusted_proxies, 4);
	assert_int_equal(c->trusted_proxies[0].family, 4);
	assert_int_equal(c->trusted_proxies[0].prefix, 32);
	assert_int_equal(c->trusted_proxies[1].prefix, 8);
	assert_int_equal(c->trusted_proxies[2].family, 6);
	assert_int_equal(c->trusted_proxies[3].prefix, 32);
	assert_int_equal(addr_parse("10.2.3.4", &a), AC_OK);
	assert_true(addr_in_ranges(&a, c->trusted_proxies, c->n_trusted_proxies));
	assert_int_equal(addr_parse("11.2.3.4", &a), AC_OK);
	assert_false(addr_in_ranges(&a, c->trusted_proxies, c->n_trusted_proxies));
	cfg_free(c);
	fails("TRUSTED_PROXIES=localhost\n", "TRUSTED_PROXIES");
	fails("TRUSTED_PROXIES=10.0.0.0/33\n", "TRUSTED_PROXIES");
	fails("TRUSTED_PROXIES=10.0.0.1 10.0.0.2\n", "TRUSTED_PROXIES");
}

static void test_email(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("EMAIL_BACKEND=smtp\nEMAIL_HOST=smtp.example.com\nEMAIL_PORT=465\n"
	       "EMAIL_USE_SSL=true\nEMAIL_HOST_USER=me\nEMAIL_HOST_PASSWORD=pw\n"
	       "DEFAULT_FROM_EMAIL=Auth <no-reply@example.com>\nEMAIL_MAX_ATTEMPTS=3\n"
	       "EMAIL_TIMEOUT=10\n");
	assert_int_equal(c->email_backend, EMAIL_BACKEND_SMTP);
	assert_string_equal(c->email_host, "smtp.example.com");
	assert_int_equal(c->email_port, 465);
	assert_int_equal(c->email_use_ssl, 1);
	assert_int_equal(c->email_use_tls, 0);
	assert_string_equal(c->email_host_user, "me");
	assert_string_equal(c->email_host_password, "pw");
	assert_string_equal(c->default_from_email, "Auth <no-reply@example.com>");
	assert_int_equal(c->email_max_attempts, 3);
	assert_int_equal(c->email_timeout, 10);
	cfg_free(c);

	c = ok("EMAIL_BACKEND=FILE\nEMAIL_FILE_PATH=/var/spool/authcgi\n");
	assert_int_equal(c->email_backend, EMAIL_BACKEND_FILE);
	assert_string_equal(c->email_file_path, "/var/spool/authcgi");
	cfg_free(c);
	c = ok("EMAIL_HOST=::1\n");
	cfg_free(c);
	c = ok("EMAIL_HOST=[2001:db8::25]\n");
	cfg_free(c);

	fails("EMAIL_BACKEND=file\n", "EMAIL_FILE_PATH");
	fails("EMAIL_BACKEND=file\nEMAIL_FILE_PATH=spool\n", "EMAIL_FILE_PATH");
	fails("EMAIL_BACKEND=sendmail\n", "EMAIL_BACKEND");
	fails("EMAIL_USE_TLS=1\nEMAIL_USE_SSL=1\n", "EMAIL_USE_TLS");
	fails("EMAIL_HOST=smtp.example.com:25\n", "EMAIL_HOST");
	fails("EMAIL_HOST=smtp example\n", "EMAIL_HOST");
	fails("DEFAULT_FROM_EMAIL=nobody\n", "DEFAULT_FROM_EMAIL");
}

static void test_email_fallbacks(void **state)
{
	struct cfg *c;

	(void)state;
	/* the original's names fill EMAIL_HOST_USER, EMAIL_HOST_PASSWORD and DEFAULT_FROM_EMAIL */
	c = ok("APP_EMAIL__HOST_USER=app@example.com\nAPP_EMAIL__HOST_USER_PASSWORD=apppw\n");
	assert_string_equal(c->email_host_user, "app@example.com");
	assert_string_equal(c->email_host_password, "apppw");
	assert_string_equal(c->default_from_email, "app@example.com");
	cfg_free(c);
	/* the new names win */
	c = ok("APP_EMAIL__HOST_USER=app@example.com\nAPP_EMAIL__HOST_USER_PASSWORD=apppw\n"
	       "EMAIL_HOST_USER=new@example.com\nEMAIL_HOST_PASSWORD=newpw\n"
	       "DEFAULT_FROM_EMAIL=from@example.com\n");
	assert_string_equal(c->email_host_user, "new@example.com");
	assert_string_equal(c->email_host_password, "newpw");
	assert_string_equal(c->default_from_email, "from@example.com");
	cfg_free(c);
	/* EMAIL_HOST_USER alone does not set DEFAULT_FROM_EMAIL */
	c = ok("EMAIL_HOST_USER=new@example.com\n");
	assert_string_equal(c->default_from_email, "webmaster@localhost");
	cfg_free(c);
	/* the fallback through the environment */
	setenv("APP_EMAIL__HOST_USER", "env@example.com", 1);
	c = ok("EMAIL_HOST_PASSWORD=pw\n");
	assert_string_equal(c->email_host_user, "env@example.com");
	assert_string_equal(c->default_from_email, "env@example.com");
	assert_string_equal(c->email_host_password, "pw");
	cfg_free(c);
}

static void test_storage_local(void **state)
{
	struct cfg *c;

	(void)state;
	/* MEDIA_ROOT defaults to media/ in the installation (deviation from API.md §8.7) */
	{
		char err[256];

		assert_int_equal(build("SECRET_KEY=" SECRET "\n", &c, err, sizeof err), AC_OK);
		assert_string_equal(c->media_root, AUTHCGI_HOME "/media");
		cfg_free(c);
	}
	fails_raw("SECRET_KEY=" SECRET "\nMEDIA_ROOT=media\n", "MEDIA_ROOT");
	c = ok("MEDIA_URL=/media/\n");
	assert_string_equal(c->media_url, "/media/");
	cfg_free(c);
	c = ok("MEDIA_URL=https://cdn.example.com/u/\n");
	assert_string_equal(c->media_url, "https://cdn.example.com/u/");
	cfg_free(c);
	c = ok("API_BASE_URL=https://api.example.com\n");
	assert_string_equal(c->media_url, "https://api.example.com/media/");
	cfg_free(c);
	fails("MEDIA_URL=/media\n", "MEDIA_URL");
	fails("MEDIA_URL=https://cdn.example.com/u\n", "MEDIA_URL");
	fails("MEDIA_URL=//cdn.example.com/u/\n", "MEDIA_URL");
	fails("MEDIA_URL=media/\n", "MEDIA_URL");
	fails("MEDIA_URL=javascript:alert(1)//\n", "MEDIA_URL");
	fails("MEDIA_URL=https://cdn.example.com/u/?x=/\n", "MEDIA_URL");
	fails("STORAGE_BACKEND=ftp\n", "STORAGE_BACKEND");
}

#define S3 "STORAGE_BACKEND=s3\nAWS_ACCESS_KEY_ID=AKIAEXAMPLE\n" \
	   "AWS_SECRET_ACCESS_KEY=wJalr/XUtnFEMI+K7MDENG\nAWS_S3_BUCKET_NAME=my-bucket\n"

static void test_storage_s3(void **state)
{
	struct cfg *c;
	char err[512];

	(void)state;
	c = ok(S3);
	assert_int_equal(c->storage_backend, STORAGE_BACKEND_S3);
	assert_string_equal(c->aws_access_key_id, "AKIAEXAMPLE");
	assert_string_equal(c->aws_secret_access_key, "wJalr/XUtnFEMI+K7MDENG");
	assert_string_equal(c->aws_s3_bucket_name, "my-bucket");
	assert_string_equal(c->aws_region, "us-east-1");
	assert_string_equal(c->aws_default_acl, "public-read");
	assert_string_equal(c->media_url,
			    "https://my-bucket.s3.us-east-1.amazonaws.com/media/users/django-auth/");
	cfg_free(c);
	c = ok(S3 "AWS_REGION=eu-central-1\n");
	assert_string_equal(c->media_url,
			    "https://my-bucket.s3.eu-central-1.amazonaws.com/media/users/django-auth/");
	cfg_free(c);
	c = ok(S3 "AWS_S3_ENDPOINT_URL=http://127.0.0.1:7480/\n");
	assert_string_equal(c->aws_s3_endpoint_url, "http://127.0.0.1:7480");
	assert_string_equal(c->media_url, "http://127.0.0.1:7480/my-bucket/media/users/django-auth/");
	cfg_free(c);
	c = ok(S3 "MEDIA_URL=https://cdn.example.com/\n");
	assert_string_equal(c->media_url, "https://cdn.example.com/");
	cfg_free(c);
	/* MEDIA_ROOT is not needed for s3 */
	assert_int_equal(build("SECRET_KEY=" SECRET "\n" S3, &c, err, sizeof err), AC_OK);
	assert_null(c->media_root);
	cfg_free(c);

	fails_raw("SECRET_KEY=" SECRET "\nSTORAGE_BACKEND=s3\nAWS_SECRET_ACCESS_KEY=x\n"
		  "AWS_S3_BUCKET_NAME=bkt\n", "AWS_ACCESS_KEY_ID");
	fails_raw("SECRET_KEY=" SECRET "\nSTORAGE_BACKEND=s3\nAWS_ACCESS_KEY_ID=x\n"
		  "AWS_S3_BUCKET_NAME=bkt\n", "AWS_SECRET_ACCESS_KEY");
	fails_raw("SECRET_KEY=" SECRET "\nSTORAGE_BACKEND=s3\nAWS_ACCESS_KEY_ID=x\n"
		  "AWS_SECRET_ACCESS_KEY=y\n", "AWS_S3_BUCKET_NAME");
	fails(S3 "AWS_S3_BUCKET_NAME=My_Bucket\n", "AWS_S3_BUCKET_NAME");
	fails("STORAGE_BACKEND=s3\nAWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=x\n"
	      "AWS_S3_BUCKET_NAME=ab\n", "AWS_S3_BUCKET_NAME");
	fails(S3 "AWS_REGION=us east\n", "AWS_REGION");
	fails(S3 "AWS_S3_ENDPOINT_URL=s3.example.com\n", "AWS_S3_ENDPOINT_URL");
	fails(S3 "AWS_S3_ENDPOINT_URL=https://s3.example.com/?x\n", "AWS_S3_ENDPOINT_URL");
	fails("AWS_ACCESS_KEY_ID=AK:IA\n", "AWS_ACCESS_KEY_ID");
	fails("AWS_SECRET_ACCESS_KEY=a b\n", "AWS_SECRET_ACCESS_KEY");
	/* the secret is not quoted back */
	assert_int_equal(build(BASE "AWS_SECRET_ACCESS_KEY=top secret\n", &c, err, sizeof err),
			 AC_EINVAL);
	assert_null(strstr(err, "top secret"));
}

static void test_acl(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok(S3 "AWS_DEFAULT_ACL=private\n");
	assert_string_equal(c->aws_default_acl, "private");
	cfg_free(c);
	/* empty in the file sends none */
	c = ok(S3 "AWS_DEFAULT_ACL=\n");
	assert_string_equal(c->aws_default_acl, "");
	cfg_free(c);
	c = ok(S3 "AWS_DEFAULT_ACL=\"\"\n");
	assert_string_equal(c->aws_default_acl, "");
	cfg_free(c);
	/* the environment cannot be empty, so "none" says the same */
	setenv("AWS_DEFAULT_ACL", "none", 1);
	c = ok(S3 "AWS_DEFAULT_ACL=private\n");
	assert_string_equal(c->aws_default_acl, "");
	cfg_free(c);
	/* an empty environment value leaves the file's */
	setenv("AWS_DEFAULT_ACL", "", 1);
	c = ok(S3 "AWS_DEFAULT_ACL=bucket-owner-full-control\n");
	assert_string_equal(c->aws_default_acl, "bucket-owner-full-control");
	cfg_free(c);
	unsetenv("AWS_DEFAULT_ACL");
	fails(S3 "AWS_DEFAULT_ACL=public\n", "AWS_DEFAULT_ACL");
	fails(S3 "AWS_DEFAULT_ACL=Public-Read\n", "AWS_DEFAULT_ACL");
}

static void test_paths_values(void **state)
{
	struct cfg *c;

	(void)state;
	c = ok("COMMON_PASSWORDS_FILE=/usr/share/authcgi/common.txt\n");
	assert_string_equal(c->common_passwords_file, "/usr/share/authcgi/common.txt");
	cfg_free(c);
	c = ok("COMMON_PASSWORDS_FILE=\n");
	assert_null(c->common_passwords_file);
	cfg_free(c);
	fails("COMMON_PASSWORDS_FILE=common.txt\n", "COMMON_PASSWORDS_FILE");
}

/* The shipped sample lists every key; its placeholder secret does not validate. */
static void test_sample_file(void **state)
{
	char path[4096], *buf, err[512], want[128];
	struct cfg_file *f;
	struct cfg *c;
	size_t n;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof path, "%s/authcgi.conf.sample", cfg_home());
	fp = fopen(path, "rb");
	if (!fp) {
		skip();
		return;
	}
	buf = calloc(1, CFG_FILE_MAX + 1);
	assert_non_null(buf);
	n = fread(buf, 1, CFG_FILE_MAX, fp);
	fclose(fp);
	for (size_t i = 0; i < sizeof all_keys / sizeof *all_keys; i++) {
		if (strcmp(all_keys[i], "AUTHCGI_CONFIG") == 0 || strncmp(all_keys[i], "HTTP_", 5) == 0)
			continue;
		snprintf(want, sizeof want, "\n%s=", all_keys[i]);
		if (!strstr(buf, want)) {
			snprintf(want, sizeof want, "\n#%s=", all_keys[i]);
			if (!strstr(buf, want))
				fail_msg("the sample lacks %s", all_keys[i]);
		}
	}
	assert_int_equal(cfg_parse_buffer(buf, n, &f, err, sizeof err), AC_OK);
	assert_int_equal(cfg_build(f, 1, &c, err, sizeof err), AC_EINVAL);
	assert_non_null(strstr(err, "SECRET_KEY"));
	setenv("SECRET_KEY", SECRET, 1);
	assert_int_equal(cfg_build(f, 1, &c, err, sizeof err), AC_OK);
	cfg_free(c);
	cfg_file_free(f);
	/* every commented default, uncommented, loads and equals the built-in default */
	{
		char *un = calloc(1, CFG_FILE_MAX + 1);
		struct cfg *d;
		size_t j = 0;

		assert_non_null(un);
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '#' && (i == 0 || buf[i - 1] == '\n') && buf[i + 1] >= 'A' &&
			    buf[i + 1] <= 'Z' && strncmp(buf + i + 1, "DATABASE_URL", 12) != 0 &&
			    strncmp(buf + i + 1, "EMAIL_FILE_PATH", 15) != 0 &&
			    strncmp(buf + i + 1, "MEDIA_URL", 9) != 0)
				continue;
			un[j++] = buf[i];
		}
		assert_int_equal(cfg_parse_buffer(un, j, &f, err, sizeof err), AC_OK);
		if (cfg_build(f, 1, &c, err, sizeof err) != AC_OK)
			fail_msg("uncommented sample: %s", err);
		assert_int_equal(build(BASE, &d, err, sizeof err), AC_OK);
		assert_int_equal(c->token_expiration, d->token_expiration);
		assert_int_equal(c->argon2_memory_kib, d->argon2_memory_kib);
		assert_int_equal(c->rl_mail_email.count, d->rl_mail_email.count);
		assert_string_equal(c->redis_url, d->redis_url);
		assert_string_equal(c->aws_default_acl, d->aws_default_acl);
		assert_string_equal(c->default_from_email, d->default_from_email);
		cfg_free(c);
		cfg_free(d);
		cfg_file_free(f);
		free(un);
	}
	free(buf);
}

/* TOTP_ISSUER: the host of FRONTEND_URL without port by default (API.md §8, §11.3.2). */
static void test_totp_issuer(void **state)
{
	struct cfg *c = ok("");

	(void)state;
	assert_string_equal(c->totp_issuer, "localhost");
	cfg_free(c);
	c = ok("FRONTEND_URL=https://App.Example.com:8443/base\n");
	assert_string_equal(c->totp_issuer, "app.example.com");
	cfg_free(c);
	c = ok("FRONTEND_URL=http://[::1]:5173\n");
	assert_string_equal(c->totp_issuer, "[::1]");
	cfg_free(c);
	c = ok("FRONTEND_URL=https://app.example.com\nTOTP_ISSUER=Example Corp: Auth\n");
	assert_string_equal(c->totp_issuer, "Example Corp: Auth");
	cfg_free(c);
	setenv("TOTP_ISSUER", "From env", 1);
	c = ok("TOTP_ISSUER=From file\n");
	assert_string_equal(c->totp_issuer, "From env");
	cfg_free(c);
	unsetenv("TOTP_ISSUER");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, clear_env, clear_env)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_argon2_cap_follows_affinity),
		T(test_paths),
		T(test_file_format),
		T(test_file_malformed),
		T(test_file_duplicate_and_limits),
		T(test_env_over_file),
		T(test_http_keys_never_read),
		T(test_load_named_file),
		T(test_load_default_file),
		T(test_secret_key),
		T(test_integers),
		T(test_booleans),
		T(test_cookie_secure),
		T(test_argon2),
		T(test_rate_limits),
		T(test_database_url),
		T(test_redis_url),
		T(test_redis_sentinel_url),
		T(test_base_urls),
		T(test_control_characters),
		T(test_allowed_origins),
		T(test_trusted_proxies),
		T(test_email),
		T(test_email_fallbacks),
		T(test_storage_local),
		T(test_storage_s3),
		T(test_acl),
		T(test_paths_values),
		T(test_sample_file),
		T(test_totp_issuer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
