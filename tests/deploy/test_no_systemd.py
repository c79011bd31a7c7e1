"""The mail worker on a host without systemd, as DEPLOY.md runs it (issue 18): in the foreground
under Debian's `daemon` supervisor as www-data, sending what the programs queue into the
EMAIL_BACKEND=file directory DEPLOY.md creates; restarted when it dies; stopped by `daemon
--stop`. And the cron route: the crontab line of DEPLOY.md, run as cron would run it."""
import json
import os
import re
import shutil
import subprocess
import time
import unittest

from deployment import CGI_USER, Deployment
from harness import ROOT, wait_for

NAME = "authcgi-mailer"


def mailer_pids(prefix):
    """The PIDs whose executable is this deployment's bin/mailer (a path no other test shares)."""
    exe = os.path.join(prefix, "bin", "mailer")
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % pid) == exe:
                    pids.append(int(pid))
            except OSError:
                pass
    return pids


@unittest.skipUnless(os.geteuid() == 0, "runs the worker as www-data")
class NoSystemdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Deployment()
        with open(os.path.join(ROOT, "DEPLOY.md")) as f:
            cls.doc = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def daemon(self, *args):
        # DEPLOY.md's options; --env because the staged tree's programs look for /srv/authcgi
        base = ["daemon", "--name=" + NAME, "--user=" + CGI_USER,
                "--pidfiles=" + os.path.join(self.d.prefix, "run")]
        return subprocess.run(base + list(args), capture_output=True, text=True, timeout=30)

    def queue_mail(self):
        body = json.dumps({"email": "john@example.com"}).encode()
        env = {"AUTHCGI_CONFIG": self.d.conf_path, "REQUEST_METHOD": "POST",
               "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json",
               "REMOTE_ADDR": "127.0.0.1", "PATH": os.environ["PATH"]}
        out = subprocess.run(["runuser", "-u", CGI_USER, "--",
                              os.path.join(self.d.prefix, "cgi-bin", "request-password-change.cgi")],
                             input=body, env=env, capture_output=True, timeout=30)
        self.assertIn(b"Status: 200", out.stdout, out.stderr)

    def sent(self):
        return sorted(n for n in os.listdir(self.d.mail_dir) if n.endswith(".eml"))

    def test_deploy_md_has_the_recipes(self):
        for text in ("apt-get install cron daemon",
                     "daemon --name=authcgi-mailer --user=www-data --pidfiles=/srv/authcgi/run --respawn",
                     "install -d -o www-data -g www-data -m 700 /var/spool/authcgi/mail",
                     "* * * * * /srv/authcgi/bin/mailer --once 2>&1 | logger -t authcgi-mailer",
                     "/etc/init.d/redis-server start"):
            self.assertTrue(text in self.doc, "DEPLOY.md lacks: " + text)

    def test_mailer_under_daemon(self):
        log = os.path.join(self.d.logdir, "mailer.log")
        out = self.daemon("--respawn", "--output=" + log, "--env=AUTHCGI_CONFIG=" + self.d.conf_path,
                          "--", os.path.join(self.d.prefix, "bin", "mailer"))
        self.assertEqual(out.returncode, 0, out.stderr)
        try:
            wait_for(lambda: mailer_pids(self.d.prefix), what="mailer")
            first = mailer_pids(self.d.prefix)
            self.assertEqual(len(first), 1)
            with open("/proc/%d/status" % first[0]) as f:
                uid = int(re.search(r"(?m)^Uid:\s+(\d+)", f.read()).group(1))
            self.assertEqual(uid, self.d.www.pw_uid)
            before = len(self.sent())
            self.queue_mail()
            wait_for(lambda: len(self.sent()) > before, timeout=20, what="the e-mail")
            self.assertEqual(os.stat(os.path.join(self.d.mail_dir, self.sent()[-1])).st_uid,
                             self.d.www.pw_uid)
            # killed, it comes back and keeps sending
            os.kill(first[0], 9)
            wait_for(lambda: mailer_pids(self.d.prefix) and mailer_pids(self.d.prefix) != first,
                     timeout=20, what="the respawned mailer")
            before = len(self.sent())
            self.queue_mail()
            wait_for(lambda: len(self.sent()) > before, timeout=20, what="the e-mail after a respawn")
            self.assertIn("is running", self.daemon("--running", "--verbose").stdout)
            # --restart (DEPLOY.md, after an upgrade): a new worker process
            second = mailer_pids(self.d.prefix)
            self.assertEqual(self.daemon("--restart").returncode, 0)
            wait_for(lambda: mailer_pids(self.d.prefix) and mailer_pids(self.d.prefix) != second,
                     timeout=20, what="the restarted mailer")
        finally:
            self.daemon("--stop")
        wait_for(lambda: not mailer_pids(self.d.prefix), timeout=20, what="the mailer to stop")
        self.assertNotEqual(self.daemon("--running").returncode, 0)

    def test_cron_line(self):
        line = re.search(r"(?m)^\* \* \* \* \* (/srv/authcgi/bin/mailer --once .*)$", self.doc).group(1)
        line = line.replace("/srv/authcgi", self.d.prefix)
        before = len(self.sent())
        self.queue_mail()
        # as cron runs it: sh -c, cron's PATH, the crontab owner's identity
        env = {"PATH": "/usr/bin:/bin", "AUTHCGI_CONFIG": self.d.conf_path, "SHELL": "/bin/sh"}
        out = subprocess.run([shutil.which("runuser"), "-u", CGI_USER, "--", "/bin/sh", "-c", line], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(len(self.sent()), before + 1)


if __name__ == "__main__":
    unittest.main()
