"""Tests of the optional FAN backend (engine/landmarks/fan_backend.py).

The missing-dependency and configuration tests run everywhere. The loading tests need the optional extra
(torch + face-alignment 1.5.0, see ``FAN_PIP_INSTALL``) and are skipped without it; they build stand-in weights
(randomly initialised networks saved the way face-alignment's released files are) because the real weights
cannot be downloaded here, so they check the loading path and output shapes, never landmark accuracy.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import MissingDependency, MissingModelFile
from engine.landmarks.base import LandmarkResult
from engine.landmarks.fan_backend import (
    FAN_PIP_INSTALL,
    FAN_WEIGHT_FILES,
    FanBackend,
    FanConfig,
    fan_weight_paths,
    fan_weights_dir,
)
from engine.landmarks.ibug68 import mediapipe_to_ibug68_indices


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def astronaut_bgr() -> np.ndarray:
    skimage_data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(skimage_data.astronaut()[..., ::-1])


class TestMissingDependency:
    @pytest.mark.parametrize("module", ["torch", "face_alignment"])
    def test_exception_names_pip_command(self, monkeypatch: pytest.MonkeyPatch, module: str) -> None:
        monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` raise ImportError
        with pytest.raises(MissingDependency) as err:
            FanBackend(FanConfig())
        msg = str(err.value)
        assert msg.startswith("the 'fan' backend needs face-alignment and torch: ")
        assert "pip install --no-deps face-alignment==1.5.0" in msg
        assert "torch==2.13.0" in msg
        assert msg.endswith(FAN_PIP_INSTALL)

    def test_import_has_no_side_effects(self) -> None:
        # Importing the backend module must not import torch / face_alignment (optional dependencies).
        import subprocess

        code = (
            "import sys, engine.landmarks.fan_backend;" "print('torch' in sys.modules, 'face_alignment' in sys.modules)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parents[2])  # fmt: skip
        assert out.stdout.split() == ["False", "False"]


class TestConfig:
    def test_defaults(self) -> None:
        cfg = FanConfig()
        assert (cfg.landmarks_type, cfg.device, cfg.torch_home) == ("2D", "cpu", None)

    @pytest.mark.parametrize(
        "kwargs",
        [{"landmarks_type": "2.5D"}, {"face_detector": "sfd"}, {"min_detection_confidence": 1.5},
         {"min_face_px": 0}, {"box_scale": 0.0}],
    )  # fmt: skip
    def test_exception(self, kwargs: dict) -> None:
        with pytest.raises(ValueError):
            FanConfig(**kwargs)

    def test_frozen(self) -> None:
        with pytest.raises(AttributeError):
            FanConfig().device = "cuda"  # type: ignore[misc]


class TestWeightPaths:
    def test_explicit_torch_home(self, tmp_path: Path) -> None:
        assert fan_weights_dir(tmp_path) == tmp_path / "hub" / "checkpoints"
        paths = fan_weight_paths(FanConfig(torch_home=str(tmp_path)))
        assert paths == (tmp_path / "hub" / "checkpoints" / "2DFAN4-11f355bf06.pth.tar",)

    def test_convention_follows_torch_home_env(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("TORCH_HOME", str(tmp_path))
        assert fan_weights_dir() == tmp_path / "hub" / "checkpoints"
        monkeypatch.delenv("TORCH_HOME")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert fan_weights_dir() == tmp_path / "xdg" / "torch" / "hub" / "checkpoints"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert fan_weights_dir() == Path.home() / ".cache" / "torch" / "hub" / "checkpoints"

    def test_cardinality(self) -> None:
        assert [len(fan_weight_paths(FanConfig(landmarks_type=t))) for t in ("2D", "3D")] == [1, 2]


# ----------------------------------------------------------------------------------------------------------------
# Loading path: needs the optional extra.


def _save_stand_in_weights(folder: Path, landmarks_type: str) -> None:
    """Randomly initialised FAN (and depth) networks, saved as face-alignment 1.5.0 loads its released files:
    2DFAN4/3DFAN4 as a plain state dict (``torch.load(weights_only=True)`` + ``load_state_dict``), the depth net as
    ``{"state_dict": {"module.<name>": tensor}}`` (a DataParallel checkpoint).
    """
    torch = pytest.importorskip("torch")
    from face_alignment.models import FAN, ResNetDepth

    torch.manual_seed(0)
    folder.mkdir(parents=True, exist_ok=True)
    names = FAN_WEIGHT_FILES[landmarks_type]
    torch.save(FAN(4).state_dict(), folder / names[0])
    if landmarks_type == "3D":
        state = {f"module.{k}": v for k, v in ResNetDepth().state_dict().items()}
        torch.save({"state_dict": state}, folder / names[1])


@pytest.fixture
def fa_module():
    return pytest.importorskip("face_alignment")


class TestFanLoading:
    def test_exception_missing_weights_message(self, fa_module, tmp_path: Path, no_network: None) -> None:
        with pytest.raises(MissingModelFile) as err:
            FanBackend(FanConfig(torch_home=str(tmp_path), face_detector="haar"))
        folder = tmp_path / "hub" / "checkpoints"
        assert str(err.value) == (
            f"FAN weights not found: put 2DFAN4-11f355bf06.pth.tar in {folder} "
            "(it cannot be downloaded automatically)"
        )
        assert not folder.exists()  # nothing was created, nothing fetched

    def test_exception_missing_depth_weights(self, fa_module, tmp_path: Path, no_network: None) -> None:
        folder = tmp_path / "hub" / "checkpoints"
        folder.mkdir(parents=True)
        (folder / "3DFAN4-7835d9f11d.pth.tar").write_bytes(b"")
        with pytest.raises(MissingModelFile, match=r"put depth-2a464da4ea\.pth\.tar in "):
            FanBackend(FanConfig(landmarks_type="3D", torch_home=str(tmp_path), face_detector="haar"))

    def test_exception_corrupt_weights(self, fa_module, tmp_path: Path, no_network: None) -> None:
        folder = tmp_path / "hub" / "checkpoints"
        folder.mkdir(parents=True)
        (folder / "2DFAN4-11f355bf06.pth.tar").write_bytes(b"not a checkpoint")
        with pytest.raises(MissingModelFile, match="could not be loaded"):
            FanBackend(FanConfig(torch_home=str(tmp_path), face_detector="haar"))

    def test_stand_in_weights_via_torch_home_env(
        self, fa_module, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None, astronaut_bgr
    ) -> None:
        _save_stand_in_weights(tmp_path / "hub" / "checkpoints", "2D")
        monkeypatch.setenv("TORCH_HOME", str(tmp_path))
        backend = FanBackend(FanConfig(face_detector="haar"))
        try:
            assert (backend.name, backend.num_points) == ("fan", 68)
            np.testing.assert_array_equal(backend.model_vertices, mediapipe_to_ibug68_indices())
            result = backend.detect(astronaut_bgr)
            assert isinstance(result, LandmarkResult)
            assert result.points.shape == (68, 2) and result.points.dtype == np.float32
            assert np.isfinite(result.points).all()
            assert result.depth is None
            assert 0.0 <= result.score <= 1.0
            assert backend.detect(np.zeros((240, 320, 3), np.uint8)) is None  # no face
        finally:
            backend.close()
        backend.close()  # idempotent

    def test_stand_in_weights_3d(self, fa_module, tmp_path: Path, no_network: None, astronaut_bgr) -> None:
        _save_stand_in_weights(tmp_path / "hub" / "checkpoints", "3D")
        backend = FanBackend(FanConfig(landmarks_type="3D", torch_home=str(tmp_path), face_detector="haar"))
        try:
            result = backend.detect(astronaut_bgr)
            assert result is not None
            assert result.points.shape == (68, 2) and result.depth is not None and result.depth.shape == (68,)
            assert result.depth.dtype == np.float32
        finally:
            backend.close()

    def test_stand_in_weights_mediapipe_detector(self, fa_module, tmp_path: Path, astronaut_bgr) -> None:
        pytest.importorskip("mediapipe")
        _save_stand_in_weights(tmp_path / "hub" / "checkpoints", "2D")
        backend = FanBackend(FanConfig(torch_home=str(tmp_path)))
        try:
            result = backend.detect(astronaut_bgr)
            assert result is not None and result.points.shape == (68, 2)
        finally:
            backend.close()

    def test_exception_bad_image(self, fa_module, tmp_path: Path) -> None:
        _save_stand_in_weights(tmp_path / "hub" / "checkpoints", "2D")
        backend = FanBackend(FanConfig(torch_home=str(tmp_path), face_detector="haar"))
        try:
            with pytest.raises(ValueError):
                backend.detect(np.zeros((32, 32), np.uint8))
        finally:
            backend.close()
