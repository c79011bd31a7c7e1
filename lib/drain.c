/* Discards unread request body on a socket stdin, so the server's socket is not reset (drain.h). */
#include "drain.h"
#include "err.h"
#include "req.h"

#include <errno.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t drain_unread_body(int fd, const char *content_length, size_t already_read, int timeout_ms)
{
	unsigned long long declared = 0;
	unsigned long long left = (unsigned long long)-1;   /* up to EOF */
	long long deadline = now_ms() + timeout_ms;
	char buf[16384];
	size_t total = 0;
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (content_length && req_parse_content_length(content_length, &declared) == AC_OK)
		left = declared > already_read ? declared - already_read : 0;
	while (left > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long wait = deadline - now_ms();
		size_t want = left < sizeof buf ? (size_t)left : sizeof buf;
		ssize_t n;
		int rc;

		if (wait <= 0)
			break;
		rc = poll(&p, 1, (int)wait);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = read(fd, buf, want);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		left -= (unsigned long long)n;
	}
	return total;
}
