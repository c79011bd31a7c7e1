"""A throw-away PostgreSQL cluster for the tests, and SQLite-dialect SQL run against it.

One cluster per test process, started lazily by cluster() the first time a Stack needs it:
initdb as the unprivileged `postgres` user into a temporary directory, then the postmaster in
the foreground, listening only on a Unix socket in a directory any CGI user can reach (web
servers may run the CGIs as www-data). It is stopped by its PID at exit (atexit and SIGTERM)
and, should this process die without cleaning up, by the parent-death signal it was given.
Each Stack gets a fresh database (create_database / drop_database).

Environment knobs:
  AUTHCGI_PG_BIN   PostgreSQL server binaries (default /usr/lib/postgresql/15/bin)
  AUTHCGI_PG_TZ    the cluster's TimeZone (default Asia/Kolkata, a non-UTC zone with a
                   half-hour offset, so that a datetime not written in UTC shows)
"""
import atexit
import ctypes
import datetime
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import psycopg2
import psycopg2.extensions

PG_BIN = os.environ.get("AUTHCGI_PG_BIN", "/usr/lib/postgresql/15/bin")
PG_TZ = os.environ.get("AUTHCGI_PG_TZ", "Asia/Kolkata")
SUPERUSER = "postgres"
OS_USER = "postgres"             # the system user the cluster runs as when we are root
TEST_APP = "authcgi-tests"      # the application_name of the harness's own connections

# Type OIDs of the values converted back to SQLite's representation (API.md §2.1).
BOOL, DATE, TIMESTAMP, TIMESTAMPTZ, UUID = 16, 1082, 1114, 1184, 2950


def _pdeathsig(sig):
    """A preexec_fn: the child gets sig when the thread that started it dies."""
    def set_it():
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(sig), 0, 0, 0)    # PR_SET_PDEATHSIG
    return set_it


def _pdeathsig_here():
    # The signal follows the thread that forks: only the main thread lives as long as the process.
    if threading.current_thread() is threading.main_thread():
        return _pdeathsig(signal.SIGINT)
    return None


class Cluster:
    """initdb + postgres on a Unix socket only; stop() by PID.

    directory: where it lives (default: a new temporary directory); superuser: the role initdb
    creates and every connection uses; settings: more `-c` settings, overriding the defaults.
    """

    def __init__(self, directory=None, superuser=SUPERUSER, settings=None):
        self.base = directory or tempfile.mkdtemp(prefix="authcgi-pg-")
        self.superuser = superuser
        self.extra_settings = dict(settings or {})
        self.data = os.path.join(self.base, "data")
        self.sock_dir = os.path.join(self.base, "sock")
        self.log_path = os.path.join(self.base, "postgres.log")
        self.proc = None
        if os.getuid() == 0:
            pw = pwd.getpwnam(OS_USER)
            self.owner = (pw.pw_uid, pw.pw_gid)
        else:                               # not root: the cluster runs as the caller
            self.owner = None

    def _own(self, path):
        if self.owner:
            os.chown(path, *self.owner)

    def start(self):
        os.makedirs(self.base, exist_ok=True)
        os.chmod(self.base, 0o755)
        os.mkdir(self.sock_dir, 0o755)
        os.chmod(self.sock_dir, 0o755)
        open(self.log_path, "w").close()
        for p in (self.base, self.sock_dir, self.log_path):
            self._own(p)
        initdb = [os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", self.superuser,
                  "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        if self.owner:
            initdb = ["runuser", "-u", OS_USER, "--"] + initdb
        out = subprocess.run(initdb, cwd=self.base, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise AssertionError("initdb failed: %s%s" % (out.stdout, out.stderr))
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n")
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": self.sock_dir,
            "unix_socket_permissions": "0777",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "shared_buffers": "32MB",
            "timezone": PG_TZ,
            "log_timezone": "UTC",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "log_min_error_statement": "panic",
            # database and application on every line: a test may turn on log_statement for its
            # own database and read what the programs sent (test_postgres.py)
            "log_line_prefix": "%m [%p] db=%d app=%a ",
        }
        settings.update(self.extra_settings)
        args = [os.path.join(PG_BIN, "postgres"), "-D", self.data]
        for k, v in settings.items():
            args += ["-c", "%s=%s" % (k, v)]
        self._spawn(args)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, remove=True):
        """Fast shutdown by PID (SIGINT), SIGQUIT then SIGKILL if it hangs."""
        p = self.proc
        if p is not None and p.poll() is None:
            for sig, wait in ((signal.SIGINT, 20), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                try:
                    p.send_signal(sig)
                    p.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if remove:
            self.proc = None
            shutil.rmtree(self.base, ignore_errors=True)

    def restart(self):
        """Starts the postmaster again on the same data directory (after stop(remove=False))."""
        self.stop(remove=False)
        for name in os.listdir(self.sock_dir):
            if name.startswith(".s.PGSQL."):
                try:
                    os.unlink(os.path.join(self.sock_dir, name))
                except OSError:
                    pass
        self._spawn(list(self.proc.args))
        return self

    def _spawn(self, args):
        """Runs the postmaster (as the cluster's owner) and waits until it accepts connections."""
        kw = {}
        if self.owner:
            kw = {"user": self.owner[0], "group": self.owner[1], "extra_groups": []}
        with open(self.log_path, "ab") as log:
            # Fast shutdown (SIGINT) should this process die without running its atexit hooks.
            self.proc = subprocess.Popen(args, cwd=self.base, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, start_new_session=True,
                                         preexec_fn=_pdeathsig_here(), **kw)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("postgres exited %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                self.connect("postgres").close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise AssertionError("postgres did not start:\n" + self.log())
                time.sleep(0.05)

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()[-8000:]
        except OSError:
            return ""

    def connect(self, dbname, autocommit=False):
        con = psycopg2.connect(dbname=dbname, user=self.superuser, host=self.sock_dir,
                               connect_timeout=5, options="-c timezone=UTC",
                               application_name=TEST_APP)
        con.autocommit = autocommit
        return con

    def url(self, dbname, user=None):
        """The DATABASE_URL of API.md §10.1 for dbname: a libpq URI on the Unix socket."""
        return "postgres://%s@/%s?host=%s" % (user or self.superuser, dbname, self.sock_dir)

    def psql(self, dbname, sql, user=None, check=True):
        """One psql run of sql (unaligned, tuples only, stops at the first error): its stdout,
        or with check=False the CompletedProcess."""
        out = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v",
                              "ON_ERROR_STOP=1", "-h", self.sock_dir, "-U", user or self.superuser,
                              "-d", dbname], input=sql, capture_output=True, text=True, timeout=60)
        if not check:
            return out
        if out.returncode != 0:
            raise AssertionError("psql %r failed: %s" % (sql, out.stderr))
        return out.stdout

    def create_database(self, name=None):
        name = name or "authcgi_test_" + uuid.uuid4().hex[:16]
        con = self.connect("postgres", autocommit=True)
        try:
            con.cursor().execute('CREATE DATABASE "%s"' % name)
        finally:
            con.close()
        return name

    def drop_database(self, name):
        if not self.running():
            return
        con = self.connect("postgres", autocommit=True)
        try:
            # FORCE: a FastCGI responder or a stuck test connection may still be attached.
            con.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        finally:
            con.close()


_cluster = None
_lock = threading.Lock()


def _stop_at_exit():
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def _on_sigterm(signum, frame):
    _stop_at_exit()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def cluster():
    """The process's cluster, started on first use (and again if a test stopped it for good)."""
    global _cluster
    with _lock:
        if _cluster is None:
            c = Cluster()
            try:
                c.start()
            except BaseException:
                c.stop()
                raise
            _cluster = c
            atexit.register(_stop_at_exit)
            if threading.current_thread() is threading.main_thread():
                for sig in (signal.SIGTERM, signal.SIGHUP):
                    if signal.getsignal(sig) in (signal.SIG_DFL, None):
                        signal.signal(sig, _on_sigterm)
        elif not _cluster.running():
            _cluster.restart()
        return _cluster


# ---- the SQLite dialect of the tests, on PostgreSQL ----------------------------------------

_BOOLS = r"(?:\w+\.)?(?:is_active|is_staff|is_superuser)"


def _split_quotes(query):
    """[(is_literal, text)]: the query cut at its single-quoted string literals."""
    return [(i % 2 == 1, part) for i, part in enumerate(re.split(r"('(?:[^']|'')*')", query))]


def translate(query, has_params):
    """The tests' SQLite SQL as PostgreSQL SQL:
    * `?` placeholders become %s, and a literal % becomes %% when there are parameters;
    * `a = b COLLATE NOCASE` becomes lower(a) = lower(b);
    * is_active / is_staff / is_superuser compared with or set to 0, 1 or a parameter take
      booleans (a parameter is cast: 0, 1, False and True all work).
    """
    q = re.sub(r"((?:\w+\.)?\w+)\s*=\s*(\?|'(?:[^']|'')*')\s+COLLATE\s+NOCASE",
               r"lower(\1) = lower(\2)", query, flags=re.I)
    q = re.sub(r"\b(%s)\s*(=|<>|!=)\s*([01])\b" % _BOOLS,
               lambda m: "%s %s %s" % (m.group(1), m.group(2),
                                       "true" if m.group(3) == "1" else "false"), q)
    q = re.sub(r"\b(%s)\s*(=|<>|!=)\s*\?" % _BOOLS,
               r"\1 \2 CAST(CAST(? AS integer) AS boolean)", q)
    out = []
    for literal, part in _split_quotes(q):
        if not literal:
            if has_params:
                part = part.replace("%", "%%")
            part = part.replace("?", "%s")
        elif has_params:
            part = part.replace("%", "%%")
        out.append(part)
    return "".join(out)


def db_time(dt):
    """A datetime in SQLite's stored form: naive UTC text, microseconds only when non-zero."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    s = dt.strftime("%Y-%m-%d %H:%M:%S")
    return s + (".%06d" % dt.microsecond if dt.microsecond else "")


def _converter(type_code):
    if type_code == UUID:
        return lambda v: v.replace("-", "").lower() if isinstance(v, str) else v.hex
    if type_code == BOOL:
        return int
    if type_code in (TIMESTAMP, TIMESTAMPTZ):
        return db_time
    if type_code == DATE:
        return lambda v: v.isoformat()
    return None


def convert_rows(description, rows):
    """Rows as SQLite would return them (API.md §2.1): uuid as 32 lowercase hex digits,
    booleans as 0/1, datetimes as naive UTC text, dates as YYYY-MM-DD."""
    if not description:
        return []
    convs = [_converter(d.type_code) for d in description]
    if not any(convs):
        return [tuple(r) for r in rows]
    return [tuple(c(v) if c and v is not None else v for c, v in zip(convs, r)) for r in rows]


def run(con, query, params=()):
    """Runs one SQLite-dialect statement on con, commits, returns the converted rows."""
    params = tuple(params or ())
    q = translate(query, bool(params))
    with con.cursor() as cur:
        cur.execute(q, params if params else None)
        rows = cur.fetchall() if cur.description else []
        desc = cur.description
    con.commit()
    return convert_rows(desc, rows)


def columns(con, query, params=()):
    """Like run(), as a list of dicts keyed by column name."""
    params = tuple(params or ())
    with con.cursor() as cur:
        cur.execute(translate(query, bool(params)), params if params else None)
        rows = cur.fetchall() if cur.description else []
        desc = cur.description
    con.commit()
    names = [d.name for d in desc] if desc else []
    return [dict(zip(names, r)) for r in convert_rows(desc, rows)]
