"""The default landmark backend with the real MediaPipe model: points, conventions, and the small-face path."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from engine.landmarks.mediapipe_mesh import MediaPipeConfig, MediaPipeFaceMesh


def portrait_bgr() -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


class TestMediaPipeFaceMesh:
    def test_smoke_cardinality(self):
        with MediaPipeFaceMesh(MediaPipeConfig(static_image_mode=True)) as mesh:
            result = mesh.detect(portrait_bgr())
        assert result is not None and result.points.shape == (478, 2) and result.depth.shape == (478,)
        assert result.points.dtype == np.float32 and np.isfinite(result.points).all()
        np.testing.assert_array_equal(mesh.model_vertices, np.arange(478))

    def test_convention_subject_left_is_image_right(self):
        with MediaPipeFaceMesh(MediaPipeConfig(static_image_mode=True)) as mesh:
            p = mesh.detect(portrait_bgr()).points
        assert p[263, 0] > p[33, 0]  # subject's left outer eye corner at larger image x (unmirrored photo)
        assert p[473, 0] > p[468, 0]  # left iris centre likewise

    def test_convention_depth_larger_is_farther(self):
        with MediaPipeFaceMesh(MediaPipeConfig(static_image_mode=True)) as mesh:
            d = mesh.detect(portrait_bgr()).depth
        assert d[1] < d[234] and d[1] < d[454]  # the nose tip is nearer than the cheek outline

    @pytest.mark.parametrize("scale", [0.4, 0.6])
    def test_feature_small_face_in_a_large_frame(self, scale):
        """The portrait shrunk into a 1280x720 frame (face ~55-85 px wide): Face Mesh alone misses it."""
        import cv2

        small = cv2.resize(portrait_bgr(), None, fx=scale, fy=scale)
        frame = np.full((720, 1280, 3), 90, np.uint8)
        frame[100 : 100 + small.shape[0], 600 : 600 + small.shape[1]] = small
        with MediaPipeFaceMesh() as mesh:
            results = [mesh.detect(frame) for _ in range(3)]  # later frames follow the face in its crop
        assert all(r is not None for r in results)
        eyes = results[-1].points[[33, 263]]
        # MediaPipe on the full-size portrait puts these corners at (195.2, 100.9) and (255.8, 104.3) px.
        truth = np.array([[195.2, 100.9], [255.8, 104.3]]) * scale + [600, 100]
        assert np.abs(eyes - truth).max() < 6.0 * scale + 2.0

    def test_feature_no_face(self):
        with MediaPipeFaceMesh() as mesh:
            assert mesh.detect(np.full((240, 320, 3), 127, np.uint8)) is None


def test_exception_unknown_backend():
    from engine.errors import InputError
    from engine.landmark_pass import make_backend

    with pytest.raises(InputError, match="unknown backend"):
        make_backend("nope", still_images=False)


class TestLandmarkListToArray:
    """The landmark list read from its serialised bytes equals the list read field by field."""

    @staticmethod
    def _landmarks():
        from engine.landmarks.mediapipe_import import import_mediapipe

        mp = import_mediapipe()
        with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True) as mesh:
            return mesh.process(portrait_bgr()[:, :, ::-1].copy()).multi_face_landmarks[0]

    @staticmethod
    def _field_by_field(landmark_list) -> np.ndarray:
        return np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], np.float32)

    def test_feature_equals_field_by_field(self):
        from engine.landmarks.mediapipe_mesh import landmark_list_to_array

        landmarks = self._landmarks()
        got = landmark_list_to_array(landmarks)
        assert got.shape == (478, 3) and got.dtype == np.float32
        np.testing.assert_array_equal(got, self._field_by_field(landmarks))

    def test_convention_other_layouts_are_read_field_by_field(self):
        """A landmark with visibility set serialises longer: the fast path must not misread it."""
        from engine.landmarks.mediapipe_mesh import landmark_list_to_array

        landmarks = self._landmarks()
        landmarks.landmark[5].visibility = 0.5
        np.testing.assert_array_equal(landmark_list_to_array(landmarks), self._field_by_field(landmarks))
