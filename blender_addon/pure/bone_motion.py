"""Bone motion from a take, in the character's axes (:mod:`pure.coords`; no bpy): a jaw bone from the jaw
channels, and a head rotation shared between a neck and a head bone.

Axes are :mod:`coords`'s: Blender world, +Z up, the character faces -Y, the subject's left is +X. A jaw bone's
rest pose is the closed jaw. Opening turns it about +X (the chin, at -Y from the hinge, moves down); jawLeft turns
it about +Z toward the subject's left (+X); jawForward moves it along -Y. The ranges at weight 1 are settings
(:class:`JawSettings`) with anatomical defaults. The bake layer turns these rotations, in the character's axes, into
each bone's local rotation (:func:`coords.character_to_local_rotations`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._contract import quaternion

__all__ = ["JawSettings", "jaw_rotations", "jaw_translations", "split_rotation"]


@dataclasses.dataclass(frozen=True)
class JawSettings:
    """How far a jaw bone moves at channel weight 1.

    Attributes:
        open_deg: jaw opening (jawOpen / JawOpen = 1). A wide-open adult mouth is about 25-30 degrees of jaw
            rotation (about 40-50 mm between the incisors on a 100 mm jaw).
        side_deg: sideways turn (jawLeft / jawRight = 1). Lateral excursion is about 8-10 mm at the incisors.
        forward_cm: forward slide (jawForward / JawFwd = 1). Protrusion is about 5-8 mm.
    """

    open_deg: float = 25.0
    side_deg: float = 6.0
    forward_cm: float = 0.6


def jaw_rotations(
    open_w: np.ndarray, left_w: np.ndarray, right_w: np.ndarray, settings: JawSettings = JawSettings()
) -> np.ndarray:
    """Jaw rotations in the character's axes (:mod:`pure.coords`) from the jaw channels.

    Args:
        open_w: ``(T,)`` jaw-open weights in [0, 1].
        left_w: ``(T,)`` jaw-left weights in [0, 1] (toward the subject's left, +X).
        right_w: ``(T,)`` jaw-right weights in [0, 1].
        settings: the ranges at weight 1.

    Returns:
        ``(T, 4)`` float64 (w, x, y, z): first the opening about +X, then the sideways turn about +Z.

    Example:
        >>> q = jaw_rotations(np.array([1.0]), np.array([0.0]), np.array([0.0]), JawSettings(open_deg=90))
        >>> np.round(quaternion.quaternion_wxyz_to_matrix(q[0]) @ [0, -1, 0], 6) + 0.0   # the chin points down
        array([ 0.,  0., -1.])
    """
    open_rad = np.asarray(open_w, dtype=np.float64) * math.radians(settings.open_deg)
    side = (np.asarray(left_w, dtype=np.float64) - np.asarray(right_w, dtype=np.float64)) * math.radians(
        settings.side_deg
    )
    tilt = quaternion.axis_angle_to_quaternion_wxyz(np.array([1.0, 0.0, 0.0]), open_rad)
    turn = quaternion.axis_angle_to_quaternion_wxyz(np.array([0.0, 0.0, 1.0]), side)
    return quaternion.quaternion_continuity(quaternion.quaternion_multiply(turn, tilt).reshape(-1, 4))


def jaw_translations(forward_w: np.ndarray, settings: JawSettings = JawSettings()) -> np.ndarray:
    """``(T,)`` jaw-forward weights -> ``(T, 3)`` float64 offsets in metres, Blender world axes (forward = -Y)."""
    out = np.zeros((len(forward_w), 3), dtype=np.float64)
    out[:, 1] = -np.asarray(forward_w, dtype=np.float64) * settings.forward_cm * 0.01
    return out


def split_rotation(q: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Split rotations into a part and the rest about the same axis: ``q = first * rest``.

    Used to share the head's rotation between a neck bone (``first``, ``share`` of the angle) and the head bone
    (the rest). Both parts turn about the same axis, so their product is ``q`` in either order.

    Args:
        q: ``(T, 4)`` (w, x, y, z) unit quaternions.
        share: fraction of each rotation's angle in ``first``, in [0, 1].

    Returns:
        ``(first, rest)``, each ``(T, 4)`` float64, continuous.

    Example:
        >>> q = quaternion.axis_angle_to_quaternion_wxyz(np.array([0.0, 0.0, 1.0]), np.array([0.6]))
        >>> first, rest = split_rotation(q, 0.25)
        >>> np.allclose(quaternion.quaternion_multiply(first, rest), q), round(2 * math.acos(first[0, 0]), 6)
        (True, 0.15)
    """
    q = np.asarray(q, dtype=np.float64).reshape(-1, 4)
    q = q * np.where(q[:, :1] < 0, -1.0, 1.0)  # the short way round
    share = float(np.clip(share, 0.0, 1.0))
    angle = 2.0 * np.arccos(np.clip(q[:, 0], -1.0, 1.0))  # (T,)
    s = np.linalg.norm(q[:, 1:], axis=1)
    axis = np.where(s[:, None] > 1e-12, q[:, 1:] / np.maximum(s, 1e-12)[:, None], [1.0, 0.0, 0.0])

    def part(fraction: float) -> np.ndarray:
        half = 0.5 * angle * fraction
        return np.concatenate([np.cos(half)[:, None], axis * np.sin(half)[:, None]], axis=1)

    return quaternion.quaternion_continuity(part(share)), quaternion.quaternion_continuity(part(1.0 - share))
