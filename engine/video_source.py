"""Input frames from a video file, an image sequence (folder or glob pattern) or a single image.

Frames stream one at a time: a :class:`FrameSource` never holds more than the frame being yielded, so memory does
not grow with clip length. Times are real: for video, each frame's presentation timestamp from the container
(``cv2.CAP_PROP_POS_MSEC`` read after decoding the frame), so a variable-frame-rate phone clip does not drift;
``index / fps`` is used only when the container gives no timestamp or one that does not increase. Image
sequences are timed ``index / fps`` (default :data:`DEFAULT_IMAGE_FPS`).

Files are opened by what they hold, not by their name (:mod:`engine.media_sniff`: a still GIF saved as ``.png`` is
read as a GIF, a JPEG named ``.mp4`` as an image). Frames come upright as a player shows them: a video's rotation
metadata (a phone's ``rotate=90``) and an image's EXIF orientation are applied (:mod:`engine.orientation`), and
``size`` is the displayed size.

``start`` / ``end`` select the half-open interval ``[start, end)`` in seconds of the source; yielded ``time`` is
measured from the first yielded frame, ``source_time`` from the start of the source.

Example:
    >>> with open_source("clip.mp4", start=1.0) as src:      # doctest: +SKIP
    ...     for frame in src:
    ...         detect(frame.image)
"""

from __future__ import annotations

import dataclasses
import glob
import math
import re
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from .contract.image_suffixes import IMAGE_SUFFIXES, split_image_files
from .errors import InputError
from .image_file import image_size, opencv_path, read_image
from .image_sequence import (
    UNREAD_IMAGE_SUFFIXES,
    ImageSequence,
    folder_sequence,
    glob_sequence,
    natural_sort_key,
    unread_image_hint,
)
from .media_sniff import sniff_media
from .orientation import display_turns_from_degrees, turn_image

__all__ = ["DEFAULT_IMAGE_FPS", "IMAGE_SUFFIXES", "Frame", "FrameSource", "natural_sort_key", "open_source"]

DEFAULT_IMAGE_FPS = 30.0
"""Frame rate assumed for image sequences (override with ``fps=``): the most common phone / webcam rate."""
_TIME_EPSILON_S = 1e-6  # timestamps closer than this are "equal" (container ms rounding)
DAMAGE_SKIPS_S = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""How far past a frame the decoder stopped at (before the video's declared end) reading is tried again, in turn."""
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclasses.dataclass(frozen=True)
class Frame:
    """One input frame.

    Attributes:
        index: 0-based position among the frames this source yields.
        time: seconds from the first yielded frame (0.0 for it), non-decreasing.
        image: ``(H, W, 3)`` uint8 BGR pixels.
        source_time: seconds from the start of the source (``time`` + the first frame's source time).
    """

    index: int
    time: float
    image: np.ndarray
    source_time: float = 0.0


class FrameSource:
    """Frames of one input; create with :func:`open_source`. Iterable (each iteration starts again at ``start``).

    Attributes:
        name: the input's name (file stem; folder name for a folder; pattern stem for a glob).
        path: the path or pattern it was opened from.
        kind: ``"video"``, ``"images"`` or ``"image"``.
        fps: frames per second: the container's rate for video, ``fps=`` or :data:`DEFAULT_IMAGE_FPS` for images.
        size: ``(width, height)`` in pixels.
        frame_count: frames expected in ``[start, end)`` (an estimate for video), or None if unknown.
        display_turns: clockwise quarter turns applied to the stored video frames (rotation metadata).
        declared_stop: source time the frames should run to (the range's end, or the video's declared length),
            seconds; None if the video declares no length.
        cut_short: names of the image files read so far that are cut short (:mod:`engine.image_file`).
        holes: ``(last frame before, first frame after)`` source times of stretches of a video that could not be
            read (damaged data), read past.
        notices: what a take of this source should say of it (missing frames, an assumed frame rate).
    """

    def __init__(
        self,
        *,
        path: str,
        name: str,
        kind: str,
        fps: float,
        size: tuple[int, int],
        frame_count: int | None,
        start: float,
        end: float | None,
        files: tuple[Path, ...] = (),
        offsets: tuple[int, ...] = (),
        notices: tuple[str, ...] = (),
        fps_override: bool = False,
        display_turns: int = 0,
        declared_stop: float | None = None,
    ) -> None:
        self.path = path
        self.name = name
        self.kind = kind
        self.fps = fps
        self.size = size
        self.frame_count = frame_count
        self._start = start
        self._end = end
        self._files = files
        self._offsets = offsets or tuple(range(len(files)))  # each file's frame place from the first (gaps: missing)
        self.notices = notices
        self._fps_override = fps_override
        self.display_turns = display_turns
        self.declared_stop = declared_stop
        self.cut_short: list[str] = []  # names of the image files read so far that are cut short (grey rows)
        self.holes: list[tuple[float, float]] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"FrameSource({self.kind} {self.path!r}, {self.size[0]}x{self.size[1]}, {self.fps:g} fps)"

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Mark the source closed (iterators hold their own decoder and release it when exhausted or closed)."""
        self._closed = True

    def __iter__(self) -> Iterator[Frame]:
        if self._closed:
            raise InputError(f"{self.path}: the frame source is closed")
        source_frames = self._iter_video() if self.kind == "video" else self._iter_images()
        first: float | None = None
        index = 0
        for source_time, image in source_frames:
            if first is None:
                first = source_time
            yield Frame(index=index, time=source_time - first, image=image, source_time=source_time)
            index += 1

    def _in_range(self, t: float) -> bool:
        return t >= self._start - _TIME_EPSILON_S

    def _past_end(self, t: float) -> bool:
        return self._end is not None and t >= self._end - _TIME_EPSILON_S

    def _iter_images(self) -> Iterator[tuple[float, np.ndarray]]:
        for file, offset in zip(self._files, self._offsets, strict=True):
            t = offset / self.fps
            if self._past_end(t):
                return
            if not self._in_range(t):
                continue
            read = read_image(file)
            if read is None:
                raise InputError(_unreadable(file))
            if read.cut_short:
                self.cut_short.append(file.name)
            image = read.image
            if (image.shape[1], image.shape[0]) != self.size:
                raise InputError(
                    f"image sequence frames must all be {self.size[0]}x{self.size[1]}; "
                    f"{file.name} is {image.shape[1]}x{image.shape[0]}"
                )
            yield t, image

    def _iter_video(self) -> Iterator[tuple[float, np.ndarray]]:
        cv2 = _cv2()
        cap, first = self._seek(cv2)
        try:
            previous, hole_from = -math.inf, None
            while True:
                if first is not None:
                    (ok, image), first = first, None
                else:
                    ok, image = cap.read()
                if not ok or image is None:
                    past = self._past_damage(cv2, previous)  # one damaged packet ended the read: the rest was lost
                    if past is None:
                        stop = self.declared_stop
                        if self._end is not None and stop is not None and stop >= self._end - _TIME_EPSILON_S:
                            if math.isfinite(previous) and previous + 1.5 / self.fps < stop:  # a part's range
                                self.holes.append((previous, stop))  # ends in the damage: the next part says the rest
                        return
                    cap.release()
                    cap, first = past
                    hole_from = previous if math.isfinite(previous) else self._start
                    continue
                t = _frame_time(cap, cv2, self._start, self.fps, previous, use_container=not self._fps_override)
                if hole_from is not None:
                    self.holes.append((hole_from, t))
                    hole_from = None
                previous = t
                if self._past_end(t):
                    return
                if not self._in_range(t):
                    continue  # seeking landed on a keyframe before start: decode forward
                yield t, turn_image(_as_bgr(image, cv2), self.display_turns)
        finally:
            cap.release()

    def _past_damage(self, cv2, previous: float) -> tuple[object, tuple[bool, np.ndarray]] | None:
        """After the decoder stopped at ``previous`` before the video's declared end: a capture that reads again
        past the damage (sought :data:`DAMAGE_SKIPS_S` further on, in turn) and the first frame it read; None at the
        end (a truncated file: nothing reads after it), or when nothing reads before the end.
        """
        stop = self.declared_stop
        anchor = previous if math.isfinite(previous) else self._start  # nothing read yet: a range starting in it
        if stop is None or anchor + 1.5 / self.fps >= stop:
            return None
        for skip in DAMAGE_SKIPS_S:
            target = anchor + skip
            if target >= stop or self._past_end(target):
                return None
            cap = cv2.VideoCapture(opencv_path(self.path))
            if cap.isOpened():
                cap.set(cv2.CAP_PROP_POS_MSEC, target * 1000.0)
                first = cap.read()
                landed = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if first[0] and first[1] is not None and landed > anchor + _TIME_EPSILON_S:  # not before it again
                    return cap, first
            cap.release()
        return None

    def _seek(self, cv2) -> tuple[object, tuple[bool, np.ndarray] | None]:
        """An open capture at ``start``, and the first frame it read (None: not read yet).

        Seeking lands on a keyframe before the target and decoding forward finds it; but on a variable-frame-rate
        file OpenCV's seek can land after it (a phone's low-light stretch): the frames between would be lost (a
        ``--start``, a later part of a clip read in parts). A first frame later than the target by more than half
        a frame is sought again from further back (1 s, 2 s, 4 s, ..., the beginning).
        """
        back = 0.0
        while True:
            cap = cv2.VideoCapture(opencv_path(self.path))
            if not cap.isOpened():
                cap.release()
                raise InputError(f"cannot open video {self.path}")
            target = self._start - back
            if self._start <= 0:
                return cap, None
            if target > 0:
                cap.set(cv2.CAP_PROP_POS_MSEC, target * 1000.0)
            if self._fps_override:  # frames timed index / fps from the seek: no container time to check it by
                return cap, None
            first = cap.read()  # where it landed: the container's time of the frame (the target where it gives none)
            landed = _frame_time(cap, cv2, target, self.fps, -math.inf, use_container=True) if first[0] else target
            if target <= 0 or landed <= self._start + 0.5 / self.fps:
                return cap, first
            cap.release()  # landed after the target: frames before it would be lost
            back = max(1.0, 2.0 * back)


def open_source(
    path: str | Path,
    *,
    start: float | None = None,
    end: float | None = None,
    fps: float | None = None,
) -> FrameSource:
    """Open a video file, an image folder, a glob pattern of images or one image.

    Args:
        path: a video file (anything ``cv2.VideoCapture`` reads), a folder of images, a glob pattern such as
            ``"shots/img_*.png"``, or one image file. Image sequences are ordered by :func:`natural_sort_key`.
        start: first second to yield (source time), default the beginning. Video seeks there.
        end: stop before this second (source time), default the end.
        fps: frame rate of an image sequence (default :data:`DEFAULT_IMAGE_FPS`), or of a video whose file gives
            none (its frames are then timed ``index / fps``); a video's own rate and timestamps are never replaced
            (``batch --fps`` over a folder of videos and image folders times the image folders).

    Returns:
        The source; use it as a context manager and iterate it for :class:`Frame` objects.

    Raises:
        InputError: missing file, folder or pattern with no images, a video that opens but yields no frame, an
            unsupported file, an empty ``[start, end)`` interval, or a bad ``fps``.
    """
    start_s = 0.0 if start is None else float(start)
    if start_s < 0 or not math.isfinite(start_s):
        raise InputError(f"start must be a time in seconds >= 0; got {start}")
    if end is not None and not float(end) > start_s:
        raise InputError(f"end ({end} s) must be after start ({start_s} s)")
    if fps is not None and not (math.isfinite(fps) and fps > 0):
        raise InputError(f"fps must be a positive number; got {fps}")
    text = str(path)
    p = Path(text)
    if _GLOB_CHARS.search(text) and not p.exists():
        matched = [Path(f) for f in glob.glob(text)]
        files = tuple(f for f in matched if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            hint = "; a [ in a folder's name starts a glob's set: write it [[]" if "[" in text else ""
            unread = unread_image_hint(p.parent, matched)
            raise InputError(
                unread or f"no images match {text!r} (readable suffixes: {', '.join(IMAGE_SUFFIXES)}){hint}"
            )
        sequence = glob_sequence(text, list(files))  # one folder's sequence: timed by its frame numbers
        if sequence is not None:
            return _image_source(text, _pattern_name(p), sequence.files, start_s, end, fps, sequence.offsets(),
                                 _gap_notices(_pattern_name(p), sequence))  # fmt: skip
        files = tuple(sorted(files, key=lambda f: natural_sort_key(str(f))))  # whole paths: a glob over folders
        return _image_source(text, _pattern_name(p), files, start_s, end, fps)
    if not p.exists():
        raise InputError(f"input not found: {text}")
    if p.is_dir():
        # hidden files are not frames: macOS's ._frame_1.png beside frame_1.png, a .preview's temp
        images, others = split_image_files(p.iterdir())
        if not images:
            unread = unread_image_hint(p, others)
            raise InputError(unread or f"folder {text} has no images (readable suffixes: {', '.join(IMAGE_SUFFIXES)})")
        sequence = folder_sequence(p, images, others)
        notices = _gap_notices(p.name, sequence)
        return _image_source(text, p.name, sequence.files, start_s, end, fps, sequence.offsets(), notices)
    if p.stat().st_size == 0:  # before OpenCV, whose FFmpeg would print "moov atom not found" and say no more
        raise InputError(f"{text} is empty (0 bytes): a copy or download that did not finish?")
    if p.suffix.lower() in UNREAD_IMAGE_SUFFIXES:
        raise InputError(unread_image_hint(p.parent, [p]))
    kind = sniff_media(p)
    if kind == "heif":
        raise InputError(f"{text} is a HEIC/HEIF photo, which OpenCV cannot read: convert it to JPEG or PNG")
    if kind == "image" or (kind is None and p.suffix.lower() in IMAGE_SUFFIXES):
        return _image_source(text, p.stem, (p,), start_s, end, fps)
    return _video_source(p, start_s, end, fps)  # a video, a GIF (still or animated), or whatever OpenCV opens


def _image_source(
    text: str,
    name: str,
    files: tuple[Path, ...],
    start: float,
    end: float | None,
    fps: float | None,
    offsets: tuple[int, ...] = (),
    notices: tuple[str, ...] = (),
) -> FrameSource:
    """Frames of image ``files`` in order, each timed ``offset / fps`` (offsets: frames from the first; default
    their places).
    """
    rate = DEFAULT_IMAGE_FPS if fps is None else float(fps)
    offsets = offsets or tuple(range(len(files)))
    times = np.asarray(offsets, dtype=np.float64) / rate
    first_index = int(np.searchsorted(times, start - _TIME_EPSILON_S))
    last_index = len(files) if end is None else int(np.searchsorted(times, end - _TIME_EPSILON_S))
    if first_index >= last_index:
        raise InputError(f"{text}: no frames in [{start}, {end}) s ({len(files)} images at {rate:g} fps)")
    read = read_image(files[first_index])
    if read is None:
        raise InputError(_unreadable(files[first_index]))
    probe = read.image
    size = (int(probe.shape[1]), int(probe.shape[0]))
    for file in files[first_index + 1 : last_index]:  # headers only: a frame of another size stops it before any work
        if file.stat().st_size == 0:
            raise InputError(_unreadable(file))
        other = image_size(file)
        if other is not None and other != size:
            raise InputError(
                f"image sequence frames must all be {size[0]}x{size[1]} (as {files[first_index].name}); "
                f"{file.name} is {other[0]}x{other[1]}"
            )
    kind = "image" if len(files) == 1 and Path(text).is_file() else "images"
    if fps is None and kind == "images":
        notices = (
            *notices,
            f"{name}: an image sequence holds no frame rate: timed at {rate:g} fps (give its rate: --fps 24, the "
            "panel's scene rate)",
        )
    return FrameSource(
        path=text,
        name=name,
        kind=kind,
        fps=rate,
        size=size,
        frame_count=last_index - first_index,
        start=start,
        end=end,
        files=files,
        offsets=offsets,
        notices=notices,
    )


def _gap_notices(name: str, sequence: ImageSequence) -> tuple[str, ...]:
    """The notice naming a sequence's missing frame numbers (none when it has no gaps)."""
    missing = sequence.missing()
    if not missing:
        return ()
    runs = [f"{a}" if a == b else f"{a}-{b}" for a, b in missing]
    count = sum(b - a + 1 for a, b in missing)
    shown = ", ".join(runs[:6]) + (", ..." if len(runs) > 6 else "")
    return (
        f"{name}: {count} frame(s) missing from {sequence.pattern()} ({shown}): the take leaves their time empty, so "
        "every other frame keeps its place",
    )


def _unreadable(file: Path) -> str:
    """Why an image file gives no picture, in words."""
    try:
        empty = file.stat().st_size == 0
    except OSError:
        empty = False
    if empty:
        return f"{file} is empty (0 bytes): a render or copy that did not finish? Mend or remove it"
    return f"cannot read image {file} (corrupt, or not an image format OpenCV reads)"


def _video_source(p: Path, start: float, end: float | None, fps: float | None) -> FrameSource:
    cv2 = _cv2()
    cap = cv2.VideoCapture(opencv_path(p))
    try:
        if not cap.isOpened():
            if sniff_media(p) == "video":  # e.g. an MP4 cut short while recording: its index (moov) was never written
                raise InputError(
                    f"cannot open video {p}: it starts like a video but cannot be read (a recording cut short before "
                    "its index was written, a file of sound only, or a codec this OpenCV lacks); re-export or remux it"
                )
            raise InputError(f"unsupported input {p}: not a video OpenCV can open, an image, or an image folder")
        rate = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        override = not (math.isfinite(rate) and rate > 0) and fps is not None  # --fps times a video only without one
        if override:
            rate = float(fps)
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(f"video {p} reports no frame rate; give it (--fps) to time its frames")
        ok, image = cap.read()
        if not ok or image is None:
            raise InputError(f"cannot read video {p}: it opens but yields no frames (corrupt or unsupported codec)")
        turns = display_turns_from_degrees(float(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0.0))
        size = (int(image.shape[1]), int(image.shape[0]))
        if turns % 2:
            size = size[::-1]
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    frame_count: int | None = None
    stop: float | None = None
    if count > 0:
        duration = count / rate
        stop = duration if end is None else min(end, duration)
        # frames k / rate in [start, stop) (a range's ends need not fall on frames: round() counted one too many)
        frame_count = max(0, math.ceil(stop * rate - 1e-6) - math.ceil(start * rate - 1e-6))
        if start >= duration:
            raise InputError(f"start ({start} s) is past the end of {p.name} ({duration:.3f} s)")
    return FrameSource(
        path=str(p),
        name=p.stem,
        kind="video",
        fps=rate,
        size=size,
        frame_count=frame_count,
        start=start,
        end=end,
        fps_override=override,
        display_turns=turns,
        declared_stop=stop,
    )


def _frame_time(cap, cv2, origin: float, fps: float, previous: float, *, use_container: bool) -> float:
    """Source time in seconds of the frame just read: the container's timestamp, else one frame step on.

    ``origin`` is the time assumed for the first decoded frame when the container gives none (0, or the seek
    target); ``previous`` the time of the previously decoded frame (``-inf`` before the first).
    """
    fallback = origin if previous == -math.inf else previous + 1.0 / fps
    if not use_container:
        return fallback
    msec = cap.get(cv2.CAP_PROP_POS_MSEC)
    t = msec / 1000.0 if msec is not None and math.isfinite(msec) else math.nan
    if not math.isfinite(t) or t < 0 or (previous != -math.inf and t <= previous + _TIME_EPSILON_S):
        return fallback
    return t


def _as_bgr(image: np.ndarray, cv2) -> np.ndarray:
    """``(H, W, 3)`` uint8 BGR from whatever the decoder gave (grey, BGRA, 16 bit)."""
    if image.dtype != np.uint8:
        image = (image / 257.0).astype(np.uint8) if image.dtype == np.uint16 else image.astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


def _pattern_name(p: Path) -> str:
    """A readable name for a glob pattern: the stem without wildcards (``img_*.png`` -> ``img``)."""
    stem = _GLOB_CHARS.split(p.stem)[0].rstrip("_-. ")
    return stem or p.parent.name or "images"


def _cv2():
    """OpenCV, imported on first use (heavy; keeps ``import engine.video_source`` free)."""
    try:
        import cv2
    except ImportError as err:  # pragma: no cover - cv2 is a core dependency
        from .errors import MissingDependency

        raise MissingDependency("reading video needs OpenCV: pip install opencv-python-headless") from err
    return cv2
