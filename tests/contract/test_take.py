"""Tests for the take contract (engine/contract/take*.py): schema, validation, atomic save / load, conventions."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest

from engine.contract.errors import InputError, TakeFormatError
from engine.contract.frames import CONVENTIONS, FRONTAL_ROTATION, head_rotation_to_ypr, ypr_to_head_rotation
from engine.contract.take import (
    ARRAY_KEYS,
    SCHEMA_VERSION,
    Take,
    make_meta,
    neutral_take,
    take_from_arrays,
    take_to_arrays,
)
from engine.contract.take_io import load_take, save_take
from engine.contract.take_validation import validate_take_arrays
from rigs import load_names

FPS = 30.0


def _sample_take(frames: int = 12, seed: int = 0) -> Take:
    """A valid take with varied values in every stream (seeded)."""
    rng = np.random.default_rng(seed)
    meta = make_meta(fps=FPS, frame_size=(640, 480), source="unit", backend="mediapipe", filter_settings={"a": 1})
    base = neutral_take(np.arange(frames) / FPS, meta, identity_size=5)
    ypr = rng.uniform(-0.4, 0.4, (frames, 3))
    rot = ypr_to_head_rotation(ypr)
    landmarks = rng.uniform(0, 480, (frames, 478, 2)).astype(np.float32)
    landmarks[3] = np.nan  # frame 3: no face
    confidence = rng.uniform(0.5, 1.0, frames).astype(np.float32)
    confidence[3] = 0.0
    return dataclasses.replace(
        base,
        expression=rng.uniform(0, 1, (frames, 46)).astype(np.float32),
        expression_raw=rng.uniform(0, 1, (frames, 46)).astype(np.float32),
        identity=rng.normal(size=5).astype(np.float32),
        head_rotation=rot,
        head_rotation_raw=rot.copy(),
        head_translation=rng.normal(0, 5, (frames, 3)).astype(np.float32) + np.float32([0, 0, 60]),
        eye_blink=rng.uniform(0, 1, (frames, 2)).astype(np.float32),
        eye_gaze=rng.uniform(-0.5, 0.5, (frames, 2, 2)).astype(np.float32),
        confidence=confidence,
        landmarks=landmarks,
        model_landmarks=landmarks[:, :468].copy(),
    )


class TestSaveLoad:
    def test_smoke(self, tmp_path):
        take = _sample_take()
        written = save_take(tmp_path / "take.npz", take)
        assert written == (tmp_path / "take.npz").resolve()
        loaded = load_take(written)
        assert isinstance(loaded, Take)
        assert loaded.num_frames == 12 and loaded.fps == FPS

    def test_feature_round_trip_is_exact(self, tmp_path):
        take = _sample_take()
        loaded = load_take(save_take(tmp_path / "t.npz", take))
        for key in ARRAY_KEYS:
            if key == "meta":
                assert loaded.meta == take.meta
            else:
                np.testing.assert_array_equal(getattr(loaded, key), getattr(take, key), err_msg=key)
                assert getattr(loaded, key).dtype == getattr(take, key).dtype, key

    def test_convention_plain_numpy_can_read_it(self, tmp_path):
        """The add-on reads the file with numpy alone: no pickles, meta is a 0-d unicode JSON string."""
        path = save_take(tmp_path / "t.npz", _sample_take())
        with np.load(path, allow_pickle=False) as npz:
            assert set(npz.files) == set(ARRAY_KEYS)
            assert npz["meta"].shape == () and npz["meta"].dtype.kind == "U"
            meta = json.loads(str(npz["meta"]))
            assert meta["schema_version"] == SCHEMA_VERSION == 1
            assert npz["expression_names"].tolist() == list(load_names("facewarehouse46"))
            assert npz["head_rotation"].dtype == np.float32 and npz["time"].dtype == np.float64

    def test_feature_save_is_atomic_and_leaves_no_temp_files(self, tmp_path):
        path = tmp_path / "t.npz"
        path.write_bytes(b"old")
        bad = dataclasses.replace(_sample_take(), eye_blink=np.zeros((12, 3), np.float64))
        with pytest.raises(TakeFormatError):
            save_take(path, bad)
        assert path.read_bytes() == b"old"  # an invalid take never replaces a good file
        save_take(path, _sample_take())
        assert sorted(p.name for p in tmp_path.iterdir()) == ["t.npz"]

    def test_exception_missing_file(self, tmp_path):
        with pytest.raises(InputError, match="not found"):
            load_take(tmp_path / "nope.npz")

    def test_exception_not_an_archive(self, tmp_path):
        path = tmp_path / "junk.npz"
        path.write_text("hello")
        with pytest.raises(TakeFormatError, match="junk.npz"):
            load_take(path)

    def test_exception_message_names_file_key_dtype_and_shape(self, tmp_path):
        arrays = take_to_arrays(_sample_take(frames=120))
        arrays["eye_blink"] = np.zeros((120, 3), np.float64)
        np.savez(tmp_path / "take.npz", **arrays)
        with pytest.raises(TakeFormatError) as err:
            load_take(tmp_path / "take.npz")
        assert str(err.value) == "take.npz: 'eye_blink' must be float32 (T, 2); got float64 (120, 3)"

    def test_exception_collects_all_problems(self, tmp_path):
        arrays = take_to_arrays(_sample_take())
        arrays["eye_blink"] = arrays["eye_blink"] * 2 + 0.5  # out of [0, 1]
        arrays["head_rotation"] = arrays["head_rotation"] * 1.1  # not unit
        del arrays["confidence"]
        np.savez(tmp_path / "take.npz", **arrays)
        with pytest.raises(TakeFormatError) as err:
            load_take(tmp_path / "take.npz")
        message = str(err.value)
        assert "'eye_blink' must be within [0, 1]" in message
        assert "'head_rotation' must hold unit quaternions" in message
        assert "missing 'confidence'" in message
        assert message.startswith("take.npz: 3 problems: (1) ") and "(3) " in message and "\n" not in message


class TestValidateTakeArrays:
    def test_smoke(self):
        assert validate_take_arrays(take_to_arrays(_sample_take())) == []

    def test_cardinality_68_point_landmarks_allowed(self):
        arrays = take_to_arrays(_sample_take())
        arrays["landmarks"] = np.full((12, 68, 2), np.nan, np.float32)
        assert validate_take_arrays(arrays) == []
        arrays["landmarks"] = np.full((12, 100, 2), np.nan, np.float32)
        assert validate_take_arrays(arrays) == [
            "'landmarks' must be float32 (T, N=478|68|0, 2); got float32 (12, 100, 2)"
        ]

    def test_cardinality_inconsistent_frame_count(self):
        arrays = take_to_arrays(_sample_take())
        arrays["expression"] = arrays["expression"][:11]
        assert validate_take_arrays(arrays) == ["'expression' must be float32 (T, 46); got float32 (11, 46)"]

    def test_cardinality_empty_identity_and_zero_frames(self):
        meta = make_meta(fps=30, frame_size=(1, 1), source="e", backend="none")
        assert validate_take_arrays(take_to_arrays(neutral_take(np.zeros(1), meta))) == []  # K = 0 is fine
        # zero frames: the add-on has nothing to bake, so neither side accepts such a take (issue 9)
        problems = validate_take_arrays(take_to_arrays(neutral_take(np.zeros(0), meta)))
        assert problems == ["the take has no frames ('time' is empty); a take holds at least one frame"]

    def test_exception_wrong_names(self):
        arrays = take_to_arrays(_sample_take())
        names = arrays["expression_names"].copy()
        names[[0, 1]] = names[[1, 0]]
        arrays["expression_names"] = names
        (problem,) = validate_take_arrays(arrays)
        assert "first difference at 0: 'EyeBlink_R' instead of 'EyeBlink_L'" in problem

    def test_exception_time(self):
        arrays = take_to_arrays(_sample_take())
        arrays["time"] = arrays["time"] + 1.0
        arrays["time"][5] = 0.0
        problems = validate_take_arrays(arrays)
        assert any("must start at 0" in p for p in problems)
        assert any("goes back at frame 5" in p for p in problems)

    def test_exception_time_wrong_dtype_reports_frame_count(self):
        arrays = take_to_arrays(_sample_take())
        arrays["time"] = arrays["time"].astype(np.float32)
        problems = validate_take_arrays(arrays)
        assert "'time' must be float64 (T,); got float32 (12,)" in problems
        assert any("frame count" in p for p in problems)

    def test_exception_nan_in_filtered_stream(self):
        arrays = take_to_arrays(_sample_take())
        arrays["expression"][4, 2] = np.nan
        assert validate_take_arrays(arrays) == ["'expression' has 1 non-finite values (first at row 4)"]

    def test_feature_raw_streams_may_be_nan_without_a_face(self):
        arrays = take_to_arrays(_sample_take())  # frame 3 has confidence 0
        arrays["head_rotation_raw"][3] = np.nan
        arrays["eye_gaze_raw"][3] = np.nan
        assert validate_take_arrays(arrays) == []
        arrays["head_rotation_raw"][4] = np.nan  # frame 4 has a face
        assert validate_take_arrays(arrays) == ["'head_rotation_raw' has 4 non-finite values (first at row 4)"]

    def test_feature_tolerances(self):
        arrays = take_to_arrays(_sample_take())
        arrays["expression"][0, 0] = 1.0 + 1e-5  # float round-off: accepted
        arrays["head_rotation"][0] *= 1.0 + 1e-4
        assert validate_take_arrays(arrays) == []
        arrays["expression"][0, 0] = 1.01
        (problem,) = validate_take_arrays(arrays)
        assert problem.startswith("'expression' must be within [0, 1]; got [") and problem.endswith(", 1.01]")

    def test_exception_gaze_in_degrees(self):
        arrays = take_to_arrays(_sample_take())
        arrays["eye_gaze"] = np.degrees(arrays["eye_gaze"]).astype(np.float32)
        (problem,) = validate_take_arrays(arrays)
        assert "degrees by mistake" in problem

    def test_exception_meta(self):
        arrays = take_to_arrays(_sample_take())
        arrays["meta"] = np.array("{not json")
        assert validate_take_arrays(arrays)[0].startswith("'meta' is not valid JSON")
        meta = _sample_take().meta | {"schema_version": 2}
        del meta["fps"]
        arrays["meta"] = np.array(json.dumps(meta))
        problems = validate_take_arrays(arrays)
        assert "meta 'schema_version' must be 1; got 2 (written by a newer engine: update the add-on)" in problems
        assert "meta is missing 'fps'" in problems

    def test_exception_pickled_object_array_is_rejected(self, tmp_path):
        arrays = take_to_arrays(_sample_take())
        arrays["meta"] = np.array({"a": 1}, dtype=object)
        np.savez(tmp_path / "obj.npz", **arrays)
        with pytest.raises(TakeFormatError, match="obj.npz"):
            load_take(tmp_path / "obj.npz")


class TestTakeFromArrays:
    def test_feature_converts_dtypes(self):
        arrays = {k: v for k, v in take_to_arrays(_sample_take()).items()}
        arrays["expression"] = arrays["expression"].astype(np.float64)
        take = take_from_arrays(arrays)
        assert take.expression.dtype == np.float32
        assert isinstance(take.meta, dict) and take.meta["source"] == "unit"


class TestConventions:
    def test_convention_meta_carries_conventions_and_versions(self):
        meta = make_meta(fps=25, frame_size=(1920, 1080), source="s", backend="mediapipe")
        assert meta["conventions"] == CONVENTIONS
        assert set(meta) >= {"schema_version", "fps", "frame_size", "source", "engine_version", "backend", "filter"}
        assert meta["conventions"]["quaternion_order"].startswith("w, x, y, z")
        json.dumps(meta)  # serialisable

    def test_convention_frontal_is_180_about_x(self):
        """A frontal face: model +y (up) -> camera -y (image up), model +z (nose) -> camera -z (toward lens)."""
        w, x, y, z = FRONTAL_ROTATION
        assert (w, x, y, z) == (0.0, 1.0, 0.0, 0.0)
        np.testing.assert_allclose(head_rotation_to_ypr(np.array([FRONTAL_ROTATION])), 0.0, atol=1e-12)

    def test_convention_yaw_positive_turns_nose_to_subjects_left(self):
        """Subject's left is model +x, which a frontal pose maps to camera +x (image right)."""
        q = ypr_to_head_rotation(np.array([[0.3, 0.0, 0.0]]))[0].astype(np.float64)
        nose_cam = _rotate(q, np.array([0.0, 0.0, 1.0]))
        assert nose_cam[0] > 0.25  # nose moves to image right = subject's left
        assert nose_cam[2] < 0  # still pointing back at the camera

    def test_convention_pitch_positive_tips_nose_up(self):
        """Same sign as gaze pitch (> 0 up) and the add-on's Live Link columns."""
        q = ypr_to_head_rotation(np.array([[0.0, 0.3, 0.0]]))[0].astype(np.float64)
        nose_cam = _rotate(q, np.array([0.0, 0.0, 1.0]))
        assert nose_cam[1] < -0.25  # image +y is down, so the nose moved up

    def test_convention_roll_positive_tilts_top_of_head_to_subjects_left(self):
        q = ypr_to_head_rotation(np.array([[0.0, 0.0, 0.3]]))[0].astype(np.float64)
        top_cam = _rotate(q, np.array([0.0, 1.0, 0.0]))
        assert top_cam[0] > 0.25  # subject's left appears on the image right (+x)

    def test_convention_order_yaw_then_pitch(self):
        """Yaw is applied first (outermost): after yaw 90 deg, pitch > 0 still raises the nose in the image."""
        q = ypr_to_head_rotation(np.array([[np.pi / 2, 0.3, 0.0]]))[0].astype(np.float64)
        nose_cam = _rotate(q, np.array([0.0, 0.0, 1.0]))
        np.testing.assert_allclose(nose_cam, [np.cos(0.3), -np.sin(0.3), 0.0], atol=1e-6)

    def test_feature_ypr_round_trip(self):
        ypr = np.random.default_rng(1).uniform(-1.2, 1.2, (50, 3))
        q = ypr_to_head_rotation(ypr)
        assert q.dtype == np.float32 and q.shape == (50, 4)
        np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
        np.testing.assert_allclose(head_rotation_to_ypr(q), ypr, atol=1e-5)
        np.testing.assert_allclose(head_rotation_to_ypr(-q), ypr, atol=1e-5)  # q and -q are one rotation

    def test_exception_bad_shapes(self):
        with pytest.raises(ValueError, match=r"\(T, 4\)"):
            head_rotation_to_ypr(np.zeros((3, 3)))
        with pytest.raises(ValueError, match=r"\(T, 3\)"):
            ypr_to_head_rotation(np.zeros(3))

    def test_cardinality_empty(self):
        assert head_rotation_to_ypr(np.zeros((0, 4))).shape == (0, 3)
        assert ypr_to_head_rotation(np.zeros((0, 3))).shape == (0, 4)


def _rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate v by the unit quaternion q = (w, x, y, z), written out independently of scipy."""
    w, x, y, z = q
    r = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )
    assert math.isclose(np.linalg.det(r), 1.0, abs_tol=1e-6)
    return r @ v


class TestSummarizeTake:
    """engine/take_summary.py (tested here: the summary is a view of the take)."""

    def test_smoke(self):
        from engine.take_summary import summarize_take

        text = summarize_take(_sample_take())
        assert "frames      12 at 30 fps" in text and "unit" in text

    def test_feature_coverage_duration_and_ranges(self):
        from engine.take_summary import summarize_take

        take = _sample_take(frames=60)
        expression = np.zeros((60, 46), np.float32)
        expression[:, load_names("facewarehouse46").index("JawOpen")] = np.linspace(0.0, 0.5, 60)
        confidence = np.ones(60, np.float32)
        confidence[:15] = 0.0  # a quarter of the frames without a face: excluded from statistics
        ypr = np.zeros((60, 3))
        ypr[:, 0] = np.radians(20.0)
        take = dataclasses.replace(
            take, expression=expression, confidence=confidence, head_rotation=ypr_to_head_rotation(ypr)
        )
        lines = summarize_take(take).splitlines()
        assert "duration 0:02.000" in lines[2]
        assert lines[3].startswith("face        45/60 frames (75.0%)")
        jaw = next(line for line in lines if line.startswith("JawOpen")).split()
        assert float(jaw[1]) == pytest.approx(15 * 0.5 / 59, abs=1e-3) and float(jaw[3]) == pytest.approx(0.5)
        yaw = next(line for line in lines if line.startswith("head yaw")).split()
        assert [float(v) for v in yaw[2:5]] == pytest.approx([20.0, 20.0, 20.0], abs=1e-3) and yaw[-1] == "deg"
        assert (
            sum(
                1
                for line in lines
                if line.startswith(("Eye", "Brows", "Jaw", "Mouth", "Lips", "Chin", "Sneer", "Puff", "Cheek"))
            )
            == 46
        )

    def test_cardinality_empty_take(self):
        from engine.take_summary import summarize_take

        take = neutral_take(np.zeros(0), make_meta(fps=30, frame_size=(1, 1), source="e", backend="none"))
        assert "frames      0 at 30 fps" in summarize_take(take)
