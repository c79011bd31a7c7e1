"""CGI pipe tests of the shared pipeline (API.md §1): methods, lengths, bodies, headers, origins, faults."""
import json
import os
import subprocess
import unittest

from harness import BUILD, ROOT, Stack, dynamically_linked

SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
# The programs that use libcurl, which Debian ships only shared (Makefile, README "Performance").
SHARED_ONLY = {"update-user.cgi", "delete-account.cgi", "mailer", "authctl"}


class LinkingTest(unittest.TestCase):
    @unittest.skipIf(BUILD != ROOT, "the default build only (ASan and valgrind builds are shared)")
    def test_programs_are_static_except_the_libcurl_ones(self):
        programs = [os.path.join(ROOT, "cgi-bin", n) for n in os.listdir(os.path.join(ROOT, "cgi-bin"))
                    if n.endswith(".cgi")] + [os.path.join(ROOT, "bin", n) for n in ("authctl", "mailer")]
        self.assertGreaterEqual(len(programs), 18)
        for path in programs:
            with self.subTest(program=os.path.basename(path)):
                self.assertEqual(dynamically_linked(path), os.path.basename(path) in SHARED_ONLY)

    @unittest.skipIf(BUILD != ROOT, "the default build only")
    def test_programs_keep_the_hardening_flags(self):
        """Static or not: position-independent (ASLR), full RELRO, no executable stack."""
        for name in ("login.cgi", "current-user.cgi", "update-user.cgi"):
            path = os.path.join(ROOT, "cgi-bin", name)
            with self.subTest(program=name):
                out = subprocess.run(["readelf", "-lhdW", path], capture_output=True, text=True,
                                     check=True).stdout
                self.assertRegex(out, r"Type:\s+DYN ")
                self.assertRegex(out, r"(?m)^\s+GNU_RELRO ")
                self.assertRegex(out, r"\(FLAGS_1\)\s+Flags: NOW PIE")
                self.assertRegex(out, r"(?m)^\s+GNU_STACK .* RW  ")


class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack()
        cls.uid = cls.stack.create_user()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def post(self, name, body, **kw):
        return self.stack.cgi(name, "POST", body, **kw)

    def test_every_response_has_the_security_headers_and_exact_length(self):
        for r in (self.post("login", '{"email":"a@b.co","password":"x"}'),
                  self.stack.cgi("current-user", "GET"),
                  self.stack.cgi("login", "DELETE")):
            for name, value in SECURITY_HEADERS:
                self.assertEqual(r.header(name), value)
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertEqual(int(r.header("Content-Length")), len(r.body))
            self.assertEqual(r.header("Content-Type"), "application/json")

    def test_wrong_method_is_405_with_allow(self):
        r = self.stack.cgi("login", "GET")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.json, {"error": "Method not allowed"})
        self.assertEqual(r.header("Allow"), "POST, OPTIONS")
        r = self.stack.cgi("current-user", "POST", "{}")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
        r = self.stack.cgi("logout", "BREW")
        self.assertEqual(r.status, 405)

    def test_options_is_200_with_allow_and_empty_body(self):
        r = self.stack.cgi("logout", "OPTIONS")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Allow"), "POST, OPTIONS")
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("Content-Length"), "0")
        self.assertIsNone(r.header("Content-Type"))

    def test_absent_request_method_counts_as_get(self):
        r = self.stack.cgi("current-user", method=None)
        self.assertEqual(r.status, 401)
        r = self.stack.cgi("login", method=None)
        self.assertEqual(r.status, 405)

    def test_head_has_get_headers_without_body(self):
        get = self.stack.cgi("current-user", "GET")
        head = self.stack.cgi("current-user", "HEAD")
        self.assertEqual(head.status, 401)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.header("Content-Length"), str(len(get.body)))

    def test_content_length_syntax(self):
        for bad in ["-1", "+5", " 12", "12abc", "1e3", "", "12345678901"]:
            r = self.post("login", b"{}", content_length=bad)
            self.assertEqual(r.status, 400, bad)
            self.assertEqual(r.json, {"error": "Invalid Content-Length"})

    def test_missing_content_length_on_json_post_is_411(self):
        r = self.post("login", b"", content_length=None)
        self.assertEqual(r.status, 411)
        self.assertEqual(r.json, {"error": "Content-Length required"})

    def test_logout_accepts_a_missing_content_length(self):
        r = self.post("logout", b"", content_length=None)
        self.assertEqual(r.status, 200)

    def test_oversized_body_is_413_without_reading(self):
        r = self.post("login", b"", content_length="9999999999")
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json, {"error": "Request body too large"})
        r = self.post("login", b"", content_length=str(16 * 1024 + 1))
        self.assertEqual(r.status, 413)
        r = self.post("logout", b"", content_length="1025")
        self.assertEqual(r.status, 413)

    def test_short_body_is_incomplete(self):
        body = b'{"email":"a@b.co","password":"x"}'
        r = self.post("login", body, content_length=str(len(body) + 1))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json, {"error": "Incomplete request body"})

    def test_malformed_json_bodies(self):
        cases = {
            b"": "Malformed JSON body",
            b"{": "Malformed JSON body",
            b"{} x": "Malformed JSON body",
            b"\xef\xbb\xbf{}": "Malformed JSON body",
            b"[]": "JSON body must be an object",
            b'{"email":"a","email":"b"}': "Duplicate key in JSON body",
            b'{"email":"a\\u0000b"}': "JSON strings must not contain NUL characters",
            b'{"Email":"a"}': "Unknown field in request body",
            b'{"email":1,"password":"x"}': "The email field must be a string",
            b'{"email":"a","password":true}': "The password field must be a string",
        }
        for body, message in cases.items():
            r = self.post("login", body)
            self.assertEqual((r.status, r.json), (400, {"error": message}), body)

    def test_cross_site_origin_is_403(self):
        for env in ({"HTTP_ORIGIN": "http://evil.example"}, {"HTTP_ORIGIN": "null"},
                    {"HTTP_SEC_FETCH_SITE": "cross-site"}):
            r = self.post("logout", b"", env=env)
            self.assertEqual(r.status, 403, env)
            self.assertEqual(r.json, {"error": "Cross-site request rejected"})
            self.assertIn("cross-site request rejected", r.stderr)

    def test_allowed_origins_pass(self):
        for origin in ("http://front.test", "HTTP://FRONT.TEST:80", "http://api.test",
                       "http://127.0.0.1:8080"):
            r = self.post("logout", b"", env={"HTTP_ORIGIN": origin, "HTTP_HOST": "127.0.0.1:8080"})
            self.assertEqual(r.status, 200, origin)

    def test_cors_headers_only_for_the_frontend_origin(self):
        r = self.post("logout", b"", env={"HTTP_ORIGIN": "http://front.test"})
        self.assertEqual(r.header("Access-Control-Allow-Origin"), "http://front.test")
        self.assertEqual(r.header("Access-Control-Allow-Credentials"), "true")
        self.assertEqual(r.header("Vary"), "Cookie, Origin")
        r = self.post("logout", b"", env={"HTTP_ORIGIN": "http://api.test"})
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertEqual(r.header("Vary"), "Cookie")

    def test_preflight(self):
        r = self.stack.cgi("login", "OPTIONS", env={"HTTP_ORIGIN": "http://front.test",
                                                    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Access-Control-Allow-Methods"), "POST, OPTIONS")
        self.assertEqual(r.header("Access-Control-Allow-Headers"), "Content-Type")
        self.assertEqual(r.header("Access-Control-Max-Age"), "600")

    def test_missing_configuration_is_500_json(self):
        env = {"AUTHCGI_CONFIG": os.path.join(self.stack.dir, "missing.conf")}
        r = self.post("login", '{"email":"a@b.co","password":"x"}', env=env)
        self.assertEqual(r.status, 500)
        self.assertEqual(r.json, {"error": "Internal server error"})
        self.assertIn("configuration", r.stderr)

    def test_run_by_hand_under_env_i_prints_a_complete_response(self):
        out = subprocess.run(["env", "-i", os.path.join(BUILD, "cgi-bin", "current-user.cgi")],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0)
        self.assertTrue(out.stdout.startswith(b"Status: 500"))
        self.assertIn(b"\r\n\r\n{\"error\":\"Internal server error\"}", out.stdout)


class RedisDownTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.stack.create_user()

    def tearDown(self):
        self.stack.stop()

    def test_login_without_redis_is_503_without_cookie(self):
        self.stack.redis.stop()
        r = self.stack.cgi("login", "POST", '{"email":"a@b.co","password":"x"}')
        self.assertEqual(r.status, 503)
        self.assertEqual(r.json, UNAVAILABLE)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(r.all("Set-Cookie"), [])

    def test_current_user_without_redis_is_503(self):
        r, cookie = self.stack.login()
        self.assertEqual(r.status, 200)
        self.stack.redis.stop()
        r = self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + cookie})
        self.assertEqual(r.status, 503)
        self.assertEqual(r.all("Set-Cookie"), [])
        r = self.stack.cgi("logout", "POST", env={"HTTP_COOKIE": "sessionid=" + cookie})
        self.assertEqual(r.status, 503)
        self.assertEqual(r.all("Set-Cookie"), [])


if __name__ == "__main__":
    unittest.main()
