/* libFuzzer harness for lib/json.c: arbitrary bytes as a request body against a small schema. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fields[] = { "email", "password", "first_name" };
#define NFIELDS (sizeof fields / sizeof fields[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy without a terminator, as the request reader hands it over. */
	char *body = malloc(size ? size : 1);
	const char *values[NFIELDS];
	cJSON *root = (cJSON *)&root;
	char err[128];
	int has_nul = 0;
	int syn, rc;

	if (body == NULL)
		return 0;
	if (size)
		memcpy(body, data, size);
	syn = json_check_syntax(body, size, &has_nul);
	rc = json_parse_body(body, size, fields, NFIELDS, &root, values, err, sizeof err);

	if (rc == AC_OK) {
		/* Success implies a strict syntax pass, an object, no \u0000 and string-or-absent values. */
		if (syn != AC_OK || has_nul || root == NULL || !cJSON_IsObject(root))
			abort();
		for (size_t k = 0; k < NFIELDS; k++) {
			const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, fields[k]);

			if (values[k] != NULL && (it == NULL || values[k] != it->valuestring))
				abort();
			if (values[k] == NULL && it != NULL && !cJSON_IsNull(it))
				abort();
		}
		cJSON_Delete(root);
	} else {
		if (rc != AC_EINVAL || root != NULL)
			abort(); /* AC_ENOMEM would mean cJSON refused a text our scanner accepted */
		for (size_t k = 0; k < NFIELDS; k++)
			if (values[k] != NULL)
				abort();
		/* The malformed message comes exactly when the syntax check fails. */
		if ((syn != AC_OK) != (strcmp(err, "Malformed JSON body") == 0))
			abort();
	}
	free(body);
	return 0;
}
