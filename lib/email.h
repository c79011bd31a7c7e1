/* E-mail address validation, normalisation and the rate-limit subject hash (API.md §2.6, §1.12). */
#ifndef AUTHCGI_EMAIL_H
#define AUTHCGI_EMAIL_H

#include <stddef.h>

#define EMAIL_MAX 254

/*
 * Validates an address per §2.6 (after trimming ASCII whitespace) and writes its normalised
 * form (domain lower-cased, local part unchanged) into out[EMAIL_MAX + 1].
 * Returns 0 or AC_EINVAL.
 */
int email_normalize(const char *in, char out[EMAIL_MAX + 1]);
/*
 * Trims surrounding ASCII whitespace without validating (login's lookup). Writes into out
 * (outlen bytes). Returns 0, or AC_EINVAL when the trimmed text does not fit.
 */
int email_trim(const char *in, char *out, size_t outlen);
/* Lowercase hex SHA-256 of the address trimmed and ASCII-lower-cased as a whole (§1.12). */
void email_subject_hash(const char *in, char out[65]);

#endif
