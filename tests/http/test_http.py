"""HTTP tests through a real web server (lighttpd from lighttpd.conf.sample) with a real Redis."""
import json
import unittest

from harness import PASSWORD, Stack, web_server

NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack()
        cls.uid = cls.stack.create_user("john@example.com")
        cls.server = web_server(cls.stack).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.stack.stop()

    def login(self):
        r = self.server.request("POST", "/users/login/",
                                {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        return r

    def test_login_current_user_logout_journey(self):
        r = self.login()
        cookies = r.all("Set-Cookie")
        self.assertEqual(len(cookies), 2)
        self.assertTrue(cookies[0].startswith("csrftoken="))
        self.assertTrue(cookies[1].startswith("sessionid="))
        self.assertEqual(r.json["email"], "john@example.com")
        token = r.cookie("sessionid")
        jar = {"Cookie": "sessionid=" + token}
        r = self.server.request("GET", "/users/current-user/", headers=jar)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["id"], self.uid)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        r = self.server.request("POST", "/users/logout/", headers=jar)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json, {"message": "You have successfully logged out"})
        r = self.server.request("GET", "/users/current-user/", headers=jar)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))

    def test_cgi_bin_route_is_the_same_endpoint(self):
        r = self.server.request("GET", "/cgi-bin/current-user.cgi")
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))

    def test_query_strings_are_ignored(self):
        r = self.server.request("GET", "/users/current-user/?sessionid=abc")
        self.assertEqual(r.status, 401)

    def test_missing_trailing_slash_redirects(self):
        r = self.server.request("GET", "/users/current-user?x=1")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.header("Location"), "/users/current-user/?x=1")
        self.assertEqual(r.body, b"")
        r = self.server.request("POST", "/users/login", "{}")
        self.assertEqual(r.status, 308)
        self.assertEqual(r.header("Location"), "/users/login/")

    def test_unknown_path_under_users_is_json_404(self):
        for path in ("/users/nope/", "/users/", "/users/login/extra/"):
            r = self.server.request("GET", path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.json, {"error": "Not found"})
            self.assertEqual(r.header("Content-Type"), "application/json")

    def test_wrong_method_and_bad_json_over_http(self):
        r = self.server.request("GET", "/users/login/")
        self.assertEqual((r.status, r.header("Allow")), (405, "POST, OPTIONS"))
        r = self.server.request("POST", "/users/login/", "{not json")
        self.assertEqual((r.status, r.json), (400, {"error": "Malformed JSON body"}))

    def test_foreign_origin_is_refused(self):
        r = self.server.request("POST", "/users/logout/", headers={"Origin": "http://evil.example"})
        self.assertEqual((r.status, r.json), (403, {"error": "Cross-site request rejected"}))

    def test_same_origin_passes(self):
        r = self.server.request("POST", "/users/logout/",
                                headers={"Origin": "http://127.0.0.1:%d" % self.server.port})
        self.assertEqual(r.status, 200)

    def test_crlf_in_values_never_splits_headers(self):
        r = self.server.request("POST", "/users/login/",
                                {"email": "a@b.co\r\nSet-Cookie: x=y", "password": "p\r\nX: y"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIsNone(r.header("X"))

    def test_no_secret_in_the_server_log(self):
        r = self.login()
        token = r.cookie("sessionid")
        self.server.request("POST", "/users/login/", {"email": "john@example.com",
                                                       "password": "wrong-password-123"})
        log = self.server.log()
        self.assertIn("login", log)
        for secret in (token, PASSWORD, "wrong-password-123"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main()
