/* The mail outbox (API.md §6.1): insert in the caller's transaction; claim, lease, retry and drop for bin/mailer. */
#include "mailq.h"
#include "err.h"
#include "log.h"
#include "mailmsg.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#define ERROR_MAX 500
#define BACKOFF_CAP 3600u

/* tm_db_format() of (sec, usec) into buf: the stored datetime text of both engines. */
static const char *when(char buf[TM_BUF], time_t sec, long usec)
{
	tm_db_format(sec, usec, buf);
	return buf;
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

int mailq_insert(struct db *db, const char *recipient, const char *subject, const char *body_text,
		 const char *body_html, time_t now, const time_t *not_after)
{
	char created[TM_BUF], expires[TM_BUF];
	const char *p[6];

	if (!header_text_ok(recipient, 3, 254) || !header_text_ok(subject, 1, 255) || !body_text ||
	    !body_html)
		return AC_EINVAL;
	p[0] = when(created, now, 0);
	p[1] = not_after ? when(expires, *not_after, 0) : NULL;
	p[2] = recipient;
	p[3] = subject;
	p[4] = body_text;
	p[5] = body_html;
	return db_run(db, Q_MAIL_INSERT, 6, p, NULL, NULL);
}

static int queue(struct db *db, const char *recipient, int rc, struct mailmsg *m,
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

int mailq_queue_activation(struct db *db, const struct cfg *cfg, const char *recipient,
			   const char *uidb64, const char *token, time_t expiry)
{
	struct mailmsg *m;
	int rc = mailmsg_activation(cfg, uidb64, token, expiry, &m);

	return queue(db, recipient, rc, m, &expiry);
}

int mailq_queue_reset(struct db *db, const struct cfg *cfg, const char *recipient,
		      const char *uidb64, const char *token, time_t expiry)
{
	struct mailmsg *m;
	int rc = mailmsg_reset(cfg, uidb64, token, expiry, &m);

	return queue(db, recipient, rc, m, &expiry);
}

int mailq_queue_password_changed(struct db *db, const struct cfg *cfg, const char *recipient,
				 time_t when)
{
	struct mailmsg *m;
	int rc;

	if (!header_text_ok(recipient, 3, 254))
		return AC_EINVAL;
	rc = mailmsg_password_changed(cfg, recipient, when, &m);
	return queue(db, recipient, rc, m, NULL);
}

int mailq_queue_account_deleted(struct db *db, const char *recipient, time_t when)
{
	struct mailmsg *m;
	int rc;

	if (!header_text_ok(recipient, 3, 254))
		return AC_EINVAL;
	rc = mailmsg_account_deleted(recipient, when, &m);
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

int mailq_drop_expired(struct db *db, time_t now, long now_us, mailq_expired_fn cb, void *ctx,
		       unsigned *dropped)
{
	char t[TM_BUF];
	const char *p = when(t, now, now_us);
	struct db_rows r;
	int rc;

	if (dropped)
		*dropped = 0;
	rc = db_run(db, Q_MAIL_DROP_EXPIRED, 1, &p, &r, NULL);
	if (rc != AC_OK)
		return rc;
	for (size_t i = 0; cb && i < r.n; i++) {
		const char *rcpt = db_cell(&r, i, 1);

		cb(atoll(db_cell(&r, i, 0) ? db_cell(&r, i, 0) : "0"), rcpt ? rcpt : "",
		   atol(db_cell(&r, i, 2) ? db_cell(&r, i, 2) : "0"), ctx);
	}
	if (dropped)
		*dropped = (unsigned)r.n;
	db_rows_clear(&r);
	return AC_OK;
}

static int cmp_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int mailq_claim(struct db *db, time_t now, long now_us, time_t cutoff, long cutoff_us,
		unsigned lease_seconds, size_t max, long long *ids, size_t *n, char lease[TM_BUF])
{
	char cut[TM_BUF], at[TM_BUF], limit[24];
	const char *p[4];
	struct db_rows r;
	int rc;

	*n = 0;
	tm_db_format(now + (time_t)lease_seconds, now_us, lease);
	if (max == 0)
		return AC_OK;
	snprintf(limit, sizeof limit, "%zu", max);
	p[0] = lease;
	p[1] = when(cut, cutoff, cutoff_us);
	p[2] = when(at, now, now_us);
	p[3] = limit;
	rc = db_run(db, Q_MAIL_CLAIM, 4, p, &r, NULL);
	if (rc != AC_OK)
		return rc;
	for (size_t i = 0; i < r.n && *n < max; i++)
		ids[(*n)++] = atoll(db_cell(&r, i, 0) ? db_cell(&r, i, 0) : "0");
	db_rows_clear(&r);
	/* RETURNING has no defined order: send in queueing order */
	qsort(ids, *n, sizeof *ids, cmp_id);
	return AC_OK;
}

static char *cell_dup(const struct db_rows *r, size_t col)
{
	const char *s = db_cell(r, 0, col);

	return strdup(s ? s : "");
}

int mailq_take(struct db *db, long long id, const char *lease, time_t now, long now_us,
	       unsigned lease_seconds, struct mailq_row **out)
{
	char idtext[24];
	const char *p[3], *na;
	struct mailq_row *r;
	struct db_rows rows;
	long us;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return AC_ENOMEM;
	r->id = id;
	tm_db_format(now + (time_t)lease_seconds, now_us, r->lease);
	snprintf(idtext, sizeof idtext, "%lld", id);
	p[0] = r->lease;
	p[1] = idtext;
	p[2] = lease;
	rc = db_run(db, Q_MAIL_TAKE, 3, p, &rows, NULL);
	if (rc == AC_OK && rows.n == 0)
		rc = AC_ENOTFOUND;
	if (rc == AC_OK) {
		r->recipient = cell_dup(&rows, 0);
		r->subject = cell_dup(&rows, 1);
		r->body_text = cell_dup(&rows, 2);
		r->body_html = cell_dup(&rows, 3);
		r->attempts = atol(db_cell(&rows, 0, 4) ? db_cell(&rows, 0, 4) : "0");
		na = db_cell(&rows, 0, 5);
		if (na && tm_db_parse(na, &r->not_after, &us) == AC_OK)
			r->has_not_after = 1;
		rc = r->recipient && r->subject && r->body_text && r->body_html ? AC_OK : AC_ENOMEM;
	}
	db_rows_clear(&rows);
	if (rc != AC_OK) {
		mailq_row_free(r);
		return rc;
	}
	*out = r;
	return AC_OK;
}

int mailq_release(struct db *db, const struct mailq_row *r, time_t now, long now_us)
{
	char at[TM_BUF], idtext[24];
	const char *p[3] = { when(at, now, now_us), idtext, r->lease };

	snprintf(idtext, sizeof idtext, "%lld", r->id);
	return db_run(db, Q_MAIL_RELEASE, 3, p, NULL, NULL);
}

int mailq_delete(struct db *db, long long id)
{
	char idtext[24];
	const char *p = idtext;

	snprintf(idtext, sizeof idtext, "%lld", id);
	return db_run(db, Q_MAIL_DELETE, 1, &p, NULL, NULL);
}

unsigned mailq_backoff(long attempts, unsigned base)
{
	unsigned long long d = base;

	for (long i = 1; i < attempts && d < BACKOFF_CAP; i++)
		d *= 2;
	return d < BACKOFF_CAP ? (unsigned)d : BACKOFF_CAP;
}

int mailq_fail(struct db *db, const struct mailq_row *r, const char *error, time_t now,
	       long now_us, unsigned backoff_base, unsigned max_attempts, int *dead)
{
	long attempts = r->attempts + 1;
	char msg[ERROR_MAX + 1], idtext[24], count[24], next[TM_BUF];
	const char *p[5] = { count, msg, next, idtext, r->lease };
	size_t n = 0;
	long changes = 0;
	int rc, gone = max_attempts && attempts >= (long)max_attempts;

	*dead = 0;
	for (const char *e = error ? error : ""; *e && n < ERROR_MAX; e++)
		msg[n++] = (unsigned char)*e < 0x20 || *e == 0x7f ? ' ' : *e;
	msg[n] = '\0';
	snprintf(idtext, sizeof idtext, "%lld", r->id);
	if (gone) {
		rc = db_run(db, Q_MAIL_DEAD, 2, p + 3, NULL, &changes);
		if (rc == AC_OK && changes == 1)
			*dead = 1;
		return rc;
	}
	snprintf(count, sizeof count, "%ld", attempts);
	tm_db_format(now + (time_t)mailq_backoff(attempts, backoff_base), now_us, next);
	return db_run(db, Q_MAIL_FAIL, 5, p, NULL, NULL);
}
