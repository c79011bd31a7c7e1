/* The full RFC 5322 e-mail of API.md §6.2: headers, RFC 2047 words, multipart/alternative, quoted-printable. */
#ifndef AUTHCGI_MIME_H
#define AUTHCGI_MIME_H

#include <stddef.h>
#include <time.h>

#define MIME_ADDR_MAX 254
#define MIME_MSGID_MAX 400

/* What one message is made of. Every string is NUL-terminated UTF-8. */
struct mime_mail {
	const char *from;        /* DEFAULT_FROM_EMAIL: "addr" or "Display Name <addr>" */
	const char *to;          /* one stored address */
	const char *subject;
	const char *text;        /* text/plain body; LF or CRLF line ends */
	const char *html;        /* text/html body */
	time_t date;             /* the Date header */
	const char *message_id;  /* "<...@...>", from mime_message_id() */
};

/*
 * Builds the whole message with CRLF line ends. On success *out is a new NUL-terminated
 * buffer of *outlen bytes that the caller frees. AC_EINVAL when a header value holds CR, LF,
 * NUL or another control character, when to or the address in from is not a plausible
 * printable-ASCII address, or when the subject is longer than 255 characters;
 * AC_EBOUNDS when a part is over 1 MiB; AC_ENOMEM.
 */
int mime_build(const struct mime_mail *m, char **out, size_t *outlen);

/*
 * Splits DEFAULT_FROM_EMAIL ("addr" or "Name <addr>", the name optionally quoted) and writes the
 * bare address (for SMTP MAIL FROM) into out[MIME_ADDR_MAX + 1]. Returns 0 or AC_EINVAL.
 */
int mime_addr_spec(const char *from, char out[MIME_ADDR_MAX + 1]);

/* A new unique "<YYYYmmddHHMMSS.<random hex>@<domain of from>>" into out[MIME_MSGID_MAX]. 0 or AC_EINVAL/AC_EINTERNAL. */
int mime_message_id(const char *from, time_t now, char out[MIME_MSGID_MAX]);

/*
 * Quoted-printable (RFC 2045 §6.7) of len bytes: lines of at most 76 characters with '=' soft
 * breaks, CRLF line ends, trailing blanks encoded. *out is new (caller frees), NUL-terminated.
 */
int mime_qp_encode(const char *in, size_t len, char **out, size_t *outlen);

/*
 * A header value as it goes on the wire after "<name>: ": ASCII text folded at spaces to keep
 * lines near 78 characters, or RFC 2047 B encoded-words (UTF-8, split on character boundaries)
 * when the text has non-ASCII bytes or "=?". name_len is the length of "<name>: ".
 * *out is new (caller frees). AC_EINVAL on control characters.
 */
int mime_encode_header(const char *value, size_t name_len, char **out);

#endif
