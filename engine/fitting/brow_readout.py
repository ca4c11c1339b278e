"""The brows read against the eyes: the five brow channels re-solved from the brow pairs alone, after the fit.

The joint fit (:mod:`.frame_fit`) reads a brow raise from every row the brow shapes touch: the brow points, the
skin rings below them, the forehead, in a head pose aligned on the forehead. MediaPipe Face Mesh moves those
neighbours differently from person to person (pose-free, the ring 0.5-1 cm below the brows rises 0.45-0.59 of the
brows' rise on held-out d9, 0.61-0.75 on the tuning people's raises, 0.66 in the fitted shapes) and lifts the
forehead with the brows, so the joint fit reads about half of a raise the brows show against the eyes: d9's left
brow rises 0.72 cm above its inner eye corner, which ICT's raise shapes alone fit at BrowsU_C 0.89, BrowsU_L 0.72
(experiments; README, "Known limits"; ``tests/benchmarks/bench_brow_rise.py``).

So, like the eyes' readout (:mod:`.eye_readout`), the brows are read once more from their own evidence: with
every other channel fixed at its fitted weight, the five brow channels are solved again from the brow pairs
(:func:`~.residual_rows.brow_pairs`: each brow point minus its eye's inner corner, all three axes, so the cost
stays isotropic and a re-posed face reads the same) under the same priors and bounds as the joint fit. A pair is
blind to the pose's position, and the rows the brows share with other shapes no longer hold them back. In video
d9's raises read +0.47 to +0.52 with it, +0.38 to +0.45 without (``tests/benchmarks/bench_expression_stills.py
--video``); what still holds them is the priors, which 20 pair rows outweigh less than the joint fit's rows do.

Video only: a still has no rest to measure a brow against, and its low- or high-set brows would read as a frown
or a raise (:func:`~.clip_fit.fit_clip` turns the brow pairs, and with them this readout, off for stills).

Tried to read more of a raise, not kept (measured on the tuning people, d9 and the saturation clips):

- the readout's pairs weighed 2 or 3 times: +0.03 to +0.05 on raises, but d0's frame-to-frame brow change +50 to
  +90 % and d10's frames with a brow channel at 0.95 or more 18 % -> 27 to 33 %;
- the L1 prior released on strong readings (each channel's cost times max(0, 1 - w / 0.4), solved again): d9 +0.54
  to +0.59, but a held-out pcavs talker's brows pinned at 1 on 7.7 % of its frames; in the joint fit too, held-out
  styled talking saturated on 16.2 % of frames (6.3 %);
- the readout's priors at 0.3: d9 0.62-0.65, but d10's saturated frames 22.5 -> 35.3 %, d3's 0.3 -> 3.4 %;
- the brows' prior at a fifth in the joint fit: +0.45 to +0.51, talking brows 50 to 75 % noisier; the pairs alone,
  without the plain brow rows: +0.40 to +0.45;
- the head pose aligned on the eye corners and nose bridge: +0.47, but held-out smiles fell (d19 0.84 -> 0.63) and
  surprises read brows down; the forehead left out of the pose, or more pose iterations: +0.05 at most each; the
  raise shapes moving the forehead as MediaPipe does, with three pose iterations: +0.50 to +0.56, but 17 % of
  held-out d19's frames saturated (2.8 %);
- the brow's own image patch as a cue: it tracks d3, d9 and d10 but fails on edtalk's low-resolution clip, and as
  MediaPipe already reports about 0.8 of the image's rise it could add a quarter at most;
- on stills, the pairs on with the brows' rest set 0.15-0.25 cm lower (where d3's and d18's neutral photos sit below
  their fitted identity): +0.04 to +0.16 on raises, but neutral photos read brows down 0.2-0.3 (d18, d19) or up
  0.07-0.17 (d0, d9).
"""

from __future__ import annotations

import numpy as np

from ..face_model.model import FaceModel
from .channel_readout import readout_channels
from .detected_shapes import BROW_SHAPES
from .fit_config import FitConfig
from .frame_fit import prior_scale
from .head_pose import HeadPose
from .residual_rows import brow_pairs, pair_rows

__all__ = ["brows_from_pairs"]


def brows_from_pairs(
    expression: np.ndarray,
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    actor: FaceModel,
    pose: HeadPose,
    cfg: FitConfig,
) -> np.ndarray:
    """The fitted weights with the brow channels re-solved from the brow pairs.

    Args:
        expression: ``(T, 46)`` weights from :func:`~.frame_fit.fit_frames` (blinks not yet re-expressed).
        view_obs: ``(T, J, 3)`` VIEW-frame observations of the same frames (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        actor: the actor's model (:func:`~.actor.actor_model`: its neutral is the actor's rest).
        pose: the fitted head pose of the T frames.
        cfg: fitting settings; the pairs weigh ``cfg.brow_readout_weight``.

    Returns:
        ``(T, 46)`` float64 copy: BrowsD_L/_R and BrowsU_C/_L/_R re-solved in [0, 1]; every other channel as given.
    """
    brow = [actor.expression_names.index(n) for n in BROW_SHAPES]
    return readout_channels(
        expression, view_obs, point_ids, actor, pose, cfg,
        rows=pair_rows(point_ids, brow_pairs(actor)), row_weight=cfg.brow_readout_weight,
        channels=brow, prior=prior_scale(actor, cfg)[brow], sparsity_scale=cfg.brow_readout_sparsity_scale,
    )  # fmt: skip
