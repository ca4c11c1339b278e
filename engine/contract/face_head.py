"""The demo head file (``face_head.npz``): the whole scan-based head with the 46 expressions, for the add-on's rig.

Written by the engine's model build (``engine/face_model/demo_head.py``), read by the add-on's demo rig. Keys (all
arrays; ``np.load(path, allow_pickle=False)``), model frame, centimetres:

- ``vertices`` float32 (V, 3); ``polygon_sizes`` int32 (P,); ``polygon_vertices`` int32 (sum of sizes,):
  Blender's loop order.
- ``part_names`` str (N,); ``vertex_part`` uint8 (V,): each vertex's part (face, head_neck, teeth, sclera_left ...).
- ``material_names`` str (M,); ``polygon_material`` uint8 (P,): skin, eye (sclera + iris), teeth, mouth, lashes.
- ``vertex_color`` uint8 (V, 3): albedo, sRGB (skin, lips, brows, iris and pupil, sclera, teeth, gums).
- ``expression_names`` str (46,), FaceWarehouse-46 order; ``expression_offsets`` int64 (47,);
  ``expression_vertex`` int32 (nnz,); ``expression_delta`` float32 (nnz, 3): shape e moves vertices
  ``expression_vertex[o[e]:o[e+1]]`` by ``expression_delta[o[e]:o[e+1]]`` cm at weight 1 (sparse: a shape stores
  only the vertices it moves by more than :data:`SPARSE_TOLERANCE_CM`).
- ``eye_centers`` float32 (2, 3) [left, right] rotation centres; ``eye_axes`` float32 (2, 3) forward axes;
  ``eye_radius`` float32 ().

The translucent eye overlays of ICT (occlusion, blend, lacrimal meshes) and the sclera's corneal cap are left out,
so the iris reads in every viewport shading mode. Only numpy is used here. Where the shipped file is:
``blender_addon/data/face_head.npz`` inside the built extension, ``engine/data/face_head.npz`` in a checkout
(:func:`default_head_path`).
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np

from .errors import UserError

__all__ = [
    "HEAD_FILE",
    "HEAD_PARTS",
    "MATERIALS",
    "SPARSE_TOLERANCE_CM",
    "FaceHeadError",
    "HeadData",
    "default_head_path",
    "load_head",
    "polygons_within",
    "save_head",
]

HEAD_FILE = "face_head.npz"
SPARSE_TOLERANCE_CM = 1e-3
HEAD_PARTS = (
    "face", "head_neck", "mouth_socket", "eye_socket_left", "eye_socket_right", "gums_tongue", "teeth",
    "sclera_left", "iris_left", "sclera_right", "iris_right", "eyelashes_left", "eyelashes_right",
)  # fmt: skip
MATERIALS = ("skin", "eye", "teeth", "mouth", "lashes")
PART_MATERIAL = {
    "face": "skin", "head_neck": "skin", "eye_socket_left": "skin", "eye_socket_right": "skin",
    "mouth_socket": "mouth", "gums_tongue": "mouth", "teeth": "teeth", "sclera_left": "eye", "iris_left": "eye",
    "sclera_right": "eye", "iris_right": "eye", "eyelashes_left": "lashes", "eyelashes_right": "lashes",
}  # fmt: skip


class FaceHeadError(UserError):
    """The demo head file is missing or is not one; the message says which and what to do."""


def default_head_path() -> Path:
    """The shipped head file: ``data/`` beside this package's folder (``blender_addon/data`` in the extension,
    where ``build_addon.py`` puts it beside the vendored contract; ``engine/data`` in a checkout).
    """
    return Path(__file__).resolve().parent.parent / "data" / HEAD_FILE


@dataclasses.dataclass(frozen=True, eq=False)
class HeadData:
    """The demo head (arrays as described in the module docstring)."""

    vertices: np.ndarray
    polygon_sizes: np.ndarray
    polygon_vertices: np.ndarray
    part_names: tuple[str, ...]
    vertex_part: np.ndarray
    material_names: tuple[str, ...]
    polygon_material: np.ndarray
    vertex_color: np.ndarray
    expression_names: tuple[str, ...]
    expression_offsets: np.ndarray
    expression_vertex: np.ndarray
    expression_delta: np.ndarray
    eye_centers: np.ndarray
    eye_axes: np.ndarray
    eye_radius: float

    def expression_dense(self, index: int) -> np.ndarray:
        """``(V, 3)`` float32 delta of expression ``index`` at weight 1."""
        out = np.zeros_like(self.vertices)
        sl = slice(self.expression_offsets[index], self.expression_offsets[index + 1])
        out[self.expression_vertex[sl]] = self.expression_delta[sl]
        return out

    def part_vertices(self, name: str) -> np.ndarray:
        """``(n,)`` int indices of the vertices of one part."""
        return np.flatnonzero(self.vertex_part == self.part_names.index(name))


def polygons_within(sizes: np.ndarray, corners: np.ndarray, vertices: np.ndarray) -> np.ndarray:
    """``(P,)`` bool: the polygons whose every corner is one of ``vertices`` (``(V,)`` bool).

    ``sizes`` ``(P,)`` and ``corners`` (the flat vertex list) are the polygons as :class:`HeadData` holds them.

    Example:
        >>> polygons_within(np.array([3, 4]), np.array([0, 1, 2, 1, 2, 3, 4]), np.array([1, 1, 1, 1, 0], bool))
        array([ True, False])
    """
    owner = np.repeat(np.arange(len(sizes)), sizes)
    return np.bincount(owner, weights=vertices[corners], minlength=len(sizes)) == sizes


def save_head(path: str | Path, head: HeadData) -> None:
    """Write the head file (compressed)."""
    np.savez_compressed(
        path,
        **{
            f.name: getattr(head, f.name)
            for f in dataclasses.fields(head)
            if not isinstance(getattr(head, f.name), tuple)
        },
        part_names=np.array(head.part_names),
        material_names=np.array(head.material_names),
        expression_names=np.array(head.expression_names),
    )


def load_head(path: str | Path | None = None) -> HeadData:
    """Read a head file (default: :func:`default_head_path`).

    Raises:
        FaceHeadError: missing, unreadable, or not a head file (the message names the problem).
    """
    path = Path(path) if path is not None else default_head_path()
    if not path.is_file():
        raise FaceHeadError(f"demo head not found at {path}: build the add-on with build_addon.py, or make it with "
                            "'python -m engine build-model --ict ../shared/data/ict-facekit'")  # fmt: skip
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise FaceHeadError(f"{path}: not a readable .npz ({err})") from None
    missing = [x.name for x in dataclasses.fields(HeadData) if x.name not in data]
    if missing:
        raise FaceHeadError(f"{path}: not a face head file (missing {', '.join(missing)})")
    v = data["vertices"].shape[0]
    if data["vertices"].shape != (v, 3) or data["polygon_vertices"].max(initial=0) >= v:
        raise FaceHeadError(f"{path}: vertices and polygons do not fit together")
    if data["polygon_sizes"].sum() != len(data["polygon_vertices"]):
        raise FaceHeadError(f"{path}: polygon sizes do not add up to the polygon vertex list")
    names = tuple(str(n) for n in data["expression_names"])
    offsets = data["expression_offsets"]
    if offsets.shape != (len(names) + 1,) or offsets[-1] != len(data["expression_vertex"]):
        raise FaceHeadError(f"{path}: expression offsets do not match the sparse deltas")
    if data["expression_vertex"].max(initial=0) >= v or not np.isfinite(data["expression_delta"]).all():
        raise FaceHeadError(f"{path}: expression deltas index missing vertices or are not finite")
    return HeadData(
        vertices=data["vertices"].astype(np.float32),
        polygon_sizes=data["polygon_sizes"].astype(np.int32),
        polygon_vertices=data["polygon_vertices"].astype(np.int32),
        part_names=tuple(str(n) for n in data["part_names"]),
        vertex_part=data["vertex_part"].astype(np.uint8),
        material_names=tuple(str(n) for n in data["material_names"]),
        polygon_material=data["polygon_material"].astype(np.uint8),
        vertex_color=data["vertex_color"].astype(np.uint8),
        expression_names=names,
        expression_offsets=data["expression_offsets"].astype(np.int64),
        expression_vertex=data["expression_vertex"].astype(np.int32),
        expression_delta=data["expression_delta"].astype(np.float32),
        eye_centers=data["eye_centers"].astype(np.float32),
        eye_axes=data["eye_axes"].astype(np.float32),
        eye_radius=float(data["eye_radius"]),
    )
