/* Security and error logging to stderr (the web server's error log), one escaped line per event. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *program = "authcgi";

void log_set_program(const char *name)
{
	program = name;
}

void log_msg(const char *level, const char *fmt, ...)
{
	char raw[2048], line[2048 * 4 + 128];
	size_t n = 0;
	va_list ap;
	int len;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);

	len = snprintf(line, sizeof line, "authcgi[%s]: %s: ", program, level);
	if (len < 0)
		return;
	n = (size_t)len;
	for (const unsigned char *p = (const unsigned char *)raw; *p && n + 5 < sizeof line; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			n += (size_t)snprintf(line + n, sizeof line - n, "\\x%02x", *p);
		else
			line[n++] = (char)*p;
	}
	line[n++] = '\n';
	/* One write() per line so concurrent CGIs do not interleave within a line. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
