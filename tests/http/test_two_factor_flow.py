"""Two-factor authentication through a real web server, Redis, an SMTP sink and bin/mailer
(API.md §11): enrol on the public paths, sign in with a TOTP and with a recovery code, the three
e-mails as delivered, disable; and the /cgi-bin/ route of each program.
"""
import base64
import hashlib
import hmac
import json
import struct
import time
import unittest

from harness import PASSWORD, Stack, web_server
from smtpsink import SmtpSink

EMAIL = "tfa.flow@example.com"
F = "http://front.test"
CODE_REQUIRED = {"error": "Two-factor code required", "two_factor_required": True}


def totp(secret, t=None):
    key = base64.b32decode(secret)
    mac = hmac.new(key, struct.pack(">Q", int(time.time() if t is None else t) // 30),
                   hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


class TwoFactorFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = SmtpSink()
        cls.stack = Stack(**cls.sink.config())
        try:
            cls.server = web_server(cls.stack).start()
        except BaseException:
            cls.sink.stop()
            cls.stack.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.sink.stop()
        cls.stack.stop()

    def post(self, path, body, cookie=None):
        headers = {"Content-Type": "application/json", "Origin": F}
        if cookie:
            headers["Cookie"] = "sessionid=" + cookie
        return self.server.request("POST", path, json.dumps(body), headers=headers)

    def get(self, path, cookie):
        return self.server.request("GET", path, headers={"Cookie": "sessionid=" + cookie})

    def mails(self):
        out = []
        for msg, _ in self.sink.deliver(self.stack):
            text = [p for p in msg.iter_parts() if p.get_content_type() == "text/plain"][0]
            out.append((msg["To"], msg["Subject"], text.get_content().replace("\r\n", "\n")))
        return out

    def test_enrol_sign_in_and_disable(self):
        self.stack.create_user(EMAIL)
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        cookie = r.cookie("sessionid")
        r = self.get("/users/two-factor/", cookie)
        self.assertEqual((r.status, r.json), (200, {"enabled": False, "recovery_codes_left": 0}))
        self.assertEqual(r.header("Vary"), "Cookie")
        r = self.post("/users/two-factor/setup/", {"password": PASSWORD}, cookie)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("Access-Control-Allow-Origin"), F)
        secret = r.json["secret"]
        self.assertEqual(r.json["otpauth_uri"],
                         "otpauth://totp/front.test:tfa.flow%40example.com?secret=" + secret +
                         "&issuer=front.test&algorithm=SHA1&digits=6&period=30")
        r = self.post("/users/two-factor/confirm/", {"code": totp(secret)}, cookie)
        self.assertEqual(r.status, 200, r.body)
        codes = r.json["recovery_codes"]
        self.assertEqual(len(codes), 10)
        self.mails_checked("Two-factor authentication is on",
                           "was turned on for your account " + EMAIL)

        # sign in: the password alone is not enough, and no cookie comes with the 401
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD})
        self.assertEqual((r.status, r.json), (401, CODE_REQUIRED))
        self.assertEqual(r.all("Set-Cookie"), [])
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD,
                                        "code": totp(secret, time.time() + 30)})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([c.split("=")[0] for c in r.all("Set-Cookie")], ["csrftoken", "sessionid"])
        cookie = r.cookie("sessionid")
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD, "code": codes[0]})
        self.assertEqual(r.status, 200, r.body)
        self.mails_checked("A recovery code was used", "You have 9 recovery codes left.")
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD, "code": codes[0]})
        self.assertEqual((r.status, r.json), (400, {"error": "The two-factor code is not valid"}))

        # the same programs answer on /cgi-bin/NAME.cgi
        r = self.get("/cgi-bin/two-factor.cgi", cookie)
        self.assertEqual((r.status, r.json), (200, {"enabled": True, "recovery_codes_left": 9}))
        r = self.post("/cgi-bin/two-factor-recovery-codes.cgi",
                      {"password": PASSWORD, "code": codes[1]}, cookie)
        self.assertEqual(r.status, 200, r.body)
        fresh = r.json["recovery_codes"]
        r = self.post("/users/two-factor/disable/", {"password": PASSWORD, "code": fresh[0]}, cookie)
        self.assertEqual((r.status, r.json), (200, {"message": "Two-factor authentication is disabled"}))
        self.mails_checked("Two-factor authentication is off",
                           "change your password now:\n" + F + "/auth/password/request-change")
        r = self.post("/users/login/", {"email": EMAIL, "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        # the server's error log (the programs' stderr) holds no secret and no code
        log = self.server.log()
        for needle in [secret] + codes + fresh:
            self.assertNotIn(needle, log)

    def mails_checked(self, subject, phrase):
        (to, subj, text), = self.mails()
        self.assertEqual((to, subj), (EMAIL, subject))
        self.assertIn(phrase, text)


if __name__ == "__main__":
    unittest.main()
