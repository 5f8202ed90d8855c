"""A till's data directory: layout, the single-writer lock, the local shop pointer.

Everything in it is the shop's data (documents, the read model, the till's key), so it
is private to the user who runs the till: the directory and every directory in it
0700, every file 0600, however it was created. The UI may create the directory first,
with its own umask (the review found the read model and documents 0644/0755 then);
the engine checks and fixes the whole tree at start (:meth:`DataDir.secure`), and the
``countertop`` entry point sets a 077 umask so what it creates later is private too.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sync.doc_storage import write_atomic
from sync.errors import CommandRejected, DataDirLocked
from sync.file_names import ENGINE_INFO_FILE, LOCK_FILE, POINTER_FILE, READ_MODEL_FILE
from sync.ids import DocId, TillId

log = logging.getLogger("countertop.sync.data_dir")


def default_data_dir() -> Path:
    """``COUNTERTOP_DATA_DIR`` or the platform's per-user data dir."""
    env = os.environ.get("COUNTERTOP_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("countertop", appauthor=False))


@dataclass(frozen=True)
class ShopPointer:
    """Which shop document this till belongs to (written when a shop is created or joined)."""

    shop_doc: DocId
    till_id: TillId


class WriterLock:
    """An exclusive lock on the data dir (one writer per till); the holder's details
    are in the file, so a refused second writer can say who holds it.

    POSIX: ``flock`` on the whole file. Windows: ``msvcrt.locking`` on one byte far past
    the holder details (a locked range cannot be read there, and the details must stay
    readable). Either way the lock goes with the process, so a crash never leaves it
    held. The platform module is imported only on its platform.
    """

    #: where the Windows lock byte sits: past any holder details
    _WINDOWS_LOCK_AT = 1 << 20

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        self._fd: int | None = None

    def acquire(self, role: str) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd, self._WINDOWS_LOCK_AT):
            holder = _read_all(fd).decode("utf-8", "replace").strip()
            os.close(fd)
            try:
                info = json.loads(holder)
                who = (f"{info.get('role', 'a process')} (pid {info.get('pid')} on "
                       f"{info.get('host')}, since {info.get('since')})")
            except ValueError:
                who = "another process"
            raise DataDirLocked(f"data dir {self.path.parent} is in use by {who}") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "role": role,
                "since": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv[:4]}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(info).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock on both platforms
            self._fd = None


def _chmod(path: Path, mode: int) -> int:
    """Set ``path``'s permission bits to ``mode`` (not through symlinks); 1 if changed."""
    try:
        st = path.lstat()
        if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) == mode:
            return 0
        os.chmod(path, mode)
    except OSError:
        return 0
    return 1


def _try_lock(fd: int, windows_offset: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, windows_offset, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_all(fd: int, limit: int = 4096) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, limit)


class DataDir:
    """Paths inside a till's data dir."""

    def __init__(self, root: Path) -> None:
        self.root = root.expanduser().resolve()

    def ensure(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise CommandRejected(f"data dir {self.root} cannot be used: "
                                  f"{exc.strerror or exc}") from None
        self.secure()

    def secure(self) -> int:
        """Make the data dir 0700 and everything in it 0700 (directories) or 0600;
        returns how many modes it changed (logged). No-op on Windows, whose ACLs the
        per-user data dir already restricts."""
        if sys.platform == "win32":
            return 0
        fixed = _chmod(self.root, 0o700)
        for top, dirs, files in os.walk(self.root, followlinks=False):
            for name in dirs:
                fixed += _chmod(Path(top) / name, 0o700)
            for name in files:
                fixed += _chmod(Path(top) / name, 0o600)
        if fixed:
            log.warning("data dir %s: made %d files and directories private to this user",
                        self.root, fixed)
        return fixed

    @property
    def identity_dir(self) -> Path:
        return self.root / "identity"

    @property
    def read_model_path(self) -> Path:
        return self.root / READ_MODEL_FILE

    @property
    def engine_info_path(self) -> Path:
        return self.root / ENGINE_INFO_FILE

    def read_pointer(self) -> ShopPointer | None:
        path = self.root / POINTER_FILE
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        return ShopPointer(DocId(data["shop_doc"]), TillId(data["till_id"]))

    def write_pointer(self, pointer: ShopPointer) -> None:
        write_atomic(self.root / POINTER_FILE, json.dumps(
            {"shop_doc": pointer.shop_doc, "till_id": pointer.till_id}).encode())
