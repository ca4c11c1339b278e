"""Turn a take into the curves that get baked: filtering, neutral calibration, gain, head and gaze (no bpy).

:class:`ProcessSettings` is built from the panel's properties by the operator layer (or from batch arguments);
:func:`process_take` is a pure function of the take and the settings, so re-baking with new settings never
re-tracks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._contract import errors, gap_bridging, gaze, one_euro
from .._contract import take as take_schema
from . import coords

__all__ = [
    "EYE_LOOK_FROM_GAZE",
    "EYE_LOOK_FROM_TAKE",
    "EYE_LOOK_OFF",
    "EYE_LOOK_SOURCES",
    "ONE_EURO_BETA",
    "ONE_EURO_D_CUTOFF_HZ",
    "NeutralRangeError",
    "ProcessSettings",
    "ProcessedTake",
    "process_take",
    "strength_to_min_cutoff",
]

# Re-filtering: Casiez et al. recommend d_cutoff = 1 Hz; beta trades lag for jitter on fast motion (0 = low-pass).
ONE_EURO_D_CUTOFF_HZ = 1.0
ONE_EURO_BETA = 0.5
# Filter strength 0 -> MAX cut-off (nearly transparent at video rates), 1 -> MIN cut-off (heavy smoothing).
_MAX_MIN_CUTOFF_HZ = 20.0
_MIN_MIN_CUTOFF_HZ = 0.3
# Where the eye-look channels come from (ProcessSettings.eye_look).
EYE_LOOK_FROM_TAKE, EYE_LOOK_FROM_GAZE, EYE_LOOK_OFF = "TAKE", "GAZE", "OFF"
EYE_LOOK_SOURCES = (EYE_LOOK_FROM_TAKE, EYE_LOOK_FROM_GAZE, EYE_LOOK_OFF)


class NeutralRangeError(errors.UserError):
    """The neutral calibration range lies outside the take."""


def strength_to_min_cutoff(strength: float) -> float:
    """Map the panel's filter strength in [0, 1] to a One Euro minimum cut-off in Hz (log-linear).

    Example:
        >>> round(strength_to_min_cutoff(0.0), 2), round(strength_to_min_cutoff(1.0), 2)
        (20.0, 0.3)
    """
    s = float(np.clip(strength, 0.0, 1.0))
    return float(np.exp(np.log(_MAX_MIN_CUTOFF_HZ) * (1 - s) + np.log(_MIN_MIN_CUTOFF_HZ) * s))


@dataclasses.dataclass(frozen=True)
class ProcessSettings:
    """How a take becomes curves. Defaults bake the engine's own filtered weights unchanged.

    Attributes:
        refilter: re-filter ``expression_raw`` with a One Euro filter instead of using ``expression``; the blink
            channels (``take.BLINK_CHANNELS``) keep the engine's blink filtering, which lets a short blink close.
        filter_strength: 0 (none) .. 1 (heavy); used when ``refilter``.
        gain: global multiplier on every weight.
        channel_gains: per-channel multiplier by source channel name (missing names: 1.0).
        neutral: ``(first, last)`` take frame indices (inclusive) whose mean pose becomes zero, or None.
        neutral_head: with ``neutral``, also make the head rotation and gaze relative to that range.
        eye_look: where the eye-look channels (EyeIn / EyeOut / EyeUp / EyeDown, eyeLook* in ARKit) come from:
            :data:`EYE_LOOK_FROM_TAKE` (the take's fitted weights: the lids' part of a look, beside eye rotations),
            :data:`EYE_LOOK_FROM_GAZE` (made from ``eye_gaze``, for rigs whose eyeLook keys turn the eyes) or
            :data:`EYE_LOOK_OFF` (0: no gaze is baked).
    """

    refilter: bool = False
    filter_strength: float = 0.5
    gain: float = 1.0
    channel_gains: dict = dataclasses.field(default_factory=dict)
    neutral: tuple[int, int] | None = None
    neutral_head: bool = True
    eye_look: str = EYE_LOOK_FROM_TAKE


@dataclasses.dataclass(frozen=True)
class ProcessedTake:
    """Curves ready to bake, still in the take's channel order and in seconds.

    Attributes:
        names: ``(C,)`` source channel names.
        time: ``(T,)`` seconds.
        weights: ``(T, C)`` float32 in [0, 1].
        head_rotation: ``(T, 4)`` (w,x,y,z) in the character's axes (:mod:`pure.coords`), identity at the rest pose.
        head_location: ``(T, 3)`` metres in the character's axes (:mod:`pure.coords`), zero at the first (or
            neutral) frame.
        gaze: ``(T, 2, 2)`` [left, right] x [yaw, pitch] radians.
    """

    names: tuple[str, ...]
    time: np.ndarray
    weights: np.ndarray
    head_rotation: np.ndarray
    head_location: np.ndarray
    gaze: np.ndarray


def _neutral_slice(neutral: tuple[int, int] | None, t: int) -> slice | None:
    if neutral is None:
        return None
    a, b = int(neutral[0]), int(neutral[1])
    if a > b:
        a, b = b, a
    if b < 0 or a >= t:
        raise NeutralRangeError(f"neutral frames {a}..{b} are outside the take (0..{t - 1})")
    return slice(max(a, 0), min(b, t - 1) + 1)


def process_take(take: take_schema.Take, settings: ProcessSettings) -> ProcessedTake:
    """Apply filtering, neutral calibration, gains and frame conversions to a take.

    Args:
        take: a validated take (FaceWarehouse-46 or, from a CSV, ARKit-52 channels).
        settings: see :class:`ProcessSettings`.

    Returns:
        The curves to bake; ``weights`` is ``(T, C)`` float32 in [0, 1].

    Raises:
        NeutralRangeError: the neutral range lies outside the take.
    """
    names = take.channel_names
    if settings.refilter:
        strength = float(np.clip(settings.filter_strength, 0.0, 1.0))
        cfg = one_euro.FilterConfig(
            min_cutoff=strength_to_min_cutoff(strength), beta=ONE_EURO_BETA, d_cutoff=ONE_EURO_D_CUTOFF_HZ
        )
        raw = _bridged(take.expression_raw, take)
        w = np.array(raw if strength <= 0 else one_euro.one_euro(raw, take.time, cfg), dtype=np.float32)
        lids = [names.index(name) for name in take_schema.BLINK_CHANNELS if name in names]
        w[:, lids] = take.expression[:, lids]
    else:
        w = take.expression
    w = np.array(w, dtype=np.float32, copy=True)

    eye_gaze = np.array(take.eye_gaze, dtype=np.float64, copy=True)
    neutral = _neutral_slice(settings.neutral, take.num_frames)
    if neutral is not None:
        w = w - w[neutral].mean(axis=0, keepdims=True)
        if settings.neutral_head:
            eye_gaze -= eye_gaze[neutral].mean(axis=0, keepdims=True)

    gains = np.full(len(names), float(settings.gain), dtype=np.float32)
    for i, name in enumerate(names):
        gains[i] *= float(settings.channel_gains.get(name, 1.0))
    w = np.clip(w * gains, 0.0, 1.0).astype(np.float32)

    if settings.eye_look == EYE_LOOK_FROM_GAZE:
        for name, values in gaze.gaze_to_eye_look_weights(eye_gaze, names).items():
            w[:, names.index(name)] = values
    elif settings.eye_look == EYE_LOOK_OFF:
        for name in gaze.gaze_to_eye_look_weights(eye_gaze[:1], names):
            w[:, names.index(name)] = 0.0
    elif settings.eye_look != EYE_LOOK_FROM_TAKE:
        raise ValueError(f"eye_look must be one of {EYE_LOOK_SOURCES}; got {settings.eye_look!r}")

    reference = None
    if neutral is not None and settings.neutral_head:
        reference = _mean_quaternion(take.head_rotation[neutral])
    head_rotation = coords.camera_to_blender_head_rotations(take.head_rotation, reference=reference)
    ref = take.head_translation[neutral].mean(axis=0) if neutral is not None else None
    head_location = coords.camera_to_blender_head_translations(take.head_translation, reference=ref)
    return ProcessedTake(names, np.asarray(take.time, dtype=np.float64), w, head_rotation, head_location, eye_gaze)


def _bridged(raw: np.ndarray, take: take_schema.Take) -> np.ndarray:
    """``(T, C)`` raw weights with frames without a face (NaN allowed there) bridged over time, as the engine does."""
    raw = np.asarray(raw, dtype=np.float64)
    valid = (take.confidence > 0) & np.isfinite(raw).all(axis=1)
    return np.nan_to_num(gap_bridging.bridge_gaps(raw, valid, time=take.time), nan=0.0)


def _mean_quaternion(q: np.ndarray) -> np.ndarray:
    """``(N, 4)`` -> ``(4,)`` the principal eigenvector of sum q q^T (sign-invariant average, Markley 2007)."""
    q = np.asarray(q, dtype=np.float64)
    _, vecs = np.linalg.eigh(q.T @ q)
    return vecs[:, -1]
