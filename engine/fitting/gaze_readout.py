"""Gaze read from the iris: the eight eye-look channels re-solved from the iris points in the image plane.

In the joint fit (:mod:`.frame_fit`) a sideways glance read about half as far for the eye turning outward as for
the eye turning inward on the LivePortrait clips: d0 22 deg in / 11 deg out, d3 11 / 7, d12 (held out) 15 / 10,
where the image shows both irises moving nearly alike (d12 frame 166: 0.35 and 0.38 of the eye's width; in the
model frame 1.0 and 0.82 cm, read as EyeIn_R 0.96 and EyeOut_L 0.42). What held the outward eye back was depth: a
turning eyeball takes its iris back, 0.3 cm for ICT's EyeOut at weight 1, while MediaPipe brings the iris forward
(+0.26 cm there) and the lids and outer eye corner, which ICT's eye-look shapes also move back, stay in front; and
ten iris rows weigh little against the priors.

So, like the brows (:mod:`.brow_readout`), gaze is read once more from its own evidence: with every other channel
fixed at its fitted weight, EyeDown / EyeIn / EyeOut / EyeUp of both eyes are solved from the ten iris points alone,
their model-frame x and y (:func:`~.channel_readout.readout_channels`), under the joint fit's priors, which make
gaze dear as the image sees the eye close, each iris point weighing ``FitConfig.gaze_readout_weight``. The rows are
compared after the pose, in the model frame, so a turned head reads the same gaze. On the side glances that
``tests/benchmarks/bench_gaze_symmetry.py`` finds in the image, the two eyes now read d12 23 / 20 deg (15 / 10
before), d10 25 / 24 (18 / 16); d0 stays uneven, 26 / 18, because its landmarks are (0.20 and 0.15 of the eye's
width).

Video only, like the brows: a still has no rest, and the eyeball placement of the identity fitted to one image
leaks into gaze (on renders, a glance of 0.6 with both eyes read 0.32 / 0.80 with exact landmarks, either way).
"""

from __future__ import annotations

import numpy as np

from ..eyes.eye_topology import iris_points
from ..face_model.model import FaceModel
from .channel_readout import IMAGE_PLANE_AXES, readout_channels
from .fit_config import FitConfig
from .frame_fit import frame_prior_scale, gaze_channels
from .head_pose import HeadPose
from .residual_rows import residual_rows

__all__ = ["gaze_from_iris"]


def gaze_from_iris(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
    eye_closed: np.ndarray | None = None,
) -> np.ndarray:
    """The fitted weights with the eye-look channels re-solved from the iris points' model-frame x, y.

    Args:
        expression: ``(T, 46)`` weights from :func:`~.frame_fit.fit_frames` (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings; each iris point weighs ``cfg.gaze_readout_weight``.
        eye_closed: ``(T, 2)`` [left, right] image P(eye closed), or None: as in the joint fit, gaze gets dear as
            the eye closes.

    Returns:
        ``(T, 46)`` float64 copy: the eight eye-look channels re-solved in [0, 1]; every other channel as given.
    """
    rows = residual_rows(actor, point_ids, cfg)
    iris = [p for side in ("left", "right") for p in iris_points(side)]
    gaze = gaze_channels(actor.expression_names)
    return readout_channels(
        expression, view_obs, point_ids, actor, pose, cfg,
        rows=rows.select(np.isin(rows.model_a, iris) & (rows.model_b < 0)), row_weight=cfg.gaze_readout_weight,
        channels=gaze, prior=frame_prior_scale(actor, cfg, len(expression), eye_closed)[:, gaze],
        axes=IMAGE_PLANE_AXES,
    )  # fmt: skip
