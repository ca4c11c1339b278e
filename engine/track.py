"""The tracking pipeline: frames -> landmarks + eye state -> fitted model -> filtered take.

Pass 1 streams frames (a few in memory at a time): landmarks and the image-based eye state P(closed); a long clip
is read in concurrent parts, each with its own landmark graph (:mod:`engine.landmark_parts`). Pass 2
makes the fit's targets (landmarks de-jittered over time, then eyelids corrected frame by frame by the Eye
Landmark Adjustment Module, so a blink is never smoothed away), fits the clip (identity once, then pose and
expression per frame; :mod:`engine.fitting.clip_fit`), derives blink and gaze, filters (:mod:`engine.temporal`)
and writes the take. Per-frame state kept between the passes is a few KB (landmarks), never images.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import time as wallclock
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from .contract.frames import FRONTAL_ROTATION, image_to_view_points, view_pose_to_camera_pose, view_to_image_points
from .contract.one_euro import FilterConfig
from .contract.quaternion import matrix_to_quaternion_wxyz
from .contract.take import MEDIAPIPE_POINT_COUNT, Take, make_meta
from .contract.take_io import save_take
from .errors import InputError, NoFaceFound
from .eyes.elam import ElamConfig, adjust_eyelid_landmarks
from .eyes.eye_state import EyeStateConfig, eye_closed_probability
from .face_model.model import FaceModel, load_face_model
from .face_model.topology import NUM_MESH_VERTICES
from .fitting.actor import HELD_EXPRESSIONS
from .fitting.clip_fit import ClipFit, FitConfig, fit_clip
from .fitting.eye_readout import blink_from_expression, gaze_from_expression
from .identity_file import identity_to_vector
from .landmark_parts import LandmarkPartsConfig, PartProgress, run_parts
from .landmark_smoothing import DEFAULT_LANDMARK_FILTER, smooth_landmarks
from .landmarks.backend_pool import LandmarkBackends
from .landmarks.base import LandmarkBackend, LandmarkResult
from .neutral_frame import NeutralFrame
from .orientation import OrientationConfig, UprightFaceBackend
from .prefetch import prefetch
from .progress import ProgressReporter, make_reporter
from .temporal import StreamFilterConfig, filter_take_streams
from .video_source import open_source

__all__ = [
    "BACKENDS",
    "LandmarkSink",
    "Landmarks",
    "SourceInfo",
    "TrackConfig",
    "collect_landmarks",
    "detect_landmarks",
    "fit_and_filter",
    "fit_notices",
    "fit_targets",
    "make_backend",
    "neutral_targets",
    "take_from_fit",
    "track",
]

BACKENDS = ("mediapipe", "fan")
# Backends whose graph runs on one core, so a clip read in concurrent parts takes less time (FAN's network already
# spreads over every core PyTorch is given).
PARTED_BACKENDS = ("mediapipe",)
EYE_STATE_JOBS_IN_FLIGHT = 3  # frames whose eye state is computed beside the detector at most
NEUTRAL_TIME_TOLERANCE_S = 1.0  # --neutral TIME must lie within this of a tracked frame


@dataclasses.dataclass(frozen=True)
class TrackConfig:
    """Everything that decides a take, passed explicitly (the CLI and the add-on build one).

    Attributes:
        backend: landmark backend, one of :data:`BACKENDS`.
        fit: fitting settings. filter: temporal filter settings (``filter.enabled=False`` for ``--no-filter``).
        eye_state: the appearance eye-state estimator's settings. elam: when ELAM adjusts eyelids.
        use_elam: apply the Eye Landmark Adjustment Module (off only for ablations).
        landmark_filter: de-jittering of the fit's landmark targets (:mod:`engine.landmark_smoothing`);
            ``enabled=False`` fits every frame's raw landmarks.
        start, end: the time range to track, seconds (None = from the start / to the end).
        parts: how pass 1 reads a long clip in concurrent parts (:mod:`engine.landmark_parts`).
    """

    backend: str = "mediapipe"
    fit: FitConfig = FitConfig()
    filter: StreamFilterConfig = StreamFilterConfig()
    eye_state: EyeStateConfig = EyeStateConfig()
    # ELAM acts wherever the image says "closed" but the lids still show a gap (EAR above 0.05, i.e. not shut):
    # MediaPipe's closed-eye lids typically stay 0.05-0.15 apart, which would read as a partial blink.
    elam: ElamConfig = ElamConfig(closed_openness=0.05)
    use_elam: bool = True
    landmark_filter: FilterConfig = DEFAULT_LANDMARK_FILTER
    orientation: OrientationConfig = OrientationConfig()
    start: float | None = None
    end: float | None = None
    parts: LandmarkPartsConfig = LandmarkPartsConfig()


TIME_ORDER_EPSILON_S = 1e-6  # source times closer than this are one frame's
TRUNCATED_SHARE = 0.95  # a video that yields fewer than this share of the frames it declares gets a notice
# A clip whose calmest frames still read one of the held expressions (brows, smiles, frowns) at HELD_AT_REST or more
# probably never relaxes: its estimated rest holds that expression, of which the take reads only the part above
# FitConfig.held_rest_cap, and the take says so. A third of a full expression; the rests of the tuning clips (d0, d3,
# d10, d18) read at most 0.13 on these channels, the held-out furious talkers' 0.31-0.68; set after seeing both
# (README, "Measured": tests/benchmarks/bench_saturation.py lists the clips whose takes say so).
HELD_AT_REST = 0.3


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
    with open_source(input_path, start=range_start, end=cfg.end) as source:
        still = source.kind == "image"
        fps, size, name, expected = source.fps, source.size, source.name, source.frame_count
        splits_well = not still and cfg.backend in PARTED_BACKENDS
        bounds = cfg.parts.bounds(range_start or 0.0, fps, expected) if splits_well else [range_start]
    sink.opened(fps, size, name)
    reporter.start(None if expected is None else expected + first_index)
    ends = [*bounds[1:], cfg.end]
    sinks = [sink, *((part_sink or (lambda _: _InMemoryRows()))(i) for i in range(1, len(bounds)))]
    backend_slots = [_upright_backend(cfg, still, backends, slot) for slot in range(len(bounds))]

    def part(i: int) -> Callable[[PartProgress], tuple[int, bool, float]]:
        def run(progress: PartProgress) -> tuple[int, bool, float]:
            try:
                if i == 0:
                    part_source = open_source(input_path, start=range_start, end=ends[0])
                else:
                    read_from = max(bounds[0] or 0.0, bounds[i] - cfg.parts.warmup_frames / fps)
                    try:
                        part_source = open_source(input_path, start=read_from, end=ends[i])
                    except InputError:  # the clip ended before this part's start (it declared more frames)
                        return 0, True, -math.inf
                with part_source:
                    return _detect_part(part_source, backend_slots[i], cfg, sinks[i], progress, keep_from=bounds[i])
            finally:
                backend_slots[i].close()

        return run

    results = run_parts([part(i) for i in range(len(bounds))], lambda n: reporter.update(first_index + n))
    frames, has_depth, last_time = results[0]
    for i in range(1, len(bounds)):  # a later part's rows, in order, after everything before it
        frames += sinks[i].replay(sink, after=last_time)
        has_depth = has_depth and results[i][1]
        last_time = max(last_time, results[i][2])
    notices = []
    if not still and expected and first_index == 0 and frames < TRUNCATED_SHARE * expected:
        notices.append(
            f"{name}: the video ended after {frames} of the {expected} frames it declares "
            "(a truncated or damaged file?); the take has the frames that could be read"
        )
    return SourceInfo(np.asarray(backend_slots[0].model_vertices), has_depth, fps, size, name, frames, tuple(notices))


def _upright_backend(cfg: TrackConfig, still: bool, backends: LandmarkBackends | None, slot: int) -> UprightFaceBackend:
    """The landmark backend of one part of a clip: a new one, or a warm engine's ``slot`` (borrowed)."""
    if backends is None:
        return UprightFaceBackend(lambda: make_backend(cfg.backend, still_images=still), cfg.orientation)
    return UprightFaceBackend(
        lambda: _Borrowed(backends.get(cfg.backend, still_images=still, slot=slot)),
        cfg.orientation,
        shared_detector=lambda: backends.detector(slot),
    )


def _detect_part(
    source,
    backend: UprightFaceBackend,
    cfg: TrackConfig,
    sink: LandmarkSink,
    progress: PartProgress,
    *,
    keep_from: float | None,
) -> tuple[int, bool, float]:
    """One part's frames into ``sink``, in order; ``(frames, every frame had depth, last source time)``.

    Frames before source time ``keep_from`` only warm the tracker up: detected, not kept, not counted.
    """
    import cv2

    has_depth, frames, last_time = True, 0, -math.inf
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
            if keep_from is not None and frame.source_time < keep_from - TIME_ORDER_EPSILON_S:
                continue
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
    return frames, has_depth, last_time


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
        for per_frame in (self.points, self.depth, self.p_closed, self.times, self.scores):
            per_frame.clear()
        return count


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
    for per_frame in (rows.points, rows.depth, rows.p_closed, rows.times, rows.scores):
        per_frame.clear()
    return landmarks


def fit_targets(lm: Landmarks, cfg: TrackConfig) -> np.ndarray:
    """``(T, J, 3)`` float32 the fitter's VIEW-frame targets: landmarks de-jittered, then eyelids corrected by ELAM.

    ELAM runs after the temporal smoothing and frame by frame, so the image's eye state closes a lid on exactly
    the frames where the eye is closed.
    """
    smooth = smooth_landmarks(np.concatenate([lm.points, lm.depth[..., None]], axis=2), lm.time, cfg.landmark_filter)
    points = smooth[..., :2]
    if cfg.use_elam and lm.points.shape[1] == MEDIAPIPE_POINT_COUNT:
        for t in np.flatnonzero(np.isfinite(points).all(axis=(1, 2))):
            points[t] = adjust_eyelid_landmarks(points[t], lm.p_closed[t], cfg.elam)
    return image_to_view_points(points, smooth[..., 2])  # float32 in, float32 out: per-frame memory


def fit_notices(fit: ClipFit, cfg: TrackConfig) -> list[str]:
    """What the user should know about how the take was measured: no rest face, or a rest that holds an expression."""
    if not fit.rest_known:
        return [
            f"a single image, or a clip with a face in fewer than {cfg.fit.baseline_min_frames} frames, has no rest "
            "face: expressions are read from a generic face and brows read little; give a photo of the actor at rest "
            "(--neutral PHOTO; the panel's Neutral Photo)"
        ]
    if fit.rest_expression is None:
        return []
    names = fit.actor.expression_names
    held = [(n, float(fit.rest_expression[names.index(n)])) for n in HELD_EXPRESSIONS]
    held = [f"{n} {w:.2f}" for n, w in held if w >= HELD_AT_REST]
    if not held:
        return []
    return [
        f"the clip's calmest frames still read {', '.join(held)}: the actor's rest was estimated from them, so "
        f"an expression held through the whole clip reads only its part above {cfg.fit.held_rest_cap:.2f}; if the "
        "actor never relaxes, give a moment or a photo of them at rest (--neutral SECONDS|PHOTO; the panel's Neutral)"
    ]


def take_from_fit(lm: Landmarks, fit: ClipFit, model: FaceModel, cfg: TrackConfig, backend: str) -> Take:
    """Assemble the (unfiltered) take from pass 1 and the fit; raw streams are NaN-free (held) on lost frames."""
    w, h = lm.size
    focal = cfg.fit.focal_px_per_width * w
    r_cam, t_cam = view_pose_to_camera_pose(
        fit.pose.scale, fit.pose.rotation, fit.pose.translation, focal_px=focal, principal_point=(w / 2, h / 2)
    )
    quat = matrix_to_quaternion_wxyz(r_cam).astype(np.float32)
    quat[~fit.valid] = FRONTAL_ROTATION
    t_cam[~fit.valid] = 0.0
    names = model.expression_names
    # model_landmarks: the fitted model's mesh vertices, posed and projected like the observations (in chunks of
    # frames: the float64 work arrays stay small for long clips).
    model_landmarks = np.full((len(fit.expression), NUM_MESH_VERTICES, 2), np.nan, np.float32)
    for start in range(0, len(fit.expression), cfg.fit.chunk_frames):
        sl = slice(start, start + cfg.fit.chunk_frames)
        mesh = fit.actor.points(None, fit.expression[sl])[:, :NUM_MESH_VERTICES]
        model_landmarks[sl] = view_to_image_points(fit.pose[sl].model_to_view(mesh))
    model_landmarks[~fit.valid] = np.nan
    expression = fit.expression.astype(np.float32)
    blink, gaze = blink_from_expression(expression, names), gaze_from_expression(expression, names)
    notices = list(lm.notices) + fit_notices(fit, cfg)
    meta = make_meta(
        fps=lm.fps,
        frame_size=lm.size,
        source=lm.name,
        backend=backend,
        filter_settings=None,
        focal_px=focal,
        identity_layout={
            "shape_coefficients": int(fit.identity.shape[0]),
            "rest_offsets": list(fit.landmark_bias.shape),
        },
        elam=cfg.use_elam,
        **({"notices": notices} if notices else {}),
    )
    confidence = np.where(fit.valid, lm.score, 0.0).astype(np.float32)
    return Take(
        expression=expression,
        expression_raw=expression.copy(),
        expression_names=np.array(names),
        identity=identity_to_vector(fit.identity, fit.landmark_bias),
        head_rotation=quat,
        head_translation=t_cam.astype(np.float32),
        eye_blink=blink,
        eye_gaze=gaze,
        time=lm.time - lm.time[0],
        confidence=confidence,
        landmarks=lm.points,
        model_landmarks=model_landmarks,
        head_rotation_raw=quat.copy(),
        head_translation_raw=t_cam.astype(np.float32),
        eye_blink_raw=blink.copy(),
        eye_gaze_raw=gaze.copy(),
        meta=meta,
    )


def neutral_targets(
    neutral: NeutralFrame,
    cfg: TrackConfig,
    *,
    clip: Landmarks | None = None,
    backends: LandmarkBackends | None = None,
) -> np.ndarray:
    """``(1, J, 3)`` the fit targets of the user's neutral frame: a frame of the clip, or a photo.

    Args:
        clip: for a time, the clip's landmarks holding that time (the whole clip, or frames around it).
        backends: a warm engine's open backends for reading the photo, or None.

    Raises:
        InputError: the time is outside the tracked range, or that frame / photo shows no face.
    """
    if neutral.time_s is not None:
        index = int(np.argmin(np.abs(clip.time - neutral.time_s)))
        if abs(clip.time[index] - neutral.time_s) > NEUTRAL_TIME_TOLERANCE_S:
            raise InputError(
                f"--neutral {neutral.time_s:g} s is outside the tracked frames "
                f"({clip.time[0]:.2f}-{clip.time[-1]:.2f} s)"
            )
        targets = fit_targets(clip, cfg)[index : index + 1]
    else:
        photo_cfg = dataclasses.replace(cfg, start=None, end=None)
        photo = collect_landmarks(neutral.photo, photo_cfg, make_reporter("none"), backends=backends)
        targets = fit_targets(photo, photo_cfg)[:1]
    if not np.isfinite(targets).all():
        raise InputError(f"--neutral: no face found in the neutral frame ({neutral.describe()})")
    return targets


def fit_and_filter(
    lm: Landmarks,
    cfg: TrackConfig,
    model: FaceModel,
    identity: tuple[np.ndarray, np.ndarray] | None,
    neutral_obs: np.ndarray | None = None,
) -> tuple[Take, ClipFit]:
    """Pass 2 for landmarks of T frames: fit targets, the fit, the take and its filtered streams.

    Used for a whole clip (:func:`track`) and for each piece of a long one (:mod:`engine.track_job`).

    Args:
        identity: a known actor's ``(coefficients, rest offsets)``, or None to fit one.
        neutral_obs: ``(1, J, 3)`` the user's neutral frame (:func:`neutral_targets`): it defines the actor's rest.

    Returns:
        ``(take, fit)``: the filtered take of the T frames and the fit (its actor for the later pieces).
    """
    view_obs = fit_targets(lm, cfg)
    coefficients, rest = identity if identity is not None else (None, None)
    fit_cfg = cfg.fit if lm.has_depth else dataclasses.replace(cfg.fit, use_depth=False)
    eye_closed = lm.p_closed if lm.points.shape[1] == MEDIAPIPE_POINT_COUNT else None
    fit = fit_clip(
        view_obs,
        lm.point_ids,
        model,
        fit_cfg,
        identity=coefficients,
        landmark_bias=rest if neutral_obs is None else None,
        neutral_obs=neutral_obs,
        eye_closed=eye_closed,
    )
    take = take_from_fit(lm, fit, model, cfg, cfg.backend)
    return filter_take_streams(take, cfg.filter), fit


def track(
    input_path: str | Path,
    output_path: str | Path | None,
    cfg: TrackConfig = TrackConfig(),
    *,
    reporter: ProgressReporter | None = None,
    identity: tuple[np.ndarray, np.ndarray] | None = None,
    neutral: NeutralFrame | None = None,
    model: FaceModel | None = None,
    backends: LandmarkBackends | None = None,
) -> Take:
    """Track a video, image sequence or image into a take in memory (and save it if ``output_path`` is given).

    The command line tracks into a file in bounded memory instead (:func:`engine.track_job.track_to_file`).

    Args:
        identity: a known actor's ``(coefficients, rest offsets)`` (:func:`engine.identity_file.load_identity`),
            or None to estimate the actor from this clip.
        neutral: a frame of this clip or a photo where the actor is at rest (``--neutral``), or None.
        model: the face model (None: load it). backends: a warm engine's open landmark backends
            (:class:`~engine.landmarks.backend_pool.LandmarkBackends`), or None to make one for this take.

    Raises:
        InputError: unreadable input, or a neutral frame without a face. NoFaceFound: no face in any frame.
    """
    reporter = reporter or make_reporter("none")
    model = model or load_face_model()
    t0 = wallclock.perf_counter()
    lm = collect_landmarks(input_path, cfg, reporter, backends=backends)
    t1 = wallclock.perf_counter()
    valid = np.isfinite(lm.points).all(axis=(1, 2))
    if not valid.any():
        raise NoFaceFound(f"{input_path}: no face found in any of {len(valid)} frame(s)")
    neutral_obs = None if neutral is None else neutral_targets(neutral, cfg, clip=lm, backends=backends)
    take, _ = fit_and_filter(lm, cfg, model, identity, neutral_obs)
    if neutral is not None:
        take = dataclasses.replace(take, meta={**take.meta, "neutral": neutral.describe()})
    t2 = wallclock.perf_counter()
    take = dataclasses.replace(
        take, meta={**take.meta, "timing_s": {"landmarks": round(t1 - t0, 3), "fit_filter": round(t2 - t1, 3)}}
    )
    if output_path is not None:
        save_take(output_path, take)
    return take
