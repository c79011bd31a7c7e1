"""CGI pipe tests of who may hold an address (API.md §7.1–§7.3): an abandoned registration gives
way to a new one, a recent one does not, and a deactivated account cannot switch itself back on
through an activation link (a deviation from the contract's 'any inactive account')."""
import datetime
import json
import re
import unittest

from harness import PASSWORD, Stack

A = "http://api.test"
EXISTS = {"error": "A user with that email address already exists"}
NO_INACTIVE = {"error": "A user with this e-mail address does not exist. If you registered with "
                        "this email, ensure you haven't activated it yet. You can check by logging in"}
INVALID_PREFIX = "http://front.test/auth/regenerate-token?reason="
LINK_RE = re.compile(re.escape(A) + r"/users/register/confirm/([A-Za-z0-9_-]{48})/([0-9a-z]+-[0-9a-f]{32})/")
EXPIRATION = 600


class AccountLifecycle(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(TOKEN_EXPIRATION=str(EXPIRATION))

    def tearDown(self):
        self.stack.stop()

    def register(self, email="taken@example.com", first="First"):
        body = {"email": email, "first_name": first, "last_name": "L", "password": PASSWORD}
        return self.stack.cgi("register", "POST", json.dumps(body))

    def rows(self, email="taken@example.com"):
        return self.stack.sql("SELECT id, first_name FROM users_user WHERE email = ?", (email,))

    def links(self, email="taken@example.com"):
        bodies = self.stack.sql("SELECT body_text FROM mail_outbox WHERE recipient = ?", (email,))
        return [LINK_RE.search(b).groups() for (b,) in bodies]

    def age(self, seconds, email="taken@example.com"):
        """Moves date_joined back by seconds (it is stored in UTC)."""
        (joined,), = self.stack.sql("SELECT date_joined FROM users_user WHERE email = ?", (email,))
        when = datetime.datetime.strptime(joined[:19], "%Y-%m-%d %H:%M:%S")
        when -= datetime.timedelta(seconds=seconds)
        self.stack.sql("UPDATE users_user SET date_joined = ? WHERE email = ?",
                       (when.strftime("%Y-%m-%d %H:%M:%S"), email))

    def confirm(self, uidb64, token):
        return self.stack.cgi("confirm-email", "GET", env={
            "PATH_INFO": "/%s/%s/" % (uidb64, token)})

    def test_abandoned_registration_is_replaced(self):
        self.assertEqual(self.register(first="Squatter").status, 201)
        (old_id, _), = self.rows()
        old_link, = self.links()
        self.age(EXPIRATION + 5)
        r = self.register(first="Owner")
        self.assertEqual(r.status, 201, r.raw)
        (new_id, first), = self.rows()
        self.assertNotEqual(new_id, old_id)
        self.assertEqual(first, "Owner")
        # nothing of the old registration is left: row, profile, queued mail
        self.assertEqual(self.stack.sql("SELECT count(*) FROM user_profile WHERE user_id = ?",
                                        (old_id,)), [(0,)])
        self.assertEqual(self.stack.sql("SELECT count(*) FROM user_profile WHERE user_id = ?",
                                        (new_id,)), [(1,)])
        self.assertEqual(len(self.links()), 1)
        self.assertNotEqual(self.links()[0], old_link)
        # the squatter's link leads to the invalid-link redirect and activates nobody
        r = self.confirm(*old_link)
        self.assertEqual(r.status, 302)
        self.assertTrue(r.header("Location").startswith(INVALID_PREFIX))
        self.assertEqual(self.stack.sql("SELECT is_active FROM users_user"), [(0,)])
        # the new owner's link works
        r = self.confirm(*self.links()[0])
        self.assertEqual(r.header("Location"), "http://front.test/auth/confirmed")

    def test_recent_registration_keeps_its_address(self):
        self.assertEqual(self.register(first="Early").status, 201)
        self.age(EXPIRATION - 30)
        r = self.register(first="Late")
        self.assertEqual((r.status, r.json), (400, EXISTS))
        (_, first), = self.rows()
        self.assertEqual(first, "Early")
        self.assertEqual(len(self.links()), 1)

    def test_deactivated_account_is_not_abandoned_nor_reactivated_by_mail(self):
        self.stack.create_user("taken@example.com")
        r, cookie = self.stack.login("taken@example.com")
        self.assertEqual(r.status, 200)
        self.stack.authctl("deactivate", "taken@example.com")
        self.age(EXPIRATION * 10)
        # an inactive account that has logged in is not an abandoned registration
        r = self.register(first="Thief")
        self.assertEqual((r.status, r.json), (400, EXISTS))
        # and its owner cannot switch it back on with a fresh activation link
        r = self.stack.cgi("regenerate-token", "POST", json.dumps({"email": "taken@example.com"}))
        self.assertEqual((r.status, r.json), (404, NO_INACTIVE))
        self.assertEqual(self.links(), [])
        self.assertEqual(self.stack.sql("SELECT is_active FROM users_user"), [(0,)])

    def test_pending_registration_still_gets_a_new_link(self):
        self.assertEqual(self.register().status, 201)
        r = self.stack.cgi("regenerate-token", "POST", json.dumps({"email": "taken@example.com"}))
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(len(self.links()), 2)
        r = self.confirm(*self.links()[1])
        self.assertEqual(r.header("Location"), "http://front.test/auth/confirmed")


if __name__ == "__main__":
    unittest.main()
