/* libFuzzer harness for lib/tok.c: uidb64 and base36 decoding and token checking on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tok.h"

#define SECRET "an-example-secret-key-for-test-vectors-only-0123456789"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tok_user user = {
		"3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b",
		"argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$4Z5PpXSUjmwCFqVEDjkVSA",
		"2023-05-20 08:20:01.123456", "john@example.com", 1,
	};
	char uuid[37], enc[49], b36[14], tok[TOK_MAX];
	uint64_t v;
	char *s;

	/* Length-delimited decoders see the raw bytes, NULs included. */
	if (tok_uidb64_decode((const char *)data, size, uuid) == AC_OK) {
		if (size != 48 || strlen(uuid) != 36 || tok_uidb64_encode(uuid, enc) != AC_OK ||
		    memcmp(enc, data, 48) != 0)
			abort();
	}
	if (tok_base36_decode((const char *)data, size, &v) == AC_OK) {
		tok_base36(v, b36);
		if (strlen(b36) != size || memcmp(b36, data, size) != 0)
			abort();
	}

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int p = TOK_ACTIVATION; p <= TOK_RESET_FORM; p++) {
		enum tok_purpose purpose = (enum tok_purpose)p;
		int64_t ts = tok_ts(s);
		int ok = tok_check(SECRET, strlen(SECRET), purpose, &user, s, 706263601, 600) == AC_OK;

		if (ts < 0) {
			if (ok)
				abort();
			continue;
		}
		/* A well-formed token passes exactly when it is the one tok_make gives for its ts. */
		if (tok_make(SECRET, strlen(SECRET), purpose, &user, ts, tok) != AC_OK ||
		    tok_ts(tok) != ts || strncmp(tok, s, (size_t)(strchr(s, '-') - s) + 1) != 0)
			abort();
		if ((tok_check(SECRET, strlen(SECRET), purpose, &user, s, ts, 600) == AC_OK) !=
		    (strcmp(tok, s) == 0))
			abort();
		if (ok && strcmp(tok, s) != 0)
			abort();
	}
	free(s);
	return 0;
}
