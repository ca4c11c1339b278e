"""The engine's face model (built from ICT-FaceKit's scans): file contents, conventions, what every one of the 46
shapes does, and that the shipped files are what the recipes and the scans give.

Model frame: cm, +x = the subject's LEFT, +y up, +z out of the face. Each shape is checked at weight 1 on the
generic neutral, at the tracking landmarks, by a measurable property that its FaceWarehouse name promises.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.contract.face_head import load_head
from engine.face_model.model import DEFAULT_MODEL_PATH, load_face_model
from engine.face_model.symmetry import mirror_points
from rigs import load_names

REPO = Path(__file__).resolve().parents[2]
ICT_DIR = REPO.parent / "shared" / "data" / "ict-facekit"
needs_ict = pytest.mark.skipif(
    not (ICT_DIR / "ict_face_model_light.npz").is_file(), reason="needs ../shared ICT-FaceKit"
)
OTHER_SIDE_SHARE = 0.1  # a one-sided shape moves the other side by less than this share of its own motion
CHIN, LIP_UP_OUT, LIP_UP_IN, LIP_LO_IN, LIP_LO_OUT = 152, 0, 13, 14, 17
CORNER = {"L": 291, "R": 61}
IRIS = {"L": 473, "R": 468}
SIDE = {"L": "left", "R": "right"}
SIGN = {"L": 1.0, "R": -1.0}  # subject's left = +x


@pytest.fixture(scope="module")
def model():
    return load_face_model()


def shape(model, name):
    return model.expression_basis[model.expression_names.index(name)].astype(np.float64)


def eye_gap(model, d, side):
    """Mean upper-minus-lower lid height of an eye after displacement d (cm)."""
    p = model.neutral + d
    r = model.regions
    return float((p[r.eye_upper[side], 1] - p[r.eye_lower[side], 1]).mean())


def region_motion(d, idx):
    return float(np.abs(d[idx]).max())


def stays(d, idx):
    """The region ``idx`` barely moves compared with the shape's largest motion."""
    return region_motion(d, idx) < OTHER_SIDE_SHARE * float(np.abs(d).max())


def eye_region(model, side):
    r = model.regions
    return np.r_[r.eye_upper[side], r.eye_lower[side], r.brow[side]]


def other(s):
    return "R" if s == "L" else "L"


# --- one property check per shape family ----------------------------------------------------------------------
def check_blink(m, d, s):
    assert eye_gap(m, d, SIDE[s]) < 0.1 * eye_gap(m, 0 * d, SIDE[s])  # closes onto the lower lid
    assert stays(d, eye_region(m, SIDE[other(s)]))  # the other eye stays


def check_squint(m, d, s):
    r = m.regions
    assert d[r.eye_lower[SIDE[s]], 1].mean() > 0.05  # lower lid rises
    assert eye_gap(m, d, SIDE[s]) < 0.9 * eye_gap(m, 0 * d, SIDE[s])
    assert stays(d, eye_region(m, SIDE[other(s)]))


def check_wide(m, d, s):
    assert eye_gap(m, d, SIDE[s]) > 1.1 * eye_gap(m, 0 * d, SIDE[s])
    assert stays(d, eye_region(m, SIDE[other(s)]))


def gaze_check(direction):
    def check(m, d, s):
        iris = d[IRIS[s]]
        toward_nose = -SIGN[s]
        wanted = {
            "down": iris[1] < -0.2,
            "up": iris[1] > 0.2,
            "in": iris[0] * toward_nose > 0.2,
            "out": iris[0] * toward_nose < -0.2,
        }[direction]
        assert wanted, iris
        assert np.abs(d[IRIS[other(s)]]).max() < 1e-3  # the other eyeball does not turn

    return check


def check_brow_down(m, d, s):
    assert d[m.regions.brow[SIDE[s]], 1].mean() < -0.2
    assert stays(d, m.regions.brow[SIDE[other(s)]])


def _inner_outer(m, side):
    brow = m.regions.brow[side]
    x = np.abs(m.neutral[brow, 0])
    return brow[x < np.median(x)], brow[x >= np.median(x)]


def check_brow_outer_up(m, d, s):
    inner, outer = _inner_outer(m, SIDE[s])
    assert d[outer, 1].mean() > 0.2 and d[outer, 1].mean() > d[inner, 1].mean()
    assert stays(d, m.regions.brow[SIDE[other(s)]])


def check_brow_inner_up(m, d, s):
    for side in ("left", "right"):
        inner, outer = _inner_outer(m, side)
        assert d[inner, 1].mean() > 0.2 and d[inner, 1].mean() > d[outer, 1].mean()


def check_jaw_open(m, d, s):
    assert d[CHIN, 1] < -1.0
    assert d[LIP_LO_IN, 1] - d[LIP_UP_IN, 1] < -1.0  # the lips part
    assert stays(d, [LIP_UP_OUT]) and stays(d, eye_region(m, "left"))


def check_jaw_fwd(m, d, s):
    assert d[CHIN, 2] > 0.3 and stays(d, [LIP_UP_OUT])


def shift_check(index, axis, sign):
    def check(m, d, s):
        assert sign * d[index, axis] > 0.3, d[index]

    return check


def corner_check(axis, sign, threshold=0.3, outward=False):
    def check(m, d, s):
        c = d[CORNER[s]]
        value = c[axis] * (SIGN[s] if outward else 1.0)
        assert sign * value > threshold, c
        assert stays(d, [CORNER[other(s)]])

    return check


def check_smile(m, d, s):
    corner_check(1, +1)(m, d, s)  # up
    assert d[CORNER[s], 0] * SIGN[s] > 0.1  # and back toward the ear


def check_roll_upper(m, d, s):
    assert d[LIP_UP_OUT, 1] < -0.1 and d[LIP_UP_OUT, 2] < 0  # outer upper lip rolls down and in
    assert stays(d, [LIP_LO_OUT])


def check_roll_lower(m, d, s):
    assert d[LIP_LO_OUT, 1] > 0.1 and d[LIP_LO_OUT, 2] < 0
    assert stays(d, [LIP_UP_OUT])


def check_upper_up(m, d, s):
    assert d[LIP_UP_OUT, 1] > 0.2 and d[LIP_UP_IN, 1] > 0.2 and stays(d, [LIP_LO_IN])


def check_lower_down(m, d, s):
    assert d[LIP_LO_OUT, 1] < -0.2 and d[LIP_LO_IN, 1] < -0.2 and stays(d, [LIP_UP_IN])


def check_lower_open(m, d, s):
    assert d[LIP_LO_OUT, 1] < -0.1 and d[LIP_LO_OUT, 2] > 0 and stays(d, [LIP_UP_IN])  # drops away from the teeth
    assert stays(d, [CHIN])  # the lower lip alone, not the jaw


def check_funnel(m, d, s):
    assert d[LIP_UP_OUT, 2] > 0.3 and d[LIP_LO_OUT, 2] > 0.3
    assert d[LIP_UP_IN, 1] - d[LIP_LO_IN, 1] > 0.3  # opens into a round shape
    assert d[CORNER["L"], 0] < -0.2 and d[CORNER["R"], 0] > 0.2  # corners draw in


def check_pucker(m, d, s):
    assert d[LIP_UP_OUT, 2] > 0.5 and d[LIP_LO_OUT, 2] > 0.5
    assert d[CORNER["L"], 0] < -0.4 and d[CORNER["R"], 0] > 0.4
    assert abs(d[LIP_UP_IN, 1] - d[LIP_LO_IN, 1]) < 0.1  # stays closed


def check_chin_lower_raise(m, d, s):
    chin_middle = int(
        np.argmin(np.abs(m.neutral[:468, 1] - (m.neutral[CHIN, 1] + 1.5)) + 10 * np.abs(m.neutral[:468, 0]))
    )
    assert d[chin_middle, 1] > 0.1 and d[LIP_LO_OUT, 1] > 0.1


def check_chin_upper_raise(m, d, s):
    assert d[LIP_UP_OUT, 1] > 0.1 and stays(d, [CHIN])  # the upper lip pushed up, the jaw still


def check_sneer(m, d, s):
    nose = m.regions.nose
    wings = nose[(np.abs(m.neutral[nose, 0]) > 0.8) & (m.neutral[nose, 1] < m.neutral[1, 1] + 0.8)]
    left, right = wings[m.neutral[wings, 0] > 0], wings[m.neutral[wings, 0] < 0]
    assert d[left, 1].mean() > 0.15 and d[right, 1].mean() > 0.15


def _cheek(m, side_sign):
    p = m.neutral[:468]
    target = np.array([side_sign * (abs(p[CORNER["L"], 0]) + 1.0), p[CORNER["L"], 1] + 1.5, 0.0])
    return int(np.argmin(np.linalg.norm((p - target) * [1, 1, 0.3], axis=1)))


def check_puff(m, d, s):
    assert d[_cheek(m, 1.0), 0] > 0.1 and d[_cheek(m, -1.0), 0] < -0.1  # both cheeks bulge outward


def check_cheek_squint(m, d, s):
    p = m.neutral[:468]
    below_eye = int(np.argmin(np.linalg.norm(p - [SIGN[s] * 3.3, -2.2, p[:, 2].max()], axis=1) + 0 * p[:, 2]))
    below_eye = int(np.argmin(np.abs(p[:, 0] - SIGN[s] * 3.3) + np.abs(p[:, 1] + 2.2)))
    assert d[below_eye, 1] > 0.2
    assert stays(d, [_cheek(m, -SIGN[s])])


CHECKS = {
    "EyeBlink": check_blink,
    "EyeSquint": check_squint,
    "EyeDown": gaze_check("down"),
    "EyeIn": gaze_check("in"),
    "EyeOpen": check_wide,
    "EyeOut": gaze_check("out"),
    "EyeUp": gaze_check("up"),
    "BrowsD": check_brow_down,
    "BrowsU_C": check_brow_inner_up,
    "BrowsU": check_brow_outer_up,
    "JawFwd": check_jaw_fwd,
    "JawLeft": shift_check(CHIN, 0, +1),
    "JawOpen": check_jaw_open,
    "JawRight": shift_check(CHIN, 0, -1),
    "MouthLeft": shift_check(LIP_UP_IN, 0, +1),
    "MouthRight": shift_check(LIP_UP_IN, 0, -1),
    "MouthFrown": corner_check(1, -1),
    "MouthSmile": check_smile,
    "MouthDimple": corner_check(2, -1),
    "LipsStretch": corner_check(0, +1, outward=True),
    "LipsUpperClose": check_roll_upper,
    "LipsLowerClose": check_roll_lower,
    "LipsUpperUp": check_upper_up,
    "LipsLowerDown": check_lower_down,
    "LipsLowerOpen": check_lower_open,
    "LipsFunnel": check_funnel,
    "LipsPucker": check_pucker,
    "ChinLowerRaise": check_chin_lower_raise,
    "ChinUpperRaise": check_chin_upper_raise,
    "Sneer": check_sneer,
    "Puff": check_puff,
    "CheekSquint": check_cheek_squint,
}


def _check_for(name):
    if name in CHECKS:
        return CHECKS[name], ""
    return CHECKS[name[:-2]], name[-1]


class TestModelFile:
    def test_smoke(self, model):
        assert DEFAULT_MODEL_PATH.is_file()
        assert model.neutral.shape == (478, 3) and model.expression_basis.shape == (46, 478, 3)
        assert model.identity_basis.shape == (100, 478, 3) and model.triangles.shape[1] == 3
        assert model.landmark_vertices.shape == (478, 3) and model.landmark_bary.shape == (478, 3)

    def test_names_are_canonical(self, model):
        assert model.expression_names == load_names("facewarehouse46")

    def test_convention_subject_left_is_plus_x(self, model):
        # MediaPipe 263 is the subject's left outer eye corner, 473 the left iris centre.
        assert model.neutral[263, 0] > 0 > model.neutral[33, 0]
        assert model.neutral[473, 0] > 0 > model.neutral[468, 0]
        assert model.neutral[10, 1] > model.neutral[1, 1] > model.neutral[CHIN, 1]  # forehead above nose above chin
        assert model.neutral[1, 2] > model.neutral[263, 2]  # nose tip in front (+z)

    def test_convention_units_cm_and_origin_between_the_eyes(self, model):
        eyes = model.eye_centers
        assert 5.5 < np.linalg.norm(eyes[0] - eyes[1]) < 7.0  # adult eyeball centres are ~6 cm apart
        np.testing.assert_allclose(eyes.mean(axis=0), 0.0, atol=1e-4)
        assert 5.5 < np.linalg.norm(model.neutral[473] - model.neutral[468]) < 7.0

    def test_neutral_is_symmetric(self, model):
        assert np.abs(mirror_points(model.neutral[model.mirror]) - model.neutral).max() < 0.05

    def test_neutral_mouth_is_closed(self, model):
        r = model.regions
        gap = model.neutral[r.lip_upper_inner, 1] - model.neutral[r.lip_lower_inner, 1]
        assert np.abs(gap).max() < 0.05

    def test_landmarks_lie_on_the_scan(self, model):
        """Each landmark is a convex combination of one ICT triangle's corners (barycentric weights)."""
        b = model.landmark_bary
        assert (b >= -1e-6).all() and np.allclose(b.sum(axis=1), 1.0, atol=1e-5)

    def test_triangles_face_outward(self, model):
        v = model.neutral[model.triangles]
        normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        assert (normal[:, 2] > 0).mean() > 0.8  # a face mesh seen from the front

    def test_identity_modes_hold_no_expression(self, model):
        """ICT's identity modes come from neutral scans: none of them opens the mouth or closes an eye."""
        r = model.regions
        for mode in model.identity_basis:
            mouth = mode[r.lip_upper_inner, 1] - mode[r.lip_lower_inner, 1]
            assert np.abs(mouth).max() < 0.1  # lips thinner or fuller by at most 1 mm per unit; an open mouth is cm

    def test_exception_missing_file(self, tmp_path):
        from engine.errors import MissingModelFile

        with pytest.raises(MissingModelFile, match="build-model"):
            load_face_model(tmp_path / "nope.npz")


@pytest.mark.parametrize("name", load_names("facewarehouse46"))
def test_feature_shape_does_what_its_name_says(model, name):
    check, side = _check_for(name)
    check(model, shape(model, name), side)


@pytest.mark.parametrize("name", [n for n in load_names("facewarehouse46") if n.endswith("_L")])
def test_convention_right_shapes_mirror_left(model, name):
    left, right = shape(model, name), shape(model, name[:-2] + "_R")
    assert np.abs(mirror_points(left[model.mirror]) - right).max() < 0.03  # the landmarks' mirror pairs, to 0.3 mm


def test_every_shape_has_a_check():
    assert all(_check_for(n)[0] is not None for n in load_names("facewarehouse46"))


class TestDemoHead:
    def test_smoke_and_size(self):
        head = load_head()
        assert head.expression_names == load_names("facewarehouse46")
        assert {"face", "head_neck", "teeth", "gums_tongue", "iris_left", "sclera_right"} <= set(head.part_names)
        assert (DEFAULT_MODEL_PATH.parent / "face_head.npz").stat().st_size < 15e6  # the bound for rig data

    def test_landmarks_of_the_head_are_the_model(self, model):
        """The tracking model's neutral and shapes are the demo head's, at the landmarks (one head, two views)."""
        from engine.contract.face_head import HEAD_PARTS
        from engine.face_model.ict_facekit import ICT_PARTS, NUM_ICT_VERTICES
        from engine.face_model.surface_points import SurfacePoints

        head = load_head()
        kept = np.zeros(NUM_ICT_VERTICES, bool)
        for part in HEAD_PARTS:
            kept[slice(*ICT_PARTS[part])] = True
        index = np.cumsum(kept) - 1
        on_head = SurfacePoints(index[model.landmark_vertices], model.landmark_bary.astype(np.float64))
        assert kept[model.landmark_vertices].all()
        at_rest = on_head.evaluate(head.vertices)
        inner = np.r_[model.regions.lip_upper_inner, model.regions.lip_lower_inner]
        other = np.setdiff1d(np.arange(478), inner)
        np.testing.assert_allclose(at_rest[other], model.neutral[other], atol=1e-3)
        assert np.abs(at_rest[inner] - model.neutral[inner]).max() < 0.2  # the closed neutral's inner lips
        for e in range(46):
            np.testing.assert_allclose(on_head.evaluate(head.expression_dense(e)), model.expression_basis[e], atol=2e-3)

    @pytest.mark.parametrize("blink", [0.0, 1.0])
    def test_feature_lashes_line_the_lids(self, blink):
        """Every lash drawn lies within 0.75 cm of the lids' edge, open and closed: ICT's lash cards are meant for
        an alpha-textured material, so the demo head shortens them toward each card's base along the lid (before
        that, a card's far edge stood above each inner corner as an opaque wedge, 0.96 cm from the edge).
        """
        from engine.face_model.demo_head import lid_edge

        head = load_head()
        lash = np.isin(head.vertex_part, [head.part_names.index(f"eyelashes_{s}") for s in ("left", "right")])
        drawn = np.unique(head.polygon_vertices[lash[head.polygon_vertices]])
        at = head.vertices.astype(np.float64)
        for name in ("EyeBlink_L", "EyeBlink_R"):
            at = at + blink * head.expression_dense(head.expression_names.index(name))
        face = head.vertex_part == head.part_names.index("face")
        edge = lid_edge(head.polygon_sizes, head.polygon_vertices, face, at, head.eye_centers)
        distance = np.linalg.norm(at[drawn][:, None] - at[edge][None], axis=2).min(axis=1)
        assert distance.max() < 0.75


@needs_ict
def test_shipped_demo_head_is_what_the_scans_and_recipes_give():
    """The committed demo head is what ``build-model`` writes (rebuild it with that command after a change)."""
    from engine.face_model.demo_head import head_from_ict
    from engine.face_model.expressions_from_ict import build_expressions, load_recipes, lower_lip_mask
    from engine.face_model.head_render import head_albedo
    from engine.face_model.ict_facekit import load_ict_facekit
    from engine.face_model_build.build import recentred

    ict, rig = recentred(load_ict_facekit(ICT_DIR))
    recipes, albedo = load_recipes(), head_albedo(ict)
    deltas = build_expressions(ict, rig, recipes, {"lower_lip": lower_lip_mask(ict, albedo.lip)})
    rebuilt = head_from_ict(ict, rig, albedo, deltas, tuple(r.name for r in recipes))
    shipped = load_head()
    np.testing.assert_array_equal(rebuilt.polygon_vertices, shipped.polygon_vertices)
    np.testing.assert_array_equal(rebuilt.vertex_color, shipped.vertex_color)
    np.testing.assert_allclose(rebuilt.vertices, shipped.vertices, atol=1e-6)
    for e in range(len(shipped.expression_names)):
        np.testing.assert_allclose(rebuilt.expression_dense(e), shipped.expression_dense(e), atol=1e-6)


@needs_ict
def test_shipped_model_is_what_the_scans_and_recipes_give(model):
    """Rebuilt from ICT-FaceKit with the shipped correspondence, the neutral, identity and expressions match."""
    from engine.face_model.correspondence import close_inner_lips
    from engine.face_model.expressions_from_ict import build_expressions, load_recipes, lower_lip_mask
    from engine.face_model.head_render import head_albedo
    from engine.face_model.ict_facekit import load_ict_facekit
    from engine.face_model.surface_points import SurfacePoints
    from engine.face_model_build.build import recentred

    ict, rig = recentred(load_ict_facekit(ICT_DIR))
    points = SurfacePoints(model.landmark_vertices.astype(np.int64), model.landmark_bary.astype(np.float64))
    np.testing.assert_allclose(close_inner_lips(points.evaluate(ict.neutral), model.regions), model.neutral, atol=1e-4)
    np.testing.assert_allclose(points.evaluate(ict.identity_deltas), model.identity_basis, atol=1e-4)
    deltas = build_expressions(ict, rig, load_recipes(), {"lower_lip": lower_lip_mask(ict, head_albedo(ict).lip)})
    np.testing.assert_allclose(points.evaluate(deltas), model.expression_basis, atol=1e-4)


@needs_ict
@pytest.mark.slow
def test_shipped_yaw_drift_is_what_the_renders_give(model):
    """Measured again from renders with the shipped correspondence, the detector's yaw drift is the shipped one."""
    from engine.face_model.head_render import head_albedo
    from engine.face_model.ict_facekit import load_ict_facekit
    from engine.face_model.surface_points import SurfacePoints
    from engine.face_model_build.build import _mediapipe_detector, recentred
    from engine.face_model_build.yaw_drift import measure_yaw_drift
    from engine.fitting.fit_config import FitConfig
    from engine.fitting.frame_fit import pose_weights

    ict, _ = recentred(load_ict_facekit(ICT_DIR))
    points = SurfacePoints(model.landmark_vertices.astype(np.int64), model.landmark_bary.astype(np.float64))
    weights = pose_weights(model, np.arange(model.num_points), FitConfig())
    drift, report = measure_yaw_drift(ict, head_albedo(ict), points, weights, _mediapipe_detector())
    assert report["renders_without_face"] == 0
    np.testing.assert_allclose(drift, model.yaw_drift, atol=0.02)  # cm per rad (0.0035 cm per 10 deg)


@needs_ict
@pytest.mark.slow
def test_build_model_command_end_to_end(tmp_path):
    """``build-model --ict`` with a few renders writes every file (the real correspondence uses 240)."""
    out = tmp_path / "face_model.npz"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "build-model", "--ict", str(ICT_DIR), "-o", str(out), "--renders", "8"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rebuilt = load_face_model(out)
    assert rebuilt.expression_basis.shape == (46, 478, 3)
    for name in ("face_head.npz", "face_model_report.json", "ICT-FaceKit-LICENSE.txt"):
        assert (tmp_path / name).is_file()
    # The detector's yaw drift is measured in the build too: MediaPipe's nose tip slides sideways as the head turns.
    nose_tip_cm_per_10deg = abs(rebuilt.yaw_drift[0, 1, 0]) * np.radians(10.0)
    assert 0.03 < nose_tip_cm_per_10deg < 0.2, nose_tip_cm_per_10deg
    report = json.loads((tmp_path / "face_model_report.json").read_text())
    assert report["yaw_drift"]["renders"] == 45 and report["yaw_drift"]["renders_without_face"] == 0
    assert "MIT" in (tmp_path / "ICT-FaceKit-LICENSE.txt").read_text()


def test_build_model_without_the_scans_is_one_clear_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "engine", "build-model", "--ict", str(tmp_path), "-o", str(tmp_path / "m.npz")],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1 and "ICT-FaceKit model not found" in run.stderr and "Traceback" not in run.stderr


def test_build_model_never_replaces_a_file_it_did_not_write(tmp_path):
    art = tmp_path / "face_head.npz"  # an artist's file where the build would write the demo head
    art.write_bytes(b"someone's head")
    command = [sys.executable, "-m", "engine", "build-model", "--ict", str(tmp_path), "-o", str(tmp_path / "m.npz")]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1 and "face_head.npz" in run.stderr and "--overwrite" in run.stderr, run.stderr[-2000:]
    assert "ICT-FaceKit model not found" not in run.stderr  # said before any work, the scans not even looked for
    assert art.read_bytes() == b"someone's head"
    run = subprocess.run([*command, "--overwrite"], cwd=REPO, capture_output=True, text=True)
    assert "ICT-FaceKit model not found" in run.stderr  # allowed: the build goes on (to the missing scans here)


def test_contact_sheet_command(tmp_path):
    import cv2

    out = tmp_path / "sheet.png"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "contact-sheet", str(out)], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > 1000 and img.shape[1] > 1000

    # --motion tints each expression's tile where the skin moves; the neutral tile is as it was.
    tinted = tmp_path / "motion.png"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "contact-sheet", "--motion", str(tinted)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    motion = cv2.imread(str(tinted))
    assert motion.shape == img.shape
    tile = 240  # the sheet's default tile, 8 columns: tile 22 (JawOpen) is row 2, column 6

    def cell(sheet, i):
        r, c = divmod(i, 8)
        return sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile].astype(np.int32)

    assert np.array_equal(cell(motion, 0), cell(img, 0))
    plain_jaw, tinted_jaw = cell(img, 22), cell(motion, 22)
    # BGR: the tint pushes red up against blue on the lower face, hardly on the brows (which JawOpen leaves still).
    redder = (tinted_jaw[..., 2] - tinted_jaw[..., 0]) - (plain_jaw[..., 2] - plain_jaw[..., 0])
    assert redder[150:].mean() > 20 and abs(redder[25:60].mean()) < 0.1 * redder[150:].mean()


def test_motion_tint_blends_with_distance_moved():
    from engine.face_model.contact_sheet import MOTION_FULL_CM, MOTION_RGB, motion_tint

    colors = np.array([[0.8, 0.6, 0.5], [0.8, 0.6, 0.5], [0.8, 0.6, 0.5]])
    delta = np.array([[0.0, 0.0, 0.0], [0.0, MOTION_FULL_CM / 2, 0.0], [0.0, 0.0, 3 * MOTION_FULL_CM]])
    tinted = motion_tint(colors, delta)
    np.testing.assert_allclose(tinted[0], colors[0])
    np.testing.assert_allclose(tinted[1], (colors[1] + np.array(MOTION_RGB)) / 2)
    np.testing.assert_allclose(tinted[2], MOTION_RGB)
