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

import dataclasses

import numpy as np

from ..face_model.model import FaceModel
from .box_qp import solve_box_qp
from .detected_shapes import BROW_SHAPES
from .fit_config import FitConfig
from .frame_fit import depth_from_face, prior_scale
from .head_pose import HeadPose
from .normal_equations import gram_blocks, hessians, weighted_rhs
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
    out = np.array(expression, dtype=np.float64, copy=True)
    rows = residual_rows(actor, point_ids, cfg)
    rows = rows.select(rows.of_pairs(brow_pairs(actor)))
    if not len(rows.weight):  # no brow observed
        return out
    rows = dataclasses.replace(rows, weight=np.full(len(rows.weight), cfg.brow_readout_weight))
    brow = [actor.expression_names.index(n) for n in BROW_SHAPES]
    others = np.setdiff1d(np.arange(len(actor.expression_names)), brow)
    basis = rows.of_model(actor.expression_basis.transpose(1, 2, 0))  # (R, 3, 46) cm per unit weight
    brow_basis, other_basis = basis[:, :, brow], basis[:, :, others]
    blocks = gram_blocks(brow_basis, rows.weight)
    rest = rows.of_model(actor.neutral.astype(np.float64))  # (R, 3)
    scale = prior_scale(actor, cfg)[brow]
    for start in range(0, len(out), cfg.chunk_frames):
        sl = slice(start, start + cfg.chunk_frames)
        frame_pose = pose[sl]
        obs = np.asarray(view_obs[sl], dtype=np.float64)
        if not cfg.use_depth:  # a 2D detector: depth completed from the fitted face, as the joint fit does
            fitted = actor.neutral[None] + np.tensordot(out[sl], actor.expression_basis, 1)
            obs = depth_from_face(obs, point_ids, frame_pose, fitted)
        observed = rows.of_observed(frame_pose.view_to_model(obs))  # (t, R, 3)
        fixed = rest[None] + np.einsum("rce,te->trc", other_basis, out[sl][:, others])
        view_dirs = frame_pose.view_directions
        h = hessians(blocks, view_dirs, cfg.depth_weight) + cfg.expression_prior * np.diag(scale)
        g = weighted_rhs(observed - fixed, brow_basis, rows.weight, view_dirs, cfg.depth_weight)
        out[sl, brow] = solve_box_qp(h, g - cfg.expression_sparsity * scale, 0.0, 1.0, out[sl][:, brow])
    return out
