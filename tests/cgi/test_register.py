"""CGI pipe tests of register, confirm-email and regenerate-token (API.md §5, §6.3, §7.1–§7.3)."""
import hashlib
import json
import os
import re
import threading
import time
import unittest

from harness import PASSWORD, SECRET, Stack
from tokens import b36, compute_token, now_ts, uidb64

TOK_EPOCH = 978307200
F = "http://front.test"
A = "http://api.test"
CONFIRMED = F + "/auth/confirmed"
INVALID = (F + "/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20token"
           "%20has%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token")
ALL_REQUIRED = {"error": "All fields are required: email, first_name, last_name, password"}
BAD_EMAIL = {"error": "Enter a valid email address."}
EXISTS = {"error": "A user with that email address already exists"}
TOO_MANY = {"error": "Too many requests. Please try again later"}
UNAVAILABLE = {"error": "Service temporarily unavailable. Please try again later"}
CREATED_BODY = (b'{"message":"Your account was created successfully. Check your email address to '
                b'activate your account as we just sent you an activation link. Ensure you '
                b'activate your account before the link expires"}')
EMPTY = {"error": "Email field is empty"}
NO_INACTIVE = {"error": "A user with this e-mail address does not exist. If you registered with "
                        "this email, ensure you haven't activated it yet. You can check by logging in"}
SENT = {"message": "Account activation link has been sent to your email address. Kindly take "
                   "action before its expiration"}
LINK_RE = re.compile(re.escape(A) + r"/users/register/confirm/([A-Za-z0-9_-]{48})/([0-9a-z]+-[0-9a-f]{32})/")


def make_token(row, ts, salt="auth.tokens.activation", secret=SECRET):
    """§5.3 from a users_user row dict (id with hyphens, password, last_login, email, is_active)."""
    return compute_token(salt, row["id"], row["password"], row["last_login"], row["email"],
                         row["is_active"], ts, secret)


def expiry_text(unix):
    return time.strftime("%A %B %d, %Y at %I:%M:%S %p UTC", time.gmtime(unix))


def hyphenate(h):
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


class Base(unittest.TestCase):
    config = {}

    def setUp(self):
        self.stack = Stack(**self.config)

    def tearDown(self):
        self.stack.stop()

    def register(self, email="john@example.com", first_name="John", last_name="Doe",
                 password=PASSWORD, env=None, **extra):
        body = {"email": email, "first_name": first_name, "last_name": last_name,
                "password": password}
        body.update(extra)
        return self.stack.cgi("register", "POST", json.dumps(body), env=env)

    def regenerate(self, email, env=None):
        return self.stack.cgi("regenerate-token", "POST", json.dumps({"email": email}), env=env)

    def confirm(self, path, method="GET", env=None):
        e = {"PATH_INFO": path}
        e.update(env or {})
        return self.stack.cgi("confirm-email", method, env=e)

    def user(self, email):
        rows = self.stack.sql("SELECT id, password, last_login, email, is_active, first_name, "
                              "last_name, is_staff, is_superuser, date_joined, thumbnail "
                              "FROM users_user WHERE email = ? COLLATE NOCASE", (email,))
        if not rows:
            return None
        keys = ("id", "password", "last_login", "email", "is_active", "first_name", "last_name",
                "is_staff", "is_superuser", "date_joined", "thumbnail")
        row = dict(zip(keys, rows[0]))
        row["id"] = hyphenate(row["id"])
        return row

    def counts(self):
        return tuple(self.stack.sql("SELECT count(*) FROM " + t)[0][0]
                     for t in ("users_user", "user_profile", "mail_outbox"))

    def outbox(self):
        return self.stack.sql("SELECT recipient, subject, body_text, body_html, created_at, "
                              "not_after FROM mail_outbox ORDER BY id")

    def link_of(self, text):
        m = LINK_RE.search(text)
        self.assertIsNotNone(m, text)
        return m.group(1), m.group(2)

    def assert_error(self, r, status, body):
        self.assertEqual((r.status, r.json), (status, body), r.stderr)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.all("Set-Cookie"), [])

    def assert_redirect(self, r, location):
        self.assertEqual(r.status, 302, r.raw[:300])
        self.assertEqual(r.header("Location"), location)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("Content-Length"), "0")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIsNone(r.header("Content-Type"))
        self.assertEqual(r.all("Set-Cookie"), [])


class RegisterTest(Base):
    def test_created_user_profile_and_activation_mail(self):
        before = now_ts()
        r = self.register(" John@EXAMPLE.com ", first_name="Zo\u00eb  ", last_name="",
                          env={"HTTP_COOKIE": "sessionid=" + "a" * 64})
        after = now_ts()
        self.assertEqual(r.status, 201, r.stderr)
        self.assertEqual(r.body, CREATED_BODY)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.all("Set-Cookie"), [])
        self.assertIsNone(r.header("Vary"))
        u = self.user("john@example.com")
        self.assertEqual(u["email"], "John@example.com")
        self.assertEqual((u["first_name"], u["last_name"]), ("Zo\u00eb  ", ""))
        self.assertEqual((u["is_active"], u["is_staff"], u["is_superuser"]), (0, 0, 0))
        self.assertIsNone(u["last_login"])
        self.assertIsNone(u["thumbnail"])
        self.assertRegex(u["password"], r"^argon2\$argon2id\$v=19\$m=1024,t=1,p=1\$"
                                        r"[A-Za-z0-9+/]{30}\$[A-Za-z0-9+/]{22}$")
        self.assertRegex(u["date_joined"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$")
        profile = self.stack.sql("SELECT id, phone_number, github_link, birth_date, user_id "
                                 "FROM user_profile")
        self.assertEqual(len(profile), 1)
        self.assertRegex(profile[0][0], "^[0-9a-f]{32}$")
        self.assertEqual(profile[0][1:], (None, None, None, u["id"].replace("-", "")))
        # the activation e-mail, queued in the same transaction
        (recipient, subject, text, html, created, not_after), = self.outbox()
        self.assertEqual((recipient, subject), ("John@example.com", "Please, verify your account"))
        uid64, token = self.link_of(text)
        self.assertEqual(uid64, uidb64(u["id"]))
        ts = int(token.split("-")[0], 36)
        self.assertTrue(before - 1 <= ts <= after + 1, (before, ts))  # C time(): coarse clock
        self.assertEqual(token, make_token(u, ts))
        link = "%s/users/register/confirm/%s/%s/" % (A, uid64, token)
        expiry = expiry_text(ts + TOK_EPOCH + 600)
        self.assertEqual(not_after, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts + TOK_EPOCH + 600)))
        for part in (text, html):
            self.assertIn("Kindly note that this link will expire in 10 minutes. The exact "
                          "expiration date and time is: %s." % expiry, part)
            self.assertIn("Tap the button below to verify your email address.", part)
        self.assertIn("\n" + link + "\n", text)
        self.assertIn('href="%s"' % link, html)
        # request counters: one per address, one per e-mail (§1.12)
        subject_hash = hashlib.sha256(b"john@example.com").hexdigest()
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:register-addr:127.0.0.1"), "1")
        self.assertEqual(self.stack.redis.cli("GET", "auth:rl:mail-email:" + subject_hash), "1")
        self.assertTrue(0 < int(self.stack.redis.cli("TTL", "auth:rl:register-addr:127.0.0.1")) <= 3600)
        self.assertNotIn(token, r.stderr)
        # the account cannot log in before activation, and can after
        r, _ = self.stack.login("john@example.com")
        self.assertEqual(r.status, 400)
        self.assert_redirect(self.confirm("/%s/%s/" % (uid64, token)), CONFIRMED)
        r, cookie = self.stack.login("john@example.com")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["first_name"], "Zo\u00eb  ")

    def test_step1_absent_fields(self):
        full = {"email": "john@example.com", "first_name": "J", "last_name": "D",
                "password": PASSWORD}
        for missing in ("email", "first_name", "last_name", "password"):
            for how in ("drop", "null"):
                body = dict(full)
                if how == "drop":
                    del body[missing]
                else:
                    body[missing] = None
                r = self.stack.cgi("register", "POST", json.dumps(body))
                self.assert_error(r, 400, ALL_REQUIRED)
        self.assert_error(self.stack.cgi("register", "POST", "{}"), 400, ALL_REQUIRED)
        # "" counts as present: the e-mail check answers next
        self.assert_error(self.register("", "", "", ""), 400, BAD_EMAIL)
        self.assertEqual(self.counts(), (0, 0, 0))
        self.assertEqual(self.stack.redis.keys("auth:*"), [])

    def test_step2_invalid_email(self):
        for email in ("john@example", "john.@example.com", '"john doe"@example.com',
                      "j\u00f6hn@example.com", "a" * 250 + "@x.com"):
            self.assert_error(self.register(email, first_name="x" * 151), 400, BAD_EMAIL)
        self.assertEqual(self.counts(), (0, 0, 0))

    def test_steps3_4_names_count_code_points(self):
        self.assert_error(self.register(first_name="\u00e9" * 151, last_name="x" * 151), 400,
                          {"error": "first_name must be at most 150 characters"})
        self.assert_error(self.register(last_name="\U0001F600" * 151, password="1"), 400,
                          {"error": "last_name must be at most 150 characters"})
        self.assertEqual(self.counts(), (0, 0, 0))
        r = self.register(first_name="\u00e9" * 150, last_name="\U0001F600" * 150)
        self.assertEqual(r.status, 201, r.body)
        u = self.user("john@example.com")
        self.assertEqual((u["first_name"], u["last_name"]), ("\u00e9" * 150, "\U0001F600" * 150))

    def test_step5_password_policy(self):
        cases = [
            ("x" * 4097, "This password is too long. It must not exceed 4096 bytes."),
            ("examplecom", "The password is too similar to the email."),
            ("jsmith@example.com", "The password is too similar to the email."),
            ("Ab1!xyz", "This password is too short. It must contain at least 8 characters."),
            ("Password1 ", "This password is too common."),
            ("90471385264", "This password is entirely numeric."),
        ]
        for password, reason in cases:
            r = self.register("  john.smith@EXAMPLE.com", password=password)
            self.assert_error(r, 400, {"error": reason})
        self.assertEqual(self.counts(), (0, 0, 0))
        self.assertEqual(self.stack.redis.keys("auth:*"), [])
        self.stack.set(PASSWORD_MIN_LENGTH="1")
        r = self.register(password="")
        self.assert_error(r, 400, {"error": "This password is too short. It must contain at least "
                                            "1 character."})
        r = self.register("john.smith@example.com", password="John.Smith1")
        self.assertEqual(r.status, 201, r.body)


class RegisterLimitTest(Base):
    config = {"RATE_LIMIT_REGISTER_ADDR": "2/3600", "RATE_LIMIT_MAIL_EMAIL": "3/1800"}

    def test_step6_register_addr(self):
        self.assertEqual(self.register("a@example.com").status, 201)
        self.assertEqual(self.register("b@example.com").status, 201)
        # validation and policy come before the limits and do not count
        self.assert_error(self.register("c@example.com", password="short"), 400,
                          {"error": "This password is too short. It must contain at least 8 "
                                    "characters."})
        r = self.register("c@example.com")
        self.assert_error(r, 429, TOO_MANY)
        self.assertTrue(3500 < int(r.header("Retry-After")) <= 3600)
        self.assertEqual(self.counts(), (2, 2, 2))
        self.assertIn("rate limit tripped", r.stderr)
        # another client address is not limited
        r = self.register("c@example.com", env={"REMOTE_ADDR": "192.0.2.7"})
        self.assertEqual(r.status, 201)

    def test_step6_mail_email_comes_before_step7(self):
        self.assertEqual(self.register("john@example.com").status, 201)
        for addr in ("192.0.2.1", "192.0.2.2"):
            r = self.register("JOHN@example.com", env={"REMOTE_ADDR": addr})
            self.assert_error(r, 400, EXISTS)
        r = self.register(" John@Example.COM", env={"REMOTE_ADDR": "192.0.2.3"})
        self.assert_error(r, 429, TOO_MANY)
        self.assertTrue(1700 < int(r.header("Retry-After")) <= 1800)
        # both counters trip: the largest remaining TTL is sent
        self.stack.redis.cli("SET", "auth:rl:register-addr:192.0.2.3", "5", "EX", "3000")
        r = self.register("john@example.com", env={"REMOTE_ADDR": "192.0.2.3"})
        self.assert_error(r, 429, TOO_MANY)
        self.assertTrue(2900 < int(r.header("Retry-After")) <= 3000)
        self.assertEqual(self.counts(), (1, 1, 1))

    def test_redis_down_is_503_after_validation(self):
        self.stack.redis.stop()
        self.assert_error(self.register("bad"), 400, BAD_EMAIL)
        r = self.register()
        self.assert_error(r, 503, UNAVAILABLE)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.counts(), (0, 0, 0))


class RegisterConflictTest(Base):
    def test_step7_existing_address_active_or_not(self):
        self.stack.create_user("John@Example.com")
        self.stack.create_user("inactive@example.com", active=False)
        for email in ("john@example.com", "JOHN@EXAMPLE.COM", "INACTIVE@example.com"):
            self.assert_error(self.register(email), 400, EXISTS)
        self.assertEqual(self.counts(), (2, 2, 0))

    def test_lost_race_is_decided_by_the_unique_index(self):
        # Another writer holds an uncommitted row with the same address in another case: the
        # CGI's existence check cannot see it, then its INSERT waits and hits users_user_email_ci.
        pg = self.stack.engine == "postgres"
        self.stack.set(SQLITE_BUSY_TIMEOUT_MS="30000")
        con = self.stack.connect()
        result = []
        try:
            if pg:      # the CGI's INSERT waits for this transaction (within its 5 s timeout)
                con.cursor().execute(
                    "INSERT INTO users_user (password, last_login, is_superuser, first_name, "
                    "last_name, is_staff, is_active, date_joined, id, email, thumbnail) VALUES "
                    "('!', NULL, false, '', '', false, true, '2024-01-01 00:00:00+00', %s, "
                    "'JOHN@example.com', NULL)", ("ab" * 16,))
            else:
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT INTO users_user (password, last_login, is_superuser, first_name, "
                            "last_name, is_staff, is_active, date_joined, id, email, thumbnail) VALUES "
                            "('!', NULL, 0, '', '', 0, 1, '2024-01-01 00:00:00', ?, "
                            "'JOHN@example.com', NULL)", ("ab" * 16,))
            t = threading.Thread(target=lambda: result.append(self.register("john@example.com")))
            t.start()
            deadline = time.monotonic() + 60
            while not self.stack.redis.keys("auth:rl:register-addr:*"):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            time.sleep(2)   # the existence check runs right after the counters
            con.commit() if pg else con.execute("COMMIT")
            t.join(120)
        finally:
            if pg:
                con.rollback()
            elif con.in_transaction:
                con.execute("ROLLBACK")
            con.close()
        r, = result
        self.assert_error(r, 400, EXISTS)
        # the INSERT, not the shortcut
        if pg:
            self.assertRegex(r.stderr, r"23505|duplicate key|unique")
        else:
            self.assertIn("UNIQUE constraint failed", r.stderr)
        self.assertEqual(self.counts(), (1, 0, 0))

    def test_database_busy_is_503_and_keeps_nothing(self):
        self.stack.set(SQLITE_BUSY_TIMEOUT_MS="200")
        with self.stack.write_lock():       # PostgreSQL: past its 5 s statement_timeout
            r = self.register()
            self.assert_error(r, 503, UNAVAILABLE)
            self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.counts(), (0, 0, 0))

    def test_request_shape(self):
        r = self.stack.cgi("register", "POST", json.dumps(
            {"email": "john@example.com", "first_name": 1, "last_name": "D", "password": True}))
        self.assert_error(r, 400, {"error": "The first_name field must be a string"})
        r = self.stack.cgi("register", "POST", json.dumps(
            {"email": "john@example.com", "first_name": "J", "last_name": ["D"], "password": 5}))
        self.assert_error(r, 400, {"error": "The last_name field must be a string"})
        r = self.register(Email="x")
        self.assert_error(r, 400, {"error": "Unknown field in request body"})
        r = self.stack.cgi("register", "POST", "{}", content_length=str(16 * 1024 + 1))
        self.assert_error(r, 413, {"error": "Request body too large"})
        r = self.stack.cgi("register", "GET")
        self.assert_error(r, 405, {"error": "Method not allowed"})
        self.assertEqual(r.header("Allow"), "POST, OPTIONS")
        self.assertEqual(self.counts(), (0, 0, 0))


class ConfirmTest(Base):
    def setUp(self):
        super().setUp()
        self.uid = self.stack.create_user("John@Example.com", active=False)
        self.row = self.user("john@example.com")

    def path(self, token, uid=None):
        return "/%s/%s/" % (uidb64(uid or self.uid), token)

    def active(self):
        return self.user("john@example.com")["is_active"]

    def test_valid_link_activates_once(self):
        token = make_token(self.row, now_ts())
        r = self.confirm(self.path(token))
        self.assert_redirect(r, CONFIRMED)
        self.assertEqual(self.active(), 1)
        self.assertIn("activation: user " + self.uid, r.stderr)
        self.assertNotIn(token, r.stderr)
        # the token died with the activation (§5.5)
        self.assert_redirect(self.confirm(self.path(token)), INVALID)
        # a token made for the new state is refused too: the account is active
        fresh = dict(self.row, is_active=1)
        self.assert_redirect(self.confirm(self.path(make_token(fresh, now_ts()))), INVALID)
        self.assertEqual(self.active(), 1)

    def test_head_has_the_same_effect_and_no_body(self):
        r = self.confirm(self.path(make_token(self.row, now_ts())).rstrip("/"), method="HEAD")
        self.assert_redirect(r, CONFIRMED)
        self.assertEqual(self.active(), 1)

    def test_expiry_boundaries(self):
        self.assert_redirect(self.confirm(self.path(make_token(self.row, now_ts() - 602))), INVALID)
        self.assertEqual(self.active(), 0)
        self.assert_redirect(self.confirm(self.path(make_token(self.row, now_ts() + 3600))),
                             CONFIRMED)

    def test_invalid_links(self):
        other = self.stack.create_user("other@example.com", active=False)
        other_row = self.user("other@example.com")
        ts = now_ts()
        good = make_token(self.row, ts)
        flipped = good[:-1] + ("0" if good[-1] != "0" else "1")
        bad_paths = [
            self.path(flipped),
            self.path(b36(ts - 1) + good[good.index("-"):]),
            self.path(make_token(other_row, ts)),                      # another user's token
            self.path(make_token(self.row, ts, "auth.tokens.password-reset")),
            self.path(make_token(self.row, ts, secret=SECRET + "x")),
            self.path(good, uid="3f1c2a4e-8b7d-4e2f-9a1b-0c2d3e4f5a6b"),  # no such user
            "/bm90LWEtdXVpZA/%s/" % good,                              # decodes to not-a-uuid
            "/%s/%s/" % (uidb64(self.uid.upper()), good),
            "/%s=/%s/" % (uidb64(self.uid)[:-1], good),
            "/%sA/%s/" % (uidb64(self.uid), good),                     # 49 characters
            self.path(good.upper()),
            self.path("0" + good),
            self.path(good + "0"),
            self.path(good.replace("-", "--")),
            self.path(good) + "extra/",
            "/%s/" % uidb64(self.uid),
            "/%s//%s/" % (uidb64(self.uid), good),
            "//", "/", "",
        ]
        for p in bad_paths:
            self.assert_redirect(self.confirm(p), INVALID)
        r = self.stack.cgi("confirm-email", "GET")            # no PATH_INFO at all
        self.assert_redirect(r, INVALID)
        self.assertEqual(self.active(), 0)
        self.assertEqual(self.user("other@example.com")["is_active"], 0)
        self.assertNotEqual(other, self.uid)

    def test_needs_neither_redis_nor_session_but_the_database(self):
        self.stack.redis.stop()
        token = make_token(self.row, now_ts())
        r = self.confirm(self.path(token), env={"HTTP_COOKIE": "sessionid=" + "b" * 64,
                                                "QUERY_STRING": "x=1"})
        self.assert_redirect(r, CONFIRMED)
        self.assertIsNone(r.header("Vary"))
        r = self.stack.cgi("confirm-email", "POST", env={"PATH_INFO": self.path(token)})
        self.assert_error(r, 405, {"error": "Method not allowed"})
        self.assertEqual(r.header("Allow"), "GET, HEAD, OPTIONS")

    def test_database_busy_or_gone_is_503(self):
        self.stack.set(SQLITE_BUSY_TIMEOUT_MS="200")
        token = make_token(self.row, now_ts())
        with self.stack.write_lock():
            r = self.confirm(self.path(token))
            self.assert_error(r, 503, UNAVAILABLE)
            self.assertEqual(r.header("Retry-After"), "5")
            self.assertIsNone(r.header("Location"))
        self.assertEqual(self.active(), 0)
        if self.stack.engine == "postgres":
            self.stack.set(DATABASE_URL=self.stack.unreachable_database_url())
        else:
            os.rename(self.stack.db_path, self.stack.db_path + ".away")
        r = self.confirm(self.path(token))
        self.assert_error(r, 503, UNAVAILABLE)
        # a malformed link is answered without the database
        self.assert_redirect(self.confirm("/bm90LWEtdXVpZA/%s/" % token), INVALID)


class RegenerateTest(Base):
    config = {"RATE_LIMIT_MAIL_ADDR": "4/3600", "RATE_LIMIT_MAIL_EMAIL": "3/3600"}

    def test_steps_1_2_4(self):
        self.assert_error(self.stack.cgi("regenerate-token", "POST", "{}"), 400, EMPTY)
        self.assert_error(self.regenerate(None), 400, EMPTY)
        self.assert_error(self.regenerate(""), 400, BAD_EMAIL)
        self.assert_error(self.regenerate("john@example"), 400, BAD_EMAIL)
        self.assertEqual(self.stack.redis.keys("auth:*"), [])
        self.stack.create_user("active@example.com")
        self.assert_error(self.regenerate("nobody@example.com"), 404, NO_INACTIVE)
        self.assert_error(self.regenerate("ACTIVE@example.com"), 404, NO_INACTIVE)
        self.assertEqual(self.counts(), (1, 1, 0))
        r = self.stack.cgi("regenerate-token", "POST", json.dumps({"email": 5}))
        self.assert_error(r, 400, {"error": "The email field must be a string"})
        r = self.stack.cgi("regenerate-token", "POST", "{}", content_length=str(4097))
        self.assert_error(r, 413, {"error": "Request body too large"})

    def test_step5_new_link_and_earlier_tokens_stay_valid(self):
        uid = self.stack.create_user("John@Example.com", active=False)
        row = self.user("john@example.com")
        earlier = make_token(row, now_ts() - 100)
        before = now_ts()
        r = self.regenerate("  JOHN@example.COM ")
        self.assertEqual((r.status, r.json), (200, SENT), r.stderr)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        (recipient, subject, text, html, _, not_after), = self.outbox()
        self.assertEqual((recipient, subject), ("John@example.com", "Please, verify your account"))
        uid64, token = self.link_of(text)
        self.assertEqual(uid64, uidb64(uid))
        ts = int(token.split("-")[0], 36)
        self.assertTrue(before - 1 <= ts <= now_ts(), (before, ts))  # C time(): coarse clock
        self.assertEqual(token, make_token(row, ts))
        self.assertIn(expiry_text(ts + TOK_EPOCH + 600), text)
        self.assertIn('href="%s/users/register/confirm/%s/%s/"' % (A, uid64, token), html)
        self.assertNotIn(token, r.stderr)
        self.assert_redirect(self.confirm("/%s/%s/" % (uid64, earlier)), CONFIRMED)
        self.assert_redirect(self.confirm("/%s/%s/" % (uid64, token)), INVALID)
        self.assert_error(self.regenerate("john@example.com"), 404, NO_INACTIVE)

    def test_step3_limits_before_step4(self):
        for i in range(4):
            self.assert_error(self.regenerate("n%d@example.com" % i), 404, NO_INACTIVE)
        r = self.regenerate("n9@example.com")
        self.assert_error(r, 429, TOO_MANY)
        self.assertTrue(3500 < int(r.header("Retry-After")) <= 3600)
        # mail-email is shared with register and counts whatever the address
        self.stack.create_user("john@example.com", active=False)
        self.assertEqual(self.register("john@example.com", env={"REMOTE_ADDR": "192.0.2.1"}).status, 400)
        self.assertEqual(self.regenerate("john@example.com", env={"REMOTE_ADDR": "192.0.2.2"}).status, 200)
        self.assertEqual(self.regenerate("John@example.com", env={"REMOTE_ADDR": "192.0.2.3"}).status, 200)
        r = self.regenerate("john@EXAMPLE.com", env={"REMOTE_ADDR": "192.0.2.4"})
        self.assert_error(r, 429, TOO_MANY)
        self.assertEqual(len(self.outbox()), 2)

    def test_redis_down_is_503(self):
        self.stack.create_user("john@example.com", active=False)
        self.stack.redis.stop()
        self.assert_error(self.regenerate("x"), 400, BAD_EMAIL)
        r = self.regenerate("john@example.com")
        self.assert_error(r, 503, UNAVAILABLE)
        self.assertEqual(r.header("Retry-After"), "5")
        self.assertEqual(self.outbox(), [])


if __name__ == "__main__":
    unittest.main()
