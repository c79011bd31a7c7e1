"""The README's promise, as a newcomer meets it: on a fresh, minimal Debian 12 with nothing but
`make`, `make run` in a clean copy of the checkout installs what it needs, builds and serves the API.

A root is bootstrapped with `debootstrap --variant=minbase bookworm` from the Debian mirror this
machine's apt uses (its /etc/apt/sources.list.d/, read at test time), `make` alone is installed
in it, and the files a clone of this checkout has (tracked and untracked-but-not-ignored, as they
are in the working tree: no build products, no run/ state) are copied to /opt/authcgi there.
As an ordinary user `make run` and `make test` must print the apt-get command and stop before
compiling; as root `make run` must serve, and from outside /users/current-user/ answers the JSON
401, a registration is confirmed by the e-mailed link and the user logs in. Everything started is stopped by PID
(the process group of make run, then anything else whose root is the chroot), /proc, /sys and
/dev are unmounted, and the root is removed.

Needs root, debootstrap, git and the mirror. Without root or debootstrap the suite is skipped,
except under CI (CI=true), where that is a failure.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from devrun import CLEAN_ENV, MakeRun
from harness import PASSWORD, ROOT, free_port

TREE = "/opt/authcgi"            # where the checkout is, inside the root
EMAIL = "newcomer@example.com"
SUITE = "bookworm"
BINDS = ("proc", "sys", "dev")


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def host_sources():
    """The host's Debian 12 apt sources as deb822 stanzas (dicts of URIs, Suites, Components,
    Signed-By), from /etc/apt/sources.list.d/*.sources and one-line *.list files."""
    stanzas = []
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path) as f:
            for block in re.split(r"\n\s*\n", f.read()):
                fields = {}
                for line in block.splitlines():
                    m = re.match(r"^([A-Za-z-]+):\s*(.*)$", line)
                    if m and not line.startswith("#"):
                        fields[m.group(1)] = m.group(2).strip()
                if fields.get("Enabled", "yes") != "no" and "deb" in fields.get("Types", "").split():
                    stanzas.append(fields)
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.list")) + ["/etc/apt/sources.list"]:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                m = re.match(r"^deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$", line.strip())
                if m:
                    fields = {"URIs": m.group(2), "Suites": m.group(3), "Components": m.group(4)}
                    sb = re.search(r"signed-by=(\S+?)[\s\]]", m.group(1) or "")
                    if sb:
                        fields["Signed-By"] = sb.group(1)
                    stanzas.append(fields)
    # Debian 12's own suites only (bookworm, -updates, -security): a third-party source would
    # need its key in the new root.
    return [s for s in stanzas
            if s.get("URIs") and all(x == SUITE or x.startswith(SUITE + "-")
                                     for x in s.get("Suites", "").split())
            and s.get("Suites")]


def mount_points():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4].replace("\\040", " ") for line in f]


class FreshMachineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = cls.target = cls.server = None
        cls.mounted = []
        cls.times = {}
        missing = []
        if os.geteuid() != 0:
            missing.append("root (debootstrap, chroot and mount need it)")
        for tool in ("debootstrap", "chroot", "mount", "git"):
            if not shutil.which(tool):
                missing.append(tool)
        if missing:
            why = "tests/fresh needs " + ", ".join(missing)
            if in_ci():
                raise AssertionError(why + " (CI=true: not skipped)")
            raise unittest.SkipTest(why)
        try:
            cls.bootstrap()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def timed(cls, name, cmd, timeout, **kw):
        start = time.monotonic()
        log = os.path.join(cls.tmp, name.replace(" ", "-") + ".log")
        with open(log, "wb") as f:
            out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 timeout=timeout, **kw)
        cls.times[name] = time.monotonic() - start
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        return out.returncode, text

    @classmethod
    def in_root(cls, *cmd, user=None):
        """A command inside the root with a clean environment (as root, or as user)."""
        spec = ["--userspec=" + user] if user else []
        home = "/root" if user is None else "/tmp"
        return (["chroot", *spec, cls.target, "/usr/bin/env", "-i"]
                + ["%s=%s" % kv for kv in sorted(dict(CLEAN_ENV, HOME=home).items())] + list(cmd))

    @classmethod
    def bootstrap(cls):
        sources = host_sources()
        if not sources:
            raise AssertionError("no Debian %s source in this machine's apt sources" % SUITE)
        mirror = next(s["URIs"].split()[0] for s in sources if SUITE in s["Suites"].split())
        cls.tmp = tempfile.mkdtemp(prefix="authcgi-fresh-", dir="/var/tmp")
        cls.target = os.path.join(cls.tmp, "root")

        rc, log = cls.timed("debootstrap", ["debootstrap", "--variant=minbase", SUITE, cls.target,
                                            mirror], 1200)
        if rc != 0:
            raise AssertionError("debootstrap failed (%d):\n%s" % (rc, log[-4000:]))

        # apt in the root: the host's Debian sources and its Acquire settings, its resolver.
        etc = os.path.join(cls.target, "etc")
        if os.path.exists(os.path.join(etc, "apt", "sources.list")):
            os.unlink(os.path.join(etc, "apt", "sources.list"))
        with open(os.path.join(etc, "apt", "sources.list.d", "debian.sources"), "w") as f:
            for s in sources:
                f.write("Types: deb\n")
                for key in ("URIs", "Suites", "Components", "Signed-By"):
                    if key in s and (key != "Signed-By" or os.path.exists(cls.target + s[key])):
                        f.write("%s: %s\n" % (key, s[key]))
                f.write("\n")
        for conf in glob.glob("/etc/apt/apt.conf.d/*"):
            with open(conf, errors="replace") as f:
                text = f.read()
            if re.search(r"(?m)^\s*Acquire::", text):
                with open(os.path.join(etc, "apt", "apt.conf.d", os.path.basename(conf)), "w") as f:
                    f.write(text)
        with open("/etc/resolv.conf") as src:
            resolv = src.read()
        if os.path.lexists(os.path.join(etc, "resolv.conf")):
            os.unlink(os.path.join(etc, "resolv.conf"))
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write(resolv)

        for d in BINDS:
            path = os.path.join(cls.target, d)
            subprocess.run(["mount", "--bind", "/" + d, path], check=True, timeout=30)
            cls.mounted.append(path)

        rc, log = cls.timed("install make", cls.in_root(
            "sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
            "apt-get install -y -qq --no-install-recommends make"), 900)
        if rc != 0:
            raise AssertionError("installing make in the root failed (%d):\n%s" % (rc, log[-4000:]))

        cls.copy_checkout(os.path.join(cls.target, TREE.lstrip("/")))

        # An ordinary user in a clone of their own: the apt-get command, and nothing compiled.
        subprocess.run(cls.in_root("chown", "-R", "nobody:nogroup", TREE), check=True, timeout=60)
        cls.as_user = {}
        for target in ("run", "test"):
            rc, log = cls.timed("make %s as nobody" % target, cls.in_root(
                "sh", "-c", 'cd "$0" && exec make "$1"', TREE, target, user="nobody:nogroup"), 300)
            cls.as_user[target] = (rc, log, os.path.exists(cls.target + TREE + "/obj"))
        subprocess.run(cls.in_root("chown", "-R", "root:root", TREE), check=True, timeout=60)

        start = time.monotonic()
        cls.server = MakeRun(TREE, free_port(), os.path.join(cls.tmp, "make-run.log"),
                             chroot=cls.target).start()
        cls.first = cls.server.wait_until_serving(1200)
        cls.times["make run until serving"] = time.monotonic() - start

    @staticmethod
    def copy_checkout(dest):
        """The files a clone has (tracked, and untracked but not ignored), from the working tree."""
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True, timeout=60)
        for name in sorted(set(out.stdout.decode().split("\0")) - {""}):
            src = os.path.join(ROOT, name)
            dst = os.path.join(dest, name)
            if not os.path.lexists(src):        # deleted in the working tree
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.islink(src):
                os.symlink(os.readlink(src), dst)
            else:
                shutil.copy2(src, dst)

    @classmethod
    def kill_left_in_root(cls):
        """SIGKILL to every process whose root directory is the chroot, until there is none."""
        deadline = time.monotonic() + 20
        while True:
            found = []
            for proc in glob.glob("/proc/[0-9]*"):
                try:
                    root = os.readlink(proc + "/root")
                except OSError:
                    continue
                if root == cls.target or root.startswith(cls.target + "/"):
                    found.append(int(os.path.basename(proc)))
            if not found:
                return
            if time.monotonic() > deadline:
                raise AssertionError("processes left in the root: %s" % found)
            for pid in found:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        errors = []
        if cls.server:
            cls.server.stop()
            cls.server = None
        if cls.target:
            try:
                cls.kill_left_in_root()
            except AssertionError as e:
                errors.append(str(e))
        for path in reversed(cls.mounted):
            if subprocess.run(["umount", path], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", path], capture_output=True)
        cls.mounted = []
        if cls.tmp:
            left = [m for m in mount_points() if m == cls.tmp or m.startswith(cls.tmp + "/")]
            if left:
                # Never rm -rf across a bind mount of the host's /dev or /proc.
                errors.append("still mounted, %s not removed: %s" % (cls.tmp, left))
            else:
                subprocess.run(["rm", "-rf", "--one-file-system", cls.tmp], check=False)
                if os.path.exists(cls.tmp):
                    errors.append("could not remove " + cls.tmp)
            cls.tmp = None
        if cls.times:
            print("tests/fresh times: " + ", ".join("%s %.0fs" % kv for kv in cls.times.items()),
                  file=sys.stderr)
        if errors:
            raise AssertionError("; ".join(errors))

    def test_1_non_root_gets_the_apt_get_command_and_nothing_is_compiled(self):
        for target, extra in (("run", ()), ("test", ("libcmocka-dev", "valgrind", "clang"))):
            rc, log, built = self.as_user[target]
            self.assertNotEqual(rc, 0, log)
            m = re.search(r"install them with:  sudo apt-get update && sudo apt-get install -y (.+)",
                          log)
            self.assertTrue(m, log)
            for pkg in ("gcc", "libhiredis-dev", "lighttpd", "redis-server") + extra:
                self.assertIn(pkg, m.group(1).split(), target)
            self.assertNotIn(" CC ", log)
            self.assertFalse(built, "make %s as nobody created obj/" % target)

    def test_2_current_user_answers_the_json_401(self):
        r = self.first
        self.assertEqual(r.status, 401, r.body)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(r.json, {"error": "You are not logged in. Kindly ensure you are logged "
                                           "in and try again"})

    def test_3_register_confirm_by_mail_and_login(self):
        r = self.server.request("POST", "/users/register/",
                                {"email": EMAIL, "first_name": "New", "last_name": "Comer",
                                 "password": PASSWORD})
        self.assertEqual(r.status, 201, r.body)
        r = self.server.request("POST", "/users/login/", {"email": EMAIL, "password": PASSWORD})
        self.assertNotEqual(r.status, 200, "logged in before confirming")
        link = self.server.link_in(self.server.wait_for_mail(EMAIL), "/users/register/confirm/")
        r = self.server.request("GET", link)
        self.assertEqual(r.status, 302, r.body)
        self.assertEqual(r.header("Location"), "http://127.0.0.1:%d/auth/confirmed" % self.server.port)
        r = self.server.request("POST", "/users/login/", {"email": EMAIL, "password": PASSWORD})
        self.assertEqual(r.status, 200, r.body)
        session = r.cookie("sessionid")
        self.assertTrue(session)
        r = self.server.request("GET", "/users/current-user/",
                                headers={"Cookie": "sessionid=" + session})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json["email"], EMAIL)


if __name__ == "__main__":
    unittest.main()
