"""Write a file atomically: a temporary file in the same folder, then ``os.replace`` over the destination.

A reader never sees a half-written file, and an interrupted write leaves the old file (or nothing) in place. The
new file gets the user's default permissions (``0o666 & ~umask``), like any file the user's programs write, not
the ``0o600`` of :func:`tempfile.mkstemp`. A write that fails (a full disk, a quota, a removed folder) raises an
:class:`~.errors.InputError` naming the file and the reason, and leaves no temporary file behind.

The temporary file is named ``.<stem>.<pid>.<random>.tmp<suffix>``. A process killed while writing (SIGKILL, power
loss) cannot remove it; the next write into that folder for the same destination removes every such file whose
process is gone (:func:`remove_stale_temporaries`). A written file is recorded as the tool's own output
(:func:`.output_guard.remember_output`), so a later run may replace it without ``--overwrite``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError
from .output_guard import remember_output

__all__ = [
    "MAX_NAME_BYTES",
    "NAME_OVERHEAD",
    "atomic_write",
    "default_file_mode",
    "remove_stale_temporaries",
    "temporary_name_pattern",
]

MAX_NAME_BYTES = 255
"""A file name's limit on Linux, macOS and Windows file systems (bytes, UTF-8)."""
NAME_OVERHEAD = 22
"""How much longer the temporary name is than the file's: ``.<stem>.<pid>.<8 random>.tmp<suffix>`` with a 7-digit
pid (Blender saving a .blend through it adds an ``@``)."""


def default_file_mode() -> int:
    """The mode a new file gets from the user's umask: ``0o666 & ~umask`` (e.g. ``0o644`` for umask ``022``)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def temporary_name_pattern(path: Path) -> re.Pattern[str]:
    """The names of the temporary files :func:`atomic_write` makes for ``path`` (and Blender's ``@`` file while it
    saves a .blend through one); group 1 is the writer's pid.

    Example:
        >>> pattern = temporary_name_pattern(Path("shot.blend"))
        >>> bool(pattern.fullmatch(".shot.4242.k2j_9x1q.tmp.blend")), bool(pattern.fullmatch(".shot.42.ab.tmp.blend@"))
        (True, True)
    """
    return re.compile(re.escape(f".{path.stem}.") + r"(\d+)\.[A-Za-z0-9_]+" + re.escape(f".tmp{path.suffix}") + "@?")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process (or unknowable): keep its file
    return True


def remove_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left in its folder; returns those removed.

    Only files named by :func:`temporary_name_pattern` whose process no longer runs are removed.
    """
    path = Path(path)
    pattern = temporary_name_pattern(path)
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match and not _process_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                candidate.unlink()
                removed.append(candidate)
    return removed


@contextlib.contextmanager
def atomic_write(path: str | Path, *, remember: bool = True) -> Iterator[Path]:
    """Give the caller a temporary path to write; move it over ``path`` when the block ends without an error.

    The temporary file sits in the destination folder (so the final ``os.replace`` is atomic) and keeps the
    destination's suffix (so writers that add a missing suffix, such as ``np.savez``, write it by name).

    Args:
        path: the destination file.
        remember: record the file as the tool's own output (:func:`.output_guard.remember_output`); False for
            internal bookkeeping files (a partial take's manifest), which no user names as an output.

    Yields:
        The temporary file's path (an empty file). Write it by name; it is removed if the block raises.

    Raises:
        InputError: the destination folder does not exist or is not writable, or writing failed (e.g. the disk
            is full); nothing is left behind and an existing destination is unchanged.

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
    remove_stale_temporaries(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.{os.getpid()}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, default_file_mode())  # mkstemp made it 0600; the result is an ordinary file of the user's
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        reason = err.strerror or str(err)
        raise InputError(f"cannot write {path}: {reason}; nothing was written (an earlier file is unchanged)") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if remember:
        remember_output(path)
