"""The actor's rest face as the detector sees it, and the model made for that actor.

Identity (:mod:`.identity_fit`) gives the actor's face shape in ICT's identity space. What remains between it and
the detector's points on this actor is the *rest offset* (``ClipFit.landmark_bias``): the detector's own
actor-specific placement of points along the skin, and the actor's resting expression. It comes from, in order
of preference:

1. a neutral frame or photo of the actor (``--neutral``): the rest is exactly that frame, expression 0
   (:func:`neutral_offsets`);
2. a long enough clip: the mean unexplained offset over keyframes (:func:`fit_landmark_bias`), none of it a held
   expression, plus the median expression of the calmest frames (:func:`expression_baseline`), of which a brow,
   smile or frown is folded in only up to a cap (:func:`rest_absorbed`);
3. a still or a very short clip: nothing (expressions are measured from the identity's neutral).

A clip that is mostly one expression passes it to the actor's face: the identity is fitted on keyframes spread over
the clip and the offsets are their mean residual, so on pyfeat's ``single_face.mp4`` (0.6 s at rest, then 1.8 s of a
broad grin) the rest frames read MouthFrown 0.52-0.77 and the grin 0.59 (a rest and a grin frame as photos: no
frown; 0.82 / 0.92); the take's notice asks for ``--neutral``, which mends it. Tried, not kept: the identity and
offsets fitted on the clip's calmest frames (the tenth or quarter of 128 with the least total weight, read without
offsets) and chosen again as the identity improved, up to four rounds. That clip then read its rest as rest (frown
0.06) and the grin 0.92, and the held-out furious frowns read more (median +0.51 -> +0.58), but the rounds settle on
whatever state they start nearest to: a furious talker's heavy squint became his rest (his squints then read
EyeOpen_R 1), d3's EyeOpen_R reached 1 on 42 % of its frames, and saturation rose (styled talking 4.7 -> 12.8 %, dev
clips 12.8 -> 21.3 %; some of it right: d3's wink and deep frowns then read BrowsD_R 1). Choosing the calm frames
once, on the generic face, by all weights or by the brow, smile and frown weights alone, was as fragile (d3's
ChinLowerRaise at 1 on 85 % of its frames): a face fitted to a few chosen frames follows their momentary shape.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..face_model.model import FaceModel
from .box_qp import solve_box_qp
from .fit_config import FitConfig
from .frame_fit import fit_frames, pose_weights
from .head_pose import HeadPose

__all__ = [
    "HELD_EXPRESSIONS",
    "actor_model",
    "expression_baseline",
    "fit_landmark_bias",
    "neutral_offsets",
    "rest_absorbed",
]

BLINK_SCALE_RANGE = (0.6, 1.8)  # how far an actor's blink may be rescaled to close their own eye opening
# Expressions people hold through a whole clip (a furious talk's frown, a presenter's smile), unlike the channels an
# actor's face shape or the detector's placement reads at rest (narrow eyes, a lip that rests rolled in, a jaw).
HELD_EXPRESSIONS = (
    "BrowsD_L", "BrowsD_R", "BrowsU_C", "BrowsU_L", "BrowsU_R", "MouthSmile_L", "MouthSmile_R", "MouthFrown_L",
    "MouthFrown_R",
)  # fmt: skip


def fit_landmark_bias(
    view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, identity: np.ndarray, cfg: FitConfig
) -> np.ndarray:
    """``(P, 3)`` float32 the detector's systematic landmark offsets for this actor, model frame, cm.

    A landmark detector places its points on a face with actor-specific offsets (points slide along the skin)
    that neither the identity space nor any expression explains; left in, the fitter bends expressions into
    cancelling combinations to approximate them. Starting from zero, the bias is re-estimated as the mean of what
    pose, identity and expression leave unexplained over the keyframes ``(F, J, 3)``, so it takes exactly the part
    outside the expressions' reach and leaves expressions measured from the identity's neutral.

    What the priors hold back of an expression is unexplained too, so a frown or smile held through the whole clip
    would pass into the bias a little more at every re-estimate: on an exact synthetic clip that frowns at 0.6
    throughout, the bias took it all (BrowsD read 0.01-0.04). Each estimate therefore leaves out what the
    :data:`HELD_EXPRESSIONS` make at weights >= 0 (:func:`_outside_held_expressions`); such an expression stays in
    the calmest frames' readings, of which :func:`rest_absorbed` folds in only the cap (that clip then reads
    0.11-0.16 with its identity estimated too, about 0.27 given its true identity).
    """
    base = model.points(identity).astype(np.float64)
    bias = np.zeros_like(base)
    used = point_ids >= 0
    for _ in range(cfg.bias_iterations):
        w, pose = fit_frames(view_obs, point_ids, model, base + bias, cfg)
        y = pose.view_to_model(view_obs)[:, used]  # (F, J', 3)
        fitted = base[point_ids[used]][None] + np.tensordot(w, model.expression_basis[:, point_ids[used]], 1)
        bias[point_ids[used]] = np.mean(y - fitted, axis=0)
        bias = _outside_held_expressions(bias, model, point_ids[used])
    return bias.astype(np.float32)


def _outside_held_expressions(bias: np.ndarray, model: FaceModel, points: np.ndarray) -> np.ndarray:
    """``(P, 3)`` ``bias`` less the least-squares fit to it, over ``points``, of the :data:`HELD_EXPRESSIONS` at
    weights >= 0.

    Only weights >= 0, as an expression can be: brows that rest lower than the identity's in a way no brow shape
    makes at a positive weight are the face's or the detector's, and stay (with them removed too, d3's BrowsU_C
    read 0.08 at the 90th percentile of its take, 0.29 before and with this).
    """
    held = [model.expression_names.index(n) for n in HELD_EXPRESSIONS]
    basis = model.expression_basis[held][:, points].reshape(len(held), -1).T.astype(np.float64)  # (3J, H)
    coef = solve_box_qp((basis.T @ basis)[None], (basis.T @ bias[points].reshape(-1))[None], 0.0, np.inf)[0]
    out = bias.copy()
    out[points] -= (basis @ coef).reshape(-1, 3)
    return out


def neutral_offsets(
    view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, identity: np.ndarray, cfg: FitConfig
) -> np.ndarray:
    """``(P, 3)`` float32 rest offsets that make the given neutral frames read expression 0 exactly.

    Args:
        view_obs: ``(F, J, 3)`` VIEW-frame observations of the actor at rest (a neutral frame or photo; several
            are averaged in the model frame).
    """
    base = model.points(identity).astype(np.float64)
    used = point_ids >= 0
    pose = HeadPose.align(base[point_ids[used]], view_obs[:, used], pose_weights(model, point_ids, cfg)[used])
    offsets = np.zeros_like(base)
    offsets[point_ids[used]] = np.mean(pose.view_to_model(view_obs)[:, used] - base[point_ids[used]][None], axis=0)
    return offsets.astype(np.float32)


def actor_model(model: FaceModel, rest: np.ndarray) -> FaceModel:
    """The model made for one actor: each blink scaled to close this actor's resting eye opening.

    ICT's EyeBlink closes the generic neutral's eye; an actor whose eyes rest wider or narrower needs more or less
    lid travel, so each blink shape is scaled by the actor's rest lid gap over the generic one (within
    :data:`BLINK_SCALE_RANGE`). The other shapes are ICT's as they are.

    Args:
        rest: ``(P, 3)`` the actor's rest face as the detector sees it, model frame, cm.
    """
    basis = model.expression_basis.copy()
    r = model.regions
    for side, name in (("left", "EyeBlink_L"), ("right", "EyeBlink_R")):
        e = model.expression_names.index(name)
        upper, lower = r.eye_upper[side], r.eye_lower[side]
        rest_gap = float(np.mean(rest[upper, 1] - rest[lower, 1]))
        generic_gap = float(np.mean(model.neutral[upper, 1] - model.neutral[lower, 1]))
        if generic_gap > 0:
            basis[e] *= np.clip(rest_gap / generic_gap, *BLINK_SCALE_RANGE)

    return dataclasses.replace(model, neutral=np.asarray(rest, np.float32), expression_basis=basis)


def expression_baseline(expression: np.ndarray, cfg: FitConfig) -> np.ndarray:
    """``(46,)`` the actor's resting expression in a clip, relative to the identity's neutral.

    An actor whose rest face differs from the identity's neutral within the expressions' reach (narrower eyes,
    lower brows, a mouth that rests differently) reads constant weights in those channels. The rest is the
    median weight vector of the clip's calmest frames: the ``cfg.baseline_calm_share`` of frames with the smallest
    total weight (video only: a still has no calm frames to compare with).

    Tried, not kept: choosing the calmest frames among those with open eyes (both blinks <= 0.3). With the smile
    fitted with a lower rise (:mod:`.detected_shapes`, not kept either) d3's calmest frames became its downcast ones,
    lids half lowered: its rest took EyeBlink 0.33 / 0.39 and its open eyes read EyeOpen 1 on 31 % of frames, which
    the open-eye rule mended (7.6 %). With the shapes as they are it changed little and mostly for the worse (dev
    clips' saturation 12.6 -> 13.5 %, held-out es's surprised brows +0.50 -> +0.43; styled talking 3.9 -> 2.9 %).

    Args:
        expression: ``(F, 46)`` weights of frames spread over the clip.
    """
    total = expression.sum(axis=1)
    count = max(3, int(round(cfg.baseline_calm_share * len(expression))))
    calm = np.argsort(total)[:count]
    return np.median(expression[calm], axis=0)


def rest_absorbed(rest: np.ndarray, names: tuple[str, ...], cfg: FitConfig) -> np.ndarray:
    """``(46,)`` the part of an estimated rest expression folded into the actor's rest face.

    All of it, but on the :data:`HELD_EXPRESSIONS` at most ``cfg.held_rest_cap``: beyond what actors' rests differ
    from their identity, a clip that never relaxes holds a frown or a smile, and the take should read it.

    Example:
        >>> names = ("JawFwd", "MouthSmile_L")
        >>> rest_absorbed(np.array([0.4, 0.6]), names, FitConfig(held_rest_cap=0.15)).tolist()
        [0.4, 0.15]
    """
    cap = np.full(len(names), np.inf)
    cap[[i for i, n in enumerate(names) if n in HELD_EXPRESSIONS]] = cfg.held_rest_cap
    return np.minimum(rest, cap)
