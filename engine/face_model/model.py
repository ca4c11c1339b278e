"""The engine's linear face model over the tracking landmarks, made from ICT-FaceKit's scans.

    points(identity, expression) = neutral + sum_k identity[k] * identity_basis[k]
                                           + sum_e expression[e] * expression_basis[e]

over 478 points: MediaPipe Face Mesh's 468 mesh vertices plus its 10 iris points, each a fixed point of ICT's
scanned head surface (``landmark_vertices`` + ``landmark_bary``, :mod:`.correspondence`), so the neutral, the 100
identity modes (N(0, 1) prior) and the 46 FaceWarehouse expressions are ICT's, carried to the landmarks.
Units are centimetres in the MODEL frame (see :mod:`engine.contract.frames`). The file ``engine/data/face_model.npz``
is made by ``python -m engine build-model --ict DIR`` (:mod:`engine.face_model_build.build`); its keys:

- ``neutral`` float32 (468, 3), ``iris_neutral`` float32 (10, 3)
- ``expression_basis`` float32 (46, 468, 3), ``iris_expression_basis`` float32 (46, 10, 3), ``expression_names`` (46,)
- ``identity_basis`` float32 (K, 468, 3), ``iris_identity_basis`` float32 (K, 10, 3)
- ``triangles`` int32 (F, 3), ``edges`` int32 (E, 2), ``mirror`` int64 (478,)
- ``identity_stddev`` float32 (K,) prior standard deviation per identity coefficient
- ``eye_centers`` float32 (2, 3) [left, right] eyeball centres, ``eye_radius`` float32 ()
- ``region_*`` int32 vertex index lists (:class:`engine.face_model.regions.FaceRegions`)
- ``landmark_vertices`` int32 (478, 3), ``landmark_bary`` float32 (478, 3): each point's ICT triangle and weights
- ``yaw_drift`` float32 (2, 478, 3): the detector's drift of each point with head yaw, per :func:`yaw_terms`
  (measured by :mod:`engine.face_model_build.yaw_drift`); a file without it (made before it was measured) loads
  with zeros: no drift removed
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import MissingModelFile
from .regions import FaceRegions
from .topology import NUM_MESH_VERTICES

__all__ = ["DEFAULT_MODEL_PATH", "FaceModel", "load_face_model", "save_face_model", "yaw_terms"]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "face_model.npz"


def yaw_terms(yaw: np.ndarray) -> np.ndarray:
    """``(T, 2)`` the regressors ``FaceModel.yaw_drift`` is per, of ``(T,)`` yaws (radians): yaw and yaw squared.

    Yaw as :attr:`engine.fitting.head_pose.HeadPose.yaw` (the nose turned to the subject's left > 0); the drift at
    those yaws is ``np.tensordot(yaw_terms(yaw), model.yaw_drift, 1)``, ``(T, P, 3)`` cm in the model frame.
    """
    yaw = np.asarray(yaw, dtype=np.float64)
    return np.stack([yaw, yaw * yaw], axis=-1)


@dataclasses.dataclass(frozen=True, eq=False)
class FaceModel:
    """The linear face model over P = 478 points (468 mesh + 10 iris).

    Attributes:
        neutral: ``(P, 3)`` float32 cm.
        identity_basis: ``(K, P, 3)`` float32 cm per unit coefficient.
        expression_basis: ``(46, P, 3)`` float32 cm at weight 1.
        expression_names: the 46 FaceWarehouse names, in basis order.
        triangles: ``(F, 3)`` int32 over the 468 mesh vertices, counter-clockwise from outside.
        edges: ``(E, 2)`` int32 mesh edges.
        mirror: ``(P,)`` int64, the point at each point's mirror position.
        eye_centers: ``(2, 3)`` float32 [left, right] eyeball centres, cm.
        eye_radius: eyeball radius, cm.
        regions: named vertex regions.
        identity_stddev: ``(K,)`` float32 prior standard deviation of each identity coefficient.
        landmark_vertices: ``(P, 3)`` int32 the ICT head vertices of each point's triangle.
        landmark_bary: ``(P, 3)`` float32 each point's barycentric weights in that triangle.
        yaw_drift: ``(2, P, 3)`` float32 how the landmark detector's points drift in the model frame as the head
            turns, cm per radian of yaw and per radian squared (:func:`yaw_terms`).
    """

    neutral: np.ndarray
    identity_basis: np.ndarray
    expression_basis: np.ndarray
    expression_names: tuple[str, ...]
    triangles: np.ndarray
    edges: np.ndarray
    mirror: np.ndarray
    eye_centers: np.ndarray
    eye_radius: float
    regions: FaceRegions
    identity_stddev: np.ndarray
    landmark_vertices: np.ndarray
    landmark_bary: np.ndarray
    yaw_drift: np.ndarray

    @property
    def num_points(self) -> int:
        return self.neutral.shape[0]

    @property
    def num_identity(self) -> int:
        return self.identity_basis.shape[0]

    def points(self, identity: np.ndarray | None = None, expression: np.ndarray | None = None) -> np.ndarray:
        """Model points for coefficients.

        Args:
            identity: ``(K,)`` or None (the generic neutral).
            expression: ``(46,)`` or ``(T, 46)`` weights, or None.

        Returns:
            ``(P, 3)`` or ``(T, P, 3)`` float32 cm.
        """
        base = self.neutral if identity is None else self.neutral + np.tensordot(identity, self.identity_basis, 1)
        if expression is None:
            return base.astype(np.float32)
        return (base + np.tensordot(expression, self.expression_basis, 1)).astype(np.float32)


def save_face_model(path: str | Path, model: FaceModel) -> None:
    """Write the model file (keys as in the module docstring)."""
    n = NUM_MESH_VERTICES
    np.savez_compressed(
        path,
        neutral=model.neutral[:n],
        iris_neutral=model.neutral[n:],
        expression_basis=model.expression_basis[:, :n],
        iris_expression_basis=model.expression_basis[:, n:],
        expression_names=np.array(model.expression_names),
        identity_basis=model.identity_basis[:, :n],
        iris_identity_basis=model.identity_basis[:, n:],
        triangles=model.triangles,
        edges=model.edges,
        mirror=model.mirror,
        eye_centers=model.eye_centers,
        eye_radius=np.float32(model.eye_radius),
        identity_stddev=model.identity_stddev,
        landmark_vertices=model.landmark_vertices,
        landmark_bary=model.landmark_bary,
        yaw_drift=model.yaw_drift,
        **model.regions.as_arrays(),
    )


def load_face_model(path: str | Path | None = None) -> FaceModel:
    """Load the model file (default: the engine's own ``engine/data/face_model.npz``)."""
    path = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if not path.is_file():
        raise MissingModelFile(
            f"face model not found at {path}: make it with "
            "'python -m engine build-model --ict ../shared/data/ict-facekit'"
        )
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    return FaceModel(
        neutral=np.concatenate([data["neutral"], data["iris_neutral"]]).astype(np.float32),
        identity_basis=np.concatenate([data["identity_basis"], data["iris_identity_basis"]], axis=1).astype(np.float32),
        expression_basis=np.concatenate([data["expression_basis"], data["iris_expression_basis"]], axis=1).astype(
            np.float32
        ),
        expression_names=tuple(str(s) for s in data["expression_names"]),
        triangles=data["triangles"].astype(np.int32),
        edges=data["edges"].astype(np.int32),
        mirror=data["mirror"].astype(np.int64),
        eye_centers=data["eye_centers"].astype(np.float32),
        eye_radius=float(data["eye_radius"]),
        regions=FaceRegions.from_arrays(data),
        identity_stddev=data["identity_stddev"].astype(np.float32),
        landmark_vertices=data["landmark_vertices"].astype(np.int32),
        landmark_bary=data["landmark_bary"].astype(np.float32),
        yaw_drift=data["yaw_drift"].astype(np.float32)
        if "yaw_drift" in data
        else np.zeros((2, len(data["landmark_bary"]), 3), np.float32),
    )
