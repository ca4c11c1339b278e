"""Validation of take arrays against the schema of :mod:`.take`: every problem found, in words a user can act on.

Both sides validate the same way: the engine before it writes a take and when it reads one, the add-on when it
opens one (:func:`.take_io.load_take`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

import numpy as np

from ._rigs import rigs
from .take import ARRAY_SPECS, LANDMARK_COUNTS, META_KEYS, MODEL_LANDMARK_COUNTS, NO_LANDMARKS, SCHEMA_VERSION

__all__ = [
    "EYE_GAZE_LIMIT_RAD",
    "QUATERNION_NORM_TOLERANCE",
    "WEIGHT_TOLERANCE",
    "join_problems",
    "validate_take_arrays",
    "validate_take_shapes",
]

QUATERNION_NORM_TOLERANCE = 1e-3
"""Largest allowed ``| |q| - 1 |``; float32 round-off after renormalising is ~1e-7, so this only catches bugs."""
WEIGHT_TOLERANCE = 1e-4
"""Slack on [0, 1] ranges (weights, blink, confidence) for float32 round-off in filtering and mapping."""
EYE_GAZE_LIMIT_RAD = math.pi / 2
"""|yaw|, |pitch| of an eye beyond 90 degrees is not anatomically possible: a sign or unit (degrees) bug."""

_UNIT_RANGE_KEYS = ("expression", "expression_raw", "eye_blink", "eye_blink_raw", "confidence")
_QUATERNION_KEYS = ("head_rotation", "head_rotation_raw")
_GAZE_KEYS = ("eye_gaze", "eye_gaze_raw")
_NAN_ANYWHERE_KEYS = ("landmarks", "model_landmarks")


def validate_take_arrays(arrays: Mapping[str, np.ndarray]) -> list[str]:
    """Check arrays against the take schema and report every problem found.

    Checks presence, dtype and shape of every key, a consistent frame count T, the expression names, ranges
    (weights / blink / confidence in [0, 1] within :data:`WEIGHT_TOLERANCE`, unit quaternions within
    :data:`QUATERNION_NORM_TOLERANCE`, gaze within +-90 degrees), finiteness, time (starts at 0,
    non-decreasing) and ``meta`` (JSON, schema version, required keys). Keys not in the schema are ignored.

    Args:
        arrays: key -> array, as read from the archive.

    Returns:
        One message per problem (empty if valid), e.g. ``"'eye_blink' must be float32 (T, 2); got float64 (120, 3)"``.

    Example:
        >>> validate_take_arrays({"time": np.zeros(3)})[0]
        "missing 'expression' (float32 (T, 46))"
    """
    found = _shape_problems({k: (np.asarray(v).dtype, np.asarray(v).shape) for k, v in arrays.items()})
    bad = {key for key, _ in found}
    shaped_ok = {k: np.asarray(arrays[k]) for k in ARRAY_SPECS if k in arrays and k not in bad}
    return [message for _, message in found] + _check_values(shaped_ok)


def validate_take_shapes(declared: Mapping[str, tuple[np.dtype, tuple[int, ...]]]) -> list[str]:
    """The dtype and shape part of :func:`validate_take_arrays`, from declared dtypes and shapes alone.

    Readers call it with an archive's ``.npy`` headers before reading any data, so a take whose arrays disagree
    (e.g. ``landmarks`` declaring 10**9 frames beside a 100-frame ``time``) is refused without allocating them.

    Args:
        declared: key -> (dtype, shape).

    Returns:
        One message per problem (empty if every key is present with its schema dtype and shape).

    Example:
        >>> shapes = {"time": (np.dtype("float64"), (3,)), "confidence": (np.dtype("float32"), (4,))}
        >>> [p for p in validate_take_shapes(shapes) if "confidence" in p]
        ["'confidence' must be float32 (T,); got float32 (4,)"]
    """
    return [message for _, message in _shape_problems(declared)]


def _shape_problems(declared: Mapping[str, tuple[np.dtype, tuple[int, ...]]]) -> list[tuple[str, str]]:
    """(key, message) per problem; key "" for a problem of the whole take."""
    problems: list[tuple[str, str]] = []
    frames = _frame_count(declared)
    landmark_count = None
    for key, (dtype, pattern) in ARRAY_SPECS.items():
        if key not in declared:
            problems.append((key, f"missing {key!r} ({_describe(dtype, pattern)})"))
            continue
        got_dtype, shape = np.dtype(declared[key][0]), tuple(declared[key][1])
        dtype_ok = got_dtype.kind == "U" if dtype == "unicode" else got_dtype == np.dtype(dtype)
        if not (dtype_ok and _shape_matches(shape, pattern, frames)):
            got = "unicode" if got_dtype.kind == "U" else str(got_dtype)
            problems.append((key, f"{key!r} must be {_describe(dtype, pattern)}; got {got} {_shape_str(shape)}"))
        elif key == "landmarks":
            landmark_count = shape[1]
        elif key == "model_landmarks" and landmark_count is not None:
            if (shape[1] == NO_LANDMARKS) != (landmark_count == NO_LANDMARKS):
                message = (
                    f"'model_landmarks' must have {NO_LANDMARKS} points exactly when 'landmarks' has none; "
                    f"got {shape[1]} beside {landmark_count}"
                )
                problems.append((key, message))
    if frames is None:
        problems.append(("", "cannot tell the frame count T: 'time' must be a 1-D float64 array"))
    elif frames == 0:
        problems.append(("", "the take has no frames ('time' is empty); a take holds at least one frame"))
    return problems


def join_problems(problems: list[str]) -> str:
    """All problems as one line: the problem itself, or ``"3 problems: (1) ...; (2) ...; (3) ..."``."""
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems: " + "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))


def _frame_count(declared: Mapping[str, tuple[np.dtype, tuple[int, ...]]]) -> int | None:
    if "time" not in declared:
        return None
    dtype, shape = declared["time"]
    return int(shape[0]) if len(shape) == 1 and np.dtype(dtype) == np.float64 else None


def _shape_matches(shape: tuple[int, ...], pattern: tuple[int | str, ...], frames: int | None) -> bool:
    if len(shape) != len(pattern):
        return False
    for size, want in zip(shape, pattern, strict=False):
        if want == "T":
            if frames is not None and size != frames:
                return False
        elif want == "N":
            if size not in LANDMARK_COUNTS:
                return False
        elif want == "M":
            if size not in MODEL_LANDMARK_COUNTS:
                return False
        elif want != "K" and size != want:
            return False
    return True


def _describe(dtype: str, pattern: tuple[int | str, ...]) -> str:
    if dtype == "unicode" and not pattern:
        return "a 0-d unicode array (JSON)"
    named = {"N": "N=" + "|".join(map(str, LANDMARK_COUNTS)), "M": "M=" + "|".join(map(str, MODEL_LANDMARK_COUNTS))}
    dims = ", ".join(named.get(str(p), str(p)) for p in pattern)
    return f"{dtype} ({dims}{',' if len(pattern) == 1 else ''})"


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_values(a: dict[str, np.ndarray]) -> list[str]:
    problems: list[str] = []
    conf = a.get("confidence")
    no_face = None if conf is None else ~(np.nan_to_num(conf, nan=0.0) > 0)

    def rows(key: str, value: np.ndarray) -> np.ndarray:
        """Frames checked for finiteness / ranges: raw streams skip frames without a face."""
        if key.endswith("_raw") and no_face is not None and len(no_face) == len(value):
            return value[~no_face]
        return value

    for key, value in a.items():
        if value.dtype.kind != "f" or key in _NAN_ANYWHERE_KEYS:
            continue
        bad = ~np.isfinite(value)
        if key.endswith("_raw") and no_face is not None and value.ndim and len(no_face) == len(value):
            bad[no_face] = False
        if bad.any():
            first = int(np.argwhere(bad)[0][0])
            problems.append(f"{key!r} has {int(bad.sum())} non-finite values (first at row {first})")
    for key in _UNIT_RANGE_KEYS:
        if key in a:
            v = rows(key, a[key])
            v = v[np.isfinite(v)]
            if v.size and (v.min() < -WEIGHT_TOLERANCE or v.max() > 1 + WEIGHT_TOLERANCE):
                problems.append(f"{key!r} must be within [0, 1]; got [{v.min():.4g}, {v.max():.4g}]")
    for key in _QUATERNION_KEYS:
        if key in a:
            norms = np.linalg.norm(rows(key, a[key]).astype(np.float64), axis=-1)
            off = np.abs(norms - 1.0)
            off = off[np.isfinite(off)]
            if off.size and off.max() > QUATERNION_NORM_TOLERANCE:
                problems.append(
                    f"{key!r} must hold unit quaternions (|q| = 1 +- {QUATERNION_NORM_TOLERANCE:g}); "
                    f"{int((off > QUATERNION_NORM_TOLERANCE).sum())} rows are off by up to {off.max():.4g}"
                )
    for key in _GAZE_KEYS:
        if key in a:
            v = np.abs(rows(key, a[key]))
            v = v[np.isfinite(v)]
            if v.size and v.max() > EYE_GAZE_LIMIT_RAD:
                problems.append(
                    f"{key!r} must be radians within +-pi/2; got |angle| up to {v.max():.4g} (degrees by mistake?)"
                )
    if "time" in a and a["time"].size:
        time = a["time"]
        if np.isfinite(time[0]) and time[0] != 0.0:
            problems.append(f"'time' must start at 0 (seconds from the first frame); starts at {time[0]:.6g}")
        steps = np.diff(time)
        if (steps < 0).any():
            first = int(np.argmax(steps < 0)) + 1
            problems.append(f"'time' must be non-decreasing; goes back at frame {first}")
    if "expression_names" in a:
        want = rigs.load_names("facewarehouse46")
        got = tuple(str(n) for n in a["expression_names"])
        if got != want:
            diffs = [i for i, (g, w) in enumerate(zip(got, want, strict=False)) if g != w]
            i = diffs[0] if diffs else 0
            problems.append(
                f"'expression_names' must be the facewarehouse46 list in order; "
                f"first difference at {i}: {got[i]!r} instead of {want[i]!r}"
            )
    if "meta" in a:
        problems += _check_meta(str(a["meta"][()]))
    return problems


def _check_meta(text: str) -> list[str]:
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as err:
        return [f"'meta' is not valid JSON ({err.msg} at character {err.pos})"]
    if not isinstance(meta, dict):
        return [f"'meta' must be a JSON object; got {type(meta).__name__}"]
    problems = []
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        hint = " (written by a newer engine: update the add-on)" if newer else ""
        problems.append(f"meta 'schema_version' must be {SCHEMA_VERSION}; got {version!r}{hint}")
    missing = [k for k in META_KEYS if k not in meta]
    if missing:
        problems.append(f"meta is missing {', '.join(repr(k) for k in missing)}")
    fps = meta.get("fps")
    if "fps" in meta and not (isinstance(fps, int | float) and fps > 0):
        problems.append(f"meta 'fps' must be a positive number; got {fps!r}")
    size = meta.get("frame_size")
    if "frame_size" in meta and not (
        isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and s >= 0 for s in size)
    ):
        problems.append(f"meta 'frame_size' must be [width, height] in pixels; got {size!r}")
    for key in ("filter", "conventions"):
        if key in meta and not isinstance(meta[key], dict):
            problems.append(f"meta {key!r} must be an object; got {type(meta[key]).__name__}")
    return problems
