"""Points embedded in a triangle mesh by barycentric coordinates, and the closest point on a mesh.

A tracking landmark is a fixed point of the skin: a triangle of the scan mesh and barycentric weights in it. Any
linear shape of the mesh (neutral, identity mode, expression delta) carries to the landmarks by the same weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["SurfacePoints", "closest_points_on_triangles"]


@dataclasses.dataclass(frozen=True)
class SurfacePoints:
    """P points on a mesh.

    Attributes:
        vertices: ``(P, 3)`` int64 the three mesh vertices of each point's triangle.
        bary: ``(P, 3)`` float64 barycentric weights (non-negative, summing to 1).
    """

    vertices: np.ndarray
    bary: np.ndarray

    def evaluate(self, mesh: np.ndarray) -> np.ndarray:
        """The points on a mesh shape.

        Args:
            mesh: ``(..., V, 3)`` vertex positions or displacements.

        Returns:
            ``(..., P, 3)`` float64.

        Example:
            >>> sp = SurfacePoints(np.array([[0, 1, 2]]), np.array([[0.5, 0.25, 0.25]]))
            >>> sp.evaluate(np.array([[0.0, 0, 0], [4, 0, 0], [0, 4, 0]])).tolist()
            [[1.0, 1.0, 0.0]]
        """
        m = np.asarray(mesh, np.float64)
        return np.einsum("pk,...pkc->...pc", self.bary, m[..., self.vertices, :])


def closest_points_on_triangles(points: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closest point of each triangle to each point (Ericson, Real-Time Collision Detection, 5.1.5).

    Args:
        points: ``(N, 3)`` float.
        corners: ``(N, K, 3, 3)`` float: K candidate triangles per point, their three corners.

    Returns:
        ``(bary (N, K, 3), distance (N, K))`` float64: barycentric weights of the closest point in each candidate.

    Example:
        >>> tri = np.array([[[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]]])
        >>> b, d = closest_points_on_triangles(np.array([[0.25, 0.25, 2.0]]), tri)
        >>> np.round(b, 3).tolist(), np.round(d, 3).tolist()
        ([[[0.5, 0.25, 0.25]]], [[2.0]])
    """
    p = np.asarray(points, np.float64)[:, None, :]
    a, b, c = (np.asarray(corners, np.float64)[:, :, i] for i in range(3))
    ab, ac, ap = b - a, c - a, p - a
    d1, d2 = (ab * ap).sum(-1), (ac * ap).sum(-1)
    bp = p - b
    d3, d4 = (ab * bp).sum(-1), (ac * bp).sum(-1)
    cp = p - c
    d5, d6 = (ab * cp).sum(-1), (ac * cp).sum(-1)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 / (va + vb + vc)
        v_in, w_in = vb * denom, vc * denom
        t_ab = d1 / (d1 - d3)
        t_ac = d2 / (d2 - d6)
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
    bary = np.stack([1.0 - v_in - w_in, v_in, w_in], axis=-1)
    regions = [
        ((d1 <= 0) & (d2 <= 0), (1.0, 0.0, 0.0)),
        ((d3 >= 0) & (d4 <= d3), (0.0, 1.0, 0.0)),
        ((d6 >= 0) & (d5 <= d6), (0.0, 0.0, 1.0)),
    ]
    edge_ab = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
    edge_ac = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
    edge_bc = (va <= 0) & ((d4 - d3) >= 0) & ((d5 - d6) >= 0)
    bary = np.where(edge_bc[..., None], np.stack([0 * t_bc, 1 - t_bc, t_bc], -1), bary)
    bary = np.where(edge_ac[..., None], np.stack([1 - t_ac, 0 * t_ac, t_ac], -1), bary)
    bary = np.where(edge_ab[..., None], np.stack([1 - t_ab, t_ab, 0 * t_ab], -1), bary)
    for mask, value in reversed(regions):
        bary = np.where(mask[..., None], np.asarray(value), bary)
    bary = np.nan_to_num(bary, nan=1.0 / 3.0)
    closest = bary[..., 0:1] * a + bary[..., 1:2] * b + bary[..., 2:3] * c
    return bary, np.linalg.norm(closest - p, axis=-1)
