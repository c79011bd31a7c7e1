"""CGI pipe tests of the password reset and change endpoints (API.md §5, §7.6, §7.7, §7.8, §7.12)."""
import hashlib
import json
import re
import time
import unittest

from harness import PASSWORD, Stack
from tokens import uidb64, compute_token, now_ts

EPOCH = 978307200
SALTS = {"activation": "auth.tokens.activation", "link": "auth.tokens.password-reset",
         "form": "auth.tokens.password-reset-form"}
EMAIL = "john.smith@example.com"
NEW_PASSWORD = "a brand new passphrase 42"

EMPTY_EMAIL = {"error": "Email field is empty"}
BAD_EMAIL = {"error": "Enter a valid email address."}
TOO_MANY = {"error": "Too many requests. Please try again later"}
NO_ACTIVE = {"error": "An active user with this e-mail address does not exist. If you registered "
                      "with this email, ensure you have activated your account. You can check by "
                      "logging in. If you have not activated it, visit "
                      "http://front.test/auth/regenerate-token to regenerate the token that will "
                      "allow you activate your account."}
SENT = {"message": "Password reset instructions have been sent to your email address. Kindly take "
                   "action before its expiration"}
INVALID_LINK = ("http://front.test/auth/regenerate-token?reason=It%20appears%20that%20your%20"
                "confirmation%20token%20has%20expired%20or%20previously%20used.%20Kindly%20"
                "generate%20a%20new%20token")
NEED_TOKEN = {"error": "Please provide token and password"}
BAD_TOKEN = {"error": "It appears that your password request token has expired or previously used"}
RESET_DONE = {"message": "Your password has been changed successfully. Kindly login with the new "
                         "password"}
NEED_BOTH = {"error": "Please provide current_password and new_password"}
WRONG_CURRENT = {"error": "Your current password is incorrect"}
CHANGED = {"message": "Your password has been changed successfully"}
LOGIN_TOO_MANY = {"error": "Too many failed login attempts. Please try again later"}
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'


def subject(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class ResetBase(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user(EMAIL)

    def tearDown(self):
        self.stack.stop()

    def row(self, uid=None):
        (pw, last, email, active), = self.stack.sql(
            "SELECT password, last_login, email, is_active FROM users_user WHERE id = ?",
            ((uid or self.uid).replace("-", ""),))
        return pw, last, email, active

    def token(self, purpose, ts=None, uid=None):
        uid = uid or self.uid
        pw, last, email, active = self.row(uid)
        return compute_token(purpose, uid, pw, last, email, active, now_ts() if ts is None else ts)

    def outbox(self):
        return self.stack.sql("SELECT recipient, subject, body_text, not_after FROM mail_outbox "
                              "ORDER BY id")

    def post(self, name, obj, env=None):
        return self.stack.cgi(name, "POST", json.dumps(obj), env=env)

    def assertNoCookieNoVary(self, r):
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIsNone(r.header("Vary"))


class TokenHelperTest(unittest.TestCase):
    def test_python_token_matches_the_api_vectors(self):
        secret = "an-example-secret-key-for-test-vectors-only-0123456789"
        pw = ("argon2$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dg$"
              "4Z5PpXSUjmwCFqVEDjkVSA")
        uid = "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
        self.assertEqual(uidb64(uid), "M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi")
        self.assertEqual(compute_token("activation", uid, pw, None, "john@example.com", False,
                                       700000000, secret),
                         "bkrfgg-ac8ae114da62eb0e0bf0e884fc9a22cf")
        self.assertEqual(compute_token("link", uid, pw, "2023-05-20 08:20:01.123456",
                                       "john@example.com", True, 706263601, secret),
                         "bohohd-72c12308e11efffde629178b369213ad")
        self.assertEqual(compute_token("form", uid, pw, "2023-05-20 08:20:01.123456",
                                       "john@example.com", True, 706263661, secret),
                         "bohoj1-207ff86db707b9362b3bc22cbbbe6217")


class RequestPasswordChangeTest(ResetBase):
    def test_step1_email_absent(self):
        for body in ({}, {"email": None}):
            r = self.post("request-password-change", body)
            self.assertEqual((r.status, r.json), (400, EMPTY_EMAIL))
        self.assertEqual(self.outbox(), [])

    def test_step2_invalid_email(self):
        for email in ("", "john@example", "jöhn@example.com"):
            r = self.post("request-password-change", {"email": email})
            self.assertEqual((r.status, r.json), (400, BAD_EMAIL), email)
        # nothing was counted
        self.assertEqual(self.stack.redis.keys("auth:rl:*"), [])

    def test_step3_rate_limits(self):
        self.stack.set(RATE_LIMIT_MAIL_EMAIL="2/3600")
        for _ in range(2):
            self.assertEqual(self.post("request-password-change", {"email": EMAIL}).status, 200)
        r = self.post("request-password-change", {"email": " JOHN.smith@example.com"})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 3600)
        self.assertEqual(len(self.outbox()), 2)
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:mail-email:" + subject(EMAIL)), "3")
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:mail-addr:127.0.0.1"), "3")

    def test_step3_mail_addr_limit_counts_unknown_addresses_too(self):
        self.stack.set(RATE_LIMIT_MAIL_ADDR="1/3600")
        r = self.post("request-password-change", {"email": "nobody@example.com"})
        self.assertEqual(r.status, 404)
        r = self.post("request-password-change", {"email": EMAIL})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))
        self.assertEqual(self.outbox(), [])

    def test_step4_unknown_or_inactive_account(self):
        self.stack.create_user("sleepy@example.com", active=False)
        for email in ("nobody@example.com", "sleepy@example.com"):
            r = self.post("request-password-change", {"email": email})
            self.assertEqual((r.status, r.json), (404, NO_ACTIVE), email)
            self.assertEqual(r.body.decode().count("http://front.test/auth/regenerate-token"), 1)
        self.assertEqual(self.outbox(), [])

    def test_step4_substitutes_the_frontend_url(self):
        self.stack.set(FRONTEND_URL="https://app.example.org/")
        r = self.post("request-password-change", {"email": "nobody@example.com"})
        self.assertEqual(r.status, 404)
        self.assertIn("visit https://app.example.org/auth/regenerate-token to regenerate",
                      r.json["error"])

    def test_step5_queues_the_reset_mail_with_a_valid_link_token(self):
        before = now_ts()
        r = self.post("request-password-change", {"email": "  John.Smith@EXAMPLE.com "})
        self.assertEqual((r.status, r.json), (200, SENT))
        self.assertNoCookieNoVary(r)
        (recipient, subj, text, not_after), = self.outbox()
        self.assertEqual(recipient, EMAIL)
        self.assertEqual(subj, "Password reset instructions")
        m = re.search(r"http://api\.test/users/password-change/confirm/change-password/"
                      r"([A-Za-z0-9_-]{48})/([0-9a-z]+-[0-9a-f]{32})/", text)
        self.assertIsNotNone(m, text)
        self.assertEqual(m.group(1), uidb64(self.uid))
        ts = int(m.group(2).split("-")[0], 36)
        self.assertTrue(before - 1 <= ts <= now_ts(), (before, ts))  # C time(): coarse clock
        self.assertEqual(m.group(2), self.token("link", ts))
        self.assertNotEqual(m.group(2), self.token("form", ts))
        self.assertTrue(not_after.startswith(time.strftime("%Y-%m-%d %H:%M:%S",
                                                           time.gmtime(ts + EPOCH + 600))))
        self.assertIn("password reset requested: user " + self.uid, r.stderr)
        self.assertNotIn(m.group(2), r.stderr)

    def test_redis_down_is_503(self):
        self.stack.redis.stop()
        r = self.post("request-password-change", {"email": EMAIL})
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(self.outbox(), [])

    def test_body_cap_is_4_kib(self):
        r = self.stack.cgi("request-password-change", "POST", b"{}", content_length="4097")
        self.assertEqual(r.status, 413)


class ConfirmPasswordChangeTest(ResetBase):
    def confirm(self, path_info, method="GET"):
        env = {} if path_info is None else {"PATH_INFO": path_info}
        return self.stack.cgi("confirm-password-change", method, env=env)

    def assertInvalid(self, r):
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), INVALID_LINK)
        self.assertEqual(r.body, b"")

    def test_valid_link_redirects_to_the_form_with_a_form_token(self):
        link = self.token("link")
        for method, path in (("GET", "/%s/%s/"), ("HEAD", "/%s/%s")):
            before = now_ts()
            r = self.confirm(path % (uidb64(self.uid), link), method)
            self.assertEqual(r.status, 302, r.body)
            self.assertEqual(r.body, b"")
            self.assertNoCookieNoVary(r)
            m = re.fullmatch(r"http://front\.test/auth/password/change-password\?token=("
                             r"[A-Za-z0-9_-]{48}):([0-9a-z]+-[0-9a-f]{32})", r.header("Location"))
            self.assertIsNotNone(m, r.header("Location"))
            self.assertEqual(m.group(1), uidb64(self.uid))
            ts = int(m.group(2).split("-")[0], 36)
            # time() in C reads the coarse clock, up to a tick behind Python's time.time()
            self.assertTrue(before - 1 <= ts <= now_ts(), (before, ts))
            self.assertEqual(m.group(2), self.token("form", ts))
        # nothing was consumed: the link still works
        self.assertEqual(self.confirm("/%s/%s/" % (uidb64(self.uid), link)).status, 302)
        self.assertIn("change-password?token=",
                      self.confirm("/%s/%s/" % (uidb64(self.uid), link)).header("Location"))

    def test_wrong_purposes_are_invalid(self):
        for purpose in ("form", "activation"):
            self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid), self.token(purpose))))

    def test_expired_link_is_invalid_and_a_future_one_valid(self):
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid),
                                                     self.token("link", now_ts() - 601))))
        r = self.confirm("/%s/%s/" % (uidb64(self.uid), self.token("link", now_ts() - 500)))
        self.assertIn("change-password?token=", r.header("Location"))
        r = self.confirm("/%s/%s/" % (uidb64(self.uid), self.token("link", now_ts() + 3600)))
        self.assertIn("change-password?token=", r.header("Location"))

    def test_token_expiration_is_configurable(self):
        self.stack.set(TOKEN_EXPIRATION="60")
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid),
                                                     self.token("link", now_ts() - 120))))

    def test_malformed_links_are_invalid(self):
        good = self.token("link")
        u = uidb64(self.uid)
        cases = [None, "", "/", "/%s/" % u, "/%s/%s/extra/" % (u, good), "/bm90LWEtdXVpZA/%s/" % good,
                 "/%s/%s/" % (u.upper(), good), "/%s/%s/" % (u, good.upper()),
                 "/%s/%s/" % (u, good[:-1]), "/%s/%s/" % (u + "A", good), "//%s/" % good,
                 "/%s/%s//" % (u, good)]
        for path in cases:
            self.assertInvalid(self.confirm(path))

    def test_unknown_or_inactive_user_is_invalid(self):
        other = "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(other), self.token("link"))))
        link = self.token("link")
        self.stack.sql("UPDATE users_user SET is_active = 0")
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid), link)))

    def test_link_dies_on_password_change_and_on_login(self):
        link = self.token("link")
        self.stack.login(EMAIL)
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid), link)))
        link = self.token("link")
        self.stack.sql("UPDATE users_user SET password = 'pbkdf2_sha256$1$x$y'")
        self.assertInvalid(self.confirm("/%s/%s/" % (uidb64(self.uid), link)))

    def test_post_is_405_and_redis_is_not_needed(self):
        r = self.stack.cgi("confirm-password-change", "POST", b"{}")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
        self.stack.redis.stop()
        r = self.confirm("/%s/%s/" % (uidb64(self.uid), self.token("link")))
        self.assertIn("change-password?token=", r.header("Location"))

    def test_database_down_is_503_json(self):
        self.stack.set(DATABASE_URL=self.stack.unreachable_database_url())
        r = self.confirm("/%s/%s/" % (uidb64(self.uid), self.token("link")))
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))


class ChangeUserPasswordTest(ResetBase):
    def change(self, token, password=NEW_PASSWORD):
        return self.post("change-user-password", {"token": token, "password": password})

    def form(self, ts=None, uid=None):
        return "%s:%s" % (uidb64(uid or self.uid), self.token("form", ts, uid))

    def test_step1_absent_fields(self):
        for body in ({}, {"token": self.form()}, {"password": NEW_PASSWORD},
                     {"token": None, "password": NEW_PASSWORD}):
            r = self.post("change-user-password", body)
            self.assertEqual((r.status, r.json), (400, NEED_TOKEN))

    def test_step2_invalid_tokens(self):
        u = uidb64(self.uid)
        form = self.token("form")
        other = "3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"
        cases = ["", ":", form, u, "%s:%s:" % (u, form), "%s::%s" % (u, form),
                 "%s:%s" % (u, form) + " " * 70,                      # over 128 bytes
                 "bm90LWEtdXVpZA:%s" % form,
                 "%s:%s" % (uidb64(other), form),                     # no such user
                 "%s:%s" % (u, self.token("link")),                   # wrong purpose
                 "%s:%s" % (u, self.token("activation")),
                 "%s:%s" % (u, self.token("form", now_ts() - 601)),   # expired
                 "%s:%s" % (u, form[:-1] + ("0" if form[-1] != "0" else "1"))]
        pw_before = self.row()[0]
        for token in cases:
            r = self.change(token)
            self.assertEqual((r.status, r.json), (400, BAD_TOKEN), token)
            self.assertNoCookieNoVary(r)
        self.assertEqual(self.row()[0], pw_before)
        self.assertEqual(self.outbox(), [])

    def test_step2_inactive_user(self):
        token = self.form()
        self.stack.sql("UPDATE users_user SET is_active = 0")
        self.assertEqual(self.change(token).json, BAD_TOKEN)

    def test_step2_comes_before_the_policy(self):
        r = self.change("x:y", "short")
        self.assertEqual(r.json, BAD_TOKEN)

    def test_step3_redis_down_before_any_write(self):
        token = self.form()
        pw_before = self.row()[0]
        self.stack.redis.stop()
        r = self.change(token)
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.row()[0], pw_before)
        self.assertEqual(self.outbox(), [])

    def test_step4_policy_against_the_users_email(self):
        cases = [("short", "This password is too short. It must contain at least 8 characters."),
                 ("examplecom", "The password is too similar to the email."),
                 ("jsmith@example.com", "The password is too similar to the email."),
                 ("password", "This password is too common."),
                 ("8302749561029384", "This password is entirely numeric."),
                 ("x" * 4097, "This password is too long. It must not exceed 4096 bytes.")]
        token = self.form()
        for password, reason in cases:
            r = self.change(token, password)
            self.assertEqual((r.status, r.json), (400, {"error": reason}), password[:20])
        self.assertEqual(self.outbox(), [])
        # the token is still good after policy failures
        self.assertEqual(self.change(token).status, 200)

    def test_step5_changes_the_password_ends_sessions_and_clears_the_counter(self):
        _, t1 = self.stack.login(EMAIL)
        _, t2 = self.stack.login(EMAIL)
        self.stack.redis.cli("SET", "auth:rl:login-account:" + subject(EMAIL), "3")
        self.stack.redis.cli("SET", "auth:rl:login-addr:127.0.0.1", "3")
        token = self.form()
        r = self.change(token)
        self.assertEqual((r.status, r.json), (200, RESET_DONE))
        self.assertNoCookieNoVary(r)
        self.assertTrue(self.row()[0].startswith("argon2$argon2id$v=19$m=1024,t=1,p=1$"))
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), [])
        self.assertEqual(self.stack.redis.keys("auth:user:*"), [])
        self.assertEqual(self.stack.redis.keys("auth:rl:login-account:*"), [])
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:login-addr:127.0.0.1"), "3")
        (recipient, subj, text, not_after), = self.outbox()
        self.assertEqual((recipient, subj, not_after), (EMAIL, "Your password has been changed",
                                                        None))
        self.assertIn("http://front.test/auth/password/request-change", text)
        for t in (t1, t2):
            r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + t})
            self.assertEqual(r.status, 401)
        # the login with the new password works, the old one fails
        self.assertEqual(self.stack.login(EMAIL, NEW_PASSWORD)[0].status, 200)
        self.assertEqual(self.stack.login(EMAIL, PASSWORD)[0].status, 400)

    def test_token_is_single_use(self):
        token = self.form()
        self.assertEqual(self.change(token).status, 200)
        pw = self.row()[0]
        r = self.change(token, "yet another good passphrase")
        self.assertEqual((r.status, r.json), (400, BAD_TOKEN))
        self.assertEqual(self.row()[0], pw)
        self.assertEqual(len(self.outbox()), 1)

    def test_success_logs_without_secrets(self):
        token = self.form()
        r = self.change(token)
        self.assertEqual(r.status, 200)
        self.assertIn("password reset: user " + self.uid, r.stderr)
        self.assertNotIn(token.split(":")[1], r.stderr)
        self.assertNotIn(NEW_PASSWORD, r.stderr)

    def test_body_cap_is_16_kib(self):
        r = self.stack.cgi("change-user-password", "POST", b"{}", content_length="16385")
        self.assertEqual(r.status, 413)


class PasswordChangeTest(ResetBase):
    def setUp(self):
        super().setUp()
        r, self.cookie = self.stack.login(EMAIL)
        self.assertEqual(r.status, 200)

    def change(self, body, cookie=None):
        return self.post("password-change", body,
                         env={"HTTP_COOKIE": "sessionid=" + (cookie or self.cookie)})

    def current_user(self, cookie):
        return self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + cookie})

    def test_requires_a_session(self):
        r = self.stack.cgi("password-change", "POST", json.dumps(
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD}))
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [])
        r = self.change({"current_password": PASSWORD, "new_password": NEW_PASSWORD}, "0" * 64)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])

    def test_step1_absent_fields(self):
        for body in ({}, {"current_password": PASSWORD}, {"new_password": NEW_PASSWORD},
                     {"current_password": None, "new_password": NEW_PASSWORD}):
            r = self.change(body)
            self.assertEqual((r.status, r.json), (400, NEED_BOTH))
            self.assertEqual(r.header("Vary"), "Cookie")

    def test_step2_policy_comes_before_the_current_password(self):
        r = self.change({"current_password": "wrong", "new_password": "examplecom"})
        self.assertEqual((r.status, r.json), (400, {"error": "The password is too similar to the email."}))
        self.assertEqual(self.stack.redis.keys("auth:rl:*"), [])

    def test_step3_failure_counters_at_their_limit(self):
        for key in ("auth:rl:login-account:" + subject(EMAIL), "auth:rl:login-addr:127.0.0.1"):
            self.stack.redis.cli("SET", key, "99", "EX", "300")
            r = self.change({"current_password": PASSWORD, "new_password": NEW_PASSWORD})
            self.assertEqual((r.status, r.json), (429, LOGIN_TOO_MANY))
            self.assertTrue(1 <= int(r.header("Retry-After")) <= 300)
            self.stack.redis.cli("DEL", key)
        self.assertEqual(self.current_user(self.cookie).status, 200)

    def test_step4_wrong_current_password_counts_and_changes_nothing(self):
        pw = self.row()[0]
        for current in ("wrong password", "x" * 4097):
            r = self.change({"current_password": current, "new_password": NEW_PASSWORD})
            self.assertEqual((r.status, r.json), (400, WRONG_CURRENT))
            self.assertEqual(r.all("Set-Cookie"), [])
        self.assertEqual(self.row()[0], pw)
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:login-account:" + subject(EMAIL)), "2")
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:login-addr:127.0.0.1"), "2")
        self.assertEqual(self.current_user(self.cookie).status, 200)
        self.assertEqual(self.outbox(), [])
        self.assertNotIn("wrong password", r.stderr)

    def test_step5_new_session_for_the_caller_all_others_end(self):
        _, other = self.stack.login(EMAIL)
        self.stack.redis.cli("SET", "auth:rl:login-account:" + subject(EMAIL), "2")
        r = self.change({"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        self.assertEqual((r.status, r.json), (200, CHANGED))
        self.assertEqual(r.header("Vary"), "Cookie")
        cookies = r.all("Set-Cookie")
        self.assertEqual(len(cookies), 2)
        self.assertTrue(cookies[0].startswith("csrftoken="))
        self.assertRegex(cookies[1], r"^sessionid=[0-9a-f]{64}; expires=.*; HttpOnly; "
                                     r"Max-Age=1209600; Path=/; SameSite=Lax$")
        new = r.cookie("sessionid")
        self.assertNotIn(new, (self.cookie, other))
        self.assertEqual(self.current_user(self.cookie).status, 401)
        self.assertEqual(self.current_user(other).status, 401)
        self.assertEqual(self.current_user(new).status, 200)
        # only the new session is left, and the counter is gone
        self.assertEqual(self.stack.redis.keys("auth:sess:*"),
                         ["auth:sess:" + hashlib.sha256(new.encode()).hexdigest()])
        self.assertEqual(self.stack.redis.keys("auth:rl:login-account:*"), [])
        (recipient, subj, _, _), = self.outbox()
        self.assertEqual((recipient, subj), (EMAIL, "Your password has been changed"))
        self.assertIn("password changed: user " + self.uid, r.stderr)
        self.assertNotIn(NEW_PASSWORD, r.stderr)
        self.assertEqual(self.stack.login(EMAIL, NEW_PASSWORD)[0].status, 200)
        self.assertEqual(self.stack.login(EMAIL, PASSWORD)[0].status, 400)

    def test_reset_tokens_die_with_the_change(self):
        link, form = self.token("link"), self.token("form")
        r = self.change({"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        self.assertEqual(r.status, 200)
        r = self.post("change-user-password", {"token": "%s:%s" % (uidb64(self.uid), form),
                                               "password": "another fine passphrase"})
        self.assertEqual((r.status, r.json), (400, BAD_TOKEN))
        r = self.stack.cgi("confirm-password-change", "GET",
                           env={"PATH_INFO": "/%s/%s/" % (uidb64(self.uid), link)})
        self.assertEqual(r.header("Location"), INVALID_LINK)

    def test_body_cap_is_32_kib(self):
        r = self.stack.cgi("password-change", "POST", b"{}", content_length="32769",
                           env={"HTTP_COOKIE": "sessionid=" + self.cookie})
        self.assertEqual(r.status, 413)


if __name__ == "__main__":
    unittest.main()


class RedisFailsAfterCommitTest(ResetBase):
    """Redis refusing DEL (an ACL) makes the session cleanup fail after the password commit."""

    def setUp(self):
        super().setUp()
        r, self.cookie = self.stack.login(EMAIL)
        self.assertEqual(r.status, 200)

    def refuse_del(self, refuse):
        self.assertEqual(self.stack.redis.cli("ACL", "SETUSER", "default",
                                              "-del" if refuse else "+del"), "OK")

    def test_reset_still_answers_200_and_old_sessions_are_unusable(self):
        pw_before = self.row()[0]
        token = "%s:%s" % (uidb64(self.uid), self.token("form"))
        self.refuse_del(True)
        try:
            r = self.post("change-user-password", {"token": token, "password": NEW_PASSWORD})
        finally:
            self.refuse_del(False)
        self.assertEqual(r.status, 200)
        self.assertNotEqual(self.row()[0], pw_before)
        self.assertEqual(len(self.stack.redis.keys("auth:sess:*")), 1)   # not deleted...
        r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + self.cookie})
        self.assertEqual(r.status, 401)                                   # ...but unusable

    def test_logged_in_change_answers_503_without_cookie_and_the_password_holds(self):
        pw_before = self.row()[0]
        self.refuse_del(True)
        try:
            r = self.post("password-change", {"current_password": PASSWORD,
                                              "new_password": NEW_PASSWORD},
                          env={"HTTP_COOKIE": "sessionid=" + self.cookie})
        finally:
            self.refuse_del(False)
        self.assertEqual(r.status, 503)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertNotEqual(self.row()[0], pw_before)
        r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + self.cookie})
        self.assertEqual(r.status, 401)
        r, token = self.stack.login(EMAIL, NEW_PASSWORD)
        self.assertEqual(r.status, 200)
