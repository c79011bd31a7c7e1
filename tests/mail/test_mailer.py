#!/usr/bin/python3
"""Integration tests of bin/mailer (API.md §6.1) against a real SMTP server (tests/mail/smtp_sink.py).

Run with /usr/bin/python3 (it has python3-aiosmtpd):
    /usr/bin/python3 -m unittest tests/mail/test_mailer.py      (from the repository root)
bin/mailer is built with `make bin/mailer` first, unless MAILER_BIN names a binary to test.
With AUTHCGI_TEST_DB=postgres each test gets a fresh database in a throw-away PostgreSQL cluster
(tests/lib/pgcluster.py), its schema made by AUTHCGI_BUILD's bin/authctl migrate.
Every process a test starts is stopped by its PID when the test ends.
"""
import collections
import datetime
import email
import email.policy
import email.utils
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SINK = os.path.join(ROOT, 'tests', 'mail', 'smtp_sink.py')
MAILER = os.environ.get('MAILER_BIN') or os.path.join(ROOT, 'bin', 'mailer')
PY = '/usr/bin/python3'
ENGINE = os.environ.get('AUTHCGI_TEST_DB', 'sqlite') or 'sqlite'
AUTHCTL = os.path.join(os.path.abspath(os.environ.get('AUTHCGI_BUILD') or ROOT), 'bin', 'authctl')

FROM = 'Auth <no-reply@example.com>'
LINK = ('https://api.example.com/users/password-change/confirm/change-password/'
        'M2YxYzJhNGUtOGI3ZC00ZTJmLTlhMWItMGMyZDNlNGY1YTZi/bohohd-72c12308e11efffde629178b369213ad/')
TEXT = ('Password Reset Instructions\n\nChange password:\n' + LINK + '\n\n'
        'If the above button doesn\'t work, try copying and pasting the link below into your '
        'browser. If you continue to experience problems, please contact us.\n\n' + LINK + '\n')
HTML = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Password Reset Instructions'
        '</title></head><body><p>Caf\u00e9 &amp; cr\u00e8me</p>\n<p><a href="' + LINK + '">' + LINK
        + '</a></p>\n</body></html>\n')


def setUpModule():
    if not os.environ.get('MAILER_BIN'):
        subprocess.run(['make', '--no-print-directory', '-C', ROOT, 'bin/mailer'], check=True,
                       stdout=subprocess.DEVNULL)
    if not os.access(MAILER, os.X_OK):
        raise RuntimeError('no mailer binary at %s' % MAILER)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def db_time(dt):
    """The stored datetime form of §2.1: naive UTC, microseconds only when non-zero."""
    s = dt.strftime('%Y-%m-%d %H:%M:%S')
    return s + ('.%06d' % dt.microsecond if dt.microsecond else '')


def parse_db_time(s):
    return datetime.datetime.fromisoformat(s)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError('timed out waiting for ' + what)


class MailerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='mailer-test-')
        self.db_path = os.path.join(self.tmp, 'db.sqlite3')
        self.sink_dir = os.path.join(self.tmp, 'sink')
        os.mkdir(self.sink_dir)
        self.port = free_port()
        self.procs = []
        self.pg = self.pg_db = None
        if ENGINE == 'postgres':
            import sys
            sys.path.insert(0, os.path.join(ROOT, 'tests', 'lib'))
            import pgcluster as pg
            self.pg = pg.cluster()
            self.pg_db = self.pg.create_database()
            database_url = self.pg.url(self.pg_db)
        else:
            database_url = 'sqlite:///' + self.db_path
            con = sqlite3.connect(self.db_path)
            for f in sorted(glob.glob(os.path.join(ROOT, 'db', '[0-9]*.sql'))):
                with open(f) as fh:
                    con.executescript(fh.read())
            con.execute('PRAGMA journal_mode=WAL')
            con.commit()
            con.close()
        self.settings = {
            'SECRET_KEY': 'test-secret-key-for-the-mailer-integration-tests-0123456789',
            'DATABASE_URL': database_url,
            'REDIS_URL': 'redis://127.0.0.1:1/0',
            'MEDIA_ROOT': os.path.join(self.tmp, 'media'),
            'EMAIL_BACKEND': 'smtp',
            'EMAIL_HOST': '127.0.0.1',
            'EMAIL_PORT': str(self.port),
            'EMAIL_TIMEOUT': '10',
            'DEFAULT_FROM_EMAIL': FROM,
            'EMAIL_MAX_ATTEMPTS': '8',
        }
        if self.pg:
            out = subprocess.run([AUTHCTL, 'migrate'], env=self.env(), capture_output=True,
                                 text=True, timeout=60)
            if out.returncode != 0:
                self.pg.drop_database(self.pg_db)
                raise AssertionError('authctl migrate failed: ' + out.stderr)

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
            for f in (p.stdout, p.stderr):
                if f:
                    f.close()
        if self.pg_db:
            self.pg.drop_database(self.pg_db)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------

    def env(self, **extra):
        path = os.path.join(self.tmp, 'authcgi.conf')
        # replaced whole, never truncated in place: a worker started just before may be reading it
        with open(path + '.tmp', 'w') as f:
            for k, v in self.settings.items():
                f.write('%s=%s\n' % (k, v))
        os.chmod(path + '.tmp', 0o600)
        os.replace(path + '.tmp', path)
        # only the config file: no configuration key may leak in from the caller's environment
        e = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'AUTHCGI_CONFIG': path,
             'MAILER_BACKOFF_BASE_SECONDS': '1', 'MAILER_LEASE_SECONDS': '300'}
        e.update(extra)
        return e

    def db(self):
        con = sqlite3.connect(self.db_path, timeout=10)
        con.row_factory = sqlite3.Row
        return con

    def insert(self, recipient='john@example.com', subject='Password reset instructions',
               text=TEXT, html=HTML, due=None, not_after=None):
        now = utcnow()
        if self.pg:
            import pgcluster as pg
            con = self.pg.connect(self.pg_db)
            try:
                (rowid,), = pg.run(
                    con, 'INSERT INTO mail_outbox (created_at, not_after, recipient, subject,'
                    ' body_text, body_html, attempts, next_attempt_at, last_error)'
                    ' VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL) RETURNING id',
                    (db_time(now), db_time(not_after) if not_after else None, recipient, subject,
                     text, html, db_time(due or now)))
            finally:
                con.close()
            return rowid
        with self.db() as con:
            cur = con.execute(
                'INSERT INTO mail_outbox (created_at, not_after, recipient, subject, body_text,'
                ' body_html, attempts, next_attempt_at, last_error)'
                ' VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL)',
                (db_time(now), db_time(not_after) if not_after else None, recipient, subject,
                 text, html, db_time(due or now)))
            rowid = cur.lastrowid
        con.close()
        return rowid

    def rows(self):
        if self.pg:
            import pgcluster as pg
            con = self.pg.connect(self.pg_db)
            try:
                return pg.columns(con, 'SELECT * FROM mail_outbox ORDER BY id')
            finally:
                con.close()
        con = self.db()
        r = [dict(x) for x in con.execute('SELECT * FROM mail_outbox ORDER BY id')]
        con.close()
        return r

    def start_sink(self, *args):
        p = subprocess.Popen([PY, SINK, '--port', str(self.port), '--dir', self.sink_dir] +
                             list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
        self.procs.append(p)
        line = p.stdout.readline()
        self.assertEqual(line.strip(), 'ready %d' % self.port)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        p.send_signal(sig)
        p.wait(timeout=10)

    def run_once(self, *args, **env):
        r = subprocess.run([MAILER, '--once'] + list(args), env=self.env(**env),
                           capture_output=True, text=True, timeout=60)
        self.assertNotIn(LINK, r.stderr)
        self.assertNotIn('bohohd-72c12308e11efffde629178b369213ad', r.stderr)
        return r

    def start_worker(self, *args, **env):
        p = subprocess.Popen([MAILER] + list(args), env=self.env(**env), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def delivered(self):
        """The messages the sink kept: (parsed message, envelope) in arrival order."""
        out = []
        for f in sorted(glob.glob(os.path.join(self.sink_dir, '*.eml')),
                        key=lambda x: int(os.path.basename(x)[:-4])):
            with open(f, 'rb') as fh:
                msg = email.message_from_bytes(fh.read(), policy=email.policy.default)
            with open(f[:-4] + '.json') as fh:
                out.append((msg, json.load(fh)))
        return out

    def markers(self, prefix):
        return len(glob.glob(os.path.join(self.sink_dir, prefix + '-*')))

    # --- tests ---------------------------------------------------------------------------

    def test_1_delivery_both_parts(self):
        self.start_sink()
        subject = 'R\u00e9initialisation du mot de passe \u2713'
        rowid = self.insert(subject=subject)
        before = utcnow().replace(microsecond=0)
        r = self.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows(), [])
        got = self.delivered()
        self.assertEqual(len(got), 1)
        msg, env = got[0]
        self.assertEqual(env['mail_from'], 'no-reply@example.com')
        self.assertEqual(env['rcpt_tos'], ['john@example.com'])
        self.assertEqual(str(msg['To']), 'john@example.com')
        self.assertEqual(msg['From'].addresses[0].addr_spec, 'no-reply@example.com')
        self.assertEqual(msg['From'].addresses[0].display_name, 'Auth')
        self.assertEqual(str(msg['Subject']), subject)
        self.assertTrue(msg['Message-ID'].startswith('<') and msg['Message-ID'].endswith(
            '@example.com>'))
        sent = email.utils.parsedate_to_datetime(str(msg['Date'])).replace(tzinfo=None)
        self.assertTrue(before <= sent <= utcnow(), sent)
        self.assertEqual(str(msg['MIME-Version']), '1.0')
        self.assertEqual(msg.get_content_type(), 'multipart/alternative')
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ['text/plain', 'text/html'])
        for p in parts:
            self.assertEqual(p.get_content_charset(), 'utf-8')
            self.assertEqual(p['Content-Transfer-Encoding'], 'quoted-printable')
        text = parts[0].get_content().replace('\r\n', '\n')
        html = parts[1].get_content().replace('\r\n', '\n')
        self.assertEqual(text, TEXT)
        self.assertEqual(html, HTML)
        # the link stands alone on its lines, whole, although QP wrapped it on the wire
        self.assertEqual(text.split('\n').count(LINK), 2)
        self.assertIn('href="%s"' % LINK, html)
        self.assertIn('mail %d sent' % rowid, r.stderr)

    def test_2_smtp_down_then_back(self):
        rowid = self.insert()
        t0 = utcnow()
        r = self.run_once()
        t1 = utcnow()
        self.assertEqual(r.returncode, 0, r.stderr)
        row = self.rows()[0]
        self.assertEqual(row['attempts'], 1)
        self.assertTrue(row['last_error'])
        self.assertNotIn('example.com/users', row['last_error'])
        nxt = parse_db_time(row['next_attempt_at'])
        # backoff base 1 s: the first retry is 1 s after the failure
        self.assertTrue(t0 + datetime.timedelta(seconds=1) <= nxt
                        <= t1 + datetime.timedelta(seconds=1), (t0, nxt, t1))
        self.assertIn('mail %d to e-mail hash ' % rowid, r.stderr)
        self.assertIn('attempt 1 failed', r.stderr)

        self.start_sink()
        wait_for(lambda: utcnow() > nxt, 5, 'the backoff to pass')
        r = self.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows(), [])
        got = self.delivered()
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][1]['rcpt_tos'], ['john@example.com'])

    def test_3_auth_rejected_dead_letter(self):
        self.settings.update({'EMAIL_HOST_USER': 'mailuser',
                              'EMAIL_HOST_PASSWORD': 'not-the-right-password-42',
                              'EMAIL_MAX_ATTEMPTS': '3'})
        self.start_sink('--auth-reject')
        rowid = self.insert(recipient='dead@example.com')
        w = self.start_worker('--interval', '0.1')
        wait_for(lambda: not self.rows(), 20, 'the row to be dead-lettered')
        self.stop(w)
        err = w.stderr.read()
        self.assertEqual(w.returncode, 0, err)
        self.assertEqual(self.markers('auth'), 3)
        self.assertEqual(self.delivered(), [])
        dead = [ln for ln in err.splitlines() if 'dropped after 3 failed attempts' in ln]
        self.assertEqual(len(dead), 1, err)
        self.assertIn('error: mail %d to e-mail hash ' % rowid, dead[0])
        # the hash of §1.12, never the address, the password or the link
        self.assertIn(hashlib.sha256(b'dead@example.com').hexdigest(), dead[0])
        for secret in ('dead@example.com', 'not-the-right-password-42', LINK):
            self.assertNotIn(secret, err)

    def test_4_expired_row_deleted_unsent(self):
        self.start_sink()
        past = utcnow() - datetime.timedelta(seconds=5)
        gone = self.insert(recipient='late@example.com', subject='expired',
                           due=past - datetime.timedelta(seconds=60), not_after=past)
        kept = self.insert(recipient='fine@example.com', subject='valid',
                           not_after=utcnow() + datetime.timedelta(seconds=600))
        r = self.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows(), [])
        got = self.delivered()
        self.assertEqual([str(m['Subject']) for m, _ in got], ['valid'])
        self.assertIn('mail %d to e-mail hash ' % gone, r.stderr)
        self.assertIn('dropped unsent', r.stderr)
        self.assertIn('mail %d sent' % kept, r.stderr)
        self.assertNotIn('late@example.com', r.stderr)

    def test_5_sigkill_mid_send_then_redelivered(self):
        self.start_sink('--stall-first', '1', '--stall-seconds', '60')
        rowid = self.insert()
        w = self.start_worker('--interval', '0.2', MAILER_LEASE_SECONDS='3')
        wait_for(lambda: self.markers('data') == 1, 10, 'the worker to reach DATA')
        w.kill()
        w.wait(timeout=10)
        row = self.rows()[0]
        self.assertEqual(row['attempts'], 0)
        lease_end = parse_db_time(row['next_attempt_at'])
        self.assertGreater(lease_end, utcnow())
        # while the dead worker's claim runs, nobody else sends the row
        r = self.run_once(MAILER_LEASE_SECONDS='3')
        self.assertEqual(r.returncode, 0, r.stderr)
        if utcnow() < lease_end:
            self.assertEqual(self.markers('data'), 1)
            self.assertEqual(len(self.rows()), 1)
        wait_for(lambda: utcnow() > lease_end, 10, 'the claim to run out')
        r = self.run_once(MAILER_LEASE_SECONDS='3')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('mail %d sent' % rowid, r.stderr)
        self.assertEqual(self.rows(), [])
        self.assertEqual(len(self.delivered()), 1)

    def test_6_two_workers_never_send_a_row_twice(self):
        self.start_sink('--delay', '0.05')
        ids = [self.insert(recipient='bulk%d@example.com' % i, subject='bulk %d' % i)
               for i in range(40)]
        a = self.start_worker('--once', '--batch', '3')
        b = self.start_worker('--once', '--batch', '3')
        out = {}
        for name, p in (('a', a), ('b', b)):
            _, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
            out[name] = {int(m) for m in re.findall(r'mail (\d+) sent', err)}
        self.assertEqual(self.rows(), [])
        subjects = collections.Counter(str(m['Subject']) for m, _ in self.delivered())
        self.assertEqual(sum(subjects.values()), 40)
        self.assertEqual(set(subjects), {'bulk %d' % i for i in range(40)})
        self.assertEqual(max(subjects.values()), 1)
        # both really ran at once, and split the rows between them
        self.assertTrue(out['a'] and out['b'], out)
        self.assertEqual(out['a'] & out['b'], set())
        self.assertEqual(out['a'] | out['b'], set(ids))

    def test_7_file_backend(self):
        outdir = os.path.join(self.tmp, 'eml')
        self.settings.update({'EMAIL_BACKEND': 'file', 'EMAIL_FILE_PATH': outdir})
        ids = [self.insert(recipient='f%d@example.com' % i) for i in range(3)]
        r = self.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows(), [])
        names = sorted(os.listdir(outdir))
        self.assertEqual(len(names), 3, names)
        seen = []
        for n in names:
            m = re.fullmatch(r'(\d{8})-(\d{6})-(\d+)\.eml', n)
            self.assertTrue(m, n)
            datetime.datetime.strptime(m.group(1) + m.group(2), '%Y%m%d%H%M%S')
            path = os.path.join(outdir, n)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
            with open(path, 'rb') as fh:
                raw = fh.read()
            self.assertNotIn(b'\n', raw.replace(b'\r\n', b''))
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            rowid = int(m.group(3))
            seen.append(rowid)
            self.assertEqual(str(msg['To']), 'f%d@example.com' % ids.index(rowid))
            text = msg.get_body(('plain',)).get_content().replace('\r\n', '\n')
            self.assertEqual(text, TEXT)
        self.assertEqual(sorted(seen), ids)

    def test_8_console_backend(self):
        self.settings['EMAIL_BACKEND'] = 'console'
        self.insert(recipient='console@example.com', subject='on the console')
        r = subprocess.run([MAILER, '--once'], env=self.env(), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows(), [])
        self.assertIn(b'\r\nTo: console@example.com\r\n', r.stdout)
        self.assertIn(b'\r\nSubject: on the console\r\n', r.stdout)
        self.assertTrue(r.stdout.endswith(b'\n' + b'-' * 79 + b'\n'))
        msg = email.message_from_bytes(r.stdout.split(b'\n' + b'-' * 79)[0],
                                       policy=email.policy.default)
        self.assertEqual(msg.get_body(('html',)).get_content().replace('\r\n', '\n'), HTML)

    def test_9_sigterm_finishes_message_in_hand(self):
        self.start_sink('--delay', '1.5')
        rowid = self.insert()
        w = self.start_worker('--interval', '0.2')
        wait_for(lambda: self.markers('data') == 1, 10, 'the worker to reach DATA')
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=15)
        err = w.stderr.read()
        self.assertEqual(w.returncode, 0, err)
        self.assertIn('mail %d sent' % rowid, err)
        self.assertEqual(self.rows(), [])
        self.assertEqual(len(self.delivered()), 1)

    def self_signed(self):
        cert, key = os.path.join(self.tmp, 'cert.pem'), os.path.join(self.tmp, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
                        '-days', '1', '-subj', '/CN=127.0.0.1', '-addext',
                        'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
        return cert, key

    def assert_tls_refused(self):
        rowid = self.insert()
        r = self.run_once()
        self.assertEqual(r.returncode, 0, r.stderr)
        row = self.rows()[0]
        self.assertEqual(row['attempts'], 1)
        self.assertIn('certificate', row['last_error'].lower())
        self.assertIn('mail %d to e-mail hash ' % rowid, r.stderr)
        self.assertEqual(self.delivered(), [])

    def test_11_starttls_verifies_certificates(self):
        # the sink demands STARTTLS; its self-signed certificate must be refused
        cert, key = self.self_signed()
        self.settings['EMAIL_USE_TLS'] = 'true'
        self.start_sink('--starttls', cert, key)
        self.assert_tls_refused()

    def test_12_smtps_verifies_certificates(self):
        cert, key = self.self_signed()
        self.settings['EMAIL_USE_SSL'] = 'true'
        self.start_sink('--smtps', cert, key)
        self.assert_tls_refused()

    def test_10_refuses_bad_configuration(self):
        self.settings['EMAIL_BACKEND'] = 'pigeon'
        r = self.run_once()
        self.assertEqual(r.returncode, 1)
        self.assertIn('refusing to start', r.stderr)
        r = subprocess.run([MAILER, '--help'], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertIn('MAILER_LEASE_SECONDS', r.stdout)
        self.assertIn('MAILER_BACKOFF_BASE_SECONDS', r.stdout)
        r = subprocess.run([MAILER, '--once', '--batch', '0'], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 2)


if __name__ == '__main__':
    unittest.main()
