"""Batched weighted similarity alignment (Umeyama, IEEE TPAMI 13(4), 1991): ``dst ~ s * R @ src + t``."""

from __future__ import annotations

import numpy as np

__all__ = ["align_similarity"]


def align_similarity(
    src: np.ndarray, dst: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares similarity transforms taking ``src`` onto ``dst``, one per frame.

    Args:
        src: ``(T, N, 3)`` or ``(N, 3)`` float source points (e.g. model points, cm).
        dst: ``(T, N, 3)`` float target points (e.g. VIEW-frame pixels).
        weights: ``(N,)`` non-negative point weights.

    Returns:
        ``(scale (T,), rotation (T, 3, 3) proper, translation (T, 3))``.

    Example:
        >>> rng = np.random.default_rng(0); src = rng.normal(size=(10, 3))
        >>> s, R, t = align_similarity(src, (2.0 * src + 1.0)[None], np.ones(10))
        >>> round(float(s[0]), 6), np.allclose(R[0], np.eye(3)), t[0].round(6).tolist()
        (2.0, True, [1.0, 1.0, 1.0])
    """
    dst = np.asarray(dst, dtype=np.float64)
    src = np.broadcast_to(np.asarray(src, dtype=np.float64), dst.shape)
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    # Weighted sums over the N points as matrix products (BLAS), not einsum: this runs on every frame.
    mu_s = np.matmul(w, src)  # (T, 3)
    mu_d = np.matmul(w, dst)
    xs, xd = src - mu_s[:, None], dst - mu_d[:, None]
    cov = np.matmul(xd.transpose(0, 2, 1) * w, xs)  # (T, 3, 3)
    u, sig, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.ones_like(sig)
    fix[:, 2] = d
    rotation = (u * fix[:, None, :]) @ vt
    var_s = np.matmul((xs * xs).sum(axis=2), w)
    scale = (sig * fix).sum(axis=1) / var_s
    translation = mu_d - scale[:, None] * np.einsum("tij,tj->ti", rotation, mu_s)
    return scale, rotation, translation
