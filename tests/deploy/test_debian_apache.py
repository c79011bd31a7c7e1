"""DEPLOY.md 3a and 3c with Debian's own Apache configuration (issue 18): a copy of /etc/apache2
(APACHE_CONFDIR, which a2enmod and friends honour) gets the commands of DEPLOY.md as written:
a2enmod, a2disconf serve-cgi-bin, the site file cut from the installed sample, a2dissite /
a2ensite; then Apache runs from it with Debian's envvars. Only the port (80 is not ours) and the
run and log directories (the test's own) differ. CGI through mod_cgid, then FastCGI through
mod_fcgid; each serves the journey and writes the security log where DEPLOY.md says."""
import os
import re
import shutil
import subprocess
import unittest

from deployment import Deployment, Server
from harness import PASSWORD, free_port

FCGID = "/usr/lib/apache2/modules/mod_fcgid.so"


def deploy_md_block(doc, first_line):
    """The shell block of DEPLOY.md whose first line starts with first_line, as lines."""
    for block in re.findall(r"```sh\n(.*?)```", doc, re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError("DEPLOY.md has no block starting with " + first_line)


@unittest.skipUnless(os.geteuid() == 0 and os.path.isdir("/etc/apache2"), "Debian's apache2, as root")
class DebianApacheTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment()
        from harness import ROOT
        with open(os.path.join(ROOT, "DEPLOY.md")) as f:
            cls.doc = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def setUp(self):
        self.confdir = os.path.join(self.d.top, "apache2")
        shutil.rmtree(self.confdir, ignore_errors=True)
        shutil.copytree("/etc/apache2", self.confdir, symlinks=True)
        self.port = free_port()
        self.rundir = os.path.join(self.d.top, "apache-run")
        self.apache_logs = os.path.join(self.d.top, "apache-log")
        for d in (self.rundir, self.apache_logs):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        with open(os.path.join(self.confdir, "envvars"), "a") as f:
            f.write("export APACHE_PID_FILE=%s/apache2.pid\nexport APACHE_RUN_DIR=%s\n"
                    "export APACHE_LOCK_DIR=%s\nexport APACHE_LOG_DIR=%s\n"
                    % (self.rundir, self.rundir, self.rundir, self.apache_logs))
        with open(os.path.join(self.confdir, "ports.conf"), "w") as f:
            f.write("Listen 127.0.0.1:%d\n" % self.port)
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()

    def env(self):
        # a2enmod & co. keep "enabled by admin" markers in APACHE_STATE_DIRECTORY: the test's own
        return dict(os.environ, APACHE_CONFDIR=self.confdir,
                    APACHE_STATE_DIRECTORY=os.path.join(self.d.top, "apache-state"))

    def run_doc_lines(self, block, skip=("apt-get ", "systemctl ")):
        """Runs DEPLOY.md's lines against the copy: /etc/apache2 and /srv/authcgi are the test's,
        the site's port is ours; apt-get and systemctl are left out (installed; started below)."""
        script = block.replace("\\\n", " ")
        for line in script.splitlines():
            line = line.split("  #", 1)[0].strip()
            if not line or line.startswith(skip):
                continue
            line = line.replace("/etc/apache2", self.confdir).replace("/srv/authcgi", self.d.prefix)
            line = line.replace("s/\\*:8080/*:80/", "s/\\*:8080/*:%d/" % self.port)
            out = subprocess.run(["sh", "-c", line], env=self.env(), capture_output=True, text=True,
                                 timeout=60)
            self.assertEqual(out.returncode, 0, line + "\n" + out.stdout + out.stderr)

    def start(self):
        site = os.path.join(self.confdir, "sites-available", "authcgi.conf")
        with open(site) as f:
            text = f.read()
        with open(site, "w") as f:   # the staged tree; the site's own logs in the test's directory
            f.write(text.replace("/srv/authcgi", self.d.prefix)
                    .replace("/var/log/apache2/", self.apache_logs + "/"))
        # as Debian's apache2.service starts it: apachectl start (a daemon, with its pid file)
        out = subprocess.run(["apache2ctl", "start"], env=self.env(), capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr + self.logs())
        self.server = Server(self.port)
        self.server.pidfile = os.path.join(self.rundir, "apache2.pid")
        self.server.wait_up("apache2 (Debian's configuration)")

    def journey(self):
        r = self.server.request("POST", "/users/login/", {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, self.logs())
        r = self.server.request("GET", "/users/current-user/",
                                headers={"Cookie": "sessionid=" + r.cookie("sessionid")})
        self.assertEqual((r.status, r.json["email"]), (200, "john@example.com"))
        r = self.server.request("GET", "/cgi-bin/series.cgi")
        self.assertEqual((r.status, r.json), (200, []))
        r = self.server.request("POST", "/users/login/", {"email": "john@example.com", "password": "wrong one!"})
        self.assertEqual(r.status, 400)

    def logs(self):
        text = ""
        for name in ("error.log", "authcgi-error.log"):
            try:
                with open(os.path.join(self.apache_logs, name)) as f:
                    text += "== %s\n%s" % (name, f.read())
            except FileNotFoundError:
                pass
        return text

    def test_site_with_mod_cgid(self):
        self.run_doc_lines(deploy_md_block(self.doc, "apt-get install apache2\na2enmod cgid"))
        self.start()
        self.journey()
        self.server.stop()
        self.server = None
        with open(os.path.join(self.apache_logs, "error.log")) as f:
            main = f.read()
        self.assertIn("authcgi[login]: security: login failed", main, self.logs())
        self.assertNotIn("AH10159", self.logs())

    @unittest.skipUnless(os.path.exists(FCGID), "libapache2-mod-fcgid is not installed")
    def test_site_with_mod_fcgid(self):
        self.run_doc_lines(deploy_md_block(self.doc, "apt-get install apache2\na2enmod cgid"))
        self.run_doc_lines(deploy_md_block(self.doc, "a2enmod fcgid"))
        self.start()
        self.journey()
        ps = subprocess.run(["ps", "-o", "user=", "-C", "login.cgi"], capture_output=True, text=True)
        self.assertIn("www-data", ps.stdout)   # a long-lived FastCGI process, not a finished CGI
        self.server.stop()
        self.server = None
        self.assertIn("authcgi[login]: security: login failed", self.logs())
        self.assertNotIn("already loaded", self.logs())


if __name__ == "__main__":
    unittest.main()
