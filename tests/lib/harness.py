"""Test harness: real redis-server, SQLite, CGI pipe runs and a real lighttpd or apache2, all on this machine.

Every process started here is stopped by PID. Environment knobs:
  AUTHCGI_BUILD    directory holding cgi-bin/ and bin/ (default: the repository; build/asan for ASan)
  AUTHCGI_WRAPPER  command prefix for CGI runs, e.g. valgrind (the harness fails a run it reports)
  AUTHCGI_SERVER   lighttpd (default) or apache: the server web_server() starts for tests/http
  AUTHCGI_TEST_DB  sqlite (default) or postgres: the engine of every Stack. With postgres each
                   Stack gets a fresh database in the process's throw-away cluster (tests/lib/pgcluster.py)
"""
import contextlib
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("AUTHCGI_BUILD") or ROOT)
# The all-shared build (make shared): valgrind checks the heap only of dynamically linked programs.
SHARED_BUILD = os.path.join(ROOT, "build", "shared")
WRAPPER = shlex.split(os.environ.get("AUTHCGI_WRAPPER", ""))
VALGRIND_ERROR = 99
ENGINE = os.environ.get("AUTHCGI_TEST_DB", "sqlite") or "sqlite"
if ENGINE not in ("sqlite", "postgres"):
    raise RuntimeError("AUTHCGI_TEST_DB must be sqlite or postgres, not %r" % ENGINE)
SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery staple"


def dynamically_linked(path):
    """True if the ELF program at path has a PT_INTERP header (is started by the dynamic loader)."""
    with open(path, "rb") as f:
        head = f.read(64)
        phoff, = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", table, i * phentsize)[0] == 3 for i in range(phnum))


def check_valgrind_target(wrapper, path):
    """valgrind cannot replace malloc in a static program: it would see no leak and no overflow."""
    if wrapper and "valgrind" in os.path.basename(wrapper[0]) and not dynamically_linked(path):
        raise AssertionError("%s is statically linked: run valgrind on the shared build "
                             "(make shared, AUTHCGI_BUILD=build/shared)" % path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise TimeoutError("timed out waiting for " + what)


def stop_pid(proc, sig=signal.SIGTERM, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Redis:
    """A redis-server on a unix socket (and optionally a loopback TCP port)."""

    def __init__(self, directory, tcp=False):
        self.dir = directory
        self.sock = os.path.join(directory, "redis.sock")
        self.port = free_port() if tcp else 0
        self.proc = None
        self.owner = None       # (uid, gid) given the socket after each start (Apache's CGI user)

    def start(self):
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--unixsocket", self.sock, "--unixsocketperm", "700", "--save", "",
                "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
                "--logfile", os.path.join(self.dir, "redis.log")]
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(self.sock) and self.ping(), what="redis")
        if self.owner:
            os.chown(self.sock, *self.owner)
        return self

    def ping(self):
        try:
            return self.cli("PING") == "PONG"
        except Exception:
            return False

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-s", self.sock, "--raw", *args],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.rstrip("\n")

    def keys(self, pattern="*"):
        out = self.cli("--scan", "--pattern", pattern)
        return sorted(k for k in out.split("\n") if k)

    def stop(self):
        stop_pid(self.proc)
        self.proc = None

    @property
    def url(self):
        return "unix://" + self.sock


class _Answer:
    """Header and body accessors shared by CGI and HTTP responses (headers: list of pairs)."""

    def header(self, name):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return None

    def all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def cookie(self, name):
        for v in self.all("Set-Cookie"):
            if v.startswith(name + "="):
                return v.split(";")[0].split("=", 1)[1]
        return None


class Response(_Answer):
    def __init__(self, raw, stderr="", returncode=0):
        self.raw = raw
        self.stderr = stderr
        self.returncode = returncode
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("no blank line after the CGI headers: %r" % raw[:200])
        self.body = body
        self.headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(": ")
            self.headers.append((name, value))
        status = self.header("Status")
        self.status = int(status.split()[0]) if status else 200



class Stack:
    """A temporary installation: config file, database (SQLite file or a fresh PostgreSQL
    database, AUTHCGI_TEST_DB), redis-server."""

    def __init__(self, with_redis=True, migrate=True, **config):
        self.engine = ENGINE
        self.dir = tempfile.mkdtemp(prefix="authcgi-test-")
        self.redis = Redis(self.dir).start() if with_redis else None
        self.db_path = os.path.join(self.dir, "db.sqlite3")
        self.pg = self.pg_db = None
        if self.engine == "postgres":
            import pgcluster as pg
            self.pg = pg.cluster()
            self.pg_db = self.pg.create_database()
            # The Argon2 slots' run/ directory (argon2_slot_prefix): without it every hash is a
            # 503 ("argon2 gate: cannot open .../run/authcgi-argon2-N"), and the programs do not
            # create it.
            os.makedirs(os.path.join(ROOT, "run"), exist_ok=True)
            database_url = self.pg.url(self.pg_db)
        else:
            database_url = "sqlite:///" + self.db_path
        self.mail_dir = os.path.join(self.dir, "mail")
        self.media_dir = os.path.join(self.dir, "media")
        os.makedirs(self.mail_dir)
        os.makedirs(os.path.join(self.media_dir, "users"))
        self.config = {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url if self.redis else "unix://" + self.dir + "/none.sock",
            "REDIS_CONNECT_TIMEOUT_MS": "500",
            "REDIS_TIMEOUT_MS": "1000",
            "FRONTEND_URL": "http://front.test",
            "API_BASE_URL": "http://api.test",
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_TIME_COST": "1",
            "EMAIL_BACKEND": "file",
            "EMAIL_FILE_PATH": self.mail_dir,
            "STORAGE_BACKEND": "local",
            "MEDIA_ROOT": self.media_dir,
        }
        self.config.update(config)
        self.config_path = os.path.join(self.dir, "authcgi.conf")
        self.write_config()
        if migrate:
            self.authctl("migrate")

    def write_config(self):
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            for k, v in self.config.items():
                f.write("%s=%s\n" % (k, v))

    def set(self, **config):
        self.config.update(config)
        self.write_config()

    def env(self, extra=None):
        env = {"AUTHCGI_CONFIG": self.config_path}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        if extra:
            env.update(extra)
        return env

    def authctl(self, *args, input=None, check=True):
        # Once a server sample has handed the stack to its user (Apache's www-data), authctl
        # runs as that user, as DEPLOY.md says: as root it refuses another user's database.
        cmd = [os.path.join(BUILD, "bin", "authctl"), *args]
        owner = os.stat(self.dir).st_uid
        if os.geteuid() == 0 and owner != 0 and self.engine == "sqlite":
            import pwd
            cmd = [shutil.which("runuser") or "/usr/sbin/runuser", "-u",
                   pwd.getpwuid(owner).pw_name, "--"] + cmd
        out = subprocess.run(cmd, env=self.env(),
                             input=input, capture_output=True, text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError("authctl %s failed: %s" % (args, out.stderr))
        return out

    def create_user(self, email="john@example.com", password=PASSWORD, active=True):
        out = self.authctl("createuser", email, input=password + "\n")
        uid = out.stdout.strip().split(": ")[-1]
        if not active:
            self.authctl("deactivate", email)
        return uid

    def sql(self, query, params=()):
        """Runs one statement in SQLite's dialect and returns its rows in SQLite's
        representation, on either engine (pgcluster.translate, pgcluster.convert_rows)."""
        if self.engine == "postgres":
            import pgcluster as pg
            con = self.pg.connect(self.pg_db)
            try:
                return pg.run(con, query, params)
            finally:
                con.close()
        con = sqlite3.connect(self.db_path, timeout=10)
        try:
            cur = con.execute(query, params)
            rows = cur.fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def connect(self):
        """A new DB-API connection to the stack's database (sqlite3 or psycopg2, not autocommit)."""
        if self.engine == "postgres":
            return self.pg.connect(self.pg_db)
        return sqlite3.connect(self.db_path, timeout=10, isolation_level=None)

    @contextlib.contextmanager
    def write_lock(self, exclusive=False):
        """Holds the database's write lock in another connection for the duration of the block:
        SQLite BEGIN IMMEDIATE (EXCLUSIVE: readers too); PostgreSQL LOCK TABLE of the service's
        tables IN EXCLUSIVE MODE (ACCESS EXCLUSIVE: readers too), so that a writing CGI waits
        past SQLITE_BUSY_TIMEOUT_MS, or past the 5 s statement_timeout of API.md §10.1."""
        con = self.connect()
        try:
            if self.engine == "postgres":
                con.cursor().execute("LOCK TABLE users_user, user_profile, mail_outbox IN %s MODE"
                                     % ("ACCESS EXCLUSIVE" if exclusive else "EXCLUSIVE"))
            else:
                con.execute("BEGIN EXCLUSIVE" if exclusive else "BEGIN IMMEDIATE")
            yield con
        finally:
            try:
                con.rollback() if self.engine == "postgres" else con.execute("ROLLBACK")
            except Exception:
                pass
            con.close()

    @property
    def argon2_slot_prefix(self):
        """Where the programs' Argon2 slot files are (lib/cfg.c): beside a SQLite database, with
        PostgreSQL in the installation's run/ directory (AUTHCGI_HOME, the repository for a
        development build) as run/authcgi-argon2-sem (the gate semaphore's key)."""
        if self.engine == "postgres":
            os.makedirs(os.path.join(ROOT, "run"), exist_ok=True)
            return os.path.join(ROOT, "run", "authcgi")
        return self.db_path

    def unreachable_database_url(self):
        """A DATABASE_URL of this engine whose database cannot be reached (a 503, API.md §1.13):
        a SQLite file in a missing directory, or a PostgreSQL socket directory with no server."""
        if self.engine == "postgres":
            empty = os.path.join(self.dir, "no-postgres-here")
            os.makedirs(empty, exist_ok=True)
            return "postgres://postgres@/%s?host=%s" % (self.pg_db, empty)
        return "sqlite:///" + self.dir + "/missing/db.sqlite3"

    def cgi(self, name, method="GET", body=b"", env=None, content_length="auto", wrapper=True,
            timeout=60, cwd=None):
        if isinstance(body, str):
            body = body.encode()
        e = self.env()
        if method is not None:
            e["REQUEST_METHOD"] = method
        if content_length == "auto":
            if method not in ("GET", "HEAD", "OPTIONS", None):
                e["CONTENT_LENGTH"] = str(len(body))
        elif content_length is not None:
            e["CONTENT_LENGTH"] = content_length
        e.setdefault("REMOTE_ADDR", "127.0.0.1")
        if env:
            e.update(env)
        cmd = (WRAPPER if wrapper else []) + [os.path.join(BUILD, "cgi-bin", name + ".cgi")]
        check_valgrind_target(WRAPPER if wrapper else [], cmd[-1])
        out = subprocess.run(cmd, env=e, input=body, capture_output=True, timeout=timeout, cwd=cwd)
        stderr = out.stderr.decode("utf-8", "replace")
        if wrapper and WRAPPER and out.returncode == VALGRIND_ERROR:
            raise AssertionError("valgrind reported on %s:\n%s" % (name, stderr[-4000:]))
        if out.returncode != 0:
            raise AssertionError("%s exited %d: %s" % (name, out.returncode, stderr[-4000:]))
        return Response(out.stdout, stderr, out.returncode)

    def login(self, email="john@example.com", password=PASSWORD, env=None):
        r = self.cgi("login", "POST", json.dumps({"email": email, "password": password}), env=env)
        return r, r.cookie("sessionid")

    def stop(self):
        if self.redis:
            self.redis.stop()
        if self.pg_db:
            self.pg.drop_database(self.pg_db)
            self.pg_db = None
        if self.engine != "postgres":
            # The Argon2 gate's semaphore outlives every process (lib/argon2_gate.c): not left
            # behind once per test. (PostgreSQL's gate is the repository's run/, shared.)
            import argon2slot
            argon2slot.remove(self.argon2_slot_prefix)
        shutil.rmtree(self.dir, ignore_errors=True)


class Lighttpd:
    """lighttpd started in the foreground from lighttpd.conf.sample, paths and port substituted.

    With prefix (an installed tree, `make install`), /srv/authcgi becomes prefix.
    """

    def __init__(self, stack, prefix=None):
        self.stack = stack
        self.prefix = prefix
        self.port = free_port()
        self.errorlog = os.path.join(stack.dir, "lighttpd-error.log")
        self.cgilog = os.path.join(stack.dir, "lighttpd-cgi.log")   # server.breakagelog
        self.proc = None

    def transform(self, conf):
        """The sample's text before paths are substituted (LighttpdFastCGI changes it)."""
        return conf

    def start(self):
        with open(os.path.join(ROOT, "lighttpd.conf.sample")) as f:
            conf = self.transform(f.read())
        if self.prefix:
            conf = conf.replace("/srv/authcgi", self.prefix)
        else:
            conf = conf.replace("/srv/authcgi/authcgi.conf", self.stack.config_path)
            conf = conf.replace("/srv/authcgi/media/", self.stack.media_dir + "/")
            conf = conf.replace("/srv/authcgi/cgi-bin/", os.path.join(BUILD, "cgi-bin") + "/")
            conf = conf.replace("/srv/authcgi", ROOT)
        conf = conf.replace("server.port          = 8080", "server.port          = %d" % self.port)
        # The tests' state is private to the user running them (0700, 0600): the CGIs run as
        # that user, not as the sample's www-data.
        conf = re.sub(r"(?m)^server\.(user|group)name .*$", "", conf)
        conf = conf.replace("/var/log/lighttpd/authcgi-error.log", self.errorlog)
        conf = conf.replace("/var/log/lighttpd/authcgi-cgi.log", self.cgilog)
        conf = conf.replace("/run/lighttpd.pid", os.path.join(self.stack.dir, "lighttpd.pid"))
        path = os.path.join(self.stack.dir, "lighttpd.conf")
        with open(path, "w") as f:
            f.write(conf)
        # lighttpd's own stderr (anything before its log opens) goes to the error log too.
        with open(self.errorlog, "ab") as log:
            self.proc = subprocess.Popen(["lighttpd", "-D", "-f", path],
                                         stdout=subprocess.DEVNULL, stderr=log)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, what="lighttpd")
        return self

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": "127.0.0.1:%d" % self.port}
        if headers:
            h.update(headers)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return HttpResponse(resp.status, resp.getheaders(), data)

    def log(self):
        """The server's error log and, for lighttpd, the programs' stderr (its breakagelog)."""
        text = ""
        for path in (self.errorlog, getattr(self, "cgilog", None)):
            try:
                with open(path or "", encoding="utf-8", errors="replace") as f:
                    text += f.read()
            except FileNotFoundError:
                pass
        return text

    def stop(self):
        stop_pid(self.proc)
        self.proc = None


class Apache(Lighttpd):
    """apache2 started as root in the foreground from httpd.conf.sample, paths and port substituted.

    mpm "event" runs the CGIs through mod_cgid (Debian's default), "prefork" through mod_cgi
    (default: AUTHCGI_APACHE_MPM, else event). Apache runs its CGIs as the sample's User, so the
    stack directory is given to that user, and a copy of the build's cgi-bin, www and errors is
    laid out there as an installation (the repository itself may be unreadable to that user).
    With prefix (an installed tree, `make install`), /srv/authcgi becomes prefix and nothing is
    copied: the caller puts the configuration at prefix/authcgi.conf.
    """

    def __init__(self, stack, mpm=None, prefix=None):
        super().__init__(stack, prefix)
        self.mpm = mpm or os.environ.get("AUTHCGI_APACHE_MPM", "event")
        self.errorlog = os.path.join(stack.dir, "apache-error.log")
        self.accesslog = os.path.join(stack.dir, "apache-access.log")
        self.conf_path = os.path.join(stack.dir, "httpd.conf")

    def _layout(self):
        srv = os.path.join(self.stack.dir, "srv")
        if os.path.isdir(srv):
            return srv
        os.makedirs(os.path.join(srv, "cgi-bin"))
        os.makedirs(os.path.join(srv, "run"))
        for name in os.listdir(os.path.join(BUILD, "cgi-bin")):
            if name.endswith(".cgi"):
                shutil.copy2(os.path.join(BUILD, "cgi-bin", name), os.path.join(srv, "cgi-bin"))
        for d in ("www", "errors"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(srv, d))
        return srv

    def config(self):
        with open(os.path.join(ROOT, "httpd.conf.sample")) as f:
            conf = f.read()
        if self.prefix:
            conf = conf.replace("/srv/authcgi", self.prefix)
        else:
            conf = conf.replace("/srv/authcgi/authcgi.conf", self.stack.config_path)
            conf = conf.replace("/srv/authcgi/media", self.stack.media_dir)
            conf = conf.replace("/srv/authcgi", self._layout())
        conf = conf.replace(":8080", ":%d" % self.port)
        conf = conf.replace("/var/log/apache2/authcgi-error.log", self.errorlog)
        conf = conf.replace("/var/log/apache2/authcgi-access.log", self.accesslog)
        return conf

    def start(self):
        import pwd
        import re
        conf = self.config()
        with open(self.conf_path, "w") as f:
            f.write(conf)
        user = pwd.getpwnam(re.search(r"^User\s+(\S+)", conf, re.M).group(1))
        owner = (user.pw_uid, user.pw_gid)
        for top in [self.stack.dir] + ([self.prefix] if self.prefix else []):
            os.chown(top, *owner)
            for base, dirs, files in os.walk(top):
                for name in dirs + files:
                    os.chown(os.path.join(base, name), *owner, follow_symlinks=False)
        if self.stack.redis:
            self.stack.redis.owner = owner
        if self.stack.engine == "postgres":
            # The Argon2 slot files are in AUTHCGI_HOME/run/ there (the repository for the
            # build's programs): that directory, not the stack's, must be writable by Apache's user.
            os.chown(os.path.dirname(self.stack.argon2_slot_prefix), *owner)
            # and the gate's key file (0600) that root's CGI runs may have made there: the
            # programs then replace root's semaphore with one of their own (lib/argon2_gate.c)
            key = self.stack.argon2_slot_prefix + "-argon2-sem"
            if os.path.exists(key):
                os.chown(key, *owner)
        if self.prefix:
            os.makedirs(os.path.join(self.prefix, "run"), exist_ok=True)
        args = ["apache2", "-f", self.conf_path, "-DFOREGROUND"]
        if self.mpm == "prefork":
            args += ["-D", "AUTHCGI_PREFORK"]
        with open(self.errorlog, "ab") as log:
            # Its own session: prefork stops by signalling its whole process group.
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("apache2 exited %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, what="apache2")
        return self


class LighttpdFastCGI(Lighttpd):
    """lighttpd with the sample's FastCGI block enabled: every program runs as a long-lived
    FastCGI responder (lib/fcgi.c) spawned by mod_fastcgi, its socket in the stack directory.
    Programs run from the build keep the configuration they read at start: a test that changes
    the configuration file must restart the server (or send the programs SIGHUP)."""

    def transform(self, conf):
        import re
        conf = conf.replace('"mod_cgi",', '"mod_cgi", "mod_fastcgi",', 1)
        conf = re.sub(r"^\s*cgi\.assign = .*\n", "", conf, flags=re.M)
        lines = []
        for line in conf.split("\n"):
            if line.startswith("#FCGI "):
                line = line[len("#FCGI "):]
                m = re.search(r'"bin-path" => "/srv/authcgi/cgi-bin/([^"]+)"', line)
                cgi_dir = os.path.join(self.prefix, "cgi-bin") if self.prefix else os.path.join(BUILD, "cgi-bin")
                if m and not os.path.exists(os.path.join(cgi_dir, m.group(1))):
                    continue
            lines.append(line)
        return "\n".join(lines).replace("/srv/authcgi/run/", os.path.join(self.stack.dir, "fcgi-"))


def web_server(stack, **kw):
    """The web server the HTTP tests run against: AUTHCGI_SERVER=apache, lighttpd-fastcgi or
    lighttpd (default)."""
    if os.environ.get("AUTHCGI_SERVER", "lighttpd") == "apache":
        return Apache(stack, **kw)
    if os.environ.get("AUTHCGI_SERVER") == "lighttpd-fastcgi":
        return LighttpdFastCGI(stack, **kw)
    return Lighttpd(stack, **kw)


class HttpResponse(_Answer):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

