"""`make run` (bin/devserver) in a copy of this built checkout, made with `cp -a` so that nothing
looks stale: the copy rebuilds for its own AUTHCGI_HOME, its programs open the copy's database
(not this checkout's) and the banner names that one; a replaced thumbnail is 404 at once
through the lighttpd configuration make run generates (no stat cache)."""
import os
import shutil
import struct
import subprocess
import tempfile
import unittest
import zlib

from devrun import MakeRun
from harness import PASSWORD, ROOT, SECRET, free_port

EMAIL = "copy@example.com"
# Left out of the copy: other build directories and this checkout's own make run state.
NOT_COPIED = {".git", "build", "run", "node_modules"}


def png(width, height):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x20\x40\x60" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def thumbnail_form(name, data, boundary="----authcgiDevserver"):
    body = ('--%s\r\nContent-Disposition: form-data; name="thumbnail"; filename="%s"\r\n'
            'Content-Type: image/png\r\n\r\n' % (boundary, name)).encode()
    body += data + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def db_state(path):
    try:
        st = os.stat(path)
        return (st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return None


class CopiedTreeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for built in ("obj/AUTHCGI_HOME", "bin/authctl", "cgi-bin/update-user.cgi"):
            if not os.path.exists(os.path.join(ROOT, built)):
                raise AssertionError("this checkout is not built (%s missing): run make first" % built)
        cls.tmp = tempfile.mkdtemp(prefix="authcgi-copy-")
        cls.tree = os.path.join(cls.tmp, "authcgi")
        cls.server = None
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        os.mkdir(cls.tree)
        names = [n for n in os.listdir(ROOT) if n not in NOT_COPIED]
        subprocess.run(["cp", "-a", *[os.path.join(ROOT, n) for n in names], cls.tree], check=True)
        for f in os.listdir(os.path.join(cls.tree, "db")):
            if f.startswith("authcgi.sqlite3"):
                os.unlink(os.path.join(cls.tree, "db", f))
        cls.original_db = os.path.join(ROOT, "db", "authcgi.sqlite3")
        cls.original_db_before = db_state(cls.original_db)
        cls.server = MakeRun(cls.tree, free_port(), os.path.join(cls.tmp, "make-run.log")).start()
        cls.first = cls.server.wait_until_serving(600)

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def authctl(self, *args, env=None, input=None):
        out = subprocess.run([os.path.join(self.tree, "bin", "authctl"), *args], input=input,
                             env=env or {"PATH": os.environ["PATH"],
                                         "AUTHCGI_CONFIG": self.tree + "/run/authcgi.conf"},
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_copy_rebuilt_for_its_own_home(self):
        self.assertEqual(self.first.status, 401, self.first.body)
        with open(os.path.join(self.tree, "obj", "AUTHCGI_HOME")) as f:
            self.assertEqual(f.read().strip(), self.tree)
        for prog in ("bin/authctl", "cgi-bin/login.cgi"):
            with open(os.path.join(self.tree, prog), "rb") as f:
                binary = f.read()
            self.assertIn((self.tree + "/authcgi.conf").encode() + b"\0", binary, prog)
            self.assertNotIn((ROOT + "/authcgi.conf").encode() + b"\0", binary, prog)

    def test_banner_and_programs_use_the_copys_database(self):
        copy_db = os.path.join(self.tree, "db", "authcgi.sqlite3")
        self.assertIn("Database:  sqlite:///%s\n" % copy_db, self.server.log())
        with open(os.path.join(self.tree, "run", "authcgi.conf")) as f:
            self.assertIn("DATABASE_URL=sqlite:///%s\n" % copy_db, f.read())
        r = self.server.request("POST", "/users/register/",
                                {"email": EMAIL, "first_name": "C", "last_name": "Opy",
                                 "password": PASSWORD})
        self.assertEqual(r.status, 201, r.body)
        self.assertTrue(os.path.exists(copy_db))
        self.assertEqual(db_state(self.original_db), self.original_db_before)
        # The compiled-in default database (no DATABASE_URL, no configuration file) is the
        # copy's too: the registered user is there.
        out = self.authctl("list", env={"PATH": os.environ["PATH"], "SECRET_KEY": SECRET})
        self.assertIn(EMAIL, out)

    def test_replaced_thumbnail_is_404_at_once(self):
        with open(os.path.join(self.tree, "run", "lighttpd.conf")) as f:
            self.assertRegex(f.read(), r'(?m)^server\.stat-cache-engine\s*=\s*"disable"')
        self.authctl("createuser", "thumb@example.com", input=PASSWORD + "\n")
        r = self.server.request("POST", "/users/login/",
                                {"email": "thumb@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        cookie = {"Cookie": "sessionid=" + r.cookie("sessionid")}
        base = "http://127.0.0.1:%d" % self.server.port

        def upload(name, data):
            body, ctype = thumbnail_form(name, data)
            r = self.server.request("PATCH", "/users/update-user/", body,
                                    dict(cookie, **{"Content-Type": ctype}))
            self.assertEqual(r.status, 200, r.body)
            self.assertTrue(r.json["thumbnail"].startswith(base + "/media/users/"), r.json)
            return r.json["thumbnail"][len(base):]

        first_image, second_image = png(3, 2), png(1, 1)
        first = upload("first.png", first_image)
        got = self.server.request("GET", first)
        self.assertEqual((got.status, got.body), (200, first_image))
        second = upload("second.png", second_image)
        self.assertNotEqual(first, second)
        self.assertEqual(self.server.request("GET", first).status, 404)
        self.assertEqual(self.server.request("GET", second).body, second_image)


if __name__ == "__main__":
    unittest.main()
