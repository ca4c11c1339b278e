"""Key reduction (engine/contract/key_reduction.py): within the tolerance everywhere, and the keys of splitting one
segment at a time at its worst sample (Ramer-Douglas-Peucker), however the work is done.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.contract.key_reduction import reduce_keys


def _one_segment_at_a_time(x: np.ndarray, v: np.ndarray, tolerance: float) -> np.ndarray:
    """The plain algorithm, written out: split the segment at its worst sample while that is over the tolerance."""
    keep = {0, len(v) - 1}
    stack = [(0, len(v) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        line = v[a] + (v[b] - v[a]) * ((x[a + 1 : b] - x[a]) / (x[b] - x[a]))
        err = np.abs(v[a + 1 : b] - line)
        if err.max() > tolerance:
            m = a + 1 + int(np.argmax(err))
            keep.add(m)
            stack += [(a, m), (m, b)]
    return np.array(sorted(keep))


@pytest.mark.parametrize("shape", ["noise", "steps", "walk", "sine", "held"])
@pytest.mark.parametrize("tolerance", [1e-6, 0.005, 0.05])
def test_feature_the_same_keys_as_one_segment_at_a_time_and_within_the_tolerance(shape, tolerance):
    rng = np.random.default_rng(len(shape))
    n = 3000  # long enough for segments of every length (numpy's and plain Python's)
    x = np.cumsum(rng.uniform(0.5, 1.5, n)).astype(np.float32)  # frames of a take at another rate: uneven
    curves = {
        "noise": rng.random(n),
        "steps": np.round(rng.random(n) * 3) / 3,
        "walk": np.clip(0.5 + np.cumsum(rng.normal(0, 0.01, n)), 0, 1),
        "sine": 0.5 + 0.5 * np.sin(np.arange(n) / 40),
        "held": np.r_[np.zeros(n // 2), np.ones(n - n // 2)],
    }
    v = curves[shape].astype(np.float32)
    keep = reduce_keys(x, v, tolerance)
    expected = _one_segment_at_a_time(x.astype(np.float64), v.astype(np.float64), tolerance)
    np.testing.assert_array_equal(keep, expected)
    back = np.interp(x.astype(np.float64), x[keep].astype(np.float64), v[keep].astype(np.float64))
    assert np.abs(back - v).max() <= tolerance + 1e-6


def test_cardinality_short_curves_and_no_tolerance_keep_every_sample():
    assert reduce_keys(np.arange(2.0), np.zeros(2), 0.1).tolist() == [0, 1]
    assert reduce_keys(np.arange(4.0), np.zeros(4), 0.0).tolist() == [0, 1, 2, 3]
    assert reduce_keys(np.arange(5.0), np.zeros(5), 0.1).tolist() == [0, 4]


def test_exception_a_value_that_is_not_finite_is_a_programming_error():
    with pytest.raises(ValueError, match="must be finite"):
        reduce_keys(np.arange(4.0), np.array([0.0, np.nan, 1.0, 0.0]), 0.1)
