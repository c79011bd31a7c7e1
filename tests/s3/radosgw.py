"""A real S3 implementation for the tests: Ceph radosgw on loopback, in a temporary directory.

One ceph-mon (msgr2 only, auth none, which needs `ms mon client mode = crc`), one ceph-osd with a
memstore object store, and radosgw with the beast frontend. A user with fixed keys and one bucket
are created. Every daemon runs in the foreground and is stopped by PID; nothing is written outside
the temporary directory. radosgw verifies SigV4 signatures and x-amz-content-sha256.

    gw = RadosGW().start()      # gw.endpoint, gw.access_key, gw.secret_key, gw.bucket
    gw.request("GET", "/bucket/key") -> (status, headers, body)   # SigV4-signed, independent of libcurl
    gw.stop()
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import uuid

from harness import free_port, stop_pid, wait_for

DAEMONS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool")


def available():
    return all(shutil.which(d) for d in DAEMONS)


def _die_with_parent():
    """preexec_fn: the daemon gets SIGTERM if the test process dies without stopping it."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


class RadosGW:
    def __init__(self, bucket="thumbs", region="us-east-1"):
        self.dir = tempfile.mkdtemp(prefix="authcgi-rgw-")
        self.mon_port = free_port()
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.bucket = bucket
        self.region = region
        self.access_key = "AUTHCGITESTKEY" + uuid.uuid4().hex[:6].upper()
        self.secret_key = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self.conf = os.path.join(self.dir, "ceph.conf")
        self.procs = {}
        self.startup_seconds = None

    # -- configuration -------------------------------------------------------------------------
    def _write_conf(self, fsid):
        d = self.dir
        for sub in ("mon", "osd/0", "run", "log", "rgw", "crash"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        conf = """[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
run dir = {d}/run
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
crash dir = {d}/crash
keyring = {d}/keyring
mon cluster log file = default={d}/log/$cluster.$channel.log cluster={d}/log/$cluster.log
mon data = {d}/mon/$id
mon data avail crit = 0
mon data avail warn = 0
paxos propose interval = 0.05
paxos min wait = 0.01
mon allow pool size one = true
mon warn on pool no redundancy = false
osd data = {d}/osd/$id
osd objectstore = memstore
memstore device bytes = 268435456
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{port}
rgw data = {d}/rgw
rgw thread pool size = 16
""".format(fsid=fsid, mon_port=self.mon_port, port=self.port, d=d)
        with open(self.conf, "w") as f:
            f.write(conf)

    def _run(self, *args, timeout=60, check=True):
        env = dict(os.environ, CEPH_CONF=self.conf)
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, env=env,
                             cwd=self.dir)
        if check and out.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (" ".join(args), out.returncode,
                                                         out.stdout[-2000:], out.stderr[-2000:]))
        return out

    def _ceph(self, *args, timeout=30):
        return self._run("ceph", "-c", self.conf, "--connect-timeout", "10", *args,
                         timeout=timeout)

    def _daemon(self, name, *args):
        log = open(os.path.join(self.dir, "log", name + ".out"), "ab")
        try:
            self.procs[name] = subprocess.Popen(list(args), stdout=log, stderr=log,
                                                stdin=subprocess.DEVNULL, cwd=self.dir,
                                                env=dict(os.environ, CEPH_CONF=self.conf),
                                                preexec_fn=_die_with_parent)
        finally:
            log.close()

    def _alive(self, name):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            raise RuntimeError("%s exited early:\n%s" % (name, self.logs()))
        return True

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, timeout=120):
        t0 = time.monotonic()
        try:
            self._start(timeout)
        except BaseException:
            self.stop(keep_dir=os.environ.get("KEEP_RGW_DIR") == "1")
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _start(self, timeout):
        fsid = str(uuid.uuid4())
        self._write_conf(fsid)
        monmap = os.path.join(self.dir, "monmap")
        self._run("monmaptool", "--create", "--fsid", fsid, "--addv", "a",
                  "[v2:127.0.0.1:%d]" % self.mon_port, monmap)
        self._run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap)
        self._daemon("mon", "ceph-mon", "-c", self.conf, "-i", "a", "-f")

        def mon_up():
            self._alive("mon")
            return self._run("ceph", "-c", self.conf, "--connect-timeout", "2", "mon", "stat",
                             timeout=15, check=False).returncode == 0
        wait_for(mon_up, timeout=timeout, what="ceph-mon")

        osd_id = self._ceph("osd", "create").stdout.strip()
        if osd_id != "0":
            raise RuntimeError("unexpected osd id %r" % osd_id)
        self._run("ceph-osd", "-c", self.conf, "-i", "0", "--mkfs")
        self._daemon("osd", "ceph-osd", "-c", self.conf, "-i", "0", "-f")

        def osd_up():
            self._alive("osd")
            out = self._ceph("osd", "stat", "-f", "json").stdout
            return json.loads(out).get("num_up_osds") == 1
        wait_for(osd_up, timeout=timeout, what="ceph-osd")

        self._daemon("rgw", "radosgw", "-c", self.conf, "-n", "client.rgw", "-f")

        def rgw_up():
            self._alive("rgw")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                return True
            except OSError:
                time.sleep(0.2)
                return False
        wait_for(rgw_up, timeout=timeout, what="radosgw")

        self._run("radosgw-admin", "-c", self.conf, "user", "create", "--uid", "authcgi",
                  "--display-name", "authcgi tests", "--access-key", self.access_key,
                  "--secret", self.secret_key)
        status, _, body = self.request("PUT", "/" + self.bucket)
        if status != 200:
            raise RuntimeError("bucket creation failed: %d %r" % (status, body))

    def stop(self, keep_dir=False):
        # radosgw first, then the OSD while the monitor can still acknowledge its shutdown.
        for name in ("rgw", "osd", "mon"):
            stop_pid(self.procs.pop(name, None), timeout=15)
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self, tail=3000):
        out = []
        logdir = os.path.join(self.dir, "log")
        for name in sorted(os.listdir(logdir)) if os.path.isdir(logdir) else []:
            with open(os.path.join(logdir, name), errors="replace") as f:
                out.append("== %s\n%s" % (name, f.read()[-tail:]))
        return "\n".join(out)

    # -- a small SigV4 client (Python only, so it checks libcurl's signing independently) -------
    def request(self, method, path, body=b"", headers=None, secret=None):
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        host = "127.0.0.1:%d" % self.port
        h = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
        for k, v in (headers or {}).items():
            h[k.lower()] = v
        canon_path = urllib.parse.quote(path, safe="/~")
        signed = sorted(h)
        canonical = "\n".join([method, canon_path, "",
                               "".join("%s:%s\n" % (k, h[k].strip()) for k in signed),
                               ";".join(signed), payload])
        scope = "%s/%s/s3/aws4_request" % (day, self.region)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = _sign(("AWS4" + (secret or self.secret_key)).encode(), day)
        k = _sign(_sign(_sign(k, self.region), "s3"), "aws4_request")
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        h["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                              % (self.access_key, scope, ";".join(signed), sig))
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, canon_path, body=body, headers=h)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def object_path(self, stored_name):
        return "/%s/media/users/django-auth/%s" % (self.bucket, stored_name)

    def get_public(self, path):
        """An anonymous GET, as a browser would fetch the thumbnail URL."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def keys(self, prefix="media/"):
        status, _, body = self.request("GET", "/%s" % self.bucket)
        if status != 200:
            raise RuntimeError("list failed: %d %r" % (status, body))
        import re
        return sorted(k for k in re.findall(r"<Key>([^<]*)</Key>", body.decode())
                      if k.startswith(prefix))


if __name__ == "__main__":
    gw = RadosGW().start()
    print("radosgw up at %s in %.1f s" % (gw.endpoint, gw.startup_seconds))
    gw.stop()
