/* The mail worker (API.md §6.1): sends what requests queued in mail_outbox, with leases, retries and backoff. */
#include "cfg.h"
#include "db/db.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "mailq.h"
#include "mailsend.h"
#include "mime.h"
#include "timefmt.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEASE_DEFAULT 300
#define BACKOFF_DEFAULT 60
#define BATCH_MAX 1000

static const char usage[] =
	"usage: mailer [--once] [--interval SECONDS] [--batch N]\n"
	"\n"
	"Sends the e-mails queued in mail_outbox through EMAIL_BACKEND (smtp, file or console).\n"
	"\n"
	"  --once              send what is due now, then exit (for cron)\n"
	"  --interval SECONDS  pause between passes when looping (default 5; decimals allowed)\n"
	"  --batch N           rows claimed per transaction (default 10)\n"
	"  --help              this text\n"
	"\n"
	"Without --once the worker loops until SIGTERM or SIGINT, and then exits after finishing\n"
	"the message in hand.\n"
	"\n"
	"Configuration is read as by the CGIs: the environment over the file named by\n"
	"AUTHCGI_CONFIG (or the default file). Overrides, meant for tests:\n"
	"  MAILER_LEASE_SECONDS         how long a claim keeps other workers off a row\n"
	"                               (default max(300, EMAIL_TIMEOUT + 60))\n"
	"  MAILER_BACKOFF_BASE_SECONDS  the base of the retry backoff min(base*2^(n-1), 3600)\n"
	"                               after the n-th failure (default 60)\n"
	"\n"
	"Exit status: 0 on success, 1 on a configuration or database failure, 2 on bad usage.\n";

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct worker {
	const struct cfg *cfg;
	struct db *db;
	struct mailsend *ms;
	unsigned lease;
	unsigned backoff;
	size_t batch;
	long long *ids;
};

static int env_seconds(const char *name, unsigned def, unsigned *out)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	*out = def;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 86400 || s[0] == '-') {
		fprintf(stderr, "mailer: %s must be whole seconds from 1 to 86400\n", name);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static void hash_of(const char *recipient, char out[65])
{
	email_subject_hash(recipient, out);
}

static void log_expired(long long id, const char *recipient, long attempts, void *ctx)
{
	char h[65];

	(void)ctx;
	hash_of(recipient, h);
	log_warn("mail %lld to e-mail hash %s dropped unsent: its link expired (%ld failed attempts)",
		 id, h, attempts);
}

/* Sends one taken row and settles it: deleted when sent or unsendable, else retried later. */
static void send_row(struct worker *w, struct mailq_row *r)
{
	char msgid[MIME_MSGID_MAX], err[600], hash[65];
	struct mime_mail mm;
	char *msg = NULL;
	size_t len = 0;
	time_t now;
	long us;
	int rc, dead = 0;

	tm_now(&now, &us);
	hash_of(r->recipient, hash);
	if (r->has_not_after && r->not_after < now) {
		if (mailq_delete(w->db, r->id) == AC_OK)
			log_expired(r->id, r->recipient, r->attempts, NULL);
		return;
	}
	rc = mime_message_id(w->cfg->default_from_email, now, msgid);
	if (rc == AC_OK) {
		mm = (struct mime_mail){
			.from = w->cfg->default_from_email, .to = r->recipient, .subject = r->subject,
			.text = r->body_text, .html = r->body_html, .date = now, .message_id = msgid,
		};
		rc = mime_build(&mm, &msg, &len);
	}
	if (rc == AC_OK)
		rc = mailsend_send(w->ms, r->id, r->recipient, msg, len, now, err, sizeof err);
	else
		snprintf(err, sizeof err, "cannot build the message");
	free(msg);
	if (rc == AC_OK) {
		if (mailq_delete(w->db, r->id) != AC_OK)
			log_error("mail %lld was sent but not deleted: it will be sent again", r->id);
		else
			log_info("mail %lld sent to e-mail hash %s", r->id, hash);
		return;
	}
	if (rc == AC_EINVAL || rc == AC_EBOUNDS) {
		/* no retry can fix a header value with CR/LF or a recipient that is no address */
		if (mailq_delete(w->db, r->id) == AC_OK)
			log_error("mail %lld to e-mail hash %s dropped: it cannot be sent (invalid "
				  "recipient, subject or size)", r->id, hash);
		return;
	}
	tm_now(&now, &us);
	if (mailq_fail(w->db, r, err, now, us, w->backoff, w->cfg->email_max_attempts, &dead) != AC_OK)
		return;
	if (dead)
		log_error("mail %lld to e-mail hash %s dropped after %ld failed attempts: %s", r->id,
			  hash, r->attempts + 1, err);
	else
		log_warn("mail %lld to e-mail hash %s: attempt %ld failed, next in %u s: %s", r->id,
			 hash, r->attempts + 1, mailq_backoff(r->attempts + 1, w->backoff), err);
}

struct claim {
	struct worker *w;
	time_t now;
	long us;
	time_t cut;
	long cut_us;
	size_t n;
	char *lease;
};

/* Drops the expired rows and claims a batch of due ones, in one transaction. */
static int claim_tx(struct db *db, void *arg)
{
	struct claim *c = arg;
	int rc = mailq_drop_expired(db, c->now, c->us, log_expired, NULL, NULL);

	c->n = 0;
	if (rc == AC_OK)
		rc = mailq_claim(db, c->now, c->us, c->cut, c->cut_us, c->w->lease, c->w->batch,
				 c->w->ids, &c->n, c->lease);
	return rc;
}

/*
 * One pass: repeatedly drops expired rows and claims a batch of rows due at the cutoff, in
 * one transaction, then sends the batch row by row, until nothing is due.
 */
static int pass(struct worker *w, int once, time_t start, long start_us)
{

	while (!stopping) {
		char lease[TM_BUF];
		time_t now, cut;
		long us, cut_us;
		size_t n = 0;
		int rc;

		tm_now(&now, &us);
		cut = now;
		cut_us = us;
		/* --once drains what was due when it started, not the rows it just pushed back */
		if (once && (start < now || (start == now && start_us < us))) {
			cut = start;
			cut_us = start_us;
		}
		struct claim c = { w, now, us, cut, cut_us, 0, lease };

		rc = db_tx(w->db, claim_tx, &c);
		if (rc != AC_OK)
			return rc;
		n = c.n;
		if (n == 0)
			return AC_OK;
		for (size_t i = 0; i < n; i++) {
			struct mailq_row *r = NULL;

			tm_now(&now, &us);
			if (stopping) {
				/* hand the rest back at once instead of leaving them leased */
				struct mailq_row back = { .id = w->ids[i] };

				memcpy(back.lease, lease, sizeof back.lease);
				mailq_release(w->db, &back, now, us);
				continue;
			}
			rc = mailq_take(w->db, w->ids[i], lease, now, us, w->lease, &r);
			if (rc == AC_ENOTFOUND)
				continue;
			if (rc != AC_OK)
				return rc;
			send_row(w, r);
			mailq_row_free(r);
		}
	}
	return AC_OK;
}

static void pause_for(double seconds)
{
	long long until = tm_mono_ms() + (long long)(seconds * 1000.0);

	/* short naps so that a signal is noticed promptly whenever it lands */
	while (!stopping && tm_mono_ms() < until) {
		long long left = until - tm_mono_ms();
		struct timespec ts = { 0, (left > 100 ? 100 : (left > 0 ? left : 0)) * 1000000L };

		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "batch", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct worker w = { .batch = 10 };
	struct cfg *cfg = NULL;
	struct sigaction sa;
	double interval = 5.0;
	char err[512], *end;
	int once = 0, opt, rc, status = 0;
	time_t start;
	long start_us;

	log_set_program("mailer");
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			once = 1;
			break;
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(interval >= 0.05 && interval <= 86400)) {
				fprintf(stderr, "mailer: --interval wants seconds from 0.05 to 86400\n");
				return 2;
			}
			break;
		case 'b': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > BATCH_MAX ||
			    optarg[0] == '-') {
				fprintf(stderr, "mailer: --batch wants a count from 1 to %d\n", BATCH_MAX);
				return 2;
			}
			w.batch = v;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	if (cfg_load(&cfg, err, sizeof err) != AC_OK) {
		log_error("refusing to start: invalid configuration: %s", err);
		return 1;
	}
	w.cfg = cfg;
	if (env_seconds("MAILER_BACKOFF_BASE_SECONDS", BACKOFF_DEFAULT, &w.backoff) != 0 ||
	    env_seconds("MAILER_LEASE_SECONDS",
			cfg->email_timeout + 60 > LEASE_DEFAULT ? cfg->email_timeout + 60
								 : LEASE_DEFAULT,
			&w.lease) != 0) {
		cfg_free(cfg);
		return 1;
	}
	w.ids = calloc(w.batch, sizeof *w.ids);
	if (!w.ids || mailsend_new(cfg, &w.ms) != AC_OK || db_open(cfg, &w.db) != AC_OK) {
		log_error("refusing to start: the mail backend or the database is not usable");
		status = 1;
		goto out;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	tm_now(&start, &start_us);
	if (once) {
		rc = pass(&w, 1, start, start_us);
		status = rc == AC_OK ? 0 : 1;
	} else {
		while (!stopping) {
			rc = pass(&w, 0, start, start_us);
			if (rc != AC_OK)
				log_error("pass failed (%d); trying again in %.2f s", rc, interval);
			pause_for(interval);
		}
	}
out:
	db_close(w.db);
	mailsend_free(w.ms);
	free(w.ids);
	cfg_free(cfg);
	return status;
}
