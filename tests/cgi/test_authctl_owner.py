"""authctl run as root against a SQLite database another user owns (issue 18): it refuses, says
whose the database is and how to run as that user, and leaves no root-owned file behind (SQLite
would create -wal/-shm as root, and every write of the CGIs would then be a 503)."""
import os
import pwd
import subprocess
import unittest

from harness import BUILD, ENGINE, PASSWORD, Stack

USER = "nobody"


@unittest.skipUnless(os.geteuid() == 0, "needs root")
@unittest.skipUnless(ENGINE == "sqlite", "a SQLite file's ownership")
class AuthctlOwnerTest(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(migrate=False)
        self.pw = pwd.getpwnam(USER)
        os.chown(self.stack.dir, self.pw.pw_uid, self.pw.pw_gid)
        os.chown(self.stack.config_path, self.pw.pw_uid, self.pw.pw_gid)

    def tearDown(self):
        self.stack.stop()

    def as_user(self, *args, input=None):
        return subprocess.run(["runuser", "-u", USER, "--", os.path.join(BUILD, "bin", "authctl"),
                               *args], env=self.stack.env({"PATH": os.environ["PATH"]}),
                              input=input, capture_output=True, text=True, timeout=60)

    def as_root(self, *args, input=None):
        return subprocess.run([os.path.join(BUILD, "bin", "authctl"), *args], env=self.stack.env(),
                              input=input, capture_output=True, text=True, timeout=60)

    def root_owned(self):
        return sorted(name for name in os.listdir(self.stack.dir)
                      if name.startswith("db.sqlite3")
                      and os.stat(os.path.join(self.stack.dir, name)).st_uid == 0)

    def test_root_is_refused_and_told_how(self):
        out = self.as_root("migrate")
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn("belongs to nobody, but authctl runs as root", out.stderr)
        self.assertIn("runuser -u nobody -- authctl", out.stderr)
        self.assertFalse(os.path.exists(self.stack.db_path))

        out = self.as_user("migrate")
        self.assertEqual(out.returncode, 0, out.stderr)
        out = self.as_user("createuser", "john@example.com", input=PASSWORD + "\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        for cmd in (["createuser", "ann@example.com"], ["list"], ["deactivate", "john@example.com"]):
            out = self.as_root(*cmd, input=PASSWORD + "\n")
            self.assertEqual(out.returncode, 1, cmd)
            self.assertIn("runuser -u nobody", out.stderr)
        self.assertEqual(self.root_owned(), [])
        self.assertEqual(self.stack.sql("SELECT email FROM users_user"), [("john@example.com",)])

    def test_files_root_already_owns_are_named_with_the_fix(self):
        self.assertEqual(self.as_user("migrate").returncode, 0)
        wal = self.stack.db_path + "-wal"
        with open(wal, "ab"):
            pass
        os.chown(wal, 0, 0)
        out = self.as_root("list")
        self.assertEqual(out.returncode, 1)
        self.assertIn("chown nobody: " + wal, out.stderr)

    def test_root_owned_database_is_served_as_before(self):
        os.chown(self.stack.dir, 0, 0)
        os.chown(self.stack.config_path, 0, 0)
        self.assertEqual(self.as_root("migrate").returncode, 0)
        out = self.as_root("createuser", "john@example.com", input=PASSWORD + "\n")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("john@example.com", self.as_root("list").stdout)


if __name__ == "__main__":
    unittest.main()
