"""CGI pipe tests of session management: list, revoke, revoke-others (API.md §4.6, §7.13–§7.15)."""
import hashlib
import json
import re
import time
import unittest

from harness import Stack

EMAIL = "john@example.com"
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
NEED_ID = {"error": "Please provide the session id"}
NOT_FOUND = {"error": "Session not found"}
REVOKED = {"message": "The session has been revoked"}
DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
KEYS = ["id", "current", "created_at", "last_seen_at", "expires_at", "ip_address", "user_agent"]
TIME_RE = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$"


def h(token):
    return hashlib.sha256(token.encode()).hexdigest()


class SessionsBase(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user(EMAIL)

    def tearDown(self):
        self.stack.stop()

    def login(self, email=EMAIL, ua=None, addr="127.0.0.1"):
        env = {"REMOTE_ADDR": addr}
        if ua is not None:
            env["HTTP_USER_AGENT"] = ua
        r, token = self.stack.login(email, env=env)
        self.assertEqual(r.status, 200, r.body)
        return token

    def sid(self, token):
        return self.stack.redis.cli("HGET", "auth:sess:" + h(token), "sid")

    def jar(self, token):
        return {"HTTP_COOKIE": "sessionid=" + token}

    def alive(self, token):
        return self.stack.cgi("current-user", "GET", env=self.jar(token)).status == 200


class SessionsListTest(SessionsBase):
    def test_requires_a_session(self):
        r = self.stack.cgi("sessions", "GET")
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.header("Vary"), "Cookie")
        r = self.stack.cgi("sessions", "GET", env={"HTTP_COOKIE": "sessionid=undefined"})
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])

    def test_lists_live_sessions_current_first_then_newest(self):
        a = self.login(ua="Agent A", addr="203.0.113.7")
        b = self.login(ua="Agent B", addr="198.51.100.2")
        c = self.login(ua="Agent C")
        now = int(time.time())
        for token, created in ((a, now - 300), (b, now - 200), (c, now - 100)):
            self.stack.redis.cli("HSET", "auth:sess:" + h(token), "created", str(created))
        r = self.stack.cgi("sessions", "GET", env=self.jar(b))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.all("Set-Cookie"), [])
        body = r.json
        self.assertEqual(list(body), ["sessions"])
        sessions = body["sessions"]
        self.assertEqual([s["id"] for s in sessions], [self.sid(b), self.sid(c), self.sid(a)])
        self.assertEqual([s["current"] for s in sessions], [True, False, False])
        for s in sessions:
            self.assertEqual(list(s), KEYS)
            self.assertRegex(s["id"], "^[0-9a-f]{32}$")
            for k in ("created_at", "last_seen_at", "expires_at"):
                self.assertRegex(s[k], TIME_RE)
        self.assertEqual(sessions[0]["ip_address"], "198.51.100.2")
        self.assertEqual(sessions[0]["user_agent"], "Agent B")
        self.assertEqual(sessions[2]["ip_address"], "203.0.113.7")
        self.assertEqual(sessions[1]["user_agent"], "Agent C")
        # no token or hash is ever shown
        self.assertNotIn(h(b), r.body.decode())
        self.assertNotIn(b, r.body.decode())

    def test_exact_times_and_nulls(self):
        self.stack.set(TRUSTED_PROXIES="127.0.0.1")
        other = self.login()            # no User-Agent, client address unknown
        self.stack.set(TRUSTED_PROXIES="")
        me = self.login(ua="Mozilla/5.0 (X11; Linux x86_64)")
        self.stack.redis.cli("HSET", "auth:sess:" + h(other), "created", "1684570801",
                             "seen", "1684573364")
        r = self.stack.cgi("sessions", "GET", env=self.jar(me))
        mine, theirs = r.json["sessions"]
        self.assertEqual(theirs, {"id": self.sid(other), "current": False,
                                  "created_at": "2023-05-20 08:20:01+00:00",
                                  "last_seen_at": "2023-05-20 09:02:44+00:00",
                                  "expires_at": "2023-06-03 08:20:01+00:00",
                                  "ip_address": None, "user_agent": None})
        self.assertEqual(mine["user_agent"], "Mozilla/5.0 (X11; Linux x86_64)")
        self.assertEqual(mine["ip_address"], "127.0.0.1")
        created = int(self.stack.redis.cli("HGET", "auth:sess:" + h(me), "created"))
        self.assertEqual(mine["created_at"], time.strftime("%Y-%m-%d %H:%M:%S+00:00",
                                                           time.gmtime(created)))
        self.assertEqual(mine["expires_at"], time.strftime("%Y-%m-%d %H:%M:%S+00:00",
                                                           time.gmtime(created + 1209600)))

    def test_expires_at_follows_session_cookie_age(self):
        self.stack.set(SESSION_COOKIE_AGE="3600")
        me = self.login()
        self.stack.redis.cli("HSET", "auth:sess:" + h(me), "created", "1684570801")
        r = self.stack.cgi("sessions", "GET", env=self.jar(me))
        self.assertEqual(r.json["sessions"][0]["expires_at"], "2023-05-20 09:20:01+00:00")

    def test_only_live_sessions_of_this_user_and_stale_entries_pruned(self):
        me = self.login()
        gone = self.login()
        self.stack.create_user("jane@example.com")
        jane = self.login("jane@example.com")
        gone_sid = self.sid(gone)
        self.assertIn(gone_sid, self.stack.redis.cli("HKEYS", "auth:user:" + self.uid))
        self.stack.redis.cli("DEL", "auth:sess:" + h(gone))           # expired
        self.stack.redis.cli("HSET", "auth:user:" + self.uid, "f" * 32, h(jane))  # not ours
        r = self.stack.cgi("sessions", "GET", env=self.jar(me))
        self.assertEqual([s["id"] for s in r.json["sessions"]], [self.sid(me)])
        fields = self.stack.redis.cli("HKEYS", "auth:user:" + self.uid).split("\n")
        self.assertNotIn(gone_sid, fields)
        self.assertEqual(len([f for f in fields if f]), 2)  # ours + the foreign pointer (live key)

    def test_head_has_no_body(self):
        me = self.login()
        r = self.stack.cgi("sessions", "HEAD", env=self.jar(me))
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertTrue(int(r.header("Content-Length")) > 0)

    def test_redis_down_is_503_without_cookie(self):
        me = self.login()
        self.stack.redis.stop()
        r = self.stack.cgi("sessions", "GET", env=self.jar(me))
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(r.all("Set-Cookie"), [])


class RevokeTest(SessionsBase):
    def revoke(self, token, body):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return self.stack.cgi("revoke-session", "POST", body, env=self.jar(token))

    def test_requires_a_session(self):
        r = self.stack.cgi("revoke-session", "POST", json.dumps({"id": "0" * 32}))
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))

    def test_step1_id_absent(self):
        me = self.login()
        for body in ({}, {"id": None}):
            r = self.revoke(me, body)
            self.assertEqual((r.status, r.json), (400, NEED_ID))
        r = self.revoke(me, {"id": 5})
        self.assertEqual((r.status, r.json), (400, {"error": "The id field must be a string"}))

    def test_step2_not_found(self):
        me = self.login()
        other = self.login()
        self.stack.create_user("jane@example.com")
        jane = self.login("jane@example.com")
        sid = self.sid(other)
        for bad in ("", "xyz", sid.upper(), sid + "0", sid[:-1], "0" * 32, self.sid(jane),
                    h(other), "../" + sid[3:], sid[:31] + "\u00e9"):
            r = self.revoke(me, {"id": bad})
            self.assertEqual((r.status, r.json), (404, NOT_FOUND), bad)
            self.assertEqual(r.all("Set-Cookie"), [])
        self.assertTrue(self.alive(other))
        self.assertTrue(self.alive(jane))
        # an index entry left by an expired session is not a live session
        self.stack.redis.cli("DEL", "auth:sess:" + h(other))
        self.assertEqual(self.revoke(me, {"id": sid}).status, 404)

    def test_step3_revokes_another_session(self):
        me = self.login()
        other = self.login()
        sid = self.sid(other)
        r = self.revoke(me, {"id": sid})
        self.assertEqual((r.status, r.json), (200, REVOKED))
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertFalse(self.alive(other))
        self.assertTrue(self.alive(me))
        self.assertEqual(self.stack.redis.cli("HEXISTS", "auth:user:" + self.uid, sid), "0")
        self.assertIn("session revoked: user " + self.uid, r.stderr)
        self.assertNotIn(other, r.stderr)
        self.assertEqual(self.revoke(me, {"id": sid}).status, 404)

    def test_step3_revoking_the_own_session_deletes_the_cookie(self):
        me = self.login()
        r = self.revoke(me, {"id": self.sid(me)})
        self.assertEqual((r.status, r.json), (200, REVOKED))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        self.assertFalse(self.alive(me))

    def test_body_cap_is_1_kib(self):
        me = self.login()
        r = self.stack.cgi("revoke-session", "POST", b"{}", content_length="1025", env=self.jar(me))
        self.assertEqual(r.status, 413)


class RevokeOthersTest(SessionsBase):
    def test_requires_a_session(self):
        r = self.stack.cgi("revoke-other-sessions", "POST", content_length=None)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))

    def test_ends_all_but_the_callers(self):
        a, b, me = self.login(), self.login(), self.login()
        self.stack.create_user("jane@example.com")
        jane = self.login("jane@example.com")
        r = self.stack.cgi("revoke-other-sessions", "POST", content_length=None, env=self.jar(me))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json, {"message": "All other sessions have been revoked", "revoked": 2})
        self.assertEqual(list(r.json), ["message", "revoked"])
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertEqual(r.header("Vary"), "Cookie")
        self.assertEqual([self.alive(t) for t in (a, b, me, jane)], [False, False, True, True])
        self.assertEqual(self.stack.redis.cli("HKEYS", "auth:user:" + self.uid), self.sid(me))
        self.assertRegex(r.stderr, re.escape("other sessions revoked: user " + self.uid))
        # again: nothing left to end; a body of any kind is read and ignored
        r = self.stack.cgi("revoke-other-sessions", "POST", b"not json at all", env=self.jar(me))
        self.assertEqual(r.json["revoked"], 0)

    def test_expired_sessions_are_not_counted(self):
        gone, me = self.login(), self.login()
        self.stack.redis.cli("DEL", "auth:sess:" + h(gone))
        r = self.stack.cgi("revoke-other-sessions", "POST", b"{}", env=self.jar(me))
        self.assertEqual(r.json["revoked"], 0)

    def test_body_cap_is_1_kib(self):
        me = self.login()
        r = self.stack.cgi("revoke-other-sessions", "POST", b"x" * 1025, env=self.jar(me))
        self.assertEqual((r.status, r.json), (413, {"error": "Request body too large"}))
        self.assertTrue(self.alive(me))
        r = self.stack.cgi("revoke-other-sessions", "POST", b"x" * 1024, env=self.jar(me))
        self.assertEqual(r.status, 200)


if __name__ == "__main__":
    unittest.main()
