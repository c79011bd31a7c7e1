"""`make run` as a user starts it, for tests/devserver and tests/fresh: in a checkout (on this
machine, or inside a chroot), in its own session so that everything it starts is stopped by its
process group, with the HTTP and e-mail helpers the tests need around it."""
import email
import email.policy
import glob
import http.client
import json
import os
import re
import signal
import subprocess
import time

from harness import HttpResponse

CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "LANG": "C.UTF-8", "TERM": "dumb"}


class MakeRun:
    """`PORT=port make run` in tree (a path on this machine). With chroot, the tree is a path
    inside that root and the command runs there (chroot(8)); files are read from outside."""

    def __init__(self, tree, port, log_path, chroot=None, home="/root"):
        self.tree = tree
        self.port = port
        self.log_path = log_path
        self.chroot = chroot
        self.home = home
        self.proc = None

    def outside(self, path):
        """A path of the tree (or under it) as this machine sees it."""
        return self.chroot + path if self.chroot else path

    def start(self):
        env = dict(CLEAN_ENV, HOME=self.home, PORT=str(self.port))
        if self.chroot:
            cmd = ["chroot", self.chroot, "/usr/bin/env", "-i"] + \
                  ["%s=%s" % kv for kv in sorted(env.items())] + \
                  ["/bin/sh", "-c", 'cd "$0" && exec make run', self.tree]
            env = dict(CLEAN_ENV)
        else:
            cmd = ["make", "run"]
        with open(self.log_path, "ab") as log:
            # Its own session (setsid): the group holds make, bin/devserver and all it starts.
            self.proc = subprocess.Popen(cmd, cwd=None if self.chroot else self.tree, env=env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         start_new_session=True)
        return self

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, timeout=60):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Host": "127.0.0.1:%d" % self.port}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            return HttpResponse(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def wait_until_serving(self, timeout):
        """Waits for GET /users/current-user/ to answer at all and for the banner, and returns
        that first answer."""
        deadline = time.monotonic() + timeout
        answer = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("make run exited %d before serving:\n%s"
                                     % (self.proc.returncode, self.log()[-6000:]))
            if answer is None:
                try:
                    answer = self.request("GET", "/users/current-user/", timeout=10)
                except OSError:
                    pass
            if answer is not None and "Press Ctrl-C to stop." in self.log():
                return answer
            time.sleep(0.2)
        raise AssertionError("make run did not serve within %ds:\n%s" % (timeout, self.log()[-6000:]))

    def wait_for_mail(self, to, timeout=30):
        """The text part of the first .eml in run/mail/ addressed to `to`, decoded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path in sorted(glob.glob(self.outside(self.tree) + "/run/mail/*.eml")):
                with open(path, "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                if to in str(msg["To"]):
                    return msg.get_body(("plain",)).get_content()
            time.sleep(0.2)
        raise AssertionError("no e-mail to %s in run/mail within %ds:\n%s"
                             % (to, timeout, self.log()[-3000:]))

    def link_in(self, text, path_prefix):
        m = re.search(r"http://127\.0\.0\.1:%d(%s[^\s<>\"]*)" % (self.port, re.escape(path_prefix)),
                      text)
        if not m:
            raise AssertionError("no %s link in the e-mail:\n%s" % (path_prefix, text))
        return m.group(1)

    def stop(self):
        """SIGTERM to the process group (bin/devserver stops what it started), SIGKILL to what
        is left of it 5 seconds after make exited (or 20 seconds after the signal). Returns make's
        exit status."""
        if self.proc is None:
            return None
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        rc = self.proc.wait()
        self.proc = None
        return rc
