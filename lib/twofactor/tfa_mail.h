/* The three two-factor e-mails of API.md §11.5, queued in the caller's transaction (not_after NULL, no token). */
#ifndef AUTHCGI_TFA_MAIL_H
#define AUTHCGI_TFA_MAIL_H

#include <time.h>
#include "cfg.h"
#include "db/db.h"

/*
 * Each renders its message from the lib/mail/tfa_*.{txt,html} templates for the stored address
 * email, dated when, and inserts it into mail_outbox inside the transaction the caller has
 * open (mailq.h). Return 0, AC_EINVAL (an address that cannot be mailed), AC_ENOMEM or a db error.
 */
/* "Two-factor authentication is on". */
int tfa_mail_enabled(struct db *db, const struct cfg *cfg, const char *email, time_t when);
/* "Two-factor authentication is off", with the link F/auth/password/request-change. */
int tfa_mail_disabled(struct db *db, const struct cfg *cfg, const char *email, time_t when);
/* "A recovery code was used", with the number of unused codes left. */
int tfa_mail_recovery_used(struct db *db, const struct cfg *cfg, const char *email, time_t when,
			   long left);

#endif
