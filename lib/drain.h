/* Request body left unread: discarded before the response when stdin is a socket (mod_cgid). */
#ifndef AUTHCGI_DRAIN_H
#define AUTHCGI_DRAIN_H

#include <stddef.h>

#define DRAIN_TIMEOUT_MS 2000

/*
 * Under Apache's mod_cgid a CGI's stdin and stdout are one Unix socket, and closing it with
 * request body still unread resets it: Apache then loses the response (an empty reply to the
 * client). So when fd is a socket, this reads and throws away, in a fixed buffer, what remains
 * of the body: content_length minus already_read bytes, or up to EOF when content_length is
 * absent or malformed (mod_cgid half-closes after the body), within timeout_ms in all.
 * Pipes (lighttpd, mod_cgi, the pipe tests) are left alone. Best effort: it cannot fail.
 * Returns the number of bytes discarded.
 */
size_t drain_unread_body(int fd, const char *content_length, size_t already_read, int timeout_ms);

#endif
