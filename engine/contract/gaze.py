"""Gaze angles and eye-look shape weights: what weight 1 of an eye-look shape means, written once.

A FaceWarehouse eye-look shape (``EyeIn``, ``EyeOut``, ``EyeUp``, ``EyeDown``, ``_L`` / ``_R``) or an ARKit one
(``eyeLookIn/Out/Up/Down``, ``Left`` / ``Right``) at weight 1 turns the eye by :data:`EYE_LOOK_FULL_YAW_RAD`
sideways or :data:`EYE_LOOK_FULL_PITCH_RAD` up / down. The engine's face model authors its gaze shapes at these
angles (so the take's ``eye_gaze`` is weight x angle), and the add-on turns ``eye_gaze`` back into eye-look
weights with the same angles, so a full EyeOut tracked is a full EyeOut baked. Angles follow :mod:`.frames`:
yaw > 0 toward the subject's left, pitch > 0 up. "In" is toward the nose: subject's right (-yaw) for the left
eye, subject's left (+yaw) for the right eye.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EYE_LOOK_CHANNELS", "EYE_LOOK_FULL_PITCH_RAD", "EYE_LOOK_FULL_YAW_RAD", "gaze_to_eye_look_weights"]

EYE_LOOK_FULL_YAW_RAD = math.radians(30.0)
"""Eye yaw of an in / out eye-look shape at weight 1 (a typical comfortable sideways glance)."""
EYE_LOOK_FULL_PITCH_RAD = math.radians(25.0)
"""Eye pitch of an up / down eye-look shape at weight 1."""

EYE_LOOK_CHANNELS = {
    "facewarehouse46": (
        {"up": "EyeUp_L", "down": "EyeDown_L", "in": "EyeIn_L", "out": "EyeOut_L"},
        {"up": "EyeUp_R", "down": "EyeDown_R", "in": "EyeIn_R", "out": "EyeOut_R"},
    ),
    "arkit52": (
        {"up": "eyeLookUpLeft", "down": "eyeLookDownLeft", "in": "eyeLookInLeft", "out": "eyeLookOutLeft"},
        {"up": "eyeLookUpRight", "down": "eyeLookDownRight", "in": "eyeLookInRight", "out": "eyeLookOutRight"},
    ),
}
"""Name list -> ([left eye], [right eye]) direction -> channel name."""


def gaze_to_eye_look_weights(gaze: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Eye-look shape weights from gaze angles, for the eye-look channels among ``names``.

    Args:
        gaze: ``(T, 2, 2)`` float [left, right] x [yaw, pitch] radians.
        names: the channel names present (FaceWarehouse-46 or ARKit-52 spelling).

    Returns:
        channel name -> ``(T,)`` float32 in [0, 1], for every eye-look channel in ``names``.

    Example:
        >>> g = np.zeros((1, 2, 2)); g[0, :, 0] = EYE_LOOK_FULL_YAW_RAD      # both eyes look fully to the left
        >>> w = gaze_to_eye_look_weights(g, ("EyeOut_L", "eyeLookInRight", "JawOpen"))
        >>> float(w["EyeOut_L"][0]), float(w["eyeLookInRight"][0]), sorted(w)
        (1.0, 1.0, ['EyeOut_L', 'eyeLookInRight'])
    """
    gaze = np.asarray(gaze, dtype=np.float64)
    if gaze.ndim != 3 or gaze.shape[1:] != (2, 2):
        raise ValueError(f"gaze must be (T, 2, 2) [left, right] x [yaw, pitch] radians; got {gaze.shape}")
    present = set(names)
    out: dict[str, np.ndarray] = {}
    for eye in (0, 1):
        yaw = gaze[:, eye, 0] / EYE_LOOK_FULL_YAW_RAD
        pitch = gaze[:, eye, 1] / EYE_LOOK_FULL_PITCH_RAD
        # Looking toward the subject's left is "out" for the left eye and "in" (toward the nose) for the right.
        toward_left, toward_right = ("out", "in") if eye == 0 else ("in", "out")
        values = {"up": pitch, "down": -pitch, toward_left: yaw, toward_right: -yaw}
        for table in EYE_LOOK_CHANNELS.values():
            for direction, name in table[eye].items():
                if name in present:
                    out[name] = np.clip(values[direction], 0.0, 1.0).astype(np.float32)
    return out
