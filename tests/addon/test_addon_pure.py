"""The add-on's bpy-free layer (blender_addon/pure): Blender frames, opening takes, processing, retargeting."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import takegen

from blender_addon.pure import coords, processing, retarget, takes
from engine.contract.errors import InputError, TakeFormatError, UserError
from engine.contract.frames import FRONTAL_ROTATION, ypr_to_head_rotation
from engine.contract.livelink_csv import LiveLinkRecording, write_livelink_csv
from engine.contract.one_euro import FilterConfig, one_euro
from engine.contract.quaternion import axis_angle_to_quaternion_wxyz, quaternion_multiply, quaternion_wxyz_to_matrix
from engine.contract.take import BLINK_CHANNELS

FRONTAL = np.asarray(FRONTAL_ROTATION)


def _rot_vec(q, v):
    return quaternion_wxyz_to_matrix(q) @ np.asarray(v, float)


def _turn(axis, angle):
    return axis_angle_to_quaternion_wxyz(np.asarray(axis, float), angle)


class TestCoords:
    def test_convention_frontal_is_identity(self):
        q = coords.camera_to_blender_head_rotations(FRONTAL[None])
        np.testing.assert_allclose(q, [[1, 0, 0, 0]], atol=1e-12)

    def test_convention_model_to_blender_axes(self):
        # model +x (subject's left) -> +X, +y (up) -> +Z, +z (out of the face) -> -Y (characters face -Y)
        np.testing.assert_allclose(
            coords.model_to_blender_points(np.eye(3), scale=1.0), [[1, 0, 0], [0, 0, 1], [0, -1, 0]]
        )

    def test_convention_turn_to_subjects_left(self):
        # The head turns 30 deg about its own up axis (model +y): the nose (model +z) swings toward model +x,
        # the subject's left. In Blender the face direction -Y must swing toward +X.
        q_mc = quaternion_multiply(FRONTAL, _turn([0, 1, 0], np.radians(30)))[None]
        qb = coords.camera_to_blender_head_rotations(q_mc)
        face = _rot_vec(qb[0], [0, -1, 0])
        np.testing.assert_allclose(face, [np.sin(np.radians(30)), -np.cos(np.radians(30)), 0], atol=1e-9)

    def test_convention_nod_up(self):
        # Chin up = rotation about model -x: the nose (model +z) moves toward model +y (up): Blender +Z.
        qb = coords.camera_to_blender_head_rotations(
            quaternion_multiply(FRONTAL, _turn([-1, 0, 0], np.radians(20)))[None]
        )
        assert _rot_vec(qb[0], [0, -1, 0])[2] > 0.3

    def test_convention_contract_yaw_is_blender_turn_toward_x(self):
        """The contract's head yaw (Live Link Face) and the Blender conversion agree: yaw > 0 faces +X."""
        qb = coords.camera_to_blender_head_rotations(ypr_to_head_rotation(np.array([[0.5, 0.0, 0.0]])))
        assert _rot_vec(qb[0], [0, -1, 0])[0] == pytest.approx(np.sin(0.5), abs=1e-6)

    def test_continuity_no_flips(self):
        rng = np.random.default_rng(0)
        q = quaternion_multiply(FRONTAL, _turn([0, 1, 0], np.linspace(0, 3, 50)))
        q *= rng.choice([-1.0, 1.0], size=(50, 1))  # the same rotations with random signs
        qb = coords.camera_to_blender_head_rotations(q)
        assert np.all(np.einsum("ij,ij->i", qb[1:], qb[:-1]) > 0)

    def test_feature_blender_to_camera_round_trip(self):
        q = ypr_to_head_rotation(np.random.default_rng(1).uniform(-0.6, 0.6, (20, 3))).astype(np.float64)
        back = coords.blender_to_camera_head_rotations(coords.camera_to_blender_head_rotations(q))
        np.testing.assert_allclose(np.abs(np.sum(back * q, axis=1)), 1.0, atol=1e-9)

    def test_gaze_directions(self):
        q = coords.gaze_to_blender_eye_rotations(np.array([0.4, 0.0]), np.array([0.0, 0.3]))
        assert _rot_vec(q[0], [0, -1, 0])[0] > 0.3  # yaw > 0: toward the subject's left (+X)
        assert _rot_vec(q[1], [0, -1, 0])[2] > 0.25  # pitch > 0: up (+Z)

    def test_bone_local_identity_rest(self):
        q = coords.gaze_to_blender_eye_rotations(np.array([0.4]), np.array([0.1]))
        np.testing.assert_allclose(coords.character_to_local_rotations(q, np.eye(3)), q, atol=1e-12)

    def test_exception_shapes(self):
        with pytest.raises(ValueError):
            coords.camera_to_blender_head_rotations(np.zeros((3, 3)))

    @pytest.mark.parametrize("turn", [0.0, 0.7, -2.0, np.pi])
    def test_character_facing_is_the_turn_about_z_whatever_the_tilt(self, turn):
        from engine.contract.quaternion import axis_angle_to_quaternion_wxyz, quaternion_wxyz_to_matrix

        def rot(axis, angle):
            return quaternion_wxyz_to_matrix(axis_angle_to_quaternion_wxyz(np.array(axis, float), np.array(angle)))

        z_turn = rot([0, 0, 1], turn)
        for tilt in (rot([1, 0, 0], np.pi / 2), rot([0, 1, 0], 0.3), np.eye(3)):  # an FBX armature, a lean, none
            np.testing.assert_allclose(coords.character_facing(z_turn @ tilt), z_turn, atol=1e-9)
        np.testing.assert_allclose(coords.character_facing(rot([1, 0, 0], np.pi)), np.eye(3))  # upside down


class TestOpenTake:
    def test_load_valid(self, tmp_path):
        opened = takes.open_take(takegen.write_take(tmp_path / "clip.npz", frames=40))
        assert opened.name == "clip" and opened.channel_list == "facewarehouse46" and not opened.warnings
        take = opened.take
        assert take.channel_names == tuple(takegen.fw46_names())
        assert take.expression.shape == (40, 46) and take.fps == 30.0 and take.head_rotation.shape == (40, 4)

    @pytest.mark.parametrize(
        "change, message",
        [
            ({"expression": None}, "missing 'expression'"),
            ({"expression": np.zeros((40, 45), np.float32)}, r"'expression' must be float32 \(T, 46\)"),
            ({"expression_names": np.array(["a"] * 46)}, "'expression_names' must be the facewarehouse46 list"),
            ({"time": np.arange(40)[::-1] / 30.0}, "non-decreasing"),
            ({"head_rotation": np.zeros((40, 3), np.float32)}, "head_rotation"),
            ({"meta": np.array('{"schema_version": 7}')}, "'schema_version' must be 1; got 7"),
            ({"expression": np.full((40, 46), np.nan, np.float32)}, "'expression' has 1840 non-finite values"),
        ],
    )
    def test_exception_schema(self, tmp_path, change, message):
        path = takegen.write_take(tmp_path / "bad.npz", frames=40, **change)
        with pytest.raises(TakeFormatError, match=message):
            takes.open_take(path)

    def test_exception_not_a_take(self, tmp_path):
        (tmp_path / "x.npz").write_text("garbage")
        with pytest.raises(TakeFormatError, match="not a take file"):
            takes.open_take(tmp_path / "x.npz")
        with pytest.raises(InputError, match="not found"):
            takes.open_take(tmp_path / "missing.npz")
        with pytest.raises(InputError, match="not a take"):
            takes.open_take(tmp_path / "notes.txt")

    def test_wart_repeated_timestamps_dropped(self, tmp_path):
        """The add-on drops frames with a repeated timestamp (two keys on one frame); the engine keeps them."""
        take = takegen.make_take(20)
        time = take.time.copy()
        time[5] = time[4]
        path = tmp_path / "repeat.npz"
        from engine.contract.take_io import save_take

        save_take(path, dataclasses.replace(take, time=time))
        opened = takes.open_take(path)
        assert opened.take.num_frames == 19 and np.all(np.diff(opened.take.time) > 0) and opened.warnings
        np.testing.assert_array_equal(opened.take.expression[5], take.expression[6])

    def test_feature_csv_keeps_arkit_channels(self, tmp_path):
        rng = np.random.default_rng(3)
        weights = rng.uniform(0, 1, (90, 52)).astype(np.float32)  # 1.5 s: the timecode rate is read from FF
        recording = LiveLinkRecording(
            np.arange(90) / 60.0, weights, rng.uniform(-0.3, 0.3, (90, 3)), np.zeros((90, 2, 2)), 60.0
        )
        opened = takes.open_take(write_livelink_csv(tmp_path / "iphone.csv", recording))
        assert opened.channel_list == "arkit52" and opened.take.channel_names == tuple(takegen.arkit52_names())
        np.testing.assert_allclose(opened.take.expression, weights, atol=1e-6)
        assert opened.take.fps == pytest.approx(60.0)

    def test_feature_a_csv_cut_off_mid_row_opens_with_a_warning(self, tmp_path):
        recording = LiveLinkRecording(np.arange(90) / 60.0, np.zeros((90, 52), np.float32), np.zeros((90, 3)),
                                      np.zeros((90, 2, 2)), 60.0)  # fmt: skip
        path = write_livelink_csv(tmp_path / "cut.csv", recording)
        path.write_text(path.read_text()[:-20])  # the copy stopped inside the last row
        opened = takes.open_take(path)
        assert opened.take.num_frames == 89 and any("was cut off" in w for w in opened.warnings)


class TestProcessing:
    def _take(self, frames=60):
        return takegen.make_take(frames)

    def test_neutral_subtracts_and_clamps(self):
        take = self._take()
        p = processing.process_take(take, processing.ProcessSettings(neutral=(10, 12)))
        expected = np.clip(take.expression - take.expression[10:13].mean(0), 0, 1)
        np.testing.assert_allclose(p.weights, expected, atol=1e-6)
        # the head at the neutral range becomes (close to) the identity
        assert abs(p.head_rotation[11, 0]) > 0.999

    def test_gain_per_channel(self):
        take = self._take()
        p = processing.process_take(take, processing.ProcessSettings(gain=0.5, channel_gains={"JawOpen": 2.0}))
        j = take.channel_names.index("JawOpen")
        np.testing.assert_allclose(p.weights[:, j], np.clip(take.expression[:, j], 0, 1), atol=1e-6)
        np.testing.assert_allclose(p.weights[:, 0], take.expression[:, 0] * 0.5, atol=1e-6)

    def test_refilter_from_raw(self):
        take = self._take(120)
        p = processing.process_take(take, processing.ProcessSettings(refilter=True, filter_strength=0.8))
        assert not np.allclose(p.weights, take.expression)
        assert np.abs(np.diff(p.weights, axis=0)).mean() < np.abs(np.diff(take.expression_raw, axis=0)).mean()

    def test_convention_refilter_is_the_contracts_one_euro(self):
        """Re-filtering in the add-on is the engine's filter (one copy), also over a repeated timestamp."""
        take = self._take(90)
        time = take.time.copy()
        time[40] = time[39]  # a repeated timestamp: the filter holds and its state is untouched
        take = dataclasses.replace(take, time=time)
        strength = 0.7
        p = processing.process_take(take, processing.ProcessSettings(refilter=True, filter_strength=strength))
        cfg = FilterConfig(
            min_cutoff=processing.strength_to_min_cutoff(strength),
            beta=processing.ONE_EURO_BETA,
            d_cutoff=processing.ONE_EURO_D_CUTOFF_HZ,
        )
        expected = np.clip(one_euro(take.expression_raw, time, cfg), 0, 1)
        lids = [take.channel_names.index(name) for name in BLINK_CHANNELS]
        expected[:, lids] = take.expression[:, lids]  # blinks keep the engine's blink filtering
        np.testing.assert_array_equal(p.weights, expected)
        others = [c for c in range(46) if c not in lids]
        np.testing.assert_array_equal(p.weights[40, others], p.weights[39, others])

    def test_feature_refilter_leaves_blinks_closing(self):
        """Re-filtering smooths the weights the user asked for, not the lids: a short blink still closes."""
        take = self._take(60)
        lids = [take.channel_names.index(name) for name in BLINK_CHANNELS]
        raw, filtered = take.expression_raw.copy(), take.expression.copy()
        raw[:, lids], filtered[:, lids] = 0.0, 0.0
        raw[30:33, lids] = filtered[30:33, lids] = np.array([0.5, 1.0, 0.5])[:, None]
        take = dataclasses.replace(take, expression_raw=raw, expression=filtered)
        p = processing.process_take(take, processing.ProcessSettings(refilter=True, filter_strength=0.8))
        assert p.weights[:, lids].max() == 1.0
        others = [c for c in range(46) if c not in lids]
        assert np.abs(np.diff(p.weights[:, others], axis=0)).mean() < np.abs(np.diff(raw[:, others], axis=0)).mean()

    def test_feature_refilter_bridges_frames_without_a_face(self):
        """Raw streams may be NaN where confidence is 0 (a valid take): re-filtering bridges them first."""
        take = self._take(60)
        raw, confidence = take.expression_raw.copy(), take.confidence.copy()
        raw[20:25], confidence[20:25] = np.nan, 0.0
        take = dataclasses.replace(take, expression_raw=raw, confidence=confidence)
        p = processing.process_take(take, processing.ProcessSettings(refilter=True, filter_strength=0.5))
        assert np.isfinite(p.weights).all() and p.weights.shape == (60, 46)

    def test_strength_to_min_cutoff(self):
        assert processing.strength_to_min_cutoff(0.0) == pytest.approx(20.0)
        assert processing.strength_to_min_cutoff(1.0) == pytest.approx(0.3)
        assert processing.strength_to_min_cutoff(0.2) > processing.strength_to_min_cutoff(0.8)

    def test_exception_neutral_outside(self):
        with pytest.raises(processing.NeutralRangeError, match="outside the take") as err:
            processing.process_take(self._take(), processing.ProcessSettings(neutral=(100, 200)))
        assert isinstance(err.value, UserError)


class TestRetarget:
    def test_auto_chooses_arkit_for_arkit_rig(self):
        names = tuple(takegen.fw46_names())
        w = np.zeros((2, 46), np.float32)
        w[:, names.index("EyeBlink_L")] = 0.7
        w[:, names.index("Sneer")] = 0.4
        rig = ["Basis", "EyeBlinkLeft", "eyeBlink_R", "NoseSneer_L", "noseSneerRight", "jawOpen", "custom"]
        plan = retarget.plan_retarget(w, names, rig)
        assert plan.mapping_name == "facewarehouse46_to_arkit52"
        vals = dict(zip(plan.key_names, plan.values[0], strict=False))
        assert vals["EyeBlinkLeft"] == pytest.approx(0.7) and vals["eyeBlink_R"] == 0.0
        assert vals["NoseSneer_L"] == pytest.approx(0.4) and vals["noseSneerRight"] == pytest.approx(0.4)
        assert "custom" in plan.report.unused

    def test_feature_two_targets_spelled_alike_sum_on_the_key_they_both_reach(self):
        import rigs

        names = tuple(takegen.fw46_names())
        w = np.zeros((1, 46), np.float32)
        w[0, names.index("MouthSmile_L")] = 0.5
        links = [rigs.Link("MouthSmile_L", "mouthSmileLeft"), rigs.Link("MouthSmile_L", "mouthSmile_L", gain=0.2)]
        mapping = rigs.make_mapping("edited", names, ("mouthSmileLeft", "mouthSmile_L"), links)
        plan = retarget.plan_retarget(w, names, ["Basis", "mouthSmile_L"], mapping)
        assert plan.key_names == ("mouthSmile_L",)  # one curve for the key, not two fighting
        assert plan.values[0, 0] == pytest.approx(0.5 + 0.2 * 0.5)
        assert plan.report.missing == ()  # neither target is reported as not found

    def test_swap_left_right(self):
        names = tuple(takegen.fw46_names())
        w = np.zeros((1, 46), np.float32)
        w[0, names.index("EyeBlink_L")] = 0.9
        plan = retarget.plan_retarget(w, names, ["EyeBlink_L", "EyeBlink_R"], swap_left_right=True)
        vals = dict(zip(plan.key_names, plan.values[0], strict=False))
        assert vals["EyeBlink_R"] == pytest.approx(0.9) and vals["EyeBlink_L"] == 0.0

    def test_exception_nothing_matches(self):
        with pytest.raises(retarget.MappingError, match="none of the rig"):
            retarget.plan_retarget(
                np.zeros((1, 46)), tuple(takegen.fw46_names()), ["Foo", "Bar"], "facewarehouse46_to_facewarehouse46"
            )

    def test_exception_bad_mapping_file_is_a_user_error(self, tmp_path):
        bad = tmp_path / "mine.toml"
        bad.write_text("schema = 1\nsource = 'facewarehouse46'\n")
        with pytest.raises(retarget.MappingError) as err:
            retarget.plan_retarget(np.zeros((1, 46)), tuple(takegen.fw46_names()), ["JawOpen"], str(bad))
        assert isinstance(err.value, UserError) and "mine.toml" in str(err.value)
