"""The engine's own face model: file contents, conventions, and what every one of the 46 shapes does.

Model frame: cm, +x = the subject's LEFT, +y up, +z out of the face. Each shape is checked at weight 1 on the
generic neutral by a measurable property that its FaceWarehouse name promises.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.face_model.model import DEFAULT_MODEL_PATH, load_face_model
from engine.face_model.neutral import mirror_points
from rigs import load_names

REPO = Path(__file__).resolve().parents[2]
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


def eye_region(model, side):
    r = model.regions
    return np.r_[r.eye_upper[side], r.eye_lower[side], r.brow[side]]


def other(s):
    return "R" if s == "L" else "L"


# --- one property check per shape family ----------------------------------------------------------------------
def check_blink(m, d, s):
    assert eye_gap(m, d, SIDE[s]) < 0.1 * eye_gap(m, 0 * d, SIDE[s])  # closes onto the lower lid
    assert region_motion(d, eye_region(m, SIDE[other(s)])) < 1e-3  # the other eye stays


def check_squint(m, d, s):
    r = m.regions
    assert d[r.eye_lower[SIDE[s]], 1].mean() > 0.1  # lower lid rises
    assert eye_gap(m, d, SIDE[s]) < 0.8 * eye_gap(m, 0 * d, SIDE[s])
    assert region_motion(d, eye_region(m, SIDE[other(s)])) < 1e-3


def check_wide(m, d, s):
    assert eye_gap(m, d, SIDE[s]) > 1.2 * eye_gap(m, 0 * d, SIDE[s])
    assert region_motion(d, eye_region(m, SIDE[other(s)])) < 1e-3


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
        assert np.abs(d[IRIS[other(s)]]).max() < 1e-3

    return check


def check_brow_down(m, d, s):
    assert d[m.regions.brow[SIDE[s]], 1].mean() < -0.3
    assert region_motion(d, m.regions.brow[SIDE[other(s)]]) < 1e-3


def _inner_outer(m, side):
    brow = m.regions.brow[side]
    x = np.abs(m.neutral[brow, 0])
    return brow[x < np.median(x)], brow[x >= np.median(x)]


def check_brow_outer_up(m, d, s):
    inner, outer = _inner_outer(m, SIDE[s])
    assert d[outer, 1].mean() > 0.3 and d[outer, 1].mean() > d[inner, 1].mean()
    assert region_motion(d, m.regions.brow[SIDE[other(s)]]) < 1e-3


def check_brow_inner_up(m, d, s):
    for side in ("left", "right"):
        inner, outer = _inner_outer(m, side)
        assert d[inner, 1].mean() > 0.3 and d[inner, 1].mean() > d[outer, 1].mean()


def check_jaw_open(m, d, s):
    assert d[CHIN, 1] < -1.0
    assert d[LIP_LO_IN, 1] - d[LIP_UP_IN, 1] < -1.0  # the lips part
    assert np.abs(d[LIP_UP_OUT]).max() < 1e-3 and region_motion(d, eye_region(m, "left")) < 1e-3


def check_jaw_fwd(m, d, s):
    assert d[CHIN, 2] > 0.3 and np.abs(d[LIP_UP_OUT]).max() < 1e-3


def shift_check(index, axis, sign):
    def check(m, d, s):
        assert sign * d[index, axis] > 0.3, d[index]

    return check


def corner_check(axis, sign, threshold=0.3, outward=False):
    def check(m, d, s):
        c = d[CORNER[s]]
        value = c[axis] * (SIGN[s] if outward else 1.0)
        assert sign * value > threshold, c
        assert np.abs(d[CORNER[other(s)]]).max() < 1e-3

    return check


def check_smile(m, d, s):
    corner_check(1, +1)(m, d, s)  # up
    assert d[CORNER[s], 0] * SIGN[s] > 0.1  # and back toward the ear


def check_roll_upper(m, d, s):
    assert d[LIP_UP_OUT, 1] < -0.1 and d[LIP_UP_OUT, 2] < 0  # outer upper lip rolls down and in
    assert np.abs(d[LIP_LO_OUT]).max() < 1e-3


def check_roll_lower(m, d, s):
    assert d[LIP_LO_OUT, 1] > 0.1 and d[LIP_LO_OUT, 2] < 0
    assert np.abs(d[LIP_UP_OUT]).max() < 1e-3


def check_upper_up(m, d, s):
    assert d[LIP_UP_OUT, 1] > 0.3 and d[LIP_UP_IN, 1] > 0.3 and np.abs(d[LIP_LO_IN]).max() < 1e-3


def check_lower_down(m, d, s):
    assert d[LIP_LO_OUT, 1] < -0.3 and d[LIP_LO_IN, 1] < -0.3 and np.abs(d[LIP_UP_IN]).max() < 1e-3


def check_lower_open(m, d, s):
    assert d[LIP_LO_OUT, 2] > 0.2 and d[LIP_LO_OUT, 1] < 0 and np.abs(d[LIP_UP_IN]).max() < 1e-3


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
    assert d[LIP_UP_OUT, 1] > 0.1 and d[LIP_UP_OUT, 2] > 0.1


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
    assert d[_cheek(m, 1.0), 0] > 0.2 and d[_cheek(m, -1.0), 0] < -0.2


def check_cheek_squint(m, d, s):
    p = m.neutral[:468]
    below_eye = int(np.argmin(np.linalg.norm(p - [SIGN[s] * 3.3, -2.2, p[:, 2].max()], axis=1) + 0 * p[:, 2]))
    below_eye = int(np.argmin(np.abs(p[:, 0] - SIGN[s] * 3.3) + np.abs(p[:, 1] + 2.2)))
    assert d[below_eye, 1] > 0.2
    assert np.abs(d[_cheek(m, -SIGN[s])]).max() < 1e-3


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
        assert model.identity_basis.shape[1:] == (478, 3) and model.triangles.shape[1] == 3

    def test_names_are_canonical(self, model):
        assert model.expression_names == load_names("facewarehouse46")

    def test_convention_subject_left_is_plus_x(self, model):
        # MediaPipe 263 is the subject's left outer eye corner, 473 the left iris centre.
        assert model.neutral[263, 0] > 0 > model.neutral[33, 0]
        assert model.neutral[473, 0] > 0 > model.neutral[468, 0]
        assert model.neutral[10, 1] > model.neutral[1, 1] > model.neutral[CHIN, 1]  # forehead above nose above chin
        assert model.neutral[1, 2] > model.neutral[263, 2]  # nose tip in front (+z)

    def test_convention_units_cm(self, model):
        ipd = np.linalg.norm(model.neutral[473] - model.neutral[468])
        assert ipd == pytest.approx(6.3, abs=1e-3)  # mean adult interpupillary distance, cm

    def test_neutral_is_symmetric(self, model):
        assert np.abs(mirror_points(model.neutral[model.mirror]) - model.neutral).max() < 1e-4

    def test_neutral_mouth_is_closed(self, model):
        r = model.regions
        gap = model.neutral[r.lip_upper_inner, 1] - model.neutral[r.lip_lower_inner, 1]
        assert np.abs(gap).max() < 0.05

    def test_triangles_face_outward(self, model):
        v = model.neutral[model.triangles]
        normal = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
        assert (normal[:, 2] > 0).mean() > 0.8  # a face mesh seen from the front

    def test_identity_space_excludes_similarity(self, model):
        basis = model.identity_basis[:, :468].reshape(len(model.identity_basis), -1)
        shift = np.zeros((468, 3))
        shift[:, 0] = 1.0
        coeff = basis @ shift.ravel() / np.linalg.norm(shift)
        assert np.abs(coeff).max() / np.linalg.norm(basis, axis=1).max() < 1e-3

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
    assert np.abs(mirror_points(left[model.mirror]) - right).max() < 1e-4


def test_every_shape_has_a_check():
    assert all(_check_for(n)[0] is not None for n in load_names("facewarehouse46"))


def test_build_model_is_reproducible(tmp_path, model):
    """Rebuilding from scratch (MediaPipe on the public-domain portrait) gives the committed file."""
    from engine.face_model.build import build_face_model

    rebuilt = build_face_model(tmp_path / "model.npz")
    assert np.abs(rebuilt.neutral - model.neutral).max() < 1e-3
    assert np.abs(rebuilt.expression_basis - model.expression_basis).max() < 1e-3


def test_contact_sheet_command(tmp_path):
    import cv2

    out = tmp_path / "sheet.png"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "contact-sheet", str(out)], cwd=REPO, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > 1000 and img.shape[1] > 1000
