"""The benchmarks' emotion classifier (``tests/benchmarks/emotion_classifier.py``): numpy layers, the real network.

Once, in a scratch environment with Keras 3.15.1 on PyTorch 2.13.0 (CPU), ``keras.models.load_model`` of the same
file gave the same probabilities on eight real face crops to 7e-7; these tests keep the numpy evaluation honest
without Keras: the windowed convolutions and pooling against direct loops (Keras's "same" padding puts the odd
sample after), and the whole network on the built-in sample portrait, located by the real MediaPipe landmarks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

from emotion_classifier import (  # noqa: E402
    EMOTIONS,
    EmotionClassifier,
    conv2d,
    depthwise_conv2d,
    face_crop,
    same_padding,
)


def _direct_conv(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """Keras's Conv2D, "same" padding, written as loops over output samples."""
    kh, kw, _, f = kernel.shape
    top, bottom = same_padding(x.shape[1], kh, stride)
    left, right = same_padding(x.shape[2], kw, stride)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    rows, cols = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
    out = np.zeros((x.shape[0], rows, cols, f))
    for i in range(rows):
        for j in range(cols):
            patch = padded[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out


@pytest.mark.parametrize("size", [7, 8])
@pytest.mark.parametrize("stride", [1, 2])
def test_convolution_matches_direct_loops(size, stride):
    rng = np.random.default_rng(size + stride)
    x = rng.normal(size=(2, size, size + 1, 3))
    kernel = rng.normal(size=(3, 3, 3, 4))
    np.testing.assert_allclose(conv2d(x, kernel, (stride, stride), "same"), _direct_conv(x, kernel, stride), atol=1e-9)


def test_depthwise_convolution_is_one_convolution_per_channel():
    rng = np.random.default_rng(3)
    x, kernel = rng.normal(size=(1, 6, 6, 3)), rng.normal(size=(3, 3, 3, 1))
    per_channel = [conv2d(x[..., c : c + 1], kernel[:, :, c : c + 1, :], (1, 1), "same")[..., 0] for c in range(3)]
    np.testing.assert_allclose(depthwise_conv2d(x, kernel, (1, 1), "same"), np.stack(per_channel, -1), atol=1e-9)


def test_max_pooling_pads_after_and_never_with_zeros():
    classifier = EmotionClassifier((), {})
    x = -np.arange(16.0).reshape(1, 4, 4, 1) - 1.0  # all negative: a zero pad would win the max
    pooled = classifier._layer("MaxPooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}, [x], {})
    # 4 -> 2 samples; the windows start at 0 and 2, the second runs one past the edge
    np.testing.assert_array_equal(pooled[0, :, :, 0], [[-1.0, -3.0], [-9.0, -11.0]])


@pytest.mark.slow
def test_the_smiling_sample_portrait_reads_happy_and_a_blank_face_does_not(tmp_path):
    import cv2
    import skimage.data

    from engine.track import track

    image = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), image)
    points = track(path, None).landmarks[0, :468]
    classifier = EmotionClassifier.from_fer_package()
    mirrored = points.copy()
    mirrored[:, 0] = image.shape[1] - 1 - mirrored[:, 0]
    crops = np.stack(
        [
            face_crop(image, points),
            face_crop(np.ascontiguousarray(image[:, ::-1]), mirrored),
            face_crop(np.full_like(image, 128), points),
        ]
    )
    probabilities = classifier.classify(crops)
    happy = EMOTIONS.index("happy")
    assert probabilities[0, happy] > 0.9 and probabilities[1, happy] > 0.9  # measured 0.999 and 1.000
    assert probabilities[2].argmax() != happy  # a grey square: 0.04 happy
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
