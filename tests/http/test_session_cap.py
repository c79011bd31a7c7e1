"""At most 64 live sessions per user, through a real web server (API.md §4.6): the login that
would create the 65th first ends the user's oldest session; login removes stale index fields."""
import hashlib
import unittest

from harness import PASSWORD, Stack, web_server

CAP = 64
DELETE_LINE = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax'
NOT_LOGGED_IN = {"error": "You are not logged in. Kindly ensure you are logged in and try again"}


def h(token):
    return hashlib.sha256(token.encode()).hexdigest()


class SessionCapTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.uid = self.stack.create_user("john@example.com")
        self.server = web_server(self.stack).start()

    def tearDown(self):
        self.server.stop()
        self.stack.stop()

    def login(self):
        r = self.server.request("POST", "/users/login/",
                                {"email": "john@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        return r.cookie("sessionid")

    def current_user(self, token):
        return self.server.request("GET", "/users/current-user/",
                                   headers={"Cookie": "sessionid=" + token})

    def live(self):
        return self.stack.redis.keys("auth:sess:*")

    def test_the_65th_login_ends_the_oldest_session(self):
        tokens = [self.login() for _ in range(CAP + 1)]
        self.assertEqual(len(set(tokens)), CAP + 1)
        self.assertEqual(len(self.live()), CAP)
        self.assertEqual(int(self.stack.redis.cli("HLEN", "auth:user:" + self.uid)), CAP)
        self.assertNotIn("auth:sess:" + h(tokens[0]), self.live())
        r = self.current_user(tokens[0])
        self.assertEqual((r.status, r.json), (401, NOT_LOGGED_IN))
        self.assertEqual(r.all("Set-Cookie"), [DELETE_LINE])
        for token in (tokens[1], tokens[-1]):
            self.assertEqual(self.current_user(token).status, 200)
        r = self.server.request("GET", "/users/sessions/",
                                headers={"Cookie": "sessionid=" + tokens[-1]})
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json["sessions"]), CAP)
        # The next login ends the next oldest, and only that one.
        self.login()
        self.assertEqual(len(self.live()), CAP)
        self.assertEqual(self.current_user(tokens[1]).status, 401)
        self.assertEqual(self.current_user(tokens[2]).status, 200)

    def test_oldest_is_the_smallest_created(self):
        tokens = [self.login() for _ in range(CAP)]
        # Make the 10th the oldest by its created time, not by its order in the index.
        self.stack.redis.cli("HSET", "auth:sess:" + h(tokens[9]), "created", "1000")
        self.login()
        self.assertEqual(self.current_user(tokens[9]).status, 401)
        self.assertEqual(self.current_user(tokens[0]).status, 200)
        self.assertEqual(len(self.live()), CAP)

    def test_login_removes_stale_index_fields(self):
        first = self.login()
        for i in range(CAP):
            # index fields whose auth:sess: key has expired: they do not count against the cap
            self.stack.redis.cli("HSET", "auth:user:" + self.uid, "%032x" % i, "%064x" % i)
        self.login()
        self.assertEqual(int(self.stack.redis.cli("HLEN", "auth:user:" + self.uid)), 2)
        self.assertEqual(self.current_user(first).status, 200)


if __name__ == "__main__":
    unittest.main()
