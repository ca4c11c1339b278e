"""Key reduction: the fewest samples of a curve whose linear interpolation stays within a tolerance of all of them.

Ramer-Douglas-Peucker simplification under a value tolerance (Ramer 1972; Douglas and Peucker 1973), used when
baking shape-key curves: a still stretch of a take becomes two keys, a fast one keeps every key it needs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["reduce_keys"]

_SMALL = 128  # samples: a segment this short is split in plain Python


def reduce_keys(x: np.ndarray, values: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the samples to keep so linear interpolation stays within ``tolerance`` of every sample.

    Args:
        x: ``(T,)`` strictly increasing key positions (frames).
        values: ``(T,)`` one channel's values at those positions.
        tolerance: the largest allowed absolute deviation; <= 0 keeps every sample.

    Returns:
        ``(K,)`` int64 sorted indices, always including the first and the last.

    Example:
        >>> reduce_keys(np.arange(5.0), np.array([0.0, 0.5, 1.0, 1.0, 1.0]), 1e-6).tolist()
        [0, 2, 4]
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if not (np.isfinite(x).all() and np.isfinite(v).all()):
        raise ValueError("reduce_keys: positions and values must be finite (a curve is checked before it is reduced)")
    n = len(v)
    if n <= 2 or tolerance <= 0:
        return np.arange(n, dtype=np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    x_list, v_list = x.tolist(), v.tolist()
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        if b - a <= _SMALL:  # numpy's per-call cost outweighs its speed on a few samples (a noisy hour: 8x)
            _reduce_small(x_list, v_list, a, b, tolerance, keep)
            continue
        seg = v[a + 1 : b]
        t = (x[a + 1 : b] - x[a]) / (x[b] - x[a])
        err = np.abs(seg - (v[a] + (v[b] - v[a]) * t))
        k = int(np.argmax(err))
        if err[k] > tolerance:
            m = a + 1 + k
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return np.flatnonzero(keep).astype(np.int64)


def _reduce_small(x: list, v: list, a: int, b: int, tolerance: float, keep: np.ndarray) -> None:
    """:func:`reduce_keys`' splitting of the segment ``a..b`` in plain Python: the same arithmetic in the same order
    (so the same keys, the first of equal deviations), marked in ``keep``.
    """
    stack = [(a, b)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        xa, va, span, rise = x[a], v[a], x[b] - x[a], v[b] - v[a]
        worst, m = -1.0, -1
        for i in range(a + 1, b):
            err = abs(v[i] - (va + rise * ((x[i] - xa) / span)))
            if err > worst:
                worst, m = err, i
        if worst > tolerance:
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
