"""Routing through the real web server (lighttpd or apache2, AUTHCGI_SERVER): every /users/ path
of API.md §1.1 reaches its program on both routes, PATH_INFO of the confirm links, the 301/308/404
of §1.2, GET /users/series/ (§7.11), static files and media, and the errors the server answers
itself (JSON too), with the programs' stderr in the server's error log.
"""
import os
import socket
import time
import unittest

from harness import BUILD, Stack, web_server
from tokens import compute_token, now_ts, uidb64

F = "http://front.test"
INVALID = (F + "/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20token"
           "%20has%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token")
NOT_FOUND = {"error": "Not found"}
POST_ALLOW, GET_ALLOW = "POST, OPTIONS", "GET, HEAD, OPTIONS"

# public path, program, Allow (API.md §1.1, §1.7)
ROUTES = [
    ("/users/register/", "register", POST_ALLOW),
    ("/users/regenerate-token/", "regenerate-token", POST_ALLOW),
    ("/users/login/", "login", POST_ALLOW),
    ("/users/logout/", "logout", POST_ALLOW),
    ("/users/password-change/request-password-change/", "request-password-change", POST_ALLOW),
    ("/users/password-change/change-user-password/", "change-user-password", POST_ALLOW),
    ("/users/current-user/", "current-user", GET_ALLOW),
    ("/users/update-user/", "update-user", "PATCH, OPTIONS"),
    ("/users/series/", "series", GET_ALLOW),
    ("/users/password-change/", "password-change", POST_ALLOW),
    ("/users/sessions/", "sessions", GET_ALLOW),
    ("/users/sessions/revoke/", "revoke-session", POST_ALLOW),
    ("/users/sessions/revoke-others/", "revoke-other-sessions", POST_ALLOW),
    ("/users/two-factor/", "two-factor", GET_ALLOW),
    ("/users/two-factor/setup/", "two-factor-setup", POST_ALLOW),
    ("/users/two-factor/confirm/", "two-factor-confirm", POST_ALLOW),
    ("/users/two-factor/disable/", "two-factor-disable", POST_ALLOW),
    ("/users/two-factor/recovery-codes/", "two-factor-recovery-codes", POST_ALLOW),
    ("/users/delete-account/", "delete-account", POST_ALLOW),
    ("/users/export/", "export", GET_ALLOW),
]
CONFIRM = [
    ("/users/register/confirm/", "confirm-email"),
    ("/users/password-change/confirm/change-password/", "confirm-password-change"),
]
SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
SERIES_ID = "0f0e0d0c0b0a49088a07060504030201"
ARTICLE_ID = "a1a1a1a1a1a14a1aa1a1a1a1a1a1a1a1"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


class RoutingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(FRONTEND_URL=F)
        try:
            cls.server = web_server(cls.stack).start()
        except BaseException:
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.stack.stop()

    def req(self, method, path, body=None, headers=None):
        return self.server.request(method, path, body, headers)

    def raw(self, data, timeout=10):
        """Sends raw bytes and reads the reply until the server closes."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout)
        try:
            s.sendall(data)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def token(self, uid, salt):
        """A fresh token of API.md §5.3 for the user's current row."""
        pw, login, mail, active = self.stack.sql(
            "SELECT password, last_login, email, is_active FROM users_user WHERE id = ?",
            (uid.replace("-", ""),))[0]
        return compute_token(salt, uid, pw, login, mail, active, now_ts(),
                             self.stack.config["SECRET_KEY"])

    def assert_json_error(self, r, status, body=None):
        self.assertEqual(r.status, status, r.body[:300])
        self.assertEqual(r.header("Content-Type"), "application/json", r.body[:300])
        if body is not None:
            self.assertEqual(r.json, body)
        else:
            self.assertIsInstance(r.json.get("error"), str)

    # ---- every API path reaches its program, on both routes ----

    def test_every_api_path_reaches_its_program(self):
        missing = []
        for path, program, allow in ROUTES:
            if not os.path.exists(os.path.join(BUILD, "cgi-bin", program + ".cgi")):
                missing.append(program)
                continue
            for url in (path, "/cgi-bin/%s.cgi" % program):
                r = self.req("OPTIONS", url)
                self.assertEqual((r.status, r.header("Allow"), r.body), (200, allow, b""), url)
        for prefix, program in CONFIRM:
            for url in (prefix + "x/y/", "/cgi-bin/%s.cgi/x/y/" % program):
                r = self.req("GET", url)
                self.assertEqual((r.status, r.header("Location")), (302, INVALID), url)
        self.assertEqual(self.req("GET", "/users/current-user/").status, 401)
        self.assertEqual(self.req("GET", "/users/sessions/").status, 401)
        self.assertIsInstance(self.req("GET", "/users/series/").json, list)
        if missing:
            self.skipTest("programs not built yet: " + ", ".join(missing))

    def test_query_strings_reach_the_program_and_are_ignored(self):
        r = self.req("GET", "/users/series/?limit=0&x=%2F")
        self.assertEqual(r.status, 200)
        r = self.req("OPTIONS", "/users/login/?next=/users/logout/")
        self.assertEqual(r.header("Allow"), POST_ALLOW)

    # ---- PATH_INFO of the two confirm links ----

    def test_activation_link_on_both_routes(self):
        for i, url in enumerate(("/users/register/confirm/%s/%s/", "/cgi-bin/confirm-email.cgi/%s/%s")):
            uid = self.stack.create_user("act%d@example.com" % i, active=False)
            tok = self.token(uid, "auth.tokens.activation")
            r = self.req("GET", url % (uidb64(uid), tok))
            self.assertEqual((r.status, r.header("Location")), (302, F + "/auth/confirmed"), url)
            self.assertEqual(r.body, b"")
            self.assertEqual(self.stack.sql("SELECT is_active FROM users_user WHERE id = ?",
                                            (uid.replace("-", ""),)), [(1,)])

    def test_reset_link_on_both_routes_with_or_without_the_final_slash(self):
        uid = self.stack.create_user("reset@example.com")
        tok = self.token(uid, "auth.tokens.password-reset")
        want = F + "/auth/password/change-password?token=%s:" % uidb64(uid)
        for url in ("/users/password-change/confirm/change-password/%s/%s/",
                    "/users/password-change/confirm/change-password/%s/%s",
                    "/cgi-bin/confirm-password-change.cgi/%s/%s/"):
            r = self.req("GET", url % (uidb64(uid), tok))
            self.assertEqual(r.status, 302, url)
            self.assertTrue(r.header("Location").startswith(want), (url, r.header("Location")))
            self.assertEqual(self.req("HEAD", url % (uidb64(uid), tok)).status, 302)

    def test_other_segment_counts_and_encoded_slashes_are_invalid_links(self):
        uid = self.stack.create_user("segments@example.com", active=False)
        u, tok = uidb64(uid), self.token(uid, "auth.tokens.activation")
        for path in ("/users/register/confirm/%s/%s/extra/" % (u, tok),
                     "/users/register/confirm/%s/" % u,
                     "/users/register/confirm/",
                     "/cgi-bin/confirm-email.cgi"):
            r = self.req("GET", path)
            self.assertEqual((r.status, r.header("Location")), (302, INVALID), path)
        self.assertEqual(self.stack.sql("SELECT is_active FROM users_user WHERE email = ?",
                                        ("segments@example.com",)), [(0,)])

    def test_an_encoded_slash_in_a_link_is_still_a_redirect(self):
        # Apache keeps %2F encoded (AllowEncodedSlashes NoDecode): one segment, an invalid link;
        # lighttpd decodes it into a separator. Either way a 302, never a server error page.
        uid = self.stack.create_user("encoded@example.com", active=False)
        r = self.req("GET", "/users/register/confirm/%s%%2F%s/" % (
            uidb64(uid), self.token(uid, "auth.tokens.activation")))
        self.assertEqual(r.status, 302)
        self.assertIn(r.header("Location"), (INVALID, F + "/auth/confirmed"))

    # ---- §1.2: 301, 308, 404 ----

    def test_get_and_head_without_the_slash_get_301_to_the_relative_slashed_path(self):
        for path, _, _ in ROUTES:
            bare = path[:-1]
            for method in ("GET", "HEAD"):
                r = self.req(method, bare)
                self.assertEqual((r.status, r.header("Location")), (301, path), (method, bare))
                self.assertEqual(r.body, b"")
                # Apache's core drops "Content-Length: 0" from every HEAD response.
                self.assertIn(r.header("Content-Length"), ("0",) if method == "GET" else ("0", None))
                self.assertIsNone(r.header("Cache-Control"))
                for name, value in SECURITY_HEADERS:
                    self.assertEqual(r.header(name), value)
        r = self.req("GET", "/users/series?page=2&q=a%20b")
        self.assertEqual((r.status, r.header("Location")), (301, "/users/series/?page=2&q=a%20b"))

    def test_other_methods_without_the_slash_get_308(self):
        for method, body in (("POST", '{"email": "a@b.co", "password": "x"}'), ("PATCH", "{}"),
                             ("PUT", "x" * 5000), ("DELETE", None), ("OPTIONS", None)):
            r = self.req(method, "/users/login", body)
            self.assertEqual((r.status, r.header("Location"), r.body), (308, "/users/login/", b""),
                             method)
            self.assertEqual(r.header("Content-Length"), "0")
        r = self.req("POST", "/users/sessions/revoke?x=1", "{}")
        self.assertEqual((r.status, r.header("Location")), (308, "/users/sessions/revoke/?x=1"))

    def test_the_original_frontends_series_fetch_follows_the_301(self):
        r = self.req("GET", "/users/series")
        self.assertEqual(r.status, 301)
        r = self.req("GET", r.header("Location"))
        self.assertEqual((r.status, r.header("Content-Type")), (200, "application/json"))

    def test_any_other_path_under_users_is_404_json(self):
        for path in ("/users", "/users/", "/users/nope", "/users/nope/", "/users/login/extra",
                     "/users/login/extra/", "/users/series/x/", "/users/register/confirm",
                     "/users/LOGIN/", "/users/sessions/revoke/x", "/users/current-user/.."):
            for method in ("GET", "POST"):
                r = self.req(method, path, "{}" if method == "POST" else None)
                self.assert_json_error(r, 404, NOT_FOUND)
                self.assertEqual(r.header("Cache-Control"), "no-store", path)
            r = self.req("HEAD", path)
            self.assertEqual((r.status, r.body), (404, b""), path)

    # ---- GET /users/series/ over HTTP (§7.11) ----

    def test_series_over_http(self):
        self.stack.sql("DELETE FROM users_articles")
        self.stack.sql("DELETE FROM users_series")
        r = self.req("GET", "/users/series/")
        self.assertEqual((r.status, r.json), (200, []))
        self.assertIsNone(r.header("Cache-Control"))
        self.stack.sql("INSERT INTO users_series (id, name, image) VALUES (?, ?, ?)",
                       (SERIES_ID, "Caf\u00e9 series", "series/a b.png"))
        self.stack.sql("INSERT INTO users_articles (id, title, url, series_id) VALUES (?, ?, ?, ?)",
                       (ARTICLE_ID, "One", "https://dev.to/one", SERIES_ID))
        try:
            r = self.req("GET", "/users/series/")
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json, [{
                "id": "0f0e0d0c-0b0a-4908-8a07-060504030201", "name": "Caf\u00e9 series",
                "image": "http://api.test/media/series/a%20b.png",
                "articles": [{"id": "a1a1a1a1-a1a1-4a1a-a1a1-a1a1a1a1a1a1", "title": "One",
                              "url": "https://dev.to/one"}]}])
            self.assertIsNone(r.header("Cache-Control"))
            self.assertEqual(r.header("Content-Length"), str(len(r.body)))
            for name, value in SECURITY_HEADERS:
                self.assertEqual(r.header(name), value)
            h = self.req("HEAD", "/users/series/")
            self.assertEqual((h.status, h.body), (200, b""))
            self.assertEqual(h.header("Content-Length"), str(len(r.body)))
            r = self.req("POST", "/users/series/", "{}")
            self.assertEqual((r.status, r.header("Allow")), (405, GET_ALLOW))
            self.assertEqual(r.header("Cache-Control"), "no-store")
        finally:
            self.stack.sql("DELETE FROM users_articles")
            self.stack.sql("DELETE FROM users_series")

    def test_program_stderr_reaches_the_server_error_log(self):
        if self.stack.engine == "postgres":
            # A uuid column cannot hold a malformed id: a missing table is the unexpected error.
            self.stack.sql("ALTER TABLE users_series RENAME TO users_series_away")
            try:
                r = self.req("GET", "/users/series/")
                self.assert_json_error(r, 500, {"error": "Internal server error"})
            finally:
                self.stack.sql("ALTER TABLE users_series_away RENAME TO users_series")
            time.sleep(0.2)
            self.assertIn("authcgi[series]: error: ", self.server.log())
            return
        self.stack.sql("INSERT INTO users_series (id, name, image) VALUES ('broken', 'x', '')")
        try:
            r = self.req("GET", "/users/series/")
            self.assert_json_error(r, 500, {"error": "Internal server error"})
        finally:
            self.stack.sql("DELETE FROM users_series")
        time.sleep(0.2)
        self.assertIn("authcgi[series]: error: users_series row with a malformed id", self.server.log())

    def test_access_log_holds_no_secret(self):
        accesslog = getattr(self.server, "accesslog", None)
        if not accesslog:
            self.skipTest("lighttpd.conf.sample keeps no access log")
        uid = self.stack.create_user("logged@example.com", active=False)
        u, tok = uidb64(uid), self.token(uid, "auth.tokens.activation")
        for path in ("/users/register/confirm/%s/%s/" % (u, tok),
                     "/cgi-bin/confirm-email.cgi/%s/%s/" % (u, tok),
                     "/users/register/%%63onfirm/%s/%s/" % (u, tok),
                     "/users/password-change/confirm/change-password/%s/%s/" % (u, tok)):
            self.assertEqual(self.req("GET", path).status, 302, path)
        self.req("GET", "/users/series/?token=QUERYSECRET",
                 headers={"Referer": "http://front.test/auth/password/change-password?token=REFSECRET"})
        time.sleep(0.3)
        with open(accesslog, encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn('"GET /users/series/ HTTP/1.1" 200', log)
        for secret in (u, tok, "QUERYSECRET", "REFSECRET"):
            self.assertNotIn(secret, log)

    # ---- static files, media, what must stay unreachable ----

    def test_frontend_is_served_as_static_files(self):
        r = self.req("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"), r.header("Content-Type"))
        self.assertIn(b"<html", r.body.lower())

    def test_media_is_served_with_nosniff(self):
        with open(self.stack.media_dir + "/users/t.png", "wb") as f:
            f.write(PNG)
        r = self.req("GET", "/media/users/t.png")
        self.assertEqual((r.status, r.body), (200, PNG))
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(self.req("GET", "/media/users/missing.png").status, 404)

    def test_database_configuration_and_sources_are_not_served(self):
        for path in ("/authcgi.conf", "/../authcgi.conf", "/db/authcgi.sqlite3", "/db/0001_initial.sql",
                     "/media/../authcgi.conf", "/cgi-bin/../authcgi.conf", "/cgi-bin/login.c",
                     "/cgi-bin/", "/cgi-bin/nope.cgi", "/errors/../authcgi.conf"):
            r = self.req("GET", path)
            self.assertIn(r.status, (400, 403, 404), path)
            self.assertNotIn(b"SECRET_KEY", r.body)
            self.assertNotIn(b"SQLite format", r.body)
            self.assert_json_error(r, r.status)

    # ---- what the server answers itself is JSON too ----

    def test_body_over_the_server_limit_is_413_json(self):
        out = self.raw(b"POST /users/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 4194304\r\nConnection: close\r\n\r\n")
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 413 "), out[:300])
        self.assertIn(b"\r\ncontent-type: application/json", head.lower())
        self.assertEqual(body, b'{"error": "Request body too large"}')

    def test_unknown_program_is_404_json(self):
        self.assert_json_error(self.req("GET", "/cgi-bin/nope.cgi"), 404, NOT_FOUND)
        self.assert_json_error(self.req("POST", "/cgi-bin/nope.cgi/a/b", "{}"), 404)

    def test_trace_is_refused_as_json(self):
        r = self.req("TRACE", "/users/login/", headers={"Cookie": "sessionid=" + "ab" * 32})
        self.assert_json_error(r, 405, {"error": "Method not allowed"})
        self.assertNotIn(b"sessionid", r.body)

    def test_malformed_request_line_is_400_json(self):
        out = self.raw(b"GET /users/login/ HTTP/1.1 junk\r\nHost: x\r\nConnection: close\r\n\r\n")
        head, _, body = out.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 400 ") or head.startswith(b"HTTP/1.0 400 "),
                        out[:300])
        self.assertIn(b"\r\ncontent-type: application/json", head.lower())
        self.assertEqual(body, b'{"error": "Bad request"}')


if __name__ == "__main__":
    unittest.main()
