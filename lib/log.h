/* Security and error logging to stderr (the web server's error log), one escaped line per event. */
#ifndef AUTHCGI_LOG_H
#define AUTHCGI_LOG_H

/* Names the program in every line, e.g. "login". The string must outlive the process. */
void log_set_program(const char *name);
/*
 * Writes one line "authcgi[<program>]: <level>: <message>\n" to stderr. The formatted
 * message has every control character and backslash escaped (\xNN), so logged input can
 * never forge a line. Never pass passwords, tokens, cookies or e-mailed links.
 * level is "error", "warn", "info" or "security".
 */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg("error", __VA_ARGS__)
#define log_warn(...) log_msg("warn", __VA_ARGS__)
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_security(...) log_msg("security", __VA_ARGS__)

#endif
