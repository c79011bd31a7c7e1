"""CGI pipe tests: the per-address limits hold for every X-Forwarded-For form of API.md §1.11.

The register program runs behind a trusted proxy (REMOTE_ADDR 10.0.0.1 in TRUSTED_PROXIES).
Before §1.11 was amended, an entry such as "198.51.100.7:5678" made the client unknown and the
register-addr and login-addr limits were skipped.
"""
import json
import unittest

from harness import PASSWORD, Stack

PROXY = {"REMOTE_ADDR": "10.0.0.1"}
TOO_MANY = {"error": "Too many requests. Please try again later"}

# (X-Forwarded-For values sent one after the other by the same client, its rate-limit subject)
FORMS = [
    (["198.51.100.7:5678", "198.51.100.7:5679", "198.51.100.7:5680"], "198.51.100.7"),
    (["[2001:db8:1:2::7]:443", "[2001:db8:1:2::8]:443", "2001:db8:1:2::9"], "2001:db8:1:2::/64"),
    (["[2001:db8:5::1]", "[2001:db8:5::1]", "[2001:db8:5::1]"], "2001:db8:5::/64"),
    (["fe80::1%eth0", "fe80::2%eth1", "[fe80::3%25]:80"], "fe80::/64"),
    ([" 198.51.100.9 , 10.9.9.9", "\t198.51.100.9:1,10.9.9.9 ", "198.51.100.9 "], "198.51.100.9"),
    # not an address: the walk ends at the last trusted hop, never "unknown"
    (["unknown", "198.51.100.1, bogus", "2001:db8::1]"], "10.0.0.1"),
]


class ForwardedLimitTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(TRUSTED_PROXIES="10.0.0.0/8", RATE_LIMIT_REGISTER_ADDR="2/3600",
                           RATE_LIMIT_LOGIN_ADDR="2/900", RATE_LIMIT_LOGIN_ACCOUNT="100/900")
        self.n = 0

    def tearDown(self):
        self.stack.stop()

    def register(self, xff):
        self.n += 1
        body = {"email": "user%d@example.com" % self.n, "first_name": "A", "last_name": "B",
                "password": PASSWORD}
        return self.stack.cgi("register", "POST", json.dumps(body),
                              env=dict(PROXY, HTTP_X_FORWARDED_FOR=xff))

    def test_register_addr_applies_to_each_form(self):
        for values, subject in FORMS:
            self.stack.redis.cli("FLUSHALL")
            with self.subTest(values=values):
                responses = [self.register(v) for v in values]
                self.assertEqual([r.status for r in responses], [201, 201, 429])
                self.assertEqual(responses[2].json, TOO_MANY)
                keys = self.stack.redis.keys("auth:rl:register-addr:*")
                self.assertEqual(keys, ["auth:rl:register-addr:" + subject])

    def test_login_addr_applies_with_a_port(self):
        self.stack.create_user("john@example.com")
        codes = []
        for port in (1, 2, 3):
            r, _ = self.stack.login(password="a wrong password",
                                    env=dict(PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5:%d" % port))
            codes.append(r.status)
        self.assertEqual(codes, [400, 400, 429])
        self.assertEqual(self.stack.redis.keys("auth:rl:login-addr:*"), ["auth:rl:login-addr:203.0.113.5"])

    def test_last_trusted_hop_is_the_subject(self):
        statuses = [self.register(v).status for v in ("bogus, 10.9.9.9:1", "[::1, 10.9.9.9", "x,10.9.9.9")]
        self.assertEqual(statuses, [201, 201, 429])
        self.assertEqual(self.stack.redis.keys("auth:rl:register-addr:*"), ["auth:rl:register-addr:10.9.9.9"])

    def test_only_trusted_entries_stay_unknown(self):
        for xff in ("10.2.2.2", "10.2.2.2:80, 10.3.3.3"):
            for _ in range(3):
                self.assertEqual(self.register(xff).status, 201)
        self.assertEqual(self.stack.redis.keys("auth:rl:register-addr:*"), [])


if __name__ == "__main__":
    unittest.main()
