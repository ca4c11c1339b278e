"""The brow shapes as the landmark detector sees them: motion at the brow points, fading over 1.5 cm.

ICT's brow shapes are scans of whole muscles: a brow raise (frontalis) also lifts the forehead skin and the
upper orbit, a brow lowering (corrugator) pulls the skin between and above the brows. MediaPipe Face Mesh
regresses a smooth mesh and, on real faces, moves the points around the brows much less than the scans do: on
the tuning people's brow raises (d3 frame 302, d10 frames 100 and 319, against their rest frames) the landmarks
0.5-1.5 cm from the brows rise 0.31-0.52 (mean 0.43) of the brow points' rise, where ICT's raise moves them 0.66 of
it; the forehead points further up are what the head pose is aligned on. Fitted as scanned, a brow raise must pay
for moving points the detector keeps nearly still, so it reads a fraction of what the brow points show (surprises
+0.0 to +0.2 with the scanned shapes, where the jaw reads +0.4 to +0.75).

So for fitting, each brow shape keeps its scanned motion at the brow points and fades with the distance from the
nearest brow point (a Gaussian of width ``FitConfig.brow_falloff_cm``). The full-head shapes that are baked and
rendered are not changed: this only says which landmarks a brow shape moves.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..face_model.model import FaceModel

__all__ = ["BROW_SHAPES", "brows_at_brow_points"]

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
