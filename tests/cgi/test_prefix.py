"""A site under a path prefix (shared hosting, DEPLOY.md): FRONTEND_URL and API_BASE_URL with a
path (and a trailing slash) give e-mailed links and redirects under that path, and router.cgi,
reached through a .htaccess rewrite as PREFIX/cgi-bin/router.cgi, keeps the prefix in its 301/308."""
import json
import re
import unittest
import urllib.parse

from harness import PASSWORD, Stack

F = "http://host.test/~ann/app"
A = "http://host.test/~ann/app"
PREFIX = "/~ann/app"


class PrefixTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(FRONTEND_URL=F + "/", API_BASE_URL=A + "/")

    def tearDown(self):
        self.stack.stop()

    def last_mail(self):
        return self.stack.sql("SELECT body_text FROM mail_outbox ORDER BY id DESC LIMIT 1")[0][0]

    def test_activation_link_and_redirects_keep_the_prefix(self):
        r = self.stack.cgi("register", "POST", json.dumps({
            "email": "ann@example.com", "password": PASSWORD, "first_name": "Ann", "last_name": "Lee"}))
        self.assertEqual(r.status, 201, r.stderr)
        m = re.search(r"(\S+)/users/register/confirm/([^/\s]+)/([^/\s]+)/", self.last_mail())
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), A)
        r = self.stack.cgi("confirm-email", "GET", env={"PATH_INFO": "/%s/%s/" % (m.group(2), m.group(3))})
        self.assertEqual((r.status, r.header("Location")), (302, F + "/auth/confirmed"))
        r = self.stack.cgi("confirm-email", "GET", env={"PATH_INFO": "/%s/%s/" % (m.group(2), m.group(3))})
        self.assertEqual(r.status, 302)
        self.assertTrue(r.header("Location").startswith(F + "/auth/regenerate-token?reason="),
                        r.header("Location"))

    def test_reset_link_and_its_redirect_keep_the_prefix(self):
        self.stack.create_user("ann@example.com")
        r = self.stack.cgi("request-password-change", "POST", json.dumps({"email": "ann@example.com"}))
        self.assertEqual(r.status, 200, r.stderr)
        m = re.search(r"(\S+)/users/password-change/confirm/change-password/([^/\s]+)/([^/\s]+)/",
                      self.last_mail())
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), A)
        r = self.stack.cgi("confirm-password-change", "GET",
                           env={"PATH_INFO": "/%s/%s/" % (m.group(2), m.group(3))})
        self.assertEqual(r.status, 302)
        location = r.header("Location")
        self.assertTrue(location.startswith(F + "/auth/password/change-password?token="), location)
        # The "your password was changed" mail links to the frontend under the prefix too.
        token = urllib.parse.unquote(location.split("token=", 1)[1])
        r = self.stack.cgi("change-user-password", "POST",
                           json.dumps({"token": token, "password": "another fine passphrase"}))
        self.assertEqual(r.status, 200, r.body)
        self.assertIn(F + "/auth/password/request-change", self.last_mail())

    def route(self, uri, script, method="GET"):
        env = {"REQUEST_URI": uri}
        if script is not None:
            env["SCRIPT_NAME"] = script
        return self.stack.cgi("router", method, env=env)

    def test_router_keeps_the_prefix_its_script_name_shows(self):
        script = PREFIX + "/cgi-bin/router.cgi"
        r = self.route(PREFIX + "/users/series?page=2", script)
        self.assertEqual((r.status, r.header("Location")), (301, PREFIX + "/users/series/?page=2"))
        r = self.route(PREFIX + "/users/login", script, "POST")
        self.assertEqual((r.status, r.header("Location")), (308, PREFIX + "/users/login/"))
        self.assertEqual((self.route(PREFIX + "/users/nope", script).status), 404)
        self.assertEqual((self.route(PREFIX + "/users/series/", script).status), 404)
        self.assertEqual((self.route(PREFIX + "/cgi-bin/router.cgi", script).status), 404)
        # A URI outside the prefix the server names is not redirected into it.
        self.assertEqual(self.route("/other/users/series", script).status, 404)

    def test_router_at_the_root_is_unchanged(self):
        for script in (None, "/cgi-bin/router.cgi", "/users/series"):
            r = self.route("/users/series", script)
            self.assertEqual((r.status, r.header("Location")), (301, "/users/series/"), script)
            self.assertEqual(self.route("/x/users/series", script).status, 404, script)


if __name__ == "__main__":
    unittest.main()
