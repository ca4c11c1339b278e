"""Temporal filtering of tracked streams: the One Euro filter, gap bridging and quaternion continuity.

The One Euro filter (Casiez, Roussel, Vogel: "1 Euro Filter: A Simple Speed-based Low-pass Filter for Noisy Input
in Interactive Systems", CHI 2012) is a first-order low-pass whose cutoff rises with the signal's speed::

    alpha(fc, dt) = 1 / (1 + 1 / (2 pi fc dt))
    dx_hat[t]     = lowpass(dx[t], alpha(d_cutoff, dt))           dx = (x[t] - x_hat[t-1]) / dt
    fc[t]         = min_cutoff + beta * |dx_hat[t]|
    x_hat[t]      = lowpass(x[t], alpha(fc[t], dt))

A still face gets a low cutoff (``min_cutoff``: no jitter) and fast motion a high one (little lag). ``dt`` comes
from the real per-frame timestamps, so variable-frame-rate input is filtered correctly. ``beta`` has units of
1 / (signal unit), so each stream (weights, quaternion components, centimetres, radians) has its own settings in
:class:`StreamFilterConfig`. Tuning follows the paper's procedure: beta = 0, lower ``min_cutoff`` until a still
face is still, then raise ``beta`` until quick motion no longer lags. The tests in
``tests/engine/test_temporal.py`` pin jitter reduction and step / sinusoid lag at 30 fps for these defaults.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = [
    "FilterConfig",
    "StreamFilterConfig",
    "bridge_gaps",
    "filter_quaternions",
    "filter_take_streams",
    "one_euro",
    "quaternion_continuity",
]


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


@dataclasses.dataclass(frozen=True)
class StreamFilterConfig:
    """Filter settings for every stream of a take. Defaults were tuned on synthetic 30 fps signals (see tests).

    Attributes:
        enabled: master switch; if False, :func:`filter_take_streams` copies the raw streams unfiltered
            (gaps are still bridged).
        expression: expression weights (unit: weight, 0..1). 1.5 Hz keeps a still face still; beta 4 opens the
            filter for a mouth opening in ~0.1 s (speeds of ~5 weights/s).
        rotation: head quaternion components (unit: ~half a radian). Head turns are slow: 1 Hz at rest, beta 2.
        translation: head position in centimetres. Depth from a monocular fit is the noisiest stream: 0.8 Hz at
            rest, beta 0.1 per cm/s (a 30 cm/s move opens it to ~4 Hz).
        blink: eye closure (0..1). Blinks last 100-150 ms (~3-5 frames at 30 fps), so the filter must open
            quickly: 2 Hz at rest, beta 8.
        gaze: eye yaw / pitch in radians. Saccades reach 5+ rad/s; 1.5 Hz at rest, beta 3.
    """

    enabled: bool = True
    expression: FilterConfig = FilterConfig(min_cutoff=1.5, beta=4.0)
    rotation: FilterConfig = FilterConfig(min_cutoff=1.0, beta=2.0)
    translation: FilterConfig = FilterConfig(min_cutoff=0.8, beta=0.1)
    blink: FilterConfig = FilterConfig(min_cutoff=2.0, beta=8.0)
    gaze: FilterConfig = FilterConfig(min_cutoff=1.5, beta=3.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable settings, as stored in a take's ``meta["filter"]``.

        Example:
            >>> StreamFilterConfig().to_dict()["expression"]["min_cutoff"]
            1.5
        """
        return {"method": "one_euro (Casiez et al. CHI 2012)", **dataclasses.asdict(self)}


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


def quaternion_continuity(q: np.ndarray) -> np.ndarray:
    """Flip quaternion signs so each lies in the same hemisphere as the previous one (q and -q are one rotation).

    Without this, filtering or interpolating components across a sign flip passes through a non-rotation.

    Args:
        q: ``(T, 4)`` float quaternions, any order of components (only signs change).

    Returns:
        ``(T, 4)`` same dtype; ``dot(out[t], out[t-1]) >= 0`` for every t.

    Example:
        >>> quaternion_continuity(np.array([[0.6, 0.8, 0, 0], [-0.6, -0.8, 0, 0]]))[:, :2].tolist()
        [[0.6, 0.8], [0.6, 0.8]]
    """
    q = np.asarray(q)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"quaternion_continuity: q must be (T, 4); got shape {q.shape}")
    out = q.copy()
    for t in range(1, len(out)):
        if np.dot(out[t], out[t - 1]) < 0:
            out[t] = -out[t]
    return out


def filter_quaternions(q: np.ndarray, time: np.ndarray, cfg: FilterConfig) -> np.ndarray:
    """One Euro filter a rotation stream: continuity, per-component filtering, renormalisation.

    Filtering components is accurate for the small frame-to-frame steps of a head (the chordal and geodesic
    distances agree to second order).

    Args:
        q: ``(T, 4)`` float unit quaternions (w, x, y, z).
        time: ``(T,)`` float64 seconds, non-decreasing.
        cfg: filter settings (``beta`` per quaternion-component unit, ~ half a radian).

    Returns:
        ``(T, 4)`` float32 unit quaternions, sign-continuous.
    """
    q = np.asarray(q, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4:
        raise ValueError(f"filter_quaternions: q must be (T, 4) (w, x, y, z); got shape {q.shape}")
    norms = np.linalg.norm(q, axis=1, keepdims=True)
    if (norms < 1e-6).any():
        raise ValueError(f"filter_quaternions: zero quaternion at frame {int(np.argmax(norms[:, 0] < 1e-6))}")
    smooth = one_euro(quaternion_continuity(q / norms), time, cfg).astype(np.float64)
    smooth /= np.linalg.norm(smooth, axis=1, keepdims=True)
    return smooth.astype(np.float32)


def filter_take_streams(take: Any, cfg: StreamFilterConfig) -> Any:
    """Recompute a take's filtered streams from its ``*_raw`` streams.

    Frames with ``confidence == 0`` are bridged (:func:`bridge_gaps`, over time) before filtering. Weights and
    blink are clipped to [0, 1] after filtering; ``meta["filter"]`` records ``cfg``.

    Args:
        take: an :class:`engine.take.Take`.
        cfg: settings per stream.

    Returns:
        A new take with ``expression``, ``head_rotation``, ``head_translation``, ``eye_blink``, ``eye_gaze``
        replaced (raw streams untouched).
    """
    time = take.time
    valid = take.confidence > 0

    def run(raw: np.ndarray, stream_cfg: FilterConfig) -> np.ndarray:
        flat = bridge_gaps(raw.reshape(len(raw), -1).astype(np.float64), valid, time=time)
        flat = np.nan_to_num(flat, nan=0.0)  # no valid frame at all: a neutral, still stream
        if not cfg.enabled:
            return flat.astype(np.float32).reshape(raw.shape)
        return one_euro(flat, time, stream_cfg).reshape(raw.shape)

    rotation = bridge_gaps(quaternion_continuity(take.head_rotation_raw.astype(np.float64)), valid, time=time)
    rotation[~np.isfinite(rotation).all(axis=1)] = _FRONTAL_WXYZ  # no valid frame at all: frontal
    if cfg.enabled:
        rotation = filter_quaternions(rotation, time, cfg.rotation)
    else:
        rotation = (rotation / np.linalg.norm(rotation, axis=1, keepdims=True)).astype(np.float32)
    return dataclasses.replace(
        take,
        expression=np.clip(run(take.expression_raw, cfg.expression), 0.0, 1.0),
        head_rotation=rotation,
        head_translation=run(take.head_translation_raw, cfg.translation),
        eye_blink=np.clip(run(take.eye_blink_raw, cfg.blink), 0.0, 1.0),
        eye_gaze=run(take.eye_gaze_raw, cfg.gaze),
        meta={**take.meta, "filter": cfg.to_dict()},
    )


_FRONTAL_WXYZ = (0.0, 1.0, 0.0, 0.0)  # engine.take.FRONTAL_ROTATION; not imported to keep this module standalone


def _alpha(cutoff: float | np.ndarray, dt: float) -> float | np.ndarray:
    """Smoothing factor of a first-order low-pass with ``cutoff`` Hz sampled every ``dt`` s (Casiez eq. 1-2)."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)
