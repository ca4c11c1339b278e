"""Eye gaze and blink read off the fitted expression weights.

The model's gaze shapes rotate the iris about the eyeball centre by fixed angles at weight 1
(:data:`~engine.face_model.blendshapes.GAZE_YAW_RAD`, :data:`~engine.face_model.blendshapes.GAZE_PITCH_RAD`), and
the fitter solves them from the iris landmarks together with everything else, so gaze follows linearly.
"""

from __future__ import annotations

import numpy as np

from ..face_model.blendshapes import GAZE_PITCH_RAD, GAZE_YAW_RAD

__all__ = ["blink_from_expression", "gaze_from_expression"]


def gaze_from_expression(expression: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Per-eye gaze angles.

    Args:
        expression: ``(T, 46)`` weights. names: their FaceWarehouse names.

    Returns:
        ``(T, 2, 2)`` float32 [left, right] x [yaw, pitch] radians; yaw > 0 toward the subject's left (+x),
        pitch > 0 up. "In" is toward the nose: -x for the left eye, +x for the right eye.
    """
    col = {n: i for i, n in enumerate(names)}
    w = np.asarray(expression, dtype=np.float64)
    out = np.zeros((len(w), 2, 2), np.float32)
    for e, side, inward_sign in ((0, "L", -1.0), (1, "R", 1.0)):
        inward = w[:, col[f"EyeIn_{side}"]] - w[:, col[f"EyeOut_{side}"]]
        out[:, e, 0] = inward_sign * inward * GAZE_YAW_RAD
        out[:, e, 1] = (w[:, col[f"EyeUp_{side}"]] - w[:, col[f"EyeDown_{side}"]]) * GAZE_PITCH_RAD
    return out


def blink_from_expression(expression: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """``(T, 2)`` float32 [left, right] blink = the fitted EyeBlink weights."""
    col = {n: i for i, n in enumerate(names)}
    return np.asarray(expression, dtype=np.float32)[:, [col["EyeBlink_L"], col["EyeBlink_R"]]].copy()
