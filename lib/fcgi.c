/*
 * A FastCGI 1.0 responder: one connection and one request at a time on the socket the process
 * manager passes as fd 0 (lighttpd mod_fastcgi, Apache mod_fcgid, spawn-fcgi).
 *
 * Records are read through a small buffer; every length comes from the record header and is
 * bounded by the buffers below, parameters by FCGI_PARAMS_MAX and FCGI_PARAMS_COUNT_MAX. A
 * connection that breaks the protocol or stalls is closed; the process goes on accepting.
 * The process answers one request at a time, so it announces FCGI_MAX_CONNS=1,
 * FCGI_MAX_REQS=1, FCGI_MPXS_CONNS=0 and refuses a second request on a connection.
 */
#include "fcgi.h"
#include "err.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR_LEN 8
#define CONTENT_MAX 65535
#define PAD_MAX 255
#define IN_BUF 16384
#define OUT_CHUNK 32768               /* content bytes per FCGI_STDOUT record */
#define OUT_BUF (OUT_CHUNK + 64)

struct fcgi {
	int lfd;                      /* listening socket, -1 for none */
	int in, out;                  /* current connection, -1 for none */
	unsigned id;                  /* current request, 0 for none */
	int keep;                     /* FCGI_KEEP_CONN of the current request */
	long long params_deadline;    /* all of its parameters must have come by then */
	int params_done, stdin_done, aborted, broken;
	/* the last record read: type, request id, content (and padding) */
	unsigned type, rid;
	size_t clen;
	unsigned char content[CONTENT_MAX + PAD_MAX];
	size_t stdin_off, stdin_end;  /* unread body bytes of a FCGI_STDIN record in content */
	unsigned char ibuf[IN_BUF];
	size_t ipos, ilen;
	unsigned char obuf[OUT_BUF];
	/* the parameters: the raw stream, then NUL-terminated copies */
	unsigned char raw[FCGI_PARAMS_MAX];
	size_t raw_len;
	char store[FCGI_PARAMS_MAX + 2 * FCGI_PARAMS_COUNT_MAX];
	size_t store_len;
	const char *name[FCGI_PARAMS_COUNT_MAX];
	const char *value[FCGI_PARAMS_COUNT_MAX];
	size_t n;
};

/* The current request's connection, for fcgi_emergency() from a signal handler. */
static volatile sig_atomic_t emergency_fd = -1;
static volatile sig_atomic_t emergency_id;

int fcgi_is_listener(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	int listening = 0;
	socklen_t optlen = sizeof listening;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening)
		return 0;
	return getpeername(fd, (struct sockaddr *)&sa, &len) != 0 && errno == ENOTCONN;
}

static void header(unsigned char *h, unsigned type, unsigned id, size_t clen, unsigned plen)
{
	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = (unsigned char)(id >> 8);
	h[3] = (unsigned char)id;
	h[4] = (unsigned char)(clen >> 8);
	h[5] = (unsigned char)clen;
	h[6] = (unsigned char)plen;
	h[7] = 0;
}

static void reset_request(struct fcgi *f)
{
	f->id = 0;
	f->keep = 0;
	f->params_done = f->stdin_done = f->aborted = f->broken = 0;
	f->stdin_off = f->stdin_end = 0;
	f->raw_len = f->store_len = 0;
	f->n = 0;
	emergency_fd = -1;
}

static void close_conn(struct fcgi *f)
{
	if (f->in >= 0)
		close(f->in);
	if (f->out >= 0 && f->out != f->in)
		close(f->out);
	f->in = f->out = -1;
	f->ipos = f->ilen = 0;
	reset_request(f);
}

struct fcgi *fcgi_new(int listen_fd)
{
	struct fcgi *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	f->lfd = listen_fd;
	f->in = f->out = -1;
	/* Processes sharing one listener (spawn-fcgi -F) all wake up; the losers must not block. */
	if (listen_fd >= 0) {
		int fl = fcntl(listen_fd, F_GETFL);

		if (fl >= 0)
			fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
	}
	reset_request(f);
	return f;
}

void fcgi_free(struct fcgi *f)
{
	if (!f)
		return;
	close_conn(f);
	free(f);
}

void fcgi_attach(struct fcgi *f, int in_fd, int out_fd)
{
	close_conn(f);
	f->in = in_fd;
	f->out = out_fd;
}

/*
 * Waits for events on fd until deadline (monotonic ms; -1 waits forever). 0 when ready;
 * AC_ETIMEOUT; AC_EUNAVAIL when *stop is set by a signal; AC_EINVAL when poll fails.
 */
static int wait_fd(int fd, short events, long long deadline, volatile sig_atomic_t *stop)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int timeout = -1, r;

		if (stop && *stop)
			return AC_EUNAVAIL;
		if (deadline >= 0) {
			long long left = deadline - tm_mono_ms();

			if (left <= 0)
				return AC_ETIMEOUT;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		r = poll(&p, 1, timeout);
		if (r > 0)
			return AC_OK;   /* readable, writable, or an error the next call reports */
		if (r < 0 && errno != EINTR)
			return AC_EINVAL;
	}
}

/* Copies the next n input bytes to dst. 0; AC_EINVAL at EOF or error; AC_ETIMEOUT; AC_EUNAVAIL. */
static int get(struct fcgi *f, void *dst, size_t n, long long deadline, volatile sig_atomic_t *stop)
{
	unsigned char *d = dst;

	while (n > 0) {
		ssize_t r;
		int rc;

		if (f->ipos < f->ilen) {
			size_t k = f->ilen - f->ipos < n ? f->ilen - f->ipos : n;

			memcpy(d, f->ibuf + f->ipos, k);
			f->ipos += k;
			d += k;
			n -= k;
			continue;
		}
		r = read(f->in, f->ibuf, sizeof f->ibuf);
		if (r > 0) {
			f->ipos = 0;
			f->ilen = (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return AC_EINVAL;
		rc = wait_fd(f->in, POLLIN, deadline, stop);
		if (rc != AC_OK)
			return rc;
	}
	return AC_OK;
}

static int put(struct fcgi *f, const void *buf, size_t n, long long deadline)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(f->out, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			if (wait_fd(f->out, POLLOUT, deadline, NULL) != AC_OK)
				return AC_EUNAVAIL;
			continue;
		}
		return AC_EUNAVAIL;
	}
	return AC_OK;
}

static int end_request(struct fcgi *f, unsigned id, enum fcgi_protocol_status status)
{
	unsigned char r[16] = { 0 };

	header(r, FCGI_END_REQUEST, id, 8, 0);
	r[12] = (unsigned char)status;
	return put(f, r, sizeof r, tm_mono_ms() + FCGI_IO_TIMEOUT_MS);
}

/* A name-value pair length: one byte, or four with the top bit set. */
static int nv_len(const unsigned char *p, size_t n, size_t *pos, size_t *out)
{
	if (*pos >= n)
		return AC_EINVAL;
	if (!(p[*pos] & 0x80)) {
		*out = p[(*pos)++];
		return AC_OK;
	}
	if (n - *pos < 4)
		return AC_EINVAL;
	*out = ((size_t)(p[*pos] & 0x7f) << 24) | ((size_t)p[*pos + 1] << 16) |
	       ((size_t)p[*pos + 2] << 8) | p[*pos + 3];
	*pos += 4;
	return AC_OK;
}

/* Walks the pairs of p[0..n): calls fn for each. AC_EINVAL when a length overruns. */
static int nv_each(const unsigned char *p, size_t n,
		   int (*fn)(void *arg, const unsigned char *name, size_t nl, const unsigned char *value,
			     size_t vl),
		   void *arg)
{
	size_t pos = 0;

	while (pos < n) {
		size_t nl, vl;
		int rc;

		if (nv_len(p, n, &pos, &nl) != AC_OK || nv_len(p, n, &pos, &vl) != AC_OK ||
		    nl > n - pos || vl > n - pos - nl)
			return AC_EINVAL;
		rc = fn(arg, p + pos, nl, p + pos + nl, vl);
		if (rc != AC_OK)
			return rc;
		pos += nl + vl;
	}
	return AC_OK;
}

static int store_param(void *arg, const unsigned char *name, size_t nl, const unsigned char *value,
		       size_t vl)
{
	struct fcgi *f = arg;
	char *s = f->store + f->store_len;

	/* A name or value with a NUL byte could not be one C string: the request is refused. */
	if (f->n == FCGI_PARAMS_COUNT_MAX || nl == 0 || memchr(name, 0, nl) || memchr(value, 0, vl))
		return AC_EINVAL;
	/* Cannot overflow: raw holds at most FCGI_PARAMS_MAX bytes, store two NULs more per pair. */
	memcpy(s, name, nl);
	s[nl] = '\0';
	memcpy(s + nl + 1, value, vl);
	s[nl + 1 + vl] = '\0';
	f->name[f->n] = s;
	f->value[f->n] = s + nl + 1;
	f->n++;
	f->store_len += nl + vl + 2;
	return AC_OK;
}

/* Appends one pair with a short name and value (both under 128 bytes). */
static size_t put_pair(unsigned char *out, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	out[0] = (unsigned char)nl;
	out[1] = (unsigned char)vl;
	memcpy(out + 2, name, nl);
	memcpy(out + 2 + nl, value, vl);
	return 2 + nl + vl;
}

struct values_reply {
	unsigned char buf[HDR_LEN + 256];
	size_t len;
};

static int answer_value(void *arg, const unsigned char *name, size_t nl, const unsigned char *value,
			size_t vl)
{
	static const char *const known[][2] = {
		{ "FCGI_MAX_CONNS", "1" }, { "FCGI_MAX_REQS", "1" }, { "FCGI_MPXS_CONNS", "0" },
	};
	struct values_reply *r = arg;

	(void)value;
	(void)vl;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i][0]) == nl && memcmp(known[i][0], name, nl) == 0 &&
		    r->len + 2 + nl + 1 <= sizeof r->buf)
			r->len += put_pair(r->buf + r->len, known[i][0], known[i][1]);
	return AC_OK;
}

/* A management record (request id 0): FCGI_GET_VALUES is answered, other types are unknown. */
static int management(struct fcgi *f)
{
	if (f->type == FCGI_GET_VALUES) {
		struct values_reply r;

		r.len = HDR_LEN;
		if (nv_each(f->content, f->clen, answer_value, &r) != AC_OK)
			return AC_EINVAL;
		header(r.buf, FCGI_GET_VALUES_RESULT, 0, r.len - HDR_LEN, 0);
		return put(f, r.buf, r.len, tm_mono_ms() + FCGI_IO_TIMEOUT_MS);
	} else {
		unsigned char r[16] = { 0 };

		header(r, FCGI_UNKNOWN_TYPE, 0, 8, 0);
		r[8] = (unsigned char)f->type;
		return put(f, r, sizeof r, tm_mono_ms() + FCGI_IO_TIMEOUT_MS);
	}
}

/*
 * Reads the next record of the current request (or, with none current, the next
 * FCGI_BEGIN_REQUEST), answering management records and refusing other requests on the way.
 */
static int next_record(struct fcgi *f, long long deadline, volatile sig_atomic_t *stop)
{
	for (;;) {
		unsigned char h[HDR_LEN];
		int rc = get(f, h, sizeof h, deadline, stop);

		if (rc != AC_OK)
			return rc;
		if (h[0] != 1)
			return AC_EINVAL;
		f->type = h[1];
		f->rid = (unsigned)h[2] << 8 | h[3];
		f->clen = (size_t)h[4] << 8 | h[5];
		rc = get(f, f->content, f->clen + h[6], deadline, NULL);
		if (rc != AC_OK)
			return rc;
		if (f->rid == 0) {
			if (management(f) != AC_OK)
				return AC_EINVAL;
			continue;
		}
		if (f->type == FCGI_BEGIN_REQUEST && f->id && f->rid != f->id) {
			if (end_request(f, f->rid, FCGI_CANT_MPX_CONN) != AC_OK)
				return AC_EINVAL;
			continue;
		}
		/* Records of other requests (e.g. the rest of an aborted one) are dropped. */
		if (f->id ? f->rid != f->id : f->type != FCGI_BEGIN_REQUEST)
			continue;
		return AC_OK;
	}
}

/* Waits for and accepts the next connection. 0, or AC_EUNAVAIL (stop, or no listener). */
static int accept_one(struct fcgi *f, volatile sig_atomic_t *stop)
{
	if (f->lfd < 0)
		return AC_EUNAVAIL;
	for (;;) {
		int fd, rc = wait_fd(f->lfd, POLLIN, -1, stop);

		if (rc != AC_OK) {
			if (rc != AC_EUNAVAIL)
				log_error("fastcgi: poll on the listening socket: %s", strerror(errno));
			return AC_EUNAVAIL;
		}
		fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			f->in = f->out = fd;
			f->ipos = f->ilen = 0;
			return AC_OK;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
		    errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct timespec ts = { 0, 100000000L };

			log_error("fastcgi: accept: %s", strerror(errno));
			nanosleep(&ts, NULL);
			continue;
		}
		log_error("fastcgi: accept: %s", strerror(errno));
		return AC_EUNAVAIL;
	}
}

/* Handles one record while a request's parameters are read; *done when they are complete. */
static int on_record(struct fcgi *f, int *done)
{
	switch (f->type) {
	case FCGI_BEGIN_REQUEST: {
		unsigned role;
		int flags;

		if (f->id || f->clen < 8)
			return AC_EINVAL;
		role = (unsigned)f->content[0] << 8 | f->content[1];
		flags = f->content[2];
		if (role != FCGI_RESPONDER) {
			if (end_request(f, f->rid, FCGI_UNKNOWN_ROLE) != AC_OK || !(flags & FCGI_KEEP_CONN))
				return AC_EINVAL;
			return AC_OK;
		}
		f->id = f->rid;
		f->keep = flags & FCGI_KEEP_CONN;
		f->params_deadline = tm_mono_ms() + FCGI_IO_TIMEOUT_MS;
		return AC_OK;
	}
	case FCGI_ABORT_REQUEST: {
		int keep = f->keep;

		if (end_request(f, f->id, FCGI_REQUEST_COMPLETE) != AC_OK || !keep)
			return AC_EINVAL;
		reset_request(f);
		return AC_OK;
	}
	case FCGI_PARAMS:
		if (f->clen == 0) {
			if (nv_each(f->raw, f->raw_len, store_param, f) != AC_OK) {
				log_warn("fastcgi: malformed parameters; connection closed");
				return AC_EINVAL;
			}
			f->params_done = *done = 1;
			return AC_OK;
		}
		if (f->clen > FCGI_PARAMS_MAX - f->raw_len) {
			log_warn("fastcgi: parameters over %d bytes; connection closed", FCGI_PARAMS_MAX);
			return AC_EINVAL;
		}
		memcpy(f->raw + f->raw_len, f->content, f->clen);
		f->raw_len += f->clen;
		return AC_OK;
	case FCGI_DATA:
		return AC_OK;
	default:
		/* FCGI_STDIN before the end of the parameters, or a type a server never sends. */
		return AC_EINVAL;
	}
}

int fcgi_accept(struct fcgi *f, volatile sig_atomic_t *stop)
{
	if (f->id)
		close_conn(f);   /* the previous request was never finished */
	reset_request(f);
	for (;;) {
		long long deadline;
		int rc, done = 0;

		if (f->in < 0) {
			rc = accept_one(f, stop);
			if (rc != AC_OK)
				return rc;
		}
		deadline = f->id ? f->params_deadline : tm_mono_ms() + FCGI_IDLE_TIMEOUT_MS;
		rc = next_record(f, deadline, f->id ? NULL : stop);
		if (rc == AC_EUNAVAIL) {
			close_conn(f);
			return rc;
		}
		if (rc == AC_OK)
			rc = on_record(f, &done);
		if (rc == AC_OK && done) {
			emergency_id = (sig_atomic_t)f->id;
			emergency_fd = f->out;
			return AC_OK;
		}
		if (rc != AC_OK)
			close_conn(f);
	}
}

const char *fcgi_param(const struct fcgi *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

const char *fcgi_param_lookup(void *f, const char *name)
{
	return fcgi_param(f, name);
}

/* The next FCGI_STDIN record of the current request. 0; AC_EINVAL at its end; AC_ETIMEOUT. */
static int next_stdin(struct fcgi *f, long long deadline)
{
	while (!f->stdin_done) {
		int rc;

		if (f->broken || f->in < 0)
			return AC_EINVAL;
		rc = next_record(f, deadline, NULL);
		if (rc != AC_OK) {
			f->broken = 1;
			return rc == AC_ETIMEOUT ? AC_ETIMEOUT : AC_EINVAL;
		}
		switch (f->type) {
		case FCGI_STDIN:
			if (f->clen == 0) {
				f->stdin_done = 1;
				break;
			}
			f->stdin_off = 0;
			f->stdin_end = f->clen;
			return AC_OK;
		case FCGI_ABORT_REQUEST:
			f->aborted = f->stdin_done = 1;
			break;
		case FCGI_DATA:
			break;
		default:
			f->broken = 1;
			return AC_EINVAL;
		}
	}
	return AC_EINVAL;
}

int fcgi_read_stdin(struct fcgi *f, char *buf, size_t len, int timeout_ms)
{
	long long deadline = tm_mono_ms() + timeout_ms;
	size_t got = 0;

	if (!f->params_done)
		return AC_EINVAL;
	while (got < len) {
		int rc;

		if (f->stdin_off < f->stdin_end) {
			size_t k = f->stdin_end - f->stdin_off;

			if (k > len - got)
				k = len - got;
			memcpy(buf + got, f->content + f->stdin_off, k);
			f->stdin_off += k;
			got += k;
			continue;
		}
		rc = next_stdin(f, deadline);
		if (rc != AC_OK)
			return rc;
	}
	return AC_OK;
}

size_t fcgi_drain_stdin(struct fcgi *f, int timeout_ms)
{
	long long deadline = tm_mono_ms() + timeout_ms;
	size_t n = 0;

	if (!f->params_done)
		return 0;
	do {
		n += f->stdin_end - f->stdin_off;
		f->stdin_off = f->stdin_end;
	} while (next_stdin(f, deadline) == AC_OK);
	return n;
}

int fcgi_finish(struct fcgi *f, const char *out, size_t len)
{
	long long deadline = tm_mono_ms() + FCGI_IO_TIMEOUT_MS;
	size_t pos = 0;
	int rc = AC_OK;

	emergency_fd = -1;
	if (f->in < 0 || !f->id) {
		reset_request(f);
		return AC_EUNAVAIL;
	}
	/* An aborted request gets only its FCGI_END_REQUEST. */
	while (!f->aborted && len > 0 && rc == AC_OK) {
		size_t k = len < OUT_CHUNK ? len : OUT_CHUNK;
		unsigned pad = (unsigned)(-k & 7);

		header(f->obuf, FCGI_STDOUT, f->id, k, pad);
		memcpy(f->obuf + HDR_LEN, out, k);
		memset(f->obuf + HDR_LEN + k, 0, pad);
		pos = HDR_LEN + k + pad;
		out += k;
		len -= k;
		if (len > 0) {
			rc = put(f, f->obuf, pos, deadline);
			pos = 0;
		}
	}
	if (rc == AC_OK) {
		if (!f->aborted) {
			header(f->obuf + pos, FCGI_STDOUT, f->id, 0, 0);
			pos += HDR_LEN;
		}
		header(f->obuf + pos, FCGI_END_REQUEST, f->id, 8, 0);
		memset(f->obuf + pos + HDR_LEN, 0, 8);
		pos += 16;
		rc = put(f, f->obuf, pos, deadline);
	}
	if (rc != AC_OK || !f->keep || f->broken || f->aborted)
		close_conn(f);
	reset_request(f);
	return rc;
}

/* write() until done, waiting briefly when the socket is full; only async-signal-safe calls. */
static void write_sig(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (poll(&pf, 1, 1000) <= 0)
				return;
		} else {
			return;
		}
	}
}

void fcgi_emergency(const char *out, size_t len)
{
	unsigned char h[HDR_LEN], t[2 * HDR_LEN + 8];
	int fd = emergency_fd;
	unsigned id = (unsigned)emergency_id;

	if (fd < 0 || len > CONTENT_MAX)
		return;
	header(h, FCGI_STDOUT, id, len, 0);
	header(t, FCGI_STDOUT, id, 0, 0);
	header(t + HDR_LEN, FCGI_END_REQUEST, id, 8, 0);
	for (size_t i = 2 * HDR_LEN; i < sizeof t; i++)
		t[i] = 0;
	write_sig(fd, h, sizeof h);
	write_sig(fd, out, len);
	write_sig(fd, t, sizeof t);
}
