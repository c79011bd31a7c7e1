"""Shared hosting as a customer gets it (DEPLOY.md, "Shared hosting"): Debian's apache2 with a
server configuration that only gives the customer's ~/public_html `AllowOverride All` (no
ScriptAlias, no ExecCGI of its own), real suEXEC (apache2-suexec-pristine: every CGI under /~user/
runs as that user), and the customer, an unprivileged user, installing `make dist`'s tarball with
its install-shared into ~/public_html/tNNN/app, served at /~user/tNNN/app/. The journey runs there
through the installed .htaccess files: register, the activation link the mail worker sends to a
real SMTP sink, login, current-user, logout; the configuration, database, tools and libraries
are not served; the pages load their CSS and JS under the prefix; re-installing (an upgrade)
keeps the data, the secret and the modes an administrator chose.

The customer is a system user, authcgicust, created on first run (useradd) and kept.
"""
import email
import email.policy
import glob
import html.parser
import json
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

from harness import (PASSWORD, ROOT, HttpResponse, Redis, free_port, stop_pid, wait_for)
from smtpsink import SmtpSink
import http.client

USER = "authcgicust"
SUEXEC = "/usr/lib/apache2/suexec"
MODULES = "/usr/lib/apache2/modules"
DIST = os.path.join(ROOT, "build", "dist", "authcgi-shared.tar.gz")


def as_customer(args, **kw):
    """Runs args as the customer, with a login-like environment (no root's variables)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": pwd.getpwnam(USER).pw_dir, "LANG": "C"}
    out = subprocess.run([shutil.which("runuser") or "/usr/sbin/runuser", "-u", USER, "--", *args], env=env, capture_output=True,
                         text=True, timeout=kw.pop("timeout", 300), **kw)
    if out.returncode != 0:
        raise AssertionError("%s as %s: %s%s" % (args, USER, out.stdout[-3000:], out.stderr[-3000:]))
    return out


def ensure_customer():
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--create-home", "--home-dir", "/home/" + USER,
                        "--shell", "/usr/sbin/nologin", "--user-group", USER], check=True)
        return pwd.getpwnam(USER)


def server_config(top, port, suexec):
    """A host's configuration: the customer's public_html may override everything, nothing more."""
    # Core Apache runs ~user CGIs through the setuid suexec wrapper whenever it is installed;
    # a host without suEXEC is one with `Suexec Off` (or no wrapper).
    return ("LoadModule suexec_module %s/mod_suexec.so\n" % MODULES if suexec else "Suexec Off\n") + """
LoadModule mpm_event_module   {m}/mod_mpm_event.so
LoadModule cgid_module        {m}/mod_cgid.so
LoadModule userdir_module     {m}/mod_userdir.so
LoadModule authz_core_module  {m}/mod_authz_core.so
LoadModule dir_module         {m}/mod_dir.so
LoadModule env_module         {m}/mod_env.so
LoadModule headers_module     {m}/mod_headers.so
LoadModule mime_module        {m}/mod_mime.so
LoadModule rewrite_module     {m}/mod_rewrite.so
ServerName          localhost
Listen              127.0.0.1:{port}
User                www-data
Group               www-data
DefaultRuntimeDir   {top}/run
PidFile             {top}/run/httpd.pid
ScriptSock          {top}/run/cgid.sock
ErrorLog            {top}/error.log
LogLevel            warn rewrite:warn
TypesConfig         /etc/mime.types
DocumentRoot        {top}/htdocs
<Directory />
  Options None
  AllowOverride None
  Require all denied
</Directory>
UserDir             public_html
UserDir             disabled
UserDir             enabled {user}
<Directory /home/*/public_html>
  Options None
  AllowOverride All
  Require all granted
</Directory>
""".format(m=MODULES, port=port, top=top, user=USER)


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith("#"):
                self.urls.append(value)


@unittest.skipUnless(os.geteuid() == 0, "starts Apache as root (it switches to www-data) and "
                     "creates the customer user")
class SharedHostingTest(unittest.TestCase):
    WEBGROUP = None     # suEXEC: the programs run as the customer

    @classmethod
    def setUpClass(cls):
        for path in (SUEXEC, os.path.join(MODULES, "mod_suexec.so"), os.path.join(MODULES, "mod_userdir.so")):
            if not os.path.exists(path):
                raise AssertionError("%s is missing: bin/install-deps --test installs "
                                     "apache2-suexec-pristine and apache2" % path)
        cls.proc = cls.redis = cls.sink = None
        cls.user = ensure_customer()
        cls.top = tempfile.mkdtemp(prefix="authcgi-hosting-")
        try:
            cls.setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def setup(cls):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        out = subprocess.run(["make", "-s", "-j2", "dist"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=1800)
        if out.returncode != 0:
            raise AssertionError("make dist failed:\n" + out.stdout[-3000:] + out.stderr[-3000:])
        uid, gid = cls.user.pw_uid, cls.user.pw_gid
        home = cls.user.pw_dir
        os.chmod(home, 0o711)       # as hosts do: Apache's user may pass, not list
        cls.port = free_port()
        cls.name = "t%d" % os.getpid()
        cls.prefix = "/~%s/%s/app" % (USER, cls.name)
        cls.url = "http://127.0.0.1:%d%s" % (cls.port, cls.prefix)
        cls.work = os.path.join(home, "work-" + cls.name)      # the customer's own, unserved
        cls.dir = os.path.join(home, "public_html", cls.name, "app")
        as_customer(["mkdir", "-p", cls.work, os.path.dirname(cls.dir)])
        as_customer(["chmod", "0755", os.path.join(home, "public_html"), os.path.dirname(cls.dir)])
        as_customer(["chmod", "0700", cls.work])

        cls.redis = cls.start_redis()
        cls.sink = SmtpSink()

        shutil.copy(DIST, cls.work)
        os.chown(os.path.join(cls.work, os.path.basename(DIST)), uid, gid)
        as_customer(["tar", "-C", cls.work, "-xzf", os.path.join(cls.work, os.path.basename(DIST))])
        cls.install()
        # The customer edits the configuration (DEPLOY.md): mail through the host's SMTP server,
        # and a cheaper Argon2 for the test's speed.
        cls.edit_config({"EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1",
                         "EMAIL_PORT": str(cls.sink.port), "EMAIL_TIMEOUT": "10",
                         "ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1"})

        os.makedirs(os.path.join(cls.top, "run"))
        os.makedirs(os.path.join(cls.top, "htdocs"))
        os.chown(os.path.join(cls.top, "run"), *pwd.getpwnam("www-data")[2:4])
        os.chmod(cls.top, 0o755)
        conf = os.path.join(cls.top, "httpd.conf")
        with open(conf, "w") as f:
            f.write(server_config(cls.top, cls.port, cls.WEBGROUP is None))
        with open(os.path.join(cls.top, "error.log"), "ab") as log:
            cls.proc = subprocess.Popen(["apache2", "-f", conf, "-DFOREGROUND"], stdout=log,
                                        stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)

        def up():
            if cls.proc.poll() is not None:
                raise AssertionError("apache2 exited %d:\n%s" % (cls.proc.returncode, cls.log()))
            try:
                socket.create_connection(("127.0.0.1", cls.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, what="apache2")

    @classmethod
    def start_redis(cls):
        """The customer's Redis socket (the host's Redis, or one the customer runs): only the
        customer, who runs the programs, reaches it."""
        redis = Redis(cls.work)
        redis.owner = (cls.user.pw_uid, cls.user.pw_gid)
        return redis.start()

    @classmethod
    def install(cls):
        tree = os.path.join(cls.work, "authcgi-shared")
        return as_customer(["sh", os.path.join(tree, "install-shared"), "DIR=" + cls.dir,
                            "URL=" + cls.url, "REDIS_URL=" + cls.redis.url] +
                           (["WEBGROUP=" + cls.WEBGROUP] if cls.WEBGROUP else []))

    # (path parts, mode, owned by the web server's group) after the install
    MODES = ((("private",), 0o700), (("private", "authcgi.conf"), 0o600),
             (("private", "db"), 0o700), (("private", "db", "authcgi.sqlite3"), 0o600),
             (("private", "run"), 0o700), (("bin",), 0o700), (("bin", "authctl"), 0o700),
             (("lib",), 0o700), (("cgi-bin", "login.cgi"), 0o700),
             (("cgi-bin", "update-user.cgi"), 0o700), (("cgi-bin",), 0o755),
             ((".htaccess",), 0o644), (("index.html",), 0o644))

    @classmethod
    def edit_config(cls, values):
        """Sets keys in private/authcgi.conf in place (its mode and owner stay)."""
        path = os.path.join(cls.dir, "private", "authcgi.conf")
        with open(path) as f:
            text = f.read()
        for k, v in values.items():
            text, n = re.subn(r"(?m)^#?%s=.*$" % k, "%s=%s" % (k, v), text, count=1)
            assert n == 1, k
        with open(path, "r+") as f:
            f.write(text)
            f.truncate()

    @classmethod
    def tearDownClass(cls):
        stop_pid(cls.proc)
        if cls.redis:
            cls.redis.stop()
        if cls.sink:
            cls.sink.stop()
        if getattr(cls, "dir", None):
            shutil.rmtree(os.path.dirname(cls.dir), ignore_errors=True)
            shutil.rmtree(cls.work, ignore_errors=True)
        shutil.rmtree(cls.top, ignore_errors=True)

    @classmethod
    def log(cls):
        with open(os.path.join(cls.top, "error.log"), errors="replace") as f:
            return f.read()

    def req(self, method, path, body=None, headers=None, full=False):
        """A request to path under the prefix (or to path as it is with full=True)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": "127.0.0.1:%d" % self.port}
        if headers:
            h.update(headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path if full else self.prefix + path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return HttpResponse(resp.status, resp.getheaders(), data)

    def mode(self, *parts):
        st = os.stat(os.path.join(self.dir, *parts))
        return stat.S_IMODE(st.st_mode), st.st_uid

    def snapshot(self):
        """Mode and owner of everything in private/ and media/ (the customer's data)."""
        out = {}
        for top in ("private", "media"):
            for base, dirs, files in os.walk(os.path.join(self.dir, top)):
                for name in [""] + dirs + files:
                    p = os.path.join(base, name)
                    st = os.lstat(p)
                    out[os.path.relpath(p, self.dir)] = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
        return out

    # ---- the tests, in this order (unittest sorts by name) ----

    def test_a_the_install_is_the_customers_and_private(self):
        uid = self.user.pw_uid
        for parts, want in self.MODES:
            self.assertEqual(self.mode(*parts), (want, uid), parts)
        if self.WEBGROUP:
            gid = pwd.getpwnam(self.WEBGROUP).pw_gid
            for parts in (("private",), ("private", "authcgi.conf"), ("private", "db"),
                          ("private", "db", "authcgi.sqlite3"), ("private", "run"), ("media",)):
                self.assertEqual(os.stat(os.path.join(self.dir, *parts)).st_gid, gid, parts)
        with open(os.path.join(self.dir, "private", "authcgi.conf")) as f:
            conf = f.read()
        self.assertRegex(conf, r"(?m)^SECRET_KEY=[0-9a-f]{64}$")
        self.assertIn("\nFRONTEND_URL=%s\n" % self.url, conf)
        self.assertIn("\nAPI_BASE_URL=%s\n" % self.url, conf)
        with open(os.path.join(self.dir, ".htaccess")) as f:
            self.assertIn("RewriteBase %s/\n" % self.prefix, f.read())
        self.assertEqual("suEXEC mechanism enabled" in self.log(), self.WEBGROUP is None)

    def test_b_pages_load_their_css_and_js_under_the_prefix(self):
        pages = sorted(os.path.relpath(p, os.path.join(ROOT, "www"))
                       for p in glob.glob(os.path.join(ROOT, "www", "**", "index.html"), recursive=True))
        self.assertGreaterEqual(len(pages), 10)
        checked = set()
        for page in pages:
            path = "/" + page[:-len("index.html")]
            r = self.req("GET", path)
            self.assertEqual(r.status, 200, path)
            links = Links()
            links.feed(r.body.decode())
            for ref in links.urls:
                url = urllib.parse.urljoin(self.prefix + path, ref)
                self.assertTrue(url.startswith(self.prefix + "/"), "%s: %s leaves the prefix" % (page, ref))
                if url in checked:
                    continue
                checked.add(url)
                a = self.req("GET", url, full=True)
                self.assertEqual(a.status, 200, "%s: %s (%s)" % (page, ref, url))
                ctype = a.header("Content-Type") or ""
                if url.endswith(".css"):
                    self.assertTrue(ctype.startswith("text/css"), url)
                if url.endswith(".js"):
                    self.assertIn("javascript", ctype, url)
        self.assertTrue(any(u.endswith("/js/pages/login.js") for u in checked), checked)
        # The modules' own imports are relative to them.
        for js in glob.glob(os.path.join(ROOT, "www", "js", "**", "*.js"), recursive=True):
            rel = os.path.relpath(js, os.path.join(ROOT, "www"))
            with open(js) as f:
                for dep in re.findall(r"""^import .* from '([^']+)';""", f.read(), re.M):
                    url = urllib.parse.urljoin(self.prefix + "/" + rel, dep)
                    self.assertEqual(self.req("GET", url, full=True).status, 200, (rel, dep))
        # A page without its trailing slash (the API's redirects name them so) gets it first.
        r = self.req("GET", "/auth/confirmed")
        self.assertEqual(r.status, 301)
        self.assertTrue(r.header("Location").endswith(self.prefix + "/auth/confirmed/"), r.header("Location"))

    def test_c_configuration_database_tools_are_not_served(self):
        with open(os.path.join(self.dir, "private", "authcgi.conf")) as f:
            secret = re.search(r"(?m)^SECRET_KEY=(.*)$", f.read()).group(1).encode()
        for path in ("/private/authcgi.conf", "/private/", "/private", "/private/db/authcgi.sqlite3",
                     "/private/authcgi.conf.sample", "/private/run/", "/bin/authctl", "/bin/mailer",
                     "/lib/libcurl.so.4", "/%70rivate/authcgi.conf", "//private/authcgi.conf",
                     "/cgi-bin/../private/authcgi.conf", "/./private/authcgi.conf",
                     "/PRIVATE/authcgi.conf", "/.htaccess", "/cgi-bin/.htaccess",
                     "/private/.htaccess", "/cgi-bin/", "/cgi-bin/login.cgi/../../private/authcgi.conf"):
            r = self.req("GET", path)
            self.assertIn(r.status, (400, 403, 404), path)
            self.assertNotIn(secret, r.body, path)
            self.assertNotIn(b"SQLite format", r.body, path)
            self.assertNotIn(b"\x7fELF", r.body, path)
        # Apache's own user cannot even enter private/ (0700): it answers 403 before it reads any
        # .htaccess there, with its own page, not the JSON ErrorDocument.
        self.assertEqual(self.req("GET", "/private/authcgi.conf").status, 403)
        r = self.req("GET", "/nope.html")
        self.assertEqual((r.status, r.header("Content-Type")), (404, "application/json"))
        self.assertEqual(r.json, {"error": "Not found"})

    def test_d_journey_register_activate_login_logout(self):
        email_addr = "cust-user@example.com"
        r = self.req("GET", "/users/series")
        self.assertEqual((r.status, r.header("Location")), (301, self.prefix + "/users/series/"))
        self.assertEqual(self.req("GET", "/users/series/").json, [])
        r = self.req("GET", "/users/nope/")
        self.assertEqual((r.status, r.json), (404, {"error": "Not found"}))
        r = self.req("POST", "/users/register/", {"email": email_addr, "password": PASSWORD,
                                                  "first_name": "Cust", "last_name": "Omer"})
        self.assertEqual(r.status, 201, r.body.decode() + self.log()[-3000:])

        # The mail worker, run by the customer as cron would (DEPLOY.md).
        seen = set(glob.glob(os.path.join(self.sink.dir, "*.eml")))
        as_customer([os.path.join(self.dir, "bin", "mailer"), "--once"])
        new = sorted(set(glob.glob(os.path.join(self.sink.dir, "*.eml"))) - seen)
        self.assertEqual(len(new), 1, new)
        with open(new[0], "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        links = sorted(set(re.findall(r"http://\S+/users/register/confirm/\S+/\S+/", text)))
        self.assertEqual(len(links), 1, text)
        self.assertTrue(links[0].startswith(self.url + "/users/register/confirm/"), links[0])

        r = self.req("GET", links[0][len("http://127.0.0.1:%d" % self.port):], full=True)
        self.assertEqual((r.status, r.header("Location")), (302, self.url + "/auth/confirmed"), r.body)
        r = self.req("GET", "/auth/confirmed/")
        self.assertIn(b"../../css/site.css", r.body)

        r = self.req("POST", "/users/login/", {"email": email_addr, "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        token = r.cookie("sessionid")
        self.assertRegex(token, r"^[0-9a-f]{64}$")
        cookie = {"Cookie": "sessionid=" + token}
        r = self.req("GET", "/users/current-user/", headers=cookie)
        self.assertEqual((r.status, r.json["email"]), (200, email_addr))
        r = self.req("POST", "/users/logout/", headers=dict(cookie, Origin="http://127.0.0.1:%d" % self.port))
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(self.req("GET", "/users/current-user/", headers=cookie).status, 401)

        self.check_database_files()
        self.assertIn("security: login:", self.log())

    def check_database_files(self):
        """The programs ran as the customer (suEXEC): SQLite's files are theirs, and private.
        (The Argon2 gate's key file beside them, -argon2-sem, holds only a semaphore key.)"""
        for f in glob.glob(os.path.join(self.dir, "private", "db", "authcgi.sqlite3*")):
            st = os.stat(f)
            self.assertEqual(st.st_uid, self.user.pw_uid, f)
            if re.search(r"sqlite3(-wal|-shm)?$", f):
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o600, f)
        self.assertEqual(self.slot_owners(), {self.user.pw_uid})

    def slot_owners(self):
        """Who ran login.cgi: the owners of the Argon2 slot files it created beside the database."""
        slots = glob.glob(os.path.join(self.dir, "private", "db", "authcgi.sqlite3-argon2-*"))
        self.assertTrue(slots)
        return {os.stat(f).st_uid for f in slots}

    def test_da_the_frontend_in_a_browser_under_the_prefix(self):
        sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
        from test_browser import CHROMIUM, ensure_node_modules
        if not shutil.which("node") or not os.access(CHROMIUM, os.X_OK):
            raise AssertionError("needs node and %s (bin/install-deps --test)" % CHROMIUM)
        ensure_node_modules()
        env = dict(os.environ, BASE_URL=self.url, OUT_DIR=os.path.join(ROOT, "tests", "out", "hosting"),
                   JOURNEY_DATA=json.dumps({"email": "cust-user@example.com", "password": PASSWORD}))
        out = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "prefix.mjs")], env=env,
                             capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stdout[-4000:] + out.stderr[-6000:] + self.log()[-3000:])

    def test_db_reset_link_through_the_htaccess(self):
        r = self.req("POST", "/users/password-change/request-password-change/",
                     {"email": "cust-user@example.com"})
        self.assertEqual(r.status, 200, r.body)
        seen = set(glob.glob(os.path.join(self.sink.dir, "*.eml")))
        as_customer([os.path.join(self.dir, "bin", "mailer"), "--once"])
        new = sorted(set(glob.glob(os.path.join(self.sink.dir, "*.eml"))) - seen)
        self.assertEqual(len(new), 1, new)
        with open(new[0], "rb") as f:
            text = email.message_from_bytes(f.read(), policy=email.policy.default) \
                .get_body(("plain",)).get_content()
        link = re.search(re.escape(self.url) + r"(/users/password-change/confirm/change-password/\S+/\S+/)",
                         text)
        self.assertIsNotNone(link, text)
        r = self.req("GET", link.group(1))
        self.assertEqual(r.status, 302, r.body)
        self.assertTrue(r.header("Location").startswith(self.url + "/auth/password/change-password?token="),
                        r.header("Location"))

    def test_dc_thumbnail_upload_served_under_the_prefix(self):
        """update-user.cgi is one of the two programs that load the bundled libraries (lib/)."""
        sys.path.insert(0, os.path.join(ROOT, "tests", "http"))
        from test_upload import form, png
        r = self.req("POST", "/users/login/", {"email": "cust-user@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        image = png(3, 2)
        body, ctype = form([("first_name", "Cust")], [("thumbnail", "me.png", "image/png", image)])
        r = self.req("PATCH", "/users/update-user/", body,
                     {"Content-Type": ctype, "Cookie": "sessionid=" + r.cookie("sessionid")})
        self.assertEqual(r.status, 200, r.body.decode() + self.log()[-2000:])
        url = r.json["thumbnail"]
        self.assertTrue(url.startswith(self.url + "/media/users/"), url)
        got = self.req("GET", url[len("http://127.0.0.1:%d" % self.port):], full=True)
        self.assertEqual((got.status, got.body, got.header("X-Content-Type-Options")),
                         (200, image, "nosniff"))

    def test_e_upgrade_keeps_data_secret_and_modes(self):
        # An administrator's own choice, which the upgrade must keep.
        os.chmod(os.path.join(self.dir, "private", "db"), 0o750)
        with open(os.path.join(self.dir, "private", "authcgi.conf")) as f:
            before_conf = f.read()
        before = self.snapshot()
        out = self.install()
        self.assertNotIn("wrote ", out.stdout)
        self.assertEqual(self.snapshot(), before)
        with open(os.path.join(self.dir, "private", "authcgi.conf")) as f:
            self.assertEqual(f.read(), before_conf)
        # The account made before the upgrade still logs in, through the new programs.
        r = self.req("POST", "/users/login/", {"email": "cust-user@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)

    def test_f_install_refuses_root(self):
        tree = os.path.join(self.work, "authcgi-shared")
        out = subprocess.run(["sh", os.path.join(tree, "install-shared"), "DIR=" + self.dir,
                              "URL=" + self.url], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("not as root", out.stderr)


@unittest.skipUnless(os.geteuid() == 0, "starts Apache as root and changes the customer's groups")
class WithoutSuexecTest(SharedHostingTest):
    """The same without suEXEC: Apache's own user (www-data) runs the programs, so the install is
    shared with its group (WEBGROUP=www-data, DEPLOY.md says why that is unsafe among customers).
    The customer must be in that group to give it their files: here they are (usermod -aG)."""
    WEBGROUP = "www-data"
    MODES = ((("private",), 0o2770), (("private", "authcgi.conf"), 0o640),
             (("private", "db"), 0o2770), (("private", "db", "authcgi.sqlite3"), 0o660),
             (("private", "run"), 0o2770), (("bin",), 0o700), (("bin", "authctl"), 0o700),
             (("lib",), 0o755), (("cgi-bin", "login.cgi"), 0o755), (("media",), 0o2775),
             (("cgi-bin", "update-user.cgi"), 0o755), (("cgi-bin",), 0o755),
             ((".htaccess",), 0o644), (("index.html",), 0o644))

    @classmethod
    def setUpClass(cls):
        ensure_customer()
        subprocess.run(["usermod", "-aG", cls.WEBGROUP, USER], check=True)
        super().setUpClass()

    @classmethod
    def start_redis(cls):
        """A Redis socket the web server's user reaches (and so every other customer's scripts)."""
        www = pwd.getpwnam("www-data")
        redis = Redis(cls.top)
        redis.owner = (www.pw_uid, www.pw_gid)
        return redis.start()

    def check_database_files(self):
        """SQLite's files: written by www-data and by the customer's mailer, never by others."""
        gid = pwd.getpwnam(self.WEBGROUP).pw_gid
        for f in glob.glob(os.path.join(self.dir, "private", "db", "authcgi.sqlite3*")):
            st = os.stat(f)
            self.assertEqual(st.st_gid, gid, f)
            if re.search(r"sqlite3(-wal|-shm)?$", f):
                self.assertEqual(stat.S_IMODE(st.st_mode) & 0o007, 0, f)
        self.assertEqual(self.slot_owners(), {pwd.getpwnam("www-data").pw_uid})


if __name__ == "__main__":
    unittest.main()
