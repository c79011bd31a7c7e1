/* authctl — the admin CLI: migrate the database, create and list users, deactivate, revoke sessions, delete and export accounts. */
#include "acct.h"
#include "cfg.h"
#include "db/db.h"
#include "dbowner.h"
#include "email.h"
#include "err.h"
#include "log.h"
#include "pw.h"
#include "rds.h"
#include "sess.h"
#include "user.h"
#include "twofactor/tfa_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_FAIL 1

static void usage(FILE *out)
{
	fputs("usage: authctl COMMAND [ARGS]\n"
	      "\n"
	      "Commands:\n"
	      "  migrate                   create or upgrade the schema of DATABASE_URL's database\n"
	      "                            (SQLite: db/*.sql; PostgreSQL: db/postgres/*.sql)\n"
	      "  createuser EMAIL          create an active user; the password is read from\n"
	      "                            standard input (one line) or asked for on a terminal\n"
	      "  createsuperuser EMAIL     the same, with is_staff and is_superuser set\n"
	      "  deactivate EMAIL          set is_active=0 and end every session of the user\n"
	      "  activate EMAIL            set is_active=1\n"
	      "  revoke-sessions EMAIL     end every session of the user\n"
	      "  two-factor-reset EMAIL    remove the user's second factor and end their sessions\n"
	      "  delete EMAIL              delete the account, its sessions and thumbnail (no\n"
	      "                            password asked) and mail the \"account deleted\" notice\n"
	      "  export EMAIL              print the user's data export (JSON) on standard output\n"
	      "  list                      list users: id, e-mail, active, staff, date joined\n"
	      "\n"
	      "Configuration comes from the environment and the configuration file, as for the\n"
	      "CGIs (AUTHCGI_CONFIG names the file). Passwords are never taken from arguments.\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n",
	      out);
}

/* Reads one password line from stdin, or twice without echo on a terminal. malloc'd. */
static char *read_password(void)
{
	char *line = NULL, *again = NULL;
	size_t cap = 0, cap2 = 0;
	ssize_t n;
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;

	if (tty) {
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		fputs("Password: ", stderr);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		fputs("\nPassword (again): ", stderr);
		if (getline(&again, &cap2, stdin) < 0 || strcmp(line ? line : "", again) != 0)
			n = -2;
		fputs("\n", stderr);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		free(again);
	}
	if (n < 0) {
		fputs(n == -2 ? "authctl: the passwords differ\n" : "authctl: no password given\n", stderr);
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "authctl: %s failed (%s)\n", what,
		rc == AC_EUNAVAIL ? "database or Redis unavailable" :
		rc == AC_ECONFLICT ? "a user with that email address already exists" :
		rc == AC_ENOTFOUND ? "no such user" : "internal error");
	return EXIT_FAIL;
}

static int cmd_migrate(const struct cfg *cfg)
{
	struct db *db;
	unsigned applied;
	int rc = db_open_create(cfg, &db);

	if (rc != AC_OK)
		return fail("opening the database", rc);
	rc = db_migrate(db, &applied);
	db_close(db);
	if (rc != AC_OK)
		return fail("migrate", rc);
	/* the PostgreSQL URL may hold a password: never print it */
	printf("migrated %s: %u migration(s) applied\n",
	       cfg->database_engine == CFG_DB_POSTGRES ? "the PostgreSQL database" : cfg->database_path,
	       applied);
	return 0;
}

struct create {
	const char *email, *hash;
	int super;
	struct user *u;
};

static int create_tx(struct db *db, void *arg)
{
	struct create *c = arg;
	int rc;

	user_free(c->u);
	c->u = NULL;
	rc = user_insert(db, c->email, "", "", c->hash, &c->u);
	if (rc == AC_OK)
		rc = user_set_flags(db, c->u->id, 1, c->super, c->super);
	return rc;
}

static int cmd_create(const struct cfg *cfg, const char *address, int super)
{
	struct pw_params params = { cfg->argon2_memory_kib, cfg->argon2_time_cost,
				    cfg->argon2_parallelism, cfg->argon2_max_memory_kib };
	char email[EMAIL_MAX + 1], reason[256];
	char *password, *hash = NULL;
	struct user *u = NULL;
	struct db *db;
	int rc;

	if (email_normalize(address, email) != AC_OK) {
		fputs("authctl: Enter a valid email address.\n", stderr);
		return EXIT_FAIL;
	}
	password = read_password();
	if (!password)
		return EXIT_FAIL;
	rc = pw_policy_check(password, strlen(password), email, cfg->password_min_length,
			     cfg->common_passwords_file, reason, sizeof reason);
	if (rc == AC_OK)
		rc = pw_hash(&params, password, strlen(password), &hash);
	free(password);
	if (rc == AC_EINVAL) {
		fprintf(stderr, "authctl: %s\n", reason);
		return EXIT_FAIL;
	}
	if (rc != AC_OK)
		return fail("hashing the password", rc);
	rc = db_open(cfg, &db);
	if (rc == AC_OK) {
		struct create c = { email, hash, super, NULL };

		rc = db_tx(db, create_tx, &c);
		u = c.u;
		db_close(db);
	}
	free(hash);
	if (rc != AC_OK) {
		user_free(u);
		return fail("creating the user", rc);
	}
	printf("created %s%s: %s\n", super ? "superuser " : "user ", email, u->id);
	user_free(u);
	return 0;
}

static int end_sessions(const struct cfg *cfg, const char *uid)
{
	struct rds *r;
	long long n = 0;
	int rc = rds_connect(cfg, &r);

	if (rc == AC_OK)
		rc = sess_delete_all(r, uid, &n);
	rds_close(r);
	if (rc != AC_OK)
		return fail("ending the sessions", rc);
	printf("ended %lld session(s)\n", n);
	return 0;
}

static int find(const struct cfg *cfg, const char *address, struct db **db, struct user **u)
{
	char email[EMAIL_MAX + 1];
	int rc;

	if (email_trim(address, email, sizeof email) != AC_OK)
		return AC_ENOTFOUND;
	rc = db_open(cfg, db);
	if (rc != AC_OK)
		return rc;
	return user_by_email(*db, email, u);
}

static int cmd_account(const struct cfg *cfg, const char *cmd, const char *address)
{
	struct db *db = NULL;
	struct user *u = NULL;
	int rc = find(cfg, address, &db, &u);

	if (rc == AC_OK && strcmp(cmd, "deactivate") == 0)
		rc = user_set_active(db, u->id, 0);
	else if (rc == AC_OK && strcmp(cmd, "activate") == 0)
		rc = user_set_active(db, u->id, 1);
	db_close(db);
	if (rc != AC_OK) {
		user_free(u);
		return fail(cmd, rc);
	}
	if (strcmp(cmd, "activate") != 0) {
		/* Deactivation ends the sessions now; §4.5 would also end them at next use. */
		rc = end_sessions(cfg, u->id);
	}
	if (rc == 0 && strcmp(cmd, "revoke-sessions") != 0)
		printf("%sd %s\n", cmd, u->email);
	user_free(u);
	return rc;
}

/* §12.1 step 5 without a password: the rows, then sessions and limit keys, then the thumbnail. */
static int cmd_delete(const struct cfg *cfg, const char *address)
{
	struct db *db = NULL;
	struct rds *r = NULL;
	struct user *u = NULL;
	char *thumbnail = NULL;
	long long ended = 0;
	int rc = find(cfg, address, &db, &u);

	if (rc == AC_OK)
		rc = acct_delete_rows(db, u, NULL, &thumbnail);
	db_close(db);
	if (rc != AC_OK) {
		user_free(u);
		return fail("delete", rc);
	}
	rc = rds_connect(cfg, &r);
	if (rc == AC_OK)
		rc = acct_forget(r, u, &ended);
	rds_close(r);
	acct_delete_thumbnail(cfg, u->id, thumbnail);
	free(thumbnail);
	if (rc != AC_OK)
		fprintf(stderr, "authctl: the account was deleted, but ending its sessions failed "
			"(Redis unavailable); they end at their next use\n");
	else
		printf("deleted %s (%s), ended %lld session(s)\n", u->email, u->id, ended);
	user_free(u);
	return rc == AC_OK ? 0 : EXIT_FAIL;
}

static int cmd_export(const struct cfg *cfg, const char *address)
{
	struct db *db = NULL;
	struct rds *r = NULL;
	struct user *u = NULL;
	cJSON *doc = NULL;
	char *text = NULL;
	int rc = find(cfg, address, &db, &u);

	if (rc == AC_OK)
		rc = rds_connect(cfg, &r);
	if (rc == AC_OK)
		rc = acct_export(db, r, cfg, u, NULL, &doc);
	if (rc == AC_OK && !(text = cJSON_PrintUnformatted(doc)))
		rc = AC_ENOMEM;
	if (rc == AC_OK)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(doc);
	rds_close(r);
	db_close(db);
	user_free(u);
	return rc == AC_OK ? 0 : fail("export", rc);
}

static int print_user(const struct user *u, void *arg)
{
	(void)arg;
	printf("%s  %-40s  active=%d staff=%d  joined %s\n", u->id, u->email, u->is_active, u->is_staff,
	       u->date_joined);
	return 0;
}

static int cmd_list(const struct cfg *cfg)
{
	struct db *db;
	int rc = db_open(cfg, &db);

	if (rc == AC_OK)
		rc = user_each(db, print_user, NULL);
	db_close(db);
	return rc == AC_OK ? 0 : fail("list", rc);
}

int main(int argc, char **argv)
{
	struct cfg *cfg;
	char err[256], owner_msg[1536];
	const char *cmd;
	int rc;

	log_set_program("authctl");
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	cmd = argv[1];
	if (strcmp(cmd, "migrate") && strcmp(cmd, "list") && strcmp(cmd, "createuser") &&
	    strcmp(cmd, "createsuperuser") && strcmp(cmd, "deactivate") && strcmp(cmd, "activate") &&
	    strcmp(cmd, "revoke-sessions") && strcmp(cmd, "two-factor-reset") &&
	    strcmp(cmd, "delete") && strcmp(cmd, "export")) {
		fprintf(stderr, "authctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((!strcmp(cmd, "migrate") || !strcmp(cmd, "list")) ? argc != 2 : argc != 3) {
		fprintf(stderr, "authctl: wrong number of arguments for '%s'\n", cmd);
		return EXIT_USAGE;
	}
	if (cfg_load(&cfg, err, sizeof err) != AC_OK) {
		fprintf(stderr, "authctl: configuration: %s\n", err);
		return EXIT_FAIL;
	}
	if (dbowner_check(cfg, owner_msg, sizeof owner_msg) != AC_OK) {
		fprintf(stderr, "authctl: %s\n", owner_msg);
		cfg_free(cfg);
		return EXIT_FAIL;
	}
	if (!strcmp(cmd, "migrate"))
		rc = cmd_migrate(cfg);
	else if (!strcmp(cmd, "list"))
		rc = cmd_list(cfg);
	else if (!strcmp(cmd, "createuser") || !strcmp(cmd, "createsuperuser"))
		rc = cmd_create(cfg, argv[2], !strcmp(cmd, "createsuperuser"));
	else if (!strcmp(cmd, "two-factor-reset"))
		rc = (rc = tfa_admin_reset(cfg, argv[2], stdout)) == AC_OK ? 0 : fail(cmd, rc);
	else if (!strcmp(cmd, "delete"))
		rc = cmd_delete(cfg, argv[2]);
	else if (!strcmp(cmd, "export"))
		rc = cmd_export(cfg, argv[2]);
	else
		rc = cmd_account(cfg, cmd, argv[2]);
	cfg_free(cfg);
	return rc;
}
