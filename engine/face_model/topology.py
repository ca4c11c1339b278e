"""The face model's topology: MediaPipe Face Mesh's 468 vertices, triangles rebuilt from its edge list.

MediaPipe ships the tessellation only as an edge list (``FACEMESH_TESSELATION``, 2556 edges). Triangles are its
3-cliques, oriented so that normals point out of the face (model +z, see :mod:`engine.contract.frames`).
Only :func:`mediapipe_connections` imports mediapipe, and only when called (building the model).
"""

from __future__ import annotations

import itertools

import numpy as np

from ..contract.take import MEDIAPIPE_MESH_POINT_COUNT

__all__ = ["NUM_MESH_VERTICES", "mediapipe_connections", "triangles_from_edges", "vertex_neighbors"]

NUM_MESH_VERTICES = MEDIAPIPE_MESH_POINT_COUNT  # MediaPipe Face Mesh vertices 0..467 (the contract's count)


def mediapipe_connections() -> dict[str, frozenset[tuple[int, int]]]:
    """MediaPipe's named edge sets (``"tesselation"``, ``"lips"``, ``"left_eye"``, ...), read from the wheel."""
    import mediapipe as mp

    conn = mp.solutions.face_mesh_connections
    names = {
        "tesselation": "FACEMESH_TESSELATION",
        "lips": "FACEMESH_LIPS",
        "left_eye": "FACEMESH_LEFT_EYE",
        "right_eye": "FACEMESH_RIGHT_EYE",
        "left_eyebrow": "FACEMESH_LEFT_EYEBROW",
        "right_eyebrow": "FACEMESH_RIGHT_EYEBROW",
        "face_oval": "FACEMESH_FACE_OVAL",
        "nose": "FACEMESH_NOSE",
    }
    return {key: frozenset(tuple(e) for e in getattr(conn, attr)) for key, attr in names.items()}


def vertex_neighbors(edges: frozenset[tuple[int, int]] | np.ndarray, num_vertices: int) -> list[set[int]]:
    """Adjacency sets: ``neighbors[v]`` is the set of vertices sharing an edge with ``v``."""
    neighbors: list[set[int]] = [set() for _ in range(num_vertices)]
    for a, b in edges:
        neighbors[a].add(b)
        neighbors[b].add(a)
    return neighbors


def triangles_from_edges(edges: frozenset[tuple[int, int]], vertices: np.ndarray) -> np.ndarray:
    """Triangles of an edge-list mesh, oriented with normals pointing out of the face.

    Args:
        edges: undirected vertex-index pairs.
        vertices: ``(V, 3)`` float positions in the model frame (+z out of the face).

    Returns:
        ``(F, 3)`` int32 vertex indices, counter-clockwise seen from outside.
    """
    neighbors = vertex_neighbors(edges, len(vertices))
    tris = set()
    for a in range(len(vertices)):
        for b, c in itertools.combinations(sorted(n for n in neighbors[a] if n > a), 2):
            if c in neighbors[b]:
                tris.add((a, b, c))
    tri = np.array(sorted(tris), dtype=np.int32)
    v = np.asarray(vertices, dtype=np.float64)
    normal = np.cross(v[tri[:, 1]] - v[tri[:, 0]], v[tri[:, 2]] - v[tri[:, 0]])
    # Outward = away from a point well behind the face (the head's interior).
    behind = v.mean(axis=0) - np.array([0.0, 0.0, 8.0])
    outward = np.einsum("fk,fk->f", normal, v[tri].mean(axis=1) - behind) >= 0
    tri[~outward] = tri[~outward][:, [0, 2, 1]]
    return tri
