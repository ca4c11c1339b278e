"""Per-frame fitting with a known actor: head pose and the 46 expression weights of every frame.

1. Head pose: weighted similarity alignment (:class:`~.head_pose.HeadPose`) of the model's rigid points
   (forehead, temples, nose bridge; :attr:`FaceRegions.rigid`) to the observations. Jaw, lips, lids and brows
   carry almost no weight, so expression does not leak into pose (cycle consistency, Yang et al. 2023: a re-posed
   face must refit to the same expression; tests/engine/test_cycle_consistency.py).
2. Expression: bounded least squares, weights in [0, 1], with L2 and L1 priors (:func:`~.box_qp.solve_box_qp`)
   on the cost of :mod:`.normal_equations` over the rows of :mod:`.residual_rows`; a motion's two directions
   (:data:`OPPOSED_SHAPES`) are dear together.
"""

from __future__ import annotations

import numpy as np

from ..contract.take import BLINK_CHANNELS
from ..face_model.model import FaceModel
from .box_qp import solve_box_qp
from .fit_config import FitConfig
from .head_pose import HeadPose
from .normal_equations import gram_blocks, hessians, weighted_rhs
from .residual_rows import ResidualRows, inner_lip_pairs, residual_rows

__all__ = [
    "GAZE_SHAPES",
    "LID_SHAPES",
    "OPPOSED_SHAPES",
    "depth_from_face",
    "fit_frames",
    "frame_prior_scale",
    "gaze_channels",
    "pose_weights",
    "prior_scale",
]

GAZE_SHAPES = ("EyeDown", "EyeIn", "EyeOut", "EyeUp")
LID_SHAPES = ("EyeSquint_L", "EyeSquint_R", "EyeOpen_L", "EyeOpen_R")  # the lids alone: FitConfig.lid_shape_prior_scale
LIPS_TOGETHER_SHAPES = ("ChinUpperRaise",)  # a shape of closed lips: dear as the lips part
# A motion's two directions: a face does one or the other, so together they are dear (FitConfig.opposed_pair_penalty).
# JawLeft and JawRight need no pair: together they cancel, and the L1 prior keeps a cancelling pair at zero.
OPPOSED_SHAPES = (
    ("MouthLeft", "MouthRight"),
    ("LipsLowerClose", "LipsLowerDown"),  # the lower lip rolled in over the teeth, or pulled down off them
    ("LipsLowerClose", "LipsLowerOpen"),  # ... or pulled down and rolled out
)


def pose_weights(model: FaceModel, point_ids: np.ndarray, cfg: FitConfig) -> np.ndarray:
    """``(J,)`` head-pose weight of each observation: rigid points ``cfg.rigid_weight``, the rest far less."""
    rigid = np.isin(point_ids, model.regions.rigid)
    return np.where(rigid, cfg.rigid_weight, cfg.nonrigid_pose_weight) * (point_ids >= 0)


def prior_scale(model: FaceModel, cfg: FitConfig) -> np.ndarray:
    """``(46,)`` per-channel multipliers of the expression priors: 1, or what ``cfg.prior_scale`` names, the
    :data:`LID_SHAPES` times ``cfg.lid_shape_prior_scale``.
    """
    scale = np.ones(len(model.expression_names))
    for name, factor in cfg.prior_scale:
        scale[model.expression_names.index(name)] = factor
    scale[[model.expression_names.index(n) for n in LID_SHAPES]] *= cfg.lid_shape_prior_scale
    return scale


def gaze_channels(names: tuple[str, ...]) -> list[int]:
    """Indices of the eight eye-look channels, the left eye's four first (:data:`GAZE_SHAPES` order)."""
    return [names.index(f"{g}_{side}") for side in "LR" for g in GAZE_SHAPES]


def frame_prior_scale(model: FaceModel, cfg: FitConfig, frames: int, eye_closed: np.ndarray | None) -> np.ndarray:
    """``(T, 46)`` per-frame multipliers of the expression priors: :func:`prior_scale`, set by the image's eye state.

    Where the image says an eye is open a blink costs ``cfg.open_eye_blink_prior_scale``, falling linearly to its
    ``prior_scale`` value at P(closed) = 1; an eye's gaze shapes cost ``1 + cfg.closed_eye_gaze_prior_scale x
    P(closed)`` times their prior. ``eye_closed`` is ``(T, 2)`` [left, right] P(closed), or None (no eye state).
    """
    prior = np.broadcast_to(prior_scale(model, cfg), (frames, len(model.expression_names))).copy()
    if eye_closed is not None:  # the image's eye state sets how cheap a blink is, frame by frame
        blinks = [model.expression_names.index(n) for n in BLINK_CHANNELS]
        p = np.clip(eye_closed, 0.0, 1.0)
        prior[:, blinks] = cfg.open_eye_blink_prior_scale + p * (prior[:, blinks] - cfg.open_eye_blink_prior_scale)
        # Behind a closed lid the detector's iris points are guesses: the eye's gaze shapes (whose lids would take
        # part of the closing from the blink) get dear as the eye closes.
        gaze = gaze_channels(model.expression_names)
        for side in (0, 1):
            eye_gaze = gaze[4 * side : 4 * side + 4]
            prior[:, eye_gaze] *= 1.0 + cfg.closed_eye_gaze_prior_scale * p[:, side : side + 1]
    return prior


def _solve_expression(
    model: FaceModel,
    rows: ResidualRows,
    expr_rows: np.ndarray,
    blocks: np.ndarray,
    base_rows: np.ndarray,
    view_obs: np.ndarray,
    pose: HeadPose,
    cfg: FitConfig,
    lip_rows: np.ndarray,
    x0: np.ndarray | None = None,
    eye_closed: np.ndarray | None = None,
) -> np.ndarray:
    """Expression weights ``(T, 46)`` for frames with known pose.

    ``expr_rows`` is ``rows.of_model`` of the expression basis, ``(R, 3, 46)``, and ``lip_rows`` the ``(R,)`` bool
    mask of the inner-lip pair rows, both computed once by the caller; ``eye_closed`` is ``(T, 2)`` P(closed) or
    None.
    """
    y = rows.of_observed(pose.view_to_model(view_obs))  # (T, R, 3)
    view_dirs = pose.view_directions
    prior = frame_prior_scale(model, cfg, len(y), eye_closed)
    if cfg.open_mouth_shrug_prior_scale > 0 and lip_rows.any():  # how far apart the lips are beyond the rest
        opening = np.clip((y[:, lip_rows, 1] - base_rows[None, lip_rows, 1]).mean(axis=1), 0.0, None)  # (T,) cm
        shrug = [model.expression_names.index(n) for n in LIPS_TOGETHER_SHAPES]
        prior[:, shrug] *= 1.0 + cfg.open_mouth_shrug_prior_scale * opening[:, None]
    h = hessians(blocks, view_dirs, cfg.depth_weight) + cfg.expression_prior * prior[:, :, None] * np.eye(
        prior.shape[1]
    )
    if cfg.opposed_pair_penalty > 0:  # w_a w_b costs penalty x sqrt(H_aa H_bb): one or the other, not both
        for a, b in ([model.expression_names.index(n) for n in pair] for pair in OPPOSED_SHAPES):
            coupling = cfg.opposed_pair_penalty * np.sqrt(h[:, a, a] * h[:, b, b])
            h[:, a, b] += coupling
            h[:, b, a] += coupling
    g = weighted_rhs(y - base_rows[None], expr_rows, rows.weight, view_dirs, cfg.depth_weight)
    return solve_box_qp(h, g - cfg.expression_sparsity * prior, 0.0, 1.0, x0)


def fit_frames(
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    model: FaceModel,
    base: np.ndarray,
    cfg: FitConfig,
    eye_closed: np.ndarray | None = None,
) -> tuple[np.ndarray, HeadPose]:
    """Pose and expression of frames with a known actor neutral.

    Args:
        view_obs: ``(T, J, 3)`` VIEW-frame observations (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        model: the face model (its expression basis is the actor's: :func:`~.actor.actor_model`).
        base: ``(P, 3)`` the actor's neutral as the detector sees it, model frame, cm.
        eye_closed: ``(T, 2)`` [left, right] image-based P(eye closed), or None: where the image says "open"
            a blink costs the full prior, where it says "closed" the blinks' reduced one (``cfg.prior_scale``).

    Returns:
        ``(expression (T, 46) float64 in [0, 1], pose)``.
    """
    rows = residual_rows(model, point_ids, cfg)
    base_rows = rows.of_model(base)
    expr_rows = rows.of_model(model.expression_basis.transpose(1, 2, 0))
    blocks = gram_blocks(expr_rows, rows.weight)
    lip_rows = rows.of_pairs(inner_lip_pairs(model))
    pose_w = pose_weights(model, point_ids, cfg)
    used = point_ids >= 0
    t = len(view_obs)
    expression = np.zeros((t, len(model.expression_names)))
    pose = HeadPose.frontal(t)
    for start in range(0, t, cfg.solve_batch_frames):
        sl = slice(start, start + cfg.solve_batch_frames)
        obs = view_obs[sl].astype(np.float64)  # chunk-wise float64: the clip itself may be float32
        obs = obs if cfg.use_depth else _frontal_depth(obs, point_ids, base)
        w = np.zeros((len(obs), model.expression_basis.shape[0]))
        for _ in range(cfg.pose_iterations if cfg.use_depth else cfg.pose_iterations + 4):
            src = base[None] + np.tensordot(w, model.expression_basis, 1)  # (t, P, 3)
            chunk_pose = HeadPose.align(src[:, point_ids[used]], obs[:, used], pose_w[used])
            if not cfg.use_depth:  # complete the unobserved depth from the model under the current pose
                obs = depth_from_face(obs, point_ids, chunk_pose, src)
            closed = None if eye_closed is None else eye_closed[sl]
            w = _solve_expression(model, rows, expr_rows, blocks, base_rows, obs, chunk_pose, cfg, lip_rows, w, closed)
        # Final pose with the fitted expression (cheap; the weights barely move the rigid points).
        src = base[None] + np.tensordot(w, model.expression_basis, 1)
        pose.assign(sl, HeadPose.align(src[:, point_ids[used]], obs[:, used], pose_w[used]))
        expression[sl] = w
    return expression, pose


def depth_from_face(view_obs: np.ndarray, point_ids: np.ndarray, pose: HeadPose, face: np.ndarray) -> np.ndarray:
    """A 2D detector's unobserved depth completed from a face.

    Returns a copy of the ``(T, J, 3)`` VIEW observations whose z is that of ``face`` ``(T, P, 3)`` (model frame, cm)
    under ``pose``.
    """
    used = point_ids >= 0
    out = view_obs.copy()
    out[:, used, 2] = pose.model_to_view(face[:, point_ids[used]])[..., 2]
    return out


def _frontal_depth(view_obs: np.ndarray, point_ids: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A first guess of unobserved depth: the neutral's, frontal, at the 2D scale of each frame."""
    used = point_ids >= 0
    xy = view_obs[:, used, :2]
    model_xy = base[point_ids[used], :2]
    spread = np.linalg.norm(xy - xy.mean(axis=1, keepdims=True), axis=2).mean(axis=1)
    scale = spread / np.linalg.norm(model_xy - model_xy.mean(axis=0), axis=1).mean()
    out = view_obs.copy()
    out[:, used, 2] = scale[:, None] * base[point_ids[used], 2][None]
    return out
