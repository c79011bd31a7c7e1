/* The public API paths (API.md §1.1) and their programs, for the router and the server samples. */
#ifndef AUTHCGI_ROUTES_H
#define AUTHCGI_ROUTES_H

struct route {
	const char *path;      /* public path, with its trailing slash */
	const char *program;   /* CGI that serves it */
};

extern const struct route routes[];
extern const unsigned n_routes;

/* The route whose path equals path + "/" (the §1.2 redirect), or NULL. */
const struct route *route_without_slash(const char *path, unsigned long len);

#endif
