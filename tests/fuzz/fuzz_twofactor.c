/* libFuzzer harness for lib/twofactor/: base32 decoding, recovery-code normalisation, sealed secrets and TOTP matching on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "twofactor/recovery.h"
#include "twofactor/seal.h"
#include "twofactor/totp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[SEAL_KEY_LEN];
	static int keyed;
	unsigned char raw[512], opened[512];
	char norm[RECOVERY_CHARS + 1], enc[1024], *s;
	size_t n = 0, m = 0;
	int64_t step = 0;

	if (!keyed) {
		seal_key("an-example-secret-key-for-test-vectors-only-0123456789", 54, key);
		keyed = 1;
	}
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* base32: what decodes re-encodes to the same text, upper-cased */
	if (totp_base32_decode(s, raw, sizeof raw, &n) == AC_OK) {
		if (totp_base32_encode(raw, n, enc, sizeof enc) != AC_OK || strlen(enc) != strlen(s) ||
		    strncasecmp(enc, s, strlen(s)) != 0)
			abort();
		/* any decoded key works as an HMAC key; a match names a step of the window */
		if (totp_match(raw, n, "123456", 1700000000, 0, &step) &&
		    (step < 1700000000 / 30 - 1 || step > 1700000000 / 30 + 1))
			abort();
	}
	/* recovery codes: a normalised form is 10 characters of the alphabet */
	if (recovery_normalise(s, norm) == AC_OK) {
		if (strlen(norm) != RECOVERY_CHARS || strspn(norm, recovery_alphabet) != RECOVERY_CHARS)
			abort();
	}
	/* a sealed value from arbitrary text never opens; sealing the input round-trips */
	if (seal_decrypt(key, s, opened, sizeof opened, &m) == AC_OK)
		abort();
	if (size <= 256) {
		char *sealed = NULL;

		if (seal_encrypt(key, data, size, &sealed) != AC_OK ||
		    seal_decrypt(key, sealed, opened, sizeof opened, &m) != AC_OK || m != size ||
		    memcmp(opened, data, size) != 0)
			abort();
		free(sealed);
	}
	/* at Unix time 59 the window is steps 0-2: with step 2 already used, nothing matches,
	 * and 359152 (step 2) is a replay */
	if (totp_match("12345678901234567890", 20, s, 59, 2, &step))
		abort();
	free(s);
	return 0;
}
