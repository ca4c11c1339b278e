"""Open a take file for baking: an engine take (``.npz``) or a Live Link Face CSV (``.csv``), with a small cache so
re-baking with new settings does not re-read the file (no bpy).

Both kinds are read by the contract's one reader (:mod:`engine.contract.take_io`,
:mod:`engine.contract.livelink_csv`) and become a contract :class:`~engine.contract.take.Take`. Where the add-on
deliberately differs from the engine it says so here: frames with a repeated timestamp are dropped (two keys on
one frame otherwise), and a CSV keeps its ARKit-52 channels (baked onto an ARKit rig without a round trip through
FaceWarehouse-46).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

from .._contract import errors, livelink_csv, take, take_io

__all__ = ["TAKE_EXTENSIONS", "OpenedTake", "open_take"]

TAKE_EXTENSIONS = (take_io.TAKE_SUFFIX, ".csv")


@dataclasses.dataclass(frozen=True, eq=False)
class OpenedTake:
    """A take file opened for baking.

    Attributes:
        name: the file's stem; Actions are named after it.
        path: the file.
        take: the take; ``take.channel_names`` are the FaceWarehouse-46 list, or the ARKit-52 list for a CSV.
        channel_list: ``"facewarehouse46"`` or ``"arkit52"``: which canonical list the channels are.
        warnings: what was repaired on opening (shown in the bake report).
    """

    name: str
    path: str
    take: take.Take
    channel_list: str
    warnings: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4)
def _open_cached(path: str, mtime_ns: int, size: int) -> OpenedTake:
    p = Path(path)
    if p.suffix.lower() == ".csv":
        opened, channel_list = livelink_csv.livelink_csv_to_take(p, channels="arkit52"), "arkit52"
    else:
        opened, channel_list = take_io.load_take(p, landmarks=False), "facewarehouse46"  # baking needs none
    opened, dropped = take.without_repeated_timestamps(opened)
    warnings = tuple(str(n) for n in opened.meta.get("notices", []) if p.suffix.lower() == ".csv")  # repairs
    warnings += (f"time: {dropped} frames with a repeated timestamp dropped",) if dropped else ()
    return OpenedTake(p.stem, str(p), opened, channel_list, warnings)


def open_take(path: str | Path) -> OpenedTake:
    """Open and validate a take file (``.npz``) or Live Link Face CSV (``.csv``).

    Raises:
        errors.InputError: no path, a missing file or an unknown extension.
        errors.TakeFormatError: the file breaks the take schema or the CSV format (the message says how).
    """
    p = Path(path)
    if not str(path):
        raise errors.InputError("no take chosen: pick a take file (.npz or .csv) or track a video first")
    if p.suffix.lower() not in TAKE_EXTENSIONS:
        raise errors.InputError(f"{p.name}: not a take (.npz) or a Live Link Face CSV (.csv)")
    try:
        st = os.stat(p)
    except OSError:
        raise errors.InputError(f"take file not found: {p}") from None
    return _open_cached(str(p.resolve()), st.st_mtime_ns, st.st_size)
