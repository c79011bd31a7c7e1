"""A throw-away PostgreSQL 15 cluster for tests and the bench: initdb as the unprivileged
`postgres` user, one postmaster on a Unix socket only (no TCP), stopped by its PID, then removed.
Also Django's side of the co-deployment test: a copy of project/ run with /usr/bin/python3."""
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import textwrap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import harness  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "authcgi"          # the cluster's superuser (initdb -U): owner of every test database


class Cluster:
    """initdb + postgres -D DIR/data -k DIR/sock, listen_addresses='' (Unix socket only)."""

    def __init__(self, directory, settings=()):
        self.dir = directory
        self.data = os.path.join(directory, "data")
        self.sock = os.path.join(directory, "sock")
        self.log = os.path.join(directory, "postgres.log")
        self.settings = list(settings)
        self.proc = None

    def start(self):
        pw = pwd.getpwnam("postgres")
        os.chmod(self.dir, 0o711)     # postgres may traverse to its own directories, not list
        for d in (self.data, self.sock):
            os.makedirs(d, mode=0o700, exist_ok=True)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(self.sock, 0o755)
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            out = subprocess.run(["runuser", "-u", "postgres", "--", os.path.join(PG_BIN, "initdb"),
                                  "-D", self.data, "-U", ROLE, "--auth=trust", "-E", "UTF8",
                                  "--locale=C.UTF-8"], capture_output=True, text=True,
                                 cwd="/", timeout=120)
            if out.returncode != 0:
                raise RuntimeError("initdb failed: %s%s" % (out.stdout, out.stderr))
        fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.fchown(fd, pw.pw_uid, pw.pw_gid)
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.data, "-k", self.sock,
                "-c", "listen_addresses=", "-c", "max_connections=100"]
        for s in self.settings:
            args += ["-c", s]
        # Started as postgres directly (not through runuser), so that proc.pid is the postmaster.
        self.proc = subprocess.Popen(args, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                                     stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, cwd="/",
                                     env={"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"})
        os.close(fd)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited %s:\n%s" % (self.proc.returncode, self.log_text()))
            return subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-q", "-h", self.sock,
                                   "-U", ROLE, "-d", "postgres"]).returncode == 0
        harness.wait_for(up, timeout=30, what="postgres")
        return self

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def psql(self, db, sql, user=ROLE, check=True):
        """One psql run of sql (unaligned, tuples only, stops at the first error): stdout, or
        with check=False the CompletedProcess."""
        out = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v",
                              "ON_ERROR_STOP=1", "-h", self.sock, "-U", user, "-d", db],
                             input=sql, capture_output=True, text=True, timeout=60)
        if not check:
            return out
        if out.returncode != 0:
            raise AssertionError("psql %r failed: %s" % (sql, out.stderr))
        return out.stdout

    def createdb(self, name):
        self.psql("postgres", 'CREATE DATABASE "%s"' % name)
        return name

    def connect(self, db):
        import psycopg2
        return psycopg2.connect(host=self.sock, dbname=db, user=ROLE)

    def url(self, db, user=ROLE):
        """The service's DATABASE_URL for db over the socket (libpq URI, host as a parameter)."""
        return "postgres://%s@/%s?host=%s" % (user, db, self.sock)

    def stop(self):
        # SIGINT: the fast shutdown (aborts the open connections, then a checkpoint)
        harness.stop_pid(self.proc, signal.SIGINT, timeout=30)
        self.proc = None

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Django:
    """Django 3.2 (Debian's python3-django) with project/ copied into directory, on db."""

    def __init__(self, directory, cluster, db):
        self.dir = os.path.join(directory, "django-" + db)
        shutil.copytree(os.path.join(HERE, "project"), self.dir,
                        ignore=shutil.ignore_patterns("__pycache__"))
        self.env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "settings",
                    "DJANGO_DB_NAME": db, "DJANGO_DB_USER": ROLE, "DJANGO_DB_HOST": cluster.sock,
                    "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}

    def manage(self, *args):
        """A management command (call_command); returns its stdout."""
        code = ("import sys, django; django.setup(); from django.core.management import "
                "execute_from_command_line; execute_from_command_line(sys.argv)")
        out = subprocess.run([PY, "-c", code, *args], cwd=self.dir, env=self.env,
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise AssertionError("django %s failed:\n%s%s" % (args, out.stdout, out.stderr))
        return out.stdout

    def run(self, code, **params):
        """Runs code after django.setup() with the names in params bound (JSON values); the code
        sets `result`, which comes back through JSON (str() for what JSON cannot carry)."""
        prog = ("import json, sys, django\ndjango.setup()\nglobals().update(json.loads(sys.argv[1]))\n"
                "result = None\n" + textwrap.dedent(code) +
                "\nsys.stdout.write('\\nRESULT ' + json.dumps(result, default=str))\n")
        out = subprocess.run([PY, "-c", prog, json.dumps(params)], cwd=self.dir, env=self.env,
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0 or "\nRESULT " not in out.stdout:
            raise AssertionError("django code failed:\n%s\n%s%s" % (code, out.stdout, out.stderr))
        return json.loads(out.stdout.rsplit("\nRESULT ", 1)[1])


class Service:
    """The service's side: a configuration file naming a PostgreSQL database, the programs of
    AUTHCGI_BUILD (build/postgres under tests/run), run through a pipe as a web server would."""

    def __init__(self, directory, name, database_url, redis_url, build=None, **config):
        self.build = build or harness.BUILD
        self.dir = os.path.join(directory, "service-" + name)
        self.mail_dir = os.path.join(self.dir, "mail")
        self.media_dir = os.path.join(self.dir, "media")
        os.makedirs(os.path.join(self.media_dir, "users"))
        os.makedirs(self.mail_dir)
        self.config = {
            "SECRET_KEY": harness.SECRET,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "FRONTEND_URL": "http://front.test",
            "API_BASE_URL": "http://api.test",
            "EMAIL_BACKEND": "file",
            "EMAIL_FILE_PATH": self.mail_dir,
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": self.media_dir,
        }
        self.config.update(config)
        self.config_path = os.path.join(self.dir, "authcgi.conf")
        self.write_config()

    def write_config(self):
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            for k, v in self.config.items():
                f.write("%s=%s\n" % (k, v))

    def env(self, extra=None):
        env = {"AUTHCGI_CONFIG": self.config_path}
        env.update(extra or {})
        return env

    def program(self, *parts):
        return os.path.join(self.build, *parts)

    def authctl(self, *args, input=None, env=None):
        out = subprocess.run([self.program("bin", "authctl"), *args], env=self.env(env), input=input,
                             capture_output=True, text=True, timeout=120, cwd=self.dir)
        if out.returncode != 0:
            raise AssertionError("authctl %s exited %d: %s%s" % (args, out.returncode, out.stdout,
                                                                 out.stderr))
        return out.stdout

    def set(self, **config):
        self.config.update(config)
        self.write_config()

    def mailer_once(self):
        out = subprocess.run([self.program("bin", "mailer"), "--once"], env=self.env(),
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, cwd=self.dir)
        if out.returncode != 0:
            raise AssertionError("mailer --once exited %d: %s" % (out.returncode, out.stderr))

    def cgi(self, name, method="GET", body=b"", env=None):
        if isinstance(body, str):
            body = body.encode()
        e = self.env({"REQUEST_METHOD": method, "REMOTE_ADDR": "127.0.0.1"})
        if method not in ("GET", "HEAD", "OPTIONS"):
            e["CONTENT_LENGTH"] = str(len(body))
        e.update(env or {})
        # in a directory of its own, as a web server runs a CGI in its script's directory
        out = subprocess.run([self.program("cgi-bin", name + ".cgi")], env=e, input=body,
                             capture_output=True, timeout=120, cwd=self.dir)
        stderr = out.stderr.decode("utf-8", "replace")
        if out.returncode != 0:
            raise AssertionError("%s.cgi exited %d: %s" % (name, out.returncode, stderr[-4000:]))
        return harness.Response(out.stdout, stderr, out.returncode)

    def login(self, email, password):
        r = self.cgi("login", "POST", json.dumps({"email": email, "password": password}))
        return r, r.cookie("sessionid")


class PgBouncer:
    """pgbouncer in the foreground in front of cluster, on a Unix socket of its own
    (DIR/.s.PGSQL.<port>, no TCP), as the postgres user (it refuses root), stopped by its PID."""

    def __init__(self, directory, cluster, databases, pool_mode="transaction", port=6432,
                 pool_size=20):
        self.dir = directory
        self.cluster = cluster
        self.port = port
        self.proc = None
        pw = pwd.getpwnam("postgres")
        os.makedirs(directory, exist_ok=True)
        os.chown(directory, pw.pw_uid, pw.pw_gid)
        os.chmod(directory, 0o755)
        self.ini = os.path.join(directory, "pgbouncer.ini")
        self.log = os.path.join(directory, "pgbouncer.log")
        with open(os.path.join(directory, "userlist.txt"), "w") as f:
            f.write('"%s" ""\n' % ROLE)
        with open(self.ini, "w") as f:
            f.write("[databases]\n")
            for db in databases:
                f.write("%s = host=%s dbname=%s user=%s\n" % (db, cluster.sock, db, ROLE))
            f.write("[pgbouncer]\n"
                    "unix_socket_dir = %s\nlisten_port = %d\n"
                    "auth_type = trust\nauth_file = %s\n"
                    "pool_mode = %s\ndefault_pool_size = %d\nmax_client_conn = 200\n"
                    "logfile = %s\n" % (directory, port, os.path.join(directory, "userlist.txt"),
                                         pool_mode, pool_size, self.log))

    def start(self):
        pw = pwd.getpwnam("postgres")
        for name in os.listdir(self.dir):
            os.chown(os.path.join(self.dir, name), pw.pw_uid, pw.pw_gid)
        self.proc = subprocess.Popen(["pgbouncer", self.ini], user=pw.pw_uid, group=pw.pw_gid,
                                     extra_groups=[], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        sock = os.path.join(self.dir, ".s.PGSQL.%d" % self.port)

        def up():
            if self.proc.poll() is not None:
                with open(self.log, errors="replace") as f:
                    raise RuntimeError("pgbouncer exited %s:\n%s" % (self.proc.returncode, f.read()[-3000:]))
            return os.path.exists(sock)
        harness.wait_for(up, timeout=15, what="pgbouncer")
        return self

    def url(self, db, user=ROLE):
        return "postgres://%s@/%s?host=%s&port=%d" % (user, db, self.dir, self.port)

    def stop(self):
        harness.stop_pid(self.proc, signal.SIGTERM, timeout=15)
        self.proc = None
