"""Security and fault properties through the CGI pipe (issue 8): bounded memory, fail-closed faults, no enumeration."""
import hashlib
import os
import socket
import subprocess
import threading
import time
import unittest

from harness import BUILD, PASSWORD, WRAPPER, Stack

UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}


def run_measured(stack, name, body, env=None, content_length=None):
    """Runs a CGI under GNU time (a fork of this big Python process would inflate the
    child's peak RSS) and returns (status line, peak RSS in KiB, seconds)."""
    e = stack.env({"REQUEST_METHOD": "POST", "REMOTE_ADDR": "127.0.0.1",
                   "CONTENT_LENGTH": content_length or str(len(body))})
    e.update(env or {})
    rss_file = os.path.join(stack.dir, "rss")
    start = time.monotonic()
    out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file,
                          os.path.join(BUILD, "cgi-bin", name + ".cgi")],
                         env=e, input=body, capture_output=True, timeout=120)
    with open(rss_file) as f:
        rss = int(f.read().split()[-1])
    return out.stdout.split(b"\r\n")[0].decode(), rss, time.monotonic() - start


def sanitized():
    return bool(WRAPPER) or "asan" in BUILD


class MemoryAndWorkTest(unittest.TestCase):
    """Peak RSS shows whether Argon2 ran: ARGON2_MEMORY_KIB is set far above a CGI's own size."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(ARGON2_MEMORY_KIB="65536", ARGON2_MAX_MEMORY_KIB="65536")
        cls.stack.create_user()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_huge_content_length_is_413_in_little_memory(self):
        status, rss, _ = run_measured(self.stack, "login", b"", content_length="9999999999")
        self.assertEqual(status, "Status: 413 Content Too Large")
        if not sanitized():
            self.assertLess(rss, 16 * 1024)

    @unittest.skipIf(sanitized(), "peak RSS is only meaningful without ASan or valgrind")
    def test_unknown_account_costs_the_same_argon2_work(self):
        body = b'{"email":"nobody@example.com","password":"whatever"}'
        status, rss_unknown, _ = run_measured(self.stack, "login", body)
        self.assertEqual(status, "Status: 400 Bad Request")
        body = b'{"email":"john@example.com","password":"wrong password"}'
        status, rss_known, _ = run_measured(self.stack, "login", body)
        self.assertEqual(status, "Status: 400 Bad Request")
        self.assertGreater(rss_unknown, 60 * 1024)
        self.assertGreater(rss_known, 60 * 1024)

    def test_tripped_limit_answers_429_before_any_hashing(self):
        subject = hashlib.sha256(b"john@example.com").hexdigest()
        self.stack.redis.cli("SET", "auth:rl:login-account:" + subject, "5", "EX", "900")
        try:
            body = ('{"email":"john@example.com","password":"%s"}' % PASSWORD).encode()
            status, rss, _ = run_measured(self.stack, "login", body)
            self.assertEqual(status, "Status: 429 Too Many Requests")
            if not sanitized():
                self.assertLess(rss, 16 * 1024)
        finally:
            self.stack.redis.cli("DEL", "auth:rl:login-account:" + subject)


class SilentRedisTest(unittest.TestCase):
    def setUp(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.accepted = []
        threading.Thread(target=self.accept, daemon=True).start()
        port = self.listener.getsockname()[1]
        self.stack = Stack(with_redis=False, REDIS_URL="redis://127.0.0.1:%d/0" % port)
        self.stack.create_user()

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)   # never answers

    def tearDown(self):
        self.listener.close()
        for c in self.accepted:
            c.close()
        self.stack.stop()

    def test_a_listener_that_never_answers_gives_503_within_two_seconds(self):
        start = time.monotonic()
        r = self.stack.cgi("login", "POST", '{"email":"john@example.com","password":"x"}')
        elapsed = time.monotonic() - start
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(r.all("Set-Cookie"), [])
        if not sanitized():
            self.assertLess(elapsed, 2.0)


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(SQLITE_BUSY_TIMEOUT_MS="300")
        self.stack.create_user()

    def tearDown(self):
        self.stack.stop()

    def test_sqlite_locked_past_the_busy_timeout_is_503_without_cookie(self):
        # PostgreSQL: a LOCK TABLE ... ACCESS EXCLUSIVE past the 5 s statement_timeout.
        with self.stack.write_lock(exclusive=True):
            r, token = self.stack.login()
            self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
            self.assertIsNone(token)
        (last,), = self.stack.sql("SELECT last_login FROM users_user")
        self.assertIsNone(last)
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), [])
        r, token = self.stack.login()
        self.assertEqual(r.status, 200)

    def test_redis_restarted_mid_run(self):
        r, token = self.stack.login()
        self.assertEqual(r.status, 200)
        self.stack.redis.stop()
        r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + token})
        self.assertEqual(r.status, 503)
        self.stack.redis.start()
        # sessions lived only in the stopped, non-persistent Redis: the cookie is now stale
        r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + token})
        self.assertEqual(r.status, 401)
        r, token = self.stack.login()
        self.assertEqual(r.status, 200)

    def test_a_body_that_never_arrives_is_408(self):
        e = self.stack.env({"REQUEST_METHOD": "POST", "CONTENT_LENGTH": "10"})
        p = subprocess.Popen(WRAPPER + [os.path.join(BUILD, "cgi-bin", "login.cgi")], env=e,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(b'{"em')
        p.stdin.flush()
        out = p.stdout.read()
        p.stdin.close()
        p.wait(30)
        self.assertTrue(out.startswith(b"Status: 408 Request Timeout"), out[:60])
        self.assertTrue(out.endswith(b'{"error":"Request timeout"}'))


if __name__ == "__main__":
    unittest.main()


class HeaderInjectionTest(unittest.TestCase):
    """CR/LF in any string field of any JSON endpoint never reaches a header line."""

    ENDPOINTS = {
        "login": ["email", "password"],
        "register": ["email", "first_name", "last_name", "password"],
        "regenerate-token": ["email"],
        "request-password-change": ["email"],
        "change-user-password": ["token", "password"],
    }

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack()
        cls.stack.create_user()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_crlf_in_every_field(self):
        import json
        evil = "x\r\nX-Injected: 1\r\nSet-Cookie: sessionid=evil\r\n\r\n<html>"
        for name, fields in self.ENDPOINTS.items():
            if not os.path.exists(os.path.join(BUILD, "cgi-bin", name + ".cgi")):
                continue
            for field in fields:
                body = {f: "john@example.com" if f == "email" else "Abc-12345-xyz" for f in fields}
                body[field] = evil
                r = self.stack.cgi(name, "POST", json.dumps(body))
                names = [n.lower() for n, _ in r.headers]
                self.assertNotIn("x-injected", names, (name, field))
                self.assertFalse(any("evil" in v for v in r.all("Set-Cookie")), (name, field))
                self.assertEqual(int(r.header("Content-Length")), len(r.body), (name, field))
                self.assertEqual(r.raw.count(b"\r\n\r\n"), 1, (name, field))
                r.json  # the body is JSON, never HTML
