/* Renders the three e-mails of API.md §6.3 from the embedded lib/mail/ templates. */
#include "mailmsg.h"
#include "buf.h"
#include "err.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void buf_add_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_add(b, "&amp;", 5); break;
		case '<': buf_add(b, "&lt;", 4); break;
		case '>': buf_add(b, "&gt;", 4); break;
		case '"': buf_add(b, "&quot;", 6); break;
		case '\'': buf_add(b, "&#x27;", 6); break;
		default: buf_add(b, s, 1); break;
		}
	}
}

void mailmsg_free(struct mailmsg *m)
{
	if (!m)
		return;
	free(m->subject);
	free(m->text);
	free(m->html);
	free(m);
}

const char *mailmsg_template(const char *name)
{
	for (unsigned i = 0; i < n_mail_templates; i++)
		if (strcmp(mail_templates[i].name, name) == 0)
			return mail_templates[i].text;
	return NULL;
}

int mailmsg_render(const char *tmpl, const struct mailmsg_var *vars, size_t nvars, int html,
		   char **out)
{
	struct buf b = BUF_INIT(MAILMSG_MAX_BYTES);
	const char *p = tmpl;

	*out = NULL;
	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		const struct mailmsg_var *v = NULL;

		if (!open) {
			buf_add(&b, p, strlen(p));
			break;
		}
		buf_add(&b, p, (size_t)(open - p));
		close = strstr(open + 2, "}}");
		if (!close) {
			b.err = b.err ? b.err : AC_EINVAL;
			break;
		}
		for (size_t i = 0; i < nvars; i++) {
			size_t n = strlen(vars[i].name);

			if ((size_t)(close - open - 2) == n && memcmp(open + 2, vars[i].name, n) == 0) {
				v = &vars[i];
				break;
			}
		}
		if (!v) {
			b.err = b.err ? b.err : AC_EINVAL;
			break;
		}
		if (html)
			buf_add_html(&b, v->value);
		else
			buf_add(&b, v->value, strlen(v->value));
		p = close + 2;
	}
	return buf_finish(&b, out, NULL);
}

void mailmsg_lifetime(unsigned seconds, char out[32])
{
	unsigned n = seconds / 60;

	snprintf(out, 32, "%u minute%s", n, n == 1 ? "" : "s");
}

/* Token parts go into a URL path unescaped, so only the URL-safe base64 alphabet and '-' pass. */
static int url_safe(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return n > 0 && n <= 128;
}

/* Renders "<base>.txt" and "<base>.html" with vars and sets the subject. */
static int render_pair(const char *base, const char *subject, const struct mailmsg_var *vars,
		       size_t nvars, struct mailmsg **out)
{
	char name[64];
	const char *txt, *html;
	struct mailmsg *m;
	int rc;

	*out = NULL;
	snprintf(name, sizeof name, "%s.txt", base);
	txt = mailmsg_template(name);
	snprintf(name, sizeof name, "%s.html", base);
	html = mailmsg_template(name);
	if (!txt || !html)
		return AC_EINTERNAL;
	m = calloc(1, sizeof *m);
	if (!m)
		return AC_ENOMEM;
	m->subject = strdup(subject);
	if (!m->subject) {
		mailmsg_free(m);
		return AC_ENOMEM;
	}
	rc = mailmsg_render(txt, vars, nvars, 0, &m->text);
	if (rc == AC_OK)
		rc = mailmsg_render(html, vars, nvars, 1, &m->html);
	if (rc != AC_OK) {
		mailmsg_free(m);
		return rc;
	}
	*out = m;
	return AC_OK;
}

static int token_message(const struct cfg *cfg, const char *base, const char *subject,
			 const char *path, const char *uidb64, const char *token, time_t expiry,
			 struct mailmsg **out)
{
	char lifetime[32], when[TM_BUF], *link;
	int rc, n;

	*out = NULL;
	if (!url_safe(uidb64) || !url_safe(token) || !cfg->api_base_url)
		return AC_EINVAL;
	n = snprintf(NULL, 0, "%s%s%s/%s/", cfg->api_base_url, path, uidb64, token);
	if (n < 0)
		return AC_EINTERNAL;
	link = malloc((size_t)n + 1);
	if (!link)
		return AC_ENOMEM;
	snprintf(link, (size_t)n + 1, "%s%s%s/%s/", cfg->api_base_url, path, uidb64, token);
	mailmsg_lifetime(cfg->token_expiration, lifetime);
	tm_expiry(expiry, when);
	{
		const struct mailmsg_var vars[] = {
			{ "link", link }, { "lifetime", lifetime }, { "expiry", when },
		};

		rc = render_pair(base, subject, vars, sizeof vars / sizeof vars[0], out);
	}
	free(link);
	return rc;
}

int mailmsg_activation(const struct cfg *cfg, const char *uidb64, const char *token,
		       time_t expiry, struct mailmsg **out)
{
	return token_message(cfg, "activation", "Please, verify your account",
			     "/users/register/confirm/", uidb64, token, expiry, out);
}

int mailmsg_reset(const struct cfg *cfg, const char *uidb64, const char *token, time_t expiry,
		  struct mailmsg **out)
{
	return token_message(cfg, "reset", "Password reset instructions",
			     "/users/password-change/confirm/change-password/", uidb64, token,
			     expiry, out);
}

int mailmsg_password_changed(const struct cfg *cfg, const char *email, time_t when,
			     struct mailmsg **out)
{
	char at[TM_BUF], *link;
	int rc, n;

	*out = NULL;
	if (!email || !*email || !cfg->frontend_url)
		return AC_EINVAL;
	n = snprintf(NULL, 0, "%s/auth/password/request-change", cfg->frontend_url);
	if (n < 0)
		return AC_EINTERNAL;
	link = malloc((size_t)n + 1);
	if (!link)
		return AC_ENOMEM;
	snprintf(link, (size_t)n + 1, "%s/auth/password/request-change", cfg->frontend_url);
	tm_expiry(when, at);
	{
		const struct mailmsg_var vars[] = {
			{ "email", email }, { "when", at }, { "link", link },
		};

		rc = render_pair("password_changed", "Your password has been changed", vars,
				 sizeof vars / sizeof vars[0], out);
	}
	free(link);
	return rc;
}

int mailmsg_account_deleted(const char *email, time_t when, struct mailmsg **out)
{
	char at[TM_BUF];

	*out = NULL;
	if (!email || !*email)
		return AC_EINVAL;
	tm_expiry(when, at);
	{
		const struct mailmsg_var vars[] = { { "email", email }, { "when", at } };

		return render_pair("account_deleted", "Your account has been deleted", vars,
				   sizeof vars / sizeof vars[0], out);
	}
}
