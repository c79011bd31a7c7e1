"""CGI pipe tests of login, logout and current-user (API.md §3, §4, §7.4, §7.5, §7.9)."""
import base64
import hashlib
import hmac
import json
import re
import time
import unittest

from harness import PASSWORD, SECRET, Stack

NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
NO_MATCH = {"error": "Email and password do not match"}
DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
# A Django PBKDF2 hash with few iterations, so the test stays fast under valgrind.
PBKDF2 = "pbkdf2_sha256$1000$abcdefghijklmnopqrstuv$" + base64.b64encode(hashlib.pbkdf2_hmac(
    "sha256", PASSWORD.encode(), b"abcdefghijklmnopqrstuv", 1000)).decode()
COOKIE_RE = (r"^%s=%s; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; HttpOnly; "
             r"Max-Age=%d; Path=/; SameSite=Lax$")


def fingerprint(password_column):
    key = hashlib.sha256(b"auth.session.password" + SECRET.encode()).digest()
    return hmac.new(key, password_column.encode(), hashlib.sha256).hexdigest()


class LoginTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user("John@Example.com")

    def tearDown(self):
        self.stack.stop()

    def cookie_env(self, token):
        return {"HTTP_COOKIE": "sessionid=" + token}

    def test_login_returns_the_user_and_both_cookies_in_order(self):
        r, token = self.stack.login("  john@EXAMPLE.com ")
        self.assertEqual(r.status, 200, r.body)
        user = r.json
        self.assertEqual(list(user), ["id", "email", "first_name", "last_name", "is_staff",
                                      "is_active", "date_joined", "thumbnail", "profile"])
        self.assertEqual(user["id"], self.uid)
        self.assertEqual(user["email"], "John@example.com")
        self.assertIs(user["is_active"], True)
        self.assertIsNone(user["thumbnail"])
        self.assertEqual(list(user["profile"]), ["id", "user_id", "phone_number", "github_link",
                                                 "birth_date"])
        self.assertEqual(user["profile"]["user_id"], self.uid)
        self.assertRegex(user["date_joined"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
        cookies = r.all("Set-Cookie")
        self.assertEqual(len(cookies), 2)
        self.assertRegex(cookies[0], COOKIE_RE % ("csrftoken", "[A-Za-z0-9]{32}", 31449600))
        self.assertRegex(cookies[1], COOKIE_RE % ("sessionid", "[0-9a-f]{64}", 1209600))
        self.assertEqual(r.header("Vary"), "Cookie")
        # last_login recorded
        (last,), = self.stack.sql("SELECT last_login FROM users_user")
        self.assertIsNotNone(last)

    def test_redis_holds_only_the_token_hash(self):
        r, token = self.stack.login()
        h = hashlib.sha256(token.encode()).hexdigest()
        keys = self.stack.redis.keys("auth:*")
        self.assertIn("auth:sess:" + h, keys)
        self.assertIn("auth:user:" + self.uid, keys)
        dump = "".join(self.stack.redis.cli("HGETALL", k) for k in keys if k.startswith("auth:sess"))
        dump += self.stack.redis.cli("HGETALL", "auth:user:" + self.uid)
        self.assertNotIn(token, dump)
        sess = self.stack.redis.cli("HGETALL", "auth:sess:" + h).split("\n")
        fields = dict(zip(sess[::2], sess[1::2]))
        self.assertEqual(fields["uid"], self.uid)
        self.assertRegex(fields["sid"], "^[0-9a-f]{32}$")
        (pw,), = self.stack.sql("SELECT password FROM users_user")
        self.assertEqual(fields["pwd"], fingerprint(pw))
        ttl = int(self.stack.redis.cli("TTL", "auth:sess:" + h))
        self.assertTrue(1209000 < ttl <= 1209600)
        self.assertEqual(self.stack.redis.cli("HGET", "auth:user:" + self.uid, fields["sid"]), h)

    def test_current_user_and_logout_journey(self):
        r, token = self.stack.login()
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(token))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["id"], self.uid)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertEqual(r.header("Vary"), "Cookie")
        r = self.stack.cgi("logout", "POST", env=self.cookie_env(token))
        self.assertEqual((r.status, r.json), (200, {"message": "You have successfully logged out"}))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), [])
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(token))
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])

    def test_unauthenticated_current_user(self):
        r = self.stack.cgi("current-user", "GET")
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [])
        for cookie in ("sessionid=undefined", "sessionid=" + "A" * 64,
                       "sessionid=%s; sessionid=%s" % ("a" * 64, "b" * 64)):
            r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": cookie})
            self.assertEqual(r.status, 401, cookie)
            self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE], cookie)

    def test_quoted_cookie_value_is_unwrapped(self):
        r, token = self.stack.login()
        r = self.stack.cgi("current-user", "GET",
                           env={"HTTP_COOKIE": 'csrftoken=x; sessionid="%s"' % token})
        self.assertEqual(r.status, 200)

    def test_logout_variants(self):
        r = self.stack.cgi("logout", "POST")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.all("Set-Cookie"), [])
        r = self.stack.cgi("logout", "POST", env={"HTTP_COOKIE": "sessionid=undefined"})
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        r = self.stack.cgi("logout", "POST", env={"HTTP_COOKIE": "sessionid=" + "c" * 64})
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])

    def test_failures_are_indistinguishable(self):
        self.stack.create_user("inactive@example.com", active=False)
        cases = [("nobody@example.com", PASSWORD), ("john@example.com", "wrong password"),
                 ("john@example.com", "x" * 4097), ("inactive@example.com", PASSWORD),
                 ("not an address", PASSWORD)]
        names = None
        for email, password in cases:
            r, token = self.stack.login(email, password)
            self.assertEqual((r.status, r.json), (400, NO_MATCH), email)
            self.assertIsNone(token)
            names = names or [n for n, _ in r.headers]
            self.assertEqual([n for n, _ in r.headers], names, email)

    def test_missing_fields(self):
        for body in ({}, {"email": "a@b.co"}, {"password": "x"}, {"email": None, "password": "x"}):
            r = self.stack.cgi("login", "POST", json.dumps(body))
            self.assertEqual((r.status, r.json), (400, {"error": "Please provide email and password"}))

    def test_failed_logins_trip_the_account_limit(self):
        for _ in range(5):
            r, _ = self.stack.login(password="wrong")
            self.assertEqual(r.status, 400)
        r, _ = self.stack.login()
        self.assertEqual(r.status, 429)
        self.assertEqual(r.json, {"error": "Too many failed login attempts. Please try again later"})
        self.assertTrue(0 < int(r.header("Retry-After")) <= 900)
        self.assertIn("rate limit", r.stderr)

    def test_success_clears_the_account_counter(self):
        for _ in range(4):
            self.stack.login(password="wrong")
        r, _ = self.stack.login()
        self.assertEqual(r.status, 200)
        for _ in range(4):
            self.stack.login(password="wrong")
        r, _ = self.stack.login()
        self.assertEqual(r.status, 200)

    def test_login_ends_the_previous_session(self):
        r, first = self.stack.login()
        r, second = self.stack.login(env=self.cookie_env(first))
        self.assertNotEqual(first, second)
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(first))
        self.assertEqual(r.status, 401)
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(second))
        self.assertEqual(r.status, 200)

    def test_pbkdf2_hash_is_upgraded_and_sessions_survive(self):
        self.stack.sql("UPDATE users_user SET password=?", (PBKDF2,))
        r, first = self.stack.login()
        self.assertEqual(r.status, 200)
        (pw,), = self.stack.sql("SELECT password FROM users_user")
        self.assertTrue(pw.startswith("argon2$argon2id$v=19$m=1024,t=1,p=1$"), pw)
        r, second = self.stack.login()
        self.assertEqual(r.status, 200)
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(first))
        self.assertEqual(r.status, 200)

    def test_deactivated_or_password_changed_user_loses_sessions(self):
        r, token = self.stack.login()
        self.stack.sql("UPDATE users_user SET password='!unusable'")
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(token))
        self.assertEqual(r.status, 401)
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), [])

    def test_authctl_deactivate_ends_every_session(self):
        self.stack.login()
        self.stack.login()
        self.assertEqual(len(self.stack.redis.keys("auth:sess:*")), 2)
        out = self.stack.authctl("deactivate", "john@example.com")
        self.assertIn("ended 2 session(s)", out.stdout)
        self.assertEqual(self.stack.redis.keys("auth:*"), [])

    def test_idle_timeout(self):
        self.stack.set(SESSION_IDLE_TIMEOUT="1")
        r, token = self.stack.login()
        h = hashlib.sha256(token.encode()).hexdigest()
        self.stack.redis.cli("HSET", "auth:sess:" + h, "seen", str(int(time.time()) - 5))
        r = self.stack.cgi("current-user", "GET", env=self.cookie_env(token))
        self.assertEqual(r.status, 401)

    def test_seen_is_refreshed_after_a_minute(self):
        r, token = self.stack.login()
        h = hashlib.sha256(token.encode()).hexdigest()
        old = int(time.time()) - 120
        self.stack.redis.cli("HSET", "auth:sess:" + h, "seen", str(old))
        self.stack.cgi("current-user", "GET", env=self.cookie_env(token))
        self.assertGreater(int(self.stack.redis.cli("HGET", "auth:sess:" + h, "seen")), old)

    def test_secure_cookies(self):
        r, _ = self.stack.login(env={"HTTPS": "on"})
        self.assertTrue(all(c.endswith("; Secure") for c in r.all("Set-Cookie")))
        self.stack.set(SESSION_COOKIE_SECURE="false")
        r, _ = self.stack.login(env={"HTTPS": "on"})
        self.assertFalse(any("Secure" in c for c in r.all("Set-Cookie")))
        self.stack.set(SESSION_COOKIE_SECURE="true")
        r, _ = self.stack.login()
        self.assertTrue(all(c.endswith("; Secure") for c in r.all("Set-Cookie")))

    def test_no_secret_in_logs(self):
        r, token = self.stack.login()
        logs = r.stderr
        r2, _ = self.stack.login(password="a wrong secret password")
        logs += r2.stderr
        r3 = self.stack.cgi("logout", "POST", env=self.cookie_env(token))
        logs += r3.stderr
        self.assertIn("login", logs)
        for secret in (token, PASSWORD, "a wrong secret password", SECRET):
            self.assertNotIn(secret, logs)

    def test_user_agent_and_address_recorded(self):
        r, token = self.stack.login(env={"HTTP_USER_AGENT": "Agent\x01/" + "é" * 200,
                                         "REMOTE_ADDR": "203.0.113.7"})
        h = hashlib.sha256(token.encode()).hexdigest()
        ua = self.stack.redis.cli("HGET", "auth:sess:" + h, "ua")
        self.assertTrue(ua.startswith("Agent/é"))
        self.assertLessEqual(len(ua.encode()), 256)
        self.assertEqual(self.stack.redis.cli("HGET", "auth:sess:" + h, "ip"), "203.0.113.7")


if __name__ == "__main__":
    unittest.main()
