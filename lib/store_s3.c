/* The S3 storage backend: SigV4-signed PUT and DELETE with libcurl (AWS or a path-style S3-compatible endpoint). */
#include "store.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "media/users/django-auth/"
#define CONNECT_TIMEOUT_MS 3000L
#define PUT_TIMEOUT_MS 10000L
#define DELETE_TIMEOUT_MS 5000L
#define ERRBODY_MAX 512

struct upload {
	const char *data;
	size_t len;
	size_t pos;
};

/* The start of an error response, for the log (S3 error bodies carry a <Code>). */
struct errbody {
	char buf[ERRBODY_MAX + 1];
	size_t len;
};

static size_t on_read(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb, left = u->len - u->pos;

	if (n > left)
		n = left;
	memcpy(dst, u->data + u->pos, n);
	u->pos += n;
	return n;
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct upload *u = arg;

	if (origin != SEEK_SET || offset < 0 || (size_t)offset > u->len)
		return CURL_SEEKFUNC_CANTSEEK;
	u->pos = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *src, size_t size, size_t nmemb, void *arg)
{
	struct errbody *b = arg;
	size_t n = size * nmemb, room = ERRBODY_MAX - b->len;

	memcpy(b->buf + b->len, src, n < room ? n : room);
	b->len += n < room ? n : room;
	b->buf[b->len] = '\0';
	return size * nmemb;
}

/* <base>/media/users/django-auth/<name>, the name percent-encoded except unreserved and '/'. */
static char *object_url(const struct cfg *cfg, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(name);
	char *enc = malloc(3 * n + 1), *w = enc, *url = NULL;
	int rc;

	if (!enc)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p)) {
			*w++ = (char)*p;
		} else {
			*w++ = '%';
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	*w = '\0';
	if (*cfg->aws_s3_endpoint_url)
		rc = asprintf(&url, "%s/%s/" KEY_PREFIX "%s", cfg->aws_s3_endpoint_url,
			      cfg->aws_s3_bucket_name, enc);
	else
		rc = asprintf(&url, "https://%s.s3.%s.amazonaws.com/" KEY_PREFIX "%s",
			      cfg->aws_s3_bucket_name, cfg->aws_region, enc);
	free(enc);
	return rc < 0 ? NULL : url;
}

static int map_curl(CURLcode cc, const char *method, const char *name, const char *detail)
{
	log_error("storage: S3 %s %s: %s%s%s", method, name, curl_easy_strerror(cc),
		  *detail ? ": " : "", detail);
	switch (cc) {
	case CURLE_OUT_OF_MEMORY:
		return AC_ENOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return AC_EUNAVAIL;
	default:
		return AC_EINTERNAL;
	}
}

/* 5xx, throttling and request timeouts are "unavailable" (503); other refusals are a 500. */
static int map_status(long status, const char *method, const char *name, const struct errbody *b)
{
	const char *code = strstr(b->buf, "<Code>"), *end = code ? strstr(code, "</Code>") : NULL;
	int codelen = code && end ? (int)(end - code - 6) : 0;

	log_error("storage: S3 %s %s: HTTP %ld%s%.*s", method, name, status,
		  codelen > 0 ? " " : "", codelen > 0 ? codelen : 0, codelen > 0 ? code + 6 : "");
	if (status >= 500 || status == 429 || status == 408)
		return AC_EUNAVAIL;
	return AC_EINTERNAL;
}

static int add_header(struct curl_slist **h, const char *line)
{
	struct curl_slist *t = curl_slist_append(*h, line);

	if (!t)
		return AC_ENOMEM;
	*h = t;
	return AC_OK;
}

/* One signed request. data is the PUT body (NULL for DELETE). */
static int s3_request(struct store *s, const char *method, const char *name, const void *data,
		      size_t len, const char *content_type)
{
	const struct cfg *cfg = s->cfg;
	char sigv4[128], hdr_sha[96], hdr_acl[96], hdr_type[128], sha[65], curlerr[CURL_ERROR_SIZE];
	struct upload up = { data, len, 0 };
	struct curl_slist *h = NULL;
	struct errbody body;
	long status = 0;
	char *url;
	CURL *c;
	CURLcode cc;
	int put = data != NULL, rc;

	memset(&body, 0, sizeof body);
	curlerr[0] = '\0';
	url = object_url(cfg, name);
	if (!url)
		return AC_ENOMEM;
	c = curl_easy_init();
	if (!c) {
		free(url);
		return AC_ENOMEM;
	}
	/*
	 * libcurl 7.88 signs but does not hash a streamed body: the header carries the hash.
	 * It also signs every custom header, even an empty "Expect:" it then omits, so the
	 * 100-continue of large uploads is left as it is.
	 */
	sec_sha256_hex(put ? data : "", put ? len : 0, sha);
	snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", cfg->aws_region);
	snprintf(hdr_sha, sizeof hdr_sha, "x-amz-content-sha256: %s", sha);
	rc = add_header(&h, hdr_sha);
	if (rc == AC_OK && put) {
		snprintf(hdr_type, sizeof hdr_type, "Content-Type: %s", content_type);
		rc = add_header(&h, hdr_type);
		if (rc == AC_OK)
			rc = add_header(&h, "Cache-Control: max-age=86400");
		if (rc == AC_OK && *cfg->aws_default_acl) {
			snprintf(hdr_acl, sizeof hdr_acl, "x-amz-acl: %s", cfg->aws_default_acl);
			rc = add_header(&h, hdr_acl);
		}
	}
	if (rc != AC_OK) {
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
		free(url);
		return rc;
	}

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, put ? PUT_TIMEOUT_MS : DELETE_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "authcgi");
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg->aws_access_key_id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->aws_secret_access_key);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (put) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, &up);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
	}

	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);

	if (cc != CURLE_OK)
		return map_curl(cc, method, name, curlerr);
	if (status >= 200 && status < 300)
		return AC_OK;
	if (!put && status == 404)
		return AC_OK; /* already gone */
	return map_status(status, method, name, &body);
}

static int s3_open(struct store *s)
{
	(void)s;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("storage: curl_global_init failed");
		return AC_EINTERNAL;
	}
	return AC_OK;
}

static void s3_close(struct store *s)
{
	(void)s;
	curl_global_cleanup();
}

/* S3 overwrites silently; the random suffix makes a collision negligible (62^7 names per stem). */
static int s3_put(struct store *s, const char *name, const void *data, size_t len,
		  const char *content_type)
{
	static const char empty[1] = "";

	return s3_request(s, "PUT", name, len ? data : empty, len, content_type);
}

static int s3_del(struct store *s, const char *name)
{
	return s3_request(s, "DELETE", name, NULL, 0, NULL);
}

const struct store_ops store_s3_ops = {
	.open = s3_open,
	.put = s3_put,
	.del = s3_del,
	.close = s3_close,
};
