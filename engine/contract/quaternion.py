"""Quaternion math, scalar first: ``(w, x, y, z)`` everywhere, as Blender's ``mathutils.Quaternion``.

Rotations act on column vectors: ``R(q) @ v``. The Hamilton product ``a * b`` applies ``b`` first, then ``a``
(``R(a * b) = R(a) @ R(b)``). ``q`` and ``-q`` are the same rotation.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "axis_angle_to_quaternion_wxyz",
    "matrix_to_quaternion_wxyz",
    "quaternion_conjugate",
    "quaternion_continuity",
    "quaternion_multiply",
    "quaternion_wxyz_to_matrix",
]


def quaternion_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of ``(..., 4)`` (w, x, y, z) quaternions (broadcasting), float64.

    Example:
        >>> quaternion_multiply(np.array([0.0, 1, 0, 0]), np.array([0.0, 1, 0, 0])).tolist()
        [-1.0, 0.0, 0.0, 0.0]
    """
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def quaternion_conjugate(q: np.ndarray) -> np.ndarray:
    """``(..., 4)`` conjugate, float64: the inverse rotation of a unit quaternion."""
    return np.asarray(q, dtype=np.float64) * np.array([1.0, -1.0, -1.0, -1.0])


def axis_angle_to_quaternion_wxyz(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations by ``angle`` radians (right-handed) about ``axis``.

    Args:
        axis: ``(3,)`` float direction (normalised here).
        angle: ``(...)`` float radians.

    Returns:
        ``(..., 4)`` float64 unit quaternions (w, x, y, z).

    Example:
        >>> axis_angle_to_quaternion_wxyz(np.array([1.0, 0, 0]), np.pi).round(6).tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    half = np.asarray(angle, dtype=np.float64)[..., None] / 2
    return np.concatenate([np.cos(half), np.sin(half) * axis], axis=-1)


def quaternion_wxyz_to_matrix(quat: np.ndarray) -> np.ndarray:
    """``(..., 4)`` quaternions (w, x, y, z), normalised first, to ``(..., 3, 3)`` float64 rotation matrices.

    Example:
        >>> quaternion_wxyz_to_matrix(np.array([0.0, 1, 0, 0])).tolist()
        [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]
    """
    q = np.asarray(quat, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def matrix_to_quaternion_wxyz(rotation: np.ndarray) -> np.ndarray:
    """``(..., 3, 3)`` rotation matrices to ``(..., 4)`` float64 unit quaternions (w, x, y, z) with w >= 0.

    Example:
        >>> matrix_to_quaternion_wxyz(np.diag([1.0, -1.0, -1.0])).round(6).tolist()
        [0.0, 1.0, 0.0, 0.0]
    """
    m = np.asarray(rotation, dtype=np.float64)
    # Shepperd's method: pick the largest of 4 candidate denominators for stability.
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    cands = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], axis=-1)
    k = np.argmax(cands, axis=-1)
    q = np.empty(m.shape[:-2] + (4,))
    r = np.sqrt(np.maximum(1.0 + 2.0 * np.take_along_axis(cands, k[..., None], -1)[..., 0] - tr, 1e-12))
    s = 0.5 / r
    # Each case's formulas (the chosen component from r, the others from the off-diagonal sums/differences).
    m21_12, m02_20, m10_01 = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    m01p10, m02p20, m12p21 = m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1]
    cases = [k == 0, k == 1, k == 2, k == 3]
    q[..., 0] = np.select(cases, [0.5 * r, m21_12 * s, m02_20 * s, m10_01 * s])
    q[..., 1] = np.select(cases, [m21_12 * s, 0.5 * r, m01p10 * s, m02p20 * s])
    q[..., 2] = np.select(cases, [m02_20 * s, m01p10 * s, 0.5 * r, m12p21 * s])
    q[..., 3] = np.select(cases, [m10_01 * s, m02p20 * s, m12p21 * s, 0.5 * r])
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_continuity(q: np.ndarray) -> np.ndarray:
    """Flip signs so each quaternion lies in the same hemisphere as the one before (no interpolation flips).

    Filtering or interpolating components across a sign flip passes through a non-rotation, and keyframe
    interpolation between q and -q goes the long way round.

    Args:
        q: ``(T, 4)`` float quaternions, any order of components (only signs change).

    Returns:
        ``(T, 4)`` of ``q``'s float dtype (a new array); ``dot(out[t], out[t-1]) >= 0`` for every t.

    Example:
        >>> quaternion_continuity(np.array([[0.6, 0.8, 0, 0], [-0.6, -0.8, 0, 0]]))[:, :2].tolist()
        [[0.6, 0.8], [0.6, 0.8]]
    """
    q = np.asarray(q)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"quaternion_continuity: q must be (T, 4); got shape {q.shape}")
    out = q.astype(q.dtype if q.dtype.kind == "f" else np.float64, copy=True)
    if len(out) < 2:
        return out
    dots = np.einsum("ij,ij->i", out[1:].astype(np.float64), out[:-1].astype(np.float64))
    flips = np.cumprod(np.where(dots < 0, -1.0, 1.0))
    out[1:] *= flips[:, None].astype(out.dtype)
    return out
