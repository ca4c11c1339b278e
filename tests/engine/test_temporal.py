"""Tests for the One Euro filter, gap bridging and quaternion continuity (the contract's) and engine/temporal.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine.contract.frames import ypr_to_head_rotation
from engine.contract.gap_bridging import bridge_gaps
from engine.contract.one_euro import FilterConfig, one_euro
from engine.contract.quaternion import quaternion_continuity
from engine.contract.take import BLINK_CHANNELS, make_meta, neutral_take, take_to_arrays
from engine.contract.take_validation import validate_take_arrays
from engine.temporal import StreamFilterConfig, filter_quaternions, filter_take_streams

FPS = 30.0
DEFAULTS = StreamFilterConfig()


def _jitter(x: np.ndarray) -> float:
    """Standard deviation of frame-to-frame differences, over all columns."""
    return float(np.std(np.diff(x, axis=0)))


def _step_frames_to(y: np.ndarray, step_at: int, level: float) -> int:
    """Frames after ``step_at`` until ``y`` first reaches ``level``."""
    return int(np.argmax(y >= level)) - step_at


class TestOneEuro:
    def test_smoke(self):
        y = one_euro(np.zeros((5, 3)), np.arange(5) / FPS, FilterConfig())
        assert y.shape == (5, 3) and y.dtype == np.float32

    def test_cardinality_empty_and_single_frame(self):
        assert one_euro(np.zeros((0, 2)), np.zeros(0), FilterConfig()).shape == (0, 2)
        np.testing.assert_array_equal(one_euro(np.ones((1, 2)), np.zeros(1), FilterConfig()), np.ones((1, 2)))

    def test_exception(self):
        with pytest.raises(ValueError, match=r"\(T, D\)"):
            one_euro(np.zeros(5), np.arange(5.0), FilterConfig())
        with pytest.raises(ValueError, match="time must be"):
            one_euro(np.zeros((5, 1)), np.arange(4.0), FilterConfig())
        with pytest.raises(ValueError, match="bridge_gaps"):
            one_euro(np.array([[0.0], [np.nan]]), np.arange(2.0), FilterConfig())
        with pytest.raises(ValueError, match="goes back at frame 2"):
            one_euro(np.zeros((3, 1)), np.array([0.0, 0.1, 0.05]), FilterConfig())
        with pytest.raises(ValueError, match="min_cutoff > 0"):
            FilterConfig(min_cutoff=0.0)

    def test_feature_known_values_beta_zero(self):
        """With beta = 0 the filter is a plain exponential smoother: alpha = 1 / (1 + 30 / (2 pi)) = 0.17317."""
        alpha = 1.0 / (1.0 + FPS / (2 * np.pi * 1.0))
        y = one_euro(np.ones((4, 1)) * [[0.0], [1.0], [1.0], [1.0]], np.arange(4) / FPS, FilterConfig(beta=0.0))
        expected = [0.0, alpha, alpha + alpha * (1 - alpha), 1 - (1 - alpha) ** 3]
        np.testing.assert_allclose(y[:, 0], expected, rtol=1e-6)

    def test_feature_disabled_is_identity(self):
        x = np.random.default_rng(0).normal(size=(20, 3))
        np.testing.assert_allclose(one_euro(x, np.arange(20) / FPS, FilterConfig(enabled=False)), x, rtol=1e-6)

    @pytest.mark.parametrize(
        ("stream", "noise", "min_reduction"),
        [
            ("expression", 0.02, 3.0),
            ("rotation", 0.005, 5.0),
            ("translation", 0.5, 5.0),
            ("gaze", 0.02, 3.0),
            ("blink", 0.03, 2.0),
        ],
    )
    def test_feature_still_signal_stays_still(self, stream, noise, min_reduction):
        """Noisy constant (seeded Gaussian noise, std ``noise`` in the stream's unit): jitter drops by the factor."""
        x = 0.3 + np.random.default_rng(1).normal(0.0, noise, (300, 2))
        y = one_euro(x, np.arange(300) / FPS, getattr(DEFAULTS, stream))
        assert _jitter(x) / _jitter(y[30:]) >= min_reduction  # skip the first second (filter warm-up)
        assert abs(float(y[30:].mean()) - 0.3) < noise  # no bias

    @pytest.mark.parametrize(
        ("stream", "size"),
        [("expression", 0.6), ("rotation", 0.3), ("translation", 20.0), ("gaze", 0.4), ("blink", 1.0)],
    )
    def test_feature_step_is_not_lagged(self, stream, size):
        """A step reaches 50% within 1 frame and 90% within 3 frames at 30 fps."""
        x = np.zeros((60, 1))
        x[20:] = size
        y = one_euro(x, np.arange(60) / FPS, getattr(DEFAULTS, stream))[:, 0]
        assert _step_frames_to(y, 20, 0.5 * size) <= 1
        assert _step_frames_to(y, 20, 0.9 * size) <= 3

    def test_feature_ramp_lag(self):
        """A mouth opening at 2 weights/s: the filtered ramp trails by at most 2 frames (steady state)."""
        t = np.arange(30) / FPS
        x = (2.0 * t)[:, None]
        y = one_euro(x, t, DEFAULTS.expression)[:, 0]
        lag_frames = (x[20:, 0] - y[20:]) / (2.0 / FPS)
        assert lag_frames.max() <= 2.0

    def test_feature_sinusoid_lag_measurement(self):
        """Lag on a 1 Hz sinusoid (amplitude 0.3) by best-fitting shift: at most 2 frames (67 ms), gain ~1."""
        t = np.arange(600) / FPS
        x = 0.5 + 0.3 * np.sin(2 * np.pi * 1.0 * t)[:, None]
        y = one_euro(x, t, DEFAULTS.expression)[:, 0]
        shifts = np.arange(0, 10)
        errors = [np.mean((y[60 + s :] - x[60 : len(x) - s, 0]) ** 2) for s in shifts]
        lag = int(shifts[int(np.argmin(errors))])
        assert lag <= 2, f"lag {lag} frames"
        amplitude = (y[60:].max() - y[60:].min()) / 2
        assert 0.27 < amplitude < 0.31

    def test_feature_uses_real_timestamps(self):
        """The same motion sampled at an irregular rate is filtered like the regular one (dt from timestamps)."""
        rng = np.random.default_rng(3)
        t_regular = np.arange(90) / FPS
        t_irregular = np.cumsum(np.r_[0.0, rng.uniform(0.5, 1.5, 89) / FPS])
        signal = lambda t: np.clip((t - 1.0) * 3.0, 0.0, 1.0)[:, None]  # noqa: E731
        y_reg = one_euro(signal(t_regular), t_regular, DEFAULTS.expression)[:, 0]
        y_irr = one_euro(signal(t_irregular), t_irregular, DEFAULTS.expression)[:, 0]
        # compare at matching times: the irregular output interpolated onto the regular grid
        y_irr_on_reg = np.interp(t_regular, t_irregular, y_irr)
        assert np.max(np.abs(y_irr_on_reg - y_reg)[t_regular < t_irregular[-1]]) < 0.1
        # ... while ignoring the timestamps (pretending 30 fps) would be measurably different
        y_naive = one_euro(signal(t_irregular), t_regular, DEFAULTS.expression)[:, 0]
        assert np.max(np.abs(y_naive - y_irr)) > 1e-3

    def test_convention_repeated_timestamp_holds(self):
        y = one_euro(np.array([[0.0], [1.0], [5.0]]), np.array([0.0, 0.1, 0.1]), FilterConfig())
        assert y[2, 0] == y[1, 0]


class TestBridgeGaps:
    def test_smoke(self):
        x = np.array([[0.0, 10.0], [np.nan, np.nan], [2.0, 30.0]])
        np.testing.assert_allclose(bridge_gaps(x, [True, False, True]), [[0, 10], [1, 20], [2, 30]])

    def test_feature_holds_at_ends(self):
        x = np.array([[9.0], [1.0], [9.0], [3.0], [9.0]])
        np.testing.assert_allclose(bridge_gaps(x, [False, True, False, True, False])[:, 0], [1, 1, 2, 3, 3])

    def test_feature_interpolates_over_time(self):
        x = np.array([[0.0], [np.nan], [3.0]])
        y = bridge_gaps(x, [True, False, True], time=np.array([0.0, 0.1, 0.3]))
        np.testing.assert_allclose(y[:, 0], [0, 1, 3])

    def test_cardinality_all_or_none_valid(self):
        x = np.array([[1.0], [np.nan]])
        np.testing.assert_array_equal(bridge_gaps(x, [False, False]), x)
        y = bridge_gaps(np.ones((3, 2), np.float32), np.ones(3, bool))
        assert y.dtype == np.float32 and y.shape == (3, 2)

    def test_exception(self):
        with pytest.raises(ValueError, match=r"valid must be \(T,\)"):
            bridge_gaps(np.zeros((3, 1)), [True, False])
        with pytest.raises(ValueError, match=r"x must be \(T, D\)"):
            bridge_gaps(np.zeros(3), [True, False, True])


class TestQuaternions:
    def test_feature_continuity(self):
        rng = np.random.default_rng(4)
        q = ypr_to_head_rotation(np.cumsum(rng.normal(0, 0.05, (50, 3)), axis=0)).astype(np.float64)
        flips = rng.random(50) < 0.5
        q[flips] *= -1
        out = quaternion_continuity(q)
        assert (np.sum(out[1:] * out[:-1], axis=1) >= 0).all()
        np.testing.assert_allclose(np.abs(out), np.abs(q))

    def test_exception(self):
        with pytest.raises(ValueError, match=r"\(T, 4\)"):
            quaternion_continuity(np.zeros((3, 3)))
        with pytest.raises(ValueError, match="zero quaternion at frame 1"):
            filter_quaternions(np.array([[1.0, 0, 0, 0], [0.0, 0, 0, 0]]), np.arange(2.0), FilterConfig())

    def test_feature_filter_quaternions_still_head(self):
        """A still, frontal head with ~0.5 degree noise and random sign flips: output is unit, steady, frontal."""
        rng = np.random.default_rng(5)
        ypr = rng.normal(0, np.radians(0.5), (300, 3))
        q = ypr_to_head_rotation(ypr).astype(np.float64)
        q[rng.random(300) < 0.3] *= -1
        out = filter_quaternions(q, np.arange(300) / FPS, DEFAULTS.rotation)
        assert out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
        continuous = quaternion_continuity(q)
        assert _jitter(continuous) / _jitter(out[30:]) > 4.0
        np.testing.assert_allclose(np.abs(out[30:, 1]), 1.0, atol=1e-3)


class TestFilterTakeStreams:
    def _noisy_take(self):
        rng = np.random.default_rng(6)
        frames = 120
        meta = make_meta(fps=FPS, frame_size=(64, 64), source="noisy", backend="none")
        take = neutral_take(np.arange(frames) / FPS, meta)
        expression_raw = np.clip(0.4 + rng.normal(0, 0.02, (frames, 46)), 0, 1).astype(np.float32)
        rotation_raw = ypr_to_head_rotation(rng.normal(0, 0.01, (frames, 3)))
        confidence = np.ones(frames, np.float32)
        confidence[50:60] = 0.0
        expression_raw[50:60] = np.nan
        rotation_raw[50:60] = np.nan
        return dataclasses.replace(
            take,
            expression_raw=expression_raw,
            head_rotation_raw=rotation_raw,
            head_translation_raw=(np.float32([0, 0, 60]) + rng.normal(0, 0.5, (frames, 3))).astype(np.float32),
            eye_gaze_raw=rng.normal(0, 0.02, (frames, 2, 2)).astype(np.float32),
            eye_blink_raw=np.clip(rng.normal(0.1, 0.03, (frames, 2)), 0, 1).astype(np.float32),
            confidence=confidence,
        )

    def test_smoke_result_is_a_valid_take(self):
        out = filter_take_streams(self._noisy_take(), DEFAULTS)
        assert validate_take_arrays(take_to_arrays(out)) == []
        assert out.meta["filter"]["expression"]["min_cutoff"] == DEFAULTS.expression.min_cutoff

    def test_feature_reduces_jitter_and_bridges(self):
        take = self._noisy_take()
        out = filter_take_streams(take, DEFAULTS)
        ok = take.confidence > 0
        assert _jitter(take.expression_raw[:50]) / _jitter(out.expression[10:50]) > 3.0
        assert _jitter(take.head_translation_raw[:50]) / _jitter(out.head_translation[10:50]) > 3.0
        assert np.isfinite(out.expression).all() and np.isfinite(out.head_rotation).all()
        np.testing.assert_array_equal(out.expression_raw[ok], take.expression_raw[ok])  # raw untouched

    def test_feature_a_rig_blink_closes_as_far_as_the_lid_estimate(self):
        """A blink whose lid is shut for one frame: the expression's blink channels (what a rig's EyeBlink keys get)
        are filtered like ``eye_blink``; the other weights' slower settings would cut the peak short.
        """
        take = self._noisy_take()
        closure = np.zeros(len(take.time), np.float32)
        closure[30:33] = (0.5, 1.0, 0.5)
        lids = [take.channel_names.index(name) for name in BLINK_CHANNELS]
        expression_raw = take.expression_raw.copy()
        expression_raw[:, lids] = closure[:, None]
        take = dataclasses.replace(take, expression_raw=expression_raw, eye_blink_raw=np.stack([closure] * 2, 1))
        out = filter_take_streams(take, DEFAULTS)
        np.testing.assert_allclose(out.expression[:, lids], out.eye_blink, atol=1e-6)
        assert out.expression[:, lids].max() >= 0.93
        assert one_euro(closure[:, None], take.time, DEFAULTS.expression).max() <= 0.9  # the weights' settings

    def test_feature_disabled_only_bridges(self):
        take = self._noisy_take()
        out = filter_take_streams(take, StreamFilterConfig(enabled=False))
        ok = take.confidence > 0
        np.testing.assert_allclose(out.expression[ok], take.expression_raw[ok], rtol=1e-6)
        assert np.isfinite(out.expression).all()
