"""API.md §5 in Python, independent of the C code: uidb64, base36 timestamps and HMAC tokens."""
import base64
import hashlib
import hmac
import time

from harness import SECRET

TOK_EPOCH = 978307200
SALTS = {
    "activation": "auth.tokens.activation",
    "link": "auth.tokens.password-reset",
    "form": "auth.tokens.password-reset-form",
}


def b36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def uidb64(uid):
    return base64.urlsafe_b64encode(uid.encode()).decode().rstrip("=")


def now_ts():
    return int(time.time()) - TOK_EPOCH


def compute_token(salt, uid, password, last_login, email, active, ts, secret=SECRET):
    """A token per §5.2/§5.3. salt is a key salt or one of the SALTS names."""
    key = hashlib.sha256((SALTS.get(salt, salt) + secret).encode()).digest()
    login = "" if last_login is None else last_login.replace("T", " ")[:19]
    msg = uid + password + login + str(ts) + email + ("True" if active else "False")
    mac = hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()
    return b36(ts) + "-" + mac[::2]
