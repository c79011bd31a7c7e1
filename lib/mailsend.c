/* Delivers finished e-mails (API.md §6.1): libcurl SMTP, one .eml file per message, or stdout. */
#include "mailsend.h"
#include "err.h"
#include "log.h"
#include "mime.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define TMP_PREFIX ".mailer-"
#define TMP_SUFFIX ".tmp"

struct mailsend {
	const struct cfg *cfg;
	char from[MIME_ADDR_MAX + 3];   /* "<addr>" for MAIL FROM */
	char url[600];                  /* smtp://host:port or smtps://host:port */
	int curl_ready;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c <= 0x20 || c >= 0x7f || strchr("/?#@\\<>\"'", c))
			return 0;
	}
	return 1;
}

/* Removes temporary files left by a file-backend worker that no longer runs (killed mid-write). */
static void clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), pl = strlen(TMP_PREFIX), sl = strlen(TMP_SUFFIX);
		char *end, path[4096];
		long pid;

		if (n <= pl + sl || strncmp(e->d_name, TMP_PREFIX, pl) != 0 ||
		    strcmp(e->d_name + n - sl, TMP_SUFFIX) != 0)
			continue;
		pid = strtol(e->d_name + pl, &end, 10);
		if (end == e->d_name + pl || *end != '-' || pid <= 0)
			continue;
		if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
			unlink(path);
	}
	closedir(d);
}

int mailsend_new(const struct cfg *cfg, struct mailsend **out)
{
	struct mailsend *ms;
	char addr[MIME_ADDR_MAX + 1];

	*out = NULL;
	if (mime_addr_spec(cfg->default_from_email, addr) != AC_OK) {
		log_error("DEFAULT_FROM_EMAIL is not an address or \"Name <address>\"");
		return AC_EINVAL;
	}
	ms = calloc(1, sizeof *ms);
	if (!ms)
		return AC_ENOMEM;
	ms->cfg = cfg;
	snprintf(ms->from, sizeof ms->from, "<%s>", addr);
	switch (cfg->email_backend) {
	case EMAIL_BACKEND_SMTP: {
		const char *h = cfg->email_host ? cfg->email_host : "";
		int v6 = strchr(h, ':') && h[0] != '[';

		if (!host_ok(h) || cfg->email_port == 0 || cfg->email_port > 65535) {
			log_error("EMAIL_HOST or EMAIL_PORT is not usable");
			mailsend_free(ms);
			return AC_EINVAL;
		}
		snprintf(ms->url, sizeof ms->url, "%s://%s%s%s:%u",
			 cfg->email_use_ssl ? "smtps" : "smtp", v6 ? "[" : "", h, v6 ? "]" : "",
			 cfg->email_port);
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_error("libcurl initialisation failed");
			mailsend_free(ms);
			return AC_EINTERNAL;
		}
		ms->curl_ready = 1;
		break;
	}
	case EMAIL_BACKEND_FILE:
		if (!cfg->email_file_path || cfg->email_file_path[0] != '/') {
			log_error("EMAIL_BACKEND=file needs an absolute EMAIL_FILE_PATH");
			mailsend_free(ms);
			return AC_EINVAL;
		}
		if (mkdir(cfg->email_file_path, 0700) != 0 && errno != EEXIST) {
			log_error("cannot create EMAIL_FILE_PATH %s: %s", cfg->email_file_path,
				  strerror(errno));
			mailsend_free(ms);
			return AC_EINVAL;
		}
		clean_stale(cfg->email_file_path);
		break;
	case EMAIL_BACKEND_CONSOLE:
		break;
	}
	*out = ms;
	return AC_OK;
}

void mailsend_free(struct mailsend *ms)
{
	if (!ms)
		return;
	if (ms->curl_ready)
		curl_global_cleanup();
	free(ms);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct upload *up = ud;
	size_t n = size * nitems;

	if (n > up->left)
		n = up->left;
	memcpy(buf, up->p, n);
	up->p += n;
	up->left -= n;
	return n;
}

static int send_smtp(struct mailsend *ms, const char *recipient, const char *msg, size_t len,
		     char *err, size_t errlen)
{
	const struct cfg *cfg = ms->cfg;
	char rcpt[MIME_ADDR_MAX + 3], ebuf[CURL_ERROR_SIZE] = "";
	struct upload up = { msg, len };
	struct curl_slist *to;
	CURL *c;
	CURLcode cc;
	long timeout = cfg->email_timeout ? (long)cfg->email_timeout : 30;

	snprintf(rcpt, sizeof rcpt, "<%s>", recipient);
	c = curl_easy_init();
	if (!c) {
		set_err(err, errlen, "smtp: cannot create a libcurl handle");
		return AC_EUNAVAIL;
	}
	to = curl_slist_append(NULL, rcpt);
	if (!to) {
		curl_easy_cleanup(c);
		set_err(err, errlen, "smtp: out of memory");
		return AC_EUNAVAIL;
	}
	curl_easy_setopt(c, CURLOPT_URL, ms->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->email_use_tls && !cfg->email_use_ssl)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->email_host_user && cfg->email_host_user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->email_host_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 cfg->email_host_password ? cfg->email_host_password : "");
	}
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, ms->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	cc = curl_easy_perform(c);
	curl_slist_free_all(to);
	if (cc != CURLE_OK) {
		long code = 0;
		char detail[CURL_ERROR_SIZE + 32];

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code)
			snprintf(detail, sizeof detail, "%s (server reply %ld)", ebuf, code);
		else
			snprintf(detail, sizeof detail, "%s", ebuf);
		set_err(err, errlen, "smtp: %s%s%s", curl_easy_strerror(cc), detail[0] ? ": " : "",
			detail);
		curl_easy_cleanup(c);
		return AC_EUNAVAIL;
	}
	curl_easy_cleanup(c);
	return AC_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes <dir>/.mailer-<pid>-<name>.tmp, then renames it: a reader never sees half a .eml. */
static int send_file(struct mailsend *ms, long long id, const char *msg, size_t len, time_t now,
		     char *err, size_t errlen)
{
	const char *dir = ms->cfg->email_file_path;
	char name[64], path[4096], tmp[4096];
	struct tm t;
	int fd;

	if (!gmtime_r(&now, &t))
		memset(&t, 0, sizeof t);
	snprintf(name, sizeof name, "%04d%02d%02d-%02d%02d%02d-%lld.eml", t.tm_year + 1900,
		 t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, id);
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%ld-%s" TMP_SUFFIX, dir, (long)getpid(),
		     name) >= (int)sizeof tmp) {
		set_err(err, errlen, "file: EMAIL_FILE_PATH is too long");
		return AC_EUNAVAIL;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, errlen, "file: cannot create a file: %s", strerror(errno));
		return AC_EUNAVAIL;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		set_err(err, errlen, "file: cannot write: %s", strerror(errno));
		close(fd);
		unlink(tmp);
		return AC_EUNAVAIL;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		set_err(err, errlen, "file: cannot rename: %s", strerror(errno));
		unlink(tmp);
		return AC_EUNAVAIL;
	}
	return AC_OK;
}

static int send_console(const char *msg, size_t len, char *err, size_t errlen)
{
	static const char sep[] = "\n-------------------------------------------------------------------------------\n";

	if (fwrite(msg, 1, len, stdout) != len || fputs(sep, stdout) == EOF || fflush(stdout) != 0) {
		set_err(err, errlen, "console: cannot write to stdout: %s", strerror(errno));
		clearerr(stdout);
		return AC_EUNAVAIL;
	}
	return AC_OK;
}

int mailsend_send(struct mailsend *ms, long long id, const char *recipient, const char *msg,
		  size_t len, time_t now, char *err, size_t errlen)
{
	size_t n = recipient ? strlen(recipient) : 0;

	if (err && errlen)
		err[0] = '\0';
	if (n < 3 || n > MIME_ADDR_MAX || !strchr(recipient, '@'))
		return AC_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)recipient[i] <= 0x20 || (unsigned char)recipient[i] >= 0x7f ||
		    recipient[i] == '<' || recipient[i] == '>')
			return AC_EINVAL;
	switch (ms->cfg->email_backend) {
	case EMAIL_BACKEND_SMTP:
		return send_smtp(ms, recipient, msg, len, err, errlen);
	case EMAIL_BACKEND_FILE:
		return send_file(ms, id, msg, len, now, err, errlen);
	case EMAIL_BACKEND_CONSOLE:
		return send_console(msg, len, err, errlen);
	}
	return AC_EINTERNAL;
}
