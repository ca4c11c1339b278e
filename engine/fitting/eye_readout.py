"""Eye gaze and blink read off the fitted expression weights.

Blink means what its name says: the share of the eye's opening that the upper lid closes. Other shapes narrow or
widen the eye too (a smile or a cheek raise lifts the lower lid, EyeOpen lifts the upper one), so the fitted
EyeBlink weight, which is measured against the rest opening, is re-expressed against the opening those other
shapes leave (:func:`blink_as_closure`): a closed eye in a smile reads 1, not the part of the rest opening the
smile did not already close.

The model's gaze shapes rotate the iris about the eyeball centre by fixed angles at weight 1
(:mod:`engine.contract.gaze`; the recipes in ``facewarehouse46_from_ict.toml``), and the
fitter solves them from the iris landmarks together with everything else, so gaze follows linearly.
"""

from __future__ import annotations

import numpy as np

from ..contract.gaze import EYE_LOOK_FULL_PITCH_RAD as GAZE_PITCH_RAD
from ..contract.gaze import EYE_LOOK_FULL_YAW_RAD as GAZE_YAW_RAD
from ..contract.take import BLINK_CHANNELS

__all__ = ["blink_as_closure", "blink_from_expression", "gaze_from_expression"]


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
    """``(T, 2)`` float32 [left, right] blink = the fitted weights of the ``BLINK_CHANNELS``."""
    return np.asarray(expression, dtype=np.float32)[:, [names.index(n) for n in BLINK_CHANNELS]].copy()


def blink_as_closure(expression: np.ndarray, model) -> np.ndarray:
    """Expression weights with each EyeBlink re-expressed as the share of the current opening it closes.

    Args:
        expression: ``(T, 46)`` fitted weights.
        model: the actor's :class:`~engine.face_model.model.FaceModel` (its neutral is the actor's rest).

    Returns:
        ``(T, 46)`` float32 copy: EyeBlink_L / _R = fitted blink x rest gap / gap left open by the other shapes,
        in [0, 1]; every other channel unchanged.
    """
    w = np.array(expression, dtype=np.float64, copy=True)
    r = model.regions
    for side, name in (("left", "EyeBlink_L"), ("right", "EyeBlink_R")):
        e = model.expression_names.index(name)
        upper, lower = r.eye_upper[side], r.eye_lower[side]
        rest_gap = float(np.mean(model.neutral[upper, 1] - model.neutral[lower, 1]))
        gap_change = model.expression_basis[:, upper, 1].mean(axis=1) - model.expression_basis[:, lower, 1].mean(axis=1)
        others = w @ gap_change - w[:, e] * gap_change[e]  # (T,) cm the other shapes open (+) or close (-)
        open_gap = np.maximum(rest_gap + others, 0.05 * rest_gap)
        w[:, e] = np.clip(w[:, e] * rest_gap / open_gap, 0.0, 1.0)
    return w.astype(np.float32)
