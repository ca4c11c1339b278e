"""Named vertex regions of the face model, derived from MediaPipe's connection sets and the neutral's geometry (the
lids: the pairs of :mod:`engine.eyes.eye_topology`, the one place the eyes' vertices are written).

Every list is ordered (contours run from the face's midline outward, or corner to corner) so that upper and lower
contours pair index by index. Left/right are the SUBJECT's (model +x = subject's left).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..eyes.eye_topology import EYES, eye_topology
from .topology import NUM_MESH_VERTICES, mediapipe_connections, vertex_neighbors

__all__ = ["FaceRegions", "regions_from_mediapipe"]

# Named MediaPipe vertices (canonical Face Mesh topology; see ../shared/reference/mediapipe_topology.md).
MOUTH_CORNER_OUTER = {"left": 291, "right": 61}
MOUTH_CORNER_INNER = {"left": 308, "right": 78}
LIP_CENTRE_POINTS = (0, 13, 14, 17)  # the lips' midline: upper outer, upper inner, lower inner, lower outer
NOSE_TIP = 1
CHIN = 152


@dataclasses.dataclass(frozen=True)
class FaceRegions:
    """Vertex index arrays (int32) of named regions. Eye and lip contours pair index by index.

    Attributes:
        eye_upper: ``{"left"|"right": (7,)}`` upper-lid contour, inner corner side first, corners excluded.
        eye_lower: ``{"left"|"right": (7,)}`` lower-lid contour paired with ``eye_upper``.
        brow: ``{"left"|"right": (10,)}`` eyebrow vertices.
        lip_upper_outer, lip_lower_outer: ``(9,)`` outer lip contours, subject's right to left, corners excluded.
        lip_upper_inner, lip_lower_inner: ``(9,)`` inner lip contours, same order.
        rigid: vertices that move little with expression (forehead, nose bridge, temples), for head pose.
    """

    eye_upper: dict[str, np.ndarray]
    eye_lower: dict[str, np.ndarray]
    brow: dict[str, np.ndarray]
    lip_upper_outer: np.ndarray
    lip_lower_outer: np.ndarray
    lip_upper_inner: np.ndarray
    lip_lower_inner: np.ndarray
    nose: np.ndarray
    face_oval: np.ndarray
    rigid: np.ndarray

    def as_arrays(self) -> dict[str, np.ndarray]:
        """Flat ``{"region_<name>[_<side>]": (n,) int32}`` for saving in the model file."""
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, dict):
                for side, arr in value.items():
                    out[f"region_{field.name}_{side}"] = arr
            else:
                out[f"region_{field.name}"] = value
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> FaceRegions:
        """Inverse of :meth:`as_arrays`."""
        kwargs = {}
        for field in dataclasses.fields(cls):
            if f"region_{field.name}" in arrays:
                kwargs[field.name] = np.asarray(arrays[f"region_{field.name}"], dtype=np.int32)
            else:
                kwargs[field.name] = {
                    side: np.asarray(arrays[f"region_{field.name}_{side}"], dtype=np.int32)
                    for side in ("left", "right")
                }
        return cls(**kwargs)


def _path(edges: frozenset[tuple[int, int]], start: int, end: int, avoid: set[int]) -> list[int]:
    """The simple path from start to end along a contour's edges, not through ``avoid``."""
    neighbors = vertex_neighbors(edges, NUM_MESH_VERTICES)
    path, prev = [start], None
    while path[-1] != end:
        options = [n for n in neighbors[path[-1]] if n != prev and n not in avoid and n not in path]
        if not options:
            raise ValueError(f"contour from {start} to {end} is broken at {path[-1]}")
        prev = path[-1]
        path.append(options[0])
    return path


def _upper_lower_contours(edges, a: int, b: int, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a closed contour between corners a and b into (upper, lower), each from a to b, corners excluded."""
    neighbors = vertex_neighbors(edges, NUM_MESH_VERTICES)
    first, second = sorted(neighbors[a] & {v for e in edges for v in e})[:2]
    path1 = _path(edges, a, b, avoid={second})
    path2 = _path(edges, a, b, avoid={first})
    if vertices[path1[1:-1], 1].mean() < vertices[path2[1:-1], 1].mean():
        path1, path2 = path2, path1
    upper, lower = np.array(path1[1:-1]), np.array(path2[1:-1])
    if len(upper) != len(lower):  # MediaPipe's eye and lip contours pair one to one; anything else is a bug
        raise ValueError(f"contours between {a} and {b} differ in length: {len(upper)} vs {len(lower)}")
    return upper.astype(np.int32), lower.astype(np.int32)


def regions_from_mediapipe(vertices: np.ndarray) -> FaceRegions:
    """Derive the named regions from MediaPipe's connection sets and the neutral's geometry.

    Args:
        vertices: ``(>=468, 3)`` float neutral in the model frame (+y up), used to tell upper from lower.
    """
    conn = mediapipe_connections()
    eye_upper, eye_lower, brow = {}, {}, {}
    for side in EYES:  # the lid pairs of eyelid_pairs.toml, from the inner corner out
        pairs = eye_topology(side).pairs[::-1]
        eye_upper[side], eye_lower[side] = pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32)
        brow[side] = np.array(sorted({v for e in conn[f"{side}_eyebrow"] for v in e}), dtype=np.int32)
    lips = conn["lips"]
    outer_edges = frozenset(e for e in lips if not ({*e} & _inner_lip_vertices(lips)))
    inner_edges = frozenset(e for e in lips if {*e} <= _inner_lip_vertices(lips))
    right, left = MOUTH_CORNER_OUTER["right"], MOUTH_CORNER_OUTER["left"]
    lip_upper_outer, lip_lower_outer = _upper_lower_contours(outer_edges, right, left, vertices)
    ri, li = MOUTH_CORNER_INNER["right"], MOUTH_CORNER_INNER["left"]
    lip_upper_inner, lip_lower_inner = _upper_lower_contours(inner_edges, ri, li, vertices)
    nose = np.array(sorted({v for e in conn["nose"] for v in e}), dtype=np.int32)
    face_oval = np.array(sorted({v for e in conn["face_oval"] for v in e}), dtype=np.int32)
    return FaceRegions(
        eye_upper=eye_upper,
        eye_lower=eye_lower,
        brow=brow,
        lip_upper_outer=lip_upper_outer,
        lip_lower_outer=lip_lower_outer,
        lip_upper_inner=lip_upper_inner,
        lip_lower_inner=lip_lower_inner,
        nose=nose,
        face_oval=face_oval,
        rigid=_rigid_vertices(vertices[:NUM_MESH_VERTICES]),
    )


def _inner_lip_vertices(lips: frozenset[tuple[int, int]]) -> set[int]:
    """The inner lip loop: the connected component of the lips edges that holds the inner corners."""
    neighbors = vertex_neighbors(lips, NUM_MESH_VERTICES)
    seen, todo = set(), [MOUTH_CORNER_INNER["left"]]
    while todo:
        v = todo.pop()
        if v not in seen:
            seen.add(v)
            todo.extend(neighbors[v])
    return seen


# Rigid set, geometric definition (model frame, cm; origin between the eyeball centres, +y up):
# the upper face above the lower eyelids except the lids and brows themselves, plus the nose bridge.
RIGID_MIN_HEIGHT_CM = 1.2  # above this height: forehead (brows and lids excluded below)
RIGID_NOSE_BRIDGE_HALF_WIDTH_CM = 1.0  # nose bridge band, down to the nose tip


def _rigid_vertices(mesh: np.ndarray) -> np.ndarray:
    y, x = mesh[:, 1], mesh[:, 0]
    forehead = y > RIGID_MIN_HEIGHT_CM + 2.0  # well above the brows, which move
    bridge = (np.abs(x) < RIGID_NOSE_BRIDGE_HALF_WIDTH_CM) & (y < RIGID_MIN_HEIGHT_CM + 2.0) & (y > mesh[NOSE_TIP, 1])
    temples = (np.abs(x) > 5.5) & (y > -1.0) & (y < RIGID_MIN_HEIGHT_CM + 2.0)
    return np.flatnonzero(forehead | bridge | temples).astype(np.int32)
