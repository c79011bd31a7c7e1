/* Delivery of one finished e-mail through EMAIL_BACKEND (API.md §6.1): smtp via libcurl, file, console. */
#ifndef AUTHCGI_MAILSEND_H
#define AUTHCGI_MAILSEND_H

#include <stddef.h>
#include <time.h>
#include "cfg.h"

struct mailsend;

/*
 * Prepares the configured backend (global libcurl setup for smtp; the directory for file,
 * created 0700 when missing). cfg must outlive the handle. Returns 0 and a handle freed with
 * mailsend_free(); AC_EINVAL when the configuration cannot work (e.g. no EMAIL_FILE_PATH, an
 * unusable DEFAULT_FROM_EMAIL), with a reason logged; AC_ENOMEM; AC_EINTERNAL.
 */
int mailsend_new(const struct cfg *cfg, struct mailsend **out);
void mailsend_free(struct mailsend *ms);

/*
 * Delivers msg (len bytes, a full RFC 5322 message with CRLF line ends, from mime_build())
 * to recipient. id and now name the .eml file of the file backend.
 * Returns 0 when the backend accepted it; AC_EINVAL when recipient holds CR/LF or is not an
 * address; AC_EUNAVAIL on a delivery failure, with a short reason in err (errlen bytes)
 * that holds no credential and nothing of the message.
 */
int mailsend_send(struct mailsend *ms, long long id, const char *recipient, const char *msg,
		  size_t len, time_t now, char *err, size_t errlen);

#endif
