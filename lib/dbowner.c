/* dbowner: refuses root runs against a SQLite database another user owns (root-owned -wal/-shm break the CGIs). */
#include "dbowner.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

/*
 * The user name of uid from /etc/passwd, or 0. Read directly rather than with getpwuid(): in a
 * statically linked program that would load glibc's NSS modules at run time.
 */
static int uid_name(uid_t uid, char *name, size_t len)
{
	char line[1024];
	FILE *f = fopen("/etc/passwd", "re");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *save = NULL, *end;
		char *user = strtok_r(line, ":", &save), *pw = strtok_r(NULL, ":", &save);
		char *id = strtok_r(NULL, ":", &save);
		unsigned long v;

		if (!user || !pw || !id)
			continue;
		v = strtoul(id, &end, 10);
		if (*end == '\0' && end != id && v == (unsigned long)uid && strlen(user) < len) {
			strcpy(name, user);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int dbowner_check(const struct cfg *cfg, char *msg, size_t msglen)
{
	char dir[4096], path[4200], roots[1024] = "", name[64];
	const char *slash;
	struct stat st;
	uid_t owner;
	int found = 0;

	if (geteuid() != 0 || cfg->database_engine != CFG_DB_SQLITE || !cfg->database_path)
		return AC_OK;
	slash = strrchr(cfg->database_path, '/');
	if (!slash || (size_t)(slash - cfg->database_path) >= sizeof dir)
		return AC_OK;
	snprintf(dir, sizeof dir, "%.*s", slash == cfg->database_path ? 1 : (int)(slash - cfg->database_path),
		 cfg->database_path);
	if (stat(dir, &st) != 0)
		return AC_OK;   /* opening the database reports it */
	owner = st.st_uid;
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		snprintf(path, sizeof path, "%s%s", cfg->database_path, suffixes[i]);
		if (stat(path, &st) != 0)
			continue;
		if (owner == 0 && st.st_uid != 0)
			owner = st.st_uid;   /* a file handed to the CGI user in a root-owned directory */
		if (st.st_uid == 0 && strlen(roots) + strlen(path) + 2 < sizeof roots) {
			strcat(roots, " ");
			strcat(roots, path);
			found = 1;
		}
	}
	if (owner == 0)
		return AC_OK;
	if (uid_name(owner, name, sizeof name))
		snprintf(msg, msglen,
			 "the database %s belongs to %s, but authctl runs as root: SQLite would leave "
			 "files the web server cannot write (every request 503). Run it as that user: "
			 "runuser -u %s -- authctl ...%s%s%s%s",
			 cfg->database_path, name, name,
			 found ? "; these are already root's, give them back with: chown " : "",
			 found ? name : "", found ? ":" : "", found ? roots : "");
	else
		snprintf(msg, msglen,
			 "the database %s belongs to uid %u, but authctl runs as root: SQLite would "
			 "leave files the web server cannot write. Run it as that user%s%s",
			 cfg->database_path, (unsigned)owner,
			 found ? "; these are already root's:" : "", found ? roots : "");
	return AC_EDENIED;
}
