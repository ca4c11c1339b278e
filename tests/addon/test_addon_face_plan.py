"""The add-on's bpy-free retargeting onto a face of several meshes, its report, and bone motion (jaw, neck)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import takegen

from blender_addon.pure import bone_motion, retarget
from engine.contract.quaternion import (
    axis_angle_to_quaternion_wxyz,
    quaternion_multiply,
    quaternion_wxyz_to_matrix,
)
from rigs import load_mapping

FW = tuple(takegen.fw46_names())
ARKIT = takegen.arkit52_names()


def _weights(seed=0, frames=5) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (frames, 46)).astype(np.float32)


class TestPlanFace:
    def test_feature_every_mesh_with_matching_keys_is_driven(self):
        w = _weights()
        meshes = [
            ("Head", ["Basis", *ARKIT, "viseme_aa", "viseme_O"]),
            ("Teeth", ["Basis", "jawOpen", "jawForward", "mouthOpen"]),
            ("Tongue", ["Basis", "jawOpen", "tongueOut"]),
            ("Body", ["Basis", "Breathe"]),
            ("Hair", []),
        ]
        plan = retarget.plan_face(w, FW, meshes)
        assert plan.mapping_name == "facewarehouse46_to_arkit52"
        assert [p.mesh for p in plan.meshes] == ["Head", "Teeth", "Tongue"]
        expected = load_mapping("facewarehouse46_to_arkit52").apply(w)
        jaw = expected[:, ARKIT.index("jawOpen")]
        for p in plan.meshes:
            np.testing.assert_array_equal(p.values[:, p.key_names.index("jawOpen")], jaw)
        assert plan.meshes[2].key_names == ("jawOpen",)  # tongueOut has no FaceWarehouse source: untouched
        assert plan.skipped == (
            ("Body", "none of its 2 shape keys matches a target of facewarehouse46_to_arkit52"),
            ("Hair", "no shape keys"),
        )
        assert plan.no_source == ("mouthClose", "mouthPressLeft", "mouthPressRight", "tongueOut")
        assert plan.summary().startswith("mapping facewarehouse46_to_arkit52: 52/52 matched on 3 meshes (Head 48, ")
        assert plan.connections()["jawOpen"] == ("Head: jawOpen", "Teeth: jawOpen", "Tongue: jawOpen")

    def test_feature_an_editor_mappings_unlinked_targets_are_not_counted_missing(self):
        """A mapping saved from the mapping editor lists all 52 ARKit targets but links two keys of the rig's own."""
        from rigs import Link, Mapping

        links = (Link("EyeBlink_L", "eCTRLEyesClosedL"), Link("EyeBlink_R", "eCTRLEyesClosedR"))
        mapping = Mapping("my_g8", FW, (*ARKIT, "eCTRLEyesClosedL", "eCTRLEyesClosedR"), links)
        plan = retarget.plan_face(_weights(), FW, [("Genesis8", ["eCTRLEyesClosedL", "eCTRLEyesClosedR"])], mapping)
        assert plan.summary() == "mapping my_g8: 2/2 matched"

    def test_feature_report_lists_every_unmatched_target(self):
        keys = ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen", *(f"AU_{i:02d}_Unit" for i in range(9)), "Corrective"]
        plan = retarget.plan_face(_weights(), FW, [("Face", keys)], "facewarehouse46_to_arkit52")
        lines = plan.report_lines()
        fed = [t for t in ARKIT if t not in ("eyeBlinkLeft", "eyeBlinkRight", "jawOpen", "mouthClose")]
        fed = [t for t in fed if t not in ("mouthPressLeft", "mouthPressRight", "tongueOut")]
        assert f"Not found on any mesh ({len(fed)}): " + ", ".join(fed) in lines  # every one, none elided
        assert "Face: 3 keys driven (no prefix)" in lines
        assert "Face: left alone: AU_##_* (9), Corrective" in lines

    def test_feature_vrm_rig_gets_blink_only_where_no_per_eye_blink(self):
        w = _weights(1)
        meshes = [("Face", ["Fcl_EYE_Close", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_A", "Fcl_ALL_Joy"]),
                  ("Lashes", ["Blink"])]  # fmt: skip
        plan = retarget.plan_face(w, FW, meshes)
        assert plan.mapping_name == "facewarehouse46_to_vrm"
        face, lashes = plan.meshes
        assert face.key_names == ("Fcl_MTH_A", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R")  # mapping target order
        np.testing.assert_allclose(lashes.values[:, 0], 0.5 * (w[:, 0] + w[:, 1]), atol=1e-6)
        assert "happy" in plan.no_source and "Fcl_ALL_Joy" not in face.key_names
        assert any(
            line.startswith("Face: 3 keys driven (no prefix), names read as VRoid") for line in plan.report_lines()
        )

    def test_feature_auto_counts_keys_over_all_meshes(self):
        """A VRM0 head (A, I, U, E, O, Blink) and a teeth mesh with ARKit's jawOpen: VRM drives more keys."""
        meshes = [("Head", ["A", "I", "U", "E", "O", "Blink"]), ("Teeth", ["jawOpen"])]
        assert retarget.plan_face(_weights(), FW, meshes).mapping_name == "facewarehouse46_to_vrm"

    def test_exception_nothing_matches_on_any_mesh(self):
        with pytest.raises(retarget.MappingError, match=r"none of the rig's 3 shape keys \(on 2 meshes\) matches"):
            retarget.plan_face(_weights(), FW, [("A", ["Foo", "Bar"]), ("B", ["Baz"])], "facewarehouse46_to_arkit52")

    def test_exception_edited_mapping_for_another_list(self):
        with pytest.raises(retarget.MappingError, match="reads 52 channels"):
            retarget.plan_face(_weights(), FW, [("A", ARKIT)], load_mapping("arkit52_to_arkit52"))


class TestJaw:
    def test_convention_open_turns_the_chin_down_and_left_turns_it_to_plus_x(self):
        cfg = bone_motion.JawSettings(open_deg=20.0, side_deg=8.0)
        q = bone_motion.jaw_rotations(np.array([0.5, 0.0]), np.array([0.0, 1.0]), np.array([0.0, 0.0]), cfg)
        chin = quaternion_wxyz_to_matrix(q) @ np.array([0.0, -1.0, 0.0])  # (2, 3)
        assert math.degrees(math.asin(-chin[0, 2])) == pytest.approx(10.0)  # half open = 10 degrees down
        assert math.degrees(math.atan2(chin[1, 0], -chin[1, 1])) == pytest.approx(8.0)  # toward the subject's left

    def test_feature_forward_slides_along_minus_y(self):
        t = bone_motion.jaw_translations(np.array([0.0, 1.0]), bone_motion.JawSettings(forward_cm=0.5))
        np.testing.assert_allclose(t, [[0, 0, 0], [0, -0.005, 0]])


class TestSplitRotation:
    def test_feature_parts_compose_to_the_whole(self):
        rng = np.random.default_rng(2)
        axes, angles = rng.normal(size=(20, 3)), rng.uniform(-1.2, 1.2, 20)
        q = np.stack([axis_angle_to_quaternion_wxyz(a, x) for a, x in zip(axes, angles, strict=True)])
        q[::3] *= -1  # the same rotations, other sign
        first, rest = bone_motion.split_rotation(q, 0.4)
        both = quaternion_wxyz_to_matrix(quaternion_multiply(first, rest))
        np.testing.assert_allclose(both, quaternion_wxyz_to_matrix(q), atol=1e-12)
        angle = 2 * np.arccos(np.clip(np.abs(q[:, 0]), 0, 1))
        np.testing.assert_allclose(2 * np.arccos(np.clip(np.abs(first[:, 0]), 0, 1)), 0.4 * angle, atol=1e-9)

    def test_feature_identity_stays_identity(self):
        first, rest = bone_motion.split_rotation(np.array([[1.0, 0, 0, 0]]), 0.5)
        np.testing.assert_allclose(first, [[1, 0, 0, 0]]) and np.testing.assert_allclose(rest, [[1, 0, 0, 0]])
