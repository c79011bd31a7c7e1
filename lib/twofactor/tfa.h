/* The two-factor store (API.md §11): status, enrolment, code verification with replay protection, recovery codes. */
#ifndef AUTHCGI_TFA_H
#define AUTHCGI_TFA_H

#include <time.h>
#include "cfg.h"
#include "db/db.h"
#include "recovery.h"
#include "totp.h"

#define TFA_CODE_MAX 32   /* bytes of a code field (§9); a longer one is not valid */

/* user_id everywhere below is the hyphenated 36-character UUID of struct user. */

struct tfa_status {
	int enabled;          /* a confirmed second factor */
	int pending;          /* an unconfirmed secret waits for its first code */
	long codes_left;      /* unused recovery codes (0 unless enabled) */
};

/* Which kind of code tfa_verify() accepted. */
enum tfa_kind { TFA_KIND_TOTP = 1, TFA_KIND_RECOVERY = 2 };

/* Reads the state of user_id's second factor (inside or outside a transaction). 0 or a db error. */
int tfa_status(struct db *db, const char *user_id, struct tfa_status *st);

/*
 * Inside the caller's db_tx: checks code against user_id's confirmed second factor and consumes
 * it. A 6-digit code is a TOTP of the current step ±1 whose step must be greater than the last
 * accepted one, which it becomes; anything else is a recovery code (normalised, §11.1) that must
 * be unused, and is marked used at now. Returns 0 with *kind and *codes_left (unused recovery
 * codes after this one; either may be NULL); AC_EDENIED when the code is not valid (wrong,
 * replayed, used, malformed, over TFA_CODE_MAX bytes); AC_ENOTFOUND when two-factor is not
 * enabled; else a db error. Nothing is written unless it returns 0.
 */
int tfa_verify(struct db *db, const struct cfg *cfg, const char *user_id, const char *code,
	       time_t now, enum tfa_kind *kind, long *codes_left);

/*
 * Inside the caller's db_tx: stores a fresh secret (20 CSPRNG bytes, sealed), unconfirmed,
 * replacing any earlier unconfirmed one; secret gets its base32. Returns 0; AC_ECONFLICT when
 * two-factor is already enabled (nothing changes); else a db or crypto error.
 */
int tfa_setup(struct db *db, const struct cfg *cfg, const char *user_id, time_t now,
	      char secret[TOTP_B32_LEN + 1]);

/*
 * Inside the caller's db_tx: verifies code (a TOTP) against the unconfirmed secret; on success
 * sets confirmed_at = now, stores the code's step as the last accepted one and replaces the
 * recovery codes with a fresh set, written into codes. Returns 0; AC_ENOTFOUND when there is
 * no unconfirmed secret; AC_EDENIED when the code does not verify; else a db error.
 */
int tfa_confirm(struct db *db, const struct cfg *cfg, const char *user_id, const char *code,
		time_t now, char codes[RECOVERY_COUNT][RECOVERY_SHOWN]);

/* Inside the caller's db_tx: replaces user_id's recovery codes with a fresh set, written into codes. */
int tfa_new_codes(struct db *db, const char *user_id, char codes[RECOVERY_COUNT][RECOVERY_SHOWN]);

/*
 * Deletes user_id's secret and recovery codes (disable, authctl two-factor-reset, account
 * deletion); run it inside the caller's db_tx to combine it with other writes. *deleted (may be
 * NULL) is 1 when a secret row existed. 0 or a db error.
 */
int tfa_delete(struct db *db, const char *user_id, int *deleted);

#endif
