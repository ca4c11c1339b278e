"""De-jittering of detector landmarks before fitting (the fit's targets; the take keeps the raw landmarks).

Landmark detectors jitter by a fraction of a pixel from frame to frame even on a still face; lid and lip
distances are so small that this reads as flickering weights. A One Euro filter
(:func:`engine.contract.one_euro.one_euro`) per coordinate, over each run of frames with a face, removes the
jitter at rest and follows fast motion (its cutoff rises with speed), as MediaPipe's own graphs do with their
landmark smoothing calculators.
"""

from __future__ import annotations

import numpy as np

from .contract.one_euro import FilterConfig, one_euro

__all__ = ["DEFAULT_LANDMARK_FILTER", "smooth_landmarks"]

# 2 Hz at rest; +0.05 Hz per px/s of speed: at a 300 px/s head turn the cutoff is ~17 Hz (little lag).
DEFAULT_LANDMARK_FILTER = FilterConfig(min_cutoff=2.0, beta=0.05, d_cutoff=1.0)
COLUMNS_PER_PASS = 256  # coordinates filtered together (bounds the float64 working memory for long clips)


def smooth_landmarks(points: np.ndarray, time: np.ndarray, cfg: FilterConfig = DEFAULT_LANDMARK_FILTER) -> np.ndarray:
    """Filter landmark tracks over time, separately within each run of frames that has a face.

    Args:
        points: ``(T, J, C)`` float pixels (C = 2 for x, y or 3 with depth), NaN on frames without a face.
        time: ``(T,)`` float64 seconds.
        cfg: the filter.

    Returns:
        ``(T, J, C)`` float32, NaN where the input is.

    Example:
        >>> p = np.zeros((4, 1, 2)); p[1::2] += 1.0   # a point jittering by 1 px every other frame
        >>> float(np.abs(np.diff(smooth_landmarks(p, np.arange(4) / 30.0)[:, 0, 0])).max()) < 0.5
        True
    """
    points = np.asarray(points)
    out = np.full(points.shape, np.nan, dtype=np.float32)
    valid = np.isfinite(points).all(axis=(1, 2))
    edges = np.flatnonzero(np.diff(np.r_[0, valid.astype(np.int8), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=False):
        run = points[start:stop].reshape(stop - start, -1)
        flat = out[start:stop].reshape(stop - start, -1)
        for c in range(0, run.shape[1], COLUMNS_PER_PASS):  # column blocks: float64 work arrays stay small
            flat[:, c : c + COLUMNS_PER_PASS] = one_euro(run[:, c : c + COLUMNS_PER_PASS], time[start:stop], cfg)
    return out
