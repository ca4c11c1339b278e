"""Pass 1 of a take: the frames streamed once, each frame's landmarks and image-based eye state kept.

Frames are decoded ahead in a thread (:mod:`engine.prefetch`) and each is given to the landmark backend (wrapped
so a sideways face is turned upright first, :class:`~engine.orientation.UprightFaceBackend`); the eye state
P(closed) of each frame is computed beside the detector in a one-worker pool. Rows go to a sink in frame order:
memory (:func:`collect_landmarks`) or the partial take's spool on disk (:mod:`engine.track_job`). A long clip is
read in concurrent parts, each with its own graph (:mod:`engine.landmark_parts`). No image is kept.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from .contract.take import MEDIAPIPE_POINT_COUNT
from .contract.take_limits import DEFAULT_LIMITS
from .errors import InputError
from .eyes.eye_state import eye_closed_probability
from .landmark_parts import PartProgress, run_parts
from .landmarks.backend_pool import LandmarkBackends
from .landmarks.base import LandmarkBackend, LandmarkResult
from .orientation import UprightFaceBackend
from .part_seams import FaceAt, face_at, same_face
from .prefetch import prefetch
from .progress import ProgressReporter
from .track_config import TrackConfig
from .video_source import open_source

__all__ = [
    "BACKENDS",
    "LandmarkSink",
    "Landmarks",
    "PartSink",
    "SourceInfo",
    "TIME_ORDER_EPSILON_S",
    "collect_landmarks",
    "detect_landmarks",
    "make_backend",
]

BACKENDS = ("mediapipe", "fan")
# Backends whose graph runs on one core, so a clip read in concurrent parts takes less time (FAN's network already
# spreads over every core PyTorch is given).
PARTED_BACKENDS = ("mediapipe",)
EYE_STATE_JOBS_IN_FLIGHT = 3  # frames whose eye state is computed beside the detector at most
TIME_ORDER_EPSILON_S = 1e-6  # source times closer than this are one frame's
TRUNCATED_SHARE = 0.95  # a video that yields fewer than this share of the frames it declares gets a notice ...
TRUNCATED_SLACK_FRAMES = 1  # ... and more than this many fewer (container times need not fall on k / fps exactly)
TRUNCATED_SLACK_S = 0.5  # ... and stops this long before the time it should run to (a variable-rate clip holds
# fewer frames than its average rate says, yet runs to its end)


@dataclasses.dataclass(frozen=True)
class Landmarks:
    """Pass 1's output for T frames and J detector points.

    Attributes:
        points: ``(T, J, 2)`` float32 detector landmarks, pixels, NaN where no face.
        depth: ``(T, J)`` float32 relative depth, pixels (larger = farther), NaN where no face, 0 if the
            backend gives none (``has_depth`` False).
        p_closed: ``(T, 2)`` float32 [left, right] image-based P(eye closed), 0 where unknown.
        time: ``(T,)`` float64 seconds of the source (only differences matter; the take starts at 0). score:
            ``(T,)`` float32 detection confidence.
        point_ids: ``(J,)`` model point of each detector point.
        fps, size (w, h), name: the source's.
        notices: what the user should know (a video that ended early), stored in the take's ``meta["notices"]``.
    """

    points: np.ndarray
    depth: np.ndarray
    p_closed: np.ndarray
    time: np.ndarray
    score: np.ndarray
    point_ids: np.ndarray
    has_depth: bool
    fps: float
    size: tuple[int, int]
    name: str
    notices: tuple[str, ...] = ()

    def frames(self, start: int, stop: int) -> Landmarks:
        """Frames ``[start, stop)`` alone (the per-frame arrays sliced; the rest shared)."""
        sl = slice(start, stop)
        return dataclasses.replace(
            self,
            points=self.points[sl],
            depth=self.depth[sl],
            p_closed=self.p_closed[sl],
            time=self.time[sl],
            score=self.score[sl],
        )


def make_backend(name: str, *, still_images: bool) -> LandmarkBackend:
    """Construct a landmark backend by name (heavy imports happen here, not at module import)."""
    if name == "mediapipe":
        from .landmarks.mediapipe_mesh import MediaPipeConfig, MediaPipeFaceMesh

        return MediaPipeFaceMesh(MediaPipeConfig(static_image_mode=still_images))
    if name == "fan":
        from .landmarks.fan_backend import FanBackend

        return FanBackend()
    raise InputError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")


@dataclasses.dataclass(frozen=True)
class SourceInfo:
    """What pass 1 learnt about its input (see :class:`Landmarks` for the fields)."""

    point_ids: np.ndarray
    has_depth: bool
    fps: float
    size: tuple[int, int]
    name: str
    frames: int
    notices: tuple[str, ...]


class LandmarkSink(Protocol):
    """Receives pass 1's rows in frame order (:class:`_InMemoryRows`, or the on-disk spool of long clips)."""

    def opened(self, fps: float, size: tuple[int, int], name: str) -> None:
        """The input is open: its frame rate, ``(width, height)`` and name (before the first frame)."""
        ...

    def add(self, source_time: float, points: np.ndarray, depth: np.ndarray, p_closed: np.ndarray, score: float):
        """One frame: ``(J, 2)`` float32 points and ``(J,)`` depth (NaN: no face), ``(2,)`` P(closed), score."""
        ...


class PartSink(Protocol):
    """Holds a later part's rows of a clip read in parts (:func:`detect_landmarks`) until they are replayed."""

    def add(self, source_time: float, points: np.ndarray, depth: np.ndarray, p_closed: np.ndarray, score: float):
        """One frame, as :meth:`LandmarkSink.add`."""
        ...

    def replay(self, sink: LandmarkSink, *, after: float) -> int:
        """Hand the rows later than source time ``after`` to ``sink`` in order, drop them here; how many."""
        ...

    def discard(self) -> None:
        """Drop every row, handing none on (the part is read again: :mod:`engine.part_seams`)."""
        ...


def detect_landmarks(
    input_path: str | Path,
    cfg: TrackConfig,
    reporter: ProgressReporter,
    sink: LandmarkSink,
    *,
    start: float | None = None,
    first_index: int = 0,
    backends: LandmarkBackends | None = None,
    part_sink: Callable[[int], PartSink] | None = None,
) -> SourceInfo:
    """Pass 1: stream the input and hand every frame's landmarks and eye state to ``sink``, in order.

    A long clip is read in concurrent parts (``cfg.parts``, :mod:`engine.landmark_parts`): the first part's rows
    go to ``sink`` as they come, each later part's to a sink of its own, replayed into ``sink`` in order.

    Args:
        start: source time to start at (default ``cfg.start``); ``first_index`` is the index of that frame in the
            whole take (when resuming), for progress.
        backends: a warm engine's open backends (borrowed, reset, left open), or None to make one for this clip.
        part_sink: makes the sink of part ``i`` >= 1 (default: rows in memory); the on-disk spool of long clips
            gives one that keeps them on disk.
    """
    range_start = cfg.start if start is None else start
    with open_source(input_path, start=range_start, end=cfg.end, fps=cfg.fps) as source:
        still = source.kind == "image"
        fps, size, name, expected = source.fps, source.size, source.name, source.frame_count
        most = DEFAULT_LIMITS.max_frames  # what a take reader opens: a longer take would be written, then refused
        if expected is not None and first_index + expected > most:  # (or a header overstating the clip's length)
            stop = (range_start or 0.0) + (most - first_index) / fps
            info = detect_landmarks(
                input_path, dataclasses.replace(cfg, end=stop), reporter, sink, start=start, first_index=first_index,
                backends=backends, part_sink=part_sink,
            )  # fmt: skip
            said = (
                f"{name}: {first_index + expected:,} frames declared, more than one take holds ({most:,}: "
                f"{most / fps / 3600:.1f} h at {fps:g} fps); the take stops at {stop:,.0f} s: track the rest into "
                f"another take (track --start {stop:.0f})"
            )
            return dataclasses.replace(info, notices=(*info.notices, said))
        declared_stop = source.declared_stop
        splits_well = not still and cfg.backend in PARTED_BACKENDS
        bounds = cfg.parts.bounds(range_start or 0.0, fps, expected) if splits_well else [range_start]
        sink.opened(fps, size, name)
        reporter.start(None if expected is None else expected + first_index)
        ends = [*bounds[1:], cfg.end]
        make_part_sink = part_sink or (lambda _: _InMemoryRows())
        sinks = [sink, *(make_part_sink(i) for i in range(1, len(bounds)))]
        model_vertices: list[np.ndarray] = []  # the first part's backend's
        cut_short: list[str] = []  # image files whose data stops short (engine/image_file.py), every part's
        holes: list[tuple[float, float]] = []  # stretches of a damaged video read past, every part's

        # A resumed run (first_index > 0) starts its tracker on the frames before the resume point, dropped, like a
        # later part: a tracker's first frames differ from a converged one's (up to 13 px on d10).
        warmup_s = cfg.parts.warmup_frames / fps if first_index > 0 and not still else 0.0

        def open_part(i: int):
            """Part ``i``'s frames (a later part's, or a resumed run's, from ``warmup_frames`` before its range);
            None past the end.
            """
            if i == 0 and warmup_s > 0:
                return open_source(
                    input_path, start=max(cfg.start or 0.0, range_start - warmup_s), end=ends[0], fps=cfg.fps
                )
            if len(bounds) == 1:
                return source  # the whole range, already open
            if i == 0:
                return open_source(input_path, start=bounds[0], end=ends[0], fps=cfg.fps)
            try:
                return open_source(input_path, start=max(bounds[0], bounds[i] - cfg.parts.warmup_frames / fps),
                                   end=ends[i], fps=cfg.fps)  # fmt: skip
            except InputError:  # the clip ended before this part's start (it declared more frames)
                return None

        seam_frames = cfg.parts.warmup_frames if len(bounds) > 1 else 0

        def part(i: int) -> Callable[[PartProgress], _PartRead]:
            def run(progress: PartProgress) -> _PartRead:
                backend = _upright_backend(cfg, still, backends, slot=i)  # made, used and closed in the part's thread
                try:
                    if i == 0:
                        model_vertices.append(np.asarray(backend.model_vertices))
                    part_source = open_part(i)
                    if part_source is None:
                        return _PartRead(0, True, -math.inf, [], [])
                    with part_source:
                        result = _detect_part(part_source, backend, cfg, sinks[i], progress, keep_from=bounds[i],
                                              seam_frames=seam_frames)  # fmt: skip
                    cut_short.extend(part_source.cut_short)
                    holes.extend(part_source.holes)
                    return result
                finally:
                    backend.close()

            return run

        results = run_parts([part(i) for i in range(len(bounds))], lambda n: reporter.update(first_index + n))
        notices = list(source.notices)  # what the input itself says (missing frames, an assumed frame rate)
        seams = range(1, len(bounds))
        switched = next((i for i in seams if not same_face(results[i - 1].last_faces, results[i].warmup_faces)), None)
        if switched is not None:  # a later part took another face: read on from the part before it in one piece
            for i in range(switched, len(bounds)):
                sinks[i].discard()
            backend = _upright_backend(cfg, still, backends, slot=switched)
            try:
                with open_source(input_path, start=bounds[switched - 1], end=cfg.end, fps=cfg.fps) as again:
                    sinks[switched] = make_part_sink(switched)
                    redo = _detect_part(again, backend, cfg, sinks[switched], _Uncounted(), keep_from=bounds[switched])
                cut_short.extend(again.cut_short)
                holes.extend(again.holes)
            finally:
                backend.close()
            results = [*results[:switched], redo]
            sinks = sinks[: switched + 1]
            notices.append(
                f"{name}: another face is in the picture from about {bounds[switched]:.1f} s, where the clip was read "
                "in parts; the rest was read again in one piece, so the take follows the first face throughout"
            )
        frames, has_depth, last_time = results[0].frames, results[0].has_depth, results[0].last_time
        for i in range(1, len(results)):  # a later part's rows, in order, after everything before it
            frames += sinks[i].replay(sink, after=last_time)
            has_depth = has_depth and results[i].has_depth
            last_time = max(last_time, results[i].last_time)
        short = bool(expected) and frames < TRUNCATED_SHARE * expected and frames < expected - TRUNCATED_SLACK_FRAMES
        short = short and (declared_stop is None or last_time < declared_stop - TRUNCATED_SLACK_S)
        if not still and expected and first_index == 0 and short:
            notices.append(
                f"{name}: the video ended after {frames} of the {expected} frames it declares "
                "(a truncated or damaged file?); the take has the frames that could be read"
            )
        if holes:
            merged: list[list[float]] = []  # a part's hole ending at its range's end and the next's, one stretch
            for a, b in sorted(holes):
                if merged and a <= merged[-1][1] + 1.0:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            shown = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in merged[:5])
            notices.append(
                f"{name}: the video could not be read at {shown} (damaged data there?); the take skips that time"
            )
        if cut_short:
            shown = ", ".join(sorted(set(cut_short))[:5]) + (", ..." if len(set(cut_short)) > 5 else "")
            notices.append(
                f"{len(set(cut_short))} image(s) cut short (a copy that did not finish?): {shown}; their lower rows "
                "read grey, so the face there is partly a guess"
            )
        return SourceInfo(model_vertices[0], has_depth, fps, size, name, frames, tuple(notices))


def _upright_backend(
    cfg: TrackConfig, still: bool, backends: LandmarkBackends | None, *, slot: int
) -> UprightFaceBackend:
    """The landmark backend of one part of a clip: a new one, or a warm engine's ``slot`` (borrowed)."""
    if backends is None:
        return UprightFaceBackend(lambda: make_backend(cfg.backend, still_images=still), cfg.orientation)
    return UprightFaceBackend(
        lambda: _Borrowed(backends.get(cfg.backend, still_images=still, slot=slot)),
        cfg.orientation,
        shared_detector=lambda: backends.detector(slot),
    )


class _PartRead(NamedTuple):
    """What reading one part of a clip gave (:func:`_detect_part`)."""

    frames: int  # frames kept (the warm-up frames before its range not counted)
    has_depth: bool  # every frame's landmarks had depth
    last_time: float  # source time of its last kept frame, seconds (-inf: none)
    warmup_faces: list[FaceAt]  # the face on its warm-up frames (:mod:`engine.part_seams`)
    last_faces: list[FaceAt]  # the face on its last ``seam_frames`` kept frames


def _detect_part(
    source,
    backend: UprightFaceBackend,
    cfg: TrackConfig,
    sink: LandmarkSink,
    progress: PartProgress,
    *,
    keep_from: float | None,
    seam_frames: int = 0,
) -> _PartRead:
    """One part's frames into ``sink``, in order, and what reading them gave.

    Frames before source time ``keep_from`` only warm the tracker up: detected, not kept, not counted.
    """
    import cv2

    has_depth, frames, last_time = True, 0, -math.inf
    warmup_faces: list[FaceAt] = []
    last_faces: collections.deque = collections.deque(maxlen=max(seam_frames, 1))
    nan_points = np.full((backend.num_points, 2), np.nan, np.float32)
    no_eyes = np.zeros(2, np.float32)
    pending: collections.deque = collections.deque()  # frames waiting for their eye state, in order

    def eye_state(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        return eye_closed_probability(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), landmarks, cfg.eye_state)

    def flush(keep: int) -> None:
        while len(pending) > keep:
            t, pts, d, job, score = pending.popleft()
            sink.add(t, pts, d, no_eyes if job is None else job.result(), score)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eye-state") as eyes:
        for frame in prefetch(source):  # decoding overlaps detection (bounded: a few frames ahead)
            result = backend.detect(frame.image)
            face = None if result is None else face_at(frame.source_time, result.points)
            if keep_from is not None and frame.source_time < keep_from - TIME_ORDER_EPSILON_S:
                if face is not None:
                    warmup_faces.append(face)
                continue
            if face is not None and seam_frames:
                last_faces.append(face)
            frames += 1
            last_time = frame.source_time
            if result is None:
                pending.append((frame.source_time, nan_points, nan_points[:, 0], None, 0.0))
            else:
                job = None
                if result.points.shape[0] == MEDIAPIPE_POINT_COUNT:  # eye state reads MediaPipe's topology
                    job = eyes.submit(eye_state, frame.image, result.points)
                has_depth = has_depth and result.depth is not None
                d = result.depth if result.depth is not None else np.zeros(len(result.points), np.float32)
                pending.append((frame.source_time, result.points, d.astype(np.float32), job, result.score))
            flush(keep=EYE_STATE_JOBS_IN_FLIGHT)  # bounded: a few frames' images held
            progress.frame()
        flush(keep=0)
    return _PartRead(frames, has_depth, last_time, warmup_faces, list(last_faces))


class _Borrowed:
    """A pooled backend lent to one clip: closing it hands it back (the pool resets it for the next clip)."""

    def __init__(self, backend: LandmarkBackend) -> None:
        self._backend = backend
        self.name, self.num_points, self.model_vertices = backend.name, backend.num_points, backend.model_vertices

    def detect(self, image_bgr: np.ndarray) -> LandmarkResult | None:
        return self._backend.detect(image_bgr)

    def reset(self) -> None:
        self._backend.reset()

    def close(self) -> None:
        """Hand it back: the pool keeps it open."""


class _Uncounted:
    """The progress of a part read again: its frames were counted the first time."""

    def frame(self) -> None:
        """Nothing to count."""


class _InMemoryRows:
    def __init__(self) -> None:
        self.points, self.depth, self.p_closed, self.times, self.scores = [], [], [], [], []

    def opened(self, fps, size, name) -> None:
        """Nothing to note: :func:`detect_landmarks` returns the source's details."""

    def add(self, source_time, points, depth, p_closed, score) -> None:
        self.times.append(source_time), self.points.append(points), self.depth.append(depth)
        self.p_closed.append(p_closed), self.scores.append(score)

    def replay(self, sink: LandmarkSink, *, after: float) -> int:
        """A later part's rows into ``sink`` (:class:`PartSink`)."""
        rows = zip(self.times, self.points, self.depth, self.p_closed, self.scores, strict=True)
        count = 0
        for row in rows:
            if row[0] > after + TIME_ORDER_EPSILON_S:  # a frame two parts both read is kept from the first
                sink.add(*row)
                count += 1
        self.clear()
        return count

    def discard(self) -> None:
        """Drop every row (:class:`PartSink`)."""
        self.clear()

    def clear(self) -> None:
        """Drop every row."""
        for per_frame in (self.points, self.depth, self.p_closed, self.times, self.scores):
            per_frame.clear()


def collect_landmarks(
    input_path: str | Path,
    cfg: TrackConfig,
    reporter: ProgressReporter,
    *,
    backends: LandmarkBackends | None = None,
) -> Landmarks:
    """Pass 1 into memory: every frame's landmarks and eye state (:func:`detect_landmarks`)."""
    rows = _InMemoryRows()
    info = detect_landmarks(input_path, cfg, reporter, rows, backends=backends)
    if not rows.times:
        raise InputError(f"{input_path}: no frames in the requested range")
    landmarks = Landmarks(
        points=np.stack(rows.points),
        depth=np.stack(rows.depth).astype(np.float32),
        p_closed=np.stack(rows.p_closed),
        time=np.asarray(rows.times, np.float64),
        score=np.asarray(rows.scores, np.float32),
        point_ids=info.point_ids,
        has_depth=info.has_depth,
        fps=info.fps,
        size=info.size,
        name=info.name,
        notices=info.notices,
    )
    # Drop the per-frame lists now: a library may keep this frame alive through a stored traceback
    # (seen with MediaPipe's start-up), which would otherwise hold every frame's arrays twice.
    rows.clear()
    return landmarks
