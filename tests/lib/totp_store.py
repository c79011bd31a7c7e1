"""A confirmed second factor written straight into the database, as lib/twofactor stores it, and
RFC 6238 codes for it: for tests of endpoints that check a code (API.md §11.1, §11.2, §12.1)."""
import base64
import hashlib
import hmac
import os
import struct
import time

from harness import SECRET


# -- a confirmed second factor written the way lib/twofactor stores it (API.md §11.1, §11.2) --

def totp(secret, t=None):
    """RFC 6238: HMAC-SHA1, 6 digits, 30-second steps."""
    counter = int((time.time() if t is None else t) // 30)
    mac = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def enable_two_factor(stack, uid, codes=10):
    """Stores a confirmed TOTP secret (sealed with AES-256-GCM under the key of §11.1) and a set
    of recovery codes for uid. Returns (secret bytes, sealed column, [recovery codes])."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    secret = os.urandom(20)
    base = hashlib.sha256(b"auth.totp" + SECRET.encode()).digest()
    key = hmac.new(base, b"encryption", hashlib.sha256).digest()
    nonce = os.urandom(12)
    sealed = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, secret, None)).decode()
    hexid = uid.replace("-", "")
    stack.sql("INSERT INTO auth_totp (user_id, secret, confirmed_at, last_step, created_at) "
              "VALUES (?, ?, ?, 0, ?)", (hexid, sealed, "2026-01-01 00:00:00", "2026-01-01 00:00:00"))
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    plain = []
    for _ in range(codes):
        c = "".join(alphabet[b % len(alphabet)] for b in os.urandom(10))
        plain.append(c[:5] + "-" + c[5:])
        stack.sql("INSERT INTO auth_recovery_code (user_id, code_hash, used_at) VALUES (?, ?, NULL)",
                  (hexid, hashlib.sha256(c.encode()).hexdigest()))
    return secret, sealed, plain
