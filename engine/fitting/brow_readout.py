"""The brows read against the eyes: the five brow channels re-solved from the brow pairs alone, after the fit.

The joint fit (:mod:`.frame_fit`) reads a brow raise from every row the brow shapes touch: the brow points, the
skin rings below them, the forehead, in a head pose aligned on the forehead. MediaPipe Face Mesh moves those
neighbours differently from person to person (pose-free, the ring 0.5-1 cm below the brows rises 0.45-0.59 of the
brows' rise on held-out d9, 0.61-0.75 on the tuning people's raises, 0.66 in the fitted shapes) and lifts the
forehead with the brows, so the joint fit reads about half of a raise the brows show against the eyes: d9's left
brow rises 0.72 cm above its inner eye corner, which ICT's raise shapes alone fit at BrowsU_C 0.89, BrowsU_L 0.72
(experiments; README, "Known limits").

So, like the eyes' readout (:mod:`.eye_readout`), the brows are read once more from their own evidence: with
every other channel fixed at its fitted weight, the five brow channels are solved again from the brow pairs
(:func:`~.residual_rows.brow_pairs`: each brow point minus its eye's inner corner, all three axes, so the cost
stays isotropic and a re-posed face reads the same) under the same priors and bounds as the joint fit. A pair is
blind to the pose's position, and the rows the brows share with other shapes no longer hold them back. In video
d9's raises read +0.47 to +0.52 with it, +0.38 to +0.45 without (``tests/benchmarks/bench_expression_stills.py
--video``); what still holds them is the priors, which 20 pair rows outweigh less than the joint fit's rows do.

Video only: a still has no rest to measure a brow against, and its low- or high-set brows would read as a frown
or a raise (:func:`~.clip_fit.fit_clip` turns the brow pairs, and with them this readout, off for stills).
"""

from __future__ import annotations

import numpy as np

from ..face_model.model import FaceModel
from .channel_readout import readout_channels
from .detected_shapes import BROW_SHAPES
from .fit_config import FitConfig
from .frame_fit import prior_scale
from .head_pose import HeadPose
from .residual_rows import brow_pairs, residual_rows

__all__ = ["brows_from_pairs"]


def brows_from_pairs(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
) -> np.ndarray:
    """The fitted weights with the brow channels re-solved from the brow pairs.

    Args:
        expression: ``(T, 46)`` weights from :func:`~.frame_fit.fit_frames` (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings; the pairs weigh ``cfg.brow_readout_weight``.

    Returns:
        ``(T, 46)`` float64 copy: BrowsD_L/_R and BrowsU_C/_L/_R re-solved in [0, 1]; every other channel as given.
    """
    rows = residual_rows(actor, point_ids, cfg)
    brow = [actor.expression_names.index(n) for n in BROW_SHAPES]
    return readout_channels(
        expression, view_obs, point_ids, actor, pose, cfg,
        rows=rows.select(rows.of_pairs(brow_pairs(actor))), row_weight=cfg.brow_readout_weight,
        channels=brow, prior=prior_scale(actor, cfg)[brow], sparsity_scale=cfg.brow_readout_sparsity_scale,
    )  # fmt: skip
