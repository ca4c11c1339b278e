"""Output paths checked before any work: nothing the tool did not make is ever overwritten.

Every command that writes a file (the engine's ``track``, ``batch``, ``export-csv``, ``import-csv``,
``contact-sheet`` and ``--preview``; the add-on's CSV export and headless batch ``-o``) calls :func:`check_output`
before it starts and :func:`remember_output` once the file is written. An existing file may be replaced only when

- the user asked for it (``overwrite=True``, the command line's ``--overwrite``), or
- it is the tool's own output: a file the caller's ``is_own`` recognises by its content (a take archive), or a
  file this tool wrote and nobody has changed since (its size and modification time are those recorded in the
  output ledger when it was written).

Anything else (an artist's ``.blend``, a recording from a phone, a file edited since) is left untouched and the
command stops with a message before doing any work. :func:`check_output` also checks what would otherwise fail
only at the end: the folder exists and a file can be created in it, and the path is not a folder.

The output ledger is a small JSON file in the user's state folder (``$FACEMOCAP_STATE_DIR``, else
``$XDG_STATE_HOME/facewarehouse_mocap``, else ``~/.local/state/facewarehouse_mocap``; ``%LOCALAPPDATA%`` on
Windows): ``{"files": {"/abs/path": [size, mtime_ns], ...}}``, the most recent :data:`LEDGER_MAX_ENTRIES`.
Losing it is harmless: the tool then asks for ``--overwrite`` where it would have replaced its own file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import InputError
from .writer_lock import writer_lock

__all__ = [
    "LEDGER_MAX_ENTRIES",
    "STATE_DIR_ENV",
    "check_output",
    "check_output_folder",
    "file_stamp",
    "is_remembered_output",
    "ledger_path",
    "remember_output",
]

STATE_DIR_ENV = "FACEMOCAP_STATE_DIR"
"""Environment variable naming the folder of the output ledger (tests and studio set-ups point it elsewhere)."""
LEDGER_MAX_ENTRIES = 5000
"""Files remembered at most (the oldest are forgotten first)."""
LEDGER_WAIT_S = 10.0
"""How long a write of the ledger waits for another process writing it (each holds it for milliseconds)."""
_LEDGER_NAME = "outputs.json"


def ledger_path() -> Path:
    """The output ledger's file (its folder may not exist yet)."""
    if os.environ.get(STATE_DIR_ENV):
        folder = Path(os.environ[STATE_DIR_ENV])
    elif os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        folder = Path(os.environ["LOCALAPPDATA"]) / "facewarehouse_mocap"
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        folder = Path(base) / "facewarehouse_mocap"
    return folder / _LEDGER_NAME


def _read_ledger() -> dict[str, list[int]]:
    try:
        data = json.loads(ledger_path().read_text(encoding="utf-8"))
        files = data.get("files", {}) if isinstance(data, dict) else {}
        return (
            {k: v for k, v in files.items() if isinstance(v, list) and len(v) == 2} if isinstance(files, dict) else {}
        )
    except (OSError, ValueError):
        return {}


def file_stamp(path: Path) -> list[int] | None:
    """``[size, mtime_ns]`` of a file (tells whether it changed since it was recorded), or None if unreadable."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [int(st.st_size), int(st.st_mtime_ns)]


def is_remembered_output(path: str | Path) -> bool:
    """True if the tool wrote ``path`` and it has not changed since (same size and modification time)."""
    p = Path(path).resolve()
    sig = file_stamp(p)
    return sig is not None and _read_ledger().get(str(p)) == sig


def remember_output(path: str | Path) -> None:
    """Record that the tool has just written ``path``. Never raises: an unwritable ledger only means that a
    later run asks for ``--overwrite`` before replacing this file.
    """
    p = Path(path).resolve()
    sig = file_stamp(p)
    if sig is None:
        return
    ledger = ledger_path()
    try:
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with writer_lock(ledger, LEDGER_WAIT_S, writer="process of this tool"):  # many batches finishing at once
            files = _read_ledger()
            files.pop(str(p), None)
            files[str(p)] = sig
            if len(files) > LEDGER_MAX_ENTRIES:
                files = dict(list(files.items())[-LEDGER_MAX_ENTRIES:])
            fd, tmp = tempfile.mkstemp(prefix=".outputs.", suffix=".tmp", dir=ledger.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"files": files}, f)
            os.replace(tmp, ledger)
    except (OSError, InputError):
        pass


def check_output_folder(folder: str | Path, *, what: str = "output") -> Path:
    """Check that files can be created in ``folder`` (it exists, is a folder, and accepts a new file).

    Returns:
        The folder, resolved.

    Raises:
        InputError: it does not exist, is not a folder, or refuses a new file (read-only, no permission).
    """
    folder = Path(folder).resolve()
    if not folder.exists():
        raise InputError(f"cannot write the {what}: folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"cannot write the {what}: {folder} is not a folder")
    try:  # os.access is not enough: root passes it on read-only file systems
        fd, probe = tempfile.mkstemp(prefix=".facemocap-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise InputError(f"cannot write the {what} into {folder}: {err.strerror or err}") from None
    return folder


def check_output(
    path: str | Path,
    *,
    overwrite: bool = False,
    is_own: Callable[[Path], bool] | None = None,
    what: str = "output",
    suffixes: tuple[str, ...] = (),
    overwrite_hint: str = "pass --overwrite",
) -> Path:
    """Check, before any work, that ``path`` can be written without replacing a file the tool did not make.

    Args:
        path: the file about to be written.
        overwrite: the user allows replacing any existing file (``--overwrite``).
        is_own: recognises the tool's own files by content (e.g. "is a take archive"); None: only the ledger.
        what: what the file is, for messages (``"take"``, ``"preview"``, ...).
        suffixes: allowed suffixes (lower case, with the dot); empty = any.
        overwrite_hint: how the user allows replacing a file, for the message (the add-on: "tick Overwrite").

    Returns:
        The path, resolved.

    Raises:
        InputError: a wrong suffix, a missing or unwritable folder, a folder at ``path``, or an existing file that
            is not the tool's own output (without ``overwrite``); the message says what to do.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "artist.blend").write_bytes(b"BLENDER")
        >>> check_output(folder / "artist.blend", what="file")
        Traceback (most recent call last):
        ...
        engine.contract.errors.InputError: ...artist.blend exists and was not written by this tool; ...
    """
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"the {what} must end in {' or '.join(suffixes)}: {p}")
    folder = check_output_folder(p.parent if str(p.parent) else ".", what=what)
    p = folder / p.name
    if p.is_dir():
        raise InputError(f"cannot write the {what}: {p} is a folder")
    if overwrite or not p.exists():
        return p
    if is_remembered_output(p) or (is_own is not None and _safe_is_own(is_own, p)):
        return p
    raise InputError(
        f"{p} exists and was not written by this tool; it is left untouched: choose another name, "
        f"or {overwrite_hint} to replace it"
    )


def _safe_is_own(is_own: Callable[[Path], bool], path: Path) -> bool:
    try:
        return bool(is_own(path))
    except (OSError, ValueError):
        return False
