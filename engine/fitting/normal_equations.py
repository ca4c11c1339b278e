"""Normal equations of the landmark cost, shared by the expression and identity solvers.

The cost of one frame, in the MODEL frame (cm), for points and Local-Dynamic-Loss pairs r with weights c_r::

    sum_r c_r * e_r' M e_r,    e_r = Y_r - (N_r + A_r x),    M = I - (1 - depth_weight) q q'

where Y are the observations mapped into the model frame by the inverse head pose, ``q = R' e_z`` is the camera's
viewing direction in the model frame, and ``depth_weight`` < 1 trusts the detector's relative depth less than its
image x, y. Because M depends on the frame only through q, the Hessian is assembled from nine precomputed
Gram blocks ``G_kl = sum_r c_r A_r[k]' A_r[l]`` (k, l over x, y, z) in O(n^2) per frame.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GramBlocks", "gram_blocks", "hessians", "weighted_rhs"]

GramBlocks = np.ndarray  # (3, 3, n, n)


def gram_blocks(basis: np.ndarray, weights: np.ndarray) -> GramBlocks:
    """``(3, 3, n, n)`` blocks ``G[k, l] = sum_r c_r A_r[k, :]' A_r[l, :]``.

    Args:
        basis: ``(R, 3, n)`` float, each row's displacement per unit coefficient.
        weights: ``(R,)`` row weights c_r.
    """
    return np.einsum("r,rki,rlj->klij", weights, basis, basis, optimize=True)


def hessians(blocks: GramBlocks, view_dirs: np.ndarray, depth_weight: float) -> np.ndarray:
    """``(T, n, n)`` Hessians of the data term for frames with viewing directions ``view_dirs`` ``(T, 3)``.

    At ``depth_weight == 1`` every frame shares one Hessian: the result is then a read-only broadcast view.
    """
    isotropic = blocks[0, 0] + blocks[1, 1] + blocks[2, 2]
    if depth_weight == 1.0:  # isotropic cost (the default): the viewing direction drops out
        return np.broadcast_to(isotropic, (len(view_dirs), *isotropic.shape))
    qq = np.einsum("tk,tl->tkl", view_dirs, view_dirs)
    return isotropic[None] - (1.0 - depth_weight) * np.einsum("tkl,klij->tij", qq, blocks, optimize=True)


def weighted_rhs(
    residual: np.ndarray, basis: np.ndarray, weights: np.ndarray, view_dirs: np.ndarray, depth_weight: float
) -> np.ndarray:
    """``(T, n)`` right-hand sides ``sum_r c_r A_r' M residual_r``.

    Args:
        residual: ``(T, R, 3)`` observations minus the fixed part of the model, model frame, cm.
        basis: ``(R, 3, n)``. weights: ``(R,)``. view_dirs: ``(T, 3)``.
    """
    m_res = residual
    if depth_weight != 1.0:
        along = np.einsum("trk,tk->tr", residual, view_dirs)
        m_res = residual - (1.0 - depth_weight) * along[:, :, None] * view_dirs[:, None, :]
    return np.einsum("trk,rkn->tn", m_res * weights[None, :, None], basis, optimize=True)
