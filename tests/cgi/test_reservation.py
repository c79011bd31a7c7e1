"""CGI pipe tests of how a reserved login attempt is settled (API.md §1.12 steps 2-4, §1.13):
an answer without a verdict gives both reservations back, a 429 holds none, and a Redis failure
after the verdict is a 503 without a cookie."""
import hashlib
import json
import unittest

import argon2slot
from harness import PASSWORD, Stack

EMAIL = "john@example.com"
ACCOUNT = "auth:rl:login-account:" + hashlib.sha256(EMAIL.encode()).hexdigest()
ADDR = "auth:rl:login-addr:127.0.0.1"
NEW_PASSWORD = "a brand new passphrase 42"


class SettleTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(ARGON2_MAX_CONCURRENT="1")
        self.uid = self.stack.create_user(EMAIL)
        self.held = []

    def tearDown(self):
        for slot in self.held:
            slot.release()
        argon2slot.remove(self.stack.argon2_slot_prefix)
        self.stack.stop()

    def hold_argon2(self):
        """Takes the only Argon2 slot, as another process hashing right now would."""
        self.held.append(argon2slot.Slot(self.stack.argon2_slot_prefix, 1))

    def counters(self, account, addr):
        self.stack.redis.cli("SET", ACCOUNT, str(account), "EX", "800")
        self.stack.redis.cli("SET", ADDR, str(addr), "EX", "700")

    def assert_counters(self, account, addr):
        self.assertEqual(self.stack.redis.cli("GET", ACCOUNT), account)
        self.assertEqual(self.stack.redis.cli("GET", ADDR), addr)

    def test_login_without_a_verdict_gives_both_back(self):
        self.counters(3, 7)
        self.hold_argon2()
        r, token = self.stack.login(EMAIL, "wrong password")
        self.assertEqual(r.status, 503, r.body)
        self.assertIsNone(token)
        self.assert_counters("3", "7")
        self.assertTrue(0 < int(self.stack.redis.cli("TTL", ACCOUNT)) <= 800)
        # From nothing, nothing is left behind.
        self.stack.redis.cli("DEL", ACCOUNT, ADDR)
        r, _ = self.stack.login(EMAIL, PASSWORD)
        self.assertEqual(r.status, 503)
        self.assertEqual(self.stack.redis.keys("auth:rl:*"), [])

    def test_password_change_without_a_verdict_gives_both_back(self):
        r, token = self.stack.login(EMAIL, PASSWORD)
        self.counters(2, 4)
        self.hold_argon2()
        r = self.stack.cgi("password-change", "POST",
                           json.dumps({"current_password": "wrong", "new_password": NEW_PASSWORD}),
                           env={"HTTP_COOKIE": "sessionid=" + token})
        self.assertEqual(r.status, 503, r.body)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assert_counters("2", "4")

    def test_a_429_holds_nothing(self):
        self.counters(5, 2)
        r, _ = self.stack.login(EMAIL, PASSWORD)
        self.assertEqual(r.status, 429)
        self.assert_counters("5", "2")

    def test_failure_keeps_success_gives_back(self):
        self.counters(1, 1)
        r, _ = self.stack.login(EMAIL, "wrong password")
        self.assertEqual(r.status, 400)
        self.assert_counters("2", "2")
        r, _ = self.stack.login(EMAIL, PASSWORD)
        self.assertEqual(r.status, 200)
        self.assertEqual(self.stack.redis.cli("EXISTS", ACCOUNT), "0")
        self.assertEqual(self.stack.redis.cli("GET", ADDR), "2")

    def test_redis_failing_after_the_verdict_is_503_without_cookie(self):
        # The user's session index is not a hash: creating the session fails in Redis.
        self.stack.redis.cli("SET", "auth:user:" + self.uid, "not a hash")
        self.counters(1, 1)
        r, token = self.stack.login(EMAIL, PASSWORD)
        self.assertEqual(r.status, 503, r.body)
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIsNone(token)
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), [])
        # The password was right: login-account is cleared and login-addr given back.
        self.assertEqual(self.stack.redis.cli("EXISTS", ACCOUNT), "0")
        self.assertEqual(self.stack.redis.cli("GET", ADDR), "1")


if __name__ == "__main__":
    unittest.main()
