"""Several web hosts in front of one PostgreSQL and one Redis (API.md §10.2, §1.12).

Two "hosts", each its own `make install PREFIX=... POSTGRES=1` tree with its own configuration
file, run directory and mail directory: host A served by lighttpd, host B by Apache (prefork,
mod_cgi, the CGIs as www-data), both on loopback ports. Shared between them: one throw-away
PostgreSQL database, one redis-server, one Ceph radosgw for the thumbnails (STORAGE_BACKEND=s3),
and the same SECRET_KEY. Each host runs its own installed bin/mailer while registrations arrive.

Shown: a session made on one host works on the other, and logout or revoke on one ends it on
the other; the rate-limit counters count across hosts; 200 registrations spread over both hosts
give exactly 200 e-mails with a worker on each host (none twice, none lost), and an activation
link queued by one host works on the other; a thumbnail
uploaded through A is served from S3 and replaced through B; ARGON2_MAX_CONCURRENT is per host,
its slot files in each installation's own run/ directory.

Every process is stopped by its PID; the installed trees and temporary directories are removed.
The trees are built in build/install/<prefix>-postgres (by make install), a fixed prefix per
checkout so that a second run rebuilds incrementally.
"""
import collections
import concurrent.futures
import email
import email.policy
import fcntl
import glob
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import unittest
import zlib

os.environ.setdefault("AUTHCGI_TEST_DB", "postgres")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "s3"))

import argon2slot  # noqa: E402
import harness  # noqa: E402
import radosgw  # noqa: E402
from harness import PASSWORD, ROOT, SECRET, Apache, Lighttpd, Stack, stop_pid, wait_for  # noqa: E402

# A fixed place per checkout: make install builds into build/install<PREFIX>-postgres, which a
# second run then only brings up to date. The Apache host's tree must be reachable by www-data.
TOP = "/tmp/authcgi-cluster-" + hashlib.sha1(ROOT.encode()).hexdigest()[:8]
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}
TOO_MANY_LOGINS = {"error": "Too many failed login attempts. Please try again later"}
TOO_MANY = {"error": "Too many requests. Please try again later"}
MISMATCH = {"error": "Email and password do not match"}
REGISTERED = 200
API = "http://api.test"
CONFIRM = API + "/users/register/confirm/"
CONFIRMED = "http://front.test/auth/confirmed"
# A hash slow enough (about 5 s on the test machine, longer under load) that a second request on the same host
# outwaits the gate's 2 s (A2GATE_WAIT_MS) while the first one still holds the only slot.
SLOW_HASH = {"ARGON2_MEMORY_KIB": "262144", "ARGON2_MAX_MEMORY_KIB": "262144",
             "ARGON2_TIME_COST": "16", "ARGON2_MAX_CONCURRENT": "1"}


def png(width=2, height=2):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x22\x66\xaa" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg():
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x10\x01\x01\x11\x00\xff\xd9")


def form(files, boundary="----authcgiClusterBoundary"):
    out = b""
    for name, filename, data in files:
        out += ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                'Content-Type: application/octet-stream\r\n\r\n' % (boundary, name, filename)).encode()
        out += data + b"\r\n"
    return out + ("--%s--\r\n" % boundary).encode(), "multipart/form-data; boundary=" + boundary


class Host:
    """One installed tree (its own PREFIX, so its own AUTHCGI_HOME and run/) and its web server."""

    def __init__(self, name, prefix):
        self.name = name
        self.prefix = prefix
        self.conf_path = os.path.join(prefix, "authcgi.conf")
        self.mail_dir = os.path.join(prefix, "mail")
        self.server = None
        self.config = {}

    def install(self):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        out = subprocess.run(["make", "-s", "-j2", "install", "PREFIX=" + self.prefix, "POSTGRES=1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise AssertionError("make install PREFIX=%s POSTGRES=1 failed:\n%s%s"
                                 % (self.prefix, out.stdout[-3000:], out.stderr[-3000:]))

    def write_config(self, config):
        self.config = dict(config)
        # Rewritten in place: the Apache host's file keeps the owner (www-data) it was given.
        fd = os.open(self.conf_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            for k, v in self.config.items():
                f.write("%s=%s\n" % (k, v))

    def run(self, program, *args, input=None):
        """An installed program with its compiled-in configuration (PREFIX/authcgi.conf)."""
        out = subprocess.run([os.path.join(self.prefix, "bin", program), *args], input=input,
                             env={"PATH": os.environ["PATH"]}, capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise AssertionError("%s %s %s: %s" % (self.name, program, args, out.stderr))
        return out

    def mailer(self):
        return subprocess.Popen([os.path.join(self.prefix, "bin", "mailer"), "--interval", "0.1",
                                 "--batch", "3"], env={"PATH": os.environ["PATH"]},
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    def req(self, method, path, body=None, token=None, headers=None):
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Cookie"] = "sessionid=" + token
        return self.server.request(method, path, body, h)

    def login(self, addr, password=PASSWORD):
        r = self.req("POST", "/users/login/", {"email": addr, "password": password})
        return r, r.cookie("sessionid")

    def slot_files(self):
        return sorted(os.path.basename(p)
                      for p in glob.glob(os.path.join(self.prefix, "run", "authcgi-argon2-*")))


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if harness.ENGINE != "postgres":
            raise RuntimeError("tests/cluster needs AUTHCGI_TEST_DB=postgres")
        if not radosgw.available():
            raise RuntimeError("radosgw, ceph-mon and ceph-osd are needed: bin/install-deps --test")
        cls.gw = cls.infra = cls.lock = None
        cls.hosts = []
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        t0 = time.monotonic()
        # One run per checkout at a time: TOP and the install builds are per checkout.
        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        cls.lock = open(os.path.join(ROOT, "build", "cluster-test.lock"), "w")
        fcntl.flock(cls.lock, fcntl.LOCK_EX)
        if os.path.isdir(TOP):      # left behind by a run that was killed
            shutil.rmtree(TOP)
        os.makedirs(TOP)
        os.chmod(TOP, 0o755)
        cls.a = Host("A", os.path.join(TOP, "hostA"))
        cls.b = Host("B", os.path.join(TOP, "hostB"))
        cls.hosts = [cls.a, cls.b]
        for h in cls.hosts:
            h.install()
        t1 = time.monotonic()
        cls.gw = radosgw.RadosGW().start()
        # The shared services: a fresh PostgreSQL database and one redis-server (Stack), its
        # schema made by host A's installed authctl.
        cls.infra = Stack(migrate=False)
        cls.base = {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": cls.infra.config["DATABASE_URL"],
            "REDIS_URL": cls.infra.redis.url,
            "REDIS_CONNECT_TIMEOUT_MS": "500",
            "REDIS_TIMEOUT_MS": "1000",
            "FRONTEND_URL": "http://front.test",
            "API_BASE_URL": API,
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_TIME_COST": "1",
            "EMAIL_BACKEND": "file",
            "STORAGE_BACKEND": "s3",
            "AWS_ACCESS_KEY_ID": cls.gw.access_key,
            "AWS_SECRET_ACCESS_KEY": cls.gw.secret_key,
            "AWS_S3_BUCKET_NAME": cls.gw.bucket,
            "AWS_S3_ENDPOINT_URL": cls.gw.endpoint,
            "RATE_LIMIT_LOGIN_ACCOUNT": "3/900",
            "RATE_LIMIT_LOGIN_ADDR": "1000/900",
            "RATE_LIMIT_REGISTER_ADDR": "0",
            "RATE_LIMIT_MAIL_ADDR": "0",
            "RATE_LIMIT_MAIL_EMAIL": "5/3600",
        }
        for h in cls.hosts:
            os.makedirs(h.mail_dir)
            h.write_config(cls.host_config(h))
        cls.a.run("authctl", "migrate")
        cls.a.run("authctl", "createuser", "john@example.com", input=PASSWORD + "\n")
        # Both servers keep their configuration and logs in the stack's directory; Apache gives
        # that directory (the Redis socket in it) and its own tree to its CGI user.
        # (assigned before start: a server that fails to come up is still stopped by PID)
        cls.a.server = Lighttpd(cls.infra, prefix=cls.a.prefix)
        cls.a.server.start()
        cls.b.server = Apache(cls.infra, mpm="prefork", prefix=cls.b.prefix)
        cls.b.server.start()
        print("cluster: installs %.1f s, radosgw + stack + servers %.1f s"
              % (t1 - t0, time.monotonic() - t1), flush=True)

    @classmethod
    def host_config(cls, host, **extra):
        c = dict(cls.base, MEDIA_ROOT=os.path.join(host.prefix, "media"), EMAIL_FILE_PATH=host.mail_dir)
        c.update(extra)
        return c

    @classmethod
    def tearDownClass(cls):
        for h in cls.hosts:
            if h.server:
                h.server.stop()
                h.server = None
        if cls.infra:
            cls.infra.stop()
        if cls.gw:
            cls.gw.stop()
        shutil.rmtree(TOP, ignore_errors=True)
        if cls.lock:
            cls.lock.close()
            cls.lock = None

    def setUp(self):
        self.procs = []
        for key in self.infra.redis.keys("auth:rl:*"):
            self.infra.redis.cli("DEL", key)

    def tearDown(self):
        for p in self.procs:
            stop_pid(p)
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        for h in self.hosts:
            h.write_config(self.host_config(h))

    def configure(self, **extra):
        for h in self.hosts:
            h.write_config(self.host_config(h, **extra))

    def server_logs(self):
        return "\n".join("== host %s\n%s" % (h.name, h.server.log()[-3000:]) for h in self.hosts)

    # -- sessions ------------------------------------------------------------------------------
    def test_a_session_made_on_one_host_works_and_ends_on_the_other(self):
        r, token = self.a.login("john@example.com")
        self.assertEqual(r.status, 200, r.body)
        uid = r.json["id"]
        for h in (self.b, self.a):
            r = h.req("GET", "/users/current-user/", token=token)
            self.assertEqual((r.status, r.json["id"]), (200, uid), h.name)
        # logout on B ends the session made on A
        r = self.b.req("POST", "/users/logout/", token=token)
        self.assertEqual(r.status, 200, r.body)
        for h in (self.a, self.b):
            r = h.req("GET", "/users/current-user/", token=token)
            self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN), h.name)

        # a session made on B revokes the one made on A, which then ends on A too
        r, on_a = self.a.login("john@example.com")
        self.assertEqual(r.status, 200, r.body)
        r, on_b = self.b.login("john@example.com")
        self.assertEqual(r.status, 200, r.body)
        r = self.a.req("GET", "/users/sessions/", token=on_a)
        self.assertEqual(r.status, 200, r.body)
        sid_a = r.json["sessions"][0]["id"]
        self.assertTrue(r.json["sessions"][0]["current"])
        r = self.b.req("GET", "/users/sessions/", token=on_b)
        self.assertIn(sid_a, [s["id"] for s in r.json["sessions"] if not s["current"]])
        r = self.b.req("POST", "/users/sessions/revoke/", {"id": sid_a}, token=on_b)
        self.assertEqual((r.status, r.json), (200, {"message": "The session has been revoked"}))
        r = self.a.req("GET", "/users/current-user/", token=on_a)
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        for h in (self.a, self.b):
            r = h.req("GET", "/users/current-user/", token=on_b)
            self.assertEqual((r.status, r.json["id"]), (200, uid), h.name)
        self.assertEqual(self.b.req("POST", "/users/logout/", token=on_b).status, 200)

    # -- rate limits ---------------------------------------------------------------------------
    def test_login_failures_count_across_hosts(self):
        # RATE_LIMIT_LOGIN_ACCOUNT=3/900 on both hosts: A, B, A fail, then both answer 429.
        for h in (self.a, self.b, self.a):
            r, _ = h.login("john@example.com", "wrong password " + h.name)
            self.assertEqual((r.status, r.json), (400, MISMATCH), h.name)
        for h in (self.b, self.a):
            r, _ = h.login("john@example.com", "wrong password again")
            self.assertEqual((r.status, r.json), (429, TOO_MANY_LOGINS), h.name)
            self.assertGreater(int(r.header("Retry-After")), 800)
            # the right password is refused too while the account's counter is full
            r, token = h.login("john@example.com")
            self.assertEqual((r.status, token), (429, None), h.name)
        # one counter in the shared Redis, whichever host counted
        self.assertEqual(self.infra.redis.keys("auth:rl:login-account:*"),
                         ["auth:rl:login-account:" + hashlib.sha256(b"john@example.com").hexdigest()])
        r, _ = self.a.login("jane@cluster.test", "another account, its own counter")
        self.assertEqual((r.status, r.json), (400, MISMATCH))

    def test_parallel_failures_on_both_hosts_test_at_most_count_passwords(self):
        # §1.12: a failure counter counts attempts in flight, so that parallel requests cannot
        # test more than COUNT (3) passwords, whichever hosts they reach. Eight wrong passwords
        # at once, four per host, against a hash that takes a while (the slots do not serialise
        # them: ARGON2_MAX_CONCURRENT=8 per host): at most three may be checked (400).
        medium = {"ARGON2_MEMORY_KIB": "65536", "ARGON2_TIME_COST": "4",
                  "ARGON2_MAX_CONCURRENT": "8"}
        self.configure(**medium)
        self.a.run("authctl", "createuser", "burst@cluster.test", input=PASSWORD + "\n")
        barrier = threading.Barrier(8)

        def attempt(i):
            h = self.hosts[i % 2]
            barrier.wait()
            r, _ = h.login("burst@cluster.test", "wrong password %d" % i)
            return r.status
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(attempt, range(8)))
        self.assertTrue(set(statuses) <= {400, 429}, statuses)
        self.assertLessEqual(statuses.count(400), 3, statuses)
        r, _ = self.b.login("burst@cluster.test")
        self.assertEqual(r.status, 429)

    def test_register_limit_counts_across_hosts(self):
        self.configure(RATE_LIMIT_REGISTER_ADDR="3/3600")
        hosts = (self.a, self.b, self.a, self.b, self.a)
        statuses = []
        for i, h in enumerate(hosts):
            r = h.req("POST", "/users/register/", {"email": "limit%d@cluster.test" % i,
                                                   "first_name": "L", "last_name": "R",
                                                   "password": PASSWORD})
            statuses.append(r.status)
            if r.status == 429:
                self.assertEqual(r.json, TOO_MANY)
                self.assertGreater(int(r.header("Retry-After")), 3000)
        self.assertEqual(statuses, [201, 201, 201, 429, 429])
        self.assertEqual(self.infra.sql("SELECT count(*) FROM users_user WHERE email LIKE ?",
                                        ("limit%@cluster.test",)), [(3,)])

    # -- mail ----------------------------------------------------------------------------------
    def test_registrations_on_both_hosts_give_each_email_exactly_once(self):
        self.infra.sql("DELETE FROM mail_outbox")
        for h in self.hosts:
            for f in os.listdir(h.mail_dir):
                os.unlink(os.path.join(h.mail_dir, f))
        workers = [h.mailer() for h in self.hosts]
        self.procs.extend(workers)
        addrs = ["user%03d@cluster.test" % i for i in range(REGISTERED)]

        def register(i):
            h = self.hosts[i % 2]
            r = h.req("POST", "/users/register/", {"email": addrs[i], "first_name": "User",
                                                   "last_name": str(i), "password": PASSWORD})
            return h.name, r.status, r.body
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            results = list(pool.map(register, range(REGISTERED)))
        bad = [r for r in results if r[1] != 201]
        self.assertEqual(bad, [], self.server_logs())
        self.assertEqual(collections.Counter(r[0] for r in results), {"A": 100, "B": 100})

        def drained():
            return self.infra.sql("SELECT count(*) FROM mail_outbox") == [(0,)]
        wait_for(drained, timeout=120, what="mail_outbox to empty")
        for w in workers:
            self.assertIsNone(w.poll(), "a mail worker exited")
            stop_pid(w)
            self.assertEqual(w.returncode, 0, w.stderr.read().decode(errors="replace")[-3000:])

        sent = collections.Counter()
        per_host = {}
        links = {}
        for h in self.hosts:
            names = os.listdir(h.mail_dir)
            self.assertEqual([n for n in names if not n.endswith(".eml")], [], h.name)
            per_host[h.name] = len(names)
            for n in names:
                with open(os.path.join(h.mail_dir, n), "rb") as f:
                    msg = email.message_from_binary_file(f, policy=email.policy.default)
                self.assertEqual(msg["Subject"], "Please, verify your account")
                sent[msg["To"]] += 1
                text = msg.get_body(("plain",)).get_content()
                links[msg["To"]] = [l for l in text.splitlines() if l.startswith(CONFIRM)][0]
        self.assertEqual(sum(per_host.values()), REGISTERED, per_host)
        self.assertEqual(set(sent), set(addrs))
        self.assertEqual([a for a, n in sent.items() if n != 1], [])
        # both workers took part
        self.assertTrue(all(per_host.values()), per_host)
        print("\ncluster: 200 e-mails, %d by host A's worker, %d by host B's"
              % (per_host["A"], per_host["B"]), flush=True)

        # an e-mail link works on the host that did not queue it: user000 registered on A,
        # user001 on B; each is activated through the other host and logs in on its own
        for addr, other, own in ((addrs[0], self.b, self.a), (addrs[1], self.a, self.b)):
            r = other.req("GET", links[addr][len(API):])
            self.assertEqual((r.status, r.header("Location")), (302, CONFIRMED), addr)
            r, token = own.login(addr)
            self.assertEqual((r.status, r.json["email"]), (200, addr))

    # -- thumbnails ----------------------------------------------------------------------------
    def key_of(self, url):
        prefix = "%s/%s/" % (self.gw.endpoint, self.gw.bucket)
        self.assertTrue(url.startswith(prefix + "media/users/django-auth/users/"), url)
        return url[len(prefix):]

    def test_thumbnail_uploaded_on_a_is_served_and_replaced_through_b(self):
        r, token = self.a.login("john@example.com")
        self.assertEqual(r.status, 200, r.body)
        image = png(5, 3)
        body, ct = form([("thumbnail", "cluster.png", image)])
        r = self.a.req("PATCH", "/users/update-user/", body, token=token,
                       headers={"Content-Type": ct})
        self.assertEqual(r.status, 200, r.body)
        url = r.json["thumbnail"]
        key = self.key_of(url)
        status, headers, got = self.gw.get_public(url[len(self.gw.endpoint):])
        self.assertEqual((status, headers["content-type"], got), (200, "image/png", image))
        # host B shows the same URL and replaces the object
        r = self.b.req("GET", "/users/current-user/", token=token)
        self.assertEqual((r.status, r.json["thumbnail"]), (200, url))
        body, ct = form([("thumbnail", "other.jpg", jpeg())])
        r = self.b.req("PATCH", "/users/update-user/", body, token=token,
                       headers={"Content-Type": ct})
        self.assertEqual(r.status, 200, r.body)
        url2 = r.json["thumbnail"]
        key2 = self.key_of(url2)
        self.assertNotEqual(key2, key)
        status, headers, got = self.gw.get_public(url2[len(self.gw.endpoint):])
        self.assertEqual((status, headers["content-type"], got), (200, "image/jpeg", jpeg()))
        self.assertEqual(self.gw.request("GET", "/%s/%s" % (self.gw.bucket, key))[0], 404)
        self.assertNotIn(key, self.gw.keys())
        self.assertEqual(self.a.req("GET", "/users/current-user/", token=token).json["thumbnail"], url2)
        # nothing went to either host's local media directory
        for h in self.hosts:
            self.assertEqual(os.listdir(os.path.join(h.prefix, "media", "users")), [], h.name)

    # -- Argon2 concurrency cap ----------------------------------------------------------------
    def test_argon2_slots_are_per_host(self):
        self.configure(ARGON2_MAX_CONCURRENT="1")
        # Host A's only slot taken, as by a hash running there: a login on A waits out the gate
        # and answers 503, while the same login on B at the same time hashes at once.
        slot = argon2slot.Slot(os.path.join(self.a.prefix, "run", "authcgi"), 1)
        try:
            results = {}

            def login(h):
                start = time.monotonic()
                r, token = h.login("john@example.com")
                results[h.name] = (r, token, time.monotonic() - start)
            threads = [threading.Thread(target=login, args=(h,)) for h in self.hosts]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            slot.release()
        r, token, waited = results["A"]
        self.assertEqual((r.status, r.json, r.header("Retry-After"), token),
                         (503, UNAVAILABLE, "5", None))
        self.assertGreaterEqual(waited, 2.0)
        # B's gate is another semaphore: B hashed while A's only slot was held
        r, token, _ = results["B"]
        self.assertEqual(r.status, 200, r.body)
        self.assertIsNotNone(token)
        # the gates' key files are each installation's own, in PREFIX/run, naming two semaphores
        for h in self.hosts:
            self.assertIn("authcgi-argon2-sem", h.slot_files(), h.name)
        self.assertNotEqual(argon2slot.semid(os.path.join(self.a.prefix, "run", "authcgi")),
                            argon2slot.semid(os.path.join(self.b.prefix, "run", "authcgi")))
        for d in (self.infra.dir, self.infra.pg.base, TOP):
            self.assertEqual([p for p in glob.glob(os.path.join(d, "**", "*argon2*"), recursive=True)
                              if not p.startswith((self.a.prefix + "/run/", self.b.prefix + "/run/"))],
                             [], d)

    def test_argon2_cap_with_real_hashes(self):
        # A slow hash (SLOW_HASH: one slot per host): two logins on host A at once, one is
        # served and the other outwaits the gate (503); one on A and one on B at once are both
        # served.
        self.configure(**SLOW_HASH)
        self.a.run("authctl", "createuser", "slow@cluster.test", input=PASSWORD + "\n")

        def together(hosts):
            with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
                futs = [pool.submit(h.login, "slow@cluster.test") for h in hosts]
                return [f.result()[0].status for f in futs]
        start = time.monotonic()
        self.assertEqual(sorted(together([self.a, self.a])), [200, 503], self.server_logs())
        one = time.monotonic() - start
        self.assertEqual(together([self.a, self.b]), [200, 200], self.server_logs())
        self.assertEqual(together([self.b, self.b]).count(200), 1)
        print("\ncluster: two slow logins on one host %.1f s" % one, flush=True)


if __name__ == "__main__":
    unittest.main()
