"""Fit the face model to a clip's landmarks: identity once, the actor's rest, then pose and expression per frame.

The steps, each in its own module (the shapes fitted as the detector sees them, :mod:`.detected_shapes`):

1. identity (:mod:`.identity_fit`): ICT's identity coefficients, jointly with keyframe expressions;
2. the actor's rest offsets (:mod:`.actor`): from a neutral frame or photo when given, else estimated from a long
   enough clip, else none (stills);
3. per frame (:mod:`.frame_fit`): head pose from rigid points, then the 46 weights by bounded least squares with
   the Local Dynamic Loss (:mod:`.residual_rows`) and ELAM's eye state setting how cheap a blink is;
4. in video, the brows read again against the eyes, pose-free (:func:`~.brow_readout.brows_from_pairs`), and gaze
   again from the iris in the image plane (:func:`~.gaze_readout.gaze_from_iris`); in video and stills, the blinks
   again from the eyelid pairs in the image plane (:func:`~.lid_readout.blinks_from_lids`), and the frowns no more
   than the mouth corners show against the lips' middle (:func:`~.corner_readout.frowns_from_corners`);
5. blinks read as the share of the current eye opening closed (:func:`~.eye_readout.blink_as_closure`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..face_model.model import FaceModel
from .actor import actor_model, expression_baseline, fit_landmark_bias, neutral_offsets, rest_absorbed
from .brow_readout import brows_from_pairs
from .corner_readout import frowns_from_corners
from .detected_shapes import shapes_as_detected
from .eye_readout import blink_as_closure
from .fit_config import FitConfig
from .frame_fit import fit_frames
from .gaze_readout import gaze_from_iris
from .head_pose import HeadPose
from .identity_fit import fit_identity
from .lid_readout import blinks_from_lids

__all__ = ["ClipFit", "FitConfig", "fit_clip"]


@dataclasses.dataclass(frozen=True)
class ClipFit:
    """The fitted parameters of a clip (T frames; frames without a face hold zeros and the frontal pose).

    Attributes:
        identity: ``(K,)`` float32 identity coefficients.
        landmark_bias: ``(P, 3)`` float32 the actor's rest offsets as the detector sees them, cm.
        actor: the face model made for this actor (:func:`~.actor.actor_model`).
        expression: ``(T, 46)`` float32 in [0, 1].
        pose: the :class:`~.head_pose.HeadPose` of every frame.
        valid: ``(T,)`` bool, frames with a face.
        rest_known: False for a still or a very short clip given no neutral frame and no known actor: its weights
            are measured from the identity's generic neutral, and the brow pairs were off.
        rest_expression: ``(46,)`` float32, when the actor's rest was estimated from the clip: the weights its
            calmest frames read (:func:`~.actor.expression_baseline`), folded into that rest (the held brow, smile
            and frown channels only up to ``cfg.held_rest_cap``: :func:`~.actor.rest_absorbed`), so the take reads
            what was folded in as 0. None when the rest was given (a neutral frame or photo, a known actor) or
            there is none (a still).
    """

    identity: np.ndarray
    landmark_bias: np.ndarray
    actor: FaceModel
    expression: np.ndarray
    pose: HeadPose
    valid: np.ndarray
    rest_known: bool = True
    rest_expression: np.ndarray | None = None


def _keyframes(valid: np.ndarray, count: int) -> np.ndarray:
    idx = np.flatnonzero(valid)
    if len(idx) <= count:
        return idx
    return idx[np.round(np.linspace(0, len(idx) - 1, count)).astype(int)]


def _finite_frames(view_obs: np.ndarray, point_ids: np.ndarray) -> np.ndarray:
    return np.isfinite(view_obs).all(axis=2)[:, point_ids >= 0].all(axis=1)


def fit_clip(
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    model: FaceModel,
    cfg: FitConfig = FitConfig(),
    *,
    identity: np.ndarray | None = None,
    landmark_bias: np.ndarray | None = None,
    neutral_obs: np.ndarray | None = None,
    eye_closed: np.ndarray | None = None,
) -> ClipFit:
    """Fit a whole clip.

    Args:
        view_obs: ``(T, J, 3)`` VIEW-frame observations; frames without a face are NaN.
        point_ids: ``(J,)`` int model point of each observation (-1: unused).
        model: the face model.
        cfg: fitting settings.
        identity: ``(K,)`` a known actor identity (``--identity``), or None to estimate it.
        landmark_bias: ``(P, 3)`` the actor's known rest offsets (saved with a take), or None.
        neutral_obs: ``(F, J, 3)`` observations of the actor at rest (``--neutral``: a frame of this clip or a
            photo), or None. They join the identity keyframes and define the rest exactly.
        eye_closed: ``(T, 2)`` image-based P(eye closed) per frame (:mod:`engine.eyes.eye_state`), or None.

    Returns:
        The :class:`ClipFit`.
    """
    model = shapes_as_detected(model, cfg)  # brows local, the jaw's depth shallower: as the detector sees them
    t = len(view_obs)
    valid = _finite_frames(view_obs, point_ids)
    # A still or a very short clip, with no rest given: nothing to tell the actor's rest from the expression.
    no_rest = landmark_bias is None and neutral_obs is None and valid.sum() < cfg.baseline_min_frames
    if no_rest:
        # No rest tells a face's low- or high-set brows from a frown or a raise, and the brow pairs
        # (.residual_rows, .brow_readout) would read the one as the other (neutral photos read brows down 0.4-0.5
        # with them); nor wide-set eyes from eyes opened wide (FitConfig.lid_shape_prior_scale); and one image's
        # identity places the eyeballs, which the gaze readout would read as gaze (.gaze_readout).
        cfg = dataclasses.replace(cfg, brow_pair_weight=0.0, lid_shape_prior_scale=1.0, gaze_readout_weight=0.0)
    keyframes = view_obs[_keyframes(valid, cfg.identity_keyframes)]
    if neutral_obs is not None:
        neutral_obs = neutral_obs[_finite_frames(neutral_obs, point_ids)]
        if not len(neutral_obs):
            raise ValueError("the neutral frames hold no complete landmarks")
        keyframes = np.concatenate([keyframes, neutral_obs])
    if identity is None:
        identity = fit_identity(keyframes, point_ids, model, cfg)
    elif identity.shape != (model.num_identity,):
        raise ValueError(f"identity must have {model.num_identity} coefficients, got {identity.shape}")
    rest_expression = None
    if landmark_bias is None and neutral_obs is not None:
        landmark_bias = neutral_offsets(neutral_obs, point_ids, model, identity, cfg)
    elif no_rest:
        # No statistics to tell the detector's bias or the actor's rest from the expression itself, so
        # expressions are measured from the identity's neutral.
        landmark_bias = np.zeros((model.num_points, 3), np.float32)
    elif landmark_bias is None:
        landmark_bias = fit_landmark_bias(keyframes, point_ids, model, identity, cfg)
        rest_frames = view_obs[_keyframes(valid, cfg.baseline_keyframes)]
        w, _ = fit_frames(rest_frames, point_ids, model, model.points(identity) + landmark_bias, cfg)
        rest = expression_baseline(w, cfg)
        absorbed = rest_absorbed(rest, model.expression_names, cfg)
        landmark_bias = (landmark_bias + np.tensordot(absorbed, model.expression_basis, 1)).astype(np.float32)
        rest_expression = rest.astype(np.float32)
    base = model.points(identity) + landmark_bias
    actor = actor_model(model, base)
    expression = np.zeros((t, len(model.expression_names)), np.float32)
    pose = HeadPose.frontal(t)
    if valid.any():
        closed = None if eye_closed is None else eye_closed[valid]
        frames = view_obs if valid.all() else view_obs[valid]  # no copy of the whole clip in the common case
        w, frame_pose = fit_frames(frames, point_ids, actor, base, cfg, closed)
        if cfg.brow_readout_weight > 0 and cfg.brow_pair_weight > 0:
            w = brows_from_pairs(w, frames, point_ids, actor, frame_pose, cfg)
        if cfg.gaze_readout_weight > 0:
            w = gaze_from_iris(w, frames, point_ids, actor, frame_pose, cfg, closed)
        if cfg.lid_readout_weight > 0:
            w = blinks_from_lids(w, frames, point_ids, actor, frame_pose, cfg, closed)
        if cfg.corner_readout_weight > 0:
            w = frowns_from_corners(w, frames, point_ids, actor, frame_pose, cfg)
        expression[valid] = blink_as_closure(w, actor)
        pose.assign(valid, frame_pose)
    return ClipFit(
        identity.astype(np.float32),
        landmark_bias,
        actor,
        expression,
        pose,
        valid,
        rest_known=not no_rest,
        rest_expression=rest_expression,
    )
