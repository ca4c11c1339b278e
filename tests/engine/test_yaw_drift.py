"""The detector's drift with head yaw: measured into the model file, taken out of MediaPipe's points before the fit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from engine.eyes.eye_topology import iris_points
from engine.face_model.model import load_face_model, yaw_terms
from engine.fitting.fit_config import FitConfig
from engine.fitting.head_pose import HeadPose
from engine.fitting.yaw_drift_removal import drift_free_points, without_yaw_drift

CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "clips"
NOSE_TIP = 1


@pytest.fixture(scope="module")
def model():
    return load_face_model()


def turned_face(model, yaw_deg: float, frames: int = 1) -> tuple[np.ndarray, HeadPose]:
    """``(frames, 478, 3)`` exact VIEW points of the generic neutral turned by ``yaw_deg`` (nose to subject's left)."""
    rotation = Rotation.from_euler("y", yaw_deg, degrees=True).as_matrix()
    translation = np.tile([320.0, -240.0, 0.0], (frames, 1))
    pose = HeadPose(np.full(frames, 12.0), np.tile(rotation, (frames, 1, 1)), translation)
    return pose.model_to_view(np.broadcast_to(model.neutral, (frames, *model.neutral.shape))), pose


def with_drift(model, view: np.ndarray, pose: HeadPose) -> np.ndarray:
    """The view points as a detector with the model's yaw drift would report them."""
    drift = np.tensordot(yaw_terms(pose.yaw), model.yaw_drift.astype(np.float64), 1)  # (T, P, 3) cm
    return view + pose.scale[:, None, None] * np.matmul(drift, pose.rotation.transpose(0, 2, 1))


class TestShippedDrift:
    def test_cardinality_the_model_file_holds_a_measured_drift(self, model):
        assert model.yaw_drift.shape == (2, model.num_points, 3)
        per_10deg = np.linalg.norm(model.yaw_drift[0], axis=1) * np.radians(10.0)
        assert 0.01 < np.median(per_10deg) < 0.2  # cm: MediaPipe's mesh does not turn rigidly with the head
        assert per_10deg[NOSE_TIP] > 0.03  # the nose tip slides sideways as the head turns


class TestRemoval:
    def test_feature_drift_added_at_a_yaw_is_taken_out(self, model):
        for yaw in (-30.0, -12.0, 20.0):
            exact, pose = turned_face(model, yaw, frames=2)
            seen = with_drift(model, exact, pose)
            cleaned = without_yaw_drift(seen, np.arange(model.num_points), model, FitConfig())
            keep = drift_free_points(model)
            error_cm = np.abs(cleaned - exact)[:, keep].max() / pose.scale[0]
            seen_cm = np.abs(seen - exact)[:, keep].max() / pose.scale[0]
            assert error_cm < 0.1 * seen_cm, (yaw, error_cm, seen_cm)

    def test_convention_a_frontal_face_is_left_as_it_is(self, model):
        exact, _ = turned_face(model, 0.0)
        cleaned = without_yaw_drift(exact, np.arange(model.num_points), model, FitConfig())
        np.testing.assert_allclose(cleaned, exact, atol=1e-3)

    def test_convention_rigid_points_eyelids_and_irises_are_left_as_detected(self, model):
        exact, pose = turned_face(model, 25.0)
        seen = with_drift(model, exact, pose)
        cleaned = without_yaw_drift(seen, np.arange(model.num_points), model, FitConfig())
        left = ~drift_free_points(model)
        eyes = [*model.regions.eye_upper["left"], *model.regions.eye_lower["right"], *iris_points("left")]
        assert left[model.regions.rigid].all() and left[eyes].all()
        assert left.sum() < 0.3 * model.num_points  # the brows, nose, mouth, chin and cheeks are corrected
        np.testing.assert_array_equal(cleaned[:, left], seen[:, left])

    def test_edge_frames_without_a_face_and_unused_points(self, model):
        exact, _ = turned_face(model, 15.0, frames=3)
        exact = exact.astype(np.float32)
        exact[1] = np.nan
        ids = np.arange(model.num_points)
        ids[5] = -1
        cleaned = without_yaw_drift(exact, ids, model, FitConfig())
        assert cleaned.dtype == np.float32
        assert np.isnan(cleaned[1]).all() and np.isfinite(cleaned[[0, 2]]).all()
        np.testing.assert_array_equal(cleaned[:, 5], exact[:, 5])

    def test_edge_a_model_without_a_drift_changes_nothing(self, model):
        flat = dataclasses.replace(model, yaw_drift=np.zeros_like(model.yaw_drift))
        exact, _ = turned_face(model, 30.0)
        np.testing.assert_array_equal(without_yaw_drift(exact, np.arange(model.num_points), flat, FitConfig()), exact)


@pytest.mark.shared
@pytest.mark.slow
def test_feature_brows_no_longer_follow_the_head_turn_on_a_real_clip(model):
    """On a held-out talker who turns the head about 50 deg, one brow lowering that follows the turn is gone."""
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    from engine.fitting.clip_fit import fit_clip
    from engine.landmark_pass import collect_landmarks
    from engine.progress import make_reporter
    from engine.track import fit_targets
    from engine.track_config import TrackConfig

    cfg = TrackConfig()
    lm = collect_landmarks(CLIPS / "pcavs" / "Audio_Source_741400104.mp4", cfg, make_reporter("none"))
    names = model.expression_names
    slopes = {}
    for removed in (False, True):
        run = dataclasses.replace(cfg, remove_yaw_drift=removed)
        fit = fit_clip(fit_targets(lm, run, model), lm.point_ids, model, run.fit, eye_closed=lm.p_closed)
        yaw = np.degrees(fit.pose.yaw[fit.valid])
        brows = fit.expression[fit.valid]
        lowered = brows[:, names.index("BrowsD_L")] - brows[:, names.index("BrowsD_R")]
        slopes[removed] = np.polyfit(yaw, lowered, 1)[0] * 10  # per 10 deg
    assert abs(slopes[True]) < 0.5 * abs(slopes[False]), slopes
