"""Blinks read from the lids: EyeBlink_L / _R re-solved from the eyelid pairs in the image plane, after the fit.

In the joint fit (:mod:`.frame_fit`) a shut eye often read a blink of 0.74-0.79, under the 0.8 a rig needs to show
it shut, even where the image estimator was sure (P(closed) 0.96-1.00) and ELAM had put the upper lid's targets on
the lower lid: tracked as a photo, d18's closed eyes (frames 94-98, 186-187) kept a lid gap of 0.10 cm in the fit
where the targets left 0.01: there every lid point's own row (where the point is, not how far the lids are apart)
and every other shape that moves the lids weigh in. Photos showed it most (the tuning clips' closed eyes, each frame
tracked alone: 91.2 % at 0.8 or more), video less (97.1 %).

So, like the brows (:mod:`.brow_readout`) and gaze (:mod:`.gaze_readout`), the blinks are read once more from
their own evidence: with every other channel fixed at its fitted weight, the two EyeBlink channels are solved from
the eyelid pairs alone (each upper-lid point minus the lower-lid point facing it, the Local Dynamic Loss's rows),
their model-frame x and y (the image plane ELAM works in; with depth as well the tuning and held-out figures are the
same), under the joint fit's priors, which make a blink dear where the image sees the eye open
(:func:`~.frame_fit.frame_prior_scale`). The other lid shapes (squint, EyeOpen, gaze) keep their fitted weights, so
the pairs' gap left after them is the blink's. Stills and video alike; each pair row weighs
``FitConfig.lid_readout_weight``. The tuning clips' closed eyes then read 0.8 or more at 98.0 % as photos and in
video, the held-out ones at 99.4 % and 98.8 % (``tests/benchmarks/bench_blink.py``).
"""

from __future__ import annotations

import numpy as np

from ..contract.take import BLINK_CHANNELS
from ..face_model.model import FaceModel
from .channel_readout import IMAGE_PLANE_AXES, readout_channels
from .fit_config import FitConfig
from .frame_fit import frame_prior_scale
from .head_pose import HeadPose
from .residual_rows import lid_pairs, pair_rows

__all__ = ["blinks_from_lids"]


def blinks_from_lids(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
    eye_closed: np.ndarray | None = None,
) -> np.ndarray:
    """The fitted weights with EyeBlink_L / _R re-solved from the eyelid pairs' model-frame x, y.

    Args:
        expression: ``(T, 46)`` weights from :func:`~.frame_fit.fit_frames` (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite; the lids as ELAM left them).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings; each pair row weighs ``cfg.lid_readout_weight``.
        eye_closed: ``(T, 2)`` [left, right] image P(eye closed), or None: as in the joint fit, a blink is dear
            where the image sees the eye open.

    Returns:
        ``(T, 46)`` float64 copy: the two blink channels re-solved in [0, 1]; every other channel as given.
    """
    blinks = [actor.expression_names.index(n) for n in BLINK_CHANNELS]
    return readout_channels(
        expression, view_obs, point_ids, actor, pose, cfg,
        rows=pair_rows(point_ids, lid_pairs(actor)), row_weight=cfg.lid_readout_weight,
        channels=blinks, prior=frame_prior_scale(actor, cfg, len(expression), eye_closed)[:, blinks],
        axes=IMAGE_PLANE_AXES,
    )  # fmt: skip
