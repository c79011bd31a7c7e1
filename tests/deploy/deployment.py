"""A deployment made the way DEPLOY.md makes one, as root: `make install CGI_USER=www-data`
(staged under DESTDIR, since the tests cannot own /srv/authcgi), then the shell blocks of
DEPLOY.md section 2 run as written (copy the sample, chown/chmod, the sed lines that set the
three values, the EMAIL_BACKEND=file directory, `runuser -u www-data -- bin/authctl`), with only
the test's Redis, the staged paths and cheap Argon2 parameters set on top. The servers are started from the installed samples with only
the paths, the port and the log directory changed."""
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import PASSWORD, ROOT, HttpResponse, Redis, free_port, wait_for

PREFIX = "/srv/authcgi"
CGI_USER = "www-data"


def set_key(text, key, value):
    new, n = re.subn(r"^#?%s=.*$" % key, "%s=%s" % (key, value), text, count=1, flags=re.M)
    if n != 1:
        raise AssertionError("authcgi.conf.sample has no %s line" % key)
    return new


class Deployment:
    def __init__(self, **make_vars):
        self.top = tempfile.mkdtemp(prefix="authcgi-deploy-")
        os.chmod(self.top, 0o755)
        self.www = pwd.getpwnam(CGI_USER)
        self.dest = os.path.join(self.top, "stage")
        self.prefix = self.dest + PREFIX
        self.logdir = os.path.join(self.top, "log")          # Debian's /var/log/lighttpd: www-data 0750
        os.makedirs(self.logdir)
        os.chown(self.logdir, self.www.pw_uid, self.www.pw_gid)
        os.chmod(self.logdir, 0o750)
        self.mail_dir = os.path.join(self.top, "mail")       # made by DEPLOY.md's install -d line
        self.redis = Redis(self.top)
        self.redis.owner = (self.www.pw_uid, self.www.pw_gid)
        self.redis.start()
        try:
            self.make_install(**make_vars)
            self.configure()
        except BaseException:
            self.stop()
            raise

    def make_install(self, **make_vars):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        args = ["make", "-s", "-j2", "install", "DESTDIR=" + self.dest, "PREFIX=" + PREFIX,
                "CGI_USER=" + CGI_USER]
        args += ["%s=%s" % kv for kv in make_vars.items()]
        out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise AssertionError("make install failed:\n" + out.stdout[-3000:] + out.stderr[-3000:])

    def deploy_md(self, first_line, stdin=None):
        """Runs the shell block of DEPLOY.md that starts with first_line, as written but for the
        staged prefix, the test's mail directory and an `editor` line left out."""
        with open(os.path.join(ROOT, "DEPLOY.md")) as f:
            blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
        block = next((b for b in blocks if b.startswith(first_line)), None)
        if block is None:
            raise AssertionError("DEPLOY.md has no shell block starting with " + first_line)
        script = "\n".join(line for line in block.split("\n") if not line.startswith("editor "))
        script = script.replace("/var/spool/authcgi/mail", self.mail_dir).replace(PREFIX, self.prefix)
        out = subprocess.run(["sh", "-ec", "cd %s\n%s" % (self.prefix, script)], input=stdin,
                             capture_output=True, text=True, timeout=120,
                             env={"PATH": os.environ["PATH"], "AUTHCGI_CONFIG": self.conf_path})
        if out.returncode != 0:
            raise AssertionError("DEPLOY.md block %r failed:\n%s%s" % (first_line, out.stdout, out.stderr))
        return out

    def configure(self):
        """DEPLOY.md section 2, its commands run as written; then the test's own Redis, paths
        (the staged tree, not /srv/authcgi) and cheap Argon2 parameters."""
        self.conf_path = os.path.join(self.prefix, "authcgi.conf")
        self.deploy_md("cd /srv/authcgi\ncp authcgi.conf.sample authcgi.conf\n")
        self.deploy_md("install -d -o www-data -g www-data -m 700 /var/spool/authcgi/mail\n")
        with open(self.conf_path) as f:
            conf = f.read()
        self.doc_values = dict(re.findall(r"(?m)^([A-Z][A-Z0-9_]*)=(.*)$", conf))
        for key, value in (("DATABASE_URL", "sqlite:///" + self.prefix + "/db/authcgi.sqlite3"),
                           ("MEDIA_ROOT", self.prefix + "/media"),
                           ("REDIS_URL", self.redis.url),
                           ("ARGON2_MEMORY_KIB", "1024"), ("ARGON2_TIME_COST", "1")):
            conf = set_key(conf, key, value)
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.deploy_md("runuser -u www-data -- bin/authctl migrate\n", stdin=PASSWORD + "\n")
        self.authctl("createuser", "john@example.com", input=PASSWORD + "\n")

    def authctl(self, *args, input=None):
        out = subprocess.run(["runuser", "-u", CGI_USER, "--", os.path.join(self.prefix, "bin", "authctl"),
                              *args], input=input, capture_output=True, text=True, timeout=60,
                             env={"AUTHCGI_CONFIG": self.conf_path, "PATH": os.environ["PATH"]})
        if out.returncode != 0:
            raise AssertionError("authctl %s: %s" % (args, out.stderr))
        return out

    def sample(self, name):
        """An installed sample with the deployment's paths: the staged prefix for /srv/authcgi
        and the test's log directory for /var/log/<server>/."""
        with open(os.path.join(self.prefix, name)) as f:
            text = f.read()
        text = text.replace(PREFIX, self.prefix)
        text = re.sub(r"/var/log/(lighttpd|apache2)/", self.logdir + "/", text)
        return text.replace("/run/lighttpd.pid", os.path.join(self.top, "lighttpd.pid"))

    def log(self, name):
        try:
            with open(os.path.join(self.logdir, name), encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        self.redis.stop()
        shutil.rmtree(self.top, ignore_errors=True)


class Server:
    """A web server process on a loopback port; stopped by its PID (a daemon's from its pid file)."""

    def __init__(self, port):
        self.port = port
        self.proc = None
        self.pidfile = None

    def wait_up(self, what):
        def up():
            if self.proc is not None and self.proc.poll() is not None and self.pidfile is None:
                raise AssertionError("%s exited %d" % (what, self.proc.returncode))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, timeout=20, what=what)

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": "127.0.0.1:%d" % self.port}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return HttpResponse(resp.status, resp.getheaders(), data)

    def stop(self):
        if self.pidfile:
            try:
                with open(self.pidfile) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                pid = None
            if pid:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        break
                    time.sleep(0.05)
            self.pidfile = None
        if self.proc is not None and self.proc.poll() is None:
            # prefork Apache: its own session, so the whole group stops with it
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def lighttpd(deployment, conf_text, foreground):
    port = free_port()
    conf_text = conf_text.replace("server.port          = 8080", "server.port          = %d" % port)
    path = os.path.join(deployment.top, "lighttpd.conf")
    with open(path, "w") as f:
        f.write(conf_text)
    check = subprocess.run(["lighttpd", "-tt", "-f", path], capture_output=True, text=True)
    if check.returncode != 0:
        raise AssertionError("lighttpd -tt: " + check.stdout + check.stderr)
    server = Server(port)
    if foreground:
        # as systemd runs it: -D, stdout and stderr to a pipe of their own (the journal)
        server.journal = os.path.join(deployment.top, "journal.log")
        with open(server.journal, "ab") as out:
            server.proc = subprocess.Popen(["lighttpd", "-D", "-f", path], stdout=out, stderr=out,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
    else:
        # as Debian's /etc/init.d/lighttpd runs it: a daemon that writes server.pid-file
        out = subprocess.run(["lighttpd", "-f", path], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError("lighttpd as a daemon: " + out.stdout + out.stderr)
        server.pidfile = os.path.join(deployment.top, "lighttpd.pid")
    server.wait_up("lighttpd")
    return server


def apache(deployment, conf_text, defines=()):
    port = free_port()
    conf_text = conf_text.replace(":8080", ":%d" % port)
    path = os.path.join(deployment.top, "httpd.conf")
    with open(path, "w") as f:
        f.write(conf_text)
    server = Server(port)
    server.console = os.path.join(deployment.top, "apache-console.log")
    args = ["apache2", "-f", path, "-DFOREGROUND"]
    for d in defines:
        args += ["-D", d]
    with open(server.console, "ab") as out:
        server.proc = subprocess.Popen(args, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
    server.wait_up("apache2")
    return server
