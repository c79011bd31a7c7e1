/* Configuration: every key of API.md §8, read from the environment over a KEY=VALUE file, validated once. */
#ifndef AUTHCGI_CFG_H
#define AUTHCGI_CFG_H

#include <stddef.h>
#include "netaddr.h"

/* A fixed-window limit "COUNT/SECONDS"; count 0 disables it. */
struct rate_limit {
	unsigned count;
	unsigned seconds;
};

enum cfg_email_backend { EMAIL_BACKEND_CONSOLE, EMAIL_BACKEND_FILE, EMAIL_BACKEND_SMTP };
enum cfg_storage_backend { STORAGE_BACKEND_LOCAL, STORAGE_BACKEND_S3 };
enum cfg_cookie_secure { COOKIE_SECURE_AUTO, COOKIE_SECURE_ALWAYS, COOKIE_SECURE_NEVER };

#define CFG_SENTINELS_MAX 8          /* most Sentinels in one redis-sentinel:// URL */
#define CFG_SENTINEL_PORT 26379       /* a Sentinel's port when the URL gives none */
#define CFG_MASTER_NAME_MAX 64        /* longest master name, [A-Za-z0-9._-]+ */

struct cfg_redis_node {
	char *host;       /* host name or IP address (IPv6 without brackets) */
	int port;
};

struct cfg_redis {
	int is_unix;      /* 1 for unix:///path, 0 for redis://host */
	int is_sentinel;  /* 1 for redis-sentinel:// (API.md §10.3): host, port and path unused */
	char *host;       /* TCP host, NULL for unix and Sentinel */
	int port;         /* TCP port, default 6379 */
	char *path;       /* unix socket path, NULL for TCP */
	char *user;       /* NULL when absent; with Sentinel, the master's */
	char *password;   /* NULL when absent; with Sentinel, the master's */
	int db;           /* database number, default 0 */
	struct cfg_redis_node sentinels[CFG_SENTINELS_MAX];  /* asked in this order */
	size_t n_sentinels;
	char *master_name; /* NULL unless is_sentinel */
};

/*
 * All strings are owned by the struct and freed by cfg_free().
 * URLs (frontend_url, api_base_url) have trailing '/' removed.
 * Origins are canonical (see origin.h): lowercase scheme and host, default port dropped.
 */
enum { CFG_DB_SQLITE, CFG_DB_POSTGRES };

struct cfg {
	/* §8.2 core */
	char *secret_key;
	size_t secret_key_len;
	int database_engine;          /* CFG_DB_SQLITE or CFG_DB_POSTGRES, from DATABASE_URL */
	char *database_path;          /* SQLite: the absolute path, from DATABASE_URL or the default */
	char *database_url;           /* PostgreSQL: DATABASE_URL as given (a libpq URI) */
	unsigned sqlite_busy_timeout_ms;
	char *redis_url;              /* as configured */
	struct cfg_redis redis;       /* parsed */
	unsigned redis_connect_timeout_ms;
	unsigned redis_timeout_ms;
	char *frontend_url;           /* F */
	char *frontend_origin;        /* origin of F */
	char *api_base_url;           /* A */
	char *api_origin;             /* origin of A */
	char **allowed_origins;       /* canonical origins */
	size_t n_allowed_origins;
	struct addr_range *trusted_proxies;
	size_t n_trusted_proxies;

	/* §8.3 tokens and sessions */
	unsigned token_expiration;
	unsigned session_cookie_age;
	enum cfg_cookie_secure session_cookie_secure;
	unsigned session_idle_timeout;

	/* §8.4 passwords */
	unsigned argon2_memory_kib;
	unsigned argon2_time_cost;
	unsigned argon2_parallelism;
	unsigned argon2_max_memory_kib;
	unsigned argon2_max_concurrent;  /* concurrent hashes across processes; 0 = unbounded */
	char *argon2_slot_prefix;        /* path prefix of the slot files: <prefix>-argon2-<i> */
	unsigned password_min_length;
	char *common_passwords_file;     /* NULL = built-in list */

	/* §8.5 rate limits */
	struct rate_limit rl_login_account;
	struct rate_limit rl_login_addr;
	struct rate_limit rl_register_addr;
	struct rate_limit rl_mail_addr;
	struct rate_limit rl_mail_email;

	/* §8.6 e-mail */
	enum cfg_email_backend email_backend;
	char *email_file_path;
	char *email_host;
	unsigned email_port;
	char *email_host_user;           /* "" when unset */
	char *email_host_password;       /* "" when unset */
	int email_use_tls;
	int email_use_ssl;
	unsigned email_timeout;
	char *default_from_email;
	unsigned email_max_attempts;

	/* §8.7 storage */
	enum cfg_storage_backend storage_backend;
	char *media_root;
	char *media_url;                 /* always ends in '/' */
	unsigned long thumbnail_max_bytes;
	char *aws_access_key_id;
	char *aws_secret_access_key;
	char *aws_s3_bucket_name;
	char *aws_region;
	char *aws_s3_endpoint_url;       /* "" when unset */
	char *aws_default_acl;           /* "" sends none */

	/* §11 two-factor */
	char *totp_issuer;               /* TOTP_ISSUER: the otpauth issuer */
};

/*
 * Loads the configuration: each key from the environment when set and non-empty,
 * otherwise from the file named by AUTHCGI_CONFIG, otherwise from the default file
 * (cfg_default_path()); a missing default file is not an error, a missing named file is.
 * On success *out is a new struct the caller frees with cfg_free() and 0 is returned.
 * On failure returns AC_EINVAL and writes a one-line reason (no secret values) into
 * err (errlen bytes); *out is NULL.
 */
int cfg_load(struct cfg **out, char *err, size_t errlen);
void cfg_free(struct cfg *c);
/* The compiled-in default configuration file path (AUTHCGI_HOME "/authcgi.conf"). */
const char *cfg_default_path(void);
/* The installation directory compiled in (AUTHCGI_HOME). */
const char *cfg_home(void);
/* Parses one boolean spelling of §8.1; returns 0 and sets *out, or AC_EINVAL. */
int cfg_parse_bool(const char *s, int *out);

#endif
