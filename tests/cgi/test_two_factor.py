"""CGI pipe tests of two-factor authentication (API.md §11, §12.3): every row of the tables of
§11.3 and §11.4, replay of a time step, the failure counters and 429, the three e-mails, CR/LF/NUL
and oversized codes, single-use recovery codes, confirm ending the other sessions, `authctl
two-factor-reset`, and a database dump that holds neither a secret nor a recovery code.
TOTP codes are computed here from the secret the API hands out (RFC 6238 with hmac/struct)."""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import time
import unittest

from harness import PASSWORD, Stack

EMAIL = "john@example.com"
ACCOUNT = "auth:rl:login-account:" + hashlib.sha256(EMAIL.encode()).hexdigest()
ADDR = "auth:rl:login-addr:127.0.0.1"
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
TOO_MANY = {"error": "Too many failed login attempts. Please try again later"}
WRONG_PASSWORD = {"error": "Your current password is incorrect"}
CODE_INVALID = {"error": "The code is not valid"}
LOGIN_CODE_INVALID = {"error": "The two-factor code is not valid"}
CODE_REQUIRED = {"error": "Two-factor code required", "two_factor_required": True}
NO_MATCH = {"error": "Email and password do not match"}
NEED_PASSWORD = {"error": "Please provide your password"}
NEED_CODE = {"error": "Please provide the code"}
NEED_BOTH = {"error": "Please provide your password and a code"}
ALREADY = {"error": "Two-factor authentication is already enabled"}
NO_SETUP = {"error": "Start two-factor setup first"}
NOT_ENABLED = {"error": "Two-factor authentication is not enabled"}
ENABLED_MSG = "Two-factor authentication is enabled"
DISABLED = {"message": "Two-factor authentication is disabled"}
NEW_CODES_MSG = "New recovery codes have been generated"
CODE_RE = r"^[a-km-np-z2-9]{5}-[a-km-np-z2-9]{5}$"
WHEN_RE = r"[A-Z][a-z]+day [A-Z][a-z]+ \d\d, \d{4} at \d\d:\d\d:\d\d [AP]M UTC"


def totp(secret, t=None):
    """RFC 6238: HMAC-SHA1 over the 30-second step, dynamic truncation, 6 digits."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int(time.time() if t is None else t) // 30
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


class TotpVectorTest(unittest.TestCase):
    def test_the_helper_matches_the_vectors_of_11_1(self):
        seed = base64.b32encode(b"12345678901234567890").decode()
        self.assertEqual([totp(seed, t) for t in (59, 1111111109, 1234567890)],
                         ["287082", "081804", "005924"])


class Base(unittest.TestCase):
    config = {}

    def setUp(self):
        self.stack = Stack(**self.config)
        self.uid = self.stack.create_user(EMAIL)
        self.hex = self.uid.replace("-", "")
        self.token = self.login_ok()

    def tearDown(self):
        self.stack.stop()

    def login(self, code=None, password=PASSWORD, email=EMAIL, env=None, raw=None):
        body = {"email": email, "password": password}
        if code is not None:
            body["code"] = code
        r = self.stack.cgi("login", "POST", raw if raw is not None else json.dumps(body),
                           env=env)
        return r

    def login_ok(self, code=None):
        r = self.login(code)
        self.assertEqual(r.status, 200, r.body)
        return r.cookie("sessionid")

    def jar(self, token=None):
        return {"HTTP_COOKIE": "sessionid=" + (token or self.token)}

    def post(self, name, body, token=None, env=None):
        e = self.jar(token)
        if env:
            e.update(env)
        return self.stack.cgi(name, "POST", body if isinstance(body, (str, bytes))
                              else json.dumps(body), env=e)

    def status(self, token=None):
        r = self.stack.cgi("two-factor", "GET", env=self.jar(token))
        self.assertEqual(r.status, 200, r.body)
        return r.json

    def alive(self, token):
        return self.stack.cgi("current-user", "GET", env=self.jar(token)).status == 200

    def setup_secret(self):
        r = self.post("two-factor-setup", {"password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        return r.json["secret"]

    def enrol(self):
        secret = self.setup_secret()
        r = self.post("two-factor-confirm", {"code": totp(secret)})
        self.assertEqual(r.status, 200, r.body)
        return secret, r.json["recovery_codes"]

    def fresh_steps(self):
        """As if a minute had passed: the codes of now -1..+1 are no longer replays."""
        self.stack.sql("UPDATE auth_totp SET last_step = ?", (int(time.time()) // 30 - 2,))

    def counters(self, account, addr):
        self.stack.redis.cli("SET", ACCOUNT, str(account), "EX", "800")
        self.stack.redis.cli("SET", ADDR, str(addr), "EX", "700")

    def assert_counters(self, account, addr):
        self.assertEqual((self.stack.redis.cli("GET", ACCOUNT), self.stack.redis.cli("GET", ADDR)),
                         (account, addr))

    def outbox(self):
        return self.stack.sql("SELECT recipient, subject, body_text, body_html, not_after FROM "
                              "mail_outbox ORDER BY id")

    def last_login(self):
        return self.stack.sql("SELECT last_login FROM users_user WHERE id = ?", (self.hex,))[0][0]


class StatusTest(Base):
    def test_status_before_and_after_enrolment(self):
        r = self.stack.cgi("two-factor", "GET", env=self.jar())
        self.assertEqual((r.status, r.json), (200, {"enabled": False, "recovery_codes_left": 0}))
        self.assertEqual(r.body, b'{"enabled":false,"recovery_codes_left":0}')
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.setup_secret()
        # an unconfirmed secret is not "enabled"
        self.assertEqual(self.status(), {"enabled": False, "recovery_codes_left": 0})
        self.stack.sql("UPDATE auth_totp SET last_step = 0")
        _, codes = self.enrol()
        self.assertEqual(self.status(), {"enabled": True, "recovery_codes_left": 10})
        self.assertEqual(self.login(codes[0]).status, 200)
        self.assertEqual(self.status(), {"enabled": True, "recovery_codes_left": 9})

    def test_head_options_method_and_session(self):
        get = self.stack.cgi("two-factor", "GET", env=self.jar())
        head = self.stack.cgi("two-factor", "HEAD", env=self.jar())
        self.assertEqual((head.status, head.body), (200, b""))
        self.assertEqual(head.header("Content-Length"), get.header("Content-Length"))
        self.assertEqual(head.header("Vary"), "Cookie")
        r = self.stack.cgi("two-factor", "POST", "{}", env=self.jar())
        self.assertEqual((r.status, r.json, r.header("Allow")),
                         (405, {"error": "Method not allowed"}, "GET, HEAD, OPTIONS"))
        r = self.stack.cgi("two-factor", "OPTIONS")
        self.assertEqual((r.status, r.header("Allow")), (200, "GET, HEAD, OPTIONS"))
        r = self.stack.cgi("two-factor", "GET")
        self.assertEqual((r.status, r.json, r.header("Vary")), (401, NOT_LOGGED_IN, "Cookie"))

    def test_every_post_endpoint_needs_a_session_and_passes_the_origin_check(self):
        for name in ("two-factor-setup", "two-factor-confirm", "two-factor-disable",
                     "two-factor-recovery-codes"):
            r = self.stack.cgi(name, "POST", "{}")
            self.assertEqual((r.status, r.json, r.header("Vary")), (401, NOT_LOGGED_IN, "Cookie"),
                             name)
            r = self.post(name, {}, env={"HTTP_ORIGIN": "http://evil.test"})
            self.assertEqual((r.status, r.json), (403, {"error": "Cross-site request rejected"}),
                             name)
            r = self.stack.cgi(name, "GET", env=self.jar())
            self.assertEqual((r.status, r.header("Allow")), (405, "POST, OPTIONS"), name)
            # §9: a 4 KiB cap, never read past
            r = self.post(name, b"{" + b" " * 4094 + b"}")
            self.assertEqual(r.status, 400, name)
            self.assertNotEqual(r.json, {"error": "Request body too large"}, name)
            r = self.post(name, b"{" + b" " * 4096 + b"}")
            self.assertEqual((r.status, r.json), (413, {"error": "Request body too large"}), name)
            r = self.post(name, {"password": PASSWORD, "code": "123456", "extra": "x"})
            self.assertEqual((r.status, r.json),
                             (400, {"error": "Unknown field in request body"}), name)
            r = self.post(name, {"email": EMAIL})
            self.assertEqual((r.status, r.json),
                             (400, {"error": "Unknown field in request body"}), name)
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_totp"), [(0,)])


class SetupTest(Base):
    def test_step_1_password_absent(self):
        for body in ({}, {"password": None}):
            r = self.post("two-factor-setup", body)
            self.assertEqual((r.status, r.json), (400, NEED_PASSWORD))
        r = self.post("two-factor-setup", {"password": 5})
        self.assertEqual((r.status, r.json), (400, {"error": "The password field must be a string"}))
        self.assert_counters("", "")

    def test_step_3_wrong_password_counts_as_a_failed_login(self):
        r = self.post("two-factor-setup", {"password": "not my password"})
        self.assertEqual((r.status, r.json), (400, WRONG_PASSWORD))
        self.assert_counters("1", "1")
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_totp"), [(0,)])

    def test_step_4_secret_and_otpauth_uri(self):
        self.counters(2, 3)
        r = self.post("two-factor-setup", {"password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(r.all("Set-Cookie"), [])
        body = r.json
        self.assertEqual(list(body), ["secret", "otpauth_uri"])
        secret = body["secret"]
        self.assertRegex(secret, r"^[A-Z2-7]{32}$")
        self.assertEqual(len(base64.b32decode(secret)), 20)
        self.assertEqual(body["otpauth_uri"],
                         "otpauth://totp/front.test:john%40example.com?secret=" + secret +
                         "&issuer=front.test&algorithm=SHA1&digits=6&period=30")
        # a success settles the reservation as a login does
        self.assert_counters("", "3")
        # a new setup replaces the unconfirmed secret: the first one no longer confirms
        second = self.setup_secret()
        self.assertNotEqual(second, secret)
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_totp"), [(1,)])
        r = self.post("two-factor-confirm", {"code": totp(secret)})
        if totp(secret) != totp(second):
            self.assertEqual((r.status, r.json), (400, CODE_INVALID))
        r = self.post("two-factor-confirm", {"code": totp(second)})
        self.assertEqual(r.status, 200, r.body)

    def test_step_2_already_enabled_comes_before_the_password(self):
        self.enrol()
        self.counters(1, 1)
        for password in (PASSWORD, "wrong"):
            r = self.post("two-factor-setup", {"password": password})
            self.assertEqual((r.status, r.json), (409, ALREADY))
        # no verdict: the reservations were given back
        self.assert_counters("1", "1")

    def test_429_right_after_the_field_presence_step(self):
        self.enrol()
        self.counters(5, 2)
        r = self.post("two-factor-setup", {})
        self.assertEqual((r.status, r.json), (400, NEED_PASSWORD))
        r = self.post("two-factor-setup", {"password": PASSWORD})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))      # before the 409
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 800)
        self.assert_counters("5", "2")


class IssuerTest(Base):
    config = {"TOTP_ISSUER": "My App: Test/1"}

    def test_issuer_is_percent_encoded_in_both_places(self):
        r = self.post("two-factor-setup", {"password": PASSWORD})
        secret = r.json["secret"]
        self.assertEqual(r.json["otpauth_uri"],
                         "otpauth://totp/My%20App%3A%20Test%2F1:john%40example.com?secret=" +
                         secret + "&issuer=My%20App%3A%20Test%2F1&algorithm=SHA1&digits=6&period=30")


class ConfirmTest(Base):
    def test_step_1_code_absent(self):
        for body in ({}, {"code": None}):
            r = self.post("two-factor-confirm", body)
            self.assertEqual((r.status, r.json), (400, NEED_CODE))
        self.assert_counters("", "")

    def test_step_2_no_unconfirmed_secret(self):
        r = self.post("two-factor-confirm", {"code": "123456"})
        self.assertEqual((r.status, r.json), (409, NO_SETUP))
        self.assert_counters("", "")
        secret, _ = self.enrol()
        r = self.post("two-factor-confirm", {"code": totp(secret)})
        self.assertEqual((r.status, r.json), (409, NO_SETUP))
        self.assert_counters("", "")

    def test_step_3_codes_that_do_not_verify(self):
        secret = self.setup_secret()
        good = totp(secret)
        bad = [
            "%06d" % ((int(good) + 1) % 1000000),
            totp(secret, time.time() - 120),         # outside the ±1 step window
            good + "\n", good + "\r", "\n" + good, good[:3] + "\r\n" + good[3:],
            " " + good, good + "0", good[:5],
            "1" * 33,                                # over 32 bytes
            "9" * 4000,                              # far over, still within the 4 KiB cap
            "abcde-fghij",                           # a recovery code never confirms
            "",
        ]
        for n, code in enumerate(bad, 1):
            r = self.post("two-factor-confirm", {"code": code})
            self.assertEqual((r.status, r.json), (400, CODE_INVALID), repr(code))
            self.assert_counters("1", str(n))
            self.stack.redis.cli("DEL", ACCOUNT)         # stay under the account limit of 5
        r = self.post("two-factor-confirm", json.dumps({"code": good[:3] + "\u0000" + good[3:]}))
        self.assertEqual((r.status, r.json),
                         (400, {"error": "JSON strings must not contain NUL characters"}))
        self.assertEqual(self.stack.sql("SELECT confirmed_at FROM auth_totp"), [(None,)])
        self.assertEqual(self.outbox(), [])

    def test_step_4_enabled_codes_mail_and_other_sessions_end(self):
        other = self.login_ok()
        third = self.login_ok()
        secret = self.setup_secret()
        self.counters(2, 4)
        r = self.post("two-factor-confirm", {"code": totp(secret)})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(r.all("Set-Cookie"), [])
        body = r.json
        self.assertEqual(list(body), ["message", "recovery_codes"])
        self.assertEqual(body["message"], ENABLED_MSG)
        codes = body["recovery_codes"]
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        for c in codes:
            self.assertRegex(c, CODE_RE)
        self.assert_counters("", "4")
        # every other session ended, the caller's lives
        self.assertTrue(self.alive(self.token))
        self.assertFalse(self.alive(other))
        self.assertFalse(self.alive(third))
        # one transaction: confirmed_at, the step, the codes and the e-mail
        (confirmed, step), = self.stack.sql("SELECT confirmed_at, last_step FROM auth_totp")
        self.assertIsNotNone(confirmed)
        self.assertIn(step, (int(time.time()) // 30, int(time.time()) // 30 - 1))
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code WHERE "
                                        "used_at IS NULL"), [(10,)])
        (rcpt, subject, text, html, not_after), = self.outbox()
        self.assertEqual((rcpt, subject, not_after), (EMAIL, "Two-factor authentication is on", None))
        for part in (text, html):
            self.assertRegex(part, "Two-factor authentication was turned on for your account "
                             "john@example.com on " + WHEN_RE + r"\.")
        # the confirming code cannot log in afterwards (its step is the last accepted one)
        r = self.login(totp(secret))
        self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        self.assertEqual(r.all("Set-Cookie"), [])

    def test_429_before_the_409(self):
        self.counters(0, 50)
        r = self.post("two-factor-confirm", {"code": "123456"})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 700)


class LoginTest(Base):
    def test_without_two_factor_code_is_ignored(self):
        for code in ("", "123456", "x" * 5000, "\r\n", None):
            r = self.login(code)
            self.assertEqual(r.status, 200, (code, r.body))
            self.assertEqual(len(r.all("Set-Cookie")), 2)
        # an unconfirmed secret is not a second factor
        self.setup_secret()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.login("000000").status, 200)
        r = self.login(5)
        self.assertEqual((r.status, r.json), (400, {"error": "The code field must be a string"}))

    def test_code_absent_is_401_without_cookie_or_count(self):
        self.enrol()
        before = self.last_login()
        self.counters(2, 3)
        for body in ({"email": EMAIL, "password": PASSWORD},
                     {"email": EMAIL, "password": PASSWORD, "code": None}):
            r = self.login(raw=json.dumps(body), env=self.jar())
            self.assertEqual((r.status, r.json), (401, CODE_REQUIRED))
            self.assertEqual(r.body, b'{"error":"Two-factor code required","two_factor_required":true}')
            self.assertEqual(r.all("Set-Cookie"), [])
            self.assertEqual(r.header("Vary"), "Cookie")
        self.assert_counters("2", "3")
        self.assertEqual(self.last_login(), before)
        # the session named by the cookie is not ended before the second factor
        self.assertTrue(self.alive(self.token))

    def test_a_wrong_password_never_reveals_the_second_factor(self):
        self.enrol()
        for code in (None, "123456"):
            r = self.login(code, password="wrong")
            self.assertEqual((r.status, r.json), (400, NO_MATCH))
        self.assert_counters("2", "2")

    def test_bad_codes_are_400_and_count_on_both_counters(self):
        secret, codes = self.enrol()
        before = self.last_login()
        good = totp(secret, time.time() + 30)
        bad = ["%06d" % ((int(good) + 7) % 1000000), totp(secret),   # wrong; replayed step
               totp(secret, time.time() + 90), good + "\n", "\r" + good, good + "\r\n",
               codes[0] + "\n", "1" * 33, "x" * 4000, "", "zzzzz-zzzzz"]
        for n, code in enumerate(bad, 1):
            r = self.login(code, env=self.jar())
            self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID), repr(code))
            self.assertEqual(r.all("Set-Cookie"), [])
            self.stack.redis.cli("DEL", ACCOUNT)         # stay under the account limit of 5
            self.assertEqual(self.stack.redis.cli("GET", ADDR), str(n))
        r = self.login(code=good[:3] + "\u0000" + good[3:])
        self.assertEqual((r.status, r.json),
                         (400, {"error": "JSON strings must not contain NUL characters"}))
        self.assertEqual(self.last_login(), before)
        self.assertTrue(self.alive(self.token))
        self.counters(0, 0)
        r = self.login("000000" if good != "000000" else "111111")
        self.assert_counters("1", "1")
        # the good code still works: nothing was consumed by the failures
        r = self.login(good)
        self.assertEqual(r.status, 200, r.body)
        self.assert_counters("", "1")     # the failure's count stays; the success's comes back

    def test_totp_login_and_replay(self):
        secret, _ = self.enrol()
        self.fresh_steps()
        code = totp(secret)
        r = self.login(code, env=self.jar())
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json["email"], EMAIL)
        names = [v.split("=")[0] for v in r.all("Set-Cookie")]
        self.assertEqual(names, ["csrftoken", "sessionid"])
        self.assertTrue(self.alive(r.cookie("sessionid")))
        # §7.4 step 4.4 happened with the verified code: the old session ended
        self.assertFalse(self.alive(self.token))
        self.assertIsNotNone(self.last_login())
        # the same step again is a replay, even with a correct password
        r = self.login(code)
        self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        # and so is any earlier step of the window
        r = self.login(totp(secret, time.time() - 30))
        self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        self.assertEqual(self.outbox()[-1][1], "Two-factor authentication is on")   # no new mail

    def test_recovery_code_login_is_single_use_and_mails(self):
        _, codes = self.enrol()
        before = self.last_login()
        r = self.login(codes[0])
        self.assertEqual(r.status, 200, r.body)
        self.assertNotEqual(self.last_login(), before)
        (rcpt, subject, text, html, not_after) = self.outbox()[-1]
        self.assertEqual((rcpt, subject, not_after), (EMAIL, "A recovery code was used", None))
        for part in (text, html):
            self.assertRegex(part, "A recovery code was used to sign in to your account "
                             "john@example.com on " + WHEN_RE + r"\. You have 9 recovery codes "
                             r"left\.")
        for part in (text, html):
            for c in codes:
                self.assertNotIn(c, part)
        r = self.login(codes[0])
        self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        # input is compared after removing spaces and '-' and lower-casing
        r = self.login(" " + codes[1].upper().replace("-", " "))
        self.assertEqual(r.status, 200, r.body)
        self.assertIn("You have 8 recovery codes left.", self.outbox()[-1][2])
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code WHERE "
                                        "used_at IS NOT NULL"), [(2,)])
        self.assertEqual(self.status(r.cookie("sessionid")),
                         {"enabled": True, "recovery_codes_left": 8})

    def test_429_before_the_password_and_code(self):
        secret, codes = self.enrol()
        self.counters(5, 0)
        r = self.login(codes[0])
        self.assertEqual((r.status, r.json), (429, TOO_MANY))
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code WHERE "
                                        "used_at IS NOT NULL"), [(0,)])

    def test_no_hash_upgrade_before_the_code_verifies(self):
        _, codes = self.enrol()
        # a stored PBKDF2 hash of the same password: a successful login upgrades it (§2.7)
        salt = "abcdefghijklmnop"
        dk = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), salt.encode(), 1000)
        old = "pbkdf2_sha256$1000$%s$%s" % (salt, base64.b64encode(dk).decode())
        self.stack.sql("UPDATE users_user SET password = ? WHERE id = ?", (old, self.hex))
        for code in (None, "zzzzz-zzzzz"):
            self.login(code)
            self.assertEqual(self.stack.sql("SELECT password FROM users_user"), [(old,)])
        r = self.login(codes[2])
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(self.stack.sql("SELECT password FROM users_user")[0][0]
                        .startswith("argon2$"))


class DisableTest(Base):
    def test_step_1_fields_absent(self):
        for body in ({}, {"password": PASSWORD}, {"code": "123456"},
                     {"password": None, "code": "123456"}):
            r = self.post("two-factor-disable", body)
            self.assertEqual((r.status, r.json), (400, NEED_BOTH), body)
        self.assert_counters("", "")

    def test_refusals_in_order(self):
        r = self.post("two-factor-disable", {"password": "wrong", "code": "x"})
        self.assertEqual((r.status, r.json), (409, NOT_ENABLED))
        self.assert_counters("", "")
        secret, codes = self.enrol()
        r = self.post("two-factor-disable", {"password": "wrong", "code": codes[0]})
        self.assertEqual((r.status, r.json), (400, WRONG_PASSWORD))
        self.assert_counters("1", "1")
        for n, code in enumerate(["zzzzz-zzzzz", totp(secret), codes[0] + "\n", "7" * 33], 2):
            r = self.post("two-factor-disable", {"password": PASSWORD, "code": code})
            self.assertEqual((r.status, r.json), (400, CODE_INVALID), code)
            self.assert_counters(str(n), str(n))
        self.assertEqual(self.status(), {"enabled": True, "recovery_codes_left": 10})
        self.counters(5, 0)
        r = self.post("two-factor-disable", {"password": PASSWORD, "code": codes[0]})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))

    def test_disabled_with_a_totp(self):
        secret, _ = self.enrol()
        other = self.login_ok(totp(secret, time.time() + 30))
        self.fresh_steps()
        r = self.post("two-factor-disable", {"password": PASSWORD, "code": totp(secret)})
        self.assertEqual((r.status, r.json), (200, DISABLED))
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_totp"), [(0,)])
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code"), [(0,)])
        # disabling ends no session
        self.assertTrue(self.alive(self.token))
        self.assertTrue(self.alive(other))
        (rcpt, subject, text, html, not_after) = self.outbox()[-1]
        self.assertEqual((rcpt, subject, not_after), (EMAIL, "Two-factor authentication is off", None))
        self.assertRegex(text, "Two-factor authentication was turned off for your account "
                         "john@example.com on " + WHEN_RE + r"\. If you did not do this, change "
                         "your password now:\nhttp://front.test/auth/password/request-change\n")
        self.assertIn('href="http://front.test/auth/password/request-change"', html)
        # login is back to one factor
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.status(), {"enabled": False, "recovery_codes_left": 0})

    def test_disabled_with_a_recovery_code(self):
        _, codes = self.enrol()
        r = self.post("two-factor-disable", {"password": PASSWORD, "code": codes[9]})
        self.assertEqual((r.status, r.json), (200, DISABLED))
        r = self.post("two-factor-disable", {"password": PASSWORD, "code": codes[8]})
        self.assertEqual((r.status, r.json), (409, NOT_ENABLED))


class RecoveryCodesTest(Base):
    def test_refusals(self):
        r = self.post("two-factor-recovery-codes", {"password": PASSWORD})
        self.assertEqual((r.status, r.json), (400, NEED_BOTH))
        r = self.post("two-factor-recovery-codes", {"password": PASSWORD, "code": "123456"})
        self.assertEqual((r.status, r.json), (409, NOT_ENABLED))
        _, codes = self.enrol()
        r = self.post("two-factor-recovery-codes", {"password": "wrong", "code": codes[0]})
        self.assertEqual((r.status, r.json), (400, WRONG_PASSWORD))
        r = self.post("two-factor-recovery-codes", {"password": PASSWORD, "code": "zzzzz-zzzzz"})
        self.assertEqual((r.status, r.json), (400, CODE_INVALID))
        self.assert_counters("2", "2")

    def test_new_set_replaces_the_old_one(self):
        secret, old = self.enrol()
        self.assertEqual(self.login(old[0]).status, 200)
        self.fresh_steps()
        self.counters(3, 3)
        r = self.post("two-factor-recovery-codes", {"password": PASSWORD, "code": totp(secret)})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(list(r.json), ["message", "recovery_codes"])
        self.assertEqual(r.json["message"], NEW_CODES_MSG)
        new = r.json["recovery_codes"]
        self.assertEqual(len(set(new)), 10)
        for c in new:
            self.assertRegex(c, CODE_RE)
        self.assertFalse(set(new) & set(old))
        self.assert_counters("", "3")
        self.assertEqual(self.status(), {"enabled": True, "recovery_codes_left": 10})
        for c in old[1:3]:
            r = self.login(c)
            self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        self.assertEqual(self.login(new[4]).status, 200)
        # a recovery code can authorise a new set too
        r = self.post("two-factor-recovery-codes", {"password": PASSWORD, "code": new[5]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code"), [(10,)])


class AdminResetTest(Base):
    def test_two_factor_reset_removes_it_and_ends_sessions(self):
        secret, _ = self.enrol()
        other = self.login_ok(totp(secret, time.time() + 30))
        out = self.stack.authctl("two-factor-reset", " John@Example.com ")
        self.assertIn("two-factor authentication removed for john@example.com", out.stdout)
        self.assertIn("ended 2 session(s)", out.stdout)
        self.assertFalse(self.alive(self.token))
        self.assertFalse(self.alive(other))
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_totp"), [(0,)])
        self.assertEqual(self.stack.sql("SELECT count(*) FROM auth_recovery_code"), [(0,)])
        self.assertEqual(self.login().status, 200)
        out = self.stack.authctl("two-factor-reset", "nobody@example.com", check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("no such user", out.stderr)
        out = self.stack.authctl("two-factor-reset", check=False)
        self.assertEqual(out.returncode, 2)


class AtRestTest(Base):
    """§11.1: a database dump alone reveals no secret and no recovery code."""

    def dump(self):
        if self.stack.engine == "postgres":
            con = self.stack.connect()
            try:
                cur = con.cursor()
                cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                text = []
                for (t,) in cur.fetchall():
                    cur.execute('SELECT t::text FROM "%s" t' % t)
                    text += [row[0] for row in cur.fetchall()]
                return "\n".join(text).encode()
            finally:
                con.close()
        con = __import__("sqlite3").connect(self.stack.db_path)
        try:
            text = "\n".join(con.iterdump()).encode()
        finally:
            con.close()
        raw = b""
        for suffix in ("", "-wal"):
            if os.path.exists(self.stack.db_path + suffix):
                with open(self.stack.db_path + suffix, "rb") as f:
                    raw += f.read()
        return text + b"\n" + raw

    def assert_absent(self, dump, secret, codes):
        key = base64.b32decode(secret)
        for needle in (secret.encode(), secret.lower().encode(), key, key.hex().encode(),
                       base64.b64encode(key)):
            self.assertNotIn(needle, dump)
        for c in codes:
            self.assertNotIn(c.encode(), dump)
            self.assertNotIn(c.replace("-", "").encode(), dump)

    def test_dump_holds_no_secret_and_no_recovery_code(self):
        secret, codes = self.enrol()
        dump = self.dump()
        self.assertIn(b"auth_totp" if self.stack.engine == "sqlite" else self.hex.encode()[:8],
                      dump)
        self.assert_absent(dump, secret, codes)
        # the stored forms: base64(nonce | ciphertext | tag) and SHA-256 hex of the codes
        (stored,), = self.stack.sql("SELECT secret FROM auth_totp")
        raw = base64.b64decode(stored)
        self.assertEqual(len(raw), 12 + 20 + 16)
        hashes = sorted(h for (h,) in self.stack.sql("SELECT code_hash FROM auth_recovery_code"))
        self.assertEqual(hashes, sorted(hashlib.sha256(c.replace("-", "").encode()).hexdigest()
                                        for c in codes))
        # with the key of §11.1 the stored value opens to the secret (AES-256-GCM)
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError:
            AESGCM = None
        if AESGCM:
            from harness import SECRET
            inner = hashlib.sha256(b"auth.totp" + SECRET.encode()).digest()
            k = hmac.new(inner, b"encryption", hashlib.sha256).digest()
            self.assertEqual(AESGCM(k).decrypt(raw[:12], raw[12:], None), base64.b32decode(secret))
        # a fresh nonce per write: setting up again stores another value
        self.stack.sql("DELETE FROM auth_recovery_code")
        self.stack.sql("UPDATE auth_totp SET confirmed_at = NULL")
        s2 = self.setup_secret()
        (stored2,), = self.stack.sql("SELECT secret FROM auth_totp")
        self.assertNotEqual(base64.b64decode(stored2)[:12], raw[:12])
        self.assert_absent(self.dump(), s2, [])

    def test_secret_key_change_leaves_recovery_codes(self):
        secret, codes = self.enrol()
        self.stack.set(SECRET_KEY="another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
        self.fresh_steps()
        r = self.login(totp(secret))
        self.assertEqual((r.status, r.json), (400, LOGIN_CODE_INVALID))
        self.assertEqual(self.login(codes[0]).status, 200)


if __name__ == "__main__":
    unittest.main()
