"""The rows of the landmark cost: one per observed point, plus the Local Dynamic Loss's eyelid and lip pairs.

A plain row compares a model point with its observation. A pair row compares the upper-minus-lower difference of
an eyelid or lip contour pair with the observed difference ("Eye Motion Matters for 3D Face Reconstruction":
the Local Dynamic Loss), so lids and lips close exactly when the detector's contours meet. Weights follow the
paper: eye, iris and lip points 1.5, the rest 1.0; the face outline, which slides along the silhouette as the
head turns, less.

The same idea holds the brows to the eyes: each brow point is paired with its eye's inner corner. A pair's
difference is blind to an error in the head pose's position, so a brow raise reads even where the pose takes part
of it: MediaPipe lifts the forehead with the brows, the pose is aligned on the forehead, and without the pairs the
eye corners dropped 0.15-0.32 cm in the model frame on raised brows while the brows rose only half of what the
image shows (``tests/benchmarks/bench_brow_rise.py``). Not the outer corner: ICT's blink and downward gaze move it
0.3 cm down, so pairs with it opposed a closing lid (held-out closed eyes reading >= 0.8 fell from 97.1 % to
91.8 % with both corners).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..eyes.eye_topology import eye_topology, iris_points
from ..face_model.model import FaceModel
from ..face_model.regions import (
    LIP_CENTRE_POINTS,
    MOUTH_CORNER_INNER,
    MOUTH_CORNER_OUTER,
)
from .fit_config import FitConfig

__all__ = [
    "ResidualRows",
    "brow_pairs",
    "emphasized_points",
    "inner_lip_pairs",
    "lid_pairs",
    "mouth_corner_pairs",
    "pair_rows",
    "residual_rows",
]


@dataclasses.dataclass(frozen=True)
class ResidualRows:
    """R cost rows: plain points (``model_b`` = ``obs_b`` = -1) and pairs (a minus b).

    Attributes:
        model_a, model_b: ``(R,)`` int64 model points. obs_a, obs_b: ``(R,)`` int64 observation columns.
        weight: ``(R,)`` float64 row weights.
    """

    model_a: np.ndarray
    model_b: np.ndarray
    obs_a: np.ndarray
    obs_b: np.ndarray
    weight: np.ndarray

    def of_model(self, per_point: np.ndarray) -> np.ndarray:
        """``(P, ...)`` per-model-point quantity -> ``(R, ...)`` row values."""
        has_b = (self.model_b >= 0).reshape((-1,) + (1,) * (per_point.ndim - 1))
        return per_point[self.model_a] - per_point[np.maximum(self.model_b, 0)] * has_b

    def of_observed(self, obs: np.ndarray) -> np.ndarray:
        """``(T, J, 3)`` observations -> ``(T, R, 3)``."""
        a = obs[:, self.obs_a]
        b = obs[:, np.maximum(self.obs_b, 0)] * (self.obs_b >= 0)[None, :, None]
        return a - b

    def of_pairs(self, pairs: list[tuple[int, int]]) -> np.ndarray:
        """``(R,)`` bool: the rows that are one of the ``(model_a, model_b)`` pairs."""
        wanted = set(pairs)
        return np.array([(a, b) in wanted for a, b in zip(self.model_a.tolist(), self.model_b.tolist(), strict=True)])

    def select(self, keep: np.ndarray) -> ResidualRows:
        """The rows where the ``(R,)`` bool mask ``keep`` holds."""
        return ResidualRows(
            self.model_a[keep], self.model_b[keep], self.obs_a[keep], self.obs_b[keep], self.weight[keep]
        )


def emphasized_points(model: FaceModel) -> set[int]:
    """The points weighted as eye / mouth points: lid contours, iris, lip contours, eye and mouth corners."""
    r = model.regions
    points = {p for side in ("left", "right") for p in iris_points(side)}
    for side in ("left", "right"):
        points |= set(r.eye_upper[side].tolist()) | set(r.eye_lower[side].tolist())
        points |= {
            eye_topology(side).inner_corner,
            eye_topology(side).outer_corner,
            MOUTH_CORNER_INNER[side],
            MOUTH_CORNER_OUTER[side],
        }
    points |= set(np.r_[r.lip_upper_outer, r.lip_lower_outer, r.lip_upper_inner, r.lip_lower_inner].tolist())
    return points


def inner_lip_pairs(model: FaceModel) -> list[tuple[int, int]]:
    """``(upper, lower)`` inner-lip contour points facing each other, corner to corner (rows: upper minus lower)."""
    return list(zip(model.regions.lip_upper_inner.tolist(), model.regions.lip_lower_inner.tolist(), strict=True))


def lid_pairs(model: FaceModel) -> list[tuple[int, int]]:
    """``(upper, lower)`` eyelid contour points facing each other, the left eye first (rows: upper minus lower)."""
    r = model.regions
    eyes = [(r.eye_upper[side].tolist(), r.eye_lower[side].tolist()) for side in ("left", "right")]
    return [pair for upper, lower in eyes for pair in zip(upper, lower, strict=True)]


def brow_pairs(model: FaceModel) -> list[tuple[int, int]]:
    """``(brow point, that eye's inner corner)`` for every brow point, the left brow first."""
    return [
        (b, eye_topology(side).inner_corner) for side in ("left", "right") for b in model.regions.brow[side].tolist()
    ]


def mouth_corner_pairs() -> list[tuple[int, int]]:
    """``(mouth corner, lip midline point)`` for the outer and inner corner of each side against each of the
    :data:`~engine.face_model.regions.LIP_CENTRE_POINTS`, the left side first: where the corners sit against the
    lips' middle.
    """
    corners = [(MOUTH_CORNER_OUTER[side], MOUTH_CORNER_INNER[side]) for side in ("left", "right")]
    return [(c, m) for pair in corners for c in pair for m in LIP_CENTRE_POINTS]


def pair_rows(point_ids: np.ndarray, pairs: list[tuple[int, int]]) -> ResidualRows:
    """Rows of just ``pairs`` whose two points are observed, weight 1 (a readout of its own rows sets theirs)."""
    obs_of_model = {int(m): j for j, m in enumerate(point_ids) if m >= 0}
    rows = [(a, b, obs_of_model[a], obs_of_model[b]) for a, b in pairs if a in obs_of_model and b in obs_of_model]
    model_a, model_b, obs_a, obs_b = zip(*rows, strict=True) if rows else ((),) * 4
    as_int = [np.asarray(v, dtype=np.int64) for v in (model_a, model_b, obs_a, obs_b)]
    return ResidualRows(*as_int, np.ones(len(rows)))


def residual_rows(model: FaceModel, point_ids: np.ndarray, cfg: FitConfig) -> ResidualRows:
    """The cost rows for observations of model points ``point_ids`` ``(J,)`` (-1: unused column)."""
    r = model.regions
    emphasized = emphasized_points(model)
    outline = set(r.face_oval.tolist())
    obs_of_model = {int(m): j for j, m in enumerate(point_ids) if m >= 0}
    rows: list[tuple[int, int, int, int, float]] = []  # (model_a, model_b, obs_a, obs_b, weight)
    for m, j in obs_of_model.items():
        w = cfg.eye_mouth_weight if m in emphasized else cfg.outline_weight if m in outline else cfg.other_weight
        rows.append((m, -1, j, -1, w))

    def add_pair(a: int, b: int, w: float) -> None:
        if a in obs_of_model and b in obs_of_model:
            rows.append((a, b, obs_of_model[a], obs_of_model[b], w))

    lips = [(r.lip_upper_inner, r.lip_lower_inner), (r.lip_upper_outer, r.lip_lower_outer)]  # see inner_lip_pairs
    pairs = lid_pairs(model) + [pair for up, lo in lips for pair in zip(up.tolist(), lo.tolist(), strict=True)]
    for u, lo in pairs:
        add_pair(u, lo, cfg.local_dynamic_weight)
    if cfg.brow_pair_weight > 0:  # brow pairs: each brow point against the same eye's inner corner
        for brow, corner in brow_pairs(model):
            add_pair(brow, corner, cfg.brow_pair_weight)
    model_a, model_b, obs_a, obs_b, weight = zip(*rows, strict=True) if rows else ((),) * 5
    as_int = [np.asarray(v, dtype=np.int64) for v in (model_a, model_b, obs_a, obs_b)]
    return ResidualRows(*as_int, np.asarray(weight, np.float64))
