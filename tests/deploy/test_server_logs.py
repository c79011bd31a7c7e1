"""The security log reaches the file each server sample names (issue 18): lighttpd.conf.sample
started in the foreground (as systemd starts it) and as a daemon (as Debian's init script does),
httpd.conf.sample with event + mod_cgid and prefork + mod_cgi; and Apache starts without the
AH10159 warning. Each run follows DEPLOY.md on a `make install` tree (tests/deploy/deployment.py)."""
import os
import subprocess
import time
import unittest

from deployment import Deployment, apache, lighttpd
from harness import PASSWORD


def journey(server):
    """A login and a failed login; returns the user id the security lines must name."""
    r = server.request("POST", "/users/login/", {"email": "john@example.com", "password": PASSWORD})
    assert r.status == 200, (r.status, r.body)
    uid = r.json["id"]
    r = server.request("POST", "/users/login/", {"email": "john@example.com", "password": "wrong one!"})
    assert r.status == 400, (r.status, r.body)
    return uid


@unittest.skipUnless(os.geteuid() == 0, "starts the servers as root, as the services do")
class ServerLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def setUp(self):
        for name in os.listdir(self.d.logdir):
            os.unlink(os.path.join(self.d.logdir, name))
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()

    def assert_security_lines(self, text, uid, where):
        self.assertIn("authcgi[login]: security: login: user %s session " % uid, text, where)
        self.assertIn("authcgi[login]: security: login failed: user %s " % uid, text, where)

    def lighttpd_run(self, foreground):
        conf = self.d.sample("lighttpd.conf.sample")
        self.assertIn('server.breakagelog   = "%s/authcgi-cgi.log"' % self.d.logdir, conf)
        self.server = lighttpd(self.d, conf, foreground)
        uid = journey(self.server)
        # DEPLOY.md 3b: a body-less `curl -X POST` is lighttpd's JSON 411; with -d '' it is not
        url = "http://127.0.0.1:%d/users/logout/" % self.server.port
        out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-X", "POST", url],
                             capture_output=True, text=True, timeout=30).stdout
        self.assertEqual(out.rsplit("\n", 1), ['{"error": "Content-Length required"}', "411"])
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                              "-d", "", url], capture_output=True, text=True, timeout=30).stdout
        self.assertNotEqual(out, "411")
        self.server.stop()
        self.server = None
        self.assert_security_lines(self.d.log("authcgi-cgi.log"), uid, "breakagelog")
        self.assertIn("server started", self.d.log("authcgi-error.log"))
        st = os.stat(os.path.join(self.d.logdir, "authcgi-cgi.log"))
        self.assertEqual(st.st_uid, self.d.www.pw_uid)   # opened after the switch to www-data

    def test_lighttpd_in_the_foreground(self):
        self.lighttpd_run(foreground=True)

    def test_lighttpd_as_a_daemon(self):
        self.lighttpd_run(foreground=False)

    def apache_run(self, defines):
        conf = self.d.sample("httpd.conf.sample")
        self.server = apache(self.d, conf, defines)
        uid = journey(self.server)
        time.sleep(3.5)   # AH10159 comes from the MPM's once-a-second maintenance, after ~2 s
        self.server.stop()
        self.server = None
        log = self.d.log("authcgi-error.log")
        self.assert_security_lines(log, uid, "ErrorLog")
        with open(self.server_console()) as f:
            console = f.read()
        self.assertNotIn("AH10159", log + console)
        self.assertNotIn("AH00", console)   # nothing Apache had to say before its log opened

    def server_console(self):
        return os.path.join(self.d.top, "apache-console.log")

    def test_apache_event_mod_cgid(self):
        self.apache_run(())

    def test_apache_prefork_mod_cgi(self):
        self.apache_run(("AUTHCGI_PREFORK",))


if __name__ == "__main__":
    unittest.main()
