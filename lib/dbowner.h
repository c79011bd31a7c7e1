/* dbowner: keeps a root-run admin tool from leaving root-owned SQLite files behind. */
#ifndef AUTHCGI_DBOWNER_H
#define AUTHCGI_DBOWNER_H

#include "cfg.h"

#include <stddef.h>

/*
 * AC_OK unless the process runs as root and the SQLite database (its directory, file, -wal,
 * -shm or -journal) belongs to another user: then AC_EDENIED, with msg saying
 * whose it is and how to run the command as that user (and which files are root's already).
 */
int dbowner_check(const struct cfg *cfg, char *msg, size_t msglen);

#endif
