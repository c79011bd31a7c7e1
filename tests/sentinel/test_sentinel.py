"""Redis with Sentinel (API.md §10.3, §1.13): one master, one replica and three Debian
redis-sentinel processes on loopback ports; the CGIs (pipe runs) and FastCGI responders use
REDIS_URL=redis-sentinel://.../mymaster. A forced failover (SENTINEL failover) gives only 200s
and 503s, each within the §1.13 bound; afterwards the old session, new logins and the FastCGI
processes started before it work, with nothing restarted. Every process is stopped by PID."""
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import fcgi_client as fc
from harness import BUILD, PASSWORD, Stack, free_port, stop_pid, wait_for

UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
# The slowest acceptable answer: §1.13's REDIS_CONNECT_TIMEOUT_MS + REDIS_TIMEOUT_MS (1.5 s),
# the Sentinel discovery's own bound (2 * connect + command, lib/rds.c) and a program start.
SLOW_S = 3.0
FAILOVER_TIMEOUT_MS = 3000


def cli(port, *args, timeout=5, opts=()):
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), "--raw", *opts, *args],
                         capture_output=True, text=True, timeout=timeout)
    return out.stdout.rstrip("\n")


class Cluster:
    """redis-servers and redis-sentinels in one temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="authcgi-sentinel-")
        self.procs = []

    def server(self, *extra):
        port = free_port()
        d = os.path.join(self.dir, "redis-%d" % port)
        os.makedirs(d)
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", d, "--daemonize", "no",
             "--logfile", os.path.join(d, "redis.log"), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for(lambda: cli(port, "PING", opts=self._auth(extra)) == "PONG", what="redis-server")
        return port, proc

    @staticmethod
    def _auth(extra):
        return ["-a", extra[extra.index("--requirepass") + 1], "--no-auth-warning"] \
            if "--requirepass" in extra else []

    def sentinel(self, monitors):
        """monitors: (name, port, down_after_ms, auth_pass or None) tuples."""
        port = free_port()
        conf = os.path.join(self.dir, "sentinel-%d.conf" % port)
        lines = ["port %d" % port, "bind 127.0.0.1", "daemonize no", "dir " + self.dir,
                 "logfile " + os.path.join(self.dir, "sentinel-%d.log" % port)]
        for name, mport, down_ms, auth in monitors:
            lines += ["sentinel monitor %s 127.0.0.1 %d 2" % (name, mport),
                      "sentinel down-after-milliseconds %s %d" % (name, down_ms),
                      "sentinel failover-timeout %s %d" % (name, FAILOVER_TIMEOUT_MS),
                      "sentinel parallel-syncs %s 1" % name]
            if auth:
                lines.append("sentinel auth-pass %s %s" % (name, auth))
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.Popen(["redis-sentinel", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_for(lambda: cli(port, "PING") == "PONG", what="redis-sentinel")
        return port, proc

    def stop(self):
        for p in reversed(self.procs):
            stop_pid(p)
        shutil.rmtree(self.dir, ignore_errors=True)


def info_field(text, key):
    for line in text.split("\n"):
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


def sentinel_master(port, name):
    """{field: value} of SENTINEL MASTER name."""
    out = cli(port, "SENTINEL", "MASTER", name).split("\n")
    return dict(zip(out[0::2], out[1::2]))


def master_addr(sport, name):
    out = cli(sport, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name).split("\n")
    return int(out[1]) if len(out) == 2 and out[1].isdigit() else None


def role(port):
    try:
        return cli(port, "ROLE", timeout=2).split("\n")[0]
    except subprocess.TimeoutExpired:
        return None


class SentinelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("redis-sentinel"):
            raise AssertionError("redis-sentinel is not installed: bin/install-deps --test")
        cls.cluster = c = Cluster()
        try:
            cls.master, cls.master_proc = c.server()
            cls.replica, cls.replica_proc = c.server("--replicaof", "127.0.0.1", str(cls.master))
            # A "master" that is in fact a replica (of a port nobody listens on): the
            # Sentinels keep naming it for a minute (down-after 60 s), ROLE says slave.
            cls.fake, _ = c.server("--replicaof", "127.0.0.1", str(free_port()))
            # A master with a password: the URL's password is the master's, not the Sentinels'.
            cls.locked, _ = c.server("--requirepass", "m4ster-secret")
            monitors = [("mymaster", cls.master, 1000, None), ("notmaster", cls.fake, 60000, None),
                        ("locked", cls.locked, 60000, "m4ster-secret")]
            cls.sentinels = [c.sentinel(monitors)[0] for _ in range(3)]
            wait_for(cls.agreed, timeout=60, what="the sentinels to find each other and the replica")
        except Exception:
            c.stop()
            raise
        cls.url = "redis-sentinel://%s/" % ",".join("127.0.0.1:%d" % p for p in cls.sentinels)
        cls.stack = Stack(with_redis=False, REDIS_URL=cls.url + "mymaster")
        cls.stack.create_user()
        cls.responders = []

    @classmethod
    def tearDownClass(cls):
        for r in cls.responders:
            r.stop()
        cls.stack.stop()
        cls.cluster.stop()

    @classmethod
    def agreed(cls):
        for p in cls.sentinels:
            m = sentinel_master(p, "mymaster")
            if m.get("num-slaves") != "1" or m.get("num-other-sentinels") != "2" or \
                    master_addr(p, "mymaster") != cls.master:
                return False
            replicas = cli(p, "SENTINEL", "REPLICAS", "mymaster")
            if "s_down" in replicas or "master-link-status\nok" not in replicas:
                return False
        return True

    # ---- helpers ----

    def timed_cgi(self, name, **kw):
        t0 = time.monotonic()
        r = self.stack.cgi(name, **kw)
        return r, time.monotonic() - t0

    def current_user(self, token, stack=None):
        return (stack or self.stack).cgi("current-user", "GET",
                                         env={"HTTP_COOKIE": "sessionid=" + token})

    def assert_unavailable(self, r):
        self.assertEqual(r.status, 503, r.stderr)
        self.assertEqual(r.json, UNAVAILABLE)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(r.all("Set-Cookie"), [])

    def other_stack(self, url):
        s = Stack(with_redis=False, REDIS_URL=url)
        self.addCleanup(s.stop)
        s.create_user()
        return s

    def responder(self, name):
        path = os.path.join(self.stack.dir, "%s-%d.sock" % (name, len(self.responders)))
        log = open(os.path.join(self.stack.dir, name + "-fcgi.log"), "ab")
        self.addCleanup(log.close)
        r = fc.Responder(os.path.join(BUILD, "cgi-bin", name + ".cgi"), path, self.stack.env(),
                         stderr=log)
        self.responders.append(r)
        return r

    @staticmethod
    def fcgi_current_user(resp, token):
        p = {"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "api.test",
             "REQUEST_URI": "/users/current-user/", "SERVER_PROTOCOL": "HTTP/1.1",
             "HTTP_COOKIE": "sessionid=" + token}
        t0 = time.monotonic()
        a = resp.request(p)
        status, _, body = fc.cgi_response(a.stdout)
        return status, body, time.monotonic() - t0

    @staticmethod
    def fcgi_login(resp):
        body = b'{"email": "john@example.com", "password": "%s"}' % PASSWORD.encode()
        p = {"REQUEST_METHOD": "POST", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "api.test",
             "REQUEST_URI": "/users/login/", "SERVER_PROTOCOL": "HTTP/1.1",
             "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json"}
        status, headers, _ = fc.cgi_response(resp.request(p, body).stdout)
        cookie = [v.split(";")[0].split("=", 1)[1] for n, v in headers
                  if n == "Set-Cookie" and v.startswith("sessionid=")]
        return status, cookie[0] if cookie else None

    # ---- the tests ----

    def test_login_and_session_through_sentinel(self):
        r, token = self.stack.login()
        self.assertEqual(r.status, 200, r.stderr)
        self.assertTrue(token)
        self.assertEqual(self.current_user(token).status, 200)
        # the session is on the master the Sentinels name
        self.assertEqual(cli(self.master, "EXISTS", "auth:sess:" + self.session_hash(token)), "1")

    @staticmethod
    def session_hash(token):
        """H of API.md §4.4."""
        return hashlib.sha256(token.encode()).hexdigest()

    def test_all_sentinels_down_is_a_quick_503(self):
        dead = ",".join("127.0.0.1:%d" % free_port() for _ in range(3))
        s = self.other_stack("redis-sentinel://%s/mymaster" % dead)
        t0 = time.monotonic()
        r = s.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + "a" * 64})
        self.assertLess(time.monotonic() - t0, SLOW_S)
        self.assert_unavailable(r)
        self.assertIn("no sentinel named a master", r.stderr)
        r = s.login()[0]
        self.assert_unavailable(r)

    def test_dead_sentinels_are_skipped(self):
        dead = ",".join("127.0.0.1:%d" % free_port() for _ in range(2))
        s = self.other_stack("redis-sentinel://%s,127.0.0.1:%d/mymaster"
                             % (dead, self.sentinels[2]))
        r, token = s.login()
        self.assertEqual(r.status, 200, r.stderr)
        self.assertEqual(self.current_user(token, s).status, 200)

    def test_a_named_server_that_is_not_a_master_is_a_503(self):
        for p in self.sentinels:
            self.assertEqual(master_addr(p, "notmaster"), self.fake)
        self.assertEqual(role(self.fake), "slave")
        s = self.other_stack(self.url + "notmaster")
        t0 = time.monotonic()
        r = s.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + "a" * 64})
        self.assertLess(time.monotonic() - t0, SLOW_S)
        self.assert_unavailable(r)
        self.assertIn("is a replica", r.stderr)
        # asked again once, of the Sentinels after the one that named it
        self.assertEqual(r.stderr.count("is a replica"), 2)
        self.assert_unavailable(s.login()[0])

    def test_unknown_master_name_is_a_503(self):
        s = self.other_stack(self.url + "nosuchmaster")
        r = s.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + "a" * 64})
        self.assert_unavailable(r)
        self.assertEqual(r.stderr.count("does not know master nosuchmaster"), 3)

    def test_the_password_is_the_masters(self):
        s = self.other_stack(self.url + "locked")
        self.assert_unavailable(s.login()[0])  # NOAUTH: no password given
        s.set(REDIS_URL="redis-sentinel://:m4ster-secret@%s/locked?db=3"
              % ",".join("127.0.0.1:%d" % p for p in self.sentinels))
        r, token = s.login()
        self.assertEqual(r.status, 200, r.stderr)
        self.assertEqual(self.current_user(token, s).status, 200)
        keys = cli(self.locked, "KEYS", "auth:sess:*",
                   opts=("-a", "m4ster-secret", "--no-auth-warning", "-n", "3"))
        self.assertEqual(keys.count("auth:sess:"), 1)

    def test_fastcgi_on_a_master_demoted_under_it(self):
        """A kept connection to a master that becomes a replica without being cut (no Sentinel
        involved): writes answer READONLY, that answer is a 503 and drops the connection, and
        the next request asks the Sentinels again."""
        s = self.other_stack("redis-sentinel://:m4ster-secret@%s/locked"
                             % ",".join("127.0.0.1:%d" % p for p in self.sentinels))
        self.stack, saved = s, self.stack
        try:
            flogin = self.responder("login")
            fcu = self.responder("current-user")
        finally:
            self.stack = saved
        self.addCleanup(flogin.stop)
        self.addCleanup(fcu.stop)
        status, token = self.fcgi_login(flogin)
        self.assertEqual(status, 200)
        self.assertEqual(self.fcgi_current_user(fcu, token)[0], 200)
        auth = ("-a", "m4ster-secret", "--no-auth-warning")
        self.assertEqual(cli(self.locked, "REPLICAOF", "127.0.0.1", str(free_port()), opts=auth), "OK")
        try:
            # a read on a kept connection is served by the replica: the replicated session
            self.assertEqual(self.fcgi_current_user(fcu, token)[0], 200)
            self.assertEqual(self.fcgi_login(flogin)[0], 503)       # READONLY on the kept connection
            self.assertEqual(self.fcgi_login(flogin)[0], 503)       # rediscovered: ROLE says replica
        finally:
            self.assertEqual(cli(self.locked, "REPLICAOF", "NO", "ONE", opts=auth), "OK")
        self.assertEqual(self.fcgi_login(flogin)[0], 200)
        self.assertEqual(self.fcgi_current_user(fcu, token)[0], 200)
        flogin.stop()
        with open(os.path.join(s.dir, "login-fcgi.log")) as f:
            log = f.read()
        self.assertIn("READONLY", log)
        self.assertIn("is a replica", log)

    def ride_out(self, what, token, fcu, new_master, done):
        """Polls current-user (a CGI run and the FastCGI responder fcu, the session token)
        until the Sentinels name new_master, it is master, done() holds and both answers are
        200 again. Every answer on the way is 200 or 503, within SLOW_S. Returns the record."""
        t0 = time.monotonic()
        seen = {"cgi": [], "fcgi": []}
        slowest = 0.0
        switched_at = named_at = None
        while time.monotonic() - t0 < 60:
            r, dt = self.timed_cgi("current-user", method="GET",
                                   env={"HTTP_COOKIE": "sessionid=" + token})
            slowest = max(slowest, dt)
            self.assertIn(r.status, (200, 503), r.stderr)
            if r.status == 503:
                self.assert_unavailable(r)
            seen["cgi"].append((round(time.monotonic() - t0, 2), r.status))
            status, body, dt = self.fcgi_current_user(fcu, token)
            slowest = max(slowest, dt)
            self.assertIn(status, (200, 503), body)
            seen["fcgi"].append((round(time.monotonic() - t0, 2), status))
            named = all(master_addr(p, "mymaster") == new_master for p in self.sentinels)
            if named and named_at is None:
                named_at = time.monotonic() - t0
            ok = named and role(new_master) == "master" and done()
            if ok and switched_at is None:
                switched_at = time.monotonic() - t0
            if ok and r.status == 200 and status == 200:
                break
            time.sleep(0.05)
        else:
            self.fail("%s: no recovery within 60 s: %r" % (what, seen))
        recovered = time.monotonic() - t0
        self.assertLess(slowest, SLOW_S)

        def summary(v):
            n503 = [t for t, x in v if x == 503]
            return "%d x 200, %d x 503%s" % (
                sum(1 for _, x in v if x == 200), len(n503),
                " (%.1f-%.1f s)" % (n503[0], n503[-1]) if n503 else "")
        print("\n%s: Sentinels name the new master after %.1f s, switch complete after %.1f s, "
              "200 again after %.1f s, slowest answer %.2f s; CGI %s; FastCGI %s"
              % (what, named_at, switched_at, recovered, slowest, summary(seen["cgi"]),
                 summary(seen["fcgi"])))
        return seen

    def after_switch(self, token, fcu, flogin, new_master):
        """The session of before, new logins, and the FastCGI processes of before all work."""
        r = self.current_user(token)
        self.assertEqual(r.status, 200, r.stderr)
        self.assertEqual(r.json["email"], "john@example.com")
        r, token2 = self.stack.login()
        self.assertEqual(r.status, 200, r.stderr)
        self.assertEqual(self.current_user(token2).status, 200)
        self.assertEqual(cli(new_master, "EXISTS", "auth:sess:" + self.session_hash(token2)), "1")
        # at most one 503 each (the first command on a connection the switch broke), then 200
        answers = [self.fcgi_current_user(fcu, token2)[0] for _ in range(3)]
        self.assertIn(answers, ([200, 200, 200], [503, 200, 200]))
        answers = [self.fcgi_login(flogin)[0] for _ in range(2)]
        self.assertIn(answers, ([200, 200], [503, 200]))
        status, token3 = self.fcgi_login(flogin)
        self.assertEqual(status, 200)
        self.assertEqual(self.fcgi_current_user(fcu, token3)[0], 200)
        self.assertEqual(cli(new_master, "EXISTS", "auth:sess:" + self.session_hash(token3)), "1")
        return token3

    def test_zz_failover_then_master_crash(self):
        """Runs last: it moves mymaster to the replica (SENTINEL failover), then back by
        killing that one (the Sentinels' own failover)."""
        r, token = self.stack.login()
        self.assertEqual(r.status, 200, r.stderr)
        # FastCGI responders started before the failover, each holding a connection to the master
        fcu = self.responder("current-user")
        flogin = self.responder("login")
        self.assertEqual(self.fcgi_current_user(fcu, token)[0], 200)
        self.assertEqual(self.fcgi_login(flogin)[0], 200)
        pids = (fcu.proc.pid, flogin.proc.pid)

        # 1. a forced failover, the old master alive: the Sentinels demote it afterwards
        self.assertEqual(cli(self.master, "WAIT", "1", "5000"), "1")  # replicated
        self.assertEqual(cli(self.sentinels[0], "SENTINEL", "FAILOVER", "mymaster"), "OK")
        type(self).failover_at = time.monotonic()
        self.ride_out("SENTINEL failover", token, fcu, self.replica,
                      lambda: role(self.master) == "slave")
        token = self.after_switch(token, fcu, flogin, self.replica)

        # 2. the new master crashes: 503 until the Sentinels promote the old one again
        wait_for(lambda: cli(self.master, "INFO", "replication").find("master_link_status:up") >= 0,
                 timeout=30, what="the old master to replicate from the new one")
        self.assertEqual(cli(self.replica, "WAIT", "1", "5000"), "1")
        # a Sentinel starts no second failover of a master within 2 * failover-timeout
        time.sleep(max(0.0, self.failover_at + 2 * FAILOVER_TIMEOUT_MS / 1000 + 0.5
                       - time.monotonic()))
        stop_pid(self.replica_proc, signal.SIGKILL)
        seen = self.ride_out("master killed", token, fcu, self.master, lambda: True)
        self.assertIn(503, [x for _, x in seen["cgi"]])
        self.after_switch(token, fcu, flogin, self.master)

        self.assertEqual((fcu.proc.pid, flogin.proc.pid), pids)
        self.assertIsNone(fcu.proc.poll())
        self.assertIsNone(flogin.proc.poll())

if __name__ == "__main__":
    unittest.main()
