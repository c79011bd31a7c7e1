/* Private to lib/cfg.c and its tests/fuzzer: the configuration file parser and the validator. */
#ifndef AUTHCGI_CFG_INTERNAL_H
#define AUTHCGI_CFG_INTERNAL_H

#include <stddef.h>
#include "cfg.h"

#define CFG_FILE_MAX (64 * 1024)  /* largest configuration file */
#define CFG_LINE_MAX 8192         /* longest line of it, and longest value from anywhere */

/* The KEY=VALUE pairs of one configuration file. */
struct cfg_file;

/*
 * Parses len bytes of configuration file text (API.md §8.1; NUL bytes are an error).
 * Unknown keys are logged with log_warn and dropped. On success *out is a new struct the
 * caller frees with cfg_file_free() (which wipes the values) and 0 is returned. On error
 * returns AC_EINVAL (or AC_ENOMEM) with a reason naming the line number, never a value, in err.
 */
int cfg_parse_buffer(const char *buf, size_t len, struct cfg_file **out, char *err, size_t errlen);
void cfg_file_free(struct cfg_file *f);

/*
 * Builds and validates the configuration from the environment (when use_env is 1) over the
 * file f (NULL for none). Same contract as cfg_load() otherwise.
 */
int cfg_build(const struct cfg_file *f, int use_env, struct cfg **out, char *err, size_t errlen);

#endif
