"""CGI pipe tests: a hash upgrade at login never revives a session of an earlier password
(API.md §2.7, §4.5 step 3, §4.6)."""
import base64
import hashlib
import hmac
import unittest

from harness import PASSWORD, SECRET, Stack

DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
NEW_PASSWORD = "a password set by other software"


def fingerprint(password_column):
    key = hashlib.sha256(b"auth.session.password" + SECRET.encode()).digest()
    return hmac.new(key, password_column.encode(), hashlib.sha256).hexdigest()


def django_pbkdf2(password, salt="saltsaltsaltsaltsalt22", iterations=1000):
    """What Django's default hasher writes (few iterations, so valgrind stays quick)."""
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(dk).decode())


def h(token):
    return hashlib.sha256(token.encode()).hexdigest()


class UpgradeNeverRevivesTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user("john@example.com")

    def tearDown(self):
        self.stack.stop()

    def column(self):
        (pw,), = self.stack.sql("SELECT password FROM users_user WHERE email = ?",
                                ("john@example.com",))
        return pw

    def login(self, password):
        r, token = self.stack.login("john@example.com", password)
        self.assertEqual(r.status, 200, r.body)
        self.last_log = r.stderr
        return token

    def current_user(self, token):
        return self.stack.cgi("current-user", "GET", env={"HTTP_COOKIE": "sessionid=" + token})

    def assert_dead_but_stored(self, token):
        """The session is still in Redis, unused, and dead by §4.5 step 3 (its fingerprint is not
        the current column's). Asking current-user would delete it, which hides the bug."""
        pwd = self.stack.redis.cli("HGET", "auth:sess:" + h(token), "pwd")
        self.assertRegex(pwd, "^[0-9a-f]{64}$")
        self.assertNotEqual(pwd, fingerprint(self.column()))

    def assert_stale(self, token):
        r = self.current_user(token)
        self.assertEqual(r.status, 401, r.body)
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        self.assertEqual(self.stack.redis.cli("EXISTS", "auth:sess:" + h(token)), "0")

    def test_django_pbkdf2_set_elsewhere_then_upgraded(self):
        attacker = self.login(PASSWORD)                       # S1, of the old password
        # The owner resets the password in the Django admin: Django's PBKDF2 always needs an upgrade.
        self.stack.sql("UPDATE users_user SET password = ?", (django_pbkdf2(NEW_PASSWORD),))
        self.assert_dead_but_stored(attacker)
        owner = self.login(NEW_PASSWORD)                      # the upgrade happens here
        self.assertTrue(self.column().startswith("argon2$argon2id$v=19$m=1024,t=1,p=1$"))
        self.assert_stale(attacker)
        self.assertEqual(self.current_user(owner).status, 200)
        self.assertEqual(self.stack.redis.keys("auth:sess:*"), ["auth:sess:" + h(owner)])
        (field,) = self.stack.redis.cli("HKEYS", "auth:user:" + self.uid).split("\n")
        self.assertEqual(self.stack.redis.cli("HGET", "auth:user:" + self.uid, field), h(owner))

    def test_argon2_parameters_changed(self):
        attacker = self.login(PASSWORD)                       # S1, of the old password
        # Other software sets a new password with the current parameters (a real hash of
        # NEW_PASSWORD, made by authctl for another user).
        self.stack.create_user("other@example.com", password=NEW_PASSWORD)
        (other,), = self.stack.sql("SELECT password FROM users_user WHERE email = ?",
                                   ("other@example.com",))
        self.stack.sql("UPDATE users_user SET password = ? WHERE email = ?",
                       (other, "john@example.com"))
        before = self.login(NEW_PASSWORD)                     # S2: no upgrade needed yet
        self.assertEqual(self.column(), other)
        self.assert_dead_but_stored(attacker)
        # The operator raises ARGON2_MEMORY_KIB: the next login upgrades the verified hash.
        self.stack.set(ARGON2_MEMORY_KIB="2048")
        after = self.login(NEW_PASSWORD)
        self.assertTrue(self.column().startswith("argon2$argon2id$v=19$m=2048,t=1,p=1$"))
        self.assert_stale(attacker)
        self.assertIn("1 session(s) of an earlier password ended", self.last_log)
        # The session made with the hash just verified follows the upgrade; so does the new one.
        self.assertEqual(self.current_user(before).status, 200)
        self.assertEqual(self.current_user(after).status, 200)
        fp = fingerprint(self.column())
        for token in (before, after):
            self.assertEqual(self.stack.redis.cli("HGET", "auth:sess:" + h(token), "pwd"), fp)
        self.assertEqual(sorted(self.stack.redis.keys("auth:sess:*")),
                         sorted("auth:sess:" + h(t) for t in (before, after)))


if __name__ == "__main__":
    unittest.main()
