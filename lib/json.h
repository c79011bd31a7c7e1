/* Strict JSON request bodies (API.md §1.6): syntax checked here, tree built by cJSON. */
#ifndef AUTHCGI_JSON_H
#define AUTHCGI_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define JSON_MAX_DEPTH 16

/*
 * Strict RFC 8259 syntax check of len bytes: valid UTF-8, no byte-order mark, no lone
 * surrogate escapes, no NaN/Infinity, strict number grammar, no raw control characters in
 * strings, nesting at most JSON_MAX_DEPTH, nothing but whitespace after the value.
 * Sets *has_nul to 1 when a string or key contains the escape \u0000.
 * Returns 0 or AC_EINVAL.
 */
int json_check_syntax(const char *body, size_t len, int *has_nul);

/*
 * Parses a request body against a schema: fields is an array of nfields known keys, in the
 * order API.md §7 lists them. The checks run in the order of §1.6. On success returns 0,
 * *root is the cJSON tree (caller frees with cJSON_Delete) and values[i] points into it at
 * the string value of fields[i], or is NULL when absent or null.
 * On failure returns AC_EINVAL, *root is NULL and err (errlen bytes) holds the exact client
 * message, e.g. "Malformed JSON body" or "The email field must be a string".
 * AC_ENOMEM (err empty) when an allocation fails.
 */
int json_parse_body(const char *body, size_t len, const char *const fields[], size_t nfields,
		    cJSON **root, const char *values[], char *err, size_t errlen);

#endif
