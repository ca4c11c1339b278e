"""The fitter's settings, one frozen dataclass with every default and its reason."""

from __future__ import annotations

import dataclasses

__all__ = ["FitConfig"]


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Fitting settings (defaults documented with their reasons).

    Attributes:
        depth_weight: weight of the detector's relative depth against image x, y. At 1 the cost is isotropic,
            so the fit is exactly equivariant to head rotation: a re-posed face refits to the same expression
            (cycle consistency). Lower values trust a coarse depth less, at the price of that equivariance.
        use_depth: False for 2D-only detectors: the depth of each point is then completed from the fitted model
            at every pose iteration (weak perspective), starting from the frontal neutral's depth.
        eye_mouth_weight: landmark weight of eye, iris and lip points (paper: 1.5).
        other_weight: landmark weight of the other points (paper: 1.0).
        outline_weight: landmark weight of the face-outline points, which slide along the silhouette.
        local_dynamic_weight: weight of each eyelid / lip pair-distance term (Local Dynamic Loss).
        brow_pair_weight: weight of each brow-point-to-inner-eye-corner difference row (:mod:`.residual_rows`),
            the plain points' weight; video only (a still has no rest to measure brows from: see
            :func:`~.clip_fit.fit_clip`). With them d3's surprise reads brows up +0.22 in video (+0.14 without),
            its frowns +0.26 / +0.51 (+0.03 / +0.24); the tuning people's eye figures do not change.
        brow_readout_weight: weight of each brow pair row when the five brow channels are re-solved from the
            pairs alone after the joint fit (:mod:`.brow_readout`), against the joint fit's priors; 0 turns the
            readout off. Video only, like the pairs (off where ``brow_pair_weight`` is 0).
        brow_readout_sparsity_scale: multiplier of the L1 prior alone in the brow readout (the L2 prior stays).
            At 1 the brows read 0.19-0.26 short even on exact synthetic clips of the engine's face (20 pair rows
            against a term that holds every weight back by the same amount); at 0.5, 0.07-0.17
            (``tests/benchmarks/bench_synthetic_recovery.py``, chosen there). In video held-out d9's raises then read
            +0.52 to +0.56 (+0.47 to +0.52 at 1) and the furious talkers' frowns +0.09 to +0.29 (+0.05 to +0.19);
            a held-out pcavs talker's strongly lowered left brow reads 1 on 6.4 % of its frames (looked at: it is).
        gaze_readout_weight: weight of each iris point when the eight eye-look channels are re-solved from the
            iris points' model-frame x, y after the joint fit (:mod:`.gaze_readout`); 0 turns the readout off.
            Four times the joint fit's iris weight (``eye_mouth_weight``), chosen on a synthetic glance and the
            tuning clips: ten iris rows weigh little against the priors, so at 1.5 a 9 deg glance read 2 deg; at 6 it
            reads 7, and on clips without side glances gaze moves frame to frame about as much as in the joint fit.
            Video only, like the brows' readout (a clip with a rest: see :func:`~.clip_fit.fit_clip`).
        lid_readout_weight: weight of each eyelid pair row when the two blink channels are re-solved from the
            pairs' model-frame x, y after the joint fit (:mod:`.lid_readout`); 0 turns the readout off. Stills and
            video. Chosen on the tuning clips' labelled eyes (d3, d10, d18; closed eyes reading >= 0.8 / open eyes
            < 0.3, in video and as photos): at 1, 97.1 % / 100 % both ways; at 3, 98.0 % / 100 %; at 4 (the joint
            fit's pair weight) one open eye of 170 reads 0.3 or more in video; at 10, 99.0 % / 99.4 % in video.
        corner_readout_weight: weight of each mouth-corner pair row when the two frowns are solved again from the
            corners against the lips' middle, model-frame x, y (:mod:`.corner_readout`), a reading that can only
            lower the joint fit's; 0 turns it off. Stills and video. The Local Dynamic Loss's pair weight, chosen on
            the tuning clips' frames reading a frown (d10, d18, d3): at 12 the pressed and twisted mouths kept
            0.06-0.11 more of it, d18's closed pout 0.13-0.14 more.
        opposed_pair_penalty: how dear two opposed shapes are together (:data:`~.frame_fit.OPPOSED_SHAPES`, a
            motion's two directions): the joint fit pays this x sqrt(H_aa H_bb) x w_a x w_b, H its data Hessian.
            0: free to combine. MouthLeft and MouthRight at once lift the corners 0.6 cm and narrow the mouth
            1.9 cm, which with MouthFrown pushing the corners back down made the fit's "oo" (d10, d12: the pair
            0.3 each on 5-13 % of frames, frowns 0.5-1.0 there); d18's screams read the lower lip rolled in, pulled
            down and rolled out at once (LipsLowerClose 0.56, LipsLowerDown 0.63, LipsLowerOpen 0.96). 0.5 and 1
            read the tuning clips alike (chosen on d10 and d18; 0.1 left half the effect). Tried, not kept: the
            same in the identity fit's keyframe expressions (d18 and edtalk's Obama then got the held-rest notice,
            frames reading a frown >= 0.5 in styled talking 2.6 -> 3.0 %).
        expression_prior: L2 penalty per unit weight squared, in the data term's units (cm^2 x landmark weight).
        expression_sparsity: L1 penalty per unit weight (weights are >= 0, so a linear term): prefers few
            active shapes, each meaning what its name says, over cancelling combinations.
        prior_scale: per-channel multipliers of both expression priors. The blinks are measured directly by
            the eyelid pairs (and corrected by ELAM), so they are barely regularised: closed eyes close fully.
            The brows move about 20 landmarks by a few millimetres, so at the full prior a brow raise the
            detector shows is held at zero by the sparsity term; at half it reads (chosen on the tuning
            people's surprises, frowns and rest frames: tests/data/expression_labels.toml).
        lid_shape_prior_scale: multiplier of both priors of the lid shapes (:data:`~.frame_fit.LID_SHAPES`: EyeSquint
            and EyeOpen), in video only. They move only the lids, by a few millimetres, so at the full prior they
            read 0.56 and 0.43 short of their truth on exact synthetic clips of the engine's own face (the sparsity
            term's dead zone); at 0.3, 0.20 and 0.16 (chosen there: 0.5 leaves 0.3, 0.2 starts reading them where
            they are not). On real clips a surprise's wide eyes then read EyeOpen (d3 0.87) and a frown's narrowed
            eyes part squint. A still has no rest to tell wide-set eyes from eyes opened wide (as with the brows),
            and at 0.3 neutral photos read EyeOpen up to 1 (d10; 0.43 at most at the full prior), so
            :func:`~.clip_fit.fit_clip` sets it to 1 there.
        brow_falloff_cm: width of the fade of the brow shapes away from the brow points
            (:mod:`.detected_shapes`). 1.5 cm matches what the detector does on real faces: on the tuning people's
            brow raises (d3, d10) the points 0.5-1.5 cm from the brows move 0.31-0.52 (mean 0.43) of the brow
            points' rise, ICT's scanned shapes 0.66, these faded ones 0.41.
        jaw_depth_gain: share of JawOpen's scanned depth motion the fit expects from the detector
            (:mod:`.detected_shapes`): 0.36-0.49 measured (renders 0.46, d18's scream 0.36 and 0.49).
        open_eye_blink_prior_scale: the blinks' prior multiplier on frames whose image says the eye is open
            (P(closed) = 0); it falls linearly to the ``prior_scale`` value at P(closed) = 1, so a narrowing
            eye the image still sees open reads as squint rather than as a half blink.
        closed_eye_gaze_prior_scale: an eye's gaze shapes cost ``1 + this x P(closed)`` times their prior: behind a
            closed lid the iris points carry no gaze, and an eyeLook shape's lid motion must not take the blink's.
        open_mouth_shrug_prior_scale: ChinUpperRaise costs ``1 + this x opening`` times its prior, the opening being
            how far the inner lips are apart beyond the actor's rest (cm, observed, model frame). The shape is ICT's
            mouthShrugUpper, the upper lip pushed up by the raised lower lip, lips together; on an open mouth the
            upper lip's rise is LipsUpperUp's. At 0 d18's screams (the upper lip's centre up 1.2 cm, LipsUpperUp
            at 1 lifts it 0.8) read ChinUpperRaise 1 and LipsUpperUp 0.66; at 1, 0.42-0.46 and 0.87; at 3,
            ChinUpperRaise 0 and LipsUpperUp pinned at 1 (chosen on d18).
        identity_prior: penalty per identity coefficient squared, in units of its prior standard deviation
            (the model's ``identity_stddev``; ICT's modes are N(0, 1)). Paid once per clip, while expression pays
            per keyframe, so a constant offset from the generic face goes to identity.
        identity_keyframes: frames used to estimate identity.
        identity_iterations: pose / expression / identity alternations.
        identity_expression_prior_scale: multiplier of the expression priors while identity is estimated.
        bias_iterations: re-estimations of the detector's landmark bias (:func:`~.actor.fit_landmark_bias`).
        baseline_calm_share: share of the clip's calmest frames whose median is the actor's rest
            (:func:`~.actor.expression_baseline`).
        baseline_keyframes: frames spread over the clip used to find the rest levels. At 64 the calmest share was
            6 frames, whose median moved by up to 0.1 when one frame's reading changed a little (d10 tracked in one
            piece and in two parts, once the yaw drift was removed: rests 0.10 apart, takes 0.26); at 128 (13 calm
            frames) the rests agree within 0.004, the takes within 0.034 (256: 0.004 and 0.031, at five times the
            extra time).
        held_rest_cap: how much of a brow, smile or frown channel (:data:`~.actor.HELD_EXPRESSIONS`) an estimated
            rest may fold in. Actors' rests differ from their fitted identity by at most 0.13 on these channels in
            the tuning clips (d0, d3, d10, d18) when the landmark bias may hold them, so a rest reading more is
            taken as an expression held through the clip, not a face's shape, and the take reads the excess
            (:func:`~.actor.rest_absorbed`). Since the bias holds none of them (:func:`~.actor.fit_landmark_bias`)
            the tuning rests read up to 0.16 (d0's MouthFrown_R, d3's brows 0.14), d18's low, heavy brows BrowsD_L
            0.28 (its take then reads BrowsD_L 0.06 on average, 0.01 before); kept at 0.15, which a held frown
            needs more than d18 needs the rest.
        baseline_min_frames: clips shorter than this (and stills) get no landmark bias and no rest estimate: their
            weights are measured from the identity's neutral.
        pose_iterations: pose / expression alternations per frame (a final pose update always follows).
        rigid_weight: pose weight of the rigid points; ``nonrigid_pose_weight`` for the rest.
        solve_batch_frames: frames solved together as one vectorised batch (bounds the float64 work arrays; not
            the streaming blocks of a long take, `--chunk-frames`).
        focal_px_per_width: assumed focal length as a multiple of the image width (~50 deg horizontal FOV).
    """

    depth_weight: float = 1.0
    use_depth: bool = True
    eye_mouth_weight: float = 1.5
    other_weight: float = 1.0
    outline_weight: float = 0.3
    local_dynamic_weight: float = 4.0
    brow_pair_weight: float = 1.0
    brow_readout_weight: float = 1.0
    brow_readout_sparsity_scale: float = 0.5
    gaze_readout_weight: float = 6.0
    lid_readout_weight: float = 3.0
    corner_readout_weight: float = 4.0
    opposed_pair_penalty: float = 0.5
    expression_prior: float = 0.3
    expression_sparsity: float = 1.0
    prior_scale: tuple[tuple[str, float], ...] = (
        ("EyeBlink_L", 0.1),
        ("EyeBlink_R", 0.1),
        ("BrowsD_L", 0.5),
        ("BrowsD_R", 0.5),
        ("BrowsU_C", 0.5),
        ("BrowsU_L", 0.5),
        ("BrowsU_R", 0.5),
    )
    lid_shape_prior_scale: float = 0.3
    brow_falloff_cm: float = 1.5
    jaw_depth_gain: float = 0.45
    open_eye_blink_prior_scale: float = 3.0
    closed_eye_gaze_prior_scale: float = 30.0
    open_mouth_shrug_prior_scale: float = 1.0
    identity_prior: float = 3.0
    identity_keyframes: int = 24
    identity_iterations: int = 4
    identity_expression_prior_scale: float = 1.0
    bias_iterations: int = 3
    baseline_calm_share: float = 0.1
    baseline_keyframes: int = 128
    held_rest_cap: float = 0.15
    baseline_min_frames: int = 30
    pose_iterations: int = 1
    rigid_weight: float = 1.0
    nonrigid_pose_weight: float = 0.02
    solve_batch_frames: int = 256
    focal_px_per_width: float = 1.1
