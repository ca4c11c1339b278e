"""A warm engine's state: landmark backends reused across clips (reset in between), the face model loaded once.

Real MediaPipe and the real model file; the frames are the public-domain portrait, moved and scaled.
"""

from __future__ import annotations

import os
import shutil

import cv2
import numpy as np
import pytest
import skimage.data

from engine.engine_session import EngineSession
from engine.errors import MissingModelFile
from engine.face_model.model import DEFAULT_MODEL_PATH
from engine.landmark_pass import make_backend
from engine.landmarks.backend_pool import LandmarkBackends
from engine.orientation import orientation_detector


def _frames(scale: float, shift: tuple[float, float], count: int = 6) -> list[np.ndarray]:
    img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
    out = []
    for t in range(count):
        m = cv2.getRotationMatrix2D((256, 200), 3.0 * t, scale)
        m[:, 2] += shift
        out.append(cv2.warpAffine(img, m, (640, 480), borderMode=cv2.BORDER_REFLECT))
    return out


def _track(backend, frames) -> np.ndarray:
    return np.stack([backend.detect(f).points for f in frames])


FIRST_CLIP, SECOND_CLIP = (1.0, (60, 0)), (0.6, (-40, 90))  # the face in another place and size


def _second_clip_on_a_new_backend() -> np.ndarray:
    with make_backend("mediapipe", still_images=False) as fresh:
        return _track(fresh, _frames(*SECOND_CLIP))


def _second_clip_after_the_first(*, reset: bool) -> np.ndarray:
    with make_backend("mediapipe", still_images=False) as reused:
        _track(reused, _frames(*FIRST_CLIP))
        if reset:
            reused.reset()
        return _track(reused, _frames(*SECOND_CLIP))


class TestMediaPipeReset:
    def test_feature_a_reset_backend_tracks_like_a_new_one(self):
        """A clip after another clip (the face elsewhere) gives exactly what a new backend gives."""
        np.testing.assert_array_equal(_second_clip_after_the_first(reset=True), _second_clip_on_a_new_backend())

    def test_wart_without_reset_the_previous_clip_leaks_into_the_next(self):
        """Why the reset exists: MediaPipe tracks from the previous frame's landmarks, across clips too."""
        assert not np.array_equal(_second_clip_after_the_first(reset=False), _second_clip_on_a_new_backend())


class TestLandmarkBackends:
    def test_cardinality_one_backend_per_kind(self):
        with LandmarkBackends(make_backend, orientation_detector) as backends:
            video = backends.get("mediapipe", still_images=False)
            assert backends.get("mediapipe", still_images=False) is video
            assert backends.get("mediapipe", still_images=True) is not video

    def test_feature_reused_backend_is_reset(self):
        first, second = _frames(*FIRST_CLIP), _frames(*SECOND_CLIP)
        expected = _second_clip_on_a_new_backend()
        with LandmarkBackends(make_backend, orientation_detector) as backends:
            _track(backends.get("mediapipe", still_images=False), first)
            backends.refresh()  # as a served engine does while it waits
            np.testing.assert_array_equal(_track(backends.get("mediapipe", still_images=False), second), expected)
            _track(backends.get("mediapipe", still_images=False), first)  # reset by get() when not refreshed
            np.testing.assert_array_equal(_track(backends.get("mediapipe", still_images=False), second), expected)

    def test_exception_unknown_backend(self):
        from engine.errors import InputError

        with LandmarkBackends(make_backend, orientation_detector) as backends:
            with pytest.raises(InputError, match="unknown backend"):
                backends.get("nope", still_images=False)


class TestEngineSession:
    def test_feature_model_loaded_once_and_again_when_its_file_changes(self, tmp_path):
        path = tmp_path / "face_model.npz"
        shutil.copy(DEFAULT_MODEL_PATH, path)
        with EngineSession(path) as session:
            model = session.model()
            assert session.model() is model
            st = os.stat(path)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # rebuilt in place
            reloaded = session.model()
            assert reloaded is not model and reloaded.num_points == model.num_points

    def test_exception_missing_model_file(self, tmp_path):
        with EngineSession(tmp_path / "none.npz") as session, pytest.raises(MissingModelFile, match="build-model"):
            session.model()


def test_a_long_stretch_without_a_face_is_searched_on_every_few_frames_and_the_face_found_again():
    """A frame without a face costs the whole search (every quarter turn, the detector's tiles: 30x a tracked
    frame): an hour of head-cam footage with nobody in it took hours. After 15 lost frames only every 4th is
    searched, and a face coming back is found within 4 frames.
    """
    from engine.landmark_pass import make_backend
    from engine.orientation import OrientationConfig, UprightFaceBackend

    searched = []

    class Counted:  # the real MediaPipe backend; only its calls are counted
        def __init__(self):
            self.real = make_backend("mediapipe", still_images=False)
            self.name, self.num_points = self.real.name, self.real.num_points
            self.model_vertices = self.real.model_vertices

        def detect(self, image):
            searched.append(1)
            return self.real.detect(image)

        def close(self):
            self.real.close()

    backend = UprightFaceBackend(Counted, OrientationConfig())
    face = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (256, 256))
    try:
        assert backend.detect(face) is not None
        lost = [backend.detect(np.zeros_like(face)) for _ in range(60)]
        assert all(r is None for r in lost) and len(searched) <= 1 + 15 + 60 // 4 + 1
        back = [backend.detect(face) for _ in range(4)]
        assert any(r is not None for r in back)
    finally:
        backend.close()
