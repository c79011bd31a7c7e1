"""make dist's tree needs nothing from the host but glibc: ldd resolves every library of every
program to the tree's lib/ or to glibc, and the programs run in a chroot that holds only glibc's
libraries and the tree (no LD_LIBRARY_PATH, no /usr/lib), finding their configuration in
../private from their own directory."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import PASSWORD, ROOT, SECRET

TREE = os.path.join(ROOT, "build", "dist", "authcgi-shared")
GLIBC = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libresolv.so.2", "libpthread.so.0",
         "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"}
LIBDIR = "/lib/x86_64-linux-gnu"


def programs():
    return sorted([os.path.join(TREE, "cgi-bin", n) for n in os.listdir(os.path.join(TREE, "cgi-bin"))] +
                  [os.path.join(TREE, "bin", n) for n in os.listdir(os.path.join(TREE, "bin"))])


class DistTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        out = subprocess.run(["make", "-s", "-j2", "dist"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=1800)
        if out.returncode != 0:
            raise AssertionError("make dist failed:\n" + out.stdout[-3000:] + out.stderr[-3000:])

    def test_ldd_finds_only_glibc_and_the_bundled_libraries(self):
        dynamic = []
        env = {"PATH": "/usr/bin:/bin"}     # no LD_LIBRARY_PATH
        for p in programs():
            out = subprocess.run(["ldd", p], capture_output=True, text=True, env=env)
            if re.search(r"not a dynamic executable|statically linked", out.stdout + out.stderr):
                continue
            dynamic.append(os.path.basename(p))
            self.assertEqual(out.returncode, 0, p)
            for line in out.stdout.strip().split("\n"):
                parts = line.split()
                name = os.path.basename(parts[0])
                self.assertNotIn("not found", line, p)
                if name in GLIBC:
                    continue
                self.assertEqual(parts[1], "=>", line)
                self.assertEqual(os.path.dirname(os.path.realpath(parts[2])),
                                 os.path.join(TREE, "lib"), "%s: %s" % (p, line))
        # The libcurl users (Makefile: they cannot be linked statically) and nothing else.
        self.assertEqual(sorted(dynamic), ["authctl", "delete-account.cgi", "mailer", "update-user.cgi"])
        with open(os.path.join(TREE, "BUILD-INFO")) as f:
            self.assertRegex(f.read(), r"glibc 2\.\d+ or newer")

    @unittest.skipUnless(os.geteuid() == 0, "chroot needs root")
    def test_programs_run_in_a_root_with_only_glibc(self):
        root = tempfile.mkdtemp(prefix="authcgi-chroot-")
        try:
            os.makedirs(root + LIBDIR)
            os.makedirs(root + "/lib64")
            os.makedirs(root + "/tmp")
            for name in GLIBC - {"linux-vdso.so.1", "ld-linux-x86-64.so.2"}:
                if os.path.exists(os.path.join(LIBDIR, name)):
                    shutil.copy(os.path.join(LIBDIR, name), root + LIBDIR)
            shutil.copy("/lib64/ld-linux-x86-64.so.2", root + "/lib64/")
            shutil.copytree(TREE, root + "/app", symlinks=True)
            os.makedirs(root + "/app/private/db")
            os.makedirs(root + "/app/mail")
            os.makedirs(root + "/proc")
            # Found by the programs from their own directory (no AUTHCGI_CONFIG), the database
            # where it defaults to (private/db/authcgi.sqlite3).
            with open(root + "/app/private/authcgi.conf", "w") as f:
                f.write("SECRET_KEY=%s\nEMAIL_BACKEND=file\nEMAIL_FILE_PATH=/app/mail\n"
                        "ARGON2_MEMORY_KIB=1024\nARGON2_TIME_COST=1\n" % SECRET)

            def run(*args, **kw):
                # /proc (the dynamic loader reads $ORIGIN there, as the programs their home),
                # mounted in a mount namespace of its own that ends with the command.
                cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"', root, *args]
                return subprocess.run(cmd, env=dict({"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                                                    **kw.pop("env", {})),
                                      capture_output=True, timeout=60, **kw)
            out = run("/app/bin/authctl", "migrate")
            self.assertEqual(out.returncode, 0, out.stderr)
            out = run("/app/bin/authctl", "createuser", "root-less@example.com", input=(PASSWORD + "\n").encode())
            self.assertEqual(out.returncode, 0, out.stderr)
            out = run("/app/bin/mailer", "--once")
            self.assertEqual(out.returncode, 0, out.stderr)
            out = run("/app/cgi-bin/update-user.cgi", env={"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1"})
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn(b"Status: 405", out.stdout)
            out = run("/app/cgi-bin/series.cgi", env={"REQUEST_METHOD": "GET", "REMOTE_ADDR": "127.0.0.1"})
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertTrue(out.stdout.endswith(b"[]"), out.stdout)
            self.assertTrue(os.path.isfile(root + "/app/private/db/authcgi.sqlite3"))
            # The check is real: without lib/ the libcurl users do not start.
            shutil.rmtree(root + "/app/lib")
            out = run("/app/bin/mailer", "--once")
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(b"error while loading shared libraries", out.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
