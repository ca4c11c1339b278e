"""Live Link Face CSV: Epic's Live Link Face recording format, read and written once for the engine and the add-on.

Layout (one header line, then one line per frame)::

    Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,
        LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll

- The 52 blendshape columns are ``rigs/names/arkit52.toml`` in order with the first letter upper-cased; weights
  in [0, 1]. ``BlendShapeCount`` is 61 (52 blendshapes + 9 rotation columns), as Live Link Face writes it.
- Rotations are radians, in the conventions of :mod:`.frames`: head yaw / pitch / roll are relative to the
  frontal pose, applied yaw, pitch, roll about the MODEL axes +y, +x, +z:
  ``R = R_frontal @ Ry(yaw) @ Rx(-pitch) @ Rz(-roll)``. Yaw > 0 turns the nose to the subject's left, pitch > 0 tips
  the nose up, roll > 0 tilts the top of the head toward the subject's left.
  Eye yaw > 0 looks toward the subject's left, eye pitch > 0 looks up; eye roll is written as 0 and not read.
- ``Timecode`` is ``HH:MM:SS:FF.mmm``: ``FF`` the frame within the second at the timecode rate, ``mmm`` the
  fraction of that frame in thousandths (a sub-frame, as Live Link Face writes it). A time ``t`` seconds is
  written as ``HH:MM:SS`` = ``floor(t)``, ``FF.mmm`` = ``(t - floor(t)) * rate`` rounded to 1/1000 frame, so the
  time is kept to within 0.5 / (1000 * rate) s. Reading computes ``t = HH*3600 + MM*60 + SS + (FF + .mmm) / rate``
  and measures times from the first row. Accepted leniently: ``;`` before ``FF`` (SMPTE drop-frame: at a rate of
  30 or 60 it is read as 29.97 / 59.94, the frame labels each minute skips not counted as frames),
  no sub-frame (``HH:MM:SS:FF``), any number of sub-frame digits (read as a decimal fraction of a frame),
  ``HH:MM:SS.sss`` (decimal seconds, no frame field), surrounding spaces, and midnight roll-over.
  The timecode rate is ``fps=`` if given, else the smallest of :data:`TIMECODE_RATES` above every ``FF`` seen
  (a recording shorter than a second may need ``fps=``). A take is written at :func:`timecode_rate_for` its frame
  rate, a standard rate (a phone's 26.4 fps -> 30), so this guess, and any reader's, reads its times back.
- Every column of the header is required (a missing one is an error that names it); extra columns are ignored.
  The file is written atomically, with the user's default permissions (:mod:`.atomic_write`).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from pathlib import Path
from typing import Literal

import numpy as np

from ._rigs import rigs
from .atomic_write import atomic_write
from .errors import InputError, TakeFormatError
from .frames import head_rotation_to_ypr, ypr_to_head_rotation
from .take import NO_LANDMARKS, Take, make_meta, neutral_take
from .take_limits import DEFAULT_LIMITS, ReadLimits

__all__ = [
    "BLENDSHAPE_COUNT",
    "CSV_BACKEND",
    "ROTATION_COLUMNS",
    "TIMECODE_RATES",
    "LiveLinkRecording",
    "format_timecode",
    "livelink_csv_header",
    "livelink_csv_to_take",
    "livelink_to_take",
    "parse_timecode",
    "read_livelink_csv",
    "take_to_livelink",
    "take_to_livelink_csv",
    "timecode_after",
    "timecode_rate_for",
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
"""The rotation columns after the blendshapes, in Live Link Face's order."""
BLENDSHAPE_COUNT = 61
"""Value of the ``BlendShapeCount`` column: 52 ARKit blendshapes + the 9 rotation columns (Live Link Face)."""
TIMECODE_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 120.0)
"""Timecode rates guessed from the largest ``FF`` when reading without ``fps=`` (film, PAL, NTSC, high rate)."""
CSV_BACKEND = "livelink_face_csv"
"""``meta["backend"]`` of a take read from a Live Link Face CSV."""

_SUBFRAME_DIGITS = 3  # ".mmm": thousandths of a frame
_SECONDS_PER_DAY = 86400.0
_VIDEO_RATES = tuple(
    sorted({24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 100.0, 120.0, 240.0} | {n * 1000 / 1001 for n in (24, 30, 48, 60, 120)})
)
"""Frame rates a recording's is snapped to: film, PAL, NTSC's exact ``N * 1000 / 1001`` (29.97 is 30000/1001: as
the decimal, a 59.94 take keyed in an NTSC scene drifted 0.2 frame an hour), high rates."""
_TIMECODE = re.compile(r"^\s*(\d+):(\d+):(\d+)(?:[:;](\d+)(?:\.(\d*))?)?\s*$")
_TIMECODE_DECIMAL_SECONDS = re.compile(r"^\s*(\d+):(\d+):(\d+\.\d+)\s*$")


@dataclasses.dataclass(frozen=True, eq=False)
class LiveLinkRecording:
    """The content of one Live Link Face CSV.

    Attributes:
        time: ``(T,)`` float64 seconds from the first row, non-decreasing.
        weights: ``(T, 52)`` float32 ARKit-52 weights in [0, 1], ``rigs/names/arkit52.toml`` order.
        head_ypr: ``(T, 3)`` float64 head [yaw, pitch, roll] radians relative to frontal (:mod:`.frames`).
        eye_gaze: ``(T, 2, 2)`` float64 [left, right] x [yaw, pitch] radians.
        timecode_rate: frames per second of the timecode's ``FF`` field.
        timecode_start: the first row's timecode as written (``"00:00:00:00.000"`` for a written take).
        notices: what the reader repaired (a last row cut off and dropped), for the user.
    """

    time: np.ndarray
    weights: np.ndarray
    head_ypr: np.ndarray
    eye_gaze: np.ndarray
    timecode_rate: float
    timecode_start: str = "00:00:00:00.000"
    notices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        t = len(self.time)
        shapes = (self.weights.shape, self.head_ypr.shape, self.eye_gaze.shape)
        if shapes != ((t, 52), (t, 3), (t, 2, 2)):
            raise ValueError(f"LiveLinkRecording: shapes {shapes} do not match T={t} ((T, 52), (T, 3), (T, 2, 2))")
        if not self.timecode_rate > 0:
            raise ValueError(f"LiveLinkRecording: timecode_rate must be > 0; got {self.timecode_rate}")

    @property
    def sample_rate(self) -> float:
        """Frames per second: from the mean of the regular intervals between rows (under 1.5 times the median: a
        dropped row or a pause is not one), snapped to a standard rate within 0.5 %; the timecode rate if under two
        rows. The mean, not the median: millisecond timecodes step 16 and 17 ms at 60 fps (the median said 58.8).
        """
        steps = np.diff(self.time)
        positive = steps[steps > 0]
        if not positive.size:
            return float(self.timecode_rate)
        regular = positive[positive < 1.5 * float(np.median(positive))]
        rate = 1.0 / float(regular.mean())
        standard = min(_VIDEO_RATES, key=lambda r: abs(r - rate))
        return standard if abs(standard - rate) <= 0.005 * standard else rate  # 60.19 (millisecond times): 60


def timecode_rate_for(fps: float) -> float:
    """The timecode rate a take at ``fps`` frames per second is written with: the smallest of
    :data:`TIMECODE_RATES` at or above it (29.97 -> 30), else ``ceil(fps)``. The sub-frame field keeps each time
    exact whatever the rate; a standard rate lets a reader that guesses it from the ``FF`` field get it right.

        >>> timecode_rate_for(23.976), timecode_rate_for(25.0), timecode_rate_for(26.4), timecode_rate_for(240.0)
        (24.0, 25.0, 30.0, 240.0)
    """
    for rate in TIMECODE_RATES:
        if fps <= rate + 0.01:
            return rate
    return float(math.ceil(fps - 0.01))


def livelink_csv_header() -> list[str]:
    """The CSV header columns.

    Example:
        >>> h = livelink_csv_header()
        >>> h[:3], h[-1], len(h)
        (['Timecode', 'BlendShapeCount', 'EyeBlinkLeft'], 'RightEyeRoll', 63)
    """
    names = rigs.load_names("arkit52")
    return ["Timecode", "BlendShapeCount", *(_csv_name(n) for n in names), *ROTATION_COLUMNS]


def format_timecode(seconds: float, rate: float) -> str:
    """Write ``seconds`` as ``HH:MM:SS:FF.mmm`` at timecode ``rate`` (see module docstring).

    Example:
        >>> format_timecode(3661.5, 30.0), format_timecode(1 / 60, 30.0)
        ('01:01:01:15.000', '00:00:00:00.500')
    """
    if not (rate > 0 and math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"format_timecode needs seconds >= 0 and rate > 0; got {seconds}, {rate}")
    whole = math.floor(seconds)
    frame, sub = _frame_and_subframe((seconds - whole) * rate)
    if frame >= math.ceil(rate):
        frame, whole = 0, whole + 1
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}:{frame:02d}.{sub:0{_SUBFRAME_DIGITS}d}"


def timecode_after(start: str, rate: float, seconds: float) -> str:
    """The label ``seconds`` after the timecode ``start`` at ``rate``, as ``start`` is written (drop-frame ``;`` or
    not): where a recording's later part starts.

    Example:
        >>> timecode_after("10:30:00:00.000", 30, 1.5), timecode_after("00:00:59;28.000", 30, 2 * 1001 / 30000)
        ('10:30:01:15.000', '00:01:00;02.000')
    """
    nominal = round(rate)
    if ";" in start and nominal in (30, 60):
        at = _drop_frame_seconds(*_split_timecode(start), nominal=nominal) + seconds
        return _drop_frame_label(at % _drop_frame_day_s(nominal), nominal)
    return format_timecode((parse_timecode(start, rate) + seconds) % _SECONDS_PER_DAY, rate)


def parse_timecode(text: str, rate: float) -> float:
    """Read a timecode as seconds since midnight (see module docstring for the accepted forms).

    Example:
        >>> parse_timecode("01:01:01:15.000", 30.0), parse_timecode("00:00:00:00.5", 30.0)
        (3661.5, 0.016666666666666666)
        >>> parse_timecode("00:00:02.25", 30.0)
        2.25

    Raises:
        ValueError: not a timecode.
    """
    hours, minutes, seconds, frame, sub = _split_timecode(text)
    return hours * 3600 + minutes * 60 + seconds + (frame + sub) / rate


def write_livelink_csv(path: str | Path, recording: LiveLinkRecording) -> Path:
    """Write a recording as a Live Link Face CSV (atomically, with the user's default permissions).

    Args:
        path: destination ``.csv``.
        recording: what to write; timecodes are ``recording.time`` at ``recording.timecode_rate``, counted from
            ``recording.timecode_start`` (a recording's time of day comes back as it was read).

    Returns:
        The absolute path written.

    Raises:
        InputError: the folder does not exist or is not writable.
    """
    t = len(recording.time)
    zeros = np.zeros((t, 1))
    gaze = np.asarray(recording.eye_gaze, dtype=np.float64)
    rotations = np.concatenate([recording.head_ypr, gaze[:, 0], zeros, gaze[:, 1], zeros], axis=1)
    path = Path(path).resolve()
    nominal = round(recording.timecode_rate)
    drop_frame = ";" in recording.timecode_start and nominal in (30, 60)  # a drop-frame recording's labels
    day = _SECONDS_PER_DAY
    if drop_frame:
        start = _drop_frame_seconds(*_split_timecode(recording.timecode_start), nominal=nominal)
        label = lambda s: _drop_frame_label(s, nominal)  # noqa: E731
        day = _drop_frame_day_s(nominal)
    else:
        start = parse_timecode(recording.timecode_start, recording.timecode_rate)
        label = lambda s: format_timecode(s, recording.timecode_rate)  # noqa: E731
    with atomic_write(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(livelink_csv_header())
        for i in range(t):
            seconds = (start + float(recording.time[i])) % day  # past midnight: 00:00 again
            writer.writerow(
                [label(seconds), BLENDSHAPE_COUNT]
                + [f"{v:.7g}" for v in recording.weights[i]]
                + [f"{v:.7g}" for v in rotations[i]]
            )
    return path


def read_livelink_csv(
    path: str | Path, *, fps: float | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> LiveLinkRecording:
    """Read a Live Link Face CSV, streaming and bounded (the file's size and row count are checked first).

    Weights are clipped to [0, 1]; extra columns are ignored; eye roll is not read. Every value must be a finite
    number (``nan`` or ``inf`` in a cell is an error naming the line and column, never a NaN curve).

    Args:
        path: the ``.csv``.
        fps: the timecode rate (frames per second of ``FF``); default: guessed from the largest ``FF``
            (:data:`TIMECODE_RATES`).
        limits: bounds on the file's size and rows (:mod:`.take_limits`).

    Returns:
        The recording; ``time`` is relative to the first row.

    Raises:
        InputError: the file does not exist, or ``fps`` is not a positive finite number.
        TakeFormatError: too large, missing column, bad number or timecode, wrong field count, no rows, time going
            back; the message names the file, line and column.
    """
    path = Path(path)
    if fps is not None and not 0.0 < fps < math.inf:
        raise InputError(f"the timecode rate (--fps) must be a positive number of frames per second, not {fps:g}")
    if not path.is_file():
        raise InputError(f"Live Link Face CSV not found: {path}")
    size = path.stat().st_size
    if size > limits.max_csv_bytes:
        raise TakeFormatError(
            f"{path.name}: {size} bytes; a Live Link Face CSV of at most {limits.max_csv_bytes} is read"
        )
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return _read_rows(path, csv.reader(f), fps, limits)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise TakeFormatError(f"{path.name}: not a readable CSV text file ({err})") from None


_ROWS_PER_BLOCK = 4096  # rows parsed into one block of the growing arrays


def _read_rows(path: Path, reader, fps: float | None, limits: ReadLimits) -> LiveLinkRecording:
    header: list[str] | None = None
    header_line = 0
    blocks: list[np.ndarray] = []
    block = np.empty((0, 0))
    timecodes: list[tuple[int, int, float, int, float]] = []
    row_lines: list[int] = []  # the line of every data row (for messages); ints only
    first_timecode = ""
    drop_frame = False  # HH:MM:SS;FF: SMPTE drop-frame (29.97 / 59.94)
    wanted = livelink_csv_header()
    value_names = wanted[2:]
    value_index: list[int] = []
    time_index = 0
    filled = 0
    cut_off: tuple[int, int] | None = None  # (line, fields) of a short row, until a later row shows it is not the last
    for line_no, row in enumerate(reader, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header, header_line = row, line_no
            if len(header) == 1 and header[0].count(";") >= 2:
                raise TakeFormatError(
                    f"{path.name} line {line_no}: its fields are separated by ';' (a spreadsheet's export where the "
                    "decimal point is a comma); export it again with commas between fields and points in numbers"
                )
            columns = {name.strip().lower(): i for i, name in enumerate(header)}
            # Eye roll is written as 0 and not read: a file without its two columns is read alike.
            roll_filled = [n for n in ("LeftEyeRoll", "RightEyeRoll") if n.lower() not in columns]
            missing = [
                name
                for name in wanted
                if name != "BlendShapeCount" and name.lower() not in columns and name not in roll_filled
            ]
            if missing:
                shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                raise TakeFormatError(f"{path.name} line {header_line}: missing column(s) {shown}")
            value_index = [columns.get(name.lower(), len(header)) for name in value_names]  # roll: the "0" added
            time_index = columns["timecode"]
            continue
        if len(row_lines) >= limits.max_frames:
            raise TakeFormatError(f"{path.name}: more than {limits.max_frames} rows; at most that many are read")
        if cut_off is not None:  # a short row with rows after it: damage, not a recording that was cut off
            raise TakeFormatError(f"{path.name} line {cut_off[0]}: {cut_off[1]} fields, the header has {len(header)}")
        if len(row) < len(header):
            cut_off = (line_no, len(row))  # dropped if it is the last row (a copy or recording cut short)
            continue
        if any(cell.strip() for cell in row[len(header) :]):  # a field too many: every value after it is shifted
            raise TakeFormatError(f"{path.name} line {line_no}: {len(row)} fields, the header has {len(header)}")
        if any(len(cell) > limits.max_csv_field_chars for cell in row):
            raise TakeFormatError(
                f"{path.name} line {line_no}: a field longer than {limits.max_csv_field_chars} characters"
            )
        try:
            timecodes.append(_split_timecode(row[time_index]))
        except ValueError:
            raise TakeFormatError(
                f"{path.name} line {line_no}: Timecode {row[time_index]!r} is not HH:MM:SS:FF.mmm"
            ) from None
        if not row_lines:
            first_timecode = row[time_index].strip()
            drop_frame = ";" in first_timecode
        row_lines.append(line_no)
        if filled == len(block):
            block = np.empty((_ROWS_PER_BLOCK, len(value_names)), np.float64)
            blocks.append(block)
            filled = 0
        block[filled] = _row_values(path, line_no, [*row, "0"] if roll_filled else row, value_names, value_index)
        filled += 1
    if header is None:
        raise TakeFormatError(f"{path.name}: empty file (expected a Live Link Face header line)")
    if not row_lines:
        if cut_off is not None:
            raise TakeFormatError(f"{path.name} line {cut_off[0]}: {cut_off[1]} fields, the header has {len(header)}")
        raise TakeFormatError(f"{path.name}: no data rows after the header")
    notices = ()
    if cut_off is not None:
        notices = (
            f"{path.name}: its last line ({cut_off[0]}) was cut off ({cut_off[1]} of {len(header)} fields) and is "
            f"dropped; the take has the {len(row_lines)} rows before it",
        )
    if blocks:
        blocks[-1] = blocks[-1][:filled]
    values = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    blocks.clear()

    reached_frame = max(tc[3] for tc in timecodes)
    rate = float(fps) if fps is not None else _guess_rate(reached_frame)
    whole_seconds = {(h, m, int(s)) for h, m, s, _, _ in timecodes}
    if fps is None and len(whole_seconds) < 3:  # no second seen whole: its last frame number may not be there
        notices = (
            *notices,
            f"{path.name}: a recording this short does not show its timecodes' rate; it was taken as {rate:g} "
            "frames a second: if that is wrong, give the rate (import-csv --fps)",
        )
    if drop_frame and round(rate) in (30, 60):  # frame labels skipped each minute: count the frames instead
        rate = round(rate) * 1000 / 1001
        seconds = np.array([_drop_frame_seconds(*tc, nominal=round(rate)) for tc in timecodes])
    else:
        seconds = np.array([h * 3600 + m * 60 + s + (f + sub) / rate for h, m, s, f, sub in timecodes])
    timecodes.clear()
    day = _drop_frame_day_s(round(rate)) if drop_frame and round(rate) in (30, 60) else _SECONDS_PER_DAY
    seconds += day * np.cumsum(np.r_[0, np.diff(seconds) < -day / 2])  # past midnight
    time = seconds - seconds[0]
    steps = np.diff(time)
    if (steps < 0).any():
        bad = int(np.argmax(steps < 0)) + 1
        hint = (
            f" (its frame numbers reach {reached_frame}: is --fps {fps:g} right?)"
            if fps and reached_frame >= fps
            else ""
        )
        raise TakeFormatError(f"{path.name} line {row_lines[bad]}: Timecode goes back in time{hint}")
    blendshapes = BLENDSHAPE_COUNT - len(ROTATION_COLUMNS)
    rotations = values[:, blendshapes:]
    return LiveLinkRecording(
        time=time,
        weights=np.clip(values[:, :blendshapes], 0.0, 1.0).astype(np.float32),
        head_ypr=rotations[:, 0:3].copy(),
        eye_gaze=np.stack([rotations[:, 3:5], rotations[:, 6:8]], axis=1),
        timecode_rate=rate,
        timecode_start=first_timecode,
        notices=notices,
    )


def _row_values(path: Path, line_no: int, row: list[str], names: list[str], index: list[int]) -> np.ndarray:
    """One row's values as float64; an error names the line, the column and the cell."""
    cells = [row[i] for i in index]
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all():
        return values
    for name, cell in zip(names, cells, strict=True):
        try:
            value = float(cell)
        except ValueError:
            raise TakeFormatError(f"{path.name} line {line_no}: column {name}: {cell!r} is not a number") from None
        if not math.isfinite(value):
            raise TakeFormatError(f"{path.name} line {line_no}: column {name}: {cell!r} is not finite")
    raise TakeFormatError(f"{path.name} line {line_no}: unreadable values")  # pragma: no cover - caught above


def take_to_livelink(
    take: Take, *, blink_source: Literal["eye_blink", "expression"] = "eye_blink", timecode_rate: float | None = None
) -> LiveLinkRecording:
    """A FaceWarehouse-46 take as a Live Link Face recording (its filtered streams).

    The 46 weights go through ``rigs`` mapping ``facewarehouse46_to_arkit52``; ARKit shapes with no source
    (``mouthClose``, ``mouthPressLeft/Right``, ``tongueOut``) are 0. Head yaw / pitch / roll come from
    ``head_rotation``, eye yaw / pitch from ``eye_gaze``.

    Args:
        take: the take.
        blink_source: what fills ``EyeBlinkLeft/Right``: ``"eye_blink"`` (the take's dedicated lid estimate,
            default) or ``"expression"`` (the mapped ``EyeBlink_L/R`` weights).
        timecode_rate: the timecode rate; default :func:`timecode_rate_for` the take's ``meta["fps"]``.

    Returns:
        The recording; timecodes start at the take's ``meta["timecode_start"]`` (a take read from a Live Link CSV:
        the recording's time of day, at its ``meta["timecode_rate"]``), else at ``00:00:00:00.000``.
    """
    if blink_source not in ("eye_blink", "expression"):
        raise ValueError(f"blink_source must be 'eye_blink' or 'expression'; got {blink_source!r}")
    rate = float(
        timecode_rate or take.meta.get("timecode_rate") or timecode_rate_for(float(take.meta.get("fps") or 30.0))
    )
    arkit_names = rigs.load_names("arkit52")
    weights = rigs.load_mapping("facewarehouse46_to_arkit52").apply(take.expression)  # (T, 52)
    if blink_source == "eye_blink":
        weights[:, arkit_names.index("eyeBlinkLeft")] = np.clip(take.eye_blink[:, 0], 0.0, 1.0)
        weights[:, arkit_names.index("eyeBlinkRight")] = np.clip(take.eye_blink[:, 1], 0.0, 1.0)
    return LiveLinkRecording(
        time=np.asarray(take.time, dtype=np.float64),
        weights=weights.astype(np.float32),
        head_ypr=head_rotation_to_ypr(take.head_rotation),
        eye_gaze=np.asarray(take.eye_gaze, dtype=np.float64),
        timecode_rate=rate,
        timecode_start=str(take.meta.get("timecode_start") or "00:00:00:00.000"),
    )


def livelink_to_take(
    recording: LiveLinkRecording,
    *,
    source: str,
    channels: Literal["facewarehouse46", "arkit52"] = "facewarehouse46",
) -> Take:
    """A Live Link Face recording as a take.

    With ``channels="facewarehouse46"`` (a take file's channels) the ARKit weights go through ``rigs`` mapping
    ``arkit52_to_facewarehouse46`` (bilateral FaceWarehouse shapes get the mean of both sides; ``mouthClose``,
    ``mouthPress*``, ``tongueOut`` are dropped). With ``channels="arkit52"`` (baking onto an ARKit rig without a
    round trip through FaceWarehouse) the 52 weights are kept as they are; such a take is not a valid take file.
    ``eye_blink`` is the ``EyeBlinkLeft/Right`` columns, ``head_rotation`` is rebuilt from yaw / pitch / roll,
    ``eye_gaze`` is the eye yaw / pitch; ``head_translation`` is 0 (the format has none); ``confidence`` is 1;
    ``landmarks`` and ``model_landmarks`` have no points (:data:`.take.NO_LANDMARKS`: the format has none, and a
    long recording costs no bytes for them); ``identity`` is empty; raw streams equal the filtered ones.

    Args:
        recording: the recording.
        source: ``meta["source"]``, e.g. the CSV's file stem.
        channels: the channel list of ``expression``.

    Returns:
        The take; ``meta["fps"]`` is :attr:`LiveLinkRecording.sample_rate`, ``meta["backend"]`` is
        :data:`CSV_BACKEND`, ``meta["frame_size"]`` is ``[0, 0]`` (unknown).
    """
    arkit_names = rigs.load_names("arkit52")
    weights = np.asarray(recording.weights, dtype=np.float32)
    if channels == "facewarehouse46":
        expression = rigs.load_mapping("arkit52_to_facewarehouse46").apply(weights).astype(np.float32)
        names = np.array(rigs.load_names("facewarehouse46"))
    elif channels == "arkit52":
        expression, names = weights.copy(), np.array(arkit_names)
    else:
        raise ValueError(f"channels must be 'facewarehouse46' or 'arkit52'; got {channels!r}")
    blink = weights[:, [arkit_names.index("eyeBlinkLeft"), arkit_names.index("eyeBlinkRight")]].copy()
    gaze = np.asarray(recording.eye_gaze, dtype=np.float32)
    head = ypr_to_head_rotation(recording.head_ypr)
    meta = make_meta(
        fps=recording.sample_rate,  # unrounded: 59.94005994, not 59.94006 (a 6000-row take was a frame longer)
        frame_size=(0, 0),
        source=source,
        backend=CSV_BACKEND,
        filter_settings=None,
        timecode_rate=recording.timecode_rate,
        timecode_start=recording.timecode_start,
    )
    if recording.notices:
        meta["notices"] = list(recording.notices)
    return dataclasses.replace(
        neutral_take(recording.time, meta, num_landmarks=NO_LANDMARKS),
        expression=expression,
        expression_raw=expression.copy(),
        expression_names=names,
        head_rotation=head,
        head_rotation_raw=head.copy(),
        eye_blink=blink,
        eye_blink_raw=blink.copy(),
        eye_gaze=gaze,
        eye_gaze_raw=gaze.copy(),
    )


def take_to_livelink_csv(
    take: Take, path: str | Path, *, blink_source: Literal["eye_blink", "expression"] = "eye_blink"
) -> Path:
    """Write a take as a Live Link Face CSV: :func:`take_to_livelink` then :func:`write_livelink_csv`.

    Returns:
        The absolute path written.
    """
    return write_livelink_csv(path, take_to_livelink(take, blink_source=blink_source))


def livelink_csv_to_take(
    path: str | Path,
    *,
    fps: float | None = None,
    channels: Literal["facewarehouse46", "arkit52"] = "facewarehouse46",
) -> Take:
    """Read a Live Link Face CSV into a take: :func:`read_livelink_csv` then :func:`livelink_to_take`.

    ``meta["source"]`` is the file stem.
    """
    return livelink_to_take(read_livelink_csv(path, fps=fps), source=Path(path).stem, channels=channels)


def _csv_name(arkit_name: str) -> str:
    """``eyeBlinkLeft`` -> ``EyeBlinkLeft`` (Live Link Face header spelling)."""
    return arkit_name[:1].upper() + arkit_name[1:]


def _split_timecode(text: str) -> tuple[int, int, float, int, float]:
    """(hours, minutes, seconds, frame, sub-frame fraction) of a timecode; ValueError if it is not one."""
    match = _TIMECODE.match(text)
    if match:
        hours, minutes, seconds, frame, sub = match.groups()
        fraction = float("0." + sub) if sub else 0.0
        return int(hours), int(minutes), float(seconds), int(frame or 0), fraction
    match = _TIMECODE_DECIMAL_SECONDS.match(text)
    if match:
        return int(match.group(1)), int(match.group(2)), float(match.group(3)), 0, 0.0
    raise ValueError(f"not a timecode: {text!r}")


def _frame_and_subframe(frames: float) -> tuple[int, int]:
    """A count of frames as the whole frame and its sub-frame in thousandths, rounding carried into the frame."""
    frame = math.floor(frames)
    sub = round((frames - frame) * 10**_SUBFRAME_DIGITS)
    return (frame + 1, 0) if sub == 10**_SUBFRAME_DIGITS else (frame, sub)


def _drop_frame_seconds(hours: int, minutes: int, seconds: float, frame: int, sub: float, *, nominal: int) -> float:
    """Seconds since midnight of an SMPTE drop-frame label at ``nominal`` 30 or 60 (29.97 / 59.94 frames a second):
    the frames counted, the labels each minute skips (2 or 4, but each tenth minute) not among them.
    """
    total_minutes = 60 * hours + minutes
    dropped = (nominal // 15) * (total_minutes - total_minutes // 10)
    return ((3600 * hours + 60 * minutes + int(seconds)) * nominal + frame - dropped + sub) / (nominal * 1000 / 1001)


def _drop_frame_day_s(nominal: int) -> float:
    """The seconds of a drop-frame day at ``nominal`` 30 or 60: the frames its labels count, at 29.97 / 59.94 a
    second (86399.9136 s: a day of labels is 0.0864 s short of 86400).

    >>> round(_drop_frame_day_s(30), 4), round(_drop_frame_day_s(60), 4)
    (86399.9136, 86399.9136)
    """
    skip = nominal // 15
    frames = 24 * 6 * (600 * nominal - 9 * skip)
    return frames / (nominal * 1000 / 1001)


def _drop_frame_label(seconds: float, nominal: int) -> str:
    """The SMPTE drop-frame label ``HH:MM:SS;FF.mmm`` of ``seconds`` since midnight (inverse of
    :func:`_drop_frame_seconds`).

    Example:
        >>> _drop_frame_label(_drop_frame_seconds(0, 1, 0, 2, 0.0, nominal=30), 30)
        '00:01:00;02.000'
    """
    frame, sub = _frame_and_subframe(seconds * nominal * 1000 / 1001)
    skip = nominal // 15
    per_ten_minutes, per_minute = 600 * nominal - 9 * skip, 60 * nominal - skip
    tens, rest = divmod(frame, per_ten_minutes)
    label = frame + 9 * skip * tens + (skip * ((rest - skip) // per_minute) if rest > skip else 0)
    hours, minutes = label // (3600 * nominal), label // (60 * nominal) % 60
    return f"{hours:02d}:{minutes:02d}:{label // nominal % 60:02d};{label % nominal:02d}.{sub:0{_SUBFRAME_DIGITS}d}"


def _guess_rate(max_frame: int) -> float:
    """Smallest standard timecode rate that has a frame number ``max_frame``."""
    for rate in TIMECODE_RATES:
        if max_frame < rate:
            return rate
    return float(max_frame + 1)
