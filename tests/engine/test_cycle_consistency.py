"""Cycle consistency (Yang et al., IEEE TMM 2023) as a disentanglement check of the fitter.

The same expression seen under another head pose must give the same weights: real frames' 3D landmarks are
re-posed (yaw +-30 deg, pitch +-20 deg about the face's centre), re-projected, and refitted. Every weight of every
frame must move by less than 0.05, so expression does not leak into head pose (or back).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from engine.contract.frames import image_to_view_points, view_to_image_points
from engine.face_model.model import load_face_model
from engine.fitting.clip_fit import fit_clip
from engine.landmark_pass import collect_landmarks
from engine.progress import make_reporter
from engine.track import fit_targets
from engine.track_config import TrackConfig

CLIPS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "clips"
pytestmark = [pytest.mark.shared, pytest.mark.slow]
MAX_WEIGHT_CHANGE = 0.05  # the bound for every weight of every frame
REPOSES = {"yaw+30": ("y", 30), "yaw-30": ("y", -30), "pitch+20": ("x", 20), "pitch-20": ("x", -20)}


@pytest.fixture(scope="module")
def real_view_points():
    """VIEW-frame 3D landmarks of real, expressive frames (MediaPipe: image x, y and relative depth)."""
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    cfg = TrackConfig(start=2.5, end=5.5)  # d18: neutral -> pout -> open mouth
    lm = collect_landmarks(CLIPS / "d18.mp4", cfg, make_reporter("none"))
    return fit_targets(lm, cfg, load_face_model()), lm.point_ids


def repose(view: np.ndarray, axis: str, degrees: float) -> np.ndarray:
    """Rotate every frame's 3D points about their centroid, then re-project (orthographic, as the VIEW frame is)."""
    rot = Rotation.from_euler(axis, degrees, degrees=True).as_matrix()
    center = view.mean(axis=1, keepdims=True)
    turned = (view - center) @ rot.T + center
    image = view_to_image_points(turned)  # re-projection to pixels
    return image_to_view_points(image, -turned[..., 2])


@pytest.mark.parametrize("name", REPOSES)
def test_feature_reposed_face_refits_to_the_same_expression(real_view_points, name):
    view, ids = real_view_points
    model = load_face_model()
    base = fit_clip(view, ids, model)
    assert base.expression.max() > 0.3  # the frames are expressive: the test means something
    axis, degrees = REPOSES[name]
    turned = fit_clip(repose(view, axis, degrees), ids, model)
    change = np.abs(turned.expression - base.expression)
    worst = np.unravel_index(np.argmax(change), change.shape)
    assert (
        change.max() < MAX_WEIGHT_CHANGE
    ), f"{model.expression_names[worst[1]]} moved {change.max():.3f} at frame {worst[0]}"


def test_feature_pose_follows_the_repose(real_view_points):
    view, ids = real_view_points
    model = load_face_model()
    base = fit_clip(view, ids, model)
    turned = fit_clip(repose(view, "y", 30), ids, model)
    relative = np.einsum("tij,tkj->tik", turned.pose.rotation, base.pose.rotation)  # turned @ base^T
    yaw = Rotation.from_matrix(relative).as_euler("yxz", degrees=True)[:, 0]
    np.testing.assert_allclose(yaw, 30.0, atol=1.0)
