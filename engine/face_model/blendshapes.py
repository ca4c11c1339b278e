"""The 46 FaceWarehouse expression blendshapes, authored procedurally from anatomy on the engine's neutral.

No FaceWarehouse data is used: each shape is a displacement field built from named anatomical parts of the
neutral (eyelid and lip contours, mouth corners, brows, a jaw hinge axis) and smooth spatial falloffs. Shapes of the
subject's left (``_L``, model +x) are authored once; ``_R`` shapes are their exact mirror images through the
vertex mirror permutation. Magnitudes (cm, degrees) are named constants below, chosen from typical adult facial
motion ranges, so that weight 1 reads as the full expression.

The basis covers all 478 model points: 468 mesh vertices plus the 10 iris points, which the gaze shapes rotate
about the eyeball centre.
"""

from __future__ import annotations

import math

import numpy as np

from .neutral import eyeball_centers, mirror_points
from .regions import (
    CHIN,
    EYE_INNER_CORNER,
    EYE_OUTER_CORNER,
    IRIS_POINTS,
    MOUTH_CORNER_INNER,
    MOUTH_CORNER_OUTER,
    NOSE_TIP,
    FaceRegions,
)

__all__ = ["GAZE_PITCH_RAD", "GAZE_YAW_RAD", "JAW_OPEN_RAD", "author_expression_basis"]

# --- magnitudes of weight 1 --------------------------------------------------------------------------------
JAW_OPEN_RAD = math.radians(16.0)  # wide-open mouth as detectors see it: ~3 cm of lower-lip travel
# Hinge of JawOpen in the model frame. The anatomical hinge (temporomandibular joint) sits at ear level, but the
# model's depth is MediaPipe's compressed relative depth, in which an opening jaw moves the chin about twice as
# far down as back and the lower lip almost straight down; this pivot reproduces that motion.
JAW_PIVOT_CM = np.array([0.0, -5.5, -10.0])
JAW_OPEN_CHIN_SHARE = 0.5  # the chin's share of the lower lip's travel when the jaw opens (as detectors see it)
JAW_OPEN_CORNER_SHARE = 0.25  # the mouth corners' share
JAW_FORWARD_CM = 0.7
JAW_SIDE_CM = 0.8
MOUTH_SIDE_CM = 0.7
GAZE_YAW_RAD = math.radians(30.0)  # EyeIn/EyeOut at weight 1
GAZE_PITCH_RAD = math.radians(25.0)  # EyeUp/EyeDown at weight 1
BROW_RAISE_CM = 0.6
BROW_LOWER_CM = 0.45
SMILE_CORNER_CM = np.array([0.55, 0.8, -0.6])  # left corner: out, up, back (a full, broad smile)
FROWN_CORNER_CM = np.array([0.05, -0.5, -0.05])
DIMPLE_CORNER_CM = np.array([0.2, 0.05, -0.45])
STRETCH_CORNER_CM = np.array([0.55, -0.15, -0.15])
LIP_RAISE_CM = 0.45
LIP_ROLL_FRACTION = 0.6  # roll-in: outer lip contour travels this share of the way to the inner contour
PUCKER_FORWARD_CM = 0.8
PUCKER_CORNER_IN_CM = 0.8
FUNNEL_FORWARD_CM = 0.6
FUNNEL_OPEN_CM = 0.25
CHEEK_RAISE_CM = 0.4
PUFF_CM = 0.55
SNEER_CM = 0.3
SQUINT_FRACTION = 0.35  # lower lid rises this share of the eye's opening
WIDE_FRACTION = 0.35  # upper lid rises this share of the eye's opening
SHAPE_TOLERANCE_CM = 1e-4


def _falloff(distance: np.ndarray, radius: float) -> np.ndarray:
    """Smooth compact kernel: 1 at 0, 0 from ``radius`` on, C2 (Wendland-style ``(1 - r^2)^3``)."""
    r = np.clip(distance / radius, 0.0, 1.0)
    return (1.0 - r * r) ** 3


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _spread(points: np.ndarray, drivers: np.ndarray, disp: np.ndarray, radius: float, mask=None, sigma: float = 0.5):
    """Displace ``drivers`` by ``disp`` exactly and their surroundings smoothly.

    Each vertex gets the Gaussian-weighted (``sigma`` cm) mean of the driver displacements, scaled by a falloff of
    its distance to the nearest driver (0 beyond ``radius`` cm), times ``mask`` (``(V,)`` in [0, 1]) if given.
    """
    d = np.linalg.norm(points[:, None, :] - points[drivers][None, :, :], axis=-1)  # (V, D)
    w = np.exp(-((d / sigma) ** 2)) + 1e-12
    interp = (w @ disp) / w.sum(axis=1, keepdims=True)
    out = interp * _falloff(d.min(axis=1), radius)[:, None]
    if mask is not None:
        out *= np.asarray(mask, dtype=np.float64)[:, None]
    out[drivers] = disp
    return out


def _rotate_about(points: np.ndarray, center: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotate ``(N, 3)`` points about an axis through ``center`` by ``angle`` rad (right-hand rule)."""
    axis = axis / np.linalg.norm(axis)
    p = points - center
    c, s = math.cos(angle), math.sin(angle)
    return center + p * c + np.cross(axis, p) * s + axis * (p @ axis)[:, None] * (1 - c)


class _Anatomy:
    """Derived anatomical parts of one neutral, shared by the shape authors below."""

    def __init__(self, points: np.ndarray, regions: FaceRegions, mesh_vertices: int):
        self.p = points.astype(np.float64)
        self.r = regions
        self.nv = mesh_vertices
        self.is_mesh = np.arange(len(points)) < mesh_vertices
        self.iris = {side: np.array(IRIS_POINTS[side]) for side in ("left", "right")}
        self.eye_center = dict(zip(("left", "right"), eyeball_centers(self.p), strict=False))
        self.lip_upper = np.r_[regions.lip_upper_outer, regions.lip_upper_inner]
        self.lip_lower = np.r_[regions.lip_lower_outer, regions.lip_lower_inner]
        self.corners = {s: np.array([MOUTH_CORNER_OUTER[s], MOUTH_CORNER_INNER[s]]) for s in ("left", "right")}
        self.lips = np.r_[self.lip_upper, self.lip_lower, self.corners["left"], self.corners["right"]]
        self.mouth_half_width = float(self.p[MOUTH_CORNER_OUTER["left"], 0])
        self.mouth_y = float(self.p[self.corners["left"], 1].mean())

    def zeros(self) -> np.ndarray:
        return np.zeros_like(self.p)

    def mouth_line_y(self, x: np.ndarray) -> np.ndarray:
        """Height of the closed inner lip line at x (cm), flat beyond the corners."""
        inner = np.r_[[MOUTH_CORNER_INNER["right"]], self.r.lip_upper_inner, [MOUTH_CORNER_INNER["left"]]]
        xs, ys = (
            self.p[inner, 0],
            0.5 * (self.p[inner, 1] + self.p[np.r_[[inner[0]], self.r.lip_lower_inner, [inner[-1]]], 1]),
        )
        order = np.argsort(xs)
        return np.interp(x, xs[order], ys[order])

    def below_mouth(self) -> np.ndarray:
        """``(V,)`` 1 for the lower lip, chin and jaw; 0 for the upper lip and above; soft beside the mouth."""
        x, y = self.p[:, 0], self.p[:, 1]
        rel = y - self.mouth_line_y(x)
        lateral = np.clip((np.abs(x) - self.mouth_half_width) / 2.0, 0.0, 1.0)  # 0 inside the mouth width
        band = 0.05 + 2.0 * lateral  # sharp between the lips, wide over the cheeks
        w = _smoothstep((0.3 * lateral - rel) / band)
        # The sides of the jaw (toward the ears) move far less than the chin: fade with distance from the midline.
        w *= 1.0 - 0.6 * _smoothstep((np.abs(x) - self.mouth_half_width) / 3.0)
        w[self.lip_upper] = 0.0
        w[self.lip_lower] = 1.0
        for side in ("left", "right"):
            w[self.corners[side]] = 0.5
        w[~self.is_mesh] = 0.0
        # Fade out toward the upper face (above the nose base nothing follows the jaw).
        w *= _smoothstep((self.p[NOSE_TIP, 1] - 0.5 - y) / 1.5)
        return w

    def above_mouth(self) -> np.ndarray:
        """``(V,)`` the complement of :meth:`below_mouth` near the lips (upper lip side)."""
        w = 1.0 - self.below_mouth()
        w[self.lip_lower] = 0.0
        w[~self.is_mesh] = 0.0
        return w

    def eye_line_mask(self, side: str, upper: bool) -> np.ndarray:
        """``(V,)`` 1 on the upper (or lower) side of the line through the eye's corners, 0 on the other side."""
        a, b = self.p[EYE_INNER_CORNER[side]], self.p[EYE_OUTER_CORNER[side]]
        t = (self.p[:, 0] - a[0]) / (b[0] - a[0])
        line = a[1] + np.clip(t, 0, 1) * (b[1] - a[1])
        rel = self.p[:, 1] - line
        m = _smoothstep((rel if upper else -rel) / 0.15 + 0.5)
        m[~self.is_mesh] = 0.0
        m[self.iris[side]] = 0.0
        return m

    def eye_opening(self, side: str) -> np.ndarray:
        """``(7, 3)`` lower-minus-upper lid contour vectors of the open neutral eye."""
        return self.p[self.r.eye_lower[side]] - self.p[self.r.eye_upper[side]]


# --- the shapes (left side and symmetric shapes); each returns (V, 3) displacements in cm -------------------


def _lid(an: _Anatomy, side: str, upper_frac: float, lower_frac: float, radius: float = 1.0) -> np.ndarray:
    """Move the upper lid toward the lower by ``upper_frac`` of the opening and the lower toward the upper."""
    opening = an.eye_opening(side)
    corners = np.array([EYE_INNER_CORNER[side], EYE_OUTER_CORNER[side]])
    out = an.zeros()
    if upper_frac:
        drivers = np.r_[an.r.eye_upper[side], corners]
        disp = np.r_[upper_frac * opening, np.zeros((2, 3))]
        out += _spread(an.p, drivers, disp, radius, an.eye_line_mask(side, upper=True), sigma=0.3)
    if lower_frac:
        drivers = np.r_[an.r.eye_lower[side], corners]
        disp = np.r_[-lower_frac * opening, np.zeros((2, 3))]
        out += _spread(an.p, drivers, disp, radius * 1.3, an.eye_line_mask(side, upper=False), sigma=0.3)
    return out


def eye_blink(an: _Anatomy, side: str) -> np.ndarray:
    """EyeBlink: the upper lid contour lands on the lower lid contour; the lower lid stays."""
    return _lid(an, side, upper_frac=1.0, lower_frac=0.0)


def eye_squint(an: _Anatomy, side: str) -> np.ndarray:
    """EyeSquint: the lower lid rises, the upper lid lowers a little, the cheek under the eye lifts."""
    out = _lid(an, side, upper_frac=0.1, lower_frac=SQUINT_FRACTION, radius=1.6)
    return out


def eye_wide(an: _Anatomy, side: str) -> np.ndarray:
    """EyeOpen: the upper lid rises (and the lower lid drops slightly)."""
    return _lid(an, side, upper_frac=-WIDE_FRACTION, lower_frac=-0.08, radius=1.2)


def eye_gaze(an: _Anatomy, side: str, yaw: float, pitch: float, lid_follow: float) -> np.ndarray:
    """Gaze: the iris rotates about the eyeball centre; lids follow vertical gaze by ``lid_follow``."""
    iris = an.iris[side]
    center = an.eye_center[side]
    rotated = _rotate_about(an.p[iris], center, np.array([0.0, 1.0, 0.0]), yaw)
    rotated = _rotate_about(rotated, center, np.array([-1.0, 0.0, 0.0]), pitch)
    out = an.zeros()
    out[iris] = rotated - an.p[iris]
    if lid_follow:
        out += _lid(an, side, upper_frac=lid_follow, lower_frac=-0.3 * lid_follow, radius=1.0)
    return out


def _brow_part(an: _Anatomy, side: str, inner: bool) -> np.ndarray:
    """``(10,)`` weights over the brow vertices: 1 at the inner (or outer) end, ~0.2 at the other end."""
    x = np.abs(an.p[an.r.brow[side], 0])
    t = (x - x.min()) / (x.max() - x.min())
    return 0.2 + 0.8 * (1.0 - t if inner else t)


def _above_eye(an: _Anatomy, side: str) -> np.ndarray:
    mask = an.eye_line_mask(side, upper=True)
    mask[an.r.eye_upper[side]] = 0.0  # lids belong to the lid shapes
    return mask


def brow_down(an: _Anatomy, side: str) -> np.ndarray:
    """BrowsD: the whole brow lowers and draws toward the nose."""
    toward_nose = -np.sign(an.p[an.r.brow[side], 0].mean())
    disp = np.tile([0.15 * toward_nose, -BROW_LOWER_CM, 0.0], (len(an.r.brow[side]), 1))
    return _spread(an.p, an.r.brow[side], disp, 1.6, _above_eye(an, side), sigma=0.8)


def brow_outer_up(an: _Anatomy, side: str) -> np.ndarray:
    """BrowsU_L/R: the outer end of the brow raises."""
    w = _brow_part(an, side, inner=False)
    disp = np.outer(w, [0.0, BROW_RAISE_CM, 0.0])
    return _spread(an.p, an.r.brow[side], disp, 2.0, _above_eye(an, side), sigma=0.8)


def brow_inner_up(an: _Anatomy) -> np.ndarray:
    """BrowsU_C: the inner ends of both brows raise (symmetric)."""
    drivers = np.r_[an.r.brow["left"], an.r.brow["right"]]
    w = np.r_[_brow_part(an, "left", inner=True), _brow_part(an, "right", inner=True)]
    mask = np.maximum(_above_eye(an, "left"), _above_eye(an, "right"))
    return _spread(an.p, drivers, np.outer(w, [0.0, BROW_RAISE_CM, 0.0]), 2.5, mask, sigma=0.8)


def jaw_open(an: _Anatomy) -> np.ndarray:
    """JawOpen: the jaw (lower lip, chin, jaw line) rotates down and back about the hinge axis.

    The rotation is weighted as landmark detectors see an opening jaw: the lower lip travels fully, the chin's soft
    tissue about half as far (:data:`JAW_OPEN_CHIN_SHARE`), the jaw's outline toward the ears hardly at all, and
    the mouth corners a quarter.
    """
    w = an.below_mouth()
    lip_y, chin_y = an.p[an.r.lip_lower_outer, 1].min(), an.p[CHIN, 1]
    toward_chin = _smoothstep((lip_y - an.p[:, 1]) / (lip_y - chin_y))
    w = w * (1.0 - (1.0 - JAW_OPEN_CHIN_SHARE) * toward_chin)
    w *= 1.0 - 0.7 * _smoothstep((np.abs(an.p[:, 0]) - an.mouth_half_width) / 2.0)
    for side in ("left", "right"):
        w[an.corners[side]] = JAW_OPEN_CORNER_SHARE
    rotated = _rotate_about(an.p, JAW_PIVOT_CM, np.array([1.0, 0.0, 0.0]), JAW_OPEN_RAD)
    return (rotated - an.p) * w[:, None]


def jaw_shift(an: _Anatomy, direction: np.ndarray) -> np.ndarray:
    """JawFwd / JawLeft / JawRight: the jaw translates."""
    return np.outer(an.below_mouth(), direction)


def _mouth_region(an: _Anatomy, radius: float = 2.0) -> np.ndarray:
    d = np.linalg.norm(an.p[:, None] - an.p[an.lips][None], axis=-1).min(axis=1)
    w = _falloff(d, radius)
    w[~an.is_mesh] = 0.0
    return w


def mouth_shift(an: _Anatomy, direction: np.ndarray) -> np.ndarray:
    """MouthLeft / MouthRight: lips and the skin around them slide sideways."""
    return np.outer(_mouth_region(an), direction)


def mouth_corner(an: _Anatomy, side: str, disp: np.ndarray, radius: float) -> np.ndarray:
    """Smile / frown / dimple / stretch: the mouth corner moves, lips and cheek near it follow."""
    corner = an.corners[side]
    out = _spread(an.p, corner, np.tile(disp, (2, 1)), radius, sigma=0.6)
    out[~an.is_mesh] = 0.0
    return out


def lip_roll(an: _Anatomy, upper: bool) -> np.ndarray:
    """LipsUpperClose / LipsLowerClose: the lip rolls in: its outer contour moves toward the inner one and back."""
    outer = an.r.lip_upper_outer if upper else an.r.lip_lower_outer
    inner = an.r.lip_upper_inner if upper else an.r.lip_lower_inner
    disp_outer = LIP_ROLL_FRACTION * (an.p[inner] - an.p[outer]) + [0.0, 0.0, -0.2]
    disp_inner = np.tile([0.0, 0.0, -0.15], (len(inner), 1))
    drivers = np.r_[outer, inner, an.corners["left"], an.corners["right"]]
    disp = np.r_[disp_outer, disp_inner, np.zeros((4, 3))]
    mask = an.above_mouth() if upper else an.below_mouth()
    return _spread(an.p, drivers, disp, 0.8, mask, sigma=0.4)


def lip_vertical(an: _Anatomy, upper: bool, disp: np.ndarray, radius: float) -> np.ndarray:
    """LipsUpperUp / LipsLowerDown / LipsLowerOpen: one lip moves as a whole; corners stay."""
    lip = an.lip_upper if upper else an.lip_lower
    x = np.abs(an.p[lip, 0]) / an.mouth_half_width
    w = 1.0 - 0.5 * x**2  # less toward the corners
    drivers = np.r_[lip, an.corners["left"], an.corners["right"]]
    d = np.r_[np.outer(w, disp), np.zeros((4, 3))]
    mask = an.above_mouth() if upper else an.below_mouth()
    return _spread(an.p, drivers, d, radius, mask, sigma=0.5)


def lips_funnel(an: _Anatomy) -> np.ndarray:
    """LipsFunnel: lips push forward and flare open into a round shape, corners draw in."""
    out = an.zeros()
    drivers, disp = [], []
    for contour, dy in (
        (an.r.lip_upper_inner, FUNNEL_OPEN_CM),
        (an.r.lip_lower_inner, -FUNNEL_OPEN_CM),
        (an.r.lip_upper_outer, 0.6 * FUNNEL_OPEN_CM),
        (an.r.lip_lower_outer, -0.6 * FUNNEL_OPEN_CM),
    ):
        for v in contour:
            center_weight = 1.0 - 0.4 * (abs(an.p[v, 0]) / an.mouth_half_width) ** 2
            drivers.append(v)
            disp.append([-0.3 * an.p[v, 0] / an.mouth_half_width, dy, FUNNEL_FORWARD_CM * center_weight])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for v in an.corners[side]:
            drivers.append(v)
            disp.append([-sign * 0.4, 0.0, 0.3 * FUNNEL_FORWARD_CM])
    out += _spread(an.p, np.array(drivers), np.array(disp), 1.8, sigma=0.4)
    out[~an.is_mesh] = 0.0
    return out


def lips_pucker(an: _Anatomy) -> np.ndarray:
    """LipsPucker: lips push forward and gather toward the centre, staying closed."""
    drivers, disp = [], []
    for v in np.r_[an.lip_upper, an.lip_lower]:
        xn = an.p[v, 0] / an.mouth_half_width
        drivers.append(v)
        disp.append([-0.5 * PUCKER_CORNER_IN_CM * xn, 0.0, PUCKER_FORWARD_CM * (1.0 - 0.3 * xn * xn)])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        for v in an.corners[side]:
            drivers.append(v)
            disp.append([-sign * PUCKER_CORNER_IN_CM, 0.0, 0.4 * PUCKER_FORWARD_CM])
    out = _spread(an.p, np.array(drivers), np.array(disp), 1.8, sigma=0.4)
    out[~an.is_mesh] = 0.0
    return out


def chin_raise(an: _Anatomy, upper: bool) -> np.ndarray:
    """ChinLowerRaise (chin and lower lip push up) / ChinUpperRaise (upper lip pushed up and forward)."""
    if upper:
        return lip_vertical(an, True, np.array([0.0, 0.2, 0.2]), 1.0) + 0.5 * lip_vertical(
            an, False, np.array([0.0, 0.2, 0.1]), 0.6
        )
    chin_zone = an.below_mouth() * _falloff(np.linalg.norm(an.p - an.p[CHIN] - [0, 1.5, 0], axis=1), 3.0)
    out = np.outer(chin_zone, [0.0, 0.35, 0.15])
    out += lip_vertical(an, False, np.array([0.0, 0.25, 0.1]), 0.6)
    out += lip_vertical(an, True, np.array([0.0, 0.12, 0.05]), 0.6)
    return out


def sneer(an: _Anatomy) -> np.ndarray:
    """Sneer: the nose wings and the skin beside the nose lift, wrinkling the nose (both sides)."""
    nose = an.r.nose
    wings = nose[(np.abs(an.p[nose, 0]) > 0.8) & (an.p[nose, 1] < an.p[NOSE_TIP, 1] + 0.8)]
    disp = np.tile([0.0, SNEER_CM, 0.05], (len(wings), 1))
    out = _spread(an.p, wings, disp, 1.6, an.above_mouth(), sigma=0.6)
    out[~an.is_mesh] = 0.0
    return out


def cheek_region(an: _Anatomy, side: str, center_y: float, radius: float) -> np.ndarray:
    sign = 1.0 if side == "left" else -1.0
    center = np.array([sign * (an.mouth_half_width + 1.0), center_y, 0.0])
    d = np.linalg.norm((an.p - center) * [1.0, 1.0, 0.3], axis=1)
    w = _falloff(d, radius)
    w[~an.is_mesh] = 0.0
    return w


def puff(an: _Anatomy) -> np.ndarray:
    """Puff: both cheeks balloon outward; closed lips push forward slightly."""
    out = an.zeros()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        w = cheek_region(an, side, an.mouth_y + 0.8, 3.0) * (1.0 - an.eye_line_mask(side, upper=True))
        out += np.outer(w, [sign * PUFF_CM, 0.0, 0.6 * PUFF_CM])
    out += lip_vertical(an, True, np.array([0.0, 0.0, 0.15]), 0.5) + lip_vertical(
        an, False, np.array([0.0, 0.0, 0.15]), 0.5
    )
    return out


def cheek_squint(an: _Anatomy, side: str) -> np.ndarray:
    """CheekSquint: the cheek under the eye rises and pushes the lower lid up a little."""
    w = cheek_region(an, side, -2.2, 2.4)
    w *= 1.0 - an.eye_line_mask(side, upper=True)
    out = np.outer(w, [0.0, CHEEK_RAISE_CM, 0.1])
    out += _lid(an, side, upper_frac=0.0, lower_frac=0.12, radius=0.8)
    return out


def _mirror_shape(disp: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """The subject's-right version of a subject's-left shape."""
    return mirror_points(disp[perm])


def author_expression_basis(
    points: np.ndarray, regions: FaceRegions, perm: np.ndarray, names: tuple[str, ...], mesh_vertices: int
) -> np.ndarray:
    """Author all 46 shapes.

    Args:
        points: ``(V, 3)`` float neutral (468 mesh vertices + 10 iris points), cm, model frame.
        regions: named regions of the neutral.
        perm: ``(V,)`` mirror permutation of the points.
        names: the 46 canonical names (``rigs/names/facewarehouse46.toml``), the output order.
        mesh_vertices: number of mesh vertices (the rest are iris points).

    Returns:
        ``(46, V, 3)`` float32 displacements in cm at weight 1.
    """
    an = _Anatomy(points, regions, mesh_vertices)
    left: dict[str, np.ndarray] = {
        "EyeBlink": eye_blink(an, "left"),
        "EyeSquint": eye_squint(an, "left"),
        "EyeDown": eye_gaze(an, "left", 0.0, -GAZE_PITCH_RAD, lid_follow=0.25),
        "EyeIn": eye_gaze(an, "left", -GAZE_YAW_RAD, 0.0, lid_follow=0.0),  # left eye looks toward -x (the nose)
        "EyeOpen": eye_wide(an, "left"),
        "EyeOut": eye_gaze(an, "left", GAZE_YAW_RAD, 0.0, lid_follow=0.0),
        "EyeUp": eye_gaze(an, "left", 0.0, GAZE_PITCH_RAD, lid_follow=-0.15),
        "BrowsD": brow_down(an, "left"),
        "BrowsU": brow_outer_up(an, "left"),
        "MouthFrown": mouth_corner(an, "left", FROWN_CORNER_CM, 2.0),
        "MouthSmile": mouth_corner(an, "left", SMILE_CORNER_CM, 2.4),
        "MouthDimple": mouth_corner(an, "left", DIMPLE_CORNER_CM, 1.6),
        "LipsStretch": mouth_corner(an, "left", STRETCH_CORNER_CM, 2.6),
        "CheekSquint": cheek_squint(an, "left"),
    }
    single = {
        "BrowsU_C": brow_inner_up(an),
        "JawFwd": jaw_shift(an, np.array([0.0, 0.0, JAW_FORWARD_CM])),
        "JawLeft": jaw_shift(an, np.array([JAW_SIDE_CM, 0.0, 0.0])),
        "JawOpen": jaw_open(an),
        "JawRight": jaw_shift(an, np.array([-JAW_SIDE_CM, 0.0, 0.0])),
        "MouthLeft": mouth_shift(an, np.array([MOUTH_SIDE_CM, 0.0, 0.0])),
        "MouthRight": mouth_shift(an, np.array([-MOUTH_SIDE_CM, 0.0, 0.0])),
        "LipsUpperClose": lip_roll(an, upper=True),
        "LipsLowerClose": lip_roll(an, upper=False),
        "LipsUpperUp": lip_vertical(an, True, np.array([0.0, LIP_RAISE_CM, 0.05]), 1.2),
        "LipsLowerDown": lip_vertical(an, False, np.array([0.0, -LIP_RAISE_CM, 0.05]), 1.2),
        "LipsLowerOpen": lip_vertical(an, False, np.array([0.0, -0.2, 0.35]), 0.9),
        "LipsFunnel": lips_funnel(an),
        "LipsPucker": lips_pucker(an),
        "ChinLowerRaise": chin_raise(an, upper=False),
        "ChinUpperRaise": chin_raise(an, upper=True),
        "Sneer": sneer(an),
        "Puff": puff(an),
    }
    basis = []
    for name in names:
        if name in single:
            basis.append(single[name])
        elif name.endswith("_L"):
            basis.append(left[name[:-2]])
        elif name.endswith("_R"):
            basis.append(_mirror_shape(left[name[:-2]], perm))
        else:
            raise ValueError(f"no author for expression {name!r}")
    out = np.stack(basis).astype(np.float32)
    out[np.abs(out) < SHAPE_TOLERANCE_CM] = 0.0
    return out


# The source portrait smiles: moving both corners back by this much (in, down, forward) relaxes it.
UNSMILE_CORNER_CM = np.array([0.35, 0.55, -0.35])
# After relaxing, the portrait's mouth is still wider and set further back than a resting mouth as MediaPipe sees one:
# neutral stills of seven development actors all read about this much pucker and jaw-forward against it.
RELAXED_MOUTH_PUCKER = 0.4
RELAXED_JAW_FORWARD = 0.5
CORNER_BELOW_LIP_LINE_CM = 0.1  # relaxed mouth corners sit this far below the closed lip line


def relax_portrait_mouth(points: np.ndarray, regions: FaceRegions, mesh_vertices: int) -> np.ndarray:
    """Turn the source portrait's open smile into a relaxed, closed mouth.

    Applies a negative smile on both sides, lowers the corners onto the lip line, then moves each upper/lower
    inner-lip pair to its midpoint (the outer contours and surrounding skin follow on their own side of the mouth,
    so lip thickness is kept), and finally narrows the mouth and brings the jaw forward to a resting position
    (:data:`RELAXED_MOUTH_PUCKER`, :data:`RELAXED_JAW_FORWARD`).

    Args:
        points: ``(V, 3)`` float neutral, cm.

    Returns:
        ``(V, 3)`` float32 relaxed neutral.
    """
    an = _Anatomy(points, regions, mesh_vertices)
    unsmile = mouth_corner(an, "left", UNSMILE_CORNER_CM, 2.4) + mouth_corner(
        an, "right", UNSMILE_CORNER_CM * [-1, 1, 1], 2.4
    )
    p = an.p - unsmile
    an = _Anatomy(p, regions, mesh_vertices)
    line_y = 0.5 * (p[regions.lip_upper_inner, 1].mean() + p[regions.lip_lower_inner, 1].mean())
    for side in ("left", "right"):
        drop = np.array([0.0, min(0.0, line_y - CORNER_BELOW_LIP_LINE_CM - p[an.corners[side], 1].mean()), 0.0])
        p = p + mouth_corner(an, side, drop, 1.5)
    an = _Anatomy(p, regions, mesh_vertices)
    half_gap = 0.5 * (p[regions.lip_upper_inner] - p[regions.lip_lower_inner])  # (9, 3), upper minus lower
    half_gap[:, [0, 2]] = 0.0  # close vertically only
    upper = _spread(
        p,
        np.r_[regions.lip_upper_inner, regions.lip_upper_outer],
        np.r_[-half_gap, -half_gap],
        1.2,
        an.above_mouth(),
        sigma=0.4,
    )
    lower = _spread(
        p,
        np.r_[regions.lip_lower_inner, regions.lip_lower_outer],
        np.r_[half_gap, half_gap],
        2.5,
        an.below_mouth(),
        sigma=0.6,
    )
    p = p + upper + lower
    an = _Anatomy(p, regions, mesh_vertices)
    p = (
        p
        + RELAXED_MOUTH_PUCKER * lips_pucker(an)
        + RELAXED_JAW_FORWARD * jaw_shift(an, np.array([0.0, 0.0, JAW_FORWARD_CM]))
    )
    return p.astype(np.float32)
