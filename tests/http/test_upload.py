"""Thumbnail upload through the real web server with the local backend (API.md §7.10, §8.7):
PATCH /users/update-user/ stores the image under MEDIA_ROOT and the server serves it at MEDIA_URL."""
import json
import os
import shutil
import struct
import subprocess
import unittest
import zlib

from harness import PASSWORD, Stack, web_server

MAX = 20000
NOT_IMAGE = {"error": "Upload a valid image. The file you uploaded was either not an image or a "
                      "corrupted image."}


def png(width=2, height=2, noise=b""):
    """A valid PNG built with zlib and struct; noise (bytes) makes the pixel data larger."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x20\x40\x60" * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + noise) if noise else b""
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def form(fields=(), files=(), boundary="----authcgiHttpBoundary"):
    out = b""
    for name, value in fields:
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (boundary, name, value)).encode()
    for name, filename, ctype, data in files:
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                'Content-Type: %s\r\n\r\n' % (boundary, name, filename, ctype)).encode()
        out += data + b"\r\n"
    return out + ("--%s--\r\n" % boundary).encode(), "multipart/form-data; boundary=" + boundary


class UploadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(THUMBNAIL_MAX_BYTES=str(MAX))
        cls.uid = cls.stack.create_user("john@example.com")
        cls.server = web_server(cls.stack).start()
        r = cls.server.request("POST", "/users/login/",
                               {"email": "john@example.com", "password": PASSWORD})
        assert r.status == 200, r.body
        cls.cookie = "sessionid=" + r.cookie("sessionid")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.stack.stop()

    def patch(self, body, content_type, cookie=True):
        headers = {"Content-Type": content_type}
        if cookie:
            headers["Cookie"] = self.cookie
        return self.server.request("PATCH", "/users/update-user/", body, headers)

    def media_path(self, url):
        self.assertTrue(url.startswith("http://api.test/media/users/"), url)
        return url[len("http://api.test"):]

    def thumbnail_column(self):
        (row,) = self.stack.sql("SELECT thumbnail FROM users_user")
        return row[0]

    def test_upload_serve_and_replace(self):
        image = png(4, 3)
        r = self.patch(*form([("first_name", "John")], [("thumbnail", "me.png", "image/png", image)]))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json["first_name"], "John")
        first = self.media_path(r.json["thumbnail"])
        got = self.server.request("GET", first)
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, image)
        self.assertEqual(got.header("Content-Type"), "image/png")
        self.assertEqual(got.header("X-Content-Type-Options"), "nosniff")
        # the current user shows the same URL
        r = self.server.request("GET", "/users/current-user/", headers={"Cookie": self.cookie})
        self.assertEqual(r.json["thumbnail"], "http://api.test" + first)
        # a second upload replaces the first, which is deleted
        image2 = png(1, 1)
        r = self.patch(*form(files=[("thumbnail", "second.png", "image/png", image2)]))
        self.assertEqual(r.status, 200, r.body)
        second = self.media_path(r.json["thumbnail"])
        self.assertNotEqual(first, second)
        self.assertEqual(self.server.request("GET", second).body, image2)
        self.assertFalse(os.path.exists(os.path.join(self.stack.media_dir, first[len("/media/"):])))
        # at once: the server keeps no stat cache that could serve the deleted file for a while
        # (lighttpd.conf.sample: server.stat-cache-engine = "disable")
        self.assertEqual(self.server.request("GET", first).status, 404)
        self.assertEqual(self.thumbnail_column(), second[len("/media/"):])

    def test_text_file_renamed_png_is_400(self):
        before = self.thumbnail_column()
        r = self.patch(*form(files=[("thumbnail", "notes.png", "image/png", b"some file data")]))
        self.assertEqual((r.status, r.json), (400, NOT_IMAGE))
        self.assertEqual(self.thumbnail_column(), before)

    def test_oversized_image(self):
        before = self.thumbnail_column()
        big = png(2, 2, noise=os.urandom(MAX))
        r = self.patch(*form(files=[("thumbnail", "big.png", "image/png", big)]))
        self.assertEqual((r.status, r.json),
                         (413, {"error": "The thumbnail must not be larger than %d bytes" % MAX}))
        # a body over THUMBNAIL_MAX_BYTES + 65536 is refused before it is read
        body, ct = form(files=[("thumbnail", "huge.png", "image/png",
                                png(2, 2, noise=os.urandom(MAX + 65536)))])
        r = self.patch(body, ct)
        self.assertEqual((r.status, r.json), (413, {"error": "Request body too large"}))
        self.assertEqual(self.thumbnail_column(), before)

    def test_unauthenticated_is_401(self):
        r = self.server.request("PATCH", "/users/update-user/")
        self.assertEqual(r.status, 401)
        r = self.patch(*form([("first_name", "X")]), cookie=False)
        self.assertEqual(r.status, 401)

    @unittest.skipUnless(shutil.which("curl"), "curl is not installed")
    def test_curl_form_upload(self):
        """The README's command: curl -X PATCH -F thumbnail=@some.png -b sessionid=..."""
        path = os.path.join(self.stack.dir, "some.png")
        image = png(8, 8)
        with open(path, "wb") as f:
            f.write(image)
        out = subprocess.run(
            ["curl", "-sS", "--noproxy", "*", "-X", "PATCH", "-F", "thumbnail=@" + path,
             "-F", "last_name=Doe", "-b", self.cookie,
             "http://127.0.0.1:%d/users/update-user/" % self.server.port],
            capture_output=True, timeout=30, check=True)
        user = json.loads(out.stdout)
        self.assertEqual(user["last_name"], "Doe")
        self.assertRegex(user["thumbnail"], r"/media/users/some_[A-Za-z0-9]{7}\.png$")
        self.assertEqual(self.server.request("GET", self.media_path(user["thumbnail"])).body, image)


if __name__ == "__main__":
    unittest.main()
