"""The user documentation keeps up with the code (issue 18): every endpoint path of lib/routes.c
(and the two confirm links the samples route) has a section in docs/api.md, every configuration
key of lib/cfg.c's key table is in docs/configuration.md and authcgi.conf.sample, every authctl
command of bin/authctl.c and every mailer option of bin/mailer.c is in its man page, every
program in cgi-bin/ is routed by both server samples, the man pages render
without a warning, and nothing a user reads points at the unshipped contract (API.md)."""
import glob
import os
import re
import shutil
import subprocess
import unittest

from harness import ROOT


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def routes():
    paths = re.findall(r'\{\s*"(/users/[^"]*)",\s*"([a-z0-9-]+\.cgi)"\s*\}', read("lib/routes.c"))
    assert len(paths) >= 13, paths
    return paths


def config_keys():
    src = read("lib/cfg.c")
    table = re.search(r"key_names\[K__MAX\]\s*=\s*\{(.*?)\};", src, re.S).group(1)
    keys = re.findall(r'"([A-Z][A-Z0-9_]*)"', table)
    assert len(keys) >= 49, keys
    return keys


def authctl_commands():
    src = read("bin/authctl.c")
    usage = re.search(r"static void usage\(.*?\n\}", src, re.S).group(0)
    listed = re.findall(r'"  ([a-z][a-z-]+)\b', usage)
    dispatched = re.findall(r'strcmp\((?:cmd|argv\[1\]), "([a-z][a-z-]+)"\)', src)
    commands = sorted(set(listed) | set(dispatched))
    assert {"migrate", "createuser", "list"} <= set(commands), commands
    return commands


def mailer_options():
    src = read("bin/mailer.c")
    opts = re.findall(r'\{\s*"([a-z-]+)",\s*(?:no|required|optional)_argument', src)
    assert "once" in opts, opts
    return opts


class DocsTest(unittest.TestCase):
    def test_every_endpoint_has_a_section_in_api_md(self):
        api = read("docs/api.md")
        headings = re.findall(r"(?m)^## ([A-Z, ]+) (/users/\S*)$", api)
        documented = {path for _, path in headings}
        for path, program in routes():
            self.assertIn(path, documented, "docs/api.md has no '## METHOD %s' section" % path)
        for link in ("/users/register/confirm/", "/users/password-change/confirm/change-password/"):
            self.assertTrue(any(p.startswith(link) for p in documented), link)
        # each section says what it answers: at least one status and one JSON body or example
        sections = re.split(r"(?m)^## ", api)
        for section in sections:
            if section.startswith(("GET ", "POST ", "PATCH ", "PUT ", "DELETE ")):
                title = section.split("\n", 1)[0]
                self.assertRegex(section, r"\b[2-5]\d\d\b", title + ": no status code")
                self.assertTrue("{" in section or "[" in section or "302" in section,
                                title + ": neither a body nor a redirect")

    def test_methods_and_body_caps_match_the_programs(self):
        api = read("docs/api.md")
        headings = {path: set(m.replace(" ", "").split(","))
                    for m, path in re.findall(r"(?m)^## ([A-Z, ]+) (/users/\S*)$", api)}
        limits = re.search(r"(?ms)^## Limits$(.*?)(^## |\Z)", api).group(1)
        rows = re.findall(r"(?m)^\| body: ([^|]+) \| ([^|]+) \|", limits)
        for path, program in routes():
            src = read("cgi-bin/%s.c" % program[:-4])
            methods = set(re.findall(r"REQ_([A-Z]+)", re.search(r"\.methods = ([^,]+),", src).group(1)))
            self.assertEqual(methods - {"HEAD"}, headings[path], path)
            m = re.search(r"\.body_cap = ([0-9* ]+),", src)
            cap = 1 if m else None
            for factor in (m.group(1).split("*") if m else ()):
                cap *= int(factor)
            if not cap:
                continue      # no body (GET) or a cap from the configuration (update-user)
            label = path[len("/users/"):].rstrip("/")
            if label.startswith("password-change/"):
                label = label[len("password-change/"):]
            row = [size for names, size in rows if label in [n.strip() for n in names.split(",")]]
            self.assertEqual(len(row), 1, "docs/api.md Limits: no body row for " + label)
            size = row[0].strip()
            want = "%d KiB" % (cap // 1024) if cap % 1024 == 0 else "%d bytes" % cap
            self.assertEqual(size, want, label)

    def test_every_program_is_routed_by_both_samples(self):
        httpd, lighttpd = read("httpd.conf.sample"), read("lighttpd.conf.sample")
        programs = sorted(os.path.basename(p)[:-2] + ".cgi" for p in glob.glob(os.path.join(ROOT, "cgi-bin", "*.c")))
        for program in programs:
            self.assertIn("/cgi-bin/" + program, httpd, "httpd.conf.sample")
            self.assertIn("/cgi-bin/" + program, lighttpd, "lighttpd.conf.sample")
            # FastCGI mode removes cgi.assign: a program without its fastcgi.server entry would
            # be served as a static file
            self.assertIn('#FCGI     "/cgi-bin/%s" => (( "socket" => "/srv/authcgi/run/%s.sock", '
                          '"bin-path" => "/srv/authcgi/cgi-bin/%s"' % (program, program[:-4], program),
                          lighttpd, "lighttpd.conf.sample's FastCGI block lacks " + program)
        for path, program in routes():
            self.assertIn('"^%s(\\?.*)?$" => "/cgi-bin/%s"' % (path, program), lighttpd)
            self.assertIn('"^%s$"' % path, httpd)

    def test_every_configuration_key_is_documented(self):
        conf, sample = read("docs/configuration.md"), read("authcgi.conf.sample")
        for key in config_keys():
            self.assertRegex(conf, r"`%s`" % key, "docs/configuration.md lacks " + key)
            self.assertRegex(sample, r"(?m)^#?%s=" % key, "authcgi.conf.sample lacks " + key)

    def test_every_authctl_command_is_in_the_man_page(self):
        man = read("man/authctl.8")
        for cmd in authctl_commands():
            self.assertRegex(man, r"(?m)^\.It Cm %s\b" % re.escape(cmd), "man/authctl.8 lacks " + cmd)
            self.assertRegex(man, r"(?m)^\.Cm %s$" % re.escape(cmd), "authctl.8 SYNOPSIS lacks " + cmd)

    def test_every_mailer_option_is_in_the_man_page(self):
        man = read("man/mailer.8")
        for opt in mailer_options():
            self.assertRegex(man, r"(?m)^\.It Fl -%s\b" % opt, "man/mailer.8 lacks --" + opt)

    @unittest.skipUnless(shutil.which("groff"), "groff is not installed")
    def test_man_pages_render_without_warnings(self):
        for page in ("man/authctl.8", "man/mailer.8"):
            out = subprocess.run(["groff", "-mandoc", "-Tutf8", "-ww", "-z", os.path.join(ROOT, page)],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual((out.returncode, out.stderr), (0, ""), page)
            text = subprocess.run(["man", "-l", os.path.join(ROOT, page)], capture_output=True,
                                  text=True, timeout=60, env=dict(os.environ, MANPAGER="cat",
                                                                  MANWIDTH="80")).stdout
            self.assertIn("NAME", text)
            self.assertIn("EXIT STATUS", text)

    def test_nothing_users_read_points_at_the_unshipped_contract(self):
        shipped = ["README.md", "DEPLOY.md", "httpd.conf.sample", "lighttpd.conf.sample",
                   "authcgi.conf.sample", "authcgi-mailer.service.sample", "errors/README",
                   "man/authctl.8", "man/mailer.8"] + sorted(
            os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
        for path in shipped:
            self.assertNotRegex(read(path), r"(?<![\w/])API\.md", path)


if __name__ == "__main__":
    unittest.main()
