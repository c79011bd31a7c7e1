"""FastCGI mode (lib/fcgi.c, ep_main's loop): the programs started as FastCGI responders the way
a process manager starts them (a listening socket as fd 0), driven record by record.

The HTTP suite itself runs through lighttpd mod_fastcgi with AUTHCGI_SERVER=lighttpd-fastcgi
(tests/run); these tests check the protocol and the per-process behaviour directly."""
import json
import os
import signal
import socket
import struct
import subprocess
import time
import unittest

import fcgi_client as fc
from harness import BUILD, PASSWORD, SHARED_BUILD, LighttpdFastCGI, Stack, check_valgrind_target, wait_for

RUN = os.environ.get("AUTHCGI_SERVER") in (None, "lighttpd-fastcgi")
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
VALGRIND = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect"]


def params(method="GET", **extra):
    p = {"REQUEST_METHOD": method, "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "api.test",
         "REQUEST_URI": "/users/current-user/", "SERVER_PROTOCOL": "HTTP/1.1"}
    p.update(extra)
    return p


def login_params(body):
    return params("POST", CONTENT_LENGTH=str(len(body)), CONTENT_TYPE="application/json",
                  REQUEST_URI="/users/login/")


def login_body(email="john@example.com", password=PASSWORD):
    return json.dumps({"email": email, "password": password}).encode()


@unittest.skipUnless(RUN, "runs in the default and the lighttpd-fastcgi passes only")
class FastCGITest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack()
        cls.stack.create_user()
        cls.procs = {}

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs.values():
            p.stop()
        cls.stack.stop()

    def responder(self, name, wrapper=()):
        if name not in self.procs or self.procs[name].proc.poll() is not None:
            path = os.path.join(self.stack.dir, name + ".sock")
            self.procs[name] = fc.Responder(os.path.join(BUILD, "cgi-bin", name + ".cgi"), path,
                                            self.stack.env(), wrapper=wrapper)
        return self.procs[name]

    def login(self, **kw):
        body = login_body(**kw)
        a = self.responder("login").request(login_params(body), body)
        status, headers, out = fc.cgi_response(a.stdout)
        cookie = [v.split(";")[0] for n, v in headers if n == "Set-Cookie" and v.startswith("sessionid=")]
        return status, (cookie[0] if cookie else None), out

    def assert_alive(self, name):
        a = self.responder(name).request(params())
        self.assertIn(fc.cgi_response(a.stdout)[0], (401, 405))

    # ---- the protocol ----

    def test_get_values_announces_one_request_at_a_time(self):
        r = self.responder("current-user")
        with r.connect() as s:
            names = fc.pairs([("FCGI_MAX_CONNS", ""), ("FCGI_MAX_REQS", ""), ("FCGI_MPXS_CONNS", ""),
                              ("OTHER", "")])
            s.sendall(fc.record(fc.GET_VALUES, 0, names))
            rtype, rid, content = fc.Records(s).next()
        self.assertEqual((rtype, rid), (fc.GET_VALUES_RESULT, 0))
        self.assertEqual(fc.parse_pairs(content),
                         {"FCGI_MAX_CONNS": "1", "FCGI_MAX_REQS": "1", "FCGI_MPXS_CONNS": "0"})

    def test_unknown_management_type(self):
        with self.responder("current-user").connect() as s:
            s.sendall(fc.record(42, 0, b"abc"))
            rtype, rid, content = fc.Records(s).next()
        self.assertEqual((rtype, rid), (fc.UNKNOWN_TYPE, 0))
        self.assertEqual(content, bytes([42]) + b"\0" * 7)

    def test_other_roles_are_refused(self):
        with self.responder("current-user").connect() as s:
            s.sendall(fc.request_bytes(params(), role=fc.AUTHORIZER))
            recs = fc.Records(s)
            rtype, rid, content = recs.next()
            self.assertEqual((rtype, rid), (fc.END_REQUEST, 1))
            self.assertEqual(content[4], 3)  # FCGI_UNKNOWN_ROLE
            self.assertTrue(recs.closed())
        self.assert_alive("current-user")

    def test_an_answer_is_stdout_records_then_end_request(self):
        a = self.responder("current-user").request(params())
        self.assertEqual((a.app_status, a.protocol_status), (0, 0))
        status, headers, body = fc.cgi_response(a.stdout)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body), {"error": "You are not logged in. Kindly ensure you "
                                            "are logged in and try again"})
        self.assertIn(("Vary", "Cookie"), headers)
        self.assertEqual(a.stderr, b"")

    def test_head_has_no_body(self):
        a = self.responder("current-user").request(params("HEAD"))
        status, headers, body = fc.cgi_response(a.stdout)
        self.assertEqual(status, 401)
        self.assertEqual(body, b"")
        self.assertIn(("Content-Length", "80"), headers)

    def test_kept_connection_serves_requests_with_nothing_carried_over(self):
        status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        with self.responder("current-user").connect() as s:
            recs = fc.Records(s)
            expect = []
            for i in range(3):
                s.sendall(fc.request_bytes(params(HTTP_COOKIE=cookie), rid=i + 1, keep=True))
                expect.append(200)
                a = fc.read_answer(recs, rid=i + 1)
                self.assertEqual(fc.cgi_response(a.stdout)[0], 200)
                # The next request has no cookie: the user of the previous one must not leak.
                s.sendall(fc.request_bytes(params(), rid=100 + i, keep=True))
                a = fc.read_answer(recs, rid=100 + i)
                status, headers, body = fc.cgi_response(a.stdout)
                self.assertEqual(status, 401)
                self.assertNotIn(b"john@example.com", body)
        # Without FCGI_KEEP_CONN the responder closes after the answer.
        with self.responder("current-user").connect() as s:
            s.sendall(fc.request_bytes(params()))
            recs = fc.Records(s)
            fc.read_answer(recs)
            self.assertTrue(recs.closed())

    def test_a_second_request_on_the_connection_is_refused(self):
        with self.responder("current-user").connect() as s:
            begin = fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", fc.RESPONDER, 0))
            other = fc.record(fc.BEGIN_REQUEST, 2, struct.pack(">HB5x", fc.RESPONDER, 0))
            s.sendall(begin + other)
            recs = fc.Records(s)
            rtype, rid, content = recs.next()
            self.assertEqual((rtype, rid, content[4]), (fc.END_REQUEST, 2, 1))  # CANT_MPX_CONN
            s.sendall(fc.stream(fc.PARAMS, 1, fc.pairs(params().items())) + fc.stream(fc.STDIN, 1, b""))
            a = fc.read_answer(recs, rid=1)
            self.assertEqual(fc.cgi_response(a.stdout)[0], 401)

    def test_body_in_many_small_records(self):
        body = login_body()
        a = self.responder("login").request(login_params(body), body, stdin_chunk=3)
        status, headers, out = fc.cgi_response(a.stdout)
        self.assertEqual(status, 200, out)
        self.assertEqual(json.loads(out)["email"], "john@example.com")

    def test_body_shorter_than_content_length_is_400(self):
        body = login_body()
        p = login_params(body)
        p["CONTENT_LENGTH"] = str(len(body) + 10)
        a = self.responder("login").request(p, body)
        status, _, out = fc.cgi_response(a.stdout)
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(out), {"error": "Incomplete request body"})

    def test_aborted_request_gets_only_end_request(self):
        with self.responder("login").connect() as s:
            body = login_body()
            begin = fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", fc.RESPONDER, 0))
            s.sendall(begin + fc.stream(fc.PARAMS, 1, fc.pairs(login_params(body).items())) +
                      fc.record(fc.STDIN, 1, body[:5]) + fc.record(fc.ABORT_REQUEST, 1))
            a = fc.read_answer(fc.Records(s))
            self.assertEqual(a.stdout, b"")
            self.assertEqual(a.protocol_status, 0)
        self.assert_alive("login")

    def test_broken_or_oversized_input_closes_only_that_connection(self):
        r = self.responder("current-user")
        bad = [
            b"\x02" + b"\0" * 15,                                        # version 2
            fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
            fc.record(fc.STDIN, 1, b"x"),                                # body before params end
            fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
            fc.record(fc.PARAMS, 1, b"\x80\x00\x10\x00ab") + fc.record(fc.PARAMS, 1),  # overrun
            fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
            fc.record(fc.PARAMS, 1, fc.pairs([("A", "x\0y")])) + fc.record(fc.PARAMS, 1),  # NUL
            fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
            b"".join(fc.record(fc.PARAMS, 1, fc.pairs([("X%d" % i, "v" * 60000)])) for i in range(3)),
            fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) +
            fc.record(fc.PARAMS, 1, fc.pairs([("N%d" % i, "") for i in range(600)])) +
            fc.record(fc.PARAMS, 1),                                     # too many pairs
        ]
        for data in bad:
            with r.connect() as s:
                s.sendall(data)
                self.assertTrue(fc.Records(s).closed(), data[:40])
        self.assertIsNone(r.proc.poll())
        self.assert_alive("current-user")

    def test_a_stalled_client_does_not_block_the_process_forever(self):
        # A connection that sends half a header is dropped after FCGI_IO_TIMEOUT_MS; the others
        # queue meanwhile, so this only checks that the partial one ends and service resumes.
        r = self.responder("current-user")
        s = r.connect()
        s.sendall(fc.record(fc.BEGIN_REQUEST, 1, struct.pack(">HB5x", 1, 0)) + b"\x01\x04")
        start = time.monotonic()
        self.assertTrue(fc.Records(s).closed(timeout=15))
        self.assertLess(time.monotonic() - start, 14)
        s.close()
        self.assert_alive("current-user")

    # ---- one process, many requests ----

    def lazily_freed_blocks(self):
        """{start address: size in KiB} of the login responder's mappings with LazyFree pages."""
        blocks, start = {}, None
        with open("/proc/%d/smaps" % self.responder("login").proc.pid) as f:
            for line in f:
                head = line.split()[0]
                if "-" in head and not head.endswith(":"):
                    start = head.split("-")[0]
                elif head == "Size:":
                    size = int(line.split()[1])
                elif head == "LazyFree:" and int(line.split()[1]) > 0:
                    blocks[start] = size
        return blocks

    def test_a_responder_keeps_one_argon2_block_between_hashes(self):
        # lib/a2mem.c: a long-lived responder does not map, zero and unmap m KiB at every hash;
        # it keeps one block, lazily freed (MADV_FREE) so the kernel can take it back, and
        # hashes in it again.
        self.assertEqual(self.login()[0], 200)
        first = self.lazily_freed_blocks()
        self.assertEqual(len(first), 1, first)
        self.assertGreaterEqual(list(first.values())[0], 1024)  # ARGON2_MEMORY_KIB of the stack
        self.assertEqual(self.login(password="not the password")[0], 400)
        self.assertEqual(self.login()[0], 200)
        self.assertEqual(self.lazily_freed_blocks(), first)  # the same block, and only it

    def test_a_block_larger_than_the_configured_m_is_not_kept(self):
        # A stored hash with a larger m (set before ARGON2_MEMORY_KIB was lowered) is verified
        # in a block that is unmapped afterwards: only the configured m stays.
        self.stack.set(ARGON2_MEMORY_KIB="4096")
        self.stack.create_user("large-m@example.com")
        self.stack.set(ARGON2_MEMORY_KIB="1024")
        self.assertEqual(self.login()[0], 200)
        self.assertEqual(len(self.lazily_freed_blocks()), 1)
        self.assertEqual(self.login(email="large-m@example.com", password="wrong")[0], 400)
        self.assertEqual(self.lazily_freed_blocks(), {})
        self.assertEqual(self.login()[0], 200)
        self.assertEqual(len(self.lazily_freed_blocks()), 1)

    def test_connections_stay_open_across_requests(self):
        status, cookie, _ = self.login()
        r = self.responder("current-user")
        r.request(params(HTTP_COOKIE=cookie))

        def open_files():
            d = "/proc/%d/fd" % r.proc.pid
            return sorted(os.readlink(os.path.join(d, fd)) for fd in os.listdir(d))

        def without_connection():
            # The responder closes its end of a connection just after answering.
            first = open_files()
            time.sleep(0.05)
            return first if first == open_files() else None
        wait_for(without_connection, what="a steady set of open files")
        before = without_connection()
        if self.stack.engine == "postgres":
            # listener, Redis and at most one PostgreSQL connection
            self.assertIn(sum(t.startswith("socket:") for t in before), (2, 3))
        else:
            self.assertIn(self.stack.db_path, before)
            self.assertEqual(sum(t.startswith("socket:") for t in before), 2)  # listener, Redis
        for _ in range(20):
            a = r.request(params(HTTP_COOKIE=cookie))
            self.assertEqual(fc.cgi_response(a.stdout)[0], 200)
        # The same SQLite files and the same Redis socket (same inode): nothing re-opened.
        wait_for(lambda: open_files() == before, what="the same open files")

    def test_redis_restart_gives_one_503_then_reconnects(self):
        status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        self.stack.redis.stop()
        try:
            status, cookie, out = self.login()
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(out), UNAVAILABLE)
            self.assertIsNone(cookie)
        finally:
            self.stack.redis.start()
        status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        self.assertIsNotNone(cookie)

    def test_postgres_restart_gives_at_most_one_503_then_reconnects(self):
        if self.stack.engine != "postgres":
            self.skipTest("PostgreSQL only")
        status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        # restarted between two requests: the responder's connection is broken (API.md §10.1)
        self.stack.pg.stop(remove=False)
        self.stack.pg.restart()
        status, cookie, out = self.login()
        if status == 503:
            self.assertEqual(json.loads(out), UNAVAILABLE)
            self.assertIsNone(cookie)
            status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        # down while a request runs: 503, then back without restarting the responder
        pid = self.responder("login").proc.pid
        self.stack.pg.stop(remove=False)
        try:
            status, cookie, out = self.login()
            self.assertEqual((status, json.loads(out)), (503, UNAVAILABLE))
            self.assertIsNone(cookie)
        finally:
            self.stack.pg.restart()
        status, cookie, _ = self.login()
        self.assertEqual(status, 200)
        self.assertIsNotNone(cookie)
        self.assertEqual(self.responder("login").proc.pid, pid)

    def test_sighup_reloads_the_configuration(self):
        origin = "https://app.example.org"
        r = self.responder("current-user")
        a = r.request(params(HTTP_ORIGIN=origin))
        self.assertNotIn("Access-Control-Allow-Origin", dict(fc.cgi_response(a.stdout)[1]))
        try:
            self.stack.set(ALLOWED_ORIGINS=origin)
            a = r.request(params(HTTP_ORIGIN=origin))   # kept for the process lifetime ...
            self.assertNotIn("Access-Control-Allow-Origin", dict(fc.cgi_response(a.stdout)[1]))
            r.proc.send_signal(signal.SIGHUP)           # ... until SIGHUP

            def cors():
                a = r.request(params(HTTP_ORIGIN=origin))
                return dict(fc.cgi_response(a.stdout)[1]).get("Access-Control-Allow-Origin")
            wait_for(lambda: cors() == origin, what="the reloaded configuration")
        finally:
            del self.stack.config["ALLOWED_ORIGINS"]
            self.stack.write_config()
            r.proc.send_signal(signal.SIGHUP)

    def test_sigterm_stops_cleanly(self):
        path = os.path.join(self.stack.dir, "stop.sock")
        r = fc.Responder(os.path.join(BUILD, "cgi-bin", "current-user.cgi"), path, self.stack.env())
        self.assertEqual(fc.cgi_response(r.request(params()).stdout)[0], 401)
        start = time.monotonic()
        self.assertEqual(r.stop(), 0)
        self.assertLess(time.monotonic() - start, 5)

    def test_a_socket_stdin_that_is_connected_is_still_cgi(self):
        # mod_cgid gives a CGI a connected socket as stdin: that is not a FastCGI listener.
        a, b = socket.socketpair()
        env = self.stack.env({"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1"})
        out = subprocess.run([os.path.join(BUILD, "cgi-bin", "current-user.cgi")], stdin=a,
                             capture_output=True, env=env, timeout=30)
        a.close()
        b.close()
        self.assertEqual(out.returncode, 0)
        self.assertTrue(out.stdout.startswith(b"Status: 401 Unauthorized\r\n"), out.stdout[:80])

    def test_a_killed_process_is_replaced_and_nothing_else_fails(self):
        server = LighttpdFastCGI(self.stack).start()
        try:
            def backends():
                out = []
                for d in os.listdir("/proc"):
                    try:
                        with open("/proc/%s/stat" % d) as f:
                            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                        with open("/proc/%s/cmdline" % d, "rb") as f:
                            cmd = f.read()
                    except (OSError, ValueError, IndexError):
                        continue
                    if ppid == server.proc.pid and b"current-user.cgi" in cmd:
                        out.append(int(d))
                return sorted(out)
            status, cookie, _ = self.login()
            headers = {"Cookie": cookie}
            self.assertEqual(server.request("GET", "/users/current-user/", headers=headers).status, 200)
            before = backends()
            self.assertTrue(before)
            for pid in before:
                os.kill(pid, signal.SIGKILL)

            def dead(pid):
                try:
                    with open("/proc/%d/stat" % pid) as f:
                        return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
                except OSError:
                    return True
            # A request that reaches a process as it dies fails (only that one), and so may one
            # that comes after lighttpd reaped it but before it started the replacement: wait
            # for the deaths and for the replacements, so that every request below finds them.
            wait_for(lambda: all(dead(p) for p in before), what="the killed processes to die")
            wait_for(lambda: backends() and not set(backends()) & set(before),
                     what="lighttpd to start the replacements")
            for _ in range(5):
                self.assertEqual(server.request("GET", "/users/current-user/", headers=headers).status, 200)
                self.assertEqual(server.request("GET", "/users/login/").status, 405)
            after = backends()
            self.assertTrue(after)
            self.assertFalse(set(after) & set(before))
        finally:
            server.stop()

    def test_many_requests_under_valgrind_leak_nothing(self):
        path = os.path.join(self.stack.dir, "vg.sock")
        # build/postgres is dynamically linked already (libpq), and build/shared has no PostgreSQL.
        build = BUILD if self.stack.engine == "postgres" else SHARED_BUILD
        program = os.path.join(build, "cgi-bin", "current-user.cgi")
        check_valgrind_target(VALGRIND, program)
        cu = fc.Responder(program, path, self.stack.env(), wrapper=VALGRIND)
        try:
            status, cookie, _ = self.login()
            wait_for(lambda: os.path.exists(path), what="socket")
            for i in range(60):
                p = params(HTTP_COOKIE=cookie) if i % 3 else params("HEAD")
                if i % 7 == 0:
                    p = params(HTTP_COOKIE="sessionid=" + "0" * 64)
                if i % 11 == 0:
                    p = params("POST", HTTP_ORIGIN="https://evil.example")
                a = cu.request(p)
                self.assertIn(fc.cgi_response(a.stdout)[0], (200, 401, 403, 405))
        finally:
            code = cu.stop(timeout=120)
            err = cu.proc.stderr.read().decode("utf-8", "replace")
        self.assertEqual(code, 0, err[-4000:])


if __name__ == "__main__":
    unittest.main()
