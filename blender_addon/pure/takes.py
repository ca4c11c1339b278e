"""Open any supported take by its extension (``.npz`` engine take, ``.csv`` Live Link Face), with a small cache
so re-baking with new settings does not re-read the file (no bpy).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from .livelink_csv import livelink_to_take, read_livelink_csv
from .take_io import Take, TakeError, load_take

__all__ = ["TAKE_EXTENSIONS", "open_take"]

TAKE_EXTENSIONS = (".npz", ".csv")


@functools.lru_cache(maxsize=4)
def _open_cached(path: str, mtime_ns: int, size: int) -> Take:
    p = Path(path)
    if p.suffix.lower() == ".csv":
        return livelink_to_take(p.stem, read_livelink_csv(p), path=str(p))
    return load_take(p)


def open_take(path: str | Path) -> Take:
    """Load a take file (validated).

    Raises:
        TakeError: missing file, unknown extension, or invalid content.
    """
    p = Path(path)
    if not str(path):
        raise TakeError("no take chosen: pick a take file (.npz or .csv) or track a video first")
    if p.suffix.lower() not in TAKE_EXTENSIONS:
        raise TakeError(f"{p.name}: not a take (.npz) or a Live Link Face CSV (.csv)")
    try:
        st = os.stat(p)
    except OSError:
        raise TakeError(f"take file not found: {p}") from None
    return _open_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)
