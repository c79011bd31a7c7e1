"""CGI pipe tests of GET /users/export/ and `authctl export` (API.md §12.2): the document, its
headers, HEAD, and that it holds no secret (password hash, session token, second-factor secret or
recovery code)."""
import base64
import hashlib
import json
import re
import unittest

from harness import PASSWORD, Stack
from totp_store import enable_two_factor

EMAIL = "john@example.com"
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
TIME_RE = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?\+00:00$"
USER_KEYS = ["id", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined",
             "thumbnail", "profile"]
SESSION_KEYS = ["id", "current", "created_at", "last_seen_at", "expires_at", "ip_address",
                "user_agent"]


def h(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ExportTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user(EMAIL)
        self.stack.create_user("jane@example.com")
        self.other = self.login("127.0.0.1", "Agent Other")
        self.token = self.login("203.0.113.7", "Agent Me")
        self.jane = self.stack.login("jane@example.com")[1]

    def tearDown(self):
        self.stack.stop()

    def login(self, addr, ua):
        r, token = self.stack.login(EMAIL, env={"REMOTE_ADDR": addr, "HTTP_USER_AGENT": ua})
        self.assertEqual(r.status, 200, r.body)
        return token

    def export(self, method="GET", token=None, env=None):
        e = {"HTTP_COOKIE": "sessionid=" + (token or self.token)}
        e.update(env or {})
        return self.stack.cgi("export", method, env=e)

    def test_requires_a_session(self):
        r = self.stack.cgi("export", "GET")
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertIsNone(r.header("Content-Disposition"))
        r = self.export(token="undefined")
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])

    def test_the_document(self):
        r = self.export()
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.header("Content-Disposition"),
                         'attachment; filename="account-%s.json"' % self.uid)
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.all("Set-Cookie"), [])
        doc = r.json
        self.assertEqual(list(doc), ["exported_at", "user", "last_login", "two_factor", "sessions"])
        self.assertRegex(doc["exported_at"], TIME_RE)
        self.assertRegex(doc["last_login"], TIME_RE)
        # the user JSON of §3, exactly as current-user answers it
        current = self.stack.cgi("current-user", "GET",
                                 env={"HTTP_COOKIE": "sessionid=" + self.token}).json
        self.assertEqual(list(doc["user"]), USER_KEYS)
        self.assertEqual(doc["user"], current)
        self.assertEqual(doc["two_factor"], {"enabled": False, "recovery_codes_left": 0})
        # the sessions of §7.13: the caller's first, then the others, and none of another user
        sessions = doc["sessions"]
        self.assertEqual(len(sessions), 2)
        self.assertEqual([s["current"] for s in sessions], [True, False])
        for s in sessions:
            self.assertEqual(list(s), SESSION_KEYS)
        self.assertEqual(sessions[0]["ip_address"], "203.0.113.7")
        self.assertEqual(sessions[0]["user_agent"], "Agent Me")
        self.assertEqual(sessions[1]["user_agent"], "Agent Other")
        listed = self.stack.cgi("sessions", "GET",
                                env={"HTTP_COOKIE": "sessionid=" + self.token}).json["sessions"]
        self.assertEqual([s["id"] for s in sessions], [s["id"] for s in listed])

    def test_last_login_null_and_profile_created(self):
        """A user who never logged in (authctl export) and has no profile row yet."""
        uid = self.stack.create_user("never@example.com")
        self.stack.sql("DELETE FROM user_profile WHERE user_id = ?", (uid.replace("-", ""),))
        out = self.stack.authctl("export", "never@example.com")
        doc = json.loads(out.stdout)
        self.assertIsNone(doc["last_login"])
        self.assertEqual(doc["sessions"], [])
        self.assertEqual(doc["user"]["id"], uid)
        self.assertRegex(doc["user"]["profile"]["id"], "^[0-9a-f-]{36}$")
        self.assertEqual(len(self.stack.sql("SELECT 1 FROM user_profile WHERE user_id = ?",
                                            (uid.replace("-", ""),))), 1)

    def test_head_and_options(self):
        get = self.export()
        r = self.export("HEAD")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.header("Content-Length"), get.header("Content-Length"))
        self.assertEqual(r.header("Content-Disposition"), get.header("Content-Disposition"))
        r = self.stack.cgi("export", "OPTIONS")
        self.assertEqual((r.status, r.header("Allow")), (200, "GET, HEAD, OPTIONS"))
        r = self.stack.cgi("export", "POST", b"{}", env={"HTTP_COOKIE": "sessionid=" + self.token})
        self.assertEqual((r.status, r.json), (405, {"error": "Method not allowed"}))
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")

    def test_no_secret_leaks(self):
        (pw,), = self.stack.sql("SELECT password FROM users_user WHERE email = ?", (EMAIL,))
        secrets = [pw, pw.split("$")[-1], pw.split("$")[-2], PASSWORD, self.token, self.other,
                   self.jane, h(self.token), h(self.other), h(self.jane)]
        fingerprint = self.stack.redis.cli("HGET", "auth:sess:" + h(self.token), "pwd")
        self.assertRegex(fingerprint, "^[0-9a-f]{64}$")
        secrets.append(fingerprint)
        for text in (self.export().body.decode(), self.stack.authctl("export", EMAIL).stdout):
            for secret in secrets:
                self.assertNotIn(secret, text)
            self.assertNotIn("password", text)
            # no 64-hex value at all (session hashes, tokens, fingerprints)
            self.assertIsNone(re.search(r"[0-9a-f]{64}", text))

    def test_two_factor_state_and_no_second_factor_secret(self):
        secret, sealed, codes = enable_two_factor(self.stack, self.uid)
        self.stack.sql("UPDATE auth_recovery_code SET used_at = ? WHERE code_hash = ?",
                       ("2026-01-01 00:00:00",
                        hashlib.sha256(codes[0].replace("-", "").encode()).hexdigest()))
        b32 = base64.b32encode(secret).decode().rstrip("=")
        hashes = [r[0] for r in self.stack.sql("SELECT code_hash FROM auth_recovery_code")]
        for text in (self.export().body.decode(), self.stack.authctl("export", EMAIL).stdout):
            doc = json.loads(text)
            self.assertEqual(doc["two_factor"], {"enabled": True, "recovery_codes_left": 9})
            for s in [sealed, b32, b32.lower(), secret.hex()] + codes + \
                    [c.replace("-", "") for c in codes] + hashes:
                self.assertNotIn(s, text)
        # an unconfirmed secret (setup not finished) is not enabled
        self.stack.sql("UPDATE auth_totp SET confirmed_at = NULL")
        self.stack.sql("DELETE FROM auth_recovery_code")
        self.assertEqual(self.export().json["two_factor"], {"enabled": False, "recovery_codes_left": 0})

    def test_authctl_export_prints_the_same_document(self):
        out = self.stack.authctl("export", " JOHN@example.com ")
        doc = json.loads(out.stdout)
        self.assertEqual(list(doc), ["exported_at", "user", "last_login", "two_factor", "sessions"])
        web = self.export().json
        self.assertEqual(doc["user"], web["user"])
        self.assertEqual(doc["last_login"], web["last_login"])
        # no session is the caller's
        self.assertEqual([s["current"] for s in doc["sessions"]], [False, False])
        self.assertEqual(sorted(s["id"] for s in doc["sessions"]),
                         sorted(s["id"] for s in web["sessions"]))
        out = self.stack.authctl("export", "nobody@example.com", check=False)
        self.assertEqual((out.returncode, out.stdout), (1, ""))
        self.assertIn("no such user", out.stderr)

    def test_redis_down_is_503(self):
        self.stack.redis.stop()
        try:
            r = self.export()
        finally:
            self.stack.redis.start()
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertIsNone(r.header("Content-Disposition"))

    def test_export_reads_nothing_it_writes(self):
        """Exporting changes no row and no session (GET is safe)."""
        before = self.stack.sql("SELECT * FROM users_user ORDER BY id")
        keys = self.stack.redis.keys("*")
        self.export()
        self.export("HEAD")
        self.assertEqual(self.stack.sql("SELECT * FROM users_user ORDER BY id"), before)
        self.assertEqual(self.stack.redis.keys("*"), keys)


if __name__ == "__main__":
    unittest.main()
