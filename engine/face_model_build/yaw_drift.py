"""How the landmark detector's points drift as the head turns, measured on renders of the ICT head at rest.

MediaPipe Face Mesh regresses its mesh from the image, and the mesh does not turn rigidly with the head: brought
back into the model frame by the fitter's rigid alignment (forehead, temples, nose bridge), the nose tip and the
chin slide sideways about 0.09 and 0.17 cm per 10 deg of yaw, the inner eye corners and the brows by a few
hundredths. On real clips that drift reads as expression: on held-out talking clips BrowsD_L minus BrowsD_R grew by
0.16 per 10 deg of head turn (``tests/benchmarks/bench_pose_leak.py``), a brow lowering that follows the head.

So the drift is measured where the truth is known: the ICT head at rest, several identities, rendered at a range
of yaws (:mod:`.head_render`) and detected; each detection is aligned onto the true points exactly as the fitter
aligns (:func:`engine.fitting.frame_fit.pose_weights`), and each point's model-frame offset is regressed on the
aligned pose's yaw and yaw squared (an intercept per identity takes the identity's own detector bias). The fit side
(:mod:`engine.fitting.yaw_drift_removal`) subtracts the drift at each frame's yaw.

Yaw only: the renders' response to pitch, removed the same way (measured as an experiment), made the held-out
clips' brows follow pitch several times as much as before (BrowsD_L + BrowsD_R 0.05 -> 0.22 per 10 deg), so the
renders do not show how real faces drift with pitch. The drift is relative to the frontal view (zero at yaw 0),
measured with the eyes open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..face_model.head_render import HeadAlbedo, RenderSetup, render_head
from ..face_model.ict_facekit import IctFaceKit
from ..face_model.model import yaw_terms
from ..face_model.surface_points import SurfacePoints
from .detection_frame import detection_in_model_frame

__all__ = ["YawDriftConfig", "measure_yaw_drift"]


@dataclasses.dataclass(frozen=True)
class YawDriftConfig:
    """How the drift is measured.

    Attributes:
        identities: random identities (N(0, identity_stddev^2) per ICT mode), each rendered at every yaw.
        yaws_deg: the head turns rendered (degrees, the renderer's convention).
        identity_stddev: spread of the identities.
        seed: random seed (distinct from the correspondence's and the detector response's).
    """

    identities: int = 5
    yaws_deg: tuple[float, ...] = (-35.0, -26.25, -17.5, -8.75, 0.0, 8.75, 17.5, 26.25, 35.0)
    identity_stddev: float = 0.8
    seed: int = 3000


def measure_yaw_drift(
    ict: IctFaceKit,
    albedo: HeadAlbedo,
    points: SurfacePoints,
    pose_weights: np.ndarray,
    detect: Callable[[np.ndarray], np.ndarray | None],
    cfg: YawDriftConfig = YawDriftConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """The detector's drift of every landmark with head yaw.

    Args:
        points: the landmarks on the ICT surface (:mod:`.correspondence`).
        pose_weights: ``(P,)`` the fitter's head-pose weight per landmark.
        detect: image (BGR uint8) -> ``(P, 3)`` pixels x, y and relative depth (larger = farther), or None.

    Returns:
        ``(drift, report)``: ``drift`` ``(2, P, 3)`` float32, model-frame cm per radian of yaw and per radian
        squared (:func:`engine.face_model.model.yaw_terms`; yaw as :attr:`engine.fitting.head_pose.HeadPose.yaw`);
        the report gives the renders used and how much of the points' motion across yaws the drift explains on
        identities it was not fitted on (leave one identity out).
    """
    rng = np.random.default_rng(cfg.seed)
    identities = rng.normal(0.0, cfg.identity_stddev, (cfg.identities, ict.identity_deltas.shape[0]))
    offsets, yaws, owner = [], [], []
    total, done = len(identities) * len(cfg.yaws_deg), 0
    for i, identity in enumerate(identities):
        truth = points.evaluate(ict.neutral + np.tensordot(identity, ict.identity_deltas, 1))
        for yaw_deg in cfg.yaws_deg:
            done += 1
            if progress:
                progress(done, total)
            found = detect(render_head(ict, albedo, RenderSetup(identity=identity, yaw_deg=yaw_deg)).image_bgr)
            if found is None:
                continue
            seen, pose = detection_in_model_frame(found, truth, pose_weights)
            offsets.append(seen - truth)
            yaws.append(pose.yaw[0])
            owner.append(i)
    offsets, owner = np.array(offsets), np.array(owner)
    x = yaw_terms(np.array(yaws))
    y = offsets.reshape(len(offsets), -1)
    for i in np.unique(owner):  # each identity's own intercept: its detector bias at rest
        x_mean, y_mean = x[owner == i].mean(axis=0), y[owner == i].mean(axis=0)
        x[owner == i] -= x_mean
        y[owner == i] -= y_mean
    drift = np.linalg.lstsq(x, y, rcond=None)[0]
    explained = []
    for i in np.unique(owner):
        held = owner == i
        fitted = np.linalg.lstsq(x[~held], y[~held], rcond=None)[0]
        explained.append(1.0 - float(((y[held] - x[held] @ fitted) ** 2).sum() / (y[held] ** 2).sum()))
    per_10deg = np.linalg.norm(drift[0].reshape(-1, 3), axis=1) * np.radians(10.0)
    report = {
        "renders": int(total),
        "renders_without_face": int(total - len(offsets)),
        "explained_on_held_out_identities": [round(e, 3) for e in explained],
        "median_cm_per_10deg": round(float(np.median(per_10deg)), 3),
        "max_cm_per_10deg": round(float(per_10deg.max()), 3),
    }
    return drift.reshape(2, -1, 3).astype(np.float32), report
