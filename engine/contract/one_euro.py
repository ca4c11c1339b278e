"""The One Euro filter: one implementation for the engine (take streams, landmarks) and the add-on (re-filtering).

The One Euro filter (Casiez, Roussel, Vogel: "1 Euro Filter: A Simple Speed-based Low-pass Filter for Noisy Input
in Interactive Systems", CHI 2012) is a first-order low-pass whose cutoff rises with the signal's speed::

    alpha(fc, dt) = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat[t]     = lowpass(dx[t], alpha(d_cutoff, dt))           dx = (x[t] - x_hat[t-1]) / dt
    fc[t]         = min_cutoff + beta * |dx_hat[t]|
    x_hat[t]      = lowpass(x[t], alpha(fc[t], dt))

A still face gets a low cutoff (``min_cutoff``: no jitter) and fast motion a high one (little lag). ``dt`` comes
from the real per-frame timestamps, so variable-frame-rate input is filtered correctly; a repeated timestamp
(dt = 0) holds the previous output and leaves the filter's state untouched. ``beta`` has units of
1 / (signal unit), so each stream (weights, quaternion components, centimetres, radians) has its own settings.
Tuning follows the paper's procedure: beta = 0, lower ``min_cutoff`` until a still face is still, then raise
``beta`` until quick motion no longer lags.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["FilterConfig", "one_euro"]


@dataclasses.dataclass(frozen=True)
class FilterConfig:
    """One Euro filter settings for one stream (Casiez et al., CHI 2012).

    Attributes:
        enabled: if False, :func:`one_euro` returns its input unchanged (as float32).
        min_cutoff: cutoff frequency in Hz when the signal is still. Lower = steadier but laggier at rest.
            The paper's suggested start is 1 Hz.
        beta: speed coefficient in Hz per (signal unit / s): how fast the cutoff rises with speed. Higher = less lag
            on fast motion, more jitter let through while moving.
        d_cutoff: cutoff in Hz of the derivative estimate; the paper uses 1 Hz and says it rarely needs changing.
    """

    enabled: bool = True
    min_cutoff: float = 1.0
    beta: float = 1.0
    d_cutoff: float = 1.0

    def __post_init__(self) -> None:
        if not (self.min_cutoff > 0 and self.d_cutoff > 0 and self.beta >= 0):
            raise ValueError(
                f"FilterConfig needs min_cutoff > 0 Hz, d_cutoff > 0 Hz and beta >= 0; got "
                f"min_cutoff={self.min_cutoff}, beta={self.beta}, d_cutoff={self.d_cutoff}"
            )


def one_euro(x: np.ndarray, time: np.ndarray, cfg: FilterConfig) -> np.ndarray:
    """One Euro filter each column of ``x`` over real timestamps.

    Args:
        x: ``(T, D)`` float signal (any unit; ``cfg.beta`` is per that unit). Must be finite: bridge gaps first.
        time: ``(T,)`` float64 seconds, non-decreasing (variable frame rate is fine). A repeated timestamp
            (dt = 0) holds the previous output.
        cfg: filter settings.

    Returns:
        ``(T, D)`` float32 filtered signal; the first frame passes through unchanged.

    Example:
        >>> x = np.array([[0.0], [1.0], [1.0], [1.0]])
        >>> [round(float(v), 3) for v in one_euro(x, np.arange(4) / 30, FilterConfig(beta=0.0))[:, 0]]
        [0.0, 0.173, 0.316, 0.435]
    """
    x = np.asarray(x, dtype=np.float64)
    time = np.asarray(time, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"one_euro: x must be (T, D); got shape {x.shape}")
    if time.shape != (x.shape[0],):
        raise ValueError(f"one_euro: time must be (T,) = ({x.shape[0]},); got shape {time.shape}")
    if not np.isfinite(x).all():
        raise ValueError("one_euro: x has NaN / inf values; call bridge_gaps first")
    back = np.diff(time) < 0
    if back.any():
        raise ValueError(f"one_euro: time must be non-decreasing; goes back at frame {int(np.argmax(back)) + 1}")
    if not cfg.enabled or x.shape[0] == 0:
        return x.astype(np.float32)
    out = np.empty_like(x)
    out[0] = x[0]
    x_hat = x[0].copy()
    dx_hat = np.zeros(x.shape[1])
    for t in range(1, x.shape[0]):
        dt = time[t] - time[t - 1]
        if dt <= 0.0:
            out[t] = x_hat
            continue
        dx = (x[t] - x_hat) / dt
        dx_hat += _alpha(cfg.d_cutoff, dt) * (dx - dx_hat)
        cutoff = cfg.min_cutoff + cfg.beta * np.abs(dx_hat)
        x_hat = x_hat + _alpha(cutoff, dt) * (x[t] - x_hat)
        out[t] = x_hat
    return out.astype(np.float32)


def _alpha(cutoff: float | np.ndarray, dt: float) -> float | np.ndarray:
    """Smoothing factor of a first-order low-pass with ``cutoff`` Hz sampled every ``dt`` s (Casiez eq. 1-2)."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)
