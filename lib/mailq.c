/* The mail outbox (API.md §6.1): insert in the caller's transaction; claim, lease, retry and drop for bin/mailer. */
#include "mailq.h"
#include "err.h"
#include "log.h"
#include "mailmsg.h"

#include <stdlib.h>
#include <string.h>

#define ERROR_MAX 500
#define BACKOFF_CAP 3600u

static int fail(sqlite3 *db, int rc, const char *what)
{
	int primary = rc & 0xff;

	log_error("sqlite: mail outbox %s: %s (%d)", what, sqlite3_errmsg(db), rc);
	if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
		return AC_EUNAVAIL;
	if (primary == SQLITE_NOMEM)
		return AC_ENOMEM;
	return AC_EINTERNAL;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		*st = NULL;
		return fail(db, rc, "prepare");
	}
	return AC_OK;
}

static void bind_time(sqlite3_stmt *st, int i, time_t sec, long usec)
{
	char buf[TM_BUF];

	tm_db_format(sec, usec, buf);
	sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}

/* min..max UTF-8 characters (varchar counts characters) and no control character. */
static int header_text_ok(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n >= min && n <= max;
}

int mailq_insert(sqlite3 *db, const char *recipient, const char *subject, const char *body_text,
		 const char *body_html, time_t now, const time_t *not_after)
{
	static const char sql[] =
		"INSERT INTO mail_outbox (created_at, not_after, recipient, subject, body_text,"
		" body_html, attempts, next_attempt_at, last_error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?1, NULL)";
	sqlite3_stmt *st;
	int rc;

	if (!header_text_ok(recipient, 3, 254) || !header_text_ok(subject, 1, 255) || !body_text ||
	    !body_html)
		return AC_EINVAL;
	rc = prepare(db, sql, &st);
	if (rc != AC_OK)
		return rc;
	bind_time(st, 1, now, 0);
	if (not_after)
		bind_time(st, 2, *not_after, 0);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, recipient, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, body_html, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, "insert");
	sqlite3_finalize(st);
	return rc;
}

static int queue(sqlite3 *db, const char *recipient, int rc, struct mailmsg *m,
		 const time_t *not_after)
{
	time_t now;
	long us;

	if (rc == AC_OK) {
		tm_now(&now, &us);
		rc = mailq_insert(db, recipient, m->subject, m->text, m->html, now, not_after);
	}
	mailmsg_free(m);
	return rc;
}

int mailq_queue_activation(sqlite3 *db, const struct cfg *cfg, const char *recipient,
			   const char *uidb64, const char *token, time_t expiry)
{
	struct mailmsg *m;
	int rc = mailmsg_activation(cfg, uidb64, token, expiry, &m);

	return queue(db, recipient, rc, m, &expiry);
}

int mailq_queue_reset(sqlite3 *db, const struct cfg *cfg, const char *recipient,
		      const char *uidb64, const char *token, time_t expiry)
{
	struct mailmsg *m;
	int rc = mailmsg_reset(cfg, uidb64, token, expiry, &m);

	return queue(db, recipient, rc, m, &expiry);
}

int mailq_queue_password_changed(sqlite3 *db, const struct cfg *cfg, const char *recipient,
				 time_t when)
{
	struct mailmsg *m;
	int rc;

	if (!header_text_ok(recipient, 3, 254))
		return AC_EINVAL;
	rc = mailmsg_password_changed(cfg, recipient, when, &m);
	return queue(db, recipient, rc, m, NULL);
}

void mailq_row_free(struct mailq_row *r)
{
	if (!r)
		return;
	free(r->recipient);
	free(r->subject);
	free(r->body_text);
	free(r->body_html);
	free(r);
}

int mailq_drop_expired(sqlite3 *db, time_t now, long now_us, mailq_expired_fn cb, void *ctx,
		       unsigned *dropped)
{
	static const char sql[] =
		"DELETE FROM mail_outbox WHERE not_after IS NOT NULL AND not_after < ?1"
		" RETURNING id, recipient, attempts";
	sqlite3_stmt *st;
	unsigned n = 0;
	int rc;

	if (dropped)
		*dropped = 0;
	rc = prepare(db, sql, &st);
	if (rc != AC_OK)
		return rc;
	bind_time(st, 1, now, now_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rcpt = (const char *)sqlite3_column_text(st, 1);

		n++;
		if (cb)
			cb(sqlite3_column_int64(st, 0), rcpt ? rcpt : "",
			   (long)sqlite3_column_int64(st, 2), ctx);
	}
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, "drop expired");
	sqlite3_finalize(st);
	if (dropped)
		*dropped = n;
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int mailq_claim(sqlite3 *db, time_t now, long now_us, time_t cutoff, long cutoff_us,
		unsigned lease_seconds, size_t max, long long *ids, size_t *n, char lease[TM_BUF])
{
	static const char sql[] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id IN ("
		" SELECT id FROM mail_outbox WHERE next_attempt_at <= ?2"
		" AND (not_after IS NULL OR not_after >= ?3)"
		" ORDER BY next_attempt_at, id LIMIT ?4) RETURNING id";
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	tm_db_format(now + (time_t)lease_seconds, now_us, lease);
	if (max == 0)
		return AC_OK;
	rc = prepare(db, sql, &st);
	if (rc != AC_OK)
		return rc;
	sqlite3_bind_text(st, 1, lease, -1, SQLITE_STATIC);
	bind_time(st, 2, cutoff, cutoff_us);
	bind_time(st, 3, now, now_us);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (*n < max)
			ids[(*n)++] = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, "claim");
	sqlite3_finalize(st);
	if (rc != AC_OK)
		*n = 0;
	/* RETURNING has no defined order: send in queueing order */
	qsort(ids, *n, sizeof *ids, cmp_id);
	return rc;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return strdup(s ? s : "");
}

int mailq_take(sqlite3 *db, long long id, const char *lease, time_t now, long now_us,
	       unsigned lease_seconds, struct mailq_row **out)
{
	static const char sql[] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id = ?2 AND next_attempt_at = ?3"
		" RETURNING recipient, subject, body_text, body_html, attempts, not_after";
	struct mailq_row *r;
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return AC_ENOMEM;
	r->id = id;
	tm_db_format(now + (time_t)lease_seconds, now_us, r->lease);
	rc = prepare(db, sql, &st);
	if (rc != AC_OK) {
		free(r);
		return rc;
	}
	sqlite3_bind_text(st, 1, r->lease, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, lease, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *na = (const char *)sqlite3_column_text(st, 5);
		long us;

		r->recipient = col_dup(st, 0);
		r->subject = col_dup(st, 1);
		r->body_text = col_dup(st, 2);
		r->body_html = col_dup(st, 3);
		r->attempts = (long)sqlite3_column_int64(st, 4);
		if (na && tm_db_parse(na, &r->not_after, &us) == AC_OK)
			r->has_not_after = 1;
		rc = r->recipient && r->subject && r->body_text && r->body_html ? AC_OK : AC_ENOMEM;
		/* finish the statement so that the update is committed */
		if (rc == AC_OK && sqlite3_step(st) != SQLITE_DONE)
			rc = fail(db, sqlite3_errcode(db), "take");
	} else if (rc == SQLITE_DONE) {
		rc = AC_ENOTFOUND;
	} else {
		rc = fail(db, rc, "take");
	}
	sqlite3_finalize(st);
	if (rc != AC_OK) {
		mailq_row_free(r);
		return rc;
	}
	*out = r;
	return AC_OK;
}

int mailq_release(sqlite3 *db, const struct mailq_row *r, time_t now, long now_us)
{
	static const char sql[] =
		"UPDATE mail_outbox SET next_attempt_at = ?1 WHERE id = ?2 AND next_attempt_at = ?3";
	sqlite3_stmt *st;
	int rc = prepare(db, sql, &st);

	if (rc != AC_OK)
		return rc;
	bind_time(st, 1, now, now_us);
	sqlite3_bind_int64(st, 2, r->id);
	sqlite3_bind_text(st, 3, r->lease, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, "release");
	sqlite3_finalize(st);
	return rc;
}

int mailq_delete(sqlite3 *db, long long id)
{
	sqlite3_stmt *st;
	int rc = prepare(db, "DELETE FROM mail_outbox WHERE id = ?1", &st);

	if (rc != AC_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, "delete");
	sqlite3_finalize(st);
	return rc;
}

unsigned mailq_backoff(long attempts, unsigned base)
{
	unsigned long long d = base;

	for (long i = 1; i < attempts && d < BACKOFF_CAP; i++)
		d *= 2;
	return d < BACKOFF_CAP ? (unsigned)d : BACKOFF_CAP;
}

int mailq_fail(sqlite3 *db, const struct mailq_row *r, const char *error, time_t now,
	       long now_us, unsigned backoff_base, unsigned max_attempts, int *dead)
{
	static const char upd[] =
		"UPDATE mail_outbox SET attempts = ?1, last_error = ?2, next_attempt_at = ?3"
		" WHERE id = ?4 AND next_attempt_at = ?5";
	static const char del[] = "DELETE FROM mail_outbox WHERE id = ?1 AND next_attempt_at = ?2";
	long attempts = r->attempts + 1;
	char msg[ERROR_MAX + 1];
	sqlite3_stmt *st;
	size_t n = 0;
	int rc, gone = max_attempts && attempts >= (long)max_attempts;

	*dead = 0;
	for (const char *p = error ? error : ""; *p && n < ERROR_MAX; p++)
		msg[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	msg[n] = '\0';
	rc = prepare(db, gone ? del : upd, &st);
	if (rc != AC_OK)
		return rc;
	if (gone) {
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_text(st, 2, r->lease, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_int64(st, 1, attempts);
		sqlite3_bind_text(st, 2, msg, -1, SQLITE_STATIC);
		bind_time(st, 3, now + (time_t)mailq_backoff(attempts, backoff_base), now_us);
		sqlite3_bind_int64(st, 4, r->id);
		sqlite3_bind_text(st, 5, r->lease, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? AC_OK : fail(db, rc, gone ? "dead-letter" : "record failure");
	if (rc == AC_OK && gone && sqlite3_changes(db) == 1)
		*dead = 1;
	sqlite3_finalize(st);
	return rc;
}
