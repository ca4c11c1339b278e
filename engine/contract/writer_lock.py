"""One process writes a file at a time: an exclusive lock file beside a take while it is tracked, beside a baked
.blend while a batch bakes it (two batches with one ``-o`` each said "saved", and one's takes were gone).

A farm retries the task of a worker that died, on another worker, at once; the dead worker's engine process may
run on for a moment (:mod:`engine.farm.launch` stops it within about a second of its parent's death, or kills it
after ``TERMINATE_GRACE_S``). Both would write ``OUT.npz.partial``: the retry removes and re-creates the folder
while the old process still appends blocks and rewrites its manifest there, and the retry fails on a partial take
it no longer recognises (seen under load in ``tests/farm/test_farm_dask.py``'s killed-worker test). So a writer
holds ``OUT.npz.lock`` (an advisory ``flock``, released by the kernel when its process ends, however it ends) from
before the partial take is opened until the take is written; a second writer waits for it, up to a limit, and then
says who holds it.

POSIX only (``fcntl``): on Windows, and on a file system that has no locks (some network shares), no lock is taken,
and two writers of one file there still race. Part of the contract: the engine and the add-on's batch both hold it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["LOCK_SUFFIX", "WRITER_WAIT_S", "writer_lock", "writer_lock_path"]

LOCK_SUFFIX = ".lock"
WRITER_WAIT_S = 30.0
"""How long a track waits for another process still writing its take: a killed farm worker's engine stops within
about a second of its parent's death, or is killed 10 s later (:mod:`engine.farm.launch`)."""
_POLL_S = 0.1
_NO_LOCKS_HERE = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)  # a file system without flock


def writer_lock_path(output: str | Path) -> Path:
    """The lock file of an output: ``clip.npz`` -> ``clip.npz.lock``."""
    p = Path(output)
    return p.with_name(p.name + LOCK_SUFFIX)


@contextlib.contextmanager
def writer_lock(output: str | Path, wait_s: float, *, writer: str = "engine process") -> Iterator[None]:
    """Hold ``output``'s writer lock for the ``with`` block, waiting up to ``wait_s`` seconds for another writer.

    Args:
        writer: what the other writer is, for the message ("another engine process is writing ...").

    Raises:
        InputError: another process still holds the lock after ``wait_s`` seconds, or the lock file cannot be made.
    """
    if fcntl is None:
        yield
        return
    path = writer_lock_path(output)
    fd = _acquire(path, wait_s, writer)
    if fd is None:  # a file system without locks (some network shares): tracked unlocked, as before the lock
        yield
        return
    try:
        yield
    finally:
        # While still held: a waiter that opened this file finds it gone and opens a new one. A folder made read-only
        # meanwhile keeps the file (harmless: the lock is the kernel's) and must not hide why the take failed.
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _acquire(path: Path, wait_s: float, writer: str) -> int | None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise InputError(f"cannot make the lock file {path}: {err.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise InputError(
                    f"another {writer} is writing {path.name[: -len(LOCK_SUFFIX)]} (it holds {path.name}; "
                    f"waited {wait_s:g} s): wait for it to finish or stop it, then try again"
                ) from None
            time.sleep(_POLL_S)
            continue
        except OSError as err:
            if err.errno not in _NO_LOCKS_HERE:
                raise
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        if _still_at(path, fd):
            os.truncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # for a person looking: which process writes the file
            return fd
        os.close(fd)  # the holder finished and removed the file we had opened: try the new one


def _still_at(path: Path, fd: int) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
