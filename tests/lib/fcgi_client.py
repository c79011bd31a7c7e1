"""A small FastCGI client for the tests and the benchmark: spawns a program as a FastCGI responder
the way a process manager does (a listening Unix socket as its fd 0) and talks the protocol."""
import os
import socket
import struct
import subprocess

BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR, DATA = range(1, 9)
GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE = 9, 10, 11
RESPONDER, AUTHORIZER = 1, 2
KEEP_CONN = 1


def record(rtype, rid, content=b"", padding=0, version=1):
    return struct.pack(">BBHHBB", version, rtype, rid, len(content), padding, 0) + content + b"\0" * padding


def nv_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pairs(items):
    out = b""
    for k, v in items:
        k = k.encode() if isinstance(k, str) else k
        v = v.encode() if isinstance(v, str) else v
        out += nv_len(len(k)) + nv_len(len(v)) + k + v
    return out


def parse_pairs(data):
    out, pos = {}, 0
    while pos < len(data):
        lens = []
        for _ in range(2):
            if data[pos] & 0x80:
                lens.append(struct.unpack(">I", data[pos:pos + 4])[0] & 0x7fffffff)
                pos += 4
            else:
                lens.append(data[pos])
                pos += 1
        k = data[pos:pos + lens[0]]
        v = data[pos + lens[0]:pos + lens[0] + lens[1]]
        out[k.decode()] = v.decode()
        pos += lens[0] + lens[1]
    return out


def stream(rtype, rid, data, chunk=65535):
    """data as records of at most chunk bytes, then the empty record that ends the stream."""
    out = b""
    for i in range(0, len(data), chunk):
        out += record(rtype, rid, data[i:i + chunk])
    return out + record(rtype, rid)


class Records:
    """Reads records from a connected socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed after %d of %d bytes" % (len(self.buf), n))
            self.buf += chunk

    def next(self):
        self._need(8)
        version, rtype, rid, clen, plen, _ = struct.unpack(">BBHHBB", self.buf[:8])
        self._need(8 + clen + plen)
        content = self.buf[8:8 + clen]
        self.buf = self.buf[8 + clen + plen:]
        return rtype, rid, content

    def closed(self, timeout=5):
        """True when the peer closes the connection with nothing more to read."""
        self.sock.settimeout(timeout)
        try:
            return not self.buf and self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False


class Answer:
    def __init__(self, stdout, stderr, app_status, protocol_status):
        self.stdout = stdout
        self.stderr = stderr
        self.app_status = app_status
        self.protocol_status = protocol_status


def read_answer(records, rid=1):
    out, err = b"", b""
    while True:
        rtype, r, content = records.next()
        if r != rid:
            raise AssertionError("record for request %d while waiting for %d" % (r, rid))
        if rtype == STDOUT:
            out += content
        elif rtype == STDERR:
            err += content
        elif rtype == END_REQUEST:
            app, proto = struct.unpack(">IB3x", content)
            return Answer(out, err, app, proto)
        else:
            raise AssertionError("unexpected record type %d" % rtype)


def request_bytes(params, body=b"", rid=1, keep=False, role=RESPONDER, stdin_chunk=65535):
    begin = record(BEGIN_REQUEST, rid, struct.pack(">HB5x", role, KEEP_CONN if keep else 0))
    return begin + stream(PARAMS, rid, pairs(params.items())) + stream(STDIN, rid, body, stdin_chunk)


class Responder:
    """A program started as a FastCGI responder on a fresh Unix socket (as lighttpd or mod_fcgid do)."""

    def __init__(self, program, sock_path, env, wrapper=(), stderr=None):
        self.path = sock_path
        if os.path.exists(sock_path):
            os.unlink(sock_path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(sock_path)
        self.listener.listen(64)
        self.proc = subprocess.Popen(list(wrapper) + [program], stdin=self.listener.fileno(),
                                     stdout=subprocess.DEVNULL,
                                     stderr=stderr if stderr is not None else subprocess.PIPE,
                                     env=env)
        self.listener.close()

    def connect(self, timeout=30):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.path)
        return s

    def request(self, params, body=b"", stdin_chunk=65535):
        """One request on its own connection (as lighttpd does); returns the Answer."""
        with self.connect() as s:
            s.sendall(request_bytes(params, body, stdin_chunk=stdin_chunk))
            return read_answer(Records(s))

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if os.path.exists(self.path):
            os.unlink(self.path)
        return self.proc.returncode


def cgi_response(raw):
    """(status, headers list, body) of a CGI response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = []
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(": ")
        headers.append((name, value))
    status = 200
    for n, v in headers:
        if n.lower() == "status":
            status = int(v.split()[0])
    return status, headers, body
