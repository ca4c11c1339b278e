"""A few channels read again from their own evidence, after the joint fit, every other channel fixed.

The joint fit (:mod:`.frame_fit`) explains every landmark with all 46 shapes at once, so a channel whose own
evidence is clear can still be held back by rows it shares with other shapes, where the detector moves the face
unlike the scanned shapes. A readout re-solves just those channels from chosen rows: the brows from the brow pairs
(:mod:`.brow_readout`), gaze from the iris points (:mod:`.gaze_readout`), the blinks from the eyelid pairs
(:mod:`.lid_readout`). The other channels keep their fitted weights; the re-solved ones keep the joint fit's priors
and [0, 1] bounds.
"""

from __future__ import annotations

import numpy as np

from ..face_model.model import FaceModel
from .box_qp import solve_box_qp
from .fit_config import FitConfig
from .frame_fit import depth_from_face
from .head_pose import HeadPose
from .normal_equations import gram_blocks, hessians, weighted_rhs
from .residual_rows import ResidualRows

__all__ = ["IMAGE_PLANE_AXES", "MODEL_AXES", "readout_channels"]

MODEL_AXES = (0, 1, 2)  # x, y, z of the model frame: a readout over all three is as isotropic as the joint fit
# Model-frame x and y alone: the iris points (MediaPipe's iris depth does not follow the eyeball's turn), and the lid
# and mouth-corner pairs (read in the image plane, where ELAM moves the lids).
IMAGE_PLANE_AXES = (0, 1)


def readout_channels(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
    *,
    rows: ResidualRows,
    row_weight: float,
    channels: list[int],
    prior: np.ndarray,
    axes: tuple[int, ...] = MODEL_AXES,
    sparsity_scale: float = 1.0,
) -> np.ndarray:
    """The weights with ``channels`` re-solved from ``rows`` alone.

    Args:
        expression: ``(T, 46)`` fitted weights (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings (priors, chunking, depth).
        rows: the cost rows the channels are read from (:meth:`~.residual_rows.ResidualRows.select`); none: the
            weights as given.
        row_weight: the weight of every one of ``rows`` (their own weights are the joint fit's).
        channels: indices of the re-solved channels.
        prior: ``(T, len(channels))`` or ``(len(channels),)`` multipliers of ``cfg``'s expression priors.
        axes: the model-frame axes of each row that count. All three keep the readout rotation-equivariant in the
            way the joint fit is; fewer leave out a coordinate the detector does not measure (still equivariant:
            the rows are compared in the model frame, after the pose).
        sparsity_scale: a further multiplier of the L1 prior alone (the L2 prior keeps ``prior``): the L1 term
            holds every weight back by the same amount, which few rows turn into a dead zone.

    Returns:
        ``(T, 46)`` float64 copy: ``channels`` re-solved in [0, 1], every other channel as given.
    """
    out = np.array(expression, dtype=np.float64, copy=True)
    if not len(rows.weight):
        return out
    weight = np.full(len(rows.weight), float(row_weight))
    axes = list(axes)
    others = np.setdiff1d(np.arange(len(actor.expression_names)), channels)
    basis = rows.of_model(actor.expression_basis.transpose(1, 2, 0))[:, axes]  # (R, A, 46) cm per unit weight
    own_basis, other_basis = basis[:, :, channels], basis[:, :, others]
    rest = rows.of_model(actor.neutral.astype(np.float64))[:, axes]  # (R, A)
    prior = np.broadcast_to(prior, (len(out), len(channels)))
    isotropic = axes == list(MODEL_AXES)
    if isotropic:
        blocks = gram_blocks(own_basis, weight)
    else:  # a readout over some axes: the viewing direction does not enter, one Hessian serves every frame
        data_h = np.einsum("r,rai,raj->ij", weight, own_basis, own_basis)
    for start in range(0, len(out), cfg.solve_batch_frames):
        sl = slice(start, start + cfg.solve_batch_frames)
        frame_pose = pose[sl]
        obs = np.asarray(view_obs[sl], dtype=np.float64)
        if not cfg.use_depth:  # a 2D detector: depth completed from the fitted face, as the joint fit does
            fitted = actor.neutral[None] + np.tensordot(out[sl], actor.expression_basis, 1)
            obs = depth_from_face(obs, point_ids, frame_pose, fitted)
        observed = rows.of_observed(frame_pose.view_to_model(obs))[:, :, axes]  # (t, R, A)
        residual = observed - (rest[None] + np.einsum("rce,te->trc", other_basis, out[sl][:, others]))
        scale = prior[sl]
        if isotropic:
            view_dirs = frame_pose.view_directions
            h = hessians(blocks, view_dirs, cfg.depth_weight)
            g = weighted_rhs(residual, own_basis, weight, view_dirs, cfg.depth_weight)
        else:
            h = np.broadcast_to(data_h, (len(residual), *data_h.shape))
            g = np.einsum("tra,r,ran->tn", residual, weight, own_basis, optimize=True)
        h = h + cfg.expression_prior * scale[:, :, None] * np.eye(len(channels))
        l1 = sparsity_scale * cfg.expression_sparsity * scale
        out[sl, channels] = solve_box_qp(h, g - l1, 0.0, 1.0, out[sl][:, channels])
    return out
