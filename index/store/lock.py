"""The single-writer lock of an index folder.

An `flock` on `write.lock`: the kernel releases it when the holder dies, even by
kill -9, so a crashed build never blocks the next one. The holder's pid is written into
the file only to name it in the "already running" message.

The lock file is opened without following a link and without blocking, and refused
unless it is a regular file: a link would make the pid write truncate whatever it
points at, and a named pipe would block the open (or the read of the pid) forever.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import time
from pathlib import Path
from types import TracebackType

from index.errors import BuildLocked, IndexCorrupt

LOCK_NAME = "write.lock"


class WriterLock:
    """Exclusive, non-blocking writer lock; use as a context manager."""

    def __init__(self, index_dir: Path, wait_seconds: float = 0.0) -> None:
        self.path = index_dir / LOCK_NAME
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_lock_file(self.path, os.O_RDWR | os.O_CREAT)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_pid(fd)
                    os.close(fd)
                    who = f" (pid {holder})" if holder else ""
                    raise BuildLocked(
                        f"a build is already running{who} on {self.path.parent}"
                    ) from None
                time.sleep(0.05)
        self._fd = fd
        _write_pid(fd)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def open_lock_file(path: Path, flags: int) -> int:
    """A descriptor of the lock file, refusing (IndexCorrupt) a link or a non-regular file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise _not_a_lock(path, "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file")
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _not_a_lock(path, "a symbolic link") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_lock(path, "not a regular file")
    return fd


def _not_a_lock(path: Path, what: str) -> IndexCorrupt:
    return IndexCorrupt(f"{path}: the index's lock file is {what}; remove it and retry")


def _write_pid(fd: int) -> None:
    """Record our pid for the "already running" message; best effort, never fatal.

    Written padded in place over the previous holder's, so that on a full disk it needs
    no new block; if it fails anyway the lock is still held and the message omits the pid.
    """
    text = f"{os.getpid():<20}".encode()
    try:
        os.pwrite(fd, text, 0)
        os.ftruncate(fd, len(text))
    except OSError:
        pass


def _read_pid(fd: int) -> int | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def wait_for_writer(index_dir: Path) -> None:
    """Block until no process holds the writer lock of `index_dir` (at once if none does).

    A shared `flock` waits out the exclusive one a build holds, and is dropped at once:
    the waiter only wants to know the build ended (committed or failed). Interruptible
    by Ctrl-C like any blocking call.
    """
    try:
        fd = open_lock_file(index_dir / LOCK_NAME, os.O_RDONLY)
    except (OSError, IndexCorrupt):
        return  # no lock file (nobody has ever built here), or none a build could hold
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)


def writer_busy(index_dir: Path) -> bool:
    """Whether a process holds the writer lock of `index_dir` right now."""
    try:
        fd = open_lock_file(index_dir / LOCK_NAME, os.O_RDONLY)
    except (OSError, IndexCorrupt):
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
