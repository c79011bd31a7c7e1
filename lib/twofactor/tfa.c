/* The two-factor store (API.md §11): status, enrolment, code verification with replay protection, recovery codes. */
#include "tfa.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "seal.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

/* One auth_totp row with its count of unused codes. */
struct row {
	int found, confirmed;
	char *secret;         /* sealed; owned */
	long long last_step;
	long codes_left;
};

static int load(struct db *db, const char *hex, struct row *out)
{
	const char *p[1] = { hex };
	struct db_rows r;
	int rc;

	memset(out, 0, sizeof *out);
	rc = db_run(db, Q_TFA_GET, 1, p, &r, NULL);
	if (rc != AC_OK)
		return rc;
	if (r.n == 1 && db_cell(&r, 0, 0)) {
		out->found = 1;
		out->secret = strdup(db_cell(&r, 0, 0));
		out->confirmed = db_cell(&r, 0, 1) && strcmp(db_cell(&r, 0, 1), "1") == 0;
		out->last_step = db_cell(&r, 0, 2) ? atoll(db_cell(&r, 0, 2)) : 0;
		out->codes_left = db_cell(&r, 0, 3) ? atol(db_cell(&r, 0, 3)) : 0;
		if (!out->secret)
			rc = AC_ENOMEM;
	}
	db_rows_clear(&r);
	return rc;
}

static void row_clear(struct row *r)
{
	free(r->secret);
	r->secret = NULL;
}

static int hex_id(const char *user_id, char hex[33])
{
	if (sec_uuid_to_db(user_id, hex) != AC_OK) {
		log_error("two-factor: malformed user id");
		return AC_EINTERNAL;
	}
	return AC_OK;
}

int tfa_status(struct db *db, const char *user_id, struct tfa_status *st)
{
	struct row r;
	char hex[33];
	int rc;

	memset(st, 0, sizeof *st);
	rc = hex_id(user_id, hex);
	if (rc == AC_OK)
		rc = load(db, hex, &r);
	if (rc != AC_OK)
		return rc;
	st->enabled = r.found && r.confirmed;
	st->pending = r.found && !r.confirmed;
	st->codes_left = st->enabled ? r.codes_left : 0;
	row_clear(&r);
	return AC_OK;
}

/* The raw secret of a sealed value; AC_EDENIED when it does not open under SECRET_KEY. */
static int open_secret(const struct cfg *cfg, const char *sealed, unsigned char raw[64], size_t *n)
{
	unsigned char key[SEAL_KEY_LEN];
	int rc = seal_key(cfg->secret_key, cfg->secret_key_len, key);

	if (rc == AC_OK)
		rc = seal_decrypt(key, sealed, raw, 64, n);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == AC_EDENIED)
		log_warn("two-factor: a stored secret does not open (SECRET_KEY changed?)");
	return rc;
}

/* The greatest step > last_step whose TOTP of sealed is code: 0, AC_EDENIED or an error. */
static int match(const struct cfg *cfg, const char *sealed, const char *code, time_t now,
		 long long last_step, long long *step)
{
	unsigned char raw[64];
	size_t n = 0;
	int64_t s = 0;
	int rc, ok;

	if (strlen(code) > TFA_CODE_MAX || !totp_is_code(code))
		return AC_EDENIED;
	rc = open_secret(cfg, sealed, raw, &n);
	if (rc != AC_OK)
		return rc;
	ok = totp_match(raw, n, code, (int64_t)now, (int64_t)last_step, &s);
	OPENSSL_cleanse(raw, sizeof raw);
	*step = (long long)s;
	return ok ? AC_OK : AC_EDENIED;
}

static int use_recovery(struct db *db, const char *hex, const char *code, time_t now)
{
	char norm[RECOVERY_CHARS + 1], hash[65], at[TM_BUF];
	const char *p[3] = { hex, hash, at };
	long changes = 0;
	int rc;

	if (strlen(code) > TFA_CODE_MAX || recovery_normalise(code, norm) != AC_OK)
		return AC_EDENIED;
	recovery_hash(norm, hash);
	OPENSSL_cleanse(norm, sizeof norm);
	tm_db_format(now, 0, at);
	rc = db_run(db, Q_TFA_CODE_USE, 3, p, NULL, &changes);
	if (rc != AC_OK)
		return rc;
	return changes > 0 ? AC_OK : AC_EDENIED;
}

int tfa_verify(struct db *db, const struct cfg *cfg, const char *user_id, const char *code,
	       time_t now, enum tfa_kind *kind, long *codes_left)
{
	struct row r;
	char hex[33], step_s[24];
	long long step = 0;
	long changes = 0;
	int rc;

	rc = hex_id(user_id, hex);
	if (rc == AC_OK)
		rc = load(db, hex, &r);
	if (rc != AC_OK)
		return rc;
	if (!r.found || !r.confirmed) {
		row_clear(&r);
		return AC_ENOTFOUND;
	}
	if (totp_is_code(code)) {
		rc = match(cfg, r.secret, code, now, r.last_step, &step);
		if (rc == AC_OK) {
			const char *p[2] = { hex, step_s };

			snprintf(step_s, sizeof step_s, "%lld", step);
			/* conditional: a concurrent login with the same step loses here */
			rc = db_run(db, Q_TFA_STEP, 2, p, NULL, &changes);
			if (rc == AC_OK && changes != 1)
				rc = AC_EDENIED;
		}
		if (kind)
			*kind = TFA_KIND_TOTP;
		if (codes_left)
			*codes_left = r.codes_left;
	} else {
		rc = use_recovery(db, hex, code, now);
		if (kind)
			*kind = TFA_KIND_RECOVERY;
		if (codes_left)
			*codes_left = r.codes_left > 0 ? r.codes_left - 1 : 0;
	}
	row_clear(&r);
	return rc;
}

int tfa_setup(struct db *db, const struct cfg *cfg, const char *user_id, time_t now,
	      char secret[TOTP_B32_LEN + 1])
{
	unsigned char raw[TOTP_SECRET_LEN], key[SEAL_KEY_LEN];
	char hex[33], at[TM_BUF], *sealed = NULL;
	long changes = 0;
	int rc;

	secret[0] = '\0';
	rc = hex_id(user_id, hex);
	if (rc == AC_OK)
		rc = sec_random(raw, sizeof raw);
	if (rc == AC_OK)
		rc = totp_base32_encode(raw, sizeof raw, secret, TOTP_B32_LEN + 1);
	if (rc == AC_OK)
		rc = seal_key(cfg->secret_key, cfg->secret_key_len, key);
	if (rc == AC_OK)
		rc = seal_encrypt(key, raw, sizeof raw, &sealed);
	OPENSSL_cleanse(raw, sizeof raw);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == AC_OK) {
		const char *p[3] = { hex, sealed, at };

		tm_db_format(now, 0, at);
		rc = db_run(db, Q_TFA_SETUP, 3, p, NULL, &changes);
		if (rc == AC_OK && changes != 1)
			rc = AC_ECONFLICT;   /* the row is confirmed */
	}
	free(sealed);
	if (rc != AC_OK)
		OPENSSL_cleanse(secret, TOTP_B32_LEN + 1);
	return rc;
}

/* Deletes the codes of hex and stores a fresh set, written into codes. */
static int store_codes(struct db *db, const char *hex, char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	const char *p[1] = { hex };
	int rc = db_run(db, Q_TFA_CODES_DELETE, 1, p, NULL, NULL);

	if (rc == AC_OK)
		rc = recovery_generate(codes);
	for (int i = 0; rc == AC_OK && i < RECOVERY_COUNT; i++) {
		char norm[RECOVERY_CHARS + 1], hash[65];
		const char *q[2] = { hex, hash };

		if (recovery_normalise(codes[i], norm) != AC_OK)
			return AC_EINTERNAL;
		recovery_hash(norm, hash);
		rc = db_run(db, Q_TFA_CODE_INSERT, 2, q, NULL, NULL);
	}
	return rc;
}

int tfa_confirm(struct db *db, const struct cfg *cfg, const char *user_id, const char *code,
		time_t now, char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	struct row r;
	char hex[33], at[TM_BUF], step_s[24];
	long long step = 0;
	long changes = 0;
	int rc;

	rc = hex_id(user_id, hex);
	if (rc == AC_OK)
		rc = load(db, hex, &r);
	if (rc != AC_OK)
		return rc;
	if (!r.found || r.confirmed) {
		row_clear(&r);
		return AC_ENOTFOUND;
	}
	rc = match(cfg, r.secret, code, now, -1, &step);
	if (rc == AC_OK) {
		const char *p[4] = { hex, at, step_s, r.secret };

		tm_db_format(now, 0, at);
		snprintf(step_s, sizeof step_s, "%lld", step);
		/* conditional on the secret just verified: a concurrent setup may have replaced it */
		rc = db_run(db, Q_TFA_CONFIRM, 4, p, NULL, &changes);
		if (rc == AC_OK && changes != 1)
			rc = AC_EDENIED;
	}
	if (rc == AC_OK)
		rc = store_codes(db, hex, codes);
	row_clear(&r);
	return rc;
}

int tfa_new_codes(struct db *db, const char *user_id, char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	char hex[33];
	int rc = hex_id(user_id, hex);

	return rc == AC_OK ? store_codes(db, hex, codes) : rc;
}

int tfa_delete(struct db *db, const char *user_id, int *deleted)
{
	char hex[33];
	const char *p[1] = { hex };
	long changes = 0;
	int rc = hex_id(user_id, hex);

	if (deleted)
		*deleted = 0;
	if (rc == AC_OK)
		rc = db_run(db, Q_TFA_CODES_DELETE, 1, p, NULL, NULL);
	if (rc == AC_OK)
		rc = db_run(db, Q_TFA_DELETE, 1, p, NULL, &changes);
	if (rc == AC_OK && deleted)
		*deleted = changes > 0;
	return rc;
}
