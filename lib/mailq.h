/* The mail outbox (API.md §2.5, §6.1): queued inside a request's transaction, claimed with a lease by bin/mailer. */
#ifndef AUTHCGI_MAILQ_H
#define AUTHCGI_MAILQ_H

#include <stddef.h>
#include <time.h>
#include "cfg.h"
#include "db/db.h"
#include "timefmt.h"

/*
 * Request side. Each renders its message (lib/mailmsg.h) and inserts it into mail_outbox, due
 * now, inside the transaction the caller has already opened on db (db_tx). They never
 * begin, commit or roll back. Return 0; AC_EUNAVAIL when the database is busy or down; AC_EINVAL on a
 * recipient or token part that cannot be mailed; AC_ENOMEM; else AC_EINTERNAL.
 */
/* Activation e-mail, link A/users/register/confirm/<uidb64>/<token>/, not_after = expiry. */
int mailq_queue_activation(struct db *db, const struct cfg *cfg, const char *recipient,
			   const char *uidb64, const char *token, time_t expiry);
/* Password reset e-mail, link A/users/password-change/confirm/change-password/<uidb64>/<token>/. */
int mailq_queue_reset(struct db *db, const struct cfg *cfg, const char *recipient,
		      const char *uidb64, const char *token, time_t expiry);
/* "Your password has been changed" (not_after NULL); when = time of the change. */
int mailq_queue_password_changed(struct db *db, const struct cfg *cfg, const char *recipient,
				 time_t when);
/* "Your account has been deleted" (not_after NULL); when = time of the deletion (§12.1). */
int mailq_queue_account_deleted(struct db *db, const char *recipient, time_t when);

/*
 * Inserts a finished message due at now. not_after may be NULL (never expires). The recipient
 * must be 3-254 characters without control characters, the subject 1-255 characters without them.
 */
int mailq_insert(struct db *db, const char *recipient, const char *subject, const char *body_text,
		 const char *body_html, time_t now, const time_t *not_after);

/* Worker side. Times are Unix seconds plus microseconds, stored as tm_db_format() text. */

/* A claimed row, owned by the caller and freed with mailq_row_free(). */
struct mailq_row {
	long long id;
	char *recipient;
	char *subject;
	char *body_text;
	char *body_html;
	long attempts;         /* failed attempts so far */
	int has_not_after;
	time_t not_after;
	char lease[TM_BUF];    /* the next_attempt_at value this worker set: proof of its claim */
};
void mailq_row_free(struct mailq_row *r);

/* Called once per row that mailq_drop_expired() deletes, for the log; recipient is never a link. */
typedef void (*mailq_expired_fn)(long long id, const char *recipient, long attempts, void *ctx);

/*
 * Deletes every row whose not_after is before now, unsent, calling cb (may be NULL) for each.
 * *dropped (may be NULL) gets the count.
 */
int mailq_drop_expired(struct db *db, time_t now, long now_us, mailq_expired_fn cb, void *ctx,
		       unsigned *dropped);

/*
 * Claims up to max rows due at cutoff (next_attempt_at <= cutoff, not expired at now), oldest
 * first, by moving their next_attempt_at to now + lease_seconds. Run it inside db_tx(): SQLite's write
 * lock or PostgreSQL's SKIP LOCKED make sure two workers never claim one row. ids (max entries) gets the row ids in ascending
 * order (the order they were queued), *n the count,
 * lease the value written.
 */
int mailq_claim(struct db *db, time_t now, long now_us, time_t cutoff, long cutoff_us,
		unsigned lease_seconds, size_t max, long long *ids, size_t *n, char lease[TM_BUF]);

/*
 * Takes one claimed row for sending: renews its lease to now + lease_seconds on condition that
 * next_attempt_at still equals lease (nobody took it over since), then loads it.
 * AC_ENOTFOUND when the row is gone or was claimed again by another worker.
 * On success *out is new and out->lease holds the renewed lease.
 */
int mailq_take(struct db *db, long long id, const char *lease, time_t now, long now_us,
	       unsigned lease_seconds, struct mailq_row **out);

/* Gives a claimed but unsent row back (due now), if it is still ours. */
int mailq_release(struct db *db, const struct mailq_row *r, time_t now, long now_us);
/* Deletes a row (sent, expired or dead). */
int mailq_delete(struct db *db, long long id);

/* Seconds until the next try after the attempts-th failure: min(base * 2^(attempts-1), 3600). */
unsigned mailq_backoff(long attempts, unsigned base);

/*
 * Records a failed attempt of a row taken with mailq_take(): attempts + 1, last_error = error
 * (truncated to 500 bytes; it must hold no secret and no link) and next_attempt_at = now +
 * mailq_backoff(). When attempts reaches max_attempts the row is deleted instead and *dead is
 * set. Changes nothing when the row is no longer ours (*dead stays 0).
 */
int mailq_fail(struct db *db, const struct mailq_row *r, const char *error, time_t now,
	       long now_us, unsigned backoff_base, unsigned max_attempts, int *dead);

#endif
