"""Write a file atomically: a temporary file in the same folder, then ``os.replace`` over the destination.

A reader never sees a half-written file, and an interrupted write leaves the old file (or nothing) in place. The
new file gets the user's default permissions (``0o666 & ~umask``), like any file the user's programs write, not
the ``0o600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_write", "default_file_mode"]


def default_file_mode() -> int:
    """The mode a new file gets from the user's umask: ``0o666 & ~umask`` (e.g. ``0o644`` for umask ``022``)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path: str | Path) -> Iterator[Path]:
    """Give the caller a temporary path to write; move it over ``path`` when the block ends without an error.

    The temporary file sits in the destination folder (so the final ``os.replace`` is atomic) and keeps the
    destination's suffix (so writers that add a missing suffix, such as ``np.savez``, write it by name).

    Args:
        path: the destination file.

    Yields:
        The temporary file's path (an empty file). Write it by name; it is removed if the block raises.

    Raises:
        InputError: the destination folder does not exist or is not writable.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with atomic_write(folder / "a.txt") as tmp:
        ...     _ = tmp.write_text("hello")
        >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
        ('hello', ['a.txt'])
    """
    path = Path(path).resolve()
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())  # mkstemp made it 0600; the result is an ordinary file of the user's
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
