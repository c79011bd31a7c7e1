"""CGI pipe tests of PATCH /users/update-user/ (API.md §7.10) with the local storage backend."""
import os
import shutil
import struct
import subprocess
import unittest
import zlib

from harness import BUILD, Stack

NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
NOT_IMAGE = {"error": "Upload a valid image. The file you uploaded was either not an image or a "
                      "corrupted image."}
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
INTERNAL = {"error": "Internal server error"}
BOUNDARY = "----authcgiTestBoundary7MA4YWxk"


def png(width=2, height=2):
    """A valid PNG (RGB, 8 bits) built with zlib and struct."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gif():
    """A 1x1 GIF89a."""
    return (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
            b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def form(fields=(), files=(), boundary=BOUNDARY):
    """(body, content type) of a multipart/form-data body; files are (name, filename, bytes)."""
    out = b""
    for name, value in fields:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (boundary, name)).encode() + value.encode() + b"\r\n"
    for name, filename, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n"
                % (boundary, name, filename)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


class UpdateUserTest(unittest.TestCase):
    """One stack and one session for the class (every run may be under valgrind); setUp resets."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(THUMBNAIL_MAX_BYTES="4096")
        cls.config = dict(cls.stack.config)
        cls.uid = cls.stack.create_user()
        _, cls.token = cls.stack.login()
        cls.users_dir = os.path.join(cls.stack.media_dir, "users")

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.stack.config = dict(self.config)
        self.stack.write_config()
        self.stack.sql("DROP TRIGGER IF EXISTS no_update" +
                       (" ON users_user" if self.stack.engine == "postgres" else ""))
        self.stack.sql("UPDATE users_user SET first_name = '', last_name = '', thumbnail = NULL")
        self.stack.sql("UPDATE user_profile SET phone_number = NULL, github_link = NULL, "
                       "birth_date = NULL")
        shutil.rmtree(os.path.join(self.stack.media_dir, "series"), ignore_errors=True)
        for name in os.listdir(self.users_dir):
            os.unlink(os.path.join(self.users_dir, name))

    def patch(self, body=b"", content_type=None, cookie=True, **kw):
        """A PATCH as the logged-in user (wrapper=False skips valgrind for table-style runs)."""
        env = {}
        if cookie:
            env["HTTP_COOKIE"] = "sessionid=" + self.token
        if content_type:
            env["CONTENT_TYPE"] = content_type
        return self.stack.cgi("update-user", "PATCH", body, env=env, **kw)

    def row(self):
        (r,) = self.stack.sql(
            "SELECT u.first_name, u.last_name, u.thumbnail, p.phone_number, p.github_link, "
            "p.birth_date FROM users_user u JOIN user_profile p ON p.user_id = u.id")
        return r

    def files(self):
        return sorted(os.listdir(self.users_dir))

    def test_session_is_checked_before_the_body(self):
        r = self.patch(cookie=False, content_length=None)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.header("Vary"), "Cookie")
        body, ct = form([("first_name", "X")])
        r = self.patch(body, ct, cookie=False)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(self.row()[0], "")

    def test_empty_body_answers_the_current_user(self):
        for kw in ({"content_length": None}, {"content_length": "0", "wrapper": False}):
            r = self.patch(**kw)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json["id"], self.uid)
            self.assertEqual(r.header("Cache-Control"), "no-store")
            self.assertEqual(r.header("Vary"), "Cookie")

    def test_methods(self):
        r = self.stack.cgi("update-user", "POST", "{}")
        self.assertEqual((r.status, r.header("Allow")), (405, "PATCH, OPTIONS"))
        r = self.stack.cgi("update-user", "OPTIONS", wrapper=False)
        self.assertEqual((r.status, r.header("Allow"), r.body), (200, "PATCH, OPTIONS", b""))

    def test_text_fields_are_stored_and_echoed_and_empty_means_unchanged(self):
        values = [("first_name", "J\u00f6hn"), ("last_name", "Doe"), ("phone_number", "+44 20 7946"),
                  ("birth_date", "1990-01-02"), ("github_link", "https://github.com/john")]
        r = self.patch(*form(values))
        self.assertEqual(r.status, 200, r.body)
        user = r.json
        self.assertEqual((user["first_name"], user["last_name"]), ("J\u00f6hn", "Doe"))
        self.assertEqual(user["profile"], {
            "id": user["profile"]["id"], "user_id": self.uid, "phone_number": "+44 20 7946",
            "github_link": "https://github.com/john", "birth_date": "1990-01-02"})
        self.assertIsNone(user["thumbnail"])
        self.assertEqual(self.row(), ("J\u00f6hn", "Doe", None, "+44 20 7946",
                                      "https://github.com/john", "1990-01-02"))
        # "" never clears; a field not sent is not written
        r = self.patch(*form([("first_name", ""), ("last_name", "Smith"), ("github_link", ""),
                              ("thumbnail", "")]))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.row(), ("J\u00f6hn", "Smith", None, "+44 20 7946",
                                      "https://github.com/john", "1990-01-02"))
        self.assertEqual(r.json["last_name"], "Smith")

    def test_validation_messages_leave_the_row_unchanged(self):
        cases = [
            ([("first_name", "x" * 151)], "first_name must be at most 150 characters"),
            ([("birth_date", "1990-02-30")], "birth_date must be a valid date in the format YYYY-MM-DD"),
            ([("github_link", "javascript:alert(1)")], "github_link must be an http or https URL"),
            ([("last_name", "ok"), ("phone_number", "1" * 21)], "phone_number must be at most 20 characters"),
        ]
        for i, (fields, msg) in enumerate(cases):
            r = self.patch(*form(fields), wrapper=i == 0)
            self.assertEqual((r.status, r.json), (400, {"error": msg}), fields)
        self.assertEqual(self.row(), ("", "", None, None, None, None))

    def test_parse_errors(self):
        body, ct = form([("first_name", "x")])
        r = self.patch(body, "application/json")
        self.assertEqual(r.json, {"error": "The request body must be multipart/form-data"})
        r = self.patch(body.replace(b"\r\n", b"\n"), ct, wrapper=False)
        self.assertEqual((r.status, r.json), (400, {"error": "Malformed multipart body"}))
        r = self.patch(*form([("first_name", "x")] * 17), wrapper=False)
        self.assertEqual((r.status, r.json), (400, {"error": "Too many form fields"}))
        r = self.patch(*form([("email", "x@example.com")]), wrapper=False)
        self.assertEqual((r.status, r.json), (400, {"error": "Unknown form field"}))
        r = self.patch(*form([("first_name", "a"), ("first_name", "b")]), wrapper=False)
        self.assertEqual((r.status, r.json), (400, {"error": "Duplicate form field"}))
        r = self.patch(*form([("last_name", "a\x00b")]), wrapper=False)
        self.assertEqual((r.status, r.json), (400, {"error": "Form fields must be valid UTF-8 text"}))
        self.assertEqual(self.row(), ("", "", None, None, None, None))

    def test_thumbnail_is_stored_served_and_replaced(self):
        image = png(3, 5)
        r = self.patch(*form([("first_name", "Jo")], [("thumbnail", "C:\\pics\\my photo.jpeg", image)]))
        self.assertEqual(r.status, 200, r.body)
        url = r.json["thumbnail"]
        self.assertRegex(url, r"^http://api\.test/media/users/my_photo_[A-Za-z0-9]{7}\.png$")
        name = url[len("http://api.test/media/"):]
        self.assertEqual(self.row()[:3], ("Jo", "", name))
        path = os.path.join(self.stack.media_dir, name)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), image)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o644)
        self.assertEqual(self.files(), [os.path.basename(name)])
        # the second upload replaces and deletes the first; the type comes from the bytes
        r = self.patch(*form(files=[("thumbnail", "x.png", gif())]))
        self.assertEqual(r.status, 200, r.body)
        name2 = r.json["thumbnail"][len("http://api.test/media/"):]
        self.assertRegex(name2, r"^users/x_[A-Za-z0-9]{7}\.gif$")
        self.assertEqual(self.files(), [os.path.basename(name2)])
        self.assertEqual(self.row()[0], "Jo")

    def test_not_an_image_and_too_large(self):
        r = self.patch(*form([("first_name", "Jo")], [("thumbnail", "a.png", b"some file data")]))
        self.assertEqual((r.status, r.json), (400, NOT_IMAGE))
        big = png(40, 40) + b"\0" * 4096
        r = self.patch(*form(files=[("thumbnail", "a.png", big)]), wrapper=False)
        self.assertEqual((r.status, r.json),
                         (413, {"error": "The thumbnail must not be larger than 4096 bytes"}))
        body, ct = form(files=[("thumbnail", "a.png", b"\0" * (4096 + 65537))])
        r = self.patch(body, ct, wrapper=False)
        self.assertEqual((r.status, r.json), (413, {"error": "Request body too large"}))
        self.assertEqual(self.files(), [])
        self.assertEqual(self.row(), ("", "", None, None, None, None))

    def test_storage_failures_change_nothing(self):
        # MEDIA_ROOT is not a directory: a 500, nothing stored
        not_dir = os.path.join(self.stack.dir, "not-a-dir")
        open(not_dir, "w").close()
        self.stack.set(MEDIA_ROOT=not_dir)
        r = self.patch(*form([("first_name", "Jo")], [("thumbnail", "a.png", png())]))
        self.assertEqual((r.status, r.json), (500, INTERNAL))
        # S3 that cannot be reached: a 503 with Retry-After
        self.stack.set(STORAGE_BACKEND="s3", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                       AWS_SECRET_ACCESS_KEY="secret", AWS_S3_BUCKET_NAME="thumbs",
                       AWS_S3_ENDPOINT_URL="http://127.0.0.1:9")
        r = self.patch(*form([("first_name", "Jo")], [("thumbnail", "a.png", png())]))
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.row(), ("", "", None, None, None, None))

    def test_a_failed_transaction_removes_the_new_file(self):
        if self.stack.engine == "postgres":
            self.stack.sql("CREATE OR REPLACE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql "
                           "AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            self.stack.sql("CREATE TRIGGER no_update BEFORE UPDATE ON users_user "
                           "FOR EACH ROW EXECUTE FUNCTION refuse()")
        else:
            self.stack.sql("CREATE TRIGGER no_update BEFORE UPDATE ON users_user "
                           "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        r = self.patch(*form([("phone_number", "1")], [("thumbnail", "a.png", png())]))
        self.assertEqual((r.status, r.json), (500, INTERNAL))
        self.assertEqual(self.files(), [])
        self.assertEqual(self.row(), ("", "", None, None, None, None))

    def test_previous_names_outside_users_are_never_deleted(self):
        series = os.path.join(self.stack.media_dir, "series")
        os.makedirs(series)
        keep = os.path.join(series, "keep.png")
        open(keep, "wb").close()
        old = os.path.join(self.users_dir, "old name.png")
        open(old, "wb").close()
        self.stack.sql("UPDATE users_user SET thumbnail = 'series/keep.png'")
        r = self.patch(*form(files=[("thumbnail", "a.png", png())]))
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(os.path.exists(keep))
        # a Django-era name under users/ is deleted
        self.stack.sql("UPDATE users_user SET thumbnail = 'users/old name.png'")
        r = self.patch(*form(files=[("thumbnail", "b.png", png())]))
        self.assertEqual(r.status, 200, r.body)
        self.assertFalse(os.path.exists(old))

    def test_only_the_storage_users_link_libcurl(self):
        """Only the programs that write or delete stored thumbnails (S3 through libcurl) load it."""
        def libs(prog):
            return subprocess.run(["ldd", os.path.join(BUILD, "cgi-bin", prog + ".cgi")],
                                  capture_output=True, text=True, check=True).stdout
        progs = [n[:-4] for n in os.listdir(os.path.join(BUILD, "cgi-bin")) if n.endswith(".cgi")]
        self.assertIn("current-user", progs)
        storage_users = {"update-user", "delete-account"}
        for prog in progs:
            if prog not in storage_users:
                self.assertNotIn("libcurl", libs(prog), prog)
        for prog in storage_users:
            self.assertIn("libcurl", libs(prog), prog)


if __name__ == "__main__":
    unittest.main()
