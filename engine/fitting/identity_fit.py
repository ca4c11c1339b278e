"""The actor's identity: ICT's identity coefficients, solved jointly with the expressions of keyframes.

Identity is free (a Gaussian prior, ICT's modes are N(0, 1)), the keyframes' expressions are bounded to [0, 1]
with their priors. An active-set scheme alternates: the expressions' box QPs fix which weights sit at a bound,
then identity and all free weights are solved together exactly (Schur complement over the block-diagonal
expression part). Unlike plain alternation, identity and expression do not trade off slowly against each other.
ICT's identity modes come from scans of neutral faces, so they hold no expression: a held smile is not a person.
"""

from __future__ import annotations

import numpy as np

from ..face_model.model import FaceModel
from .box_qp import solve_box_qp
from .fit_config import FitConfig
from .frame_fit import pose_weights
from .head_pose import HeadPose
from .normal_equations import gram_blocks, hessians, weighted_rhs
from .residual_rows import residual_rows

__all__ = ["fit_identity"]


def fit_identity(view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, cfg: FitConfig) -> np.ndarray:
    """``(K,)`` float32 identity coefficients from ``(F, J, 3)`` keyframe observations (VIEW frame).

    Args:
        point_ids: ``(J,)`` model point of each observation (-1: unused).
    """
    rows = residual_rows(model, point_ids, cfg)
    id_rows = rows.of_model(model.identity_basis.transpose(1, 2, 0))  # (R, 3, K)
    expr_rows = rows.of_model(model.expression_basis.transpose(1, 2, 0))  # (R, 3, E)
    joint_rows = np.concatenate([id_rows, expr_rows], axis=2)  # (R, 3, K + E)
    blocks = gram_blocks(joint_rows, rows.weight)
    k, e, f = id_rows.shape[2], expr_rows.shape[2], len(view_obs)
    identity = np.zeros(k)
    w = np.zeros((f, e))
    pose_w = pose_weights(model, point_ids, cfg)
    used = point_ids >= 0
    eye_e = np.eye(e)
    id_prior = np.diag(cfg.identity_prior / model.identity_stddev.astype(np.float64) ** 2)
    # While the actor's face is estimated, every channel pays its full prior (no per-frame discounts such as the
    # blinks'), times cfg.identity_expression_prior_scale: the rest face, not a held expression, explains the
    # keyframes' common shape (eye opening, brow height, mouth corners).
    scale = np.full(len(model.expression_names), cfg.identity_expression_prior_scale)
    for _ in range(cfg.identity_iterations):
        src = model.points(identity)[None] + np.tensordot(w, model.expression_basis, 1)
        pose = HeadPose.align(src[:, point_ids[used]], view_obs[:, used], pose_w[used])
        y = rows.of_observed(pose.view_to_model(view_obs)) - rows.of_model(model.neutral)[None]
        view_dirs = pose.view_directions
        h = hessians(blocks, view_dirs, cfg.depth_weight)  # (F, K+E, K+E)
        g = weighted_rhs(y, joint_rows, rows.weight, view_dirs, cfg.depth_weight)  # (F, K+E)
        h_aa, h_aw, h_ww = h[:, :k, :k].sum(axis=0), h[:, :k, k:], h[:, k:, k:] + np.diag(cfg.expression_prior * scale)
        g_a, g_w = g[:, :k].sum(axis=0), g[:, k:]
        for _ in range(2):
            w = solve_box_qp(
                h_ww, g_w - cfg.expression_sparsity * scale - np.einsum("fka,k->fa", h_aw, identity), 0.0, 1.0, w
            )
            free = (w > 0.0) & (w < 1.0)
            both = free[:, :, None] & free[:, None, :]
            d = np.where(both, h_ww, 0.0) + eye_e * ~free[:, :, None]  # free block, identity on bound rows
            c = h_aw * free[:, None, :]  # (F, K, E) coupling to free weights only
            rhs_w = (
                g_w - cfg.expression_sparsity * scale - np.einsum("fab,fb->fa", h_ww, w * ~free)
            ) * free  # bound weights moved to the rhs
            d_inv_c = np.linalg.solve(d, c.transpose(0, 2, 1))  # (F, E, K)
            d_inv_r = np.linalg.solve(d, rhs_w[..., None])[..., 0]  # (F, E)
            schur = h_aa + id_prior - np.tensordot(c, d_inv_c, axes=([0, 2], [0, 1]))  # sum_f c_f D_f^-1 c_f'; BLAS
            rhs_a = g_a - np.einsum("fke,fe->k", h_aw, w * ~free) - np.einsum("fke,fe->k", c, d_inv_r)
            identity = np.linalg.solve(schur, rhs_a)
            w = np.where(free, np.clip(d_inv_r - np.einsum("fek,k->fe", d_inv_c, identity), 0.0, 1.0), w)
    return identity.astype(np.float32)
