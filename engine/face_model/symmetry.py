"""Left/right symmetry of the model: the mirror plane x = 0 and the point-to-mirror-point permutation."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["mirror_permutation", "mirror_points"]


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Reflect ``(..., 3)`` points through the model's symmetry plane x = 0.

    Example:
        >>> mirror_points(np.array([1.0, 2.0, 3.0])).tolist()
        [-1.0, 2.0, 3.0]
    """
    return points * np.array([-1.0, 1.0, 1.0], dtype=points.dtype)


def mirror_permutation(points: np.ndarray, *, midline_cm: float = 0.0) -> np.ndarray:
    """``perm[i]`` = the point at the mirror position of point ``i`` (an involution; midline maps to itself).

    Args:
        points: ``(N, 3)`` a roughly symmetric face with its symmetry plane near x = 0.
        midline_cm: points this close to the plane are their own mirror (so coincident midline points, such as the
            inner lip contours of a closed mouth, are never swapped).

    Returns:
        ``(N,)`` int64, the optimal one-to-one matching of the other points with their mirror images.
    """
    perm = np.arange(len(points), dtype=np.int64)
    side = np.flatnonzero(np.abs(points[:, 0]) > midline_cm)
    p = points[side]
    cost = np.linalg.norm(p[:, None, :] - mirror_points(p)[None, :, :], axis=-1)
    rows, cols = linear_sum_assignment(cost)
    perm[side[rows]] = side[cols]
    return perm
