/* libFuzzer harness: arbitrary bytes as the configuration file (lib/cfg.c), then validation without the environment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "cfg_internal.h"
#include "err.h"
#include "netaddr.h"
#include "origin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_file *f = NULL;
	struct cfg *c = NULL;
	char err[256];
	int rc;

	rc = cfg_parse_buffer((const char *)data, size, &f, err, sizeof err);
	if (rc == AC_OK) {
		if (!f)
			abort();
		rc = cfg_build(f, 0, &c, err, sizeof err);
		if ((rc == AC_OK) != (c != NULL))
			abort();
		if (c) {
			/* invariants the rest of the library relies on */
			size_t n = strlen(c->media_url);

			if (n == 0 || c->media_url[n - 1] != '/' || c->secret_key_len < 32 ||
			    c->database_path[0] != '/' || !c->frontend_origin || !c->api_origin)
				abort();
		}
		cfg_free(c);
		cfg_file_free(f);
	} else if (f) {
		abort();
	}
	if (memchr(err, '\0', sizeof err) == NULL)
		abort();

	/* the two small parsers on the same bytes as one string */
	if (size < 512) {
		char s[512], out[320];
		struct addr_range a;

		memcpy(s, data, size);
		s[size] = '\0';
		origin_canonical(s, out, sizeof out);
		origin_of_url(s, out, sizeof out);
		origin_from_host("https", s, out, sizeof out);
		if (addr_parse_range(s, &a) == AC_OK) {
			addr_in_ranges(&a, &a, 1);
			addr_format(&a, out, sizeof out);
			addr_rate_subject(&a, out, sizeof out);
		}
	}
	return 0;
}
