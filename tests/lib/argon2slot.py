"""Takes an Argon2 slot (lib/argon2_gate.c) the way a hashing process does: tests hold one."""
import ctypes
import fcntl
import os
import secrets

_libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_RMID, SETALL = 0o1000, 0o2000, 0o4000, 0, 17
SEM_UNDO = 0x1000
SUFFIX = "-argon2-sem"   # A2GATE_KEY_SUFFIX


class _Sembuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short), ("sem_flg", ctypes.c_short)]


def _key(fd):
    data = os.pread(fd, 32, 0).strip()
    return int(data) if data else 0


def semid(prefix, total=None):
    """The gate's semaphore set for prefix; created with total slots as the programs would
    (owned by the directory's owner) when total is given and there is none yet. None if none."""
    path = prefix + SUFFIX
    if total is None and not os.path.exists(path):
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        key = _key(fd)
        sid = _libc.semget(key, 0, 0) if key else -1
        if sid >= 0 or total is None:
            return sid if sid >= 0 else None
        while sid < 0:
            key = secrets.randbelow(0x7fffffff) + 1
            sid = _libc.semget(key, 2, IPC_CREAT | IPC_EXCL | 0o600)
        init = (ctypes.c_ushort * 2)(total, total)
        if _libc.semctl(sid, 0, SETALL, init) != 0:
            raise OSError(ctypes.get_errno(), "semctl SETALL")
        owner = os.stat(os.path.dirname(path) or ".")
        if os.geteuid() == 0 and owner.st_uid != 0:
            os.fchown(fd, owner.st_uid, owner.st_gid)
            _set_owner(sid, owner.st_uid, owner.st_gid)
        os.ftruncate(fd, 0)
        os.pwrite(fd, b"%d\n" % key, 0)
        return sid
    finally:
        os.close(fd)


def _set_owner(sid, uid, gid):
    # struct semid_ds starts with struct ipc_perm: key, uid, gid, cuid, cgid, mode (x86-64/glibc)
    buf = (ctypes.c_char * 256)()
    if _libc.semctl(sid, 0, 2, buf) != 0:   # IPC_STAT
        raise OSError(ctypes.get_errno(), "semctl IPC_STAT")
    perm = (ctypes.c_uint32 * 6).from_buffer(buf)
    perm[1], perm[2] = uid, gid
    if _libc.semctl(sid, 0, 1, buf) != 0:   # IPC_SET
        raise OSError(ctypes.get_errno(), "semctl IPC_SET")


class Slot:
    """One slot of the gate at prefix, held until release() (or this process's exit)."""

    def __init__(self, prefix, total=1):
        self.sid = semid(prefix, total)
        op = _Sembuf(0, -1, IPC_NOWAIT | SEM_UNDO)
        if _libc.semop(self.sid, ctypes.byref(op), 1) != 0:
            raise OSError(ctypes.get_errno(), "no free Argon2 slot")
        self.held = True

    def release(self):
        if self.held:
            op = _Sembuf(0, 1, SEM_UNDO)
            _libc.semop(self.sid, ctypes.byref(op), 1)
            self.held = False


def remove(prefix):
    """Removes the gate's set and key file (sets outlive every process; tests clean up)."""
    sid = semid(prefix)
    if sid is not None:
        _libc.semctl(sid, 0, IPC_RMID)
    try:
        os.unlink(prefix + SUFFIX)
    except FileNotFoundError:
        pass
