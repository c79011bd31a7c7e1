"""A trailing '# ...' comment on a configuration line (issue 18): every program refuses the file
with a log line that names the line, the key and the comment, not the value or a URL format; the
same line quoted, or with the comment on its own line, works."""
import json
import unittest

from harness import PASSWORD, SECRET, Stack


class TrailingCommentTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack()
        self.stack.create_user()

    def tearDown(self):
        self.stack.stop()

    def write(self, extra_lines):
        with open(self.stack.config_path, "w") as f:
            for k, v in self.stack.config.items():
                f.write("%s=%s\n" % (k, v))
            f.write(extra_lines)

    def login(self):
        return self.stack.cgi("login", "POST",
                              json.dumps({"email": "john@example.com", "password": PASSWORD}))

    def test_a_trailing_comment_is_reported_as_a_comment(self):
        lines = len(self.stack.config)
        self.write("ALLOWED_ORIGINS=https://app.example.com        # the frontend\n")
        r = self.login()
        self.assertEqual((r.status, r.json), (500, {"error": "Internal server error"}))
        self.assertIn("line %d: ALLOWED_ORIGINS: a comment after the value" % (lines + 1), r.stderr)
        self.assertNotIn("https://app.example.com", r.stderr)
        self.assertNotIn("URL", r.stderr)

    def test_a_secret_with_a_comment_is_not_shortened_nor_logged(self):
        del self.stack.config["SECRET_KEY"]
        self.write("SECRET_KEY=%s # generated with openssl\n" % SECRET)
        r = self.login()
        self.assertEqual(r.status, 500)
        self.assertIn("SECRET_KEY: a comment after the value", r.stderr)
        self.assertNotIn(SECRET, r.stderr)

    def test_authctl_reports_it_too(self):
        self.write("EMAIL_TIMEOUT=30 # seconds\n")
        out = self.stack.authctl("list", check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("EMAIL_TIMEOUT: a comment after the value", out.stderr)

    def test_comment_lines_and_quoted_hashes_work(self):
        self.write("# the frontend\nALLOWED_ORIGINS=https://app.example.com\n"
                   "EMAIL_HOST_PASSWORD=\"pass #word\"\nEMAIL_HOST_USER=user#1\n")
        r = self.login()
        self.assertEqual(r.status, 200, r.stderr)


if __name__ == "__main__":
    unittest.main()
