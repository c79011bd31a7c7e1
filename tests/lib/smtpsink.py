"""A real SMTP server for tests (tests/mail/smtp_sink.py, python3-aiosmtpd) and mail delivery through bin/mailer."""
import email
import email.policy
import glob
import json
import os
import shutil
import subprocess
import tempfile

from harness import BUILD, ROOT, free_port, stop_pid

SINK = os.path.join(ROOT, "tests", "mail", "smtp_sink.py")


class SmtpSink:
    """Started on a free loopback port; each message lands as N.eml plus its envelope N.json."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authcgi-sink-")
        self.port = free_port()
        self.proc = subprocess.Popen(["/usr/bin/python3", SINK, "--port", str(self.port),
                                      "--dir", self.dir],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready %d" % self.port:
            self.stop()
            raise AssertionError("the SMTP sink did not start: %r" % line)

    def config(self):
        """The configuration keys that send a stack's mail here."""
        return {"EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.port), "EMAIL_TIMEOUT": "10"}

    def deliver(self, stack):
        """Runs bin/mailer --once for stack and returns [(message, envelope)] it delivered here."""
        seen = set(glob.glob(os.path.join(self.dir, "*.eml")))
        out = subprocess.run([os.path.join(BUILD, "bin", "mailer"), "--once"],
                             env=stack.env(), capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError("mailer --once failed: " + out.stderr)
        left = stack.sql("SELECT count(*) FROM mail_outbox")
        if left != [(0,)]:
            raise AssertionError("the outbox was not drained: %r %s" % (left, out.stderr))
        new = sorted(set(glob.glob(os.path.join(self.dir, "*.eml"))) - seen,
                     key=lambda p: int(os.path.basename(p).split(".")[0]))
        msgs = []
        for path in new:
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            with open(path[:-4] + ".json") as f:
                msgs.append((msg, json.load(f)))
        return msgs

    def stop(self):
        stop_pid(self.proc)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
