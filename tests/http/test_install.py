"""The acceptance of `make install`: `make install DESTDIR=<tmp>/stage PREFIX=/srv/authcgi` lays out
the tree DEPLOY.md describes, and the server sample (httpd.conf.sample under AUTHCGI_SERVER=apache,
run with prefork + mod_cgi here; lighttpd.conf.sample otherwise) serves it unchanged but for paths
and lighttpd's switch to www-data (LighttpdUserTest checks that one on its own): the configuration
is the installed authcgi.conf.sample with the three values of DEPLOY.md set.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import unittest

from harness import (BUILD, PASSWORD, ROOT, SECRET, Apache, Lighttpd, Stack, free_port, stop_pid,
                     wait_for)

PREFIX = "/srv/authcgi"
SAMPLES = ("httpd.conf.sample", "lighttpd.conf.sample", "authcgi.conf.sample",
           "authcgi-mailer.service.sample")


def set_key(text, key, value):
    """The sample with KEY set: its '#KEY=default' or 'KEY=...' line replaced."""
    new, n = re.subn(r"^#?%s=.*$" % key, "%s=%s" % (key, value), text, count=1, flags=re.M)
    if n != 1:
        raise AssertionError("authcgi.conf.sample has no %s line" % key)
    return new


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack()
        cls.server = None
        try:
            cls.install_and_start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def install_and_start(cls):
        cls.dest = os.path.join(cls.stack.dir, "stage")
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        out = subprocess.run(["make", "-s", "-j2", "install", "DESTDIR=" + cls.dest,
                              "PREFIX=" + PREFIX], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=1800)
        if out.returncode != 0:
            raise AssertionError("make install failed:\n" + out.stdout[-3000:] + out.stderr[-3000:])
        cls.prefix = cls.dest + PREFIX
        cls.mail_dir = cls.stack.mail_dir

        # DEPLOY.md: copy the sample, set the three values. The paths differ only because the tree
        # is staged under DESTDIR instead of living at PREFIX; Redis is the test's own socket.
        with open(os.path.join(cls.prefix, "authcgi.conf.sample")) as f:
            conf = f.read()
        for key, value in (("SECRET_KEY", SECRET), ("FRONTEND_URL", "http://front.test"),
                           ("API_BASE_URL", "http://api.test"),
                           ("DATABASE_URL", "sqlite:///" + cls.prefix + "/db/authcgi.sqlite3"),
                           ("MEDIA_ROOT", cls.prefix + "/media"),
                           ("REDIS_URL", cls.stack.redis.url),
                           ("EMAIL_BACKEND", "file"), ("EMAIL_FILE_PATH", cls.mail_dir),
                           ("ARGON2_MEMORY_KIB", "1024"), ("ARGON2_TIME_COST", "1")):
            conf = set_key(conf, key, value)
        cls.conf_path = os.path.join(cls.prefix, "authcgi.conf")
        fd = os.open(cls.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(conf)
        cls.run_installed("authctl", "migrate")
        cls.run_installed("authctl", "createuser", "john@example.com", input=PASSWORD + "\n")

        if os.environ.get("AUTHCGI_SERVER", "lighttpd") == "apache":
            cls.server = Apache(cls.stack, mpm="prefork", prefix=cls.prefix)
        else:
            cls.server = Lighttpd(cls.stack, prefix=cls.prefix)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()
        cls.stack.stop()

    @classmethod
    def run_installed(cls, program, *args, input=None):
        out = subprocess.run([os.path.join(cls.prefix, "bin", program), *args], input=input,
                             env={"AUTHCGI_CONFIG": cls.conf_path, "PATH": os.environ["PATH"]},
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("%s %s: %s" % (program, args, out.stderr))
        return out

    def req(self, method, path, body=None, headers=None):
        return self.server.request(method, path, body, headers)

    def test_layout(self):
        p = self.prefix
        built = sorted(os.path.basename(f) for f in glob.glob(os.path.join(BUILD, "cgi-bin", "*.cgi")))
        self.assertEqual(sorted(os.listdir(os.path.join(p, "cgi-bin"))), built)
        for f in built + ["../bin/authctl", "../bin/mailer"]:
            path = os.path.join(p, "cgi-bin", f)
            self.assertTrue(os.access(path, os.X_OK), path)
            self.assertEqual(os.stat(path).st_mode & 0o7777, 0o755, path)
        self.assertTrue(os.path.isfile(os.path.join(p, "www", "index.html")))
        self.assertEqual(sorted(os.listdir(os.path.join(ROOT, "www"))), sorted(os.listdir(os.path.join(p, "www"))))
        for sql in glob.glob(os.path.join(ROOT, "db", "[0-9]*.sql")):
            self.assertTrue(os.path.isfile(os.path.join(p, "db", os.path.basename(sql))), sql)
        for name in ("media/users", "run", "errors"):
            self.assertTrue(os.path.isdir(os.path.join(p, name)), name)
        errors = glob.glob(os.path.join(p, "errors", "json-*.html"))
        self.assertGreaterEqual(len(errors), 12)
        for f in errors:
            with open(f) as fh:
                self.assertIsInstance(json.load(fh)["error"], str)
        for name in SAMPLES:
            with open(os.path.join(p, name)) as f:
                text = f.read()
            self.assertIn(PREFIX, text, name)
            self.assertNotIn(ROOT, text, name)
            self.assertNotIn("/usr/local/authcgi", text, name)

    def test_the_compiled_in_home_is_prefix(self):
        for f in ("bin/authctl", "bin/mailer", "cgi-bin/login.cgi"):
            with open(os.path.join(self.prefix, f), "rb") as fh:
                data = fh.read()
            self.assertIn(PREFIX.encode() + b"/authcgi.conf\0", data, f)
            self.assertNotIn((ROOT + "/authcgi.conf").encode(), data, f)

    def test_login_and_current_user_from_the_installed_tree(self):
        r = self.req("POST", "/users/login/", {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json["email"], "john@example.com")
        token = r.cookie("sessionid")
        self.assertRegex(token, r"^[0-9a-f]{64}$")
        r = self.req("GET", "/users/current-user/", headers={"Cookie": "sessionid=" + token})
        self.assertEqual((r.status, r.json["email"]), (200, "john@example.com"))
        r = self.req("GET", "/cgi-bin/current-user.cgi", headers={"Cookie": "sessionid=" + token})
        self.assertEqual(r.status, 200)

    def test_routing_static_files_and_errors_from_the_installed_tree(self):
        r = self.req("GET", "/users/series")
        self.assertEqual((r.status, r.header("Location")), (301, "/users/series/"))
        self.assertEqual(self.req("GET", "/users/series/").json, [])
        r = self.req("GET", "/users/nope/")
        self.assertEqual((r.status, r.json), (404, {"error": "Not found"}))
        r = self.req("GET", "/cgi-bin/nope.cgi")
        self.assertEqual((r.status, r.header("Content-Type"), r.json),
                         (404, "application/json", {"error": "Not found"}))
        r = self.req("GET", "/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        with open(os.path.join(self.prefix, "media", "users", "a.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
        r = self.req("GET", "/media/users/a.png")
        self.assertEqual((r.status, r.header("X-Content-Type-Options")), (200, "nosniff"))

    def test_configuration_and_database_beside_the_document_root_are_unreachable(self):
        self.assertTrue(os.path.exists(os.path.join(self.prefix, "db", "authcgi.sqlite3")))
        for path in ("/authcgi.conf", "/../authcgi.conf", "/%2e%2e/authcgi.conf", "/www/../authcgi.conf",
                     "/db/authcgi.sqlite3", "/../db/authcgi.sqlite3", "/media/../authcgi.conf",
                     "/cgi-bin/../authcgi.conf", "/cgi-bin/..%2fauthcgi.conf", "/httpd.conf.sample",
                     "/authcgi-errors/../authcgi.conf", "/bin/authctl", "/run/httpd.pid"):
            r = self.req("GET", path)
            self.assertIn(r.status, (400, 403, 404), path)
            self.assertNotIn(SECRET.encode(), r.body, path)
            self.assertNotIn(b"SQLite format", r.body, path)

    def test_the_mail_worker_sends_what_the_installed_programs_queue(self):
        before = set(os.listdir(self.mail_dir))
        r = self.req("POST", "/users/password-change/request-password-change/",
                     {"email": "john@example.com"})
        self.assertEqual(r.status, 200, r.body)
        self.run_installed("mailer", "--once")
        sent = set(os.listdir(self.mail_dir)) - before
        self.assertEqual(len(sent), 1, sent)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_the_systemd_unit_sample_verifies(self):
        with open(os.path.join(self.prefix, "authcgi-mailer.service.sample")) as f:
            unit = f.read().replace(PREFIX, self.prefix)
        path = os.path.join(self.stack.dir, "authcgi-mailer.service")
        with open(path, "w") as f:
            f.write(unit)
        out = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("ExecStart=%s/bin/mailer\n" % self.prefix, unit)


@unittest.skipUnless(os.geteuid() == 0 and os.environ.get("AUTHCGI_SERVER", "lighttpd") == "lighttpd",
                     "lighttpd started as root, once per run")
class LighttpdUserTest(unittest.TestCase):
    """lighttpd.conf.sample as shipped, started as root as Debian's service starts it, runs the
    CGIs as www-data (server.username), never as root. The other tests drop those two lines:
    their state is private to the user running them."""

    def test_cgis_run_as_www_data(self):
        import tempfile
        top = tempfile.mkdtemp(prefix="authcgi-user-")
        server = None
        try:
            os.chmod(top, 0o755)
            for d in ("cgi-bin", "www", "errors", "media", "log"):
                os.makedirs(os.path.join(top, d))
            os.chmod(os.path.join(top, "log"), 0o777)
            script = os.path.join(top, "cgi-bin", "whoami.cgi")
            with open(script, "w") as f:
                f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nid -un\n")
            os.chmod(script, 0o755)
            with open(os.path.join(ROOT, "lighttpd.conf.sample")) as f:
                conf = f.read()
            self.assertRegex(conf, r'(?m)^server\.username += "www-data"$')
            self.assertRegex(conf, r'(?m)^server\.groupname += "www-data"$')
            port = free_port()
            conf = conf.replace("/srv/authcgi", top).replace(
                "/var/log/lighttpd/authcgi-error.log", os.path.join(top, "log", "error.log")).replace(
                "/var/log/lighttpd/authcgi-cgi.log", os.path.join(top, "log", "cgi.log")).replace(
                "/run/lighttpd.pid", os.path.join(top, "lighttpd.pid")).replace(
                "server.port          = 8080", "server.port          = %d" % port)
            conf_path = os.path.join(top, "lighttpd.conf")
            with open(conf_path, "w") as f:
                f.write(conf)
            server = subprocess.Popen(["lighttpd", "-D", "-f", conf_path], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)

            def answer():
                out = subprocess.run(["curl", "-s", "http://127.0.0.1:%d/cgi-bin/whoami.cgi" % port],
                                     capture_output=True, text=True)
                return out.stdout.strip() if out.returncode == 0 else None
            wait_for(lambda: answer() or server.poll() is not None, what="lighttpd")
            self.assertIsNone(server.poll(), server.stderr.read().decode() if server.poll() is not None else "")
            self.assertEqual(answer(), "www-data")
        finally:
            stop_pid(server)
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
