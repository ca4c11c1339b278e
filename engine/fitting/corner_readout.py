"""A frown must show at the corners: MouthFrown_L / _R read again from the mouth corners against the lips' middle.

In the joint fit (:mod:`.frame_fit`) a mouth that drops as a whole read MouthFrown near 1: pressed, twisted and
rounded lips (d10's pressed lips at frames 57 and 91, its twisted ones at 67 and 363: 0.74-1.00), d18's closed
pout (22-38: 0.96-1.00); the tuning clips' frames reading a frown of 0.5 or more, either way, were looked at as
mouth crops before their readings. In the model frame, against the actor's rest, their corners, both lips and the
chin drop together 0.4-1.0 cm while the nose base stays; no FaceWarehouse shape lowers the sealed lips as a whole,
and MouthFrown, the cheapest shape that lowers the corners (0.44 cm at 1), takes it. A frown (AU15) is the corners
pulled down against the rest of the mouth.

So, like the brows (:mod:`.brow_readout`) and the blinks (:mod:`.lid_readout`), the two frowns are solved once more from
their own evidence: from the pairs of each mouth corner (outer and inner) against the four lip midline points
(:func:`~.residual_rows.mouth_corner_pairs`), their model-frame x and y, under the joint fit's priors, with the shapes
an O is made of (:data:`MOUTH_SHAPES`: JawOpen, LipsFunnel, LipsPucker) solved beside them from the same pairs (their
readings are not kept) and every other channel fixed at its fitted weight: the part of the corners' drop those shapes
explain is not a frown. A reading can only lower the joint fit's: where an open mouth's corners sit lower in the
opening than ICT's JawOpen puts them (from the upper lip to the lower, model frame: d10's O's 0.46-0.67, d3's 0.18-0.44,
ICT's JawOpen 0.33), these pairs alone read a frown (d3's open-mouthed surprise: 0 -> 0.5), so the pairs may veto a
frown the joint fit read but not add one. Stills and video alike; each pair row weighs
``FitConfig.corner_readout_weight``. The tuning frames above (0.74-1.00 in the joint fit) read, with the readout and
the joint fit's opposed directions (``FitConfig.opposed_pair_penalty``): d10's pressed lips 0.00, its twisted ones
(frames 67, 363) 0.38 / 0.46, d18's pout 0.12-0.17, while d18's corners turned down (frames 184, 212) keep 0.46 /
0.56. Rounded open mouths still read a frown (d10 frames 9, 324, 356: 0.28-0.84). Solving the O's shapes beside the
frowns (they were fixed at first) took frames reading a frown of 0.5 or more from 8.7 to 6.2 % on d10, 15.3 to 14.8 %
on held-out d12, the twisted mouths from 0.57 / 0.55. Tried, not kept: all of JawOpen, LipsFunnel, LipsPucker,
LipsLowerDown, LipsUpperUp and LipsStretch beside the frowns (d10 4.7 %), since a frown with the jaw open then lost 0.29
of its 0.39 (LipsStretch lowers the corners too). What the readout costs: a frown with a smile on the same corners
reads less (posed on the engine's own face, frown 0.8 and smile 0.3: 0.22 -> 0.16), and so do renders' frowns among
other random shapes (exact landmarks: MouthFrown's error where active 0.22 / 0.29 -> 0.33 / 0.42); with the jaw open,
the lips funnelled or the chin raised a frown reads as before (tests).

Tried, not kept: the smiles vetoed the same way (MouthSmile_L / _R solved with the frowns from these pairs, the take
keeping the lower). On pyfeat's crying woman, lips pressed and the whole mouth pushed up by the chin, the joint fit
reads MouthSmile 0.55-0.68; the veto brought that to 0.18-0.47, d9's pout 0.26 -> 0.04, neutral photos' smile lower
(d19 0.21 -> 0.09). But real toothy smiles lost most of theirs (LivePortrait's s29 0.82 -> 0.43, a happy styletalk
talker 0.35 -> 0.01), also where only closed lips (within 0.3 cm of the rest) were vetoed: on real smiles MediaPipe's
corners rise less against the lips' middle than ICT's smile has them, and the joint fit reads a smile from the
cheeks too.
"""

from __future__ import annotations

import numpy as np

from ..face_model.model import FaceModel
from .channel_readout import IMAGE_PLANE_AXES, readout_channels
from .fit_config import FitConfig
from .frame_fit import prior_scale
from .head_pose import HeadPose
from .residual_rows import mouth_corner_pairs, pair_rows

__all__ = ["FROWN_SHAPES", "frowns_from_corners"]

FROWN_SHAPES = ("MouthFrown_L", "MouthFrown_R")
MOUTH_SHAPES = ("JawOpen", "LipsFunnel", "LipsPucker")  # an O: re-solved beside the frowns, their readings not kept


def frowns_from_corners(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
) -> np.ndarray:
    """The fitted weights with MouthFrown_L / _R no more than the mouth-corner pairs read.

    Args:
        expression: ``(T, 46)`` fitted weights (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings; each pair row weighs ``cfg.corner_readout_weight``.

    Returns:
        ``(T, 46)`` float64 copy: the two frown channels at the lower of their fitted and re-solved weights; every
        other channel as given.
    """
    frowns = [actor.expression_names.index(n) for n in FROWN_SHAPES]
    solved = frowns + [actor.expression_names.index(n) for n in MOUTH_SHAPES]
    read = readout_channels(
        expression, view_obs, point_ids, actor, pose, cfg,
        rows=pair_rows(point_ids, mouth_corner_pairs()), row_weight=cfg.corner_readout_weight,
        channels=solved, prior=prior_scale(actor, cfg)[solved], axes=IMAGE_PLANE_AXES,
    )  # fmt: skip
    out = np.array(expression, dtype=np.float64, copy=True)
    out[:, frowns] = np.minimum(read[:, frowns], expression[:, frowns])
    return out
