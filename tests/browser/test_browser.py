"""Browser tests: www/ in Debian's Chromium (playwright-core) against lighttpd (or Apache with
AUTHCGI_SERVER=apache), Redis, SQLite and the mail worker with the file backend.

One stack for the class; each test runs one journey of journeys.mjs in its own browser. Screenshots of a
failing journey go to tests/out/browser/<journey>/ (every page with BROWSER_SCREENSHOTS=all).
"""
import json
import os
import shutil
import subprocess
import unittest
import uuid

import tokens
from harness import BUILD, ROOT, Apache, Lighttpd, Stack
from totp_store import enable_two_factor

try:
    from harness import web_server  # lighttpd, or Apache with AUTHCGI_SERVER=apache
except ImportError:
    web_server = Lighttpd

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(ROOT, "tests", "out", "browser")
CHROMIUM = "/usr/bin/chromium"


def ensure_node_modules():
    """npm ci from the lock file when playwright-core is missing; never downloads a browser."""
    if os.path.isdir(os.path.join(HERE, "node_modules", "playwright-core")):
        return
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    out = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, env=env,
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError("npm ci failed in tests/browser:\n" + out.stdout + out.stderr)


class BrowserBase(unittest.TestCase):
    server_class = None  # web_server(): lighttpd, or Apache with AUTHCGI_SERVER=apache

    @classmethod
    def setUpClass(cls):
        if not shutil.which("node") or not os.access(CHROMIUM, os.X_OK):
            raise RuntimeError("the browser tests need node and %s (bin/install-deps --test)" % CHROMIUM)
        ensure_node_modules()
        cls.stack = Stack(RATE_LIMIT_REGISTER_ADDR="1000/3600", RATE_LIMIT_MAIL_ADDR="1000/3600",
                          RATE_LIMIT_LOGIN_ADDR="1000/900")
        try:
            cls.server = (cls.server_class or web_server)(cls.stack)
            cls.base = "http://127.0.0.1:%d" % cls.server.port
            cls.stack.set(FRONTEND_URL=cls.base, API_BASE_URL=cls.base)
            cls.server.start()
        except Exception:
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.stack.stop()

    def journey(self, name, **data):
        env = dict(os.environ, BASE_URL=self.base, MAIL_DIR=self.stack.mail_dir,
                   MAILER=os.path.join(BUILD, "bin", "mailer"), AUTHCGI_CONFIG=self.stack.config_path,
                   OUT_DIR=OUT_DIR, JOURNEY_DATA=json.dumps(data))
        out = subprocess.run(["node", os.path.join(HERE, "journeys.mjs"), name], cwd=HERE, env=env,
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            self.fail("journey %s failed:\n%s\n%s\nweb server log (end):\n%s" % (
                name, out.stdout[-4000:], out.stderr[-8000:], self.server.log()[-4000:]))

    def user(self, email, first, last, active=True):
        self.stack.create_user(email, active=active)
        self.stack.sql("UPDATE users_user SET first_name = ?, last_name = ? WHERE email = ?",
                       (first, last, email))
        return email

    def activation_link(self, email, age):
        """A link made as API.md §5.3 says, for a token issued `age` seconds ago."""
        uid_hex, password, last_login, stored, active = self.stack.sql(
            "SELECT id, password, last_login, email, is_active FROM users_user WHERE email = ?",
            (email,))[0]
        uid = str(uuid.UUID(uid_hex))
        token = tokens.compute_token("activation", uid, password, last_login, stored, active,
                                     tokens.now_ts() - age, secret=self.stack.config["SECRET_KEY"])
        return "%s/users/register/confirm/%s/%s/" % (self.base, tokens.uidb64(uid), token)


class BrowserTest(BrowserBase):
    def test_register_confirm_login_profile_picture_logout(self):
        self.journey("register", email="ada@example.com")

    def test_wrong_password_shows_the_api_message(self):
        self.journey("wrong_password", email=self.user("grace@example.com", "Grace", "Hopper"))

    def test_expired_link_lands_on_regenerate_page_with_reason(self):
        email = self.user("kathleen@example.com", "Kathleen", "Booth", active=False)
        other = self.user("mary@example.com", "Mary", "Somerville", active=False)
        self.journey("expired_link", expired_link=self.activation_link(email, 3600),
                     fresh_link=self.activation_link(email, 0), other_email=other,
                     expired_link_other=self.activation_link(other, 3600))

    def test_password_reset_journey(self):
        self.journey("reset", email=self.user("alan@example.com", "Alan", "Turing"))

    def test_sessions_and_password_change_while_logged_in(self):
        self.journey("sessions", email=self.user("edsger@example.com", "Edsger", "Dijkstra"))

    def test_picture_size_checked_before_sending(self):
        self.journey("thumbnail_size", email=self.user("barbara@example.com", "Barbara", "Liskov"))

    def test_every_page_at_phone_and_desktop_width(self):
        self.journey("layout", email=self.user("margaret@example.com", "Margaret", "Hamilton"))

    def test_two_factor_enrol_login_with_code_and_recovery_code_disable(self):
        self.journey("two_factor", email="hedy@example.com")

    def test_download_the_data_then_delete_the_account(self):
        self.journey("delete_account", email=self.user("ada.deleted@example.com", "Ada", "Gone"))

    def test_delete_the_account_with_two_factor_on(self):
        email = self.user("grace.deleted@example.com", "Grace", "Gone")
        (uid,), = self.stack.sql("SELECT id FROM users_user WHERE email = ?", (email,))
        secret, _, codes = enable_two_factor(self.stack, str(uuid.UUID(uid)))
        self.journey("delete_account", email=email, totp_secret=secret.hex(), recovery_codes=codes)

    def test_login_next_stays_on_the_site(self):
        self.journey("redirect_next", email=self.user("dorothy@example.com", "Dorothy", "Vaughan"))


class ApacheNextTest(BrowserBase):
    """The Apache sample passes %09, %0A and %0D through to the page, which lighttpd refuses."""
    server_class = Apache

    def test_login_next_stays_on_the_site_through_apache(self):
        self.journey("redirect_next", email=self.user("katherine@example.com", "Katherine", "Johnson"),
                     must_serve=["/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example"])


if __name__ == "__main__":
    unittest.main()
