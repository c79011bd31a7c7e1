"""Thumbnail upload with STORAGE_BACKEND=s3 against a real S3 implementation (Ceph radosgw, which
verifies SigV4 signatures and x-amz-content-sha256), through the web server (API.md §7.10, §8.7)."""
import hashlib
import os
import struct
import unittest
import zlib

import radosgw
from harness import PASSWORD, Stack, free_port, web_server

MAX = 1600000
NOT_IMAGE = {"error": "Upload a valid image. The file you uploaded was either not an image or a "
                      "corrupted image."}
INTERNAL = {"error": "Internal server error"}
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}


def png(width=2, height=2, noise=b""):
    """A valid PNG built with zlib and struct; noise (bytes) makes it larger."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x99\x33\x11" * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + noise) if noise else b""
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg():
    """A minimal baseline JPEG header sequence (16x8, one component) up to EOI."""
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x10\x01\x01\x11\x00\xff\xd9")


def form(fields=(), files=(), boundary="----authcgiS3Boundary"):
    out = b""
    for name, value in fields:
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (boundary, name, value)).encode()
    for name, filename, data in files:
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n' % (boundary, name, filename)).encode()
        out += data + b"\r\n"
    return out + ("--%s--\r\n" % boundary).encode(), "multipart/form-data; boundary=" + boundary


class S3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not radosgw.available():
            raise RuntimeError("radosgw, ceph-mon and ceph-osd are needed: bin/install-deps --test")
        cls.gw = radosgw.RadosGW().start()
        print("radosgw started in %.1f s" % cls.gw.startup_seconds, flush=True)
        try:
            cls.s3_config = {
                "STORAGE_BACKEND": "s3", "AWS_ACCESS_KEY_ID": cls.gw.access_key,
                "AWS_SECRET_ACCESS_KEY": cls.gw.secret_key, "AWS_S3_BUCKET_NAME": cls.gw.bucket,
                "AWS_S3_ENDPOINT_URL": cls.gw.endpoint, "THUMBNAIL_MAX_BYTES": str(MAX)}
            cls.stack = Stack(**cls.s3_config)
            cls.config = dict(cls.stack.config)
            cls.stack.create_user("john@example.com")
            cls.server = web_server(cls.stack).start()
            r = cls.server.request("POST", "/users/login/",
                                   {"email": "john@example.com", "password": PASSWORD})
            assert r.status == 200, r.body
            cls.token = r.cookie("sessionid")
        except BaseException:
            cls.gw.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.stack.stop()
        cls.gw.stop()

    def tearDown(self):
        self.stack.config = dict(self.config)
        self.stack.write_config()

    def patch(self, fields=(), files=()):
        body, ct = form(fields, files)
        return self.server.request("PATCH", "/users/update-user/", body,
                                   {"Content-Type": ct, "Cookie": "sessionid=" + self.token})

    def patch_pipe(self, fields=(), files=()):
        """The same request as a CGI pipe run, for configurations the server must not keep."""
        body, ct = form(fields, files)
        return self.stack.cgi("update-user", "PATCH", body,
                              env={"HTTP_COOKIE": "sessionid=" + self.token, "CONTENT_TYPE": ct})

    def row(self):
        (r,) = self.stack.sql("SELECT u.first_name, u.thumbnail, p.phone_number FROM users_user u "
                              "JOIN user_profile p ON p.user_id = u.id")
        return r

    def key_of(self, url):
        prefix = "%s/%s/" % (self.gw.endpoint, self.gw.bucket)
        self.assertTrue(url.startswith(prefix + "media/users/django-auth/users/"), url)
        return url[len(prefix):]

    def test_upload_serve_and_replace(self):
        image = png(6, 4)
        r = self.patch([("first_name", "John")], [("thumbnail", "my photo.png", image)])
        self.assertEqual(r.status, 200, r.body)
        url = r.json["thumbnail"]
        self.assertRegex(url, r"/media/users/django-auth/users/my_photo_[A-Za-z0-9]{7}\.png$")
        key = self.key_of(url)
        # public-read by default: the URL serves the image as it is, to anyone
        status, headers, body = self.gw.get_public(url[len(self.gw.endpoint):])
        self.assertEqual(status, 200)
        self.assertEqual(body, image)
        self.assertEqual(headers["content-type"], "image/png")
        self.assertEqual(headers["cache-control"], "max-age=86400")
        self.assertEqual(self.row()[1], key[len("media/users/django-auth/"):])
        self.assertIn(key, self.gw.keys())
        # the second upload replaces the first object, which is deleted
        r = self.patch(files=[("thumbnail", "photo.jpg", jpeg())])
        self.assertEqual(r.status, 200, r.body)
        key2 = self.key_of(r.json["thumbnail"])
        self.assertTrue(key2.endswith(".jpg"))
        keys = self.gw.keys()
        self.assertIn(key2, keys)
        self.assertNotIn(key, keys)
        status, headers, body = self.gw.request("GET", "/%s/%s" % (self.gw.bucket, key2))
        self.assertEqual((status, headers["content-type"], body), (200, "image/jpeg", jpeg()))
        self.assertEqual(self.row()[0], "John")

    def test_previous_django_name_is_deleted(self):
        """A name from the original backend, with characters that need percent-encoding."""
        old_key = "media/users/django-auth/users/Old n\u00e4me (1)+x.png"
        status, _, _ = self.gw.request("PUT", "/%s/%s" % (self.gw.bucket, old_key), png())
        self.assertEqual(status, 200)
        self.stack.sql("UPDATE users_user SET thumbnail = ?", (old_key[len("media/users/django-auth/"):],))
        self.assertIn(old_key, self.gw.keys())
        r = self.patch(files=[("thumbnail", "new.png", png())])
        self.assertEqual(r.status, 200, r.body)
        keys = self.gw.keys()
        self.assertNotIn(old_key, keys)
        self.assertIn(self.key_of(r.json["thumbnail"]), keys)

    def test_large_upload(self):
        image = png(2, 2, noise=os.urandom(MAX - 200))
        self.assertLessEqual(len(image), MAX)
        r = self.patch(files=[("thumbnail", "big.png", image)])
        self.assertEqual(r.status, 200, r.body)
        status, headers, body = self.gw.request(
            "GET", "/%s/%s" % (self.gw.bucket, self.key_of(r.json["thumbnail"])))
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(image).hexdigest())

    def test_not_an_image_and_too_large_store_nothing(self):
        before, keys = self.row(), self.gw.keys()
        r = self.patch(files=[("thumbnail", "notes.png", b"some file data")])
        self.assertEqual((r.status, r.json), (400, NOT_IMAGE))
        r = self.patch(files=[("thumbnail", "big.png", png(noise=os.urandom(MAX)))])
        self.assertEqual((r.status, r.json),
                         (413, {"error": "The thumbnail must not be larger than %d bytes" % MAX}))
        self.assertEqual((self.row(), self.gw.keys()), (before, keys))

    def test_wrong_secret_is_an_error_and_changes_nothing(self):
        before, keys = self.row(), self.gw.keys()
        self.stack.set(AWS_SECRET_ACCESS_KEY="wrong" + self.gw.secret_key[5:])
        r = self.patch_pipe([("first_name", "Changed"), ("phone_number", "123")],
                            [("thumbnail", "a.png", png())])
        self.assertEqual((r.status, r.json), (500, INTERNAL))
        self.assertIn("SignatureDoesNotMatch", r.stderr)
        self.assertNotIn(self.gw.secret_key[5:], r.stderr)
        self.assertEqual((self.row(), self.gw.keys()), (before, keys))

    def test_unreachable_storage_is_503(self):
        before = self.row()
        self.stack.set(AWS_S3_ENDPOINT_URL="http://127.0.0.1:%d" % free_port())
        r = self.patch_pipe([("first_name", "Changed")], [("thumbnail", "a.png", png())])
        self.assertEqual((r.status, r.json), (503, UNAVAILABLE))
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.row(), before)

    def test_empty_acl_sends_none(self):
        self.stack.set(AWS_DEFAULT_ACL="")
        r = self.patch_pipe(files=[("thumbnail", "private.png", png())])
        self.assertEqual(r.status, 200, r.body)
        key = self.key_of(r.json["thumbnail"])
        self.assertEqual(self.gw.get_public("/%s/%s" % (self.gw.bucket, key))[0], 403)
        self.assertEqual(self.gw.request("GET", "/%s/%s" % (self.gw.bucket, key))[0], 200)

    def deletion_user(self, email):
        """A user with a thumbnail on S3, logged in: (session token, object key)."""
        self.stack.create_user(email)
        r = self.server.request("POST", "/users/login/", {"email": email, "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        token = r.cookie("sessionid")
        body, ct = form(files=[("thumbnail", "gone.png", png())])
        r = self.server.request("PATCH", "/users/update-user/", body,
                                {"Content-Type": ct, "Cookie": "sessionid=" + token})
        self.assertEqual(r.status, 200, r.body)
        key = self.key_of(r.json["thumbnail"])
        self.assertIn(key, self.gw.keys())
        return token, key

    def test_account_deletion_deletes_the_object(self):
        """API.md §12.1 step 5.3 on S3: the stored thumbnail goes with the account."""
        token, key = self.deletion_user("leaving@example.com")
        r = self.server.request("POST", "/users/delete-account/", {"password": PASSWORD},
                                {"Cookie": "sessionid=" + token})
        self.assertEqual((r.status, r.json), (200, {"message": "Your account has been deleted"}))
        self.assertNotIn(key, self.gw.keys())
        r = self.server.request("GET", "/users/current-user/", None, {"Cookie": "sessionid=" + token})
        self.assertEqual(r.status, 401)

    def test_account_deletion_with_storage_refusing_is_200_and_logged(self):
        token, key = self.deletion_user("refused@example.com")
        self.stack.set(AWS_SECRET_ACCESS_KEY="wrong" + self.gw.secret_key[5:])
        r = self.stack.cgi("delete-account", "POST", '{"password": "%s"}' % PASSWORD,
                           env={"HTTP_COOKIE": "sessionid=" + token})
        self.assertEqual((r.status, r.json), (200, {"message": "Your account has been deleted"}))
        self.assertIn("the object is orphaned", r.stderr)
        self.assertIn(key[len("media/users/django-auth/"):], r.stderr)
        self.assertNotIn(self.gw.secret_key[5:], r.stderr)
        self.assertIn(key, self.gw.keys())      # orphaned, and said so in the log
        self.assertEqual(self.stack.sql("SELECT 1 FROM users_user WHERE email = ?",
                                        ("refused@example.com",)), [])


if __name__ == "__main__":
    unittest.main()
