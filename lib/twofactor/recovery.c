/* Recovery codes (API.md §11.1): generation from the CSPRNG, normalisation of input, SHA-256 hashes. */
#include "recovery.h"
#include "crypto.h"
#include "err.h"

#include <string.h>
#include <openssl/crypto.h>

const char recovery_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

int recovery_generate(char codes[RECOVERY_COUNT][RECOVERY_SHOWN])
{
	unsigned char r[RECOVERY_CHARS];

	for (int i = 0; i < RECOVERY_COUNT; i++) {
		int dup;

		do {
			/* 32 symbols: the low 5 bits of a random byte are uniform */
			if (sec_random(r, sizeof r) != AC_OK)
				return AC_EINTERNAL;
			for (int j = 0, o = 0; j < RECOVERY_CHARS; j++) {
				if (j == 5)
					codes[i][o++] = '-';
				codes[i][o++] = recovery_alphabet[r[j] & 31];
			}
			codes[i][RECOVERY_SHOWN - 1] = '\0';
			dup = 0;
			for (int k = 0; k < i; k++)
				dup |= strcmp(codes[k], codes[i]) == 0;
		} while (dup);
	}
	OPENSSL_cleanse(r, sizeof r);
	return AC_OK;
}

int recovery_normalise(const char *in, char out[RECOVERY_CHARS + 1])
{
	size_t o = 0;

	for (; *in; in++) {
		char ch = *in;

		if (ch == ' ' || ch == '-')
			continue;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!strchr(recovery_alphabet, ch) || ch == '\0' || o == RECOVERY_CHARS)
			return AC_EINVAL;
		out[o++] = ch;
	}
	out[o] = '\0';
	return o == RECOVERY_CHARS ? AC_OK : AC_EINVAL;
}

void recovery_hash(const char *normalised, char out[65])
{
	sec_sha256_hex(normalised, strlen(normalised), out);
}
