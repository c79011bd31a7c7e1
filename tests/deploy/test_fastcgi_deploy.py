"""FastCGI as DEPLOY.md sets it up (issue 18): `make install CGI_USER=www-data` gives run/ to the
programs' user, and the samples' FastCGI blocks, switched on with the sed commands of DEPLOY.md,
serve the journey: lighttpd mod_fastcgi (its sockets in run/) and Apache mod_fcgid. The security
log of a FastCGI responder reaches the same files as under CGI."""
import os
import re
import shutil
import subprocess
import unittest

from deployment import Deployment, apache, lighttpd
from harness import PASSWORD, ROOT

# The commands of DEPLOY.md ("FastCGI"), applied to the installed samples.
LIGHTTPD_SED = ["sed", "-e", 's/"mod_cgi",/"mod_cgi", "mod_fastcgi",/', "-e",
                r"/^[[:space:]]*cgi\.assign = /d", "-e", "s/^#FCGI //"]
APACHE_SED = ["sed", "-e", "s/^#FCGI //"]
FCGID = "/usr/lib/apache2/modules/mod_fcgid.so"


def switched(deployment, sed, sample):
    text = deployment.sample(sample)
    out = subprocess.run(sed, input=text, capture_output=True, text=True, check=True)
    return out.stdout


@unittest.skipUnless(os.geteuid() == 0, "starts the servers as root, as the services do")
class FastCGIDeployTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def setUp(self):
        for name in os.listdir(self.d.logdir):   # Apache opens its log as root, lighttpd as www-data
            os.unlink(os.path.join(self.d.logdir, name))
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()

    def test_deploy_md_shows_these_commands(self):
        with open(os.path.join(ROOT, "DEPLOY.md")) as f:
            doc = f.read()
        for command in ("sed -e 's/\"mod_cgi\",/\"mod_cgi\", \"mod_fastcgi\",/' "
                        "-e '/^[[:space:]]*cgi\\.assign = /d' -e 's/^#FCGI //'",
                        "sed -e 's/^#FCGI //'", "make install CGI_USER=www-data"):
            self.assertTrue(command in doc, "DEPLOY.md lacks: " + command)

    def test_install_gives_the_writable_directories_to_cgi_user(self):
        for name in ("run", "db", "media/users"):
            st = os.stat(os.path.join(self.d.prefix, name))
            self.assertEqual(st.st_uid, self.d.www.pw_uid, name)
        for name in ("cgi-bin", "bin", "www", "."):
            self.assertEqual(os.stat(os.path.join(self.d.prefix, name)).st_uid, 0, name)
        # nothing world-writable (the acceptance), the configuration not world-readable
        for base, dirs, files in os.walk(self.d.prefix):
            for name in dirs + files:
                path = os.path.join(base, name)
                self.assertFalse(os.lstat(path).st_mode & 0o002, path)
        st = os.stat(self.d.conf_path)
        self.assertEqual((st.st_mode & 0o777, st.st_uid, st.st_gid), (0o640, 0, self.d.www.pw_gid))
        st = os.stat(self.d.mail_dir)
        self.assertEqual((st.st_mode & 0o777, st.st_uid), (0o700, self.d.www.pw_uid))

    def test_install_ships_the_man_pages_and_the_docs(self):
        share = os.path.join(self.d.prefix, "share")
        for page in ("authctl.8", "mailer.8"):
            path = os.path.join(share, "man", "man8", page)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o644, path)
            out = subprocess.run(["man", "-l", path], capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
            self.assertIn(page.split(".")[0].upper() + "(8)", out.stdout)
        for doc in ("DEPLOY.md", "README.md", "docs/api.md", "docs/configuration.md", "docs/admin.md"):
            self.assertTrue(os.path.isfile(os.path.join(share, "doc", "authcgi", doc)), doc)

    def test_deploy_md_section_2_sets_the_three_values_and_the_mail_directory(self):
        v = self.d.doc_values
        self.assertRegex(v["SECRET_KEY"], r"^[A-Za-z0-9+/]{64}$")
        self.assertEqual((v["FRONTEND_URL"], v["API_BASE_URL"]),
                         ("https://app.example.com", "https://api.example.com"))
        self.assertEqual((v["EMAIL_BACKEND"], v["EMAIL_FILE_PATH"]), ("file", self.d.mail_dir))
        self.assertEqual(len(v), 5, v)      # nothing else uncommented
        out = self.d.authctl("list").stdout
        self.assertIn("you@example.com", out)       # createsuperuser of DEPLOY.md
        self.assertEqual(os.stat(os.path.join(self.d.prefix, "db")).st_mode & 0o777, 0o700)
        # an upgrade (make install again) keeps them
        self.d.make_install()
        self.assertEqual(os.stat(os.path.join(self.d.prefix, "run")).st_uid, self.d.www.pw_uid)

    def journey(self, server):
        r = server.request("POST", "/users/login/", {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        token = r.cookie("sessionid")
        r = server.request("GET", "/users/current-user/", headers={"Cookie": "sessionid=" + token})
        self.assertEqual((r.status, r.json["email"]), (200, "john@example.com"))
        r = server.request("GET", "/users/series")
        self.assertEqual((r.status, r.header("Location")), (301, "/users/series/"))
        return r

    def test_lighttpd_mod_fastcgi(self):
        conf = switched(self.d, LIGHTTPD_SED, "lighttpd.conf.sample")
        self.assertIn('"mod_fastcgi"', conf)
        self.assertNotRegex(conf, r"(?m)^\s*cgi\.assign")
        self.server = lighttpd(self.d, conf, foreground=False)
        self.journey(self.server)
        socks = [n for n in os.listdir(os.path.join(self.d.prefix, "run")) if n.endswith(".sock")
                 or re.search(r"\.sock-\d+$", n)]
        self.assertTrue(socks)
        for n in socks:
            self.assertEqual(os.lstat(os.path.join(self.d.prefix, "run", n)).st_uid, self.d.www.pw_uid)
        r = self.server.request("POST", "/users/login/", {"email": "john@example.com", "password": "nope nope"})
        self.assertEqual(r.status, 400)
        self.server.stop()
        self.server = None
        self.assertIn("authcgi[login]: security: login failed", self.d.log("authcgi-cgi.log"))

    @unittest.skipUnless(os.path.exists(FCGID), "libapache2-mod-fcgid is not installed")
    def test_apache_mod_fcgid(self):
        conf = switched(self.d, APACHE_SED, "httpd.conf.sample")
        self.assertIn("LoadModule fcgid_module", conf)
        self.server = apache(self.d, conf, ())
        self.journey(self.server)
        r = self.server.request("POST", "/users/login/", {"email": "john@example.com", "password": "nope nope"})
        self.assertEqual(r.status, 400)
        # one long-lived process per program, run as www-data
        ps = subprocess.run(["ps", "-o", "user=,args=", "-C", "login.cgi"], capture_output=True, text=True)
        self.assertIn("www-data", ps.stdout)
        self.server.stop()
        self.server = None
        self.assertIn("authcgi[login]: security: login failed", self.d.log("authcgi-error.log"))


if __name__ == "__main__":
    unittest.main()
