"""How the landmark detector sees each of the 46 expressions, measured on renders (a diagnostic).

A landmark detector does not follow every skin motion: MediaPipe Face Mesh regresses a smooth mesh, so on renders
of ICT's scans its points move, for a full smile, about two thirds of the way the skin does, for a pucker (a
forward motion) hardly at all. This measures it: each FaceWarehouse expression is rendered at weight 1 and at rest
on several identities and head turns (:mod:`.head_render`), both renders are detected, each detection is brought
into the model frame by the same rigid-point alignment the fitter uses, and the difference (expression minus
rest), averaged over the renders, is compared with the geometric delta at the landmarks. The gain (1 = the
detector follows the skin fully) explains the per-channel figures of ``tests/benchmarks/bench_expression_recovery.py``,
which prints it with ``--gains``. The fitter uses the geometric shapes, but for the brows' locality (measured on real
clips) and JawOpen's depth (on renders and a real clip): :mod:`engine.fitting.detected_shapes`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..face_model.head_render import HeadAlbedo, RenderSetup, render_head
from ..face_model.ict_facekit import IctFaceKit
from ..face_model.surface_points import SurfacePoints
from .detection_frame import detection_in_model_frame

__all__ = ["DetectorResponseConfig", "GEOMETRIC_SHAPES", "measure_detector_response"]

GEOMETRIC_SHAPES = ("EyeBlink_L", "EyeBlink_R")  # not measured: ELAM, not the detector, closes the lids


@dataclasses.dataclass(frozen=True)
class DetectorResponseConfig:
    """How the response is measured.

    Attributes:
        identities: random identities (N(0, identity_stddev^2) per ICT mode) per expression.
        yaws_deg: head turns each identity is rendered at.
        identity_stddev: spread of the identities.
        seed: random seed (distinct from the correspondence's).
    """

    identities: int = 3
    yaws_deg: tuple[float, ...] = (-15.0, 15.0)
    identity_stddev: float = 0.8
    seed: int = 2000


def measure_detector_response(
    ict: IctFaceKit,
    albedo: HeadAlbedo,
    points: SurfacePoints,
    deltas: np.ndarray,
    names: tuple[str, ...],
    pose_weights: np.ndarray,
    detect: Callable[[np.ndarray], np.ndarray | None],
    cfg: DetectorResponseConfig = DetectorResponseConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """The expressions at the landmarks as the detector reports them, and its gain per expression.

    Args:
        points: the landmarks on the ICT surface (:mod:`.correspondence`).
        deltas: ``(46, V, 3)`` the expressions on the whole head, cm at weight 1.
        names: their names. pose_weights: ``(478,)`` the fitter's head-pose weight per landmark.
        detect: image (BGR uint8) -> ``(478, 3)`` pixels x, y and relative depth (larger = farther), or None.

    Returns:
        ``(basis (46, 478, 3) float32 cm, report)``: the report gives, per expression, the detector's gain along
        the geometric delta (1 = it follows the skin fully).
    """
    rng = np.random.default_rng(cfg.seed)
    identities = rng.normal(0.0, cfg.identity_stddev, (cfg.identities, ict.identity_deltas.shape[0]))
    geometric = points.evaluate(deltas)
    basis = geometric.astype(np.float64).copy()
    gains = {}
    total = len(names) * cfg.identities * len(cfg.yaws_deg)
    done = 0
    rest_cache: dict[tuple[int, float], np.ndarray | None] = {}
    for e, name in enumerate(names):
        samples = []
        for i, identity in enumerate(identities):
            truth_rest = points.evaluate(ict.neutral + np.tensordot(identity, ict.identity_deltas, 1))
            for yaw in cfg.yaws_deg:
                done += 1
                if progress:
                    progress(done, total)
                if name in GEOMETRIC_SHAPES:
                    continue
                key = (i, yaw)
                if key not in rest_cache:
                    rest_cache[key] = detect(
                        render_head(ict, albedo, RenderSetup(identity=identity, yaw_deg=yaw)).image_bgr
                    )
                rest = rest_cache[key]
                moved = detect(
                    render_head(ict, albedo, RenderSetup(identity=identity, yaw_deg=yaw, delta=deltas[e])).image_bgr
                )
                if rest is None or moved is None:
                    continue
                a, _ = detection_in_model_frame(rest, truth_rest, pose_weights)
                b, _ = detection_in_model_frame(moved, truth_rest + geometric[e], pose_weights)
                samples.append(b - a)
        if samples:
            basis[e] = np.mean(samples, axis=0)
        g = geometric[e].astype(np.float64)
        gains[name] = round(float((basis[e] * g).sum() / max((g * g).sum(), 1e-12)), 3)
    return basis.astype(np.float32), {"detector_gain": gains}
