"""Login failure counters under parallel attempts, through a real web server (API.md §1.12, §7.4,
§7.12): N requests are held one byte short of complete, then released together. Only attempts
that reserved a place in both failure counters may reach a password check, so at most COUNT
answers are a wrong-password 400 and the rest are 429, whatever the timing."""
import hashlib
import json
import re
import socket
import time
import unittest

from harness import PASSWORD, Stack, web_server

COUNT = 5
N = 100
NO_MATCH = {"error": "Email and password do not match"}
WRONG_CURRENT = {"error": "Your current password is incorrect"}
TOO_MANY = {"error": "Too many failed login attempts. Please try again later"}
NEW_PASSWORD = "a brand new passphrase 42"


def subject(email):
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class ParallelFailureCountersTest(unittest.TestCase):
    def setUp(self):
        # Argon2 small but real (4 MiB, 2 passes): a check takes milliseconds, so without the
        # reservation many parallel attempts get past the counters before the first failure.
        self.stack = Stack(ARGON2_MEMORY_KIB="4096", ARGON2_TIME_COST="2",
                           RATE_LIMIT_LOGIN_ACCOUNT="%d/900" % COUNT,
                           RATE_LIMIT_LOGIN_ADDR="1000/900")
        self.uid = self.stack.create_user("john@example.com")
        self.server = None

    def tearDown(self):
        if self.server:
            self.server.stop()
        self.stack.stop()

    def start(self):
        self.server = web_server(self.stack).start()

    def raw(self, path, body, cookie=None):
        data = json.dumps(body).encode()
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\nConnection: close\r\n" % (path, self.server.port, len(data)))
        if cookie:
            head += "Cookie: sessionid=%s\r\n" % cookie
        return head.encode() + b"\r\n" + data

    def release_together(self, requests):
        """Sends every request but its last byte, waits, then sends all the last bytes at once.
        Returns [(status, json body)] in request order."""
        socks = []
        try:
            for req in requests:
                s = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
                s.sendall(req[:-1])
                socks.append(s)
            time.sleep(1.0)   # every request is read up to its last byte and waits
            for s, req in zip(socks, requests):
                s.send(req[-1:])
            answers = []
            for s in socks:
                chunks = []
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    chunks.append(b)
                raw = b"".join(chunks)
                head, _, body = raw.partition(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                if b"Transfer-Encoding: chunked" in head:
                    body = dechunk(body)
                answers.append((status, json.loads(body.decode())))
            return answers
        finally:
            for s in socks:
                s.close()

    def checked_in_log(self):
        return len(re.findall(r"login failed: ", self.server.log()))

    def assert_at_most_count_checked(self, answers, wrong, key):
        statuses = [a[0] for a in answers]
        checked = [a for a in answers if a[0] == 400]
        print("\n  %s: %d of %d attempts reached a password check (limit %d); answers %s"
              % (self._testMethodName, len(checked), len(answers), COUNT,
                 {s: statuses.count(s) for s in sorted(set(statuses))}), flush=True)
        self.assertEqual(set(statuses) - {400, 429}, set(), answers)
        self.assertTrue(all(a[1] == wrong for a in checked), checked)
        self.assertTrue(all(a[1] == TOO_MANY for a in answers if a[0] == 429))
        self.assertGreaterEqual(len(checked), 1)
        self.assertLessEqual(len(checked), COUNT)
        self.assertLessEqual(self.checked_in_log(), COUNT)
        # Each failure kept its reservation; the 429s hold none.
        self.assertEqual(self.stack.redis.cli("GET", key), str(len(checked)))

    def test_login_account_counter_one_email(self):
        self.start()
        reqs = [self.raw("/users/login/", {"email": "john@example.com", "password": "wrong %d" % i})
                for i in range(N)]
        answers = self.release_together(reqs)
        self.assert_at_most_count_checked(answers, NO_MATCH,
                                          "auth:rl:login-account:" + subject("john@example.com"))
        # The right password is refused too now: the account is at its limit.
        r = self.server.request("POST", "/users/login/",
                                {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual((r.status, r.json), (429, TOO_MANY))

    def test_login_addr_counter_many_emails(self):
        self.stack.set(RATE_LIMIT_LOGIN_ACCOUNT="1000/900", RATE_LIMIT_LOGIN_ADDR="%d/900" % COUNT)
        self.start()
        reqs = [self.raw("/users/login/", {"email": "user%d@example.com" % i, "password": "wrong"})
                for i in range(N)]
        answers = self.release_together(reqs)
        self.assert_at_most_count_checked(answers, NO_MATCH, "auth:rl:login-addr:127.0.0.1")

    def test_password_change_current_password_with_one_session(self):
        self.start()
        r = self.server.request("POST", "/users/login/",
                                {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        cookie = r.cookie("sessionid")
        reqs = [self.raw("/users/password-change/",
                         {"current_password": "guess %d" % i, "new_password": NEW_PASSWORD}, cookie)
                for i in range(N)]
        answers = self.release_together(reqs)
        self.assert_at_most_count_checked(answers, WRONG_CURRENT,
                                          "auth:rl:login-account:" + subject("john@example.com"))
        (pw,), = self.stack.sql("SELECT password FROM users_user")
        self.assertTrue(pw.startswith("argon2$argon2id$v=19$m=4096,t=2,p=1$"), pw)


def dechunk(body):
    out = b""
    while body:
        size, _, rest = body.partition(b"\r\n")
        n = int(size.split(b";")[0], 16)
        if n == 0:
            break
        out += rest[:n]
        body = rest[n + 2:]
    return out


if __name__ == "__main__":
    unittest.main()
