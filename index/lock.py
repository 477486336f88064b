"""The single-writer lock of an index folder.

An `flock` on `write.lock`: the kernel releases it when the holder dies, even by
kill -9, so a crashed build never blocks the next one. The holder's pid is written into
the file only to name it in the "already running" message.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from index.errors import BuildLocked

LOCK_NAME = "write.lock"


class WriterLock:
    """Exclusive, non-blocking writer lock; use as a context manager."""

    def __init__(self, index_dir: Path, wait_seconds: float = 0.0) -> None:
        self.path = index_dir / LOCK_NAME
        self.wait_seconds = wait_seconds
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
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
