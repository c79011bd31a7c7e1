"""CGI pipe tests of GET /users/series/ (API.md §7.11): shape, order, image URLs, headers, faults."""
import json
import os
import unittest

from harness import Stack

SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]

S1 = "0f0e0d0c0b0a49088a07060504030201"   # stored ids: 32 lowercase hex, Django's SQLite form
S2 = "1a2b3c4d5e6f4a0b8c1d2e3f40516273"
S3 = "ffffffffffff4fffbfffffffffffffff"
A1 = "a1a1a1a1a1a14a1aa1a1a1a1a1a1a1a1"
A2 = "b2b2b2b2b2b24b2bb2b2b2b2b2b2b2b2"
A3 = "c3c3c3c3c3c34c3cc3c3c3c3c3c3c3c3"


def hyphenate(hex32):
    h = hex32.lower().replace("-", "")
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def ordered(body):
    """The JSON with every object as a list of (key, value) pairs, so key order is checked."""
    return json.loads(body.decode("utf-8"), object_pairs_hook=list)


class SeriesTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(with_redis=False)

    def tearDown(self):
        self.stack.stop()

    def get(self, method="GET", env=None):
        return self.stack.cgi("series", method, env=env)

    def add_series(self, sid, name, image):
        self.stack.sql("INSERT INTO users_series (id, name, image) VALUES (?, ?, ?)",
                       (sid, name, image))

    def add_article(self, aid, title, url, sid):
        self.stack.sql("INSERT INTO users_articles (id, title, url, series_id) VALUES (?, ?, ?, ?)",
                       (aid, title, url, sid))

    def test_empty_table_is_an_empty_array(self):
        r = self.get()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json, [])
        self.assertEqual(r.body.strip(), b"[]")
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(int(r.header("Content-Length")), len(r.body))

    def test_the_one_200_without_cache_control_no_store(self):
        r = self.get()
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("Cache-Control"))
        for name, value in SECURITY_HEADERS:
            self.assertEqual(r.header(name), value)
        self.assertIsNone(r.header("Vary"))
        self.assertEqual(r.all("Set-Cookie"), [])

    def test_series_and_articles_in_table_order_with_keys_in_order(self):
        # Inserted so that table order differs from id order.
        self.add_series(S3, "Zeta", "series/zeta.png")
        self.add_series(S1, "Alpha", "series/alpha.png")
        self.add_article(A3, "Third", "https://dev.to/3", S3)
        self.add_article(A1, "First", "https://dev.to/1", S3)
        self.add_article(A2, "Only", "https://dev.to/2", S1)
        r = self.get()
        self.assertEqual(r.status, 200)
        self.assertEqual(ordered(r.body), [
            [("id", hyphenate(S3)), ("name", "Zeta"),
             ("image", "http://api.test/media/series/zeta.png"),
             ("articles", [
                 [("id", hyphenate(A3)), ("title", "Third"), ("url", "https://dev.to/3")],
                 [("id", hyphenate(A1)), ("title", "First"), ("url", "https://dev.to/1")],
             ])],
            [("id", hyphenate(S1)), ("name", "Alpha"),
             ("image", "http://api.test/media/series/alpha.png"),
             ("articles", [
                 [("id", hyphenate(A2)), ("title", "Only"), ("url", "https://dev.to/2")],
             ])],
        ])

    def test_series_without_articles_has_an_empty_list(self):
        self.add_series(S1, "Lonely", "series/x.png")
        self.assertEqual(self.get().json[0]["articles"], [])

    def test_empty_image_is_null(self):
        self.add_series(S1, "No picture", "")
        self.assertIsNone(self.get().json[0]["image"])

    def test_image_is_media_url_plus_percent_encoded_name(self):
        self.stack.set(MEDIA_URL="https://cdn.example/m/")
        self.add_series(S1, "x", "series/a b&c?d#e\u00e9(1)~!*'.png")
        self.assertEqual(self.get().json[0]["image"],
                         "https://cdn.example/m/series/a%20b%26c%3Fd%23e%C3%A9(1)~!*'.png")

    def test_default_media_url_is_api_base_media(self):
        self.add_series(S1, "x", "series/p.webp")
        self.assertEqual(self.get().json[0]["image"], "http://api.test/media/series/p.webp")

    def test_non_ascii_text_round_trips(self):
        self.add_series(S1, "S\u00e9rie \u65e5\u672c \U0001F600 \"quoted\" \\ </script>", "")
        self.add_article(A1, "Line\nbreak\ttab", "https://dev.to/\u00e9", S1)
        s = self.get().json[0]
        self.assertEqual(s["name"], "S\u00e9rie \u65e5\u672c \U0001F600 \"quoted\" \\ </script>")
        self.assertEqual(s["articles"][0]["title"], "Line\nbreak\ttab")
        self.assertEqual(s["articles"][0]["url"], "https://dev.to/\u00e9")

    def test_invalid_utf8_in_stored_text_still_gives_valid_json(self):
        if self.stack.engine == "postgres":
            self.skipTest("PostgreSQL refuses invalid UTF-8 in a UTF8 database: it cannot be stored")
        self.stack.sql("INSERT INTO users_series (id, name, image) VALUES (?, CAST(? AS TEXT), '')",
                       (S1, b"ok \xff\xc3 end \xe2\x82"))
        r = self.get()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json[0]["name"], "ok \ufffd\ufffd end \ufffd\ufffd")

    def test_ids_stored_hyphenated_or_uppercase_are_written_canonically(self):
        self.add_series(hyphenate(S1).upper(), "Upper", "")
        self.add_article(A1.upper(), "t", "https://dev.to/a", hyphenate(S1).upper())
        s = self.get().json[0]
        self.assertEqual(s["id"], hyphenate(S1))
        self.assertEqual(s["articles"][0]["id"], hyphenate(A1))

    def test_malformed_stored_id_is_500_and_logged(self):
        if self.stack.engine == "postgres":
            self.skipTest("a uuid column cannot hold a malformed id")
        self.add_series("not-a-uuid", "Broken", "")
        r = self.get()
        self.assertEqual((r.status, r.json), (500, {"error": "Internal server error"}))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIn("malformed id", r.stderr)

    def test_head_is_get_without_body(self):
        self.add_series(S1, "Alpha", "series/a.png")
        g = self.get()
        h = self.get("HEAD")
        self.assertEqual(h.status, 200)
        self.assertEqual(h.body, b"")
        self.assertEqual(h.header("Content-Length"), g.header("Content-Length"))
        self.assertEqual(h.header("Content-Type"), "application/json")
        self.assertIsNone(h.header("Cache-Control"))

    def test_query_string_and_path_info_are_ignored(self):
        self.add_series(S1, "Alpha", "")
        r = self.get(env={"QUERY_STRING": "page=2&limit=0", "PATH_INFO": "/x/y/",
                          "REQUEST_URI": "/users/series/?page=2&limit=0"})
        self.assertEqual((r.status, len(r.json)), (200, 1))

    def test_other_methods_are_405_with_no_store(self):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            r = self.get(method)
            self.assertEqual((r.status, r.json), (405, {"error": "Method not allowed"}), method)
            self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")
            self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_options(self):
        r = self.get("OPTIONS")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")

    def test_session_cookie_is_neither_read_nor_cleared(self):
        r = self.get(env={"HTTP_COOKIE": "sessionid=" + "ab" * 32})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIsNone(r.header("Vary"))

    def test_works_without_redis(self):
        # The stack has no redis-server at all: series never connects to it.
        self.add_series(S1, "Alpha", "")
        self.assertEqual(self.get().status, 200)

    def test_missing_database_is_503(self):
        if self.stack.engine == "postgres":
            self.stack.set(DATABASE_URL=self.stack.unreachable_database_url())
        else:
            os.unlink(self.stack.db_path)
        r = self.get()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(r.header("Cache-Control"), "no-store")

    def test_missing_configuration_is_500(self):
        r = self.get(env={"AUTHCGI_CONFIG": os.path.join(self.stack.dir, "missing.conf")})
        self.assertEqual((r.status, r.json), (500, {"error": "Internal server error"}))

    def test_many_series(self):
        for i in range(200):
            sid = "%032x" % (i + 1)
            self.add_series(sid, "s%d" % i, "")
            self.add_article("%032x" % (10000 + i), "t%d" % i, "https://dev.to/%d" % i, sid)
        got = self.get().json
        self.assertEqual([s["name"] for s in got], ["s%d" % i for i in range(200)])
        self.assertEqual([s["articles"][0]["title"] for s in got], ["t%d" % i for i in range(200)])


if __name__ == "__main__":
    unittest.main()
