"""The landmark detector's drift with head yaw, taken out of its points before the fit.

:mod:`engine.face_model_build.yaw_drift` measures, on renders of the ICT head, how MediaPipe Face Mesh's points slide in
the model frame as the head turns (the nose tip and chin sideways, the brows in depth); the model file holds it as
``FaceModel.yaw_drift``. Left in, it reads as expression that follows the head: on held-out talking clips a brow
lowering on one side per 10 deg of turn (``tests/benchmarks/bench_pose_leak.py``).

Each frame's yaw comes from aligning the model's generic neutral on the points as detected, with the fitter's
head-pose weights (:func:`~.frame_fit.pose_weights`: the rigid points, the others at a fiftieth), the alignment the
drift was measured in; the drift at that yaw is subtracted in the VIEW frame from every point but these, which are
left as detected:

- the rigid points (forehead, temples, nose bridge): the drift was measured relative to the alignment on them as
  detected, so the fitter's pose, aligned on the same points, stays the frame the drift was measured in (taking
  their drift out too moved the pose, and with it every point the removal leaves alone: the irises' gaze);
- the eyelid contours: where the image says an eye is closed ELAM has placed them (:mod:`engine.eyes.elam`), and the
  drift was measured with the eyes open (taking it out of the lids cost closed eyes up to 0.1 of their blink on
  held-out clips, ``tests/benchmarks/bench_blink.py``);
- the irises: gaze is read from them alone (:mod:`.gaze_readout`). With their drift removed the two eyes' readings
  on side glances grew further apart (``tests/benchmarks/bench_gaze_symmetry.py``: tuning clips 0.24, held out
  0.59, against 0.22 and 0.49 left as detected; 0.34 and 0.41 before any drift was removed).

A 2D-only detector's points get no drift removed (the drift is MediaPipe's); that is the caller's choice
(:func:`engine.track.fit_targets`).
"""

from __future__ import annotations

import numpy as np

from ..eyes.eye_topology import iris_points
from ..face_model.model import FaceModel, yaw_terms
from .fit_config import FitConfig
from .frame_fit import pose_weights
from .head_pose import HeadPose

__all__ = ["drift_free_points", "without_yaw_drift"]


def drift_free_points(model: FaceModel) -> np.ndarray:
    """``(P,)`` bool: the points whose drift is removed (all but the rigid points, the eyelid contours, the irises)."""
    keep = np.ones(model.num_points, bool)
    keep[model.regions.rigid] = False
    for side in ("left", "right"):
        keep[model.regions.eye_upper[side]] = False
        keep[model.regions.eye_lower[side]] = False
        keep[list(iris_points(side))] = False
    return keep


def without_yaw_drift(view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, cfg: FitConfig) -> np.ndarray:
    """The observations with the detector's yaw drift taken out.

    Args:
        view_obs: ``(T, J, 3)`` VIEW-frame observations; frames without a face are NaN (returned as they are).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        model: the face model (its ``yaw_drift`` and generic neutral).
        cfg: fitting settings (the pose weights, the chunk size).

    Returns:
        ``(T, J, 3)`` a copy, in ``view_obs``' dtype.
    """
    out = np.array(view_obs, copy=True)
    used = point_ids >= 0
    ids = point_ids[used]
    drift = model.yaw_drift[:, ids].astype(np.float64) * drift_free_points(model)[ids][None, :, None]  # (2, U, 3)
    if not drift.any():
        return out
    moved = np.flatnonzero(drift.any(axis=(0, 2)))  # columns of the used points that get a drift removed
    drift = drift[:, moved]
    columns = np.flatnonzero(used)
    weights = pose_weights(model, point_ids, cfg)[used]  # as the drift was measured (engine.face_model_build.yaw_drift)
    rest = model.neutral[ids].astype(np.float64)
    found = np.flatnonzero(np.isfinite(view_obs[:, used]).all(axis=(1, 2)))
    for start in range(0, len(found), cfg.solve_batch_frames):
        frames = found[start : start + cfg.solve_batch_frames]
        pose = HeadPose.align(rest, out[frames][:, columns].astype(np.float64), weights)
        model_drift = np.tensordot(yaw_terms(pose.yaw), drift, 1)  # (t, M, 3) cm, model frame
        view_drift = pose.scale[:, None, None] * np.matmul(model_drift, pose.rotation.transpose(0, 2, 1))
        out[np.ix_(frames, columns[moved])] -= view_drift.astype(out.dtype)
    return out
