"""One engine per store: an advisory file lock next to the database.

Two engines appending to one instance's history would interleave sequence numbers, so the
second engine refuses to start. The lock is released by the kernel when the process dies,
even by ``kill -9``, so a crashed engine never blocks its successor.
"""

from __future__ import annotations

import fcntl
import os

from builtin_engine._errors import StoreLockedError


class StoreLock:
    """An exclusive ``flock`` on ``<identity>.lock``."""

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, identity: str) -> StoreLock:
        path = f"{identity}.lock"
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreLockedError(
                f"another workflow engine already runs on {identity}; use one engine per store "
                "(clients in other processes need no engine)"
            ) from None
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
