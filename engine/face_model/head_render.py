"""Render the scan-based head as a photo-like image, so the landmark detector can be run on it.

The ICT head has geometry but no texture, so each vertex gets a colour from its part and from the anatomy that
the 68 Multi-PIE landmark vertices outline: skin, lips (inside the outer lip contour), eyebrows (a band along the
brow landmarks), dark eyelashes, the mouth socket, gums, tongue and teeth, and eyeballs whose iris and pupil are
painted by angle from the eye's forward axis (ICT's corneal part of the sclera is transparent in its intended
renderer, so it is not drawn). Shading is Lambert plus a soft specular term under one key light and an ambient
fill, through a pinhole camera. Every parameter that varies between renders is a field of :class:`RenderSetup`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..contract.frames import ypr_to_model_rotation
from .eyeballs import EyeballRig
from .ict_facekit import ICT_PARTS, MULTIPIE68_VERTICES, IctFaceKit
from .rasterize import Raster, rasterize

__all__ = [
    "HeadAlbedo",
    "HeadRender",
    "RenderSetup",
    "ShadedMesh",
    "head_albedo",
    "pose_matrix",
    "render_head",
    "shade_mesh",
]

# Parts drawn (the eye's blend / occlusion / lacrimal meshes are translucent overlays in ICT's own renderer).
DRAWN_PARTS = (
    "face", "head_neck", "mouth_socket", "eye_socket_left", "eye_socket_right", "gums_tongue", "teeth",
    "sclera_left", "iris_left", "sclera_right", "iris_right", "eyelashes_left", "eyelashes_right",
)  # fmt: skip
CORNEA_HALF_ANGLE_DEG = 30.0  # the sclera mesh's transparent corneal cap (the iris shows through)
IRIS_HALF_ANGLE_DEG = 24.0  # iris diameter ~11.7 mm on the iris sphere (r ~ 1.42 cm)
PUPIL_HALF_ANGLE_DEG = 10.0
BROW_BAND_CM = 0.42  # half-height of the painted eyebrow
BROW_BELOW_LANDMARKS_CM = 0.25  # the brow's centre line sits this far below its landmarks
LIP_EDGE_CM = 0.12  # soft edge of the lip colour
LOWER_LASH_BELOW_CENTER_CM = 0.0  # lash strips whose rest height is below the eyeball centre are lower lashes
LASH_LENGTH_SHARE = 0.35  # lashes are drawn this share of their length: seen from the front, ICT's full-length
# lash cards read as a thick dark band on a closed eye, where a photo shows a thin line


@dataclasses.dataclass(frozen=True)
class RenderSetup:
    """One render's variable parameters.

    Attributes:
        identity: ``(100,)`` ICT identity coefficients (N(0, 1)) or None for the generic neutral.
        expression: ICT shape name -> weight.
        delta: ``(V, 3)`` an extra displacement of every vertex (e.g. a mix of FaceWarehouse shapes), or None.
        gaze: ``(2, 2)`` [left, right] x [yaw, pitch] radians (yaw > 0 toward the subject's left, pitch > 0 up).
        yaw_deg, pitch_deg, roll_deg: head rotation (yaw > 0 turns the nose to the subject's left, pitch > 0 up,
            roll > 0 tilts the top of the head to the subject's left).
        distance_cm: camera to the model origin. focal_px: pinhole focal length. size: ``(width, height)``.
        offset_px: ``(2,)`` shift of the face in the image.
        skin_rgb, lip_rgb, brow_rgb, iris_rgb: colours in [0, 1]. background_rgb: flat background.
        light_dir: ``(3,)`` direction toward the key light in the camera frame (x right, y up, z to the camera).
        ambient: share of ambient light.
    """

    identity: np.ndarray | None = None
    expression: tuple[tuple[str, float], ...] = ()
    delta: np.ndarray | None = None
    gaze: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    distance_cm: float = 65.0
    focal_px: float = 1400.0
    size: tuple[int, int] = (512, 512)
    offset_px: tuple[float, float] = (0.0, 30.0)
    skin_rgb: tuple[float, float, float] = (0.78, 0.6, 0.5)
    lip_rgb: tuple[float, float, float] = (0.66, 0.36, 0.36)
    brow_rgb: tuple[float, float, float] = (0.22, 0.16, 0.12)
    iris_rgb: tuple[float, float, float] = (0.35, 0.25, 0.15)
    background_rgb: tuple[float, float, float] = (0.45, 0.5, 0.55)
    light_dir: tuple[float, float, float] = (0.3, 0.45, 1.0)
    ambient: float = 0.35


@dataclasses.dataclass(frozen=True)
class HeadRender:
    """A rendered head.

    Attributes:
        image_bgr: ``(H, W, 3)`` uint8 BGR.
        vertices: ``(V, 3)`` float64 the posed head in the model frame (identity, expression, gaze applied), cm.
        pixels: ``(V, 2)`` float64 image positions of the vertices (x right, y down, origin at the top-left
            corner of the top-left pixel, as detectors report points).
        depth: ``(V,)`` float64 distance along the camera axis, cm.
        raster: what covers each pixel (only drawn parts).
        rotation: ``(3, 3)`` model -> camera-up frame (x right, y up, z toward the camera) rotation.
    """

    image_bgr: np.ndarray
    vertices: np.ndarray
    pixels: np.ndarray
    depth: np.ndarray
    raster: Raster
    rotation: np.ndarray


@dataclasses.dataclass(frozen=True)
class HeadAlbedo:
    """Per-vertex materials of the head.

    Attributes:
        lip, brow: ``(V,)`` float64 masks in [0, 1]. part: ``(V,)`` int part index (:data:`ICT_PARTS` order).
        lashes, lash_roots: ``(L,)`` int eyelash vertices and the face vertex nearest to each at rest.
    """

    lip: np.ndarray
    brow: np.ndarray
    part: np.ndarray
    lashes: np.ndarray
    lash_roots: np.ndarray


def pose_matrix(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """``(3, 3)`` head rotation in the model frame, angles in degrees (the contract's convention:
    :func:`engine.contract.frames.ypr_to_model_rotation`).

    Example:
        >>> r = pose_matrix(90.0, 0.0, 0.0)
        >>> np.round(r @ [0.0, 0.0, 1.0], 6).tolist()  # the nose turns to the subject's left (+x)
        [1.0, 0.0, 0.0]
    """
    return ypr_to_model_rotation(np.radians([[yaw_deg, pitch_deg, roll_deg]]))[0]


def _polyline_distance(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """``(N,)`` distance of 2D points to a polyline ``(M, 2)``."""
    best = np.full(len(points), np.inf)
    for a, b in zip(line[:-1], line[1:], strict=True):
        ab = b - a
        t = np.clip(((points - a) @ ab) / (ab @ ab), 0.0, 1.0)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    return best


def _inside_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """``(N,)`` bool, even-odd rule."""
    x, y = points[:, 0], points[:, 1]
    inside = np.zeros(len(points), bool)
    for (x1, y1), (x2, y2) in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (x < xc)
    return inside


def head_albedo(ict: IctFaceKit) -> HeadAlbedo:
    """Material masks from the neutral's anatomy (frontal projection of the face part)."""
    n = ict.neutral
    lm = n[list(MULTIPIE68_VERTICES)]
    face = ict.part("face")
    front = n[face, 2] > lm[48:60, 2].min() - 1.5  # the lips' depth band, not the chin's underside
    xy = n[face, :2]
    outer = lm[48:60, :2]
    inside = _inside_polygon(xy, outer) & front
    edge = _polyline_distance(xy, np.r_[outer, outer[:1]])
    lip = np.zeros(len(n))
    lip[face] = np.where(inside, 1.0, np.clip(1.0 - edge / LIP_EDGE_CM, 0.0, 1.0) * front)
    brow = np.zeros(len(n))
    for ids in (range(17, 22), range(22, 27)):
        line = lm[list(ids), :2] - [0.0, BROW_BELOW_LANDMARKS_CM]
        d = _polyline_distance(xy, line)
        along = np.clip((xy[:, 0] - line[:, 0].min()) / np.ptp(line[:, 0]), 0.0, 1.0)
        taper = 0.55 + 0.45 * np.sin(np.pi * along) ** 0.5  # thinner toward both ends
        brow[face] = np.maximum(brow[face], np.clip(1.5 - d / (BROW_BAND_CM * taper), 0.0, 1.0))
    brow[face] *= n[face, 2] > lm[17:27, 2].min() - 1.5
    from scipy.spatial import cKDTree

    lashes = np.r_[np.arange(*ICT_PARTS["eyelashes_left"]), np.arange(*ICT_PARTS["eyelashes_right"])]
    _, nearest = cKDTree(n[face]).query(n[lashes])
    return HeadAlbedo(np.clip(lip, 0, 1), np.clip(brow, 0, 1), ict.part_of_vertex(), lashes, nearest + face.start)


def _vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    v = vertices[triangles]
    fn = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    normals = np.stack(
        [np.bincount(triangles.ravel(), weights=np.repeat(fn[:, k], 3), minlength=len(vertices)) for k in range(3)], 1
    )
    return normals / (np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12)


def _vertex_colors(ict: IctFaceKit, albedo: HeadAlbedo, rig: EyeballRig, vertices, setup: RenderSetup) -> np.ndarray:
    names = list(ICT_PARTS)
    color = np.tile(np.asarray(setup.skin_rgb, np.float64), (len(vertices), 1))
    lip = albedo.lip[:, None]
    color = color * (1 - lip) + np.asarray(setup.lip_rgb) * lip
    brow = albedo.brow[:, None] * 0.85
    color = color * (1 - brow) + np.asarray(setup.brow_rgb) * brow
    paint = {
        "mouth_socket": (0.32, 0.1, 0.1),
        "gums_tongue": (0.7, 0.35, 0.35),
        "teeth": (0.88, 0.85, 0.78),
        "eyelashes_left": (0.08, 0.06, 0.05),
        "eyelashes_right": (0.08, 0.06, 0.05),
        "eye_socket_left": (0.55, 0.3, 0.3),
        "eye_socket_right": (0.55, 0.3, 0.3),
        "sclera_left": (0.86, 0.84, 0.8),
        "sclera_right": (0.86, 0.84, 0.8),
    }
    for part, rgb in paint.items():
        color[albedo.part == names.index(part)] = rgb
    for side in ("left", "right"):
        iris = ict.part(f"iris_{side}")
        angle = _rest_angles(ict, rig, side)[iris]
        c = np.tile(np.array([0.86, 0.84, 0.8]), (angle.size, 1))
        c[angle < IRIS_HALF_ANGLE_DEG] = setup.iris_rgb
        c[(angle < PUPIL_HALF_ANGLE_DEG) | (angle > 90.0)] = (0.03, 0.03, 0.03)  # the pupil is a hole: the
        # eye's inside (the back of the iris mesh) shows through it
        color[iris] = c
    return color


def _rest_angles(ict: IctFaceKit, rig: EyeballRig, side: str) -> np.ndarray:
    """``(V,)`` degrees from the eye's forward axis at rest for that eye's vertices (NaN elsewhere)."""
    i = ("left", "right").index(side)
    out = np.full(len(ict.neutral), np.nan)
    first, stop = rig.vertex_ranges[i]
    out[first:stop] = rig.rest_angles[i]
    return out


def drawn_triangles(ict: IctFaceKit, rig: EyeballRig, vertices: np.ndarray) -> np.ndarray:
    """``(F', )`` int indices of the triangles drawn: drawn parts, without the sclera's corneal cap and the lower
    lashes (seen from the front, ICT's lower lash strips read as a thick dark band under the eye).
    """
    part = ict.part_of_vertex()
    names = list(ICT_PARTS)
    drawn = np.isin(part[ict.triangles[:, 0]], [names.index(p) for p in DRAWN_PARTS])
    for i, side in enumerate(("left", "right")):
        lashes = ict.part(f"eyelashes_{side}")
        ids = np.flatnonzero((ict.triangles[:, 0] >= lashes.start) & (ict.triangles[:, 0] < lashes.stop))
        below = ict.neutral[ict.triangles[ids], 1].mean(axis=1) < rig.centers[i, 1] - LOWER_LASH_BELOW_CENTER_CM
        drawn[ids[below]] = False
    for side in ("left", "right"):
        sclera = ict.part(f"sclera_{side}")
        in_sclera = (ict.triangles[:, 0] >= sclera.start) & (ict.triangles[:, 0] < sclera.stop)
        ids = np.flatnonzero(in_sclera)
        angle = _rest_angles(ict, rig, side)[ict.triangles[ids]].mean(axis=1)
        drawn[ids[angle < CORNEA_HALF_ANGLE_DEG]] = False
    return np.flatnonzero(drawn)


def posed_vertices(ict: IctFaceKit, albedo: HeadAlbedo, rig: EyeballRig, setup: RenderSetup) -> np.ndarray:
    """``(V, 3)`` float64 model-frame head with identity, expression and gaze (before the head pose)."""
    v = ict.neutral.copy()
    if setup.identity is not None:
        v += np.tensordot(np.asarray(setup.identity, np.float64), ict.identity_deltas, 1)
    for name, weight in setup.expression:
        v += weight * ict.expression(name)
    if setup.delta is not None:
        v += setup.delta
    lashes, roots = albedo.lashes, albedo.lash_roots
    v[lashes] = v[roots] + LASH_LENGTH_SHARE * (v[lashes] - v[roots])
    return rig.apply_gaze(v, np.asarray(setup.gaze, np.float64))


@dataclasses.dataclass(frozen=True)
class ShadedMesh:
    """A mesh drawn through a pinhole camera.

    Attributes:
        image_bgr: ``(H, W, 3)`` uint8. pixels: ``(V, 2)`` float64 vertex image positions (top-left corner origin).
        depth: ``(V,)`` float64 distance along the camera axis, cm. raster: what covers each pixel; its triangle
            indices refer to the ``triangles`` passed in.
    """

    image_bgr: np.ndarray
    pixels: np.ndarray
    depth: np.ndarray
    raster: Raster


def shade_mesh(
    cam: np.ndarray, triangles: np.ndarray, colors: np.ndarray, setup: RenderSetup, drawn: np.ndarray | None = None
) -> ShadedMesh:
    """Draw a vertex-coloured mesh: Lambert plus a soft specular under ``setup``'s light, pinhole camera.

    Args:
        cam: ``(V, 3)`` float vertices in the camera-up frame, cm (x right, y up, z toward the camera; the camera
            sits at z = ``setup.distance_cm``).
        triangles: ``(F, 3)`` int, counter-clockwise seen from outside. colors: ``(V, 3)`` float RGB in [0, 1].
        drawn: ``(F',)`` int indices of the triangles to draw (default all).
    """
    depth = setup.distance_cm - cam[:, 2]
    w, h = setup.size
    px = np.empty((len(cam), 2))
    px[:, 0] = w / 2 + setup.offset_px[0] + setup.focal_px * cam[:, 0] / depth
    px[:, 1] = h / 2 + setup.offset_px[1] - setup.focal_px * cam[:, 1] / depth
    tri_ids = np.arange(len(triangles)) if drawn is None else np.asarray(drawn)
    # The image convention puts pixel i's centre at i + 0.5 (engine.contract.frames); the rasterizer samples integers.
    raster = rasterize(px - 0.5, depth, triangles[tri_ids], (w, h))
    covered = raster.covered
    tri = triangles[tri_ids[raster.triangle[covered]]]  # (n, 3)
    bary = raster.bary[covered].astype(np.float64)
    normals = _vertex_normals(cam, triangles)
    n = np.einsum("nk,nkc->nc", bary, normals[tri])
    n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
    c = np.einsum("nk,nkc->nc", bary, colors[tri])
    light = np.asarray(setup.light_dir, np.float64)
    light /= np.linalg.norm(light)
    diffuse = np.clip(n @ light, 0.0, 1.0)
    half = light + np.array([0.0, 0.0, 1.0])
    half /= np.linalg.norm(half)
    specular = 0.12 * np.clip(n @ half, 0.0, 1.0) ** 24
    shade = setup.ambient + (1.0 - setup.ambient) * diffuse
    rgb = np.tile(np.asarray(setup.background_rgb, np.float64), (h, w, 1))
    rgb[covered] = np.clip(c * shade[:, None] + specular[:, None], 0.0, 1.0)
    image = np.round(rgb[..., ::-1] * 255).astype(np.uint8)
    # Re-index the raster to the full triangle list, so callers can look up triangles directly.
    full = raster.triangle.copy()
    full[covered] = tri_ids[raster.triangle[covered]]
    return ShadedMesh(image, px, depth, Raster(full, raster.bary, raster.depth))


def render_head(ict: IctFaceKit, albedo: HeadAlbedo, setup: RenderSetup) -> HeadRender:
    """Render the head for ``setup``."""
    rest = ict.neutral if setup.identity is None else ict.neutral + np.tensordot(setup.identity, ict.identity_deltas, 1)
    rig = EyeballRig.fit(ict, rest)
    vertices = posed_vertices(ict, albedo, rig, setup)
    rotation = pose_matrix(setup.yaw_deg, setup.pitch_deg, setup.roll_deg)
    cam = vertices @ rotation.T  # camera-up frame: x right, y up, z toward the camera
    colors = _vertex_colors(ict, albedo, rig, vertices, setup)
    shaded = shade_mesh(cam, ict.triangles, colors, setup, drawn_triangles(ict, rig, vertices))
    return HeadRender(shaded.image_bgr, vertices, shaded.pixels, shaded.depth, shaded.raster, rotation)
