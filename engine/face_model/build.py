"""Build ``engine/data/face_model.npz`` from scratch: ``python -m engine build-model``.

The only input is MediaPipe Face Mesh (from its wheel: the detector's 3D landmarks and the tessellation edge list)
run on scikit-image's public-domain astronaut portrait (NASA, Eileen Collins). Everything else is computed here:
symmetric metric neutral (:mod:`.neutral`), identity space (:mod:`.identity_basis`), the 46 expression shapes
(:mod:`.blendshapes`). Deterministic: the same packages give the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rigs import load_names

from .blendshapes import author_expression_basis, relax_portrait_mouth
from .identity_basis import identity_basis_from_mesh, without_opening_changes
from .model import DEFAULT_MODEL_PATH, FaceModel, save_face_model
from .neutral import EYEBALL_RADIUS_CM, eyeball_centers, neutral_from_view_points
from .regions import regions_from_mediapipe
from .topology import NUM_MESH_VERTICES, mediapipe_connections, triangles_from_edges

__all__ = ["build_face_model", "portrait_view_points"]


def portrait_view_points() -> np.ndarray:
    """``(478, 3)`` MediaPipe points of scikit-image's astronaut portrait, VIEW frame pixels."""
    import mediapipe as mp  # noqa: PLC0415
    import skimage.data  # noqa: PLC0415

    image = skimage.data.astronaut()  # (512, 512, 3) uint8 RGB, public domain
    h, w = image.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as mesh:
        result = mesh.process(image)
    if not result.multi_face_landmarks:
        raise RuntimeError("MediaPipe found no face in the astronaut portrait")
    lm = result.multi_face_landmarks[0].landmark
    return np.array([[p.x * w, -p.y * h, -p.z * w] for p in lm], dtype=np.float64)


def build_face_model(out_path: str | Path = DEFAULT_MODEL_PATH) -> FaceModel:
    """Build the model and write it to ``out_path``; returns the model."""
    neutral, perm = neutral_from_view_points(portrait_view_points())
    conn = mediapipe_connections()
    edges = np.array(sorted(conn["tesselation"]), dtype=np.int32)
    regions = regions_from_mediapipe(neutral)
    neutral = relax_portrait_mouth(neutral, regions, NUM_MESH_VERTICES)
    names = load_names("facewarehouse46")
    triangles = triangles_from_edges(conn["tesselation"], neutral[:NUM_MESH_VERTICES])
    expression = author_expression_basis(neutral, regions, perm, names, NUM_MESH_VERTICES)
    openings = [(regions.eye_upper[s], regions.eye_lower[s]) for s in ("left", "right")]
    openings.append((regions.lip_upper_inner, regions.lip_lower_inner))
    mesh_identity = without_opening_changes(identity_basis_from_mesh(neutral[:NUM_MESH_VERTICES], edges), openings)
    identity = np.zeros((mesh_identity.shape[0], neutral.shape[0], 3), dtype=np.float32)
    identity[:, :NUM_MESH_VERTICES] = mesh_identity
    # Iris points ride with the nearest eye-contour vertices' identity displacement (eyes move with the face).
    for side, iris in (("left", range(473, 478)), ("right", range(468, 473))):
        ring = np.r_[regions.eye_upper[side], regions.eye_lower[side]]
        identity[:, list(iris)] = mesh_identity[:, ring].mean(axis=1, keepdims=True)
    stddev = np.ones(len(identity), np.float32)
    model = FaceModel(
        neutral=neutral,
        identity_basis=identity,
        expression_basis=expression,
        expression_names=names,
        triangles=triangles,
        edges=edges,
        mirror=perm,
        eye_centers=eyeball_centers(neutral).astype(np.float32),
        eye_radius=EYEBALL_RADIUS_CM,
        regions=regions,
        identity_stddev=stddev,
    )
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    save_face_model(out_path, model)
    return model
