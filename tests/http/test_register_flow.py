"""Registration journeys through a real web server, a real SMTP sink and bin/mailer (API.md §6, §7.1–§7.3).

register -> the activation e-mail arrives over SMTP -> its link, followed on the server,
activates the account -> login works; invalid links; concurrent registrations of one address.
"""
import json
import threading
import time
import unittest
import urllib.parse

from harness import PASSWORD, Stack, web_server
from smtpsink import SmtpSink
from tokens import compute_token, now_ts, uidb64

TOK_EPOCH = 978307200
F = "http://front.test"
A = "http://api.test"
FROM = "Auth <no-reply@example.com>"
CONFIRMED = F + "/auth/confirmed"
INVALID = (F + "/auth/regenerate-token?reason=It%20appears%20that%20your%20confirmation%20token"
           "%20has%20expired%20or%20previously%20used.%20Kindly%20generate%20a%20new%20token")
CREATED = {"message": "Your account was created successfully. Check your email address to activate "
                      "your account as we just sent you an activation link. Ensure you activate "
                      "your account before the link expires"}
EXISTS = {"error": "A user with that email address already exists"}
SENT = {"message": "Account activation link has been sent to your email address. Kindly take "
                   "action before its expiration"}


def make_token(uid, password, email_addr, ts, active=False, salt="auth.tokens.activation"):
    """§5.3 for an account that never logged in."""
    return compute_token(salt, uid, password, None, email_addr, active, ts)


class RegisterFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink()
        # Argon2 a little slower than the harness default, so that concurrent registrations
        # really overlap between the existence check and the INSERT.
        cls.stack = Stack(**cls.sink.config(),
                          DEFAULT_FROM_EMAIL=FROM, ARGON2_MEMORY_KIB="8192", ARGON2_TIME_COST="2",
                          RATE_LIMIT_REGISTER_ADDR="1000/3600", RATE_LIMIT_MAIL_EMAIL="1000/3600")
        cls.server = web_server(cls.stack).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.sink.stop()
        cls.stack.stop()

    def post(self, path, body):
        return self.server.request("POST", path, json.dumps(body),
                                   headers={"Content-Type": "application/json"})

    def register(self, addr, password=PASSWORD):
        return self.post("/users/register/", {"email": addr, "first_name": "John",
                                              "last_name": "Doe", "password": password})

    def deliver(self):
        """Runs bin/mailer --once and returns the (message, envelope) pairs the sink received."""
        return self.sink.deliver(self.stack)

    def activation_link(self, msg, envelope, recipient):
        """Checks the message of §6.2/§6.3 and returns the link path and its token."""
        self.assertEqual(envelope["rcpt_tos"], [recipient])
        self.assertEqual(msg["To"], recipient)
        self.assertEqual(msg["From"], FROM)
        self.assertEqual(msg["Subject"], "Please, verify your account")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        text, html = (p.get_content() for p in parts)
        prefix = A + "/users/register/confirm/"
        lines = [l for l in text.splitlines() if l.startswith(prefix)]
        self.assertEqual(len(lines), 2, text)
        self.assertEqual(lines[0], lines[1])
        link = lines[0]
        self.assertIn('href="%s"' % link, html)
        self.assertIn(">%s</a>" % link, html)
        uid64, token = link[len(prefix):].rstrip("/").split("/")
        ts = int(token.split("-")[0], 36)
        expiry = time.strftime("%A %B %d, %Y at %I:%M:%S %p UTC",
                               time.gmtime(ts + TOK_EPOCH + 600))
        for part in (text, html):
            self.assertIn("Kindly note that this link will expire in 10 minutes. The exact "
                          "expiration date and time is: %s." % expiry, part)
        return urllib.parse.urlsplit(link).path, uid64, token

    def user_row(self, addr):
        (hexid, password, stored, active), = self.stack.sql(
            "SELECT id, password, email, is_active FROM users_user WHERE email = ? COLLATE NOCASE",
            (addr,))
        uid = "%s-%s-%s-%s-%s" % (hexid[:8], hexid[8:12], hexid[12:16], hexid[16:20], hexid[20:])
        return uid, password, stored, active

    def assert_redirect(self, r, location):
        self.assertEqual(r.status, 302)
        self.assertEqual(r.header("Location"), location)
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(r.body, b"")

    def test_register_mail_link_confirm_login(self):
        before = now_ts()
        r = self.register(" Journey@EXAMPLE.com ")
        self.assertEqual((r.status, r.json), (201, CREATED))
        self.assertEqual(r.all("Set-Cookie"), [])
        r = self.post("/users/login/", {"email": "journey@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 400)
        (msg, envelope), = self.deliver()
        path, uid64, token = self.activation_link(msg, envelope, "Journey@example.com")
        uid, password, stored, active = self.user_row("journey@example.com")
        self.assertEqual(active, 0)
        self.assertEqual(uid64, uidb64(uid))
        ts = int(token.split("-")[0], 36)
        self.assertTrue(before - 1 <= ts <= now_ts(), (before, ts))  # C time(): coarse clock
        self.assertEqual(token, make_token(uid, password, stored, ts))
        self.assert_redirect(self.server.request("GET", path), CONFIRMED)
        self.assertEqual(self.user_row("journey@example.com")[3], 1)
        r = self.post("/users/login/", {"email": "JOURNEY@example.com", "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json["email"], r.json["is_active"]), ("Journey@example.com", True))
        self.assertEqual(len(r.all("Set-Cookie")), 2)
        # the link is dead once used, and no new mail may be asked for an active account
        self.assert_redirect(self.server.request("GET", path), INVALID)
        r = self.post("/users/regenerate-token/", {"email": "journey@example.com"})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.deliver(), [])
        self.assertNotIn(token, self.server.log())

    def test_regenerated_link_over_the_cgi_bin_route(self):
        self.assertEqual(self.register("again@example.com").status, 201)
        r = self.post("/users/regenerate-token/", {"email": "AGAIN@example.com"})
        self.assertEqual((r.status, r.json), (200, SENT))
        msgs = self.deliver()
        self.assertEqual(len(msgs), 2)
        links = [self.activation_link(m, e, "again@example.com") for m, e in msgs]
        path, uid64, token = links[1]
        r = self.server.request("HEAD", "/cgi-bin/confirm-email.cgi/%s/%s" % (uid64, token))
        self.assert_redirect(r, CONFIRMED)
        self.assert_redirect(self.server.request("GET", links[0][0]), INVALID)

    def test_invalid_links_redirect_exactly(self):
        uid = self.stack.create_user("links@example.com", active=False)
        other = self.stack.create_user("links-other@example.com", active=False)
        _, password, stored, _ = self.user_row("links@example.com")
        _, other_pw, other_email, _ = self.user_row("links-other@example.com")
        ts = now_ts()
        good = make_token(uid, password, stored, ts)
        tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
        cases = [
            (uid, make_token(uid, password, stored, now_ts() - 700)),      # expired
            (uid, tampered),
            (uid, make_token(other, other_pw, other_email, ts)),            # another user's
            (uid, make_token(uid, password, stored, ts, salt="auth.tokens.password-reset")),
            (other, good),                                                  # for another user
        ]
        for who, token in cases:
            r = self.server.request("GET", "/users/register/confirm/%s/%s/" % (uidb64(who), token))
            self.assert_redirect(r, INVALID)
        for path in ("/users/register/confirm/bm90LWEtdXVpZA/%s/" % good,
                     "/users/register/confirm/%s/" % uidb64(uid),
                     "/users/register/confirm/%s/%s/x/" % (uidb64(uid), good),
                     "/cgi-bin/confirm-email.cgi/bm90LWEtdXVpZA/%s/" % good):
            self.assert_redirect(self.server.request("GET", path), INVALID)
        self.assertEqual(self.user_row("links@example.com")[3], 0)
        r = self.server.request("GET", "/users/register/confirm/%s/%s?utm=1" % (uidb64(uid), good))
        self.assert_redirect(r, CONFIRMED)
        self.assertEqual(self.user_row("links@example.com")[3], 1)

    def test_concurrent_registrations_of_one_address(self):
        results = []
        lock = threading.Lock()
        start = threading.Barrier(20)

        def one(i):
            start.wait()
            addr = "race@example.com" if i % 2 else "RACE@Example.com"
            r = self.register(addr)
            with lock:
                results.append(r)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(len(results), 20)
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses, [201] + [400] * 19, [r.body for r in results])
        for r in results:
            self.assertEqual(r.json, CREATED if r.status == 201 else EXISTS)
        rows = self.stack.sql("SELECT id FROM users_user WHERE email = 'race@example.com' "
                              "COLLATE NOCASE")
        self.assertEqual(len(rows), 1)
        self.assertEqual(self.stack.sql("SELECT count(*) FROM user_profile WHERE user_id = ?",
                                        (rows[0][0],)), [(1,)])
        self.assertEqual(self.stack.sql("SELECT count(*) FROM mail_outbox WHERE recipient "
                                        "= 'race@example.com' COLLATE NOCASE"), [(1,)])
        self.assertEqual(len(self.deliver()), 1)


if __name__ == "__main__":
    unittest.main()
