/*
 * libFuzzer harness for lib/fcgi.c: the input is what a FastCGI server sends on one connection
 * (records, parameters, bodies, management records, several requests with FCGI_KEEP_CONN).
 * The responder serves it like ep_main does: parameters, the body per CONTENT_LENGTH, drain,
 * answer. Answers go to /dev/null. Checks that every parameter found is a C string within the
 * bounds and that the loop ends when the input does.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"
#include "fcgi.h"

static const char answer[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"REQUEST_METHOD", "CONTENT_LENGTH", "HTTP_COOKIE", "REMOTE_ADDR", "PATH_INFO", "A",
	};
	struct fcgi *f;
	int in, out, requests = 0;

	in = memfd_create("fuzz-fcgi", MFD_CLOEXEC);
	out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (in < 0 || out < 0 || (size && write(in, data, size) != (ssize_t)size) ||
	    lseek(in, 0, SEEK_SET) != 0)
		abort();
	f = fcgi_new(-1);
	if (!f)
		abort();
	fcgi_attach(f, in, out);
	while (fcgi_accept(f, NULL) == AC_OK) {
		const char *cl = fcgi_param(f, "CONTENT_LENGTH");
		size_t len = 0;
		char body[512];

		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
			const char *v = fcgi_param(f, names[i]);

			if (v && strlen(v) > FCGI_PARAMS_MAX)
				abort();
		}
		if (cl)
			len = (size_t)strtoul(cl, NULL, 10) % sizeof body;
		(void)fcgi_read_stdin(f, body, len, 100);
		fcgi_drain_stdin(f, 100);
		fcgi_finish(f, answer, (size_t)requests % sizeof answer);
		/* Each request needs at least its BEGIN_REQUEST and the end of its parameters. */
		if (++requests > (int)(size / 16) + 1)
			abort();
	}
	fcgi_free(f);   /* closes in and out */
	return 0;
}
