"""Synthetic clips made from the engine's own face model: exact landmarks with known identity, expression and pose.

The fit's own error, with the detector out of the loop: what the fitting tests check (``test_fitting.py``) and what
``tests/benchmarks/bench_synthetic_recovery.py`` measures per channel.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from engine.fitting.actor import actor_model
from engine.fitting.clip_fit import FitConfig, fit_clip
from engine.fitting.detected_shapes import shapes_as_detected
from engine.fitting.eye_readout import blink_as_closure

__all__ = ["fit_known_actor", "synthetic_clip"]


def synthetic_clip(model, frames=120, seed=0, active=3, noise_px=0.3, identity_scale=0.5, held=None):
    """Posed, projected landmarks (VIEW frame) of random identity/expressions, with pixel noise.

    Face sizes of 10-18 px/cm (a face ~150-270 px wide), head turns up to 30 deg yaw / 20 deg pitch. ``held``
    (channel name -> weight) sets those channels on every frame: an expression held through the whole clip.
    """
    rng = np.random.default_rng(seed)
    identity = rng.normal(size=model.num_identity) * identity_scale
    weights = np.zeros((frames, 46))
    for t in range(frames):
        if t % 3:  # every third frame at rest, as real clips have
            k = rng.choice(46, active, replace=False)
            weights[t, k] = rng.uniform(0.3, 1.0, active)
    for name, value in (held or {}).items():
        weights[:, model.expression_names.index(name)] = value
    rot = Rotation.from_euler("yxz", rng.uniform(-1, 1, (frames, 3)) * [30, 20, 10], degrees=True).as_matrix()
    scale = rng.uniform(10, 18, frames)
    trans = np.c_[rng.uniform(150, 350, (frames, 2)) * [1, -1], np.zeros(frames)]
    # The engine's shapes for this face: blinks fitted to it, the shapes as the detector sees them.
    detected = shapes_as_detected(model, FitConfig())
    actor = actor_model(detected, detected.points(identity))
    pts = actor.points(None, weights)
    view = scale[:, None, None] * np.einsum("tij,tpj->tpi", rot, pts) + trans[:, None]
    view[..., :2] += rng.normal(size=view[..., :2].shape) * noise_px
    view[..., 2] += rng.normal(size=view[..., 2].shape) * noise_px * 2  # detector depth is coarser than x, y
    # The take reads a blink as the share of the current eye opening closed (eye_readout.blink_as_closure).
    return view, identity, blink_as_closure(weights, actor), rot


def fit_known_actor(view, model, identity, cfg, point_ids=None):
    """Fit with the true identity and no landmark bias (what synthetic_clip generated)."""
    ids = np.arange(478) if point_ids is None else point_ids
    no_bias = np.zeros((478, 3), np.float32)
    return fit_clip(view, ids, model, cfg, identity=identity.astype(np.float32), landmark_bias=no_bias)
