"""Where the engine <-> add-on contract comes from: ``contract/`` inside the built extension, else ``engine/contract``.

``build_addon.py`` copies ``engine/contract/`` into the zip as the subpackage ``contract/`` (stdlib + numpy, no
other part of the engine); in a repository checkout the engine's own ``engine.contract`` is used, so the contract
lives once in git. This is the only way the add-on reaches engine code (``tests/test_import_boundaries.py``).
"""

from __future__ import annotations

try:  # the installed extension: the contract is vendored beside this file
    from .contract import (
        atomic_write,
        engine_requests,
        errors,
        face_head,
        frames,
        gap_bridging,
        gaze,
        key_reduction,
        livelink_csv,
        one_euro,
        output_guard,
        partial_take,
        progress_events,
        quaternion,
        take,
        take_io,
        takes_record,
        version,
        writer_lock,
    )
except ModuleNotFoundError as err:  # a repository checkout: no vendored copy, use engine/contract
    if err.name != f"{__package__}.contract":
        raise
    from engine.contract import (  # type: ignore[no-redef]
        atomic_write,
        engine_requests,
        errors,
        face_head,
        frames,
        gap_bridging,
        gaze,
        key_reduction,
        livelink_csv,
        one_euro,
        output_guard,
        partial_take,
        progress_events,
        quaternion,
        take,
        take_io,
        takes_record,
        version,
        writer_lock,
    )

__all__ = [
    "atomic_write",
    "engine_requests",
    "errors",
    "face_head",
    "frames",
    "gap_bridging",
    "gaze",
    "key_reduction",
    "livelink_csv",
    "one_euro",
    "output_guard",
    "partial_take",
    "progress_events",
    "quaternion",
    "take",
    "take_io",
    "takes_record",
    "version",
    "writer_lock",
]
