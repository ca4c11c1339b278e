"""Temporal filtering of a take's streams: per-stream One Euro settings, rotation filtering, gaps bridged.

The filter itself (:mod:`engine.contract.one_euro`), gap bridging (:mod:`engine.contract.gap_bridging`) and
quaternion continuity (:mod:`engine.contract.quaternion`) are the contract's, shared with the add-on; this module
is the engine's policy: which settings each stream gets, and how a take's raw streams become its filtered ones.

``beta`` has units of 1 / (signal unit), so each stream (weights, quaternion components, centimetres, radians) has
its own settings in :class:`StreamFilterConfig`, tuned by the paper's procedure: beta = 0, lower ``min_cutoff``
until a still face is still, then raise ``beta`` until quick motion no longer lags. The tests in
``tests/engine/test_temporal.py`` pin jitter reduction and step / sinusoid lag at 30 fps for these defaults.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .contract.frames import FRONTAL_ROTATION
from .contract.gap_bridging import bridge_gaps
from .contract.one_euro import FilterConfig, one_euro
from .contract.quaternion import quaternion_continuity
from .contract.take import BLINK_CHANNELS, Take

__all__ = ["StreamFilterConfig", "filter_quaternions", "filter_take_streams"]


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
        blink: eye closure (0..1), both ``eye_blink`` and the expression's ``BLINK_CHANNELS`` (what a rig's
            EyeBlink keys get). Blinks last 100-150 ms (~3-5 frames at 30 fps), so the filter must open quickly:
            2 Hz at rest, beta 8 (the expression's settings cut short blinks' peaks: ``bench_blink.py``).
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


def filter_take_streams(take: Take, cfg: StreamFilterConfig) -> Take:
    """Recompute a take's filtered streams from its ``*_raw`` streams.

    Frames with ``confidence == 0`` are bridged (:func:`bridge_gaps`, over time) before filtering. The expression's
    blink channels are filtered with the blink settings, like ``eye_blink``, so a rig's blink closes as far as the
    take's lid estimate. Weights and blink are clipped to [0, 1] after filtering; ``meta["filter"]`` records ``cfg``.

    Args:
        take: the take.
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
    rotation[~np.isfinite(rotation).all(axis=1)] = FRONTAL_ROTATION  # no valid frame at all: frontal
    if cfg.enabled:
        rotation = filter_quaternions(rotation, time, cfg.rotation)
    else:
        rotation = (rotation / np.linalg.norm(rotation, axis=1, keepdims=True)).astype(np.float32)
    expression = run(take.expression_raw, cfg.expression)
    lids = [take.channel_names.index(name) for name in BLINK_CHANNELS if name in take.channel_names]
    expression[:, lids] = run(take.expression_raw[:, lids], cfg.blink)
    return dataclasses.replace(
        take,
        expression=np.clip(expression, 0.0, 1.0),
        head_rotation=rotation,
        head_translation=run(take.head_translation_raw, cfg.translation),
        eye_blink=np.clip(run(take.eye_blink_raw, cfg.blink), 0.0, 1.0),
        eye_gaze=run(take.eye_gaze_raw, cfg.gaze),
        meta={**take.meta, "filter": cfg.to_dict()},
    )
