/* Password hashing and verification: Argon2id for new hashes, Django's stored formats verified (API.md §2.7). */
#ifndef AUTHCGI_PW_H
#define AUTHCGI_PW_H

#include <stddef.h>

#define PW_MAX_BYTES 4096   /* a longer password never matches and is never hashed */

/* Parameters for new hashes and the bound for stored ones (from cfg). */
struct pw_params {
	unsigned m_kib;      /* ARGON2_MEMORY_KIB */
	unsigned t;          /* ARGON2_TIME_COST */
	unsigned p;          /* ARGON2_PARALLELISM */
	unsigned max_m_kib;  /* ARGON2_MAX_MEMORY_KIB */
};

enum pw_result {
	PW_MATCH = 1,        /* the password verifies */
	PW_NOMATCH = 2,      /* well-formed hash, wrong password (or password over 4096 bytes) */
	PW_UNUSABLE = 3,     /* "!..." unusable password */
	PW_UNSUPPORTED = 4,  /* unknown format or parameters out of bounds: nothing was hashed */
};

/*
 * Hashes password (len bytes) with Argon2id v19 and the params' m/t/p, a 22-character
 * [A-Za-z0-9] CSPRNG salt and a 16-byte hash. On success *out is a malloc'd Django-format
 * string "argon2$argon2id$v=19$m=..,t=..,p=..$<salt b64>$<hash b64>" the caller frees.
 * Returns 0; AC_EUNAVAIL when Argon2 cannot allocate its memory; AC_EINVAL when
 * len > PW_MAX_BYTES; AC_EINTERNAL otherwise.
 */
int pw_hash(const struct pw_params *params, const char *password, size_t len, char **out);

/*
 * Verifies password against a stored hash string. Parses and bounds the stored parameters
 * before any hashing. Sets *result. Comparison is constant-time.
 * Returns 0; AC_EUNAVAIL when Argon2 cannot allocate memory; AC_EINTERNAL otherwise.
 */
int pw_verify(const struct pw_params *params, const char *stored, const char *password,
	      size_t len, enum pw_result *result);

/*
 * Runs one Argon2id hash with the current parameters and discards it, so that an unknown
 * account costs the same time as a known one. Nothing is hashed when len > PW_MAX_BYTES.
 * Returns 0, AC_EUNAVAIL or AC_EINTERNAL.
 */
int pw_dummy_verify(const struct pw_params *params, const char *password, size_t len);

/* 1 when a stored hash that just verified must be rewritten with the current params (§2.7). */
int pw_needs_upgrade(const struct pw_params *params, const char *stored);

/*
 * Password policy of §2.8. email is the address similarity is tested against; min_length
 * is PASSWORD_MIN_LENGTH; common_file is COMMON_PASSWORDS_FILE or NULL for the built-in list.
 * Returns 0 when acceptable; AC_EINVAL with the exact reason text written into reason
 * (reasonlen bytes); AC_EINTERNAL when the common-password file cannot be read.
 */
int pw_policy_check(const char *password, size_t len, const char *email, unsigned min_length,
		    const char *common_file, char *reason, size_t reasonlen);

#endif
