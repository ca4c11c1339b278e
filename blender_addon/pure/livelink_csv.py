"""Live Link Face CSV takes: read and write (numpy + the standard library; no bpy).

Layout (one row per frame)::

    Timecode,BlendShapeCount,EyeBlinkLeft,...(52 ARKit names, first letter upper-cased)...,
    HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll

- Blend-shape columns follow ``rigs/names/arkit52.toml`` (the one canonical order); weights in [0, 1].
- ``Timecode`` is ``HH:MM:SS:FF.fff``: hours, minutes, seconds, frame number within the second at the recording
  rate, and the sub-frame as a fraction of a frame (thousandths).
- ``BlendShapeCount`` is 61 (52 shapes + 9 rotations). Rotations are radians; this project reads them with the
  signs of :mod:`blender_addon.coords` (yaw > 0 toward the subject's left, pitch > 0 up, roll > 0 tilting
  toward the subject's left).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import numpy as np

from .._rigs import rigs
from . import coords
from .take_io import Take, TakeError

__all__ = [
    "BLEND_SHAPE_COUNT",
    "LiveLinkTake",
    "ROTATION_COLUMNS",
    "csv_header",
    "livelink_to_take",
    "read_livelink_csv",
    "take_to_livelink",
    "write_livelink_csv",
]

ROTATION_COLUMNS = (
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
)
TIMECODE_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 120.0)  # film, PAL, NTSC, high rate
BLEND_SHAPE_COUNT = 61  # what Live Link Face writes: 52 shapes + 9 rotation columns
_TIMECODE = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[:;](\d+)(?:\.(\d+))?\s*$")


@dataclasses.dataclass(frozen=True)
class LiveLinkTake:
    """A Live Link Face take in memory.

    Attributes:
        time: ``(T,)`` float64 seconds from the first row.
        weights: ``(T, 52)`` float32 in ARKit-52 canonical order.
        head: ``(T, 3)`` float64 yaw, pitch, roll radians.
        eyes: ``(T, 2, 3)`` float64 [left, right] x [yaw, pitch, roll] radians.
        fps: the frame rate of the timecode.
        warnings: columns that were missing (filled with 0).
    """

    time: np.ndarray
    weights: np.ndarray
    head: np.ndarray
    eyes: np.ndarray
    fps: float
    warnings: tuple[str, ...] = ()


def csv_header() -> list[str]:
    """The header row, in order: Timecode, BlendShapeCount, 52 PascalCase names, 9 rotation columns."""
    return (
        ["Timecode", "BlendShapeCount"]
        + [n[0].upper() + n[1:] for n in rigs.load_names("arkit52")]
        + list(ROTATION_COLUMNS)
    )


def _parse_timecodes(codes: list[str], fps: float | None) -> tuple[np.ndarray, float]:
    parts = []
    for i, code in enumerate(codes):
        m = _TIMECODE.match(code)
        if not m:
            raise ValueError(f"row {i + 2}: timecode {code!r} is not HH:MM:SS:FF.fff")
        h, mi, s, ff = (int(m.group(k)) for k in range(1, 5))
        frac = float("0." + m.group(5)) if m.group(5) else 0.0
        parts.append((h * 3600 + mi * 60 + s, ff + frac))
    if fps is None:
        # The smallest common rate above every frame number seen (as engine/livelink_csv.py guesses it).
        max_ff = max(int(p[1]) for p in parts)
        fps = next((r for r in TIMECODE_RATES if r > max_ff), float(max_ff + 1))
    secs = np.array([p[0] + p[1] / fps for p in parts], dtype=np.float64)
    return secs - secs[0], float(fps)


def read_livelink_csv(path: str | Path, *, fps: float | None = None) -> LiveLinkTake:
    """Read a Live Link Face CSV.

    Args:
        path: the ``.csv`` file.
        fps: the timecode rate; None guesses the smallest of :data:`TIMECODE_RATES` above every frame number.

    Returns:
        A :class:`LiveLinkTake`; missing blend-shape or rotation columns are zeros (listed in ``warnings``).

    Raises:
        TakeError: unreadable file, no Timecode column, no known blend-shape column, bad numbers or timecodes.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as err:
        raise TakeError(f"{path}: cannot read ({err})") from None
    rows = [r for r in rows if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise TakeError(f"{path}: needs a header row and at least one frame")
    header = [h.strip() for h in rows[0]]
    index = {h.lower(): i for i, h in enumerate(header)}
    if "timecode" not in index:
        raise TakeError(f"{path}: no 'Timecode' column; is this a Live Link Face CSV?")
    body = rows[1:]
    names = rigs.load_names("arkit52")
    t = len(body)
    warnings = []

    def column(name: str) -> np.ndarray | None:
        i = index.get(name.lower())
        if i is None:
            return None
        try:
            return np.array([float(r[i]) for r in body], dtype=np.float64)
        except (ValueError, IndexError) as err:
            raise TakeError(f"{path}: column {name}: {err}") from None

    weights = np.zeros((t, len(names)), dtype=np.float32)
    found = 0
    for j, n in enumerate(names):
        col = column(n)
        if col is None:
            warnings.append(f"missing column {n[0].upper() + n[1:]}")
            continue
        weights[:, j] = np.clip(col, 0.0, 1.0)
        found += 1
    if found == 0:
        raise TakeError(f"{path}: none of the 52 ARKit blend-shape columns (EyeBlinkLeft, ...) is present")
    rot = np.zeros((t, len(ROTATION_COLUMNS)), dtype=np.float64)
    for j, n in enumerate(ROTATION_COLUMNS):
        col = column(n)
        if col is None:
            warnings.append(f"missing column {n}")
        else:
            rot[:, j] = col
    try:
        time, fps = _parse_timecodes([r[index["timecode"]] for r in body], fps)
    except (ValueError, IndexError) as err:
        raise TakeError(f"{path}: {err}") from None
    order = np.argsort(time, kind="stable")
    keep = order[np.concatenate([[True], np.diff(time[order]) > 0])]  # drop duplicate timecodes
    return LiveLinkTake(
        time[keep], weights[keep], rot[keep, 0:3], rot[keep, 3:9].reshape(-1, 2, 3), fps, tuple(warnings)
    )


def _timecode(seconds: float, fps: float) -> str:
    rate = max(int(round(fps)), 1)
    milliframes = int(round(seconds * fps * 1000))
    frames, frac = divmod(milliframes, 1000)
    whole, ff = divmod(frames, rate)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{ff:02d}.{frac:03d}"


def write_livelink_csv(path: str | Path, take: LiveLinkTake) -> None:
    """Write a Live Link Face CSV (columns in ARKit-52 canonical order, 6 decimals).

    Args:
        path: output ``.csv``.
        take: ``weights`` ``(T, 52)``, ``head`` ``(T, 3)``, ``eyes`` ``(T, 2, 3)``, ``time`` ``(T,)``.
    """
    t = len(take.time)
    if take.weights.shape != (t, 52) or take.head.shape != (t, 3) or take.eyes.shape != (t, 2, 3):
        raise ValueError(
            f"write_livelink_csv: shapes {take.weights.shape}, {take.head.shape}, {take.eyes.shape} do not match T={t}"
        )
    rot = np.concatenate([take.head, take.eyes.reshape(t, 6)], axis=1)
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(csv_header())
        for i in range(t):
            w.writerow(
                [_timecode(float(take.time[i]), take.fps), BLEND_SHAPE_COUNT]
                + [f"{v:.6f}" for v in take.weights[i]]
                + [f"{v:.6f}" for v in rot[i]]
            )


def livelink_to_take(name: str, llt: LiveLinkTake, *, path: str = "") -> Take:
    """A Live Link Face take as a :class:`Take` with ARKit-52 channels (bakes through the same pipeline).

    Head yaw/pitch/roll become ``head_rotation`` (model -> camera, frontal at zero); eye yaw/pitch become
    ``eye_gaze``.
    """
    gaze = llt.eyes[:, :, :2].copy()
    head = coords.yaw_pitch_roll_to_camera_head_rotations(llt.head)
    return Take(
        name=name,
        path=path,
        names=rigs.load_names("arkit52"),
        name_list="arkit52",
        time=llt.time,
        expression=llt.weights.astype(np.float32),
        expression_raw=None,
        head_rotation=head,
        head_translation=None,
        eye_gaze=gaze,
        eye_blink=None,
        confidence=None,
        fps=llt.fps,
        meta={"source": path, "format": "livelink_csv"},
        warnings=llt.warnings,
    )


def take_to_livelink(
    time: np.ndarray,
    weights52: np.ndarray,
    fps: float,
    *,
    head_rotation_blender: np.ndarray | None = None,
    gaze: np.ndarray | None = None,
) -> LiveLinkTake:
    """Assemble a :class:`LiveLinkTake` for export.

    Args:
        time: ``(T,)`` seconds.
        weights52: ``(T, 52)`` ARKit-52 weights.
        fps: timecode rate.
        head_rotation_blender: ``(T, 4)`` head rotations in Blender axes (see :mod:`coords`), or None (zeros).
        gaze: ``(T, 2, 2)`` [left, right] x [yaw, pitch], or None (zeros).
    """
    t = len(time)
    head = (
        np.zeros((t, 3))
        if head_rotation_blender is None
        else coords.blender_rotations_to_yaw_pitch_roll(head_rotation_blender)
    )
    eyes = np.zeros((t, 2, 3))
    if gaze is not None:
        eyes[:, :, :2] = gaze
    return LiveLinkTake(
        np.asarray(time, dtype=np.float64), np.asarray(weights52, dtype=np.float32), head, eyes, float(fps)
    )
