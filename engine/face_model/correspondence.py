"""Where each tracking landmark lies on the scan-based head, learned by running the detector on renders of it.

MediaPipe Face Mesh's 478 points (468 mesh vertices + 10 iris points) are defined by what the detector does, not
by a published mesh, so their place on the ICT surface is measured: the ICT head is rendered
(:mod:`.head_render`) with many identities, expressions, gazes, small head turns and lightings; the detector runs
on each render; each detected 2D point is mapped back onto the surface under it (triangle + barycentric weights,
:mod:`.rasterize`); the surface points are carried to the generic neutral (same topology), averaged over the
renders, and projected back onto the neutral's surface. The result is one :class:`~.surface_points.SurfacePoints`
that every ICT shape (neutral, identity modes, expressions) carries to the landmarks.

Some points are only meaningful on part of the surface, and some renders only show them well:

- Upper / lower lip contour points map only to the upper / lower lip (vertices that stay / move with jawOpen); the
  inner lip contours are learned from open-mouth renders only: the detector follows the visible inner edge of each
  lip, which is a fixed point of the skin only while the lips are apart (on a closed mouth both contours sit on
  the seam). The model build closes the neutral's inner contours (:func:`close_inner_lips`).
- Upper / lower eyelid contour points map only to the upper lid (vertices that move with eyeBlink) / the rest, and
  are learned from renders whose eyes are open.
- Iris points map only to that eye's iris mesh; gaze rotates them with the eyeball.

The residual is reported on renders the correspondence was not built from (other identities, yaw up to
``holdout_max_yaw_deg``), in pixels and in centimetres, per landmark group, and separately on renders of eyeBlink,
jawOpen and mouthFunnel, where the lid and lip contours must follow the lids and lips.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from ..contract.take import MEDIAPIPE_POINT_COUNT
from ..errors import InputError
from ..eyes.eye_topology import iris_points
from .head_render import HeadAlbedo, HeadRender, RenderSetup, head_albedo, render_head
from .ict_facekit import IctFaceKit
from .surface_points import SurfacePoints, closest_points_on_triangles

__all__ = [
    "CorrespondenceConfig",
    "CorrespondenceResult",
    "LandmarkGroups",
    "build_correspondence",
    "close_inner_lips",
    "holdout_setups",
    "landmark_groups",
    "locate_on_render",
    "project_to_surface",
    "training_setups",
]

NUM_POINTS = MEDIAPIPE_POINT_COUNT  # MediaPipe Face Mesh with refine_landmarks: 468 mesh vertices + 10 iris points
JAW_MOVING_CM = 1.2  # a face vertex that moves more than this with jawOpen belongs to the lower lip / jaw
LID_MOVING_CM = 0.4  # a face vertex that moves more than this with eyeBlink belongs to the upper lid
CLOSEST_CANDIDATES = 24  # triangles tried per point when projecting onto the surface
# Expression shapes drawn at random for the training renders, with the largest weight used.
TRAINING_SHAPES = (
    ("browDown", 0.8), ("browInnerUp", 0.8), ("browOuterUp", 0.8), ("cheekPuff", 0.6), ("cheekSquint", 0.8),
    ("eyeSquint", 0.6), ("eyeWide", 0.8), ("jawForward", 0.6), ("jawLeft", 0.6), ("jawRight", 0.6),
    ("jawOpen", 0.7), ("mouthClose", 0.3), ("mouthDimple", 0.8), ("mouthFrown", 0.8), ("mouthFunnel", 0.8),
    ("mouthLeft", 0.6), ("mouthRight", 0.6), ("mouthLowerDown", 0.8), ("mouthPress", 0.8), ("mouthPucker", 0.8),
    ("mouthRollLower", 0.6), ("mouthRollUpper", 0.6), ("mouthShrugLower", 0.8), ("mouthShrugUpper", 0.8),
    ("mouthSmile", 0.9), ("mouthStretch", 0.8), ("mouthUpperUp", 0.8), ("noseSneer", 0.8), ("eyeBlink", 1.0),
)  # fmt: skip
REST_GAZE_SHARE = 0.5  # renders whose eyes look straight ahead (they alone teach the lid and iris points)
EYE_SHAPES = ("eyeBlink", "eyeSquint", "eyeWide", "cheekSquint")  # ICT shapes that move the lids
IRIS_COLORS = ((0.3, 0.2, 0.12), (0.18, 0.12, 0.08), (0.25, 0.35, 0.5), (0.3, 0.38, 0.25), (0.42, 0.33, 0.2))
GROUP_NAMES = ("face", "upper_lip", "lower_lip", "upper_lid_left", "lower_lid_left", "upper_lid_right",
               "lower_lid_right", "iris_left", "iris_right")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class CorrespondenceConfig:
    """How the correspondence is built and checked.

    Attributes:
        training_renders: renders the correspondence is averaged over.
        training_identities: distinct random identities among them.
        holdout_renders: renders of other identities, for the residual report.
        identity_stddev: identity coefficients are drawn N(0, this^2) (ICT's modes are scaled to N(0, 1)).
        max_yaw_deg, max_pitch_deg, max_roll_deg: training head turns, uniform in +-.
        holdout_max_yaw_deg: the report's renders turn up to this.
        open_mouth_jaw: renders with at least this jawOpen (or a funnel) teach the inner lip contours.
        open_eye_blink: renders with at most this eyeBlink or eyeSquint teach the lid contours.
        seed: random seed (the build is deterministic).
    """

    training_renders: int = 240
    training_identities: int = 24
    holdout_renders: int = 48
    identity_stddev: float = 0.8
    max_yaw_deg: float = 20.0
    max_pitch_deg: float = 12.0
    max_roll_deg: float = 8.0
    holdout_max_yaw_deg: float = 30.0
    open_mouth_jaw: float = 0.25
    open_eye_blink: float = 0.2
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class LandmarkGroups:
    """Which part of the surface each landmark may map to, and when it is learned.

    Attributes:
        group: ``(478,)`` int index into :data:`GROUP_NAMES`.
        inner_lip: ``(478,)`` bool: the inner lip contours (learned from open-mouth renders only).
        lid: ``(478,)`` bool: learned from open-eye renders only.
        outline: ``(478,)`` bool: face-outline points (they slide along the silhouette; reported apart).
        iris: ``(478,)`` bool: the 10 iris points.
        allowed_vertices: per group, ``(V,)`` bool mask of the ICT vertices the group may map to.
    """

    group: np.ndarray
    inner_lip: np.ndarray
    lid: np.ndarray
    outline: np.ndarray
    iris: np.ndarray
    allowed_vertices: tuple[np.ndarray, ...]


@dataclasses.dataclass(frozen=True)
class CorrespondenceResult:
    """The built correspondence and its report.

    Attributes:
        points: the 478 landmarks on the ICT surface.
        report: JSON-able dict: counts, and the held-out residuals (pixels, cm) per group and per check render.
    """

    points: SurfacePoints
    report: dict


def landmark_groups(ict: IctFaceKit, regions) -> LandmarkGroups:
    """Assign each landmark its surface group from the tracking topology's named contours.

    Args:
        regions: :class:`~.regions.FaceRegions` of the MediaPipe topology (eye and lip contours, corners excluded).
    """
    v = len(ict.neutral)
    part = ict.part_of_vertex()
    from .ict_facekit import ICT_PARTS

    names = list(ICT_PARTS)
    face = np.isin(part, [names.index("face"), names.index("head_neck")])
    jaw = np.linalg.norm(ict.expression("jawOpen"), axis=1) > JAW_MOVING_CM
    allowed = [face, face & ~jaw, face & jaw]
    for tag in ("L", "R"):
        lid = np.linalg.norm(ict.expression(f"eyeBlink_{tag}"), axis=1) > LID_MOVING_CM
        allowed += [face & lid, face & ~lid]
    for side in ("left", "right"):
        iris = np.zeros(v, bool)
        iris[ict.part(f"iris_{side}")] = True
        allowed.append(iris)
    group = np.zeros(NUM_POINTS, np.int64)
    inner_lip = np.zeros(NUM_POINTS, bool)
    lid_points = np.zeros(NUM_POINTS, bool)
    group[regions.lip_upper_outer] = group[regions.lip_upper_inner] = GROUP_NAMES.index("upper_lip")
    group[regions.lip_lower_outer] = group[regions.lip_lower_inner] = GROUP_NAMES.index("lower_lip")
    inner_lip[regions.lip_upper_inner] = inner_lip[regions.lip_lower_inner] = True
    for side in ("left", "right"):
        group[regions.eye_upper[side]] = GROUP_NAMES.index(f"upper_lid_{side}")
        group[regions.eye_lower[side]] = GROUP_NAMES.index(f"lower_lid_{side}")
        lid_points[regions.eye_upper[side]] = lid_points[regions.eye_lower[side]] = True
    for side in ("left", "right"):
        group[list(iris_points(side))] = GROUP_NAMES.index(f"iris_{side}")
    outline = np.zeros(NUM_POINTS, bool)
    outline[regions.face_oval] = True
    iris = np.zeros(NUM_POINTS, bool)
    iris[[*iris_points("left"), *iris_points("right")]] = True
    return LandmarkGroups(group, inner_lip, lid_points, outline, iris, tuple(allowed))


def close_inner_lips(neutral: np.ndarray, regions) -> np.ndarray:
    """``(478, 3)`` the neutral with each upper / lower inner lip pair moved vertically to their mean height.

    The inner contours' surface points are learned from open mouths, where the detector follows each lip's visible
    inner edge; on the closed generic neutral those points sit a little apart (~0.15 cm), while the detector puts
    both contours on the seam. Closing them in the neutral makes a closed mouth read closed.
    """
    out = np.array(neutral, dtype=np.float32, copy=True)
    for upper, lower in zip(regions.lip_upper_inner, regions.lip_lower_inner, strict=True):
        out[upper, 1] = out[lower, 1] = 0.5 * (out[upper, 1] + out[lower, 1])
    return out


def _random_expression(rng: np.random.Generator, ict: IctFaceKit) -> tuple[tuple[str, float], ...]:
    count = rng.choice([0, 1, 2, 3], p=[0.2, 0.35, 0.3, 0.15])
    out: dict[str, float] = {}
    for i in rng.choice(len(TRAINING_SHAPES), size=count, replace=False):
        base, top = TRAINING_SHAPES[i]
        weight = float(rng.uniform(0.2, top))
        if base in ict.expression_names:
            out[base] = weight
        elif rng.random() < 0.7:  # both sides together, most of the time
            out[f"{base}_L"] = out[f"{base}_R"] = weight
        else:
            out[f"{base}_{rng.choice(['L', 'R'])}"] = weight
    for a, b in (("jawLeft", "jawRight"), ("mouthLeft", "mouthRight")):
        if a in out and b in out:
            del out[b]
    return tuple(sorted(out.items()))


def _random_look(rng: np.random.Generator, setup: RenderSetup, max_yaw: float) -> RenderSetup:
    skin = np.array([0.78, 0.6, 0.5]) * rng.uniform(0.55, 1.1) + rng.normal(0, 0.03, 3)
    gaze_yaw, gaze_pitch = rng.uniform(-0.35, 0.35), rng.uniform(-0.25, 0.25)
    if rng.random() < REST_GAZE_SHARE:
        gaze_yaw = gaze_pitch = 0.0
    return dataclasses.replace(
        setup,
        gaze=((gaze_yaw, gaze_pitch), (gaze_yaw, gaze_pitch)),
        yaw_deg=float(rng.uniform(-max_yaw, max_yaw)),
        skin_rgb=tuple(np.clip(skin, 0.05, 1.0)),
        lip_rgb=tuple(np.clip(skin * [0.85, 0.6, 0.7], 0.02, 1.0)),
        brow_rgb=tuple(np.clip(rng.uniform(0.05, 0.35) * np.array([1.0, 0.8, 0.65]), 0, 1)),
        iris_rgb=IRIS_COLORS[rng.integers(len(IRIS_COLORS))],
        background_rgb=tuple(rng.uniform(0.15, 0.85, 3)),
        light_dir=(float(rng.uniform(-0.6, 0.6)), float(rng.uniform(-0.2, 0.8)), 1.0),
        ambient=float(rng.uniform(0.25, 0.5)),
        distance_cm=float(rng.uniform(60, 95)),  # the whole face stays in the 512 px frame, an open jaw too
        offset_px=(float(rng.uniform(-30, 30)), float(rng.uniform(-10, 20))),
    )


def training_setups(ict: IctFaceKit, cfg: CorrespondenceConfig) -> list[RenderSetup]:
    """The renders the correspondence is built from (identities drawn from ``cfg.seed``)."""
    rng = np.random.default_rng(cfg.seed)
    identities = rng.normal(0.0, cfg.identity_stddev, (cfg.training_identities, ict.identity_deltas.shape[0]))
    identities[0] = 0.0  # the generic neutral is one of them
    out = []
    for i in range(cfg.training_renders):
        setup = RenderSetup(
            identity=identities[i % cfg.training_identities],
            expression=_random_expression(rng, ict) if i >= cfg.training_identities else (),
            pitch_deg=float(rng.uniform(-cfg.max_pitch_deg, cfg.max_pitch_deg)),
            roll_deg=float(rng.uniform(-cfg.max_roll_deg, cfg.max_roll_deg)),
        )
        out.append(_random_look(rng, setup, cfg.max_yaw_deg))
    return out


def holdout_setups(ict: IctFaceKit, cfg: CorrespondenceConfig) -> list[tuple[str, RenderSetup]]:
    """``(label, setup)`` renders of identities not used for building: random ones and the check expressions."""
    rng = np.random.default_rng(cfg.seed + 1000)
    k = ict.identity_deltas.shape[0]
    out = []
    checks = (("eyeBlink", (("eyeBlink_L", 1.0), ("eyeBlink_R", 1.0))), ("jawOpen", (("jawOpen", 0.8),)),
              ("mouthFunnel", (("mouthFunnel", 1.0),)))  # fmt: skip
    for i in range(cfg.holdout_renders):
        identity = rng.normal(0.0, cfg.identity_stddev, k)
        label, expression = ("random", _random_expression(rng, ict))
        if i < 3 * len(checks):
            label, expression = checks[i % len(checks)]
        setup = RenderSetup(
            identity=identity,
            expression=expression,
            pitch_deg=float(rng.uniform(-cfg.max_pitch_deg, cfg.max_pitch_deg)),
            roll_deg=float(rng.uniform(-cfg.max_roll_deg, cfg.max_roll_deg)),
        )
        out.append((label, _random_look(rng, setup, cfg.holdout_max_yaw_deg)))
    return out


def _weights(setup: RenderSetup) -> dict[str, float]:
    return dict(setup.expression)


def _usable(groups: LandmarkGroups, setup: RenderSetup, cfg: CorrespondenceConfig) -> np.ndarray:
    """``(478,)`` bool: landmarks this render may teach.

    The inner lip contours are learned from open mouths (see the module docstring). The lid contours and the iris
    points are learned from eyes at rest only: looking straight ahead, no lid shape above ``cfg.open_eye_blink``.
    The detector couples its lids to the iris (its lids follow a turned eye) and keeps them apart on a closed eye,
    so other renders would move the rest placement, which is what gaze and blink are read against.
    """
    w = _weights(setup)
    ok = np.ones(NUM_POINTS, bool)
    if w.get("jawOpen", 0.0) < cfg.open_mouth_jaw and w.get("mouthFunnel", 0.0) < 2 * cfg.open_mouth_jaw:
        ok &= ~groups.inner_lip
    lid_shapes = max((v for k, v in w.items() if k.startswith(EYE_SHAPES)), default=0.0)
    if lid_shapes > cfg.open_eye_blink or np.any(np.asarray(setup.gaze) != 0.0):
        ok &= ~groups.lid & ~groups.iris
    return ok


def locate_on_render(
    ict: IctFaceKit, render: HeadRender, detected_px: np.ndarray, groups: LandmarkGroups
) -> tuple[np.ndarray, np.ndarray]:
    """Map detected 2D points onto the rendered surface, each within its group.

    Args:
        detected_px: ``(478, 2)`` float detector points, pixels.

    Returns:
        ``(triangle (478,) int64, bary (478, 3) float64)``: the ICT triangle under each point (the nearest covered
        pixel of an allowed triangle where the point itself falls elsewhere; -1 where none of the point's surface
        is visible) and the point's screen-space barycentric weights in it, clamped into the triangle.
    """
    from scipy.ndimage import distance_transform_edt

    h, w = render.raster.triangle.shape
    tri_map = render.raster.triangle
    covered = tri_map >= 0
    tri_out = np.zeros(NUM_POINTS, np.int64)
    bary_out = np.zeros((NUM_POINTS, 3))
    ix = np.clip(np.floor(detected_px).astype(int), [0, 0], [w - 1, h - 1])  # the pixel holding each point
    for g, allowed in enumerate(groups.allowed_vertices):
        members = np.flatnonzero(groups.group == g)
        if not len(members):
            continue
        ok_tri = allowed[ict.triangles].all(axis=1)
        mask = covered & ok_tri[np.where(covered, tri_map, 0)]
        if not mask.any():  # e.g. the iris behind a closed lid: this render does not teach these points
            tri_out[members] = -1
            continue
        _, (iy, jx) = distance_transform_edt(~mask, return_indices=True)
        py, px = iy[ix[members, 1], ix[members, 0]], jx[ix[members, 1], ix[members, 0]]
        tri = tri_map[py, px].astype(np.int64)
        corners = render.pixels[ict.triangles[tri]]  # (n, 3, 2)
        bary = _screen_bary(detected_px[members], corners)
        tri_out[members], bary_out[members] = tri, bary
    return tri_out, bary_out


def _screen_bary(points: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Barycentric weights of 2D points in 2D triangles, clamped into the triangle (closest point)."""
    p3 = np.c_[points, np.zeros(len(points))]
    c3 = np.concatenate([corners, np.zeros(corners.shape[:2] + (1,))], axis=2)[:, None]
    bary, _ = closest_points_on_triangles(p3, c3)
    return bary[:, 0]


def project_to_surface(ict: IctFaceKit, mesh: np.ndarray, points: np.ndarray, groups: LandmarkGroups) -> SurfacePoints:
    """The closest surface point of each landmark's allowed triangles on ``mesh`` ``(V, 3)``."""
    from scipy.spatial import cKDTree

    vertices = np.zeros((NUM_POINTS, 3), np.int64)
    bary = np.zeros((NUM_POINTS, 3))
    for g, allowed in enumerate(groups.allowed_vertices):
        members = np.flatnonzero(groups.group == g)
        if not len(members):
            continue
        tri = ict.triangles[allowed[ict.triangles].all(axis=1)]
        tree = cKDTree(mesh[tri].mean(axis=1))
        _, cand = tree.query(points[members], k=min(CLOSEST_CANDIDATES, len(tri)))
        b, d = closest_points_on_triangles(points[members], mesh[tri[cand]])
        best = np.argmin(d, axis=1)
        rows = np.arange(len(members))
        vertices[members] = tri[cand[rows, best]]
        bary[members] = b[rows, best]
    return SurfacePoints(vertices, bary)


def build_correspondence(
    ict: IctFaceKit,
    regions,
    mirror: np.ndarray,
    detect: Callable[[np.ndarray], np.ndarray | None],
    cfg: CorrespondenceConfig = CorrespondenceConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> CorrespondenceResult:
    """Build the landmark correspondence and report its held-out residual.

    The head is symmetric and the detector has no preferred side, so each point's place is averaged with its
    mirror partner's, mirrored.

    Args:
        regions: the tracking topology's named contours (:func:`landmark_groups`).
        mirror: ``(478,)`` the tracking topology's mirror permutation.
        detect: image (BGR uint8) -> ``(478, 2 or 3)`` detected pixels (and depth, unused here), or None when
            no face is found.
        progress: called with (done, total) renders.
    """
    albedo = head_albedo(ict)
    groups = landmark_groups(ict, regions)
    train, holdout = training_setups(ict, cfg), holdout_setups(ict, cfg)
    total = len(train) + len(holdout)
    on_neutral_all = np.full((len(train), NUM_POINTS, 3), np.nan)
    missed = 0
    for i, (render, detected) in enumerate(_detections(ict, albedo, train, detect)):
        if progress:
            progress(i + 1, total)
        if detected is None:
            missed += 1
            continue
        tri, bary = locate_on_render(ict, render, detected[:, :2], groups)
        on_neutral = np.einsum("pk,pkc->pc", bary, ict.neutral[ict.triangles[tri]])
        use = _usable(groups, train[i], cfg) & (tri >= 0)
        on_neutral_all[i, use] = on_neutral[use]
    counts = np.isfinite(on_neutral_all[..., 0]).sum(axis=0)
    if (counts == 0).any():
        missing = np.flatnonzero(counts == 0).tolist()
        raise InputError(
            f"{len(missing)} landmarks were never detected on the {len(train)} renders (e.g. {missing[:6]}): build "
            f"with more renders (--renders; the default is {CorrespondenceConfig.training_renders})"
        )
    # The coordinate-wise median: a render where the detector misplaces a point does not pull it.
    median = np.nanmedian(on_neutral_all, axis=0)
    symmetric = 0.5 * (median + median[mirror] * np.array([-1.0, 1.0, 1.0]))
    points = project_to_surface(ict, ict.neutral, symmetric, groups)
    report = {
        "training_renders": len(train),
        "training_renders_without_face": missed,
        "holdout": _holdout_report(ict, albedo, holdout, points, groups, detect, progress, len(train), total),
    }
    return CorrespondenceResult(points, report)


def _detections(
    ict: IctFaceKit, albedo: HeadAlbedo, setups: list[RenderSetup], detect
) -> Iterator[tuple[HeadRender, np.ndarray | None]]:
    for setup in setups:
        render = render_head(ict, albedo, setup)
        yield render, detect(render.image_bgr)


def _holdout_report(ict, albedo, holdout, points: SurfacePoints, groups, detect, progress, done, total) -> dict:
    errors_px: dict[str, list[np.ndarray]] = {}
    errors_cm: dict[str, list[np.ndarray]] = {}
    missed = 0
    setups = [s for _, s in holdout]
    for i, (render, detected) in enumerate(_detections(ict, albedo, setups, detect)):
        if progress:
            progress(done + i + 1, total)
        if detected is None:
            missed += 1
            continue
        label = holdout[i][0]
        model_px, depth = _project(points, render, setups[i])
        err = np.linalg.norm(model_px - detected[:, :2], axis=1)
        cm_per_px = depth / setups[i].focal_px
        for g, name in enumerate((*GROUP_NAMES, "outline")):
            sel = groups.outline if name == "outline" else (groups.group == g) & ~groups.outline
            if label != "random" and name in ("face", "outline", "iris_left", "iris_right"):
                continue
            if (
                name.startswith("iris")
                and max(_weights(setups[i]).get(b, 0.0) for b in ("eyeBlink_L", "eyeBlink_R")) > 0.5
            ):
                continue  # the iris is behind a closing lid
            errors_px.setdefault(f"{label}/{name}", []).append(err[sel])
            errors_cm.setdefault(f"{label}/{name}", []).append(err[sel] * cm_per_px[sel])
    summary = {}
    for key in sorted(errors_px):
        px, cm = np.concatenate(errors_px[key]), np.concatenate(errors_cm[key])
        summary[key] = {"mean_px": round(float(px.mean()), 2), "p90_px": round(float(np.percentile(px, 90)), 2),
                        "mean_cm": round(float(cm.mean()), 3)}  # fmt: skip
    return {"renders": len(holdout), "renders_without_face": missed, "residual": summary}


def _project(points: SurfacePoints, render: HeadRender, setup: RenderSetup) -> tuple[np.ndarray, np.ndarray]:
    """``(478, 2)`` pixels and ``(478,)`` depth of the landmarks on a render's posed head."""
    p = points.evaluate(render.vertices) @ render.rotation.T
    depth = setup.distance_cm - p[:, 2]
    w, h = setup.size
    px = np.stack(
        [w / 2 + setup.offset_px[0] + setup.focal_px * p[:, 0] / depth,
         h / 2 + setup.offset_px[1] - setup.focal_px * p[:, 1] / depth], axis=1)  # fmt: skip
    return px, depth
