"""Turn a take into the curves that get baked: filtering, neutral calibration, gain, head and gaze (no bpy).

:class:`ProcessSettings` is built from the panel's properties by the operator layer (or from batch arguments);
:func:`process_take` is a pure function of the take and the settings, so re-baking with new settings never
re-tracks.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import coords
from .filtering import one_euro, strength_to_min_cutoff
from .take_io import Take

__all__ = [
    "GAZE_FULL_PITCH_RAD",
    "GAZE_FULL_YAW_RAD",
    "ProcessSettings",
    "ProcessedTake",
    "gaze_to_eye_look_weights",
    "process_take",
]

# Gaze angle at which an eyeLook shape key reaches 1.0 (typical ARKit rigs are sculpted for about these angles).
GAZE_FULL_YAW_RAD = math.radians(35.0)
GAZE_FULL_PITCH_RAD = math.radians(25.0)

# Eye-look channels of each canonical list: (eye index 0 = left, 1 = right) -> direction -> channel name.
_EYE_LOOK = {
    "facewarehouse46": (
        {"up": "EyeUp_L", "down": "EyeDown_L", "in": "EyeIn_L", "out": "EyeOut_L"},
        {"up": "EyeUp_R", "down": "EyeDown_R", "in": "EyeIn_R", "out": "EyeOut_R"},
    ),
    "arkit52": (
        {"up": "eyeLookUpLeft", "down": "eyeLookDownLeft", "in": "eyeLookInLeft", "out": "eyeLookOutLeft"},
        {"up": "eyeLookUpRight", "down": "eyeLookDownRight", "in": "eyeLookInRight", "out": "eyeLookOutRight"},
    ),
}


@dataclasses.dataclass(frozen=True)
class ProcessSettings:
    """How a take becomes curves. Defaults bake the engine's own filtered weights unchanged.

    Attributes:
        refilter: re-filter ``expression_raw`` with a One Euro filter instead of using ``expression``.
        filter_strength: 0 (none) .. 1 (heavy); used when ``refilter``.
        gain: global multiplier on every weight.
        channel_gains: per-channel multiplier by source channel name (missing names: 1.0).
        neutral: ``(first, last)`` take frame indices (inclusive) whose mean pose becomes zero, or None.
        neutral_head: with ``neutral``, also make the head rotation and gaze relative to that range.
        gaze_to_shape_keys: overwrite the eye-look channels from ``eye_gaze`` (for rigs with eyeLook keys).
    """

    refilter: bool = False
    filter_strength: float = 0.5
    gain: float = 1.0
    channel_gains: dict = dataclasses.field(default_factory=dict)
    neutral: tuple[int, int] | None = None
    neutral_head: bool = True
    gaze_to_shape_keys: bool = False


@dataclasses.dataclass(frozen=True)
class ProcessedTake:
    """Curves ready to bake, still in the take's channel order and in seconds.

    Attributes:
        names: ``(C,)`` source channel names.
        name_list: ``"facewarehouse46"`` or ``"arkit52"``.
        time: ``(T,)`` seconds.
        weights: ``(T, C)`` float32 in [0, 1].
        head_rotation: ``(T, 4)`` (w,x,y,z) in Blender world axes, identity at the rest pose; or None.
        head_location: ``(T, 3)`` metres in Blender world axes, zero at the first (or neutral) frame; or None.
        gaze: ``(T, 2, 2)`` [left, right] x [yaw, pitch] radians; or None.
    """

    names: tuple[str, ...]
    name_list: str
    time: np.ndarray
    weights: np.ndarray
    head_rotation: np.ndarray | None
    head_location: np.ndarray | None
    gaze: np.ndarray | None


def _neutral_slice(neutral: tuple[int, int] | None, t: int) -> slice | None:
    if neutral is None:
        return None
    a, b = int(neutral[0]), int(neutral[1])
    if a > b:
        a, b = b, a
    if b < 0 or a >= t:
        raise ValueError(f"neutral frames {a}..{b} are outside the take (0..{t - 1})")
    return slice(max(a, 0), min(b, t - 1) + 1)


def gaze_to_eye_look_weights(gaze: np.ndarray, names: tuple[str, ...], name_list: str) -> dict[str, np.ndarray]:
    """Eye-look shape-key weights from gaze angles.

    Args:
        gaze: ``(T, 2, 2)`` [left, right] x [yaw, pitch] radians (yaw > 0 toward the subject's left, pitch > 0 up).
        names: the channel names present.
        name_list: which canonical list they are.

    Returns:
        channel name -> ``(T,)`` float32 in [0, 1], for the eye-look channels present in ``names``.

    Example:
        >>> g = np.zeros((1, 2, 2)); g[0, :, 0] = GAZE_FULL_YAW_RAD      # both eyes look fully to the left
        >>> w = gaze_to_eye_look_weights(g, ("eyeLookOutLeft", "eyeLookInRight"), "arkit52")
        >>> float(w["eyeLookOutLeft"][0]), float(w["eyeLookInRight"][0])
        (1.0, 1.0)
    """
    table = _EYE_LOOK.get(name_list)
    if table is None:
        return {}
    out: dict[str, np.ndarray] = {}
    for eye in (0, 1):
        yaw = gaze[:, eye, 0] / GAZE_FULL_YAW_RAD
        pitch = gaze[:, eye, 1] / GAZE_FULL_PITCH_RAD
        # Looking toward the subject's left is "out" for the left eye and "in" (toward the nose) for the right.
        toward_left, toward_right = ("out", "in") if eye == 0 else ("in", "out")
        values = {"up": pitch, "down": -pitch, toward_left: yaw, toward_right: -yaw}
        for direction, name in table[eye].items():
            if name in names:
                out[name] = np.clip(values[direction], 0.0, 1.0).astype(np.float32)
    return out


def process_take(take: Take, settings: ProcessSettings) -> ProcessedTake:
    """Apply filtering, neutral calibration, gains and frame conversions to a take.

    Args:
        take: a validated take.
        settings: see :class:`ProcessSettings`.

    Returns:
        The curves to bake; ``weights`` is ``(T, C)`` float32 in [0, 1].

    Raises:
        ValueError: the neutral range lies outside the take.
    """
    t = take.frame_count
    if settings.refilter:
        source = take.expression_raw if take.expression_raw is not None else take.expression
        strength = float(np.clip(settings.filter_strength, 0.0, 1.0))
        w = source if strength <= 0 else one_euro(source, take.time, min_cutoff=strength_to_min_cutoff(strength))
    else:
        w = take.expression
    w = np.array(w, dtype=np.float32, copy=True)

    gaze = None if take.eye_gaze is None else np.array(take.eye_gaze, dtype=np.float64, copy=True)
    neutral = _neutral_slice(settings.neutral, t)
    if neutral is not None:
        w = w - w[neutral].mean(axis=0, keepdims=True)
        if gaze is not None and settings.neutral_head:
            gaze -= gaze[neutral].mean(axis=0, keepdims=True)

    gains = np.full(len(take.names), float(settings.gain), dtype=np.float32)
    for i, name in enumerate(take.names):
        gains[i] *= float(settings.channel_gains.get(name, 1.0))
    w = np.clip(w * gains, 0.0, 1.0).astype(np.float32)

    if settings.gaze_to_shape_keys and gaze is not None:
        for name, values in gaze_to_eye_look_weights(gaze, take.names, take.name_list).items():
            w[:, take.names.index(name)] = values

    head_rotation = head_location = None
    if take.head_rotation is not None:
        reference = None
        if neutral is not None and settings.neutral_head:
            reference = _mean_quaternion(take.head_rotation[neutral])
        head_rotation = coords.camera_to_blender_head_rotations(take.head_rotation, reference=reference)
    if take.head_translation is not None:
        ref = take.head_translation[neutral].mean(axis=0) if neutral is not None else None
        head_location = coords.camera_to_blender_head_translations(take.head_translation, reference=ref)
    return ProcessedTake(take.names, take.name_list, take.time, w, head_rotation, head_location, gaze)


def _mean_quaternion(q: np.ndarray) -> np.ndarray:
    """``(N, 4)`` -> ``(4,)`` the principal eigenvector of sum q q^T (sign-invariant average, Markley 2007)."""
    q = np.asarray(q, dtype=np.float64)
    _, vecs = np.linalg.eigh(q.T @ q)
    return vecs[:, -1]
