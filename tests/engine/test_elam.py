"""Tests of engine.eyes.elam: eyelid pairs data, landmark openness, the ELAM adjustment (no clips needed)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.eyes import elam
from engine.eyes.elam import ElamConfig, adjust_eyelid_landmarks, landmark_openness
from engine.eyes.eye_topology import EYES, eye_topology, eyelid_pairs

EYE_WIDTH_PX = 40.0
OPEN_HALF_GAP_PX = 6.0  # gap 12 px / width 40 px -> openness 0.3


def synthetic_landmarks(half_gap_px: tuple[float, float] = (OPEN_HALF_GAP_PX, OPEN_HALF_GAP_PX)) -> np.ndarray:
    """(478, 2) float32 with both eyes drawn as lens shapes; half_gap_px is [left, right] lid half-opening."""
    lm = np.zeros((478, 2), np.float32)
    for eye, half, cx in zip(EYES, half_gap_px, (260.0, 140.0), strict=False):  # subject's left eye at larger image x
        t = eye_topology(eye)
        sign = 1.0 if eye == "left" else -1.0  # outer corner towards the ear
        lm[t.outer_corner] = (cx + sign * EYE_WIDTH_PX / 2, 100.0)
        lm[t.inner_corner] = (cx - sign * EYE_WIDTH_PX / 2, 100.0)
        for i, (up, lo) in enumerate(t.pairs):
            s = (i + 1) / (len(t.pairs) + 1)  # 0 at outer, 1 at inner corner
            x = cx + sign * EYE_WIDTH_PX / 2 * (1 - 2 * s)
            shape = np.sin(np.pi * s) if (up, lo) not in map(tuple, t.ear_pairs) else 1.0
            lm[up] = (x, 100.0 - half * shape)
            lm[lo] = (x, 100.0 + half * shape)
        lm[t.iris_centre] = (cx, 100.0)
    return lm


class TestEyelidPairs:
    def test_smoke(self):
        pairs = eyelid_pairs()
        assert set(pairs) == {"left", "right"}

    def test_cardinality(self):
        for eye, p in eyelid_pairs().items():
            assert p.shape == (7, 2), eye
            assert len(set(p.ravel().tolist())) == 14

    def test_feature_matches_mediapipe_contours(self):
        mp = pytest.importorskip("mediapipe")
        conn = mp.solutions.face_mesh_connections
        for eye, name in (("left", "FACEMESH_LEFT_EYE"), ("right", "FACEMESH_RIGHT_EYE")):
            verts = {v for edge in getattr(conn, name) for v in edge}
            t = eye_topology(eye)
            assert set(t.pairs.ravel().tolist()) | {t.outer_corner, t.inner_corner} == verts

    def test_feature_ear_pairs_are_contour_pairs(self):
        for eye in EYES:
            t = eye_topology(eye)
            assert {tuple(p) for p in t.ear_pairs} <= {tuple(p) for p in t.pairs}

    def test_convention_subject_left_uses_iris_473(self):
        assert eye_topology("left").iris_centre == 473
        assert eye_topology("right").iris_centre == 468
        assert tuple(eyelid_pairs()["right"][3]) == (159, 145)
        assert tuple(eyelid_pairs()["left"][3]) == (386, 374)

    def test_returns_copy(self):
        eyelid_pairs()["left"][0, 0] = -1
        assert eyelid_pairs()["left"][0, 0] == 466

    def test_exception_unknown_eye(self):
        with pytest.raises(ValueError):
            eye_topology("middle")


class TestLandmarkOpenness:
    def test_feature_known_value(self):
        # gap 12 px over width 40 px on the EAR pairs (constructed above)
        np.testing.assert_allclose(landmark_openness(synthetic_landmarks()), [0.3, 0.3], atol=1e-5)

    def test_feature_per_eye(self):
        out = landmark_openness(synthetic_landmarks((1.0, 6.0)))
        np.testing.assert_allclose(out, [0.05, 0.3], atol=1e-5)

    def test_cardinality(self):
        out = landmark_openness(synthetic_landmarks())
        assert out.shape == (2,) and out.dtype == np.float32

    def test_exception_shape(self):
        with pytest.raises(ValueError):
            landmark_openness(np.zeros((468, 2), np.float32))
        with pytest.raises(ValueError):
            landmark_openness(np.zeros((478, 3), np.float32))

    def test_exception_dtype(self):
        with pytest.raises(TypeError):
            landmark_openness(np.zeros((478, 2), np.int32))


class TestAdjustEyelidLandmarks:
    def test_smoke(self):
        out = adjust_eyelid_landmarks(synthetic_landmarks(), np.array([0.2, 0.1]))
        assert out.shape == (478, 2) and out.dtype == np.float32

    def test_feature_p1_moves_upper_onto_lower(self):
        lm = synthetic_landmarks()
        out = adjust_eyelid_landmarks(lm, np.array([1.0, 1.0]))
        for eye in EYES:
            pairs = eye_topology(eye).pairs
            np.testing.assert_allclose(out[pairs[:, 0]], lm[pairs[:, 1]], atol=1e-5)
            np.testing.assert_array_equal(out[pairs[:, 1]], lm[pairs[:, 1]])  # lower lid stays
        np.testing.assert_allclose(landmark_openness(out), [0.0, 0.0], atol=1e-6)

    def test_feature_partial_p_is_linear(self):
        lm = synthetic_landmarks()
        out = adjust_eyelid_landmarks(lm, np.array([0.75, 0.0]))
        pairs = eye_topology("left").pairs
        expected = lm[pairs[:, 0]] + 0.75 * (lm[pairs[:, 1]] - lm[pairs[:, 0]])
        np.testing.assert_allclose(out[pairs[:, 0]], expected, atol=1e-5)
        np.testing.assert_allclose(landmark_openness(out)[0], 0.3 * 0.25, atol=1e-5)

    def test_feature_p0_leaves_landmarks(self):
        lm = synthetic_landmarks()
        np.testing.assert_array_equal(adjust_eyelid_landmarks(lm, np.zeros(2)), lm)

    def test_feature_agreeing_eyes_untouched(self):
        # left: landmarks closed and image closed; right: landmarks open and image open (the paper's rule)
        lm = synthetic_landmarks((0.5, 6.0))
        paper = ElamConfig(close_agreeing=False)
        np.testing.assert_array_equal(adjust_eyelid_landmarks(lm, np.array([0.95, 0.05]), paper), lm)

    def test_feature_a_shut_eyes_last_gap_is_closed_and_an_open_eye_left(self):
        """Both call the left eye closed: its lids' last gap (MediaPipe keeps a shut eye's lids apart) closes by p;
        both call the right eye open: it is untouched.
        """
        lm = synthetic_landmarks((0.5, 6.0))
        out = adjust_eyelid_landmarks(lm, np.array([0.95, 0.05]))
        assert landmark_openness(out)[0] == pytest.approx(0.05 * landmark_openness(lm)[0], abs=1e-5)
        right = np.r_[eye_topology("right").pairs.ravel()]
        np.testing.assert_array_equal(out[right], lm[right])

    def test_feature_only_disagreeing_eye_moves(self):
        lm = synthetic_landmarks()
        out = adjust_eyelid_landmarks(lm, np.array([0.9, 0.1]))
        right = np.r_[eye_topology("right").pairs.ravel()]
        np.testing.assert_array_equal(out[right], lm[right])
        assert landmark_openness(out)[0] == pytest.approx(0.03, abs=1e-5)
        untouched = np.setdiff1d(np.arange(478), eye_topology("left").pairs[:, 0])
        np.testing.assert_array_equal(out[untouched], lm[untouched])

    def test_feature_thresholds_from_config(self):
        lm = synthetic_landmarks()
        cfg = ElamConfig(closed_probability_threshold=0.95)
        np.testing.assert_array_equal(adjust_eyelid_landmarks(lm, np.array([0.9, 0.9]), cfg), lm)

    def test_input_not_modified(self):
        lm = synthetic_landmarks()
        before = lm.copy()
        adjust_eyelid_landmarks(lm, np.ones(2))
        np.testing.assert_array_equal(lm, before)

    def test_exception_p_shape_and_range(self):
        lm = synthetic_landmarks()
        with pytest.raises(ValueError):
            adjust_eyelid_landmarks(lm, np.ones(3))
        with pytest.raises(ValueError):
            adjust_eyelid_landmarks(lm, np.array([1.5, 0.0]))
        with pytest.raises(ValueError):
            adjust_eyelid_landmarks(lm, np.array([np.nan, 0.0]))
        with pytest.raises(ValueError):
            adjust_eyelid_landmarks(lm[:468], np.ones(2))

    def test_api_surface(self):
        from engine.eyes import eye_topology as topology

        assert set(elam.__all__) >= {"adjust_eyelid_landmarks", "landmark_openness", "ElamConfig"}
        assert set(topology.__all__) >= {"EYES", "eye_topology", "eyelid_pairs", "iris_points"}


def test_convention_the_eyes_vertices_are_written_once():
    """eyelid_pairs.toml holds MediaPipe's eye contours (every vertex of FACEMESH_LEFT_EYE / _RIGHT_EYE, corners and
    lids), and the shipped face model's lid regions are its pairs, inner corner first (they were derived a second
    time, in the opposite order).
    """
    from engine.eyes.eye_topology import eye_topology
    from engine.face_model.model import load_face_model
    from engine.face_model.topology import mediapipe_connections

    model = load_face_model()
    for eye in EYES:
        topology = eye_topology(eye)
        contour = {v for edge in mediapipe_connections()[f"{eye}_eye"] for v in edge}
        assert contour == {topology.outer_corner, topology.inner_corner, *topology.pairs.ravel().tolist()}
        np.testing.assert_array_equal(model.regions.eye_upper[eye], topology.pairs[::-1, 0])
        np.testing.assert_array_equal(model.regions.eye_lower[eye], topology.pairs[::-1, 1])
