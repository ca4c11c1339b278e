"""Which take file a tracked clip gets in the takes folder, so that two clips of the same name never share one.

The Track button writes ``<takes folder>/<clip stem>.npz``. Two clips named alike (``day1/shot.mp4`` and
``day2/shot.mp4``) would write the same file, and the second would replace the first's take. So the folder keeps a
small index, :data:`INDEX_NAME` (JSON, ``{"take file name": "the clip it was tracked from"}``): a clip tracked
again gets its own take back (a re-track replaces it, as asked); another clip of the same name gets ``shot_2.npz``,
``shot_3.npz``, ...; a take file the index does not know (copied in by hand, or the index lost) is never replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

from .._contract import atomic_write, errors

__all__ = ["INDEX_NAME", "remember_take_source", "take_file_for"]

INDEX_NAME = ".facemocap_takes.json"


def _index(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def take_file_for(folder: Path, source: str) -> Path:
    """The take file for clip ``source`` (an absolute path) in ``folder``: its own from an earlier track, else the
    first free ``<stem>.npz``, ``<stem>_2.npz``, ...

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> take_file_for(folder, "/day1/shot.mp4").name
    'shot.npz'
    >>> remember_take_source(folder / "shot.npz", "/day1/shot.mp4")
    >>> _ = (folder / "shot.npz").write_bytes(b"a take")
    >>> take_file_for(folder, "/day1/shot.mp4").name, take_file_for(folder, "/day2/shot.mp4").name
    ('shot.npz', 'shot_2.npz')
    """
    stem = Path(source.rstrip("/\\")).stem or "take"
    index = _index(folder)
    for n in range(1, 10_000):
        candidate = folder / (f"{stem}.npz" if n == 1 else f"{stem}_{n}.npz")
        known = index.get(candidate.name)
        if known == source or (known is None and not candidate.exists()):
            return candidate
    raise RuntimeError(f"no free take name for {stem} in {folder}")


def remember_take_source(take_file: Path, source: str) -> None:
    """Record in the folder's index that ``take_file`` is tracked from ``source`` (best effort: an unwritable index
    only means a later track of the same clip gets a new name).
    """
    folder = take_file.parent
    index = _index(folder)
    index[take_file.name] = source
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_write.atomic_write(folder / INDEX_NAME) as tmp:
            tmp.write_text(json.dumps(index, indent=1, sort_keys=True), encoding="utf-8")
    except (OSError, errors.UserError):
        pass
