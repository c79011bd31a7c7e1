/* `authctl two-factor-reset EMAIL` (API.md §11.4): removes a user's second factor and ends their sessions. */
#ifndef AUTHCGI_TFA_ADMIN_H
#define AUTHCGI_TFA_ADMIN_H

#include <stdio.h>
#include "cfg.h"

/*
 * Finds the user with the address (case-insensitively), deletes their TOTP secret and recovery
 * codes in one transaction, then ends every session of the user, and writes one line saying what
 * it did to out. Returns 0; AC_ENOTFOUND when no user has the address; AC_EUNAVAIL when the
 * database or Redis is unavailable (the second factor may already be gone); else an ac_err.
 */
int tfa_admin_reset(const struct cfg *cfg, const char *address, FILE *out);

#endif
