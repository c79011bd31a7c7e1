/* Unit tests for lib/mailmsg.c: the three e-mails of API.md §6.3 in both parts, escaping, lifetimes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "mailmsg.h"
#include "timefmt.h"

static const char UID[] = "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi";
static const char TOK[] = "bohohd-72c12308e11efffde629178b369213ad";
/* 2023-05-20T08:20:01Z + 600 s */
static const time_t EXPIRY = 1684570801 + 600;

static const char FALLBACK[] = "If the above button doesn't work, try copying and pasting the link below into your browser. If you continue to experience problems, please contact us.";
static const char EXPIRY_SENTENCE[] = "Kindly note that this link will expire in 10 minutes. The exact expiration date and time is: Saturday May 20, 2023 at 08:30:01 AM UTC.";

static struct cfg make_cfg(void)
{
	struct cfg c;

	memset(&c, 0, sizeof c);
	c.api_base_url = "https://api.example.com/auth";
	c.frontend_url = "https://app.example.com";
	c.token_expiration = 600;
	return c;
}

/* Asserts that each string occurs in s after the previous one. */
static void assert_in_order(const char *s, const char *const *parts, size_t n)
{
	const char *p = s;

	for (size_t i = 0; i < n; i++) {
		const char *hit = strstr(p, parts[i]);

		if (!hit)
			fail_msg("missing or out of order: \"%s\"", parts[i]);
		p = hit + strlen(parts[i]);
	}
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_templates_embedded(void **state)
{
	static const char *const names[] = { "activation.txt", "activation.html", "reset.txt",
					     "reset.html", "password_changed.txt",
					     "password_changed.html", "account_deleted.txt",
					     "account_deleted.html" };

	(void)state;
	assert_int_equal(n_mail_templates, 14);
	for (size_t i = 0; i < 8; i++) {
		const char *t = mailmsg_template(names[i]);

		assert_non_null(t);
		assert_true(strlen(t) > 100);
		/* no remote images or tracking: nothing is loaded when the mail is opened */
		assert_null(strstr(t, "<img"));
		assert_null(strstr(t, "src="));
		assert_null(strstr(t, "url("));
	}
	assert_null(mailmsg_template("nope.txt"));
}

static void test_activation(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m;
	const char *link = "https://api.example.com/auth/users/register/confirm/"
			   "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/"
			   "bohohd-72c12308e11efffde629178b369213ad/";
	char line[512], href[512], visible[512];

	(void)state;
	assert_int_equal(mailmsg_activation(&c, UID, TOK, EXPIRY, &m), AC_OK);
	assert_string_equal(m->subject, "Please, verify your account");
	{
		const char *const parts[] = { "Let's get you verified",
					      "Tap the button below to verify your email address.",
					      "Verify email address", link, FALLBACK, link,
					      EXPIRY_SENTENCE };

		/* in HTML the button is one element whose href precedes its label */
		const char *const hparts[] = { parts[0], parts[1], parts[2], parts[4], parts[5],
					       parts[6] };

		assert_in_order(m->text, parts, 7);
		assert_in_order(m->html, hparts, 6);
	}
	/* the text part: the link alone on its own line, no markup, no entities */
	snprintf(line, sizeof line, "\n%s\n", link);
	assert_int_equal(count(m->text, line), 2);
	assert_null(strchr(m->text, '<'));
	assert_null(strchr(m->text, '&'));
	/* the HTML part: title, button and the link as href and visible text */
	assert_non_null(strstr(m->html, "<title>Let's get you verified</title>"));
	snprintf(href, sizeof href, "href=\"%s\"", link);
	snprintf(visible, sizeof visible, ">%s</a>", link);
	assert_int_equal(count(m->html, href), 2);
	assert_int_equal(count(m->html, visible), 1);
	assert_non_null(strstr(m->html, ">Verify email address</a>"));
	mailmsg_free(m);
}

static void test_reset(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m;
	const char *link = "https://api.example.com/auth/users/password-change/confirm/"
			   "change-password/M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/"
			   "bohohd-72c12308e11efffde629178b369213ad/";
	char line[512];

	(void)state;
	assert_int_equal(mailmsg_reset(&c, UID, TOK, EXPIRY, &m), AC_OK);
	assert_string_equal(m->subject, "Password reset instructions");
	{
		const char *const parts[] = {
			"Password Reset Instructions",
			"Your request to reset your password was submitted. If you did not make this request, simply ignore this email. If you did make this request just click the button below:",
			"Change password", link, FALLBACK, link, EXPIRY_SENTENCE
		};

		const char *const hparts[] = { parts[0], parts[1], parts[2], parts[4], parts[5],
					       parts[6] };

		assert_in_order(m->text, parts, 7);
		assert_in_order(m->html, hparts, 6);
	}
	snprintf(line, sizeof line, "\n%s\n", link);
	assert_int_equal(count(m->text, line), 2);
	assert_non_null(strstr(m->html, "<title>Password Reset Instructions</title>"));
	assert_non_null(strstr(m->html, ">Change password</a>"));
	assert_null(strstr(m->text, "register/confirm"));
	mailmsg_free(m);
}

static void test_password_changed(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m;
	const char *sentence = "The password of your account john@example.com was changed on "
			       "Saturday May 20, 2023 at 08:20:01 AM UTC. All devices signed in to "
			       "the account have been signed out.";
	const char *link = "https://app.example.com/auth/password/request-change";

	(void)state;
	assert_int_equal(mailmsg_password_changed(&c, "john@example.com", 1684570801, &m), AC_OK);
	assert_string_equal(m->subject, "Your password has been changed");
	{
		const char *const parts[] = {
			"Your password has been changed", sentence,
			"If you did not make this change, request a password reset now:", link
		};

		assert_in_order(m->text, parts, 4);
		assert_in_order(m->html, parts, 4);
	}
	assert_non_null(strstr(m->text, "now:\nhttps://app.example.com/auth/password/request-change\n"));
	assert_non_null(strstr(m->html, "href=\"https://app.example.com/auth/password/request-change\""));
	/* it carries no token */
	assert_null(strstr(m->text, "/users/"));
	mailmsg_free(m);
}

static void test_account_deleted(void **state)
{
	struct mailmsg *m;
	const char *const parts[] = {
		"Your account has been deleted",
		"The account o'neil@example.com was deleted on Saturday May 20, 2023 at 08:20:01 AM "
		"UTC. This cannot be undone."
	};

	(void)state;
	assert_int_equal(mailmsg_account_deleted("o'neil@example.com", 1684570801, &m), AC_OK);
	assert_string_equal(m->subject, "Your account has been deleted");
	assert_in_order(m->text, parts, 2);
	assert_non_null(strstr(m->html, "The account o&#x27;neil@example.com was deleted on Saturday"));
	/* no link, no token */
	assert_null(strstr(m->text, "http"));
	mailmsg_free(m);
	assert_int_equal(mailmsg_account_deleted("", 0, &m), AC_EINVAL);
}

static void test_escaping(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m;

	(void)state;
	/* odd but possible values: the HTML part escapes them, the text part keeps them verbatim */
	c.api_base_url = "https://x.example/a&b'c\"d<e>";
	assert_int_equal(mailmsg_activation(&c, UID, TOK, EXPIRY, &m), AC_OK);
	assert_non_null(strstr(m->text, "\nhttps://x.example/a&b'c\"d<e>/users/register/confirm/"));
	assert_non_null(strstr(m->html, "href=\"https://x.example/a&amp;b&#x27;c&quot;d&lt;e&gt;/users/"));
	assert_null(strstr(m->html, "a&b'c"));
	mailmsg_free(m);

	assert_int_equal(mailmsg_password_changed(&c, "o'neil&co@example.com", 0, &m), AC_OK);
	assert_non_null(strstr(m->text, "your account o'neil&co@example.com was changed on Thursday January 01, 1970 at 12:00:00 AM UTC."));
	assert_non_null(strstr(m->html, "your account o&#x27;neil&amp;co@example.com was changed"));
	mailmsg_free(m);
}

static void test_lifetime(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m;
	char buf[32];

	(void)state;
	mailmsg_lifetime(60, buf);
	assert_string_equal(buf, "1 minute");
	mailmsg_lifetime(119, buf);
	assert_string_equal(buf, "1 minute");
	mailmsg_lifetime(120, buf);
	assert_string_equal(buf, "2 minutes");
	mailmsg_lifetime(3599, buf);
	assert_string_equal(buf, "59 minutes");
	mailmsg_lifetime(86400, buf);
	assert_string_equal(buf, "1440 minutes");

	c.token_expiration = 90;
	assert_int_equal(mailmsg_reset(&c, UID, TOK, 1684570891, &m), AC_OK);
	assert_non_null(strstr(m->text, "will expire in 1 minute. The exact expiration date and time is: Saturday May 20, 2023 at 08:21:31 AM UTC."));
	assert_non_null(strstr(m->html, "will expire in 1 minute. The exact"));
	mailmsg_free(m);

	/* PM hours */
	c.token_expiration = 600;
	assert_int_equal(mailmsg_activation(&c, UID, TOK, 1684570801 + 6 * 3600, &m), AC_OK);
	assert_non_null(strstr(m->text, "Saturday May 20, 2023 at 02:20:01 PM UTC."));
	mailmsg_free(m);
}

static void test_bad_parts(void **state)
{
	struct cfg c = make_cfg();
	struct mailmsg *m = (struct mailmsg *)1;

	(void)state;
	assert_int_equal(mailmsg_activation(&c, "", TOK, EXPIRY, &m), AC_EINVAL);
	assert_null(m);
	assert_int_equal(mailmsg_activation(&c, UID, "a/b", EXPIRY, &m), AC_EINVAL);
	assert_int_equal(mailmsg_reset(&c, "abc\ndef", TOK, EXPIRY, &m), AC_EINVAL);
	assert_int_equal(mailmsg_reset(&c, UID, "x y", EXPIRY, &m), AC_EINVAL);
	assert_int_equal(mailmsg_password_changed(&c, "", 0, &m), AC_EINVAL);
	c.api_base_url = NULL;
	assert_int_equal(mailmsg_activation(&c, UID, TOK, EXPIRY, &m), AC_EINVAL);
}

static void test_render(void **state)
{
	const struct mailmsg_var vars[] = { { "a", "<1>" }, { "bb", "two" } };
	char *out, *big;

	(void)state;
	assert_int_equal(mailmsg_render("x{{a}}y{{bb}}{{a}}", vars, 2, 0, &out), AC_OK);
	assert_string_equal(out, "x<1>ytwo<1>");
	free(out);
	assert_int_equal(mailmsg_render("x{{a}}y", vars, 2, 1, &out), AC_OK);
	assert_string_equal(out, "x&lt;1&gt;y");
	free(out);
	assert_int_equal(mailmsg_render("", vars, 2, 1, &out), AC_OK);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(mailmsg_render("{ single } braces", vars, 2, 1, &out), AC_OK);
	assert_string_equal(out, "{ single } braces");
	free(out);
	assert_int_equal(mailmsg_render("x{{c}}", vars, 2, 0, &out), AC_EINVAL);
	assert_null(out);
	assert_int_equal(mailmsg_render("x{{a", vars, 2, 0, &out), AC_EINVAL);
	assert_int_equal(mailmsg_render("{{b}}", vars, 2, 0, &out), AC_EINVAL);

	big = malloc(MAILMSG_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'x', MAILMSG_MAX_BYTES + 1);
	big[MAILMSG_MAX_BYTES + 1] = '\0';
	assert_int_equal(mailmsg_render(big, vars, 2, 0, &out), AC_EBOUNDS);
	assert_null(out);
	big[MAILMSG_MAX_BYTES] = '\0';
	assert_int_equal(mailmsg_render(big, vars, 2, 0, &out), AC_OK);
	assert_int_equal(strlen(out), MAILMSG_MAX_BYTES);
	free(out);
	free(big);
	mailmsg_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_embedded),
		cmocka_unit_test(test_activation),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_password_changed),
		cmocka_unit_test(test_account_deleted),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_bad_parts),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
