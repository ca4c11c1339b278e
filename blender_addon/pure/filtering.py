"""Temporal filtering and key reduction in numpy (no bpy).

- :func:`one_euro`: the One Euro filter (Casiez, Roussel, Vogel, "1 euro filter: a simple speed-based low-pass
  filter for noisy input in interactive systems", CHI 2012), vectorised over channels.
- :func:`strength_to_min_cutoff`: the panel's 0..1 "filter strength" as a One Euro minimum cut-off.
- :func:`reduce_keys`: Ramer-Douglas-Peucker simplification of a sampled curve under a value tolerance, so the
  linear interpolation of the kept keys stays within the tolerance of every original sample.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ONE_EURO_BETA", "ONE_EURO_D_CUTOFF_HZ", "one_euro", "reduce_keys", "strength_to_min_cutoff"]

# Casiez et al. recommend d_cutoff = 1 Hz; beta trades lag for jitter on fast motion (0.0 = plain low-pass).
ONE_EURO_D_CUTOFF_HZ = 1.0
ONE_EURO_BETA = 0.5
# Filter strength 0 -> MAX cut-off (nearly transparent at video rates), 1 -> MIN cut-off (heavy smoothing).
_MAX_MIN_CUTOFF_HZ = 20.0
_MIN_MIN_CUTOFF_HZ = 0.3


def strength_to_min_cutoff(strength: float) -> float:
    """Map filter strength in [0, 1] to a One Euro minimum cut-off in Hz (log-linear).

    Example:
        >>> round(strength_to_min_cutoff(0.0), 2), round(strength_to_min_cutoff(1.0), 2)
        (20.0, 0.3)
    """
    s = float(np.clip(strength, 0.0, 1.0))
    return float(np.exp(np.log(_MAX_MIN_CUTOFF_HZ) * (1 - s) + np.log(_MIN_MIN_CUTOFF_HZ) * s))


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
    return 1.0 / (1.0 + tau / dt)


def one_euro(
    x: np.ndarray,
    time: np.ndarray,
    *,
    min_cutoff: float,
    beta: float = ONE_EURO_BETA,
    d_cutoff: float = ONE_EURO_D_CUTOFF_HZ,
) -> np.ndarray:
    """Filter every channel of a signal with the One Euro filter.

    Args:
        x: ``(T, D)`` float samples.
        time: ``(T,)`` float seconds, strictly increasing.
        min_cutoff: minimum cut-off frequency in Hz (lower = smoother when still).
        beta: speed coefficient (higher = less lag when moving fast).
        d_cutoff: cut-off in Hz for the derivative estimate.

    Returns:
        ``(T, D)`` float32 filtered samples; the first sample is unchanged.

    Example:
        >>> t = np.arange(5) / 30.0
        >>> one_euro(np.ones((5, 2)), t, min_cutoff=1.0).tolist()[-1]
        [1.0, 1.0]
    """
    x = np.asarray(x, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    if x.ndim != 2 or time.shape != (x.shape[0],):
        raise ValueError(f"one_euro: x must be (T, D) and time (T,), got {x.shape} and {time.shape}")
    out = np.empty_like(x)
    if len(x) == 0:
        return out.astype(np.float32)
    prev = x[0].copy()
    dprev = np.zeros_like(prev)
    out[0] = prev
    for i in range(1, len(x)):
        dt = max(time[i] - time[i - 1], 1e-6)
        dx = (x[i] - prev) / dt
        dprev = dprev + _alpha(d_cutoff, dt) * (dx - dprev)
        cutoff = min_cutoff + beta * np.abs(dprev)
        prev = prev + _alpha(cutoff, dt) * (x[i] - prev)
        out[i] = prev
    return out.astype(np.float32)


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
    n = len(v)
    if n <= 2 or tolerance <= 0:
        return np.arange(n, dtype=np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
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
