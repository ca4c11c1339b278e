"""The contract bugs of issue 7, each pinned where it was: both sides now share one implementation.

Each test failed on the code before the contract existed (the add-on and the engine kept their own copies):
the add-on wrote 10.0 s at 29.97 fps as ``00:00:09:29.700``; the engine wrote CSVs with mode 0600; a full
EyeOut tracked by the engine baked as 0.857 in the add-on; the add-on's One Euro copy let a repeated timestamp
disturb every later sample (by up to 0.29).
"""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest

from engine.contract.atomic_write import default_file_mode
from engine.contract.gaze import EYE_LOOK_FULL_PITCH_RAD, EYE_LOOK_FULL_YAW_RAD, gaze_to_eye_look_weights
from engine.contract.livelink_csv import LiveLinkRecording, read_livelink_csv, write_livelink_csv
from engine.contract.one_euro import FilterConfig, one_euro
from engine.contract.take_io import save_take
from rigs import load_names


def _recording(time: np.ndarray, rate: float) -> LiveLinkRecording:
    t = len(time)
    return LiveLinkRecording(time, np.zeros((t, 52), np.float32), np.zeros((t, 3)), np.zeros((t, 2, 2)), rate)


class TestLiveLinkTimecodesAtNtscRates:
    def test_wart_ten_seconds_at_29_97_is_ten_seconds_issue7(self, tmp_path):
        path = write_livelink_csv(tmp_path / "ntsc.csv", _recording(np.array([0.0, 10.0, 3600.0]), 30000 / 1001))
        with open(path, newline="") as f:
            codes = [row[0] for row in list(csv.reader(f))[1:]]
        assert codes == ["00:00:00:00.000", "00:00:10:00.000", "01:00:00:00.000"]

    @pytest.mark.parametrize("rate", [30000 / 1001, 24000 / 1001, 60000 / 1001, 25.0])
    def test_feature_no_drift_over_an_hour(self, tmp_path, rate):
        time = np.arange(0, 3600, 7.3) + 0.0123
        time -= time[0]
        back = read_livelink_csv(write_livelink_csv(tmp_path / "long.csv", _recording(time, rate)), fps=rate)
        np.testing.assert_allclose(back.time, time, atol=0.5 / (1000 * rate) + 1e-9)


class TestFilesGetTheUsersPermissions:
    def test_wart_csv_mode_is_the_users_default_issue7(self, tmp_path):
        path = write_livelink_csv(tmp_path / "perms.csv", _recording(np.arange(3) / 30, 30.0))
        assert os.stat(path).st_mode & 0o777 == default_file_mode()

    def test_feature_take_and_csv_modes_agree(self, tmp_path):
        from engine.contract.take import make_meta, neutral_take

        take = neutral_take(np.arange(3) / 30, make_meta(fps=30, frame_size=(8, 8), source="p", backend="none"))
        take_path = save_take(tmp_path / "perms.npz", take)
        csv_path = write_livelink_csv(tmp_path / "perms.csv", _recording(np.arange(3) / 30, 30.0))
        assert os.stat(take_path).st_mode & 0o777 == os.stat(csv_path).st_mode & 0o777 == default_file_mode()

    def test_convention_default_mode_follows_umask(self):
        old = os.umask(0o027)
        try:
            assert default_file_mode() == 0o640
        finally:
            os.umask(old)


class TestGazeRoundTrip:
    def test_wart_full_eye_out_tracked_is_full_eye_out_baked_issue7(self):
        """The engine's gaze from a full EyeOut_L / EyeUp_R, turned back into eye-look weights by the add-on."""
        pytest.importorskip("scipy")  # the engine's face-model package needs it; the contract does not
        from engine.fitting.eye_readout import gaze_from_expression

        names = load_names("facewarehouse46")
        expression = np.zeros((2, 46), np.float32)
        expression[0, names.index("EyeOut_L")] = 1.0
        expression[1, names.index("EyeUp_R")] = 1.0
        weights = gaze_to_eye_look_weights(gaze_from_expression(expression, names), names)
        assert weights["EyeOut_L"][0] == pytest.approx(1.0, abs=1e-6)
        assert weights["EyeUp_R"][1] == pytest.approx(1.0, abs=1e-6)
        assert weights["EyeIn_L"][0] == 0.0 and weights["EyeDown_R"][1] == 0.0

    def test_convention_face_model_authors_gaze_at_the_contract_angles(self):
        """The face model's EyeOut_L / EyeUp_L turn the left iris centre by the contract's angles about the eye."""
        pytest.importorskip("scipy")
        from engine.face_model.eyeballs import gaze_rotation
        from engine.face_model.model import load_face_model

        model = load_face_model()
        iris = model.neutral[473] - model.eye_centers[0]  # MediaPipe 473: the subject's left iris centre
        for name, yaw, pitch in (("EyeOut_L", EYE_LOOK_FULL_YAW_RAD, 0.0), ("EyeUp_L", 0.0, EYE_LOOK_FULL_PITCH_RAD)):
            expected = gaze_rotation(yaw, pitch) @ iris - iris
            moved = model.expression_basis[model.expression_names.index(name), 473]
            np.testing.assert_allclose(moved, expected, atol=1e-4)


class TestOneEuroRepeatedTimestamp:
    def test_wart_repeated_timestamp_changes_nothing_after_it_issue7(self):
        """A repeated timestamp holds the output and leaves the state alone: the rest equals the signal without it."""
        rng = np.random.default_rng(0)
        time = np.arange(60) / 30.0
        x = np.cumsum(rng.normal(0, 0.05, (60, 3)), axis=0)
        cfg = FilterConfig(min_cutoff=1.0, beta=0.5)
        with_repeat_t = np.insert(time, 21, time[20])
        with_repeat_x = np.insert(x, 21, x[20] + 0.3, axis=0)  # a different sample at the same instant
        plain = one_euro(x, time, cfg)
        repeated = one_euro(with_repeat_x, with_repeat_t, cfg)
        np.testing.assert_array_equal(repeated[21], repeated[20])
        np.testing.assert_allclose(np.delete(repeated, 21, axis=0), plain, atol=1e-7)
