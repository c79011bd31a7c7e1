/* The three two-factor e-mails of API.md §11.5, queued in the caller's transaction (not_after NULL, no token). */
#include "tfa_mail.h"
#include "err.h"
#include "mailmsg.h"
#include "mailq.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>

/* Renders base.txt and base.html with vars and queues the message to email. */
static int queue(struct db *db, const char *base, const char *subject, const char *email,
		 time_t when, const struct mailmsg_var *vars, size_t n)
{
	char name[64], *text = NULL, *html = NULL;
	const char *tt, *th;
	int rc;

	snprintf(name, sizeof name, "%s.txt", base);
	tt = mailmsg_template(name);
	snprintf(name, sizeof name, "%s.html", base);
	th = mailmsg_template(name);
	if (!tt || !th)
		return AC_EINTERNAL;
	rc = mailmsg_render(tt, vars, n, 0, &text);
	if (rc == AC_OK)
		rc = mailmsg_render(th, vars, n, 1, &html);
	if (rc == AC_OK)
		rc = mailq_insert(db, email, subject, text, html, when, NULL);
	free(text);
	free(html);
	return rc;
}

int tfa_mail_enabled(struct db *db, const struct cfg *cfg, const char *email, time_t when)
{
	char at[TM_BUF];
	const struct mailmsg_var vars[] = { { "email", email }, { "when", at } };

	(void)cfg;
	if (!email || !*email)
		return AC_EINVAL;
	tm_expiry(when, at);
	return queue(db, "tfa_enabled", "Two-factor authentication is on", email, when, vars, 2);
}

int tfa_mail_disabled(struct db *db, const struct cfg *cfg, const char *email, time_t when)
{
	char at[TM_BUF], link[2048];
	const struct mailmsg_var vars[] = { { "email", email }, { "when", at }, { "link", link } };
	int n;

	if (!email || !*email || !cfg->frontend_url)
		return AC_EINVAL;
	n = snprintf(link, sizeof link, "%s/auth/password/request-change", cfg->frontend_url);
	if (n < 0 || (size_t)n >= sizeof link)
		return AC_EINVAL;
	tm_expiry(when, at);
	return queue(db, "tfa_disabled", "Two-factor authentication is off", email, when, vars, 3);
}

int tfa_mail_recovery_used(struct db *db, const struct cfg *cfg, const char *email, time_t when,
			   long left)
{
	char at[TM_BUF], count[24];
	const struct mailmsg_var vars[] = { { "email", email }, { "when", at }, { "left", count } };

	(void)cfg;
	if (!email || !*email)
		return AC_EINVAL;
	tm_expiry(when, at);
	snprintf(count, sizeof count, "%ld", left);
	return queue(db, "tfa_recovery_used", "A recovery code was used", email, when, vars, 3);
}
