"""The contract test: what the engine writes, the add-on reads. No shared clips needed.

Every engine writer (the ``track`` command on the bundled sample image with the real MediaPipe, ``import-csv``,
a neutral take) produces a file that the add-on's reader (``blender_addon.pure.takes.open_take``) opens, and the
committed golden take (``tests/data/golden_take.npz``, see ``golden_take.py``) reads the same on both sides and
is what the engine's writer writes today.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from golden_take import GOLDEN_TAKE, make_golden_take

from blender_addon.pure.takes import open_take
from engine.contract import progress_events
from engine.contract.livelink_csv import LiveLinkRecording, write_livelink_csv
from engine.contract.take import ARRAY_KEYS, make_meta, neutral_take, take_to_arrays
from engine.contract.take_io import load_take, save_take

REPO = Path(__file__).resolve().parents[2]
REGENERATE = "regenerate it on purpose with `.venv/bin/python tests/contract/golden_take.py`"


def _engine(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=300
    )


class TestGoldenTake:
    def test_convention_committed_golden_is_what_the_writer_writes(self):
        """A schema change must update the golden take on purpose (and bump SCHEMA_VERSION when incompatible)."""
        with np.load(GOLDEN_TAKE, allow_pickle=False) as npz:
            committed = {k: npz[k] for k in npz.files}
        current = take_to_arrays(make_golden_take())
        assert sorted(committed) == sorted(current), f"the take's keys changed: {REGENERATE}"
        for key in ARRAY_KEYS:
            a, b = committed[key], np.asarray(current[key])
            assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{key!r}: dtype or shape changed: {REGENERATE}"
            if key == "meta":
                assert json.loads(str(a)) == json.loads(str(b)), f"meta changed: {REGENERATE}"
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"{key!r} changed: {REGENERATE}")

    def test_feature_both_sides_read_the_same_take(self):
        engine_side = load_take(GOLDEN_TAKE)
        addon_side = open_take(GOLDEN_TAKE)
        assert addon_side.name == "golden_take" and addon_side.channel_list == "facewarehouse46"
        assert not addon_side.warnings
        for key in ARRAY_KEYS:
            if key == "meta":
                assert addon_side.take.meta == engine_side.meta
            elif key in ("landmarks", "model_landmarks"):  # baking needs none: the add-on does not read them
                assert getattr(addon_side.take, key).shape == getattr(engine_side, key).shape
                assert np.isnan(getattr(addon_side.take, key)).all()
            else:
                np.testing.assert_array_equal(getattr(addon_side.take, key), getattr(engine_side, key), err_msg=key)
        assert engine_side.num_frames == 4 and engine_side.fps == 30.0
        assert engine_side.expression[1, 3] == np.float32((49 % 17) / 16)
        assert np.isnan(engine_side.head_rotation_raw[2]).all() and engine_side.confidence[2] == 0.0


class TestEveryEngineWriterLoadsInTheAddon:
    def test_smoke_neutral_take(self, tmp_path):
        meta = make_meta(fps=24, frame_size=(320, 240), source="neutral", backend="none")
        path = save_take(tmp_path / "neutral.npz", neutral_take(np.arange(10) / 24, meta, num_landmarks=68))
        opened = open_take(path)
        assert opened.take.num_frames == 10 and opened.take.landmarks.shape == (10, 68, 2)

    def test_feature_import_csv_command(self, tmp_path):
        rng = np.random.default_rng(0)
        t = np.arange(75) / 25.0
        weights = rng.uniform(0, 1, (75, 52)).astype(np.float32)
        csv = write_livelink_csv(
            tmp_path / "phone.csv",
            LiveLinkRecording(t, weights, rng.uniform(-0.4, 0.4, (75, 3)), rng.uniform(-0.3, 0.3, (75, 2, 2)), 25.0),
        )
        run = _engine("import-csv", csv, tmp_path / "phone.npz")
        assert run.returncode == 0, run.stderr
        opened = open_take(tmp_path / "phone.npz")
        assert opened.channel_list == "facewarehouse46" and opened.take.num_frames == 75
        np.testing.assert_allclose(opened.take.time, t, atol=1e-6)
        assert opened.take.meta["backend"] == "livelink_face_csv"

    @pytest.mark.slow
    def test_feature_track_command_on_the_bundled_sample(self, tmp_path):
        """The real pipeline (MediaPipe on the public-domain portrait); its progress lines follow the protocol."""
        pytest.importorskip("mediapipe")
        out = tmp_path / "sample.npz"
        run = _engine("track", "--sample", "-o", out, "--progress", "jsonl")
        assert run.returncode == 0, run.stderr
        events = [progress_events.decode_event(line) for line in run.stdout.splitlines()]
        assert events and all(e is not None for e in events)
        assert events[-1] == progress_events.Done(str(out.resolve()), 1)
        opened = open_take(out)
        take = opened.take
        assert take.num_frames == 1 and take.confidence[0] > 0 and np.isfinite(load_take(out).landmarks).all()
        assert opened.channel_list == "facewarehouse46" and take.landmarks.shape == (1, 478, 2)
