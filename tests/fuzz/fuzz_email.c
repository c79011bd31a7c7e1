/* libFuzzer harness for lib/email.c: validation, normalisation, trimming and the subject hash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "email.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lower_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char norm[EMAIL_MAX + 1], again[EMAIL_MAX + 1], trimmed[EMAIL_MAX + 1];
	char h1[65], h2[65];
	char *s;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	email_subject_hash(s, h1);
	if (strlen(h1) != 64)
		abort();
	if (email_normalize(s, norm) == AC_OK) {
		size_t n = strlen(norm);

		/* Printable ASCII, bounded, idempotent, and only the case of the domain changed. */
		if (n < 3 || n > EMAIL_MAX || !strchr(norm, '@'))
			abort();
		for (size_t i = 0; i < n; i++)
			if (norm[i] < 0x21 || norm[i] > 0x7e)
				abort();
		if (email_normalize(norm, again) != AC_OK || strcmp(norm, again) != 0)
			abort();
		if (email_trim(s, trimmed, sizeof trimmed) != AC_OK || strlen(trimmed) != n ||
		    !lower_eq(trimmed, norm))
			abort();
		email_subject_hash(norm, h2);
		if (strcmp(h1, h2) != 0)
			abort();
	}
	free(s);
	return 0;
}
