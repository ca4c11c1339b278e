"""Read the engine's face model (``face_model.npz``) for the demo rig (numpy only, no bpy).

Keys: ``neutral`` (468,3) float32 cm model frame; ``triangles`` (F,3) int32; ``expression_basis`` (46,468,3) cm
vertex deltas per unit weight in FaceWarehouse-46 order; ``expression_names`` (46,); ``identity_basis`` (K,468,3);
``eye_centers`` (2,3) [left, right] cm; ``eye_radius`` scalar cm.

Where it is: ``blender_addon/data/face_model.npz`` inside the built extension (``build_addon.py`` copies it), else
``engine/data/face_model.npz`` in a repository checkout.
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["FaceModel", "FaceModelError", "default_face_model_path", "load_face_model"]

_ADDON_DIR = Path(__file__).resolve().parent
FACE_MODEL_FILE = "face_model.npz"


class FaceModelError(ValueError):
    """The face model file is missing or malformed; the message says which and how."""


@dataclasses.dataclass(frozen=True)
class FaceModel:
    """The engine's face model, as needed for a rig.

    Attributes:
        neutral: ``(V, 3)`` float64 cm, model frame.
        triangles: ``(F, 3)`` int64 vertex indices.
        expression_basis: ``(E, V, 3)`` float64 cm deltas per unit weight.
        expression_names: ``(E,)`` names, FaceWarehouse-46 order.
        eye_centers: ``(2, 3)`` float64 cm [left, right].
        eye_radius: cm.
    """

    neutral: np.ndarray
    triangles: np.ndarray
    expression_basis: np.ndarray
    expression_names: tuple[str, ...]
    eye_centers: np.ndarray
    eye_radius: float


def default_face_model_path() -> Path:
    """The shipped face model: inside the extension, else the repository's ``engine/data``."""
    inside = _ADDON_DIR / "data" / FACE_MODEL_FILE
    if inside.is_file():
        return inside
    return _ADDON_DIR.parent / "engine" / "data" / FACE_MODEL_FILE


def load_face_model(path: str | Path | None = None) -> FaceModel:
    """Load and check the face model.

    Raises:
        FaceModelError: missing file, missing keys, inconsistent shapes, or expression names that are not the
            FaceWarehouse-46 list.
    """
    from ._rigs import rigs

    path = Path(path) if path else default_face_model_path()
    if not path.is_file():
        raise FaceModelError(
            f"face model not found at {path}; build the add-on with build_addon.py after the engine's "
            "face model is generated, or pass the file explicitly"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise FaceModelError(f"{path}: not a readable npz ({err})") from None
    missing = [
        k
        for k in ("neutral", "triangles", "expression_basis", "expression_names", "eye_centers", "eye_radius")
        if k not in arrays
    ]
    if missing:
        raise FaceModelError(f"{path}: missing {', '.join(missing)}")
    neutral = np.asarray(arrays["neutral"], dtype=np.float64)
    v = neutral.shape[0]
    if neutral.shape != (v, 3):
        raise FaceModelError(f"{path}: neutral must be (V, 3), got {neutral.shape}")
    tris = np.asarray(arrays["triangles"], dtype=np.int64)
    if tris.ndim != 2 or tris.shape[1] != 3 or tris.min() < 0 or tris.max() >= v:
        raise FaceModelError(f"{path}: triangles must be (F, 3) indices into {v} vertices")
    names = tuple(str(n) for n in np.asarray(arrays["expression_names"]).reshape(-1))
    if names != rigs.load_names("facewarehouse46"):
        raise FaceModelError(f"{path}: expression_names are not the FaceWarehouse-46 list in canonical order")
    basis = np.asarray(arrays["expression_basis"], dtype=np.float64)
    if basis.shape != (len(names), v, 3):
        raise FaceModelError(f"{path}: expression_basis must be ({len(names)}, {v}, 3), got {basis.shape}")
    eyes = np.asarray(arrays["eye_centers"], dtype=np.float64)
    if eyes.shape != (2, 3):
        raise FaceModelError(f"{path}: eye_centers must be (2, 3), got {eyes.shape}")
    return FaceModel(neutral, tris, basis, names, eyes, float(np.asarray(arrays["eye_radius"]).reshape(-1)[0]))
