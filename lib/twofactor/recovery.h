/* Recovery codes (API.md §11.1): generation from the CSPRNG, normalisation of input, SHA-256 hashes. */
#ifndef AUTHCGI_RECOVERY_H
#define AUTHCGI_RECOVERY_H

#define RECOVERY_COUNT 10      /* codes per set */
#define RECOVERY_CHARS 10      /* characters of a code, without the '-' */
#define RECOVERY_SHOWN 12      /* "xxxxx-xxxxx" plus NUL */

/* The code alphabet: [a-z2-9] without l and o, 32 characters. */
extern const char recovery_alphabet[];

/* A fresh set of distinct codes, each written "xxxxx-xxxxx". Returns 0 or AC_EINTERNAL. */
int recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_SHOWN]);
/*
 * The compared form of an input: spaces and '-' removed, lower-cased. Returns 0 with out set
 * when that is RECOVERY_CHARS characters of the alphabet; AC_EINVAL otherwise (no code can match).
 */
int recovery_normalise(const char *in, char out[RECOVERY_CHARS + 1]);
/* The stored form: lowercase hex SHA-256 of a normalised code. */
void recovery_hash(const char *normalised, char out[65]);

#endif
