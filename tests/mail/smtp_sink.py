#!/usr/bin/python3
"""An SMTP sink for the mail worker's tests: writes each accepted message to a directory.

Run with /usr/bin/python3 (python3-aiosmtpd). Prints "ready <port>" on stdout once it listens,
then serves until killed. For message number k (counting DATA commands from 1) it writes the
marker file data-<k> when DATA arrives, then either stalls (--stall-first) and answers 451
without keeping the message, or waits --delay seconds and keeps it as <k>.eml (the raw message)
plus <k>.json (envelope sender and recipients), each written under a temporary name and renamed.
With --auth-reject it advertises AUTH, requires it, rejects every credential and writes an
auth-<n> marker per attempt. --starttls CERT KEY requires STARTTLS with that certificate;
--smtps CERT KEY speaks implicit TLS.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def write_atomic(path, data):
    tmp = os.path.join(os.path.dirname(path), '.' + os.path.basename(path) + '.tmp')
    with open(tmp, 'wb') as f:
        f.write(data)
    os.rename(tmp, path)


class Sink:
    def __init__(self, directory, stall_first, stall_seconds, delay):
        self.dir = directory
        self.stall_first = stall_first
        self.stall_seconds = stall_seconds
        self.delay = delay
        self.count = 0
        self.auths = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            k = self.count
        write_atomic(os.path.join(self.dir, 'data-%d' % k), b'')
        if k <= self.stall_first:
            await asyncio.sleep(self.stall_seconds)
            return '451 4.3.0 stalled on purpose'
        if self.delay:
            await asyncio.sleep(self.delay)
        meta = {'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos}
        write_atomic(os.path.join(self.dir, '%d.json' % k), json.dumps(meta).encode())
        write_atomic(os.path.join(self.dir, '%d.eml' % k), envelope.original_content)
        return '250 2.0.0 OK'

    def reject(self, server, session, envelope, mechanism, auth_data):
        with self.lock:
            self.auths += 1
            n = self.auths
        write_atomic(os.path.join(self.dir, 'auth-%d' % n), mechanism.encode())
        return AuthResult(success=False, handled=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--dir', required=True)
    ap.add_argument('--auth-reject', action='store_true')
    ap.add_argument('--stall-first', type=int, default=0)
    ap.add_argument('--stall-seconds', type=float, default=30.0)
    ap.add_argument('--delay', type=float, default=0.0)
    ap.add_argument('--starttls', nargs=2, metavar=('CERT', 'KEY'))
    ap.add_argument('--smtps', nargs=2, metavar=('CERT', 'KEY'))
    a = ap.parse_args()

    sink = Sink(a.dir, a.stall_first, a.stall_seconds, a.delay)
    kw = {}
    if a.auth_reject:
        kw = dict(authenticator=sink.reject, auth_required=True, auth_require_tls=False)
    if a.starttls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*a.starttls)
        kw.update(tls_context=ctx, require_starttls=True)
    if a.smtps:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*a.smtps)
        kw['ssl_context'] = ctx
    ctl = Controller(sink, hostname='127.0.0.1', port=a.port, **kw)
    ctl.start()
    print('ready %d' % a.port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        pass
    # a stalled handler must not hold up the exit
    os._exit(0)


if __name__ == '__main__':
    sys.exit(main())
