"""The add-on's bpy-free layers: coords, filtering, take reading, processing, retargeting, Live Link CSV."""

from __future__ import annotations

import numpy as np
import pytest
import takegen

from blender_addon.pure import coords, filtering, livelink_csv, processing, retarget, take_io


def _rot_vec(q, v):
    return coords.quats_to_matrices(q) @ np.asarray(v, float)


class TestCoords:
    def test_convention_frontal_is_identity(self):
        q = coords.camera_to_blender_head_rotations(np.array([[0.0, 1.0, 0.0, 0.0]]))
        np.testing.assert_allclose(q, [[1, 0, 0, 0]], atol=1e-12)

    def test_convention_model_to_blender_axes(self):
        # model +x (subject's left) -> +X, +y (up) -> +Z, +z (out of the face) -> -Y (characters face -Y)
        np.testing.assert_allclose(
            coords.model_to_blender_points(np.eye(3), scale=1.0), [[1, 0, 0], [0, 0, 1], [0, -1, 0]]
        )

    def test_convention_turn_to_subjects_left(self):
        # The head turns 30 deg about its own up axis (model +y): the nose (model +z) swings toward model +x,
        # the subject's left. In Blender the face direction -Y must swing toward +X.
        turn = takegen.axis_angle_wxyz([0, 1, 0], np.radians(30))
        q_mc = takegen.qmul(np.array([0.0, 1, 0, 0]), turn)[None]
        qb = coords.camera_to_blender_head_rotations(q_mc)
        face = _rot_vec(qb[0], [0, -1, 0])
        np.testing.assert_allclose(face, [np.sin(np.radians(30)), -np.cos(np.radians(30)), 0], atol=1e-9)

    def test_convention_nod_up(self):
        # Chin up = rotation about model -x... the nose (model +z) moves toward model +y (up): Blender +Z.
        nod = takegen.axis_angle_wxyz([-1, 0, 0], np.radians(20))
        qb = coords.camera_to_blender_head_rotations(takegen.qmul(np.array([0.0, 1, 0, 0]), nod)[None])
        assert _rot_vec(qb[0], [0, -1, 0])[2] > 0.3

    def test_continuity_no_flips(self):
        rng = np.random.default_rng(0)
        q = takegen.qmul(np.array([0.0, 1, 0, 0]), takegen.axis_angle_wxyz([0, 1, 0], np.linspace(0, 3, 50)))
        q *= rng.choice([-1.0, 1.0], size=(50, 1))  # the same rotations with random signs
        qb = coords.camera_to_blender_head_rotations(q)
        assert np.all(np.einsum("ij,ij->i", qb[1:], qb[:-1]) > 0)

    def test_ypr_round_trip(self):
        ypr = np.array([[0.3, 0.2, -0.1], [-0.5, -0.3, 0.4]])
        back = coords.blender_rotations_to_yaw_pitch_roll(
            coords.camera_to_blender_head_rotations(coords.yaw_pitch_roll_to_camera_head_rotations(ypr))
        )
        np.testing.assert_allclose(back, ypr, atol=1e-9)

    def test_gaze_directions(self):
        q = coords.gaze_to_blender_eye_rotations(np.array([0.4, 0.0]), np.array([0.0, 0.3]))
        assert _rot_vec(q[0], [0, -1, 0])[0] > 0.3  # yaw > 0: toward the subject's left (+X)
        assert _rot_vec(q[1], [0, -1, 0])[2] > 0.25  # pitch > 0: up (+Z)

    def test_bone_local_identity_rest(self):
        q = coords.gaze_to_blender_eye_rotations(np.array([0.4]), np.array([0.1]))
        np.testing.assert_allclose(coords.rotations_to_bone_local(q, np.eye(3)), q, atol=1e-12)

    def test_exception_shapes(self):
        with pytest.raises(ValueError):
            coords.camera_to_blender_head_rotations(np.zeros((3, 3)))


class TestFiltering:
    def test_one_euro_smooths_noise_keeps_constant(self):
        t = np.arange(300) / 30.0
        rng = np.random.default_rng(1)
        x = 0.5 + rng.normal(0, 0.05, (300, 3))
        y = filtering.one_euro(x, t, min_cutoff=0.5)
        assert y.shape == (300, 3) and y.dtype == np.float32
        assert np.std(y[50:]) < 0.5 * np.std(x[50:])
        np.testing.assert_allclose(filtering.one_euro(np.full((10, 2), 0.3), t[:10], min_cutoff=1.0), 0.3, atol=1e-6)

    @pytest.mark.parametrize("tol", [0.001, 0.01, 0.05])
    def test_reduce_keys_within_tolerance(self, tol):
        x = np.arange(500, dtype=float)
        v = 0.5 + 0.4 * np.sin(x / 20) + np.random.default_rng(2).normal(0, 0.002, 500)
        keep = filtering.reduce_keys(x, v, tol)
        assert keep[0] == 0 and keep[-1] == 499 and len(keep) < 500
        assert np.max(np.abs(np.interp(x, x[keep], v[keep]) - v)) <= tol + 1e-12


class TestTakeIO:
    def test_load_valid(self, tmp_path):
        take = take_io.load_take(takegen.write_take(tmp_path / "clip.npz", frames=40))
        assert take.name == "clip" and take.name_list == "facewarehouse46"
        assert take.expression.shape == (40, 46) and take.fps == 30.0 and take.head_rotation.shape == (40, 4)

    @pytest.mark.parametrize(
        "change, message",
        [
            ({"expression": None}, "missing 'expression'"),
            ({"expression": np.zeros((40, 45), np.float32)}, r"must be \(T, 46\)"),
            ({"expression_names": np.array(["a"] * 46)}, "neither the FaceWarehouse-46"),
            ({"time": np.arange(40)[::-1] / 30.0}, "non-decreasing"),
            ({"head_rotation": np.zeros((40, 3), np.float32)}, "head_rotation"),
            ({"meta": np.array('{"schema_version": 7}')}, "schema version 7"),
        ],
    )
    def test_exception_schema(self, tmp_path, change, message):
        path = takegen.write_take(tmp_path / "bad.npz", frames=40, **change)
        with pytest.raises(take_io.TakeError, match=message):
            take_io.load_take(path)

    def test_exception_not_a_take(self, tmp_path):
        (tmp_path / "x.npz").write_text("garbage")
        with pytest.raises(take_io.TakeError, match="not a take file"):
            take_io.load_take(tmp_path / "x.npz")
        with pytest.raises(take_io.TakeError, match="not found"):
            take_io.load_take(tmp_path / "missing.npz")

    def test_repeated_timestamps_dropped(self):
        arrays = takegen.make_take_arrays(20)
        arrays["time"][5] = arrays["time"][4]
        take = take_io.take_from_arrays("t", arrays)
        assert take.frame_count == 19 and np.all(np.diff(take.time) > 0) and take.warnings
        np.testing.assert_array_equal(take.expression[5], arrays["expression"][6])

    def test_nan_weights_repaired_with_warning(self, tmp_path):
        arrays = takegen.make_take_arrays(20)
        arrays["expression"][3, 5] = np.nan
        take = take_io.take_from_arrays("t", arrays)
        assert take.expression[3, 5] == 0.0 and take.warnings


class TestProcessing:
    def _take(self, frames=60):
        return take_io.take_from_arrays("t", takegen.make_take_arrays(frames))

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
        j = take.names.index("JawOpen")
        np.testing.assert_allclose(p.weights[:, j], np.clip(take.expression[:, j], 0, 1), atol=1e-6)
        np.testing.assert_allclose(p.weights[:, 0], take.expression[:, 0] * 0.5, atol=1e-6)

    def test_refilter_from_raw(self):
        take = self._take(120)
        p = processing.process_take(take, processing.ProcessSettings(refilter=True, filter_strength=0.8))
        assert not np.allclose(p.weights, take.expression)
        assert np.abs(np.diff(p.weights, axis=0)).mean() < np.abs(np.diff(take.expression_raw, axis=0)).mean()

    def test_exception_neutral_outside(self):
        with pytest.raises(ValueError, match="outside the take"):
            processing.process_take(self._take(), processing.ProcessSettings(neutral=(100, 200)))


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

    def test_swap_left_right(self):
        names = tuple(takegen.fw46_names())
        w = np.zeros((1, 46), np.float32)
        w[0, names.index("EyeBlink_L")] = 0.9
        plan = retarget.plan_retarget(w, names, ["EyeBlink_L", "EyeBlink_R"], swap_left_right=True)
        vals = dict(zip(plan.key_names, plan.values[0], strict=False))
        assert vals["EyeBlink_R"] == pytest.approx(0.9) and vals["EyeBlink_L"] == 0.0

    def test_exception_nothing_matches(self):
        from blender_addon._rigs import rigs

        with pytest.raises(rigs.RigDataError, match="none of the rig"):
            retarget.plan_retarget(
                np.zeros((1, 46)), tuple(takegen.fw46_names()), ["Foo", "Bar"], "facewarehouse46_to_facewarehouse46"
            )


class TestLiveLinkCSV:
    def test_round_trip(self, tmp_path):
        rng = np.random.default_rng(3)
        t = np.arange(90) / 60.0
        llt = livelink_csv.LiveLinkTake(
            t,
            rng.uniform(0, 1, (90, 52)).astype(np.float32),
            rng.uniform(-0.5, 0.5, (90, 3)),
            rng.uniform(-0.3, 0.3, (90, 2, 3)),
            60.0,
        )
        livelink_csv.write_livelink_csv(tmp_path / "a.csv", llt)
        header = (tmp_path / "a.csv").read_text().splitlines()[0].split(",")
        assert header[:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"] and header[-1] == "RightEyeRoll"
        assert len(header) == 2 + 52 + 9
        back = livelink_csv.read_livelink_csv(tmp_path / "a.csv")
        assert back.fps == 60.0
        np.testing.assert_allclose(back.time, t, atol=1e-5)
        np.testing.assert_allclose(back.weights, llt.weights, atol=1e-6)
        np.testing.assert_allclose(back.head, llt.head, atol=1e-6)

    def test_timecode_parse(self, tmp_path):
        names = livelink_csv.csv_header()
        rows = [",".join(names)]
        for code in ("01:02:03:10.500", "01:02:03:11.500", "01:02:03:29.000"):
            rows.append(",".join([code, "61"] + ["0.5"] * 61))
        (tmp_path / "b.csv").write_text("\n".join(rows) + "\n")
        back = livelink_csv.read_livelink_csv(tmp_path / "b.csv")
        assert back.fps == 30.0
        np.testing.assert_allclose(back.time, [0.0, 1 / 30, 18.5 / 30], atol=1e-9)

    def test_exception_not_livelink(self, tmp_path):
        (tmp_path / "c.csv").write_text("a,b\n1,2\n")
        with pytest.raises(take_io.TakeError, match="Timecode"):
            livelink_csv.read_livelink_csv(tmp_path / "c.csv")
