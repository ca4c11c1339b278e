"""The tracking pipeline: frames -> landmarks + eye state -> fitted model -> filtered take.

Pass 1 (:mod:`engine.landmark_pass`) streams frames (a few in memory at a time): landmarks and the image-based eye
state P(closed); a long clip is read in concurrent parts, each with its own landmark graph. Pass 2
makes the fit's targets (landmarks de-jittered over time, then eyelids corrected frame by frame by the Eye
Landmark Adjustment Module, so a blink is never smoothed away), fits the clip (identity once, then pose and
expression per frame; :mod:`engine.fitting.clip_fit`), derives blink and gaze, filters (:mod:`engine.temporal`)
and writes the take. Per-frame state kept between the passes is a few KB (landmarks), never images.
"""

from __future__ import annotations

import dataclasses
import time as wallclock
from pathlib import Path

import numpy as np

from .contract.frames import FRONTAL_ROTATION, image_to_view_points, view_pose_to_camera_pose, view_to_image_points
from .contract.quaternion import matrix_to_quaternion_wxyz
from .contract.take import MEDIAPIPE_POINT_COUNT, Take, make_meta
from .contract.take_io import save_take
from .errors import InputError, NoFaceFound
from .eyes.elam import adjust_eyelid_landmarks
from .face_model.model import FaceModel, load_face_model
from .face_model.topology import NUM_MESH_VERTICES
from .fitting.actor import HELD_EXPRESSIONS
from .fitting.clip_fit import ClipFit, fit_clip
from .fitting.eye_readout import blink_from_expression, gaze_from_expression
from .fitting.yaw_drift_removal import without_yaw_drift
from .identity_file import identity_to_vector
from .landmark_pass import Landmarks, collect_landmarks
from .landmark_smoothing import smooth_landmarks
from .landmarks.backend_pool import LandmarkBackends
from .neutral_frame import NeutralFrame
from .progress import ProgressReporter, make_reporter
from .temporal import filter_take_streams
from .track_config import TrackConfig

__all__ = [
    "check_neutral_time",
    "fit_and_filter",
    "fit_notices",
    "fit_targets",
    "neutral_targets",
    "neutral_window",
    "take_from_fit",
    "track",
]

NEUTRAL_TIME_TOLERANCE_S = 1.0  # --neutral TIME must lie within this of a tracked frame
# A --neutral TIME's frame is made into fit targets from the frames this far on each side of it (the landmark
# smoothing's context), however the clip is held: in memory (track) or spooled (engine.track_job), which reads only
# these frames, so both make the same targets (:func:`neutral_window`).
NEUTRAL_CONTEXT_FRAMES = 45


# A clip whose calmest frames still read one of the held expressions (brows, smiles, frowns) at HELD_AT_REST or more
# probably never relaxes: its estimated rest holds that expression, of which the take reads only the part above
# FitConfig.held_rest_cap, and the take says so. A third of a full expression; the rests of the tuning clips (d0, d3,
# d10, d18) read at most 0.13 on these channels, the held-out furious talkers' 0.31-0.68; set after seeing both
# (README, "Measured": tests/benchmarks/bench_saturation.py lists the clips whose takes say so). Since the landmark
# bias holds no held expression (engine.fitting.actor.fit_landmark_bias) the tuning rests read up to 0.28 (d18's low
# brows), eight of the nine furious clips' 0.37-0.89, and five of 21 ordinary talkers' 0.30-0.79 (lowered brows;
# LivePortrait's s29 smiles throughout).
HELD_AT_REST = 0.3


def fit_targets(lm: Landmarks, cfg: TrackConfig, model: FaceModel) -> np.ndarray:
    """``(T, J, 3)`` float32 the fitter's VIEW-frame targets: landmarks de-jittered, eyelids corrected by ELAM, and
    MediaPipe's drift with head yaw taken out (:mod:`engine.fitting.yaw_drift_removal`).

    ELAM runs after the temporal smoothing and frame by frame, so the image's eye state closes a lid on exactly
    the frames where the eye is closed.
    """
    smooth = smooth_landmarks(np.concatenate([lm.points, lm.depth[..., None]], axis=2), lm.time, cfg.landmark_filter)
    points = smooth[..., :2]
    mediapipe = lm.points.shape[1] == MEDIAPIPE_POINT_COUNT
    if cfg.use_elam and mediapipe:
        for t in np.flatnonzero(np.isfinite(points).all(axis=(1, 2))):
            points[t] = adjust_eyelid_landmarks(points[t], lm.p_closed[t], cfg.elam)
    view = image_to_view_points(points, smooth[..., 2])  # float32 in, float32 out: per-frame memory
    if cfg.remove_yaw_drift and mediapipe:  # the drift was measured on MediaPipe's points
        view = without_yaw_drift(view, lm.point_ids, model, cfg.fit)
    return view


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
        f"an expression held through the whole clip reads only its part above {cfg.fit.held_rest_cap:.2f}, and one "
        "held through most of it can make the moments at rest read its opposite; if the actor never relaxes, or "
        "only briefly, give a moment or a photo of them at rest (--neutral SECONDS|PHOTO; the panel's Neutral)"
    ]


COMMON_FRAME_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0, 90.0, 100.0, 119.88, 120.0, 240.0)
"""Rates a camera records at (NTSC's as N*1000/1001 rounded): a measured rate within 1 % is taken as one of them."""


def recorded_fps(container_fps: float, time: np.ndarray) -> float:
    """The rate most frames were recorded at, for the take's nominal ``fps`` (a scene set from it plays them at
    their pace).

    A variable-frame-rate phone clip's container gives the average over its low-light stretches (18 fps for a
    30 fps clip with a 10 fps stretch): where the median frame interval says a rate more than 2 % from the
    container's, that rate (a common one within 1 %) is the take's. Frames keep their own times either way. Frames
    whose intervals are all whole frames of the given rate keep it (an image sequence with missing frames).

    Args:
        container_fps: the rate the source declares. time: ``(N,)`` float seconds of the frames read.

    >>> recorded_fps(18.0, np.r_[np.arange(50) / 30, 50 / 30 + np.arange(1, 21) * 0.1])
    30.0
    >>> recorded_fps(29.97, np.arange(10) / 29.97), recorded_fps(24.0, np.array([0, 1, 9]) / 24)
    (29.97, 24.0)
    >>> recorded_fps(120.0, np.round(np.arange(240) / 120, 3))  # a 120 fps MKV's whole-millisecond times
    120.0
    """
    steps = np.diff(np.asarray(time, dtype=np.float64))
    steps = steps[steps > 0]
    whole = steps * container_fps
    if len(steps) < 2 or np.allclose(whole, np.round(whole), atol=1e-3):
        return container_fps
    typical = float(np.median(steps))
    near = steps[np.abs(steps - typical) <= 0.25 * typical]  # the median's own stretch: the mean of its steps, as
    rate = 1.0 / float(near.mean())  # timestamps rounded to whole ms give 8 and 9 ms steps at 120 fps
    if abs(rate - container_fps) <= 0.02 * container_fps:
        return container_fps
    common = min(COMMON_FRAME_RATES, key=lambda r: abs(r - rate))
    return common if abs(common - rate) <= 0.01 * rate else rate


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
    for start in range(0, len(fit.expression), cfg.fit.solve_batch_frames):
        sl = slice(start, start + cfg.fit.solve_batch_frames)
        mesh = fit.actor.points(None, fit.expression[sl])[:, :NUM_MESH_VERTICES]
        model_landmarks[sl] = view_to_image_points(fit.pose[sl].model_to_view(mesh))
    model_landmarks[~fit.valid] = np.nan
    expression = fit.expression.astype(np.float32)
    blink, gaze = blink_from_expression(expression, names), gaze_from_expression(expression, names)
    notices = list(lm.notices) + fit_notices(fit, cfg)
    meta = make_meta(
        fps=recorded_fps(lm.fps, lm.time),
        frame_size=lm.size,
        source=lm.name,
        backend=backend,
        filter_settings=None,
        focal_px=focal,
        source_start_s=float(lm.time[0]),  # where in the clip the take starts (--start): time 0 is that frame
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


def neutral_window(time: np.ndarray, time_s: float) -> tuple[int, int]:
    """``(start, stop)``: the frames a ``--neutral`` time's targets are made from, of frames at ``(T,)`` ``time``
    seconds: the frame nearest ``time_s`` and :data:`NEUTRAL_CONTEXT_FRAMES` on each side of it.

    Example:
        >>> neutral_window(np.arange(300) / 30.0, 1.0)
        (0, 76)
    """
    index = int(np.argmin(np.abs(np.asarray(time) - time_s)))
    return max(0, index - NEUTRAL_CONTEXT_FRAMES), min(len(time), index + NEUTRAL_CONTEXT_FRAMES + 1)


def check_neutral_time(time: np.ndarray, time_s: float) -> None:
    """Raise InputError if ``time_s`` (``--neutral`` seconds) is before the first or after the last tracked frame at
    ``(T,)`` ``time`` (by more than half a frame: it used the first or last frame and the take named the time given),
    or, within them, farther than :data:`NEUTRAL_TIME_TOLERANCE_S` from every one (the whole clip's source times,
    so the message gives its true range).
    """
    index = int(np.argmin(np.abs(time - time_s)))
    half_frame = 0.5 * float(np.median(np.diff(time))) if len(time) > 1 else 0.5 / 30
    beyond = time_s < time[0] - half_frame or time_s > time[-1] + half_frame  # before or after them, not in a gap
    if beyond or abs(time[index] - time_s) > NEUTRAL_TIME_TOLERANCE_S:
        raise InputError(f"--neutral {time_s:g} s is outside the tracked frames ({time[0]:.2f}-{time[-1]:.2f} s)")


def neutral_targets(
    neutral: NeutralFrame,
    cfg: TrackConfig,
    model: FaceModel,
    *,
    clip: Landmarks | None = None,
    backends: LandmarkBackends | None = None,
) -> np.ndarray:
    """``(1, J, 3)`` the fit targets of the user's neutral frame: a frame of the clip, or a photo.

    Args:
        clip: for a time, the clip's landmarks holding that time (the whole clip, or frames around it); the
            targets are made from the frames :func:`neutral_window` names.
        backends: a warm engine's open backends for reading the photo, or None.

    Raises:
        InputError: the time is outside the tracked range, or that frame / photo shows no face.
    """
    if neutral.time_s is not None:
        check_neutral_time(clip.time, neutral.time_s)
        index = int(np.argmin(np.abs(clip.time - neutral.time_s)))
        start, stop = neutral_window(clip.time, neutral.time_s)
        targets = fit_targets(clip.frames(start, stop), cfg, model)[index - start : index - start + 1]
    else:
        photo_cfg = dataclasses.replace(cfg, start=None, end=None)
        try:
            photo = collect_landmarks(neutral.photo, photo_cfg, make_reporter("none"), backends=backends)
        except InputError as err:  # said of the photo, not of the clip being tracked
            raise InputError(f"--neutral: {err}") from None
        targets = fit_targets(photo, photo_cfg, model)[:1]
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
    view_obs = fit_targets(lm, cfg, model)
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
    neutral_obs = None if neutral is None else neutral_targets(neutral, cfg, model, clip=lm, backends=backends)
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
