"""The co-deployment test's and the bench's PostgreSQL side: a cluster (tests/lib/pgcluster.py)
whose superuser owns every database, Django (a copy of project/ run with /usr/bin/python3), the
service's programs of build/postgres with their configuration, and PgBouncer."""
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
import pgcluster  # noqa: E402

PG_BIN = pgcluster.PG_BIN
PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
ROLE = "authcgi"          # the cluster's superuser (initdb -U): owner of every test database


class Cluster(pgcluster.Cluster):
    """tests/lib/pgcluster.py's cluster in directory, its superuser ROLE, the owner of every
    database here (the co-deployment test and the bench)."""

    def __init__(self, directory, settings=()):
        super().__init__(directory, superuser=ROLE,
                         settings=dict(s.split("=", 1) for s in settings))
        self.dir = self.base
        self.sock = self.sock_dir

    def createdb(self, name):
        return self.create_database(name)

    def remove(self):
        self.stop()


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
