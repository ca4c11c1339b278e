"""The expression shapes as the landmark detector sees them, for fitting: brows local, the jaw's depth shallower.

The full-head shapes that are baked and rendered are ICT's scans; the fit compares shapes with MediaPipe Face
Mesh's points, which follow some scanned motions only in part. Two of them matter enough to model (measured on
the tuning people's clips and on renders of the scanned head, :mod:`engine.face_model_build.detector_response`):

**Brows.** ICT's brow shapes are scans of whole muscles: a brow raise (frontalis) also lifts the forehead skin
and the upper orbit, a brow lowering (corrugator) pulls the skin between and above the brows. MediaPipe Face Mesh
regresses a smooth mesh and, on real faces, moves the points around the brows much less than the scans do: on
the tuning people's brow raises (d3 frame 302, d10 frames 100 and 319, against their rest frames) the landmarks
0.5-1.5 cm from the brows rise 0.31-0.52 (mean 0.43) of the brow points' rise, where ICT's raise moves them 0.66 of
it; the forehead points further up are what the head pose is aligned on. Fitted as scanned, a brow raise must pay
for moving points the detector keeps nearly still, so it reads a fraction of what the brow points show (surprises
+0.0 to +0.2 with the scanned shapes, where the jaw reads +0.4 to +0.75).

So each brow shape keeps its scanned motion at the brow points and fades with the distance from the nearest brow
point (a Gaussian of width ``FitConfig.brow_falloff_cm``).

**The jaw's depth.** ICT's jaw opens by rotating about its hinge, so the chin and lower lip move back (depth) about
as far as down. MediaPipe's relative depth reports less than half of that backward motion: on renders of JawOpen
its points follow 0.22 of the scanned depth motion against 0.47 of the motion in the image plane (ratio 0.46); on
d18's scream the lower lip moves back 0.22 of its drop and the chin 0.51, where the scan moves them 0.62 and 1.03
(ratios 0.36 and 0.49). Fitted as scanned, an open jaw left depth in the residual that JawFwd, ChinUpperRaise and
LipsLowerOpen filled, and pinned them at 1 on wide-open mouths. So JawOpen's depth (model +z) is scaled by
``FitConfig.jaw_depth_gain``. The fit stays isotropic: the shape changes, not the cost, so a re-posed face still
refits to the same expression (cycle consistency).

Tried, not kept: the smile's rise as the detector shows it. ICT's smile lifts the mouth corners 1.46 times as far as
it draws them out; on the tuning people's smiles MediaPipe's corners, against the actor's rest, rise 0.55-0.86 of
their outward motion (median 0.63: d0's labelled smiles, and d3's, d10's and d18's frames an emotion classifier
calls happy), and a real smile's width is fitted as a smile plus LipsStretch (d0, d10: 0.63 / 0.25 beside 0.38 /
0.36). With the smiles' vertical motion scaled by 0.43 the held-out talkers' happy frames read more smile (median
0.26 -> 0.35, >= 0.3 on 41 -> 63 %; ``bench_emotion_agreement.py``) but their neutral frames too (>= 0.3 on 1 -> 5
%), the ranking did not improve (AUC 0.92 both), broad smiles pinned at 1 (ordinary talking 0.1 -> 0.7 % of frames,
styled 3.9 -> 7.6 %) and the render recovery was unchanged (0.395): a gain, not a better reading.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..face_model.model import FaceModel
from .fit_config import FitConfig

__all__ = ["BROW_SHAPES", "brows_at_brow_points", "jaw_depth_as_detected", "shapes_as_detected"]

BROW_SHAPES = ("BrowsD_L", "BrowsD_R", "BrowsU_C", "BrowsU_L", "BrowsU_R")


def brows_at_brow_points(model: FaceModel, falloff_cm: float) -> FaceModel:
    """The model with each brow shape faded away from the brow points (the other shapes unchanged).

    Args:
        falloff_cm: width of the Gaussian fade with the distance (cm, on the generic neutral) from the nearest
            brow point; 0 keeps the brow points only, ``inf`` keeps the scanned shapes.

    Returns:
        A new :class:`FaceModel` sharing every array but the expression basis.
    """
    if np.isinf(falloff_cm):
        return model
    brow = np.concatenate([model.regions.brow["left"], model.regions.brow["right"]])
    points = model.neutral.astype(np.float64)
    distance = np.linalg.norm(points[:, None, :] - points[None, brow, :], axis=2).min(axis=1)  # (P,) cm
    fade = np.exp(-((distance / falloff_cm) ** 2)) if falloff_cm > 0 else (distance == 0).astype(np.float64)
    basis = model.expression_basis.copy()
    for name in BROW_SHAPES:
        basis[model.expression_names.index(name)] *= fade[:, None].astype(np.float32)
    return dataclasses.replace(model, expression_basis=basis)


def jaw_depth_as_detected(model: FaceModel, gain: float) -> FaceModel:
    """The model with JawOpen's depth (model +z) scaled by ``gain`` (1 keeps the scan)."""
    if gain == 1.0:
        return model
    basis = model.expression_basis.copy()
    basis[model.expression_names.index("JawOpen"), :, 2] *= np.float32(gain)
    return dataclasses.replace(model, expression_basis=basis)


def shapes_as_detected(model: FaceModel, cfg: FitConfig) -> FaceModel:
    """The model the fit compares with the detector's points: brows local, the jaw's depth shallower."""
    return jaw_depth_as_detected(brows_at_brow_points(model, cfg.brow_falloff_cm), cfg.jaw_depth_gain)
