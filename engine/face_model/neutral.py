"""The engine's generic neutral face: made by the project from MediaPipe's 3D landmarks of a public-domain photo.

Recipe (:func:`neutral_from_view_points`): MediaPipe's 478 points of a frontal face, in the VIEW frame (pixels),
are made exactly left/right symmetric (averaged with their mirror image through the vertex mirror permutation),
rotated so the symmetry plane is x = 0 (keeping the photo's pitch), scaled to centimetres by the mean adult
interpupillary distance, and moved so the origin lies midway between the eyeball centres.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from .regions import EYE_OUTER_CORNER, IRIS_CENTER

__all__ = [
    "EYEBALL_RADIUS_CM",
    "INTERPUPILLARY_DISTANCE_CM",
    "eyeball_centers",
    "mirror_permutation",
    "mirror_points",
    "neutral_from_view_points",
]

INTERPUPILLARY_DISTANCE_CM = 6.3  # mean adult IPD (Dodgson, "Variation and extrema of human IPD", 2004)
EYEBALL_RADIUS_CM = 1.2  # adult eyeball radius ~12 mm (Bekerman et al., J. Ophthalmology 2014)
IRIS_DEPTH_CM = 1.05  # iris plane sits ~10.5 mm in front of the eyeball centre (radius minus ~1.5 mm corneal bulge)


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Reflect ``(..., 3)`` points through the model's symmetry plane x = 0."""
    return points * np.array([-1.0, 1.0, 1.0], dtype=points.dtype)


def mirror_permutation(points: np.ndarray) -> np.ndarray:
    """``perm[i]`` = the vertex at the mirror position of vertex ``i`` (an involution; midline maps to itself).

    Args:
        points: ``(N, 3)`` a roughly symmetric face with its symmetry plane near x = 0.
    """
    cost = np.linalg.norm(points[:, None, :] - mirror_points(points)[None, :, :], axis=-1)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(len(points), dtype=np.int64)
    perm[rows] = cols
    return perm


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector a to unit vector b (Rodrigues)."""
    v, c = np.cross(a, b), float(np.dot(a, b))
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def eyeball_centers(points: np.ndarray) -> np.ndarray:
    """``(2, 3)`` [left, right] eyeball centres: behind each iris centre along -z by :data:`IRIS_DEPTH_CM`."""
    iris = points[[IRIS_CENTER["left"], IRIS_CENTER["right"]]]
    return iris - np.array([0.0, 0.0, IRIS_DEPTH_CM])


def neutral_from_view_points(view_points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make the symmetric, metric neutral from one frontal face's MediaPipe points.

    Args:
        view_points: ``(478, 3)`` float, VIEW frame pixels: x = image x, y = -image y, z = -MediaPipe z * width.

    Returns:
        ``(neutral (478, 3) float32 cm model frame, perm (478,) int64 mirror permutation)``.
    """
    p = np.asarray(view_points, dtype=np.float64)
    p = p - p.mean(axis=0)
    # Rough frame: x from the right to the left outer eye corner (removes roll before matching mirror pairs).
    x_axis = p[EYE_OUTER_CORNER["left"]] - p[EYE_OUTER_CORNER["right"]]
    p = p @ _rotation_between(x_axis / np.linalg.norm(x_axis), np.array([1.0, 0.0, 0.0])).T
    perm = mirror_permutation(p)
    for _ in range(3):
        # Symmetry plane normal: the mean left-minus-mirror-partner direction over off-midline points.
        diff = p - p[perm]
        off = np.linalg.norm(diff, axis=1) > 1e-6
        normal = np.linalg.svd(diff[off], full_matrices=False)[2][0]
        normal *= np.sign(normal[0])
        p = p @ _rotation_between(normal, np.array([1.0, 0.0, 0.0])).T
        p = 0.5 * (p + mirror_points(p[perm]))  # exact symmetry about x = 0
        p[:, 0] -= p[:, 0].mean()
        perm = mirror_permutation(p)
    p = 0.5 * (p + mirror_points(p[perm]))
    ipd = np.linalg.norm(p[IRIS_CENTER["left"]] - p[IRIS_CENTER["right"]])
    p *= INTERPUPILLARY_DISTANCE_CM / ipd
    p -= eyeball_centers(p).mean(axis=0)
    return p.astype(np.float32), perm
