/* The schema migrations of db/, embedded at build time (lib/migrations.c is generated). */
#ifndef AUTHCGI_MIGRATIONS_H
#define AUTHCGI_MIGRATIONS_H

struct migration {
	unsigned version;   /* the NNNN of db/NNNN_name.sql */
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const unsigned n_migrations;

#endif
