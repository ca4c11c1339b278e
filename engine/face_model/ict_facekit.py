"""ICT-FaceKit's Face Model Light (MIT), read from ``../shared/data/ict-facekit`` for building the face model.

The scan-based head (USC Institute for Creative Technologies; licence and credits ship as
``engine/data/ICT-FaceKit-LICENSE.txt``): 26 719 vertices in centimetres, model frame (+x = the subject's left,
+y up, +z out of the face), 100 identity modes scaled so coefficients ~ N(0, 1), and 53 ARKit-style expression
shapes. Vertex ranges of the parts are from ICT-FaceKit's README (its "Face Model Topology" table).

Only the model builder reads this module; tracking never does.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["ICT_FILE", "ICT_PARTS", "IctFaceKit", "load_ict_facekit"]

ICT_FILE = "ict_face_model_light.npz"

# name -> (first vertex, last vertex + 1), ICT-FaceKit README, "Face Model Topology" / "Eyeball Details".
ICT_PARTS: dict[str, tuple[int, int]] = {
    "face": (0, 9409),
    "head_neck": (9409, 11248),
    "mouth_socket": (11248, 13294),
    "eye_socket_left": (13294, 13678),
    "eye_socket_right": (13678, 14062),
    "gums_tongue": (14062, 17039),
    "teeth": (17039, 21451),
    "sclera_left": (21451, 22221),
    "iris_left": (22221, 23021),
    "sclera_right": (23021, 23791),
    "iris_right": (23791, 24591),
    "lacrimal_left": (24591, 24795),
    "lacrimal_right": (24795, 24999),
    "eye_blend_left": (24999, 25023),
    "eye_blend_right": (25023, 25047),
    "eye_occlusion_left": (25047, 25199),
    "eye_occlusion_right": (25199, 25351),
    "eyelashes_left": (25351, 26035),
    "eyelashes_right": (26035, 26719),
}
NUM_ICT_VERTICES = 26719

# Multi-PIE 68 landmark vertices (ICT-FaceKit README, "Facial Landmarks").
MULTIPIE68_VERTICES = (
    1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443,
    268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147,
    4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695, 2081,
    0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216, 6207, 6470, 5517, 5966,
)  # fmt: skip


@dataclasses.dataclass(frozen=True, eq=False)
class IctFaceKit:
    """The ICT head as loaded.

    Attributes:
        neutral: ``(V, 3)`` float64 cm, V = 26 719.
        polygons: list of ``(n,)`` int arrays (quads and triangles), Blender's loop order.
        polygon_sizes: ``(P,)`` int32. polygon_vertices: ``(sum(sizes),)`` int32.
        triangles: ``(F, 3)`` int64, fan-triangulated polygons, counter-clockwise seen from outside.
        triangle_polygon: ``(F,)`` int64 the polygon of each triangle.
        expression_deltas: ``(53, V, 3)`` float32 cm. expression_names: 53 ARKit-style names.
        identity_deltas: ``(100, V, 3)`` float32 cm per unit coefficient (N(0, 1) prior).
        source: the folder read.
    """

    neutral: np.ndarray
    polygon_sizes: np.ndarray
    polygon_vertices: np.ndarray
    triangles: np.ndarray
    triangle_polygon: np.ndarray
    expression_deltas: np.ndarray
    expression_names: tuple[str, ...]
    identity_deltas: np.ndarray
    source: Path

    def part(self, name: str) -> slice:
        """The vertex slice of a named part (:data:`ICT_PARTS`)."""
        first, stop = ICT_PARTS[name]
        return slice(first, stop)

    def part_of_vertex(self) -> np.ndarray:
        """``(V,)`` int index into ``list(ICT_PARTS)`` of each vertex."""
        out = np.empty(len(self.neutral), np.int64)
        for i, (first, stop) in enumerate(ICT_PARTS.values()):
            out[first:stop] = i
        return out

    def expression(self, name: str) -> np.ndarray:
        """``(V, 3)`` float64 delta of one ICT shape by name."""
        return self.expression_deltas[self.expression_names.index(name)].astype(np.float64)


def fan_triangulate(sizes: np.ndarray, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons (sizes + flat vertex list) -> ``(F, 3)`` triangles and the polygon of each.

    Example:
        >>> tri, poly = fan_triangulate(np.array([4, 3]), np.array([0, 1, 2, 3, 4, 5, 6]))
        >>> tri.tolist(), poly.tolist()
        ([[0, 1, 2], [0, 2, 3], [4, 5, 6]], [0, 0, 1])
    """
    sizes = np.asarray(sizes, np.int64)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    tris, owner = [], []
    for k in np.unique(sizes):
        sel = np.flatnonzero(sizes == k)
        for i in range(1, k - 1):
            tris.append(np.stack([vertices[starts[sel]], vertices[starts[sel] + i], vertices[starts[sel] + i + 1]], 1))
            owner.append(sel)
    tri, own = np.concatenate(tris).astype(np.int64), np.concatenate(owner)
    order = np.argsort(own, kind="stable")
    return tri[order], own[order]


def load_ict_facekit(folder: str | Path) -> IctFaceKit:
    """Load ICT-FaceKit's Face Model Light from its folder (``ict_face_model_light.npz`` inside).

    Raises:
        InputError: the folder or file is missing or not the expected model.
    """
    folder = Path(folder)
    path = folder / ICT_FILE
    if not path.is_file():
        raise InputError(f"ICT-FaceKit model not found: {path} (expected the folder ../shared/data/ict-facekit)")
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    neutral = data["neutral"].astype(np.float64)
    if neutral.shape != (NUM_ICT_VERTICES, 3):
        raise InputError(f"{path}: neutral has shape {neutral.shape}, expected ({NUM_ICT_VERTICES}, 3)")
    tri, owner = fan_triangulate(data["polygon_sizes"], data["polygon_vertices"])
    return IctFaceKit(
        neutral=neutral,
        polygon_sizes=data["polygon_sizes"].astype(np.int32),
        polygon_vertices=data["polygon_vertices"].astype(np.int32),
        triangles=tri,
        triangle_polygon=owner,
        expression_deltas=data["expression_deltas"],
        expression_names=tuple(str(n) for n in data["expression_names"]),
        identity_deltas=data["identity_deltas"],
        source=folder,
    )
