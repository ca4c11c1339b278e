"""Gap bridging: frames without a measurement (no face) filled by linear interpolation over time."""

from __future__ import annotations

import numpy as np

__all__ = ["bridge_gaps"]


def bridge_gaps(x: np.ndarray, valid: np.ndarray, *, time: np.ndarray | None = None) -> np.ndarray:
    """Fill frames without a face by linear interpolation between the nearest valid frames.

    Args:
        x: ``(T, D)`` float signal; values on invalid frames are ignored (may be NaN).
        valid: ``(T,)`` bool, True where the frame has a measurement.
        time: optional ``(T,)`` float64 seconds to interpolate over (default: frame index).

    Returns:
        ``(T, D)`` array of ``x``'s dtype (float32 for integer input). Before the first and after the last valid
        frame the nearest valid value is held. If no frame is valid, ``x`` is returned unchanged (copied).

    Example:
        >>> x = np.array([[1.0], [np.nan], [np.nan], [4.0], [np.nan]])
        >>> bridge_gaps(x, np.isfinite(x[:, 0])).ravel().tolist()
        [1.0, 2.0, 3.0, 4.0, 4.0]
    """
    x = np.asarray(x)
    valid = np.asarray(valid, dtype=bool)
    if x.ndim != 2:
        raise ValueError(f"bridge_gaps: x must be (T, D); got shape {x.shape}")
    if valid.shape != (x.shape[0],):
        raise ValueError(f"bridge_gaps: valid must be (T,) = ({x.shape[0]},); got shape {valid.shape}")
    out = x.astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=True)
    if not valid.any() or valid.all():
        return out
    pos = np.arange(x.shape[0], dtype=np.float64) if time is None else np.asarray(time, dtype=np.float64)
    if pos.shape != (x.shape[0],):
        raise ValueError(f"bridge_gaps: time must be (T,) = ({x.shape[0]},); got shape {pos.shape}")
    for d in range(x.shape[1]):
        out[~valid, d] = np.interp(pos[~valid], pos[valid], out[valid, d].astype(np.float64))
    return out
