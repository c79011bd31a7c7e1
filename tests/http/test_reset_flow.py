"""Password reset, password change and session management through a real web server, Redis,
an SMTP sink and bin/mailer (API.md §4.6, §5, §6.3, §7.6–§7.8, §7.12–§7.15).

request-password-change -> the reset e-mail arrives over SMTP -> its link, followed on the
server, redirects to the frontend form with ?token= -> change-user-password with that token ->
the new password logs in, the old one and every earlier session do not.
"""
import hashlib
import json
import unittest
import urllib.parse

from harness import PASSWORD, Stack, web_server
from smtpsink import SmtpSink
from tokens import compute_token, now_ts, uidb64

TOK_EPOCH = 978307200
F = "http://front.test"
A = "http://api.test"
FROM = "Auth <no-reply@example.com>"
NEW_PASSWORD = "a brand new passphrase 42"
INVALID = (F + "/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20token"
           "%20has%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token")
BAD_TOKEN = {"error": "It appears that your password request token has expired or previously used"}
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
SALTS = {"link": "auth.tokens.password-reset", "form": "auth.tokens.password-reset-form"}


class ResetFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink()
        cls.stack = Stack(**cls.sink.config(),
                          DEFAULT_FROM_EMAIL=FROM, RATE_LIMIT_LOGIN_ADDR="1000/900",
                          RATE_LIMIT_MAIL_ADDR="1000/3600")
        cls.server = web_server(cls.stack).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.sink.stop()
        cls.stack.stop()

    # -- helpers -------------------------------------------------------------------------

    def post(self, path, body=None, cookie=None):
        headers = {"Content-Type": "application/json"}
        if cookie:
            headers["Cookie"] = "sessionid=" + cookie
        return self.server.request("POST", path, None if body is None else json.dumps(body),
                                   headers=headers)

    def get(self, path, cookie=None):
        return self.server.request("GET", path,
                                   headers={"Cookie": "sessionid=" + cookie} if cookie else None)

    def login(self, addr, password=PASSWORD):
        r = self.post("/users/login/", {"email": addr, "password": password})
        return r.status, r.cookie("sessionid")

    def session_ok(self, cookie):
        r = self.get("/users/current-user/", cookie)
        if r.status == 401:
            self.assertEqual(r.json, NOT_LOGGED_IN)
        return r.status == 200

    def row(self, addr):
        (hexid, password, last, stored, active), = self.stack.sql(
            "SELECT id, password, last_login, email, is_active FROM users_user "
            "WHERE email = ? COLLATE NOCASE", (addr,))
        uid = "%s-%s-%s-%s-%s" % (hexid[:8], hexid[8:12], hexid[12:16], hexid[16:20], hexid[20:])
        return uid, password, last, stored, active

    def token(self, addr, purpose, ts):
        """§5.3, computed here from the stored row with the test SECRET_KEY."""
        uid, password, last, stored, active = self.row(addr)
        return compute_token(purpose, uid, password, last, stored, active, ts)

    def deliver(self):
        """Runs bin/mailer --once and returns the messages the sink received for it."""
        return [msg for msg, _ in self.sink.deliver(self.stack)]

    def parts(self, msg):
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        return [p.get_content() for p in parts]

    def reset_link(self, msg, recipient):
        self.assertEqual(msg["To"], recipient)
        self.assertEqual(msg["Subject"], "Password reset instructions")
        text, html = self.parts(msg)
        prefix = A + "/users/password-change/confirm/change-password/"
        lines = [l for l in text.splitlines() if l.startswith(prefix)]
        self.assertEqual(len(lines), 2, text)
        self.assertEqual(lines[0], lines[1])
        self.assertIn('href="%s"' % lines[0], html)
        return lines[0]

    def follow(self, link):
        """GETs an e-mailed link on the server; returns the 302's Location."""
        r = self.get(urllib.parse.urlsplit(link).path)
        self.assertEqual(r.status, 302, r.body)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.all("Set-Cookie"), [])
        return r.header("Location")

    def form_token(self, location):
        split = urllib.parse.urlsplit(location)
        self.assertEqual(split.scheme + "://" + split.netloc + split.path,
                         F + "/auth/password/change-password")
        self.assertTrue(split.query.startswith("token="), location)
        return split.query[len("token="):]

    # -- journeys ------------------------------------------------------------------------

    def test_reset_journey_by_mail(self):
        addr = "reset.journey@example.com"
        uid = self.stack.create_user(addr)
        s1, s2 = self.login(addr)[1], self.login(addr)[1]
        self.assertTrue(self.session_ok(s1) and self.session_ok(s2))

        r = self.post("/users/password-change/request-password-change/", {"email": addr.upper()})
        self.assertEqual(r.status, 200, r.body)
        self.assertIsNone(r.header("Vary"))
        msg, = self.deliver()
        link = self.reset_link(msg, addr)
        self.assertIn("/%s/" % uidb64(uid), link)

        token = self.form_token(self.follow(link))
        self.assertTrue(token.startswith(uidb64(uid) + ":"), token)
        r = self.post("/users/password-change/change-user-password/",
                      {"token": token, "password": NEW_PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json, {"message": "Your password has been changed successfully. Kindly "
                                             "login with the new password"})
        self.assertEqual(r.all("Set-Cookie"), [])

        # the "password changed" e-mail, without any token
        changed, = self.deliver()
        self.assertEqual(changed["Subject"], "Your password has been changed")
        text, _ = self.parts(changed)
        self.assertIn("The password of your account %s was changed on " % addr, text)
        self.assertIn(F + "/auth/password/request-change", text)

        # sessions opened before the reset are over; the old password fails, the new one works
        self.assertFalse(self.session_ok(s1))
        self.assertFalse(self.session_ok(s2))
        self.assertEqual(self.login(addr)[0], 400)
        status, s3 = self.login(addr, NEW_PASSWORD)
        self.assertEqual(status, 200)
        self.assertTrue(self.session_ok(s3))

        # the form token is single use, and the e-mailed link died with the password
        r = self.post("/users/password-change/change-user-password/",
                      {"token": token, "password": "yet another passphrase"})
        self.assertEqual((r.status, r.json), (400, BAD_TOKEN))
        self.assertEqual(self.follow(link), INVALID)
        self.assertEqual(self.login(addr, NEW_PASSWORD)[0], 200)
        # no secret reached the server's log
        log = self.server.log()
        for secret in (token.split(":")[1], link.rstrip("/").split("/")[-1], NEW_PASSWORD, s1):
            self.assertNotIn(secret, log)

    def test_tokens_expire_after_token_expiration(self):
        addr = "reset.expiry@example.com"
        uid = self.stack.create_user(addr)
        u = uidb64(uid)
        base = "/users/password-change/confirm/change-password/%s/%s/"
        old = now_ts() - 601
        # a link token made here works while fresh, so the expired one fails only for its age
        self.assertNotEqual(self.follow(A + base % (u, self.token(addr, "link", now_ts()))), INVALID)
        self.assertEqual(self.follow(A + base % (u, self.token(addr, "link", old))), INVALID)
        self.assertEqual(self.follow(A + "/cgi-bin/confirm-password-change.cgi/%s/%s" %
                                     (u, self.token(addr, "link", old))), INVALID)
        r = self.post("/users/password-change/change-user-password/",
                      {"token": "%s:%s" % (u, self.token(addr, "form", old)),
                       "password": NEW_PASSWORD})
        self.assertEqual((r.status, r.json), (400, BAD_TOKEN))
        self.assertEqual(self.login(addr)[0], 200)
        # a link token never works as a form token
        r = self.post("/users/password-change/change-user-password/",
                      {"token": "%s:%s" % (u, self.token(addr, "link", now_ts())),
                       "password": NEW_PASSWORD})
        self.assertEqual((r.status, r.json), (400, BAD_TOKEN))

    def test_logged_in_password_change(self):
        addr = "change.journey@example.com"
        self.stack.create_user(addr)
        mine, other = self.login(addr)[1], self.login(addr)[1]

        # a wrong current password changes nothing
        r = self.post("/users/password-change/",
                      {"current_password": "not my password", "new_password": NEW_PASSWORD}, mine)
        self.assertEqual((r.status, r.json), (400, {"error": "Your current password is incorrect"}))
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertTrue(self.session_ok(mine) and self.session_ok(other))
        self.assertEqual(self.deliver(), [])

        r = self.post("/users/password-change/",
                      {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, mine)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json, {"message": "Your password has been changed successfully"})
        self.assertEqual(r.header("Vary"), "Cookie")
        cookies = r.all("Set-Cookie")
        self.assertEqual([c.split("=")[0] for c in cookies], ["csrftoken", "sessionid"])
        new = r.cookie("sessionid")
        self.assertFalse(self.session_ok(mine))
        self.assertFalse(self.session_ok(other))
        self.assertTrue(self.session_ok(new))
        self.assertEqual(self.login(addr)[0], 400)
        self.assertEqual(self.login(addr, NEW_PASSWORD)[0], 200)
        msg, = self.deliver()
        self.assertEqual(msg["Subject"], "Your password has been changed")

    def test_session_list_and_revocation(self):
        addr = "sessions.journey@example.com"
        uid = self.stack.create_user(addr)
        a, b, me = self.login(addr)[1], self.login(addr)[1], self.login(addr)[1]
        gone = self.login(addr)[1]
        self.assertEqual(self.post("/users/logout/", cookie=gone).status, 200)

        def listing():
            r = self.get("/users/sessions/", me)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("Vary"), "Cookie")
            return r.json["sessions"]

        def sid(token):
            return self.stack.redis.cli("HGET", "auth:sess:" + hashlib.sha256(token.encode())
                                        .hexdigest(), "sid")

        sessions = listing()
        self.assertEqual(sessions[0]["id"], sid(me))
        self.assertTrue(sessions[0]["current"])
        self.assertEqual(sorted(s["id"] for s in sessions), sorted(sid(t) for t in (a, b, me)))
        self.assertEqual(sessions[0]["ip_address"], "127.0.0.1")

        # revoking one ends it at once
        r = self.post("/users/sessions/revoke/", {"id": sid(a)}, me)
        self.assertEqual((r.status, r.json), (200, {"message": "The session has been revoked"}))
        self.assertFalse(self.session_ok(a))
        self.assertTrue(self.session_ok(b))
        self.assertEqual(sorted(s["id"] for s in listing()), sorted([sid(b), sid(me)]))
        r = self.post("/users/sessions/revoke/", {"id": "0" * 32}, me)
        self.assertEqual((r.status, r.json), (404, {"error": "Session not found"}))

        # revoke-others without a body or Content-Length
        r = self.post("/users/sessions/revoke-others/", None, me)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json, {"message": "All other sessions have been revoked", "revoked": 1})
        self.assertFalse(self.session_ok(b))
        self.assertEqual([s["id"] for s in listing()], [sid(me)])

        # the own session: the deletion line, then 401
        r = self.post("/users/sessions/revoke/", {"id": sid(me)}, me)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.all("Set-Cookie"), ['sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 '
                                               'GMT; Max-Age=0; Path=/; SameSite=Lax'])
        self.assertFalse(self.session_ok(me))
        self.assertEqual(self.stack.redis.cli("HLEN", "auth:user:" + uid), "0")

    def test_deactivate_leaves_no_session_key(self):
        addr = "deactivate.journey@example.com"
        uid = self.stack.create_user(addr)
        cookies = [self.login(addr)[1] for _ in range(3)]
        hashes = ["auth:sess:" + hashlib.sha256(c.encode()).hexdigest() for c in cookies]
        keys = self.stack.redis.keys("auth:sess:*")
        self.assertTrue(all(h in keys for h in hashes))
        self.stack.authctl("deactivate", addr)
        keys = self.stack.redis.keys("auth:sess:*")
        self.assertEqual([h for h in hashes if h in keys], [])
        for k in keys:
            self.assertNotEqual(self.stack.redis.cli("HGET", k, "uid"), uid)
        self.assertEqual(self.stack.redis.keys("auth:user:" + uid), [])
        self.assertFalse(self.session_ok(cookies[0]))


if __name__ == "__main__":
    unittest.main()
