"""www/ works under a path prefix (shared hosting, /~you/app/): no page or script names a site
resource by a root-absolute path.

The rule, for every page added to www/:
  * HTML (www/**/*.html): every href/src/action/... is relative to the page: a page at
    www/a/b/index.html writes "../../css/site.css", "../../js/pages/x.js", "../../auth/login/",
    and "../../" for the home page (index.html at the top: "css/site.css", "./"). Pages are
    served with their trailing slash (the servers redirect a directory to it).
  * JS (www/js/**/*.js): a string that starts with "/" is a path written from the site's root and
    must be the first argument of sitePath('/...') (links, location.assign, href, ?next=) or of
    api('/users/...') (which resolves through sitePath); startsWith('/') checks are not paths.
    Imports stay relative ('../api.js'). Vendored libraries (www/vendor/) name no site path and
    are not checked.
"""
import os
import re
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WWW = os.path.join(ROOT, "www")
ALLOWED_BEFORE = re.compile(r"(?:\bsitePath|\bapi|\.startsWith)\(\s*$")


def files(ext):
    for base, dirs, names in os.walk(WWW):
        dirs[:] = [d for d in dirs if os.path.join(base, d) != os.path.join(WWW, "vendor")]
        for name in sorted(names):
            if name.endswith(ext):
                yield os.path.join(base, name)


def js_strings(text):
    """(offset, literal) of each '...', "..." and `...` literal, comments skipped. A regular
    expression literal holding a quote would confuse it: www/js has none."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i < 0 else i + 2
        elif c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            yield i, text[i + 1:j]
            i = j + 1
        else:
            i += 1


def html_root_paths(text):
    """Attribute values and CSS url()s that start with "/" (comments skipped)."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    found = re.findall(r"""\b[\w:-]+\s*=\s*["']?\s*(/[^"'\s>]*)""", text)
    found += re.findall(r"""url\(\s*["']?(/[^"')]*)""", text)
    return found


class WwwPrefixTest(unittest.TestCase):
    def test_html_and_css_use_relative_paths(self):
        bad = []
        for path in list(files(".html")) + list(files(".css")):
            with open(path, encoding="utf-8") as f:
                for value in html_root_paths(f.read()):
                    bad.append("%s: %s" % (os.path.relpath(path, ROOT), value))
        self.assertEqual(bad, [], "root-absolute paths (see this file's docstring for the rule)")

    def test_js_paths_go_through_sitepath_or_api(self):
        bad = []
        for path in files(".js"):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for offset, literal in js_strings(text):
                if literal.startswith("/") and not ALLOWED_BEFORE.search(text[:offset]):
                    line = text.count("\n", 0, offset) + 1
                    bad.append("%s:%d: %r" % (os.path.relpath(path, ROOT), line, literal))
        self.assertEqual(bad, [], "root-absolute paths not given to sitePath()/api() (see this "
                                  "file's docstring for the rule)")

    def test_the_checks_catch_what_they_are_for(self):
        self.assertEqual(html_root_paths('<a href="/auth/login/">x</a><img src=/a.png>'),
                         ["/auth/login/", "/a.png"])
        self.assertEqual(html_root_paths('<!-- <a href="/x"> --><a href="../x">'), [])
        text = "location.assign('/auth/'); a.href = \"/p/\"; sitePath('/ok/'); api('/users/x/');" \
               " s.startsWith('/'); // '/comment'"
        flagged = [lit for off, lit in js_strings(text)
                   if lit.startswith("/") and not ALLOWED_BEFORE.search(text[:off])]
        self.assertEqual(flagged, ["/auth/", "/p/"])


if __name__ == "__main__":
    unittest.main()
