"""The partial take (issue 9): rows committed block by block survive a kill; the final take equals one written whole."""

from __future__ import annotations

import numpy as np
import pytest

from engine.contract.errors import TakeFormatError
from engine.contract.partial_take import PartialTake, load_partial_take, partial_folder
from engine.contract.take import PER_FRAME_KEYS, make_meta, neutral_take
from engine.contract.take_io import load_take, save_take


def _take(frames=10):
    take = neutral_take(np.arange(frames) / 30, make_meta(fps=30, frame_size=(64, 48), source="p", backend="none"))
    rng = np.random.default_rng(0)
    expression = rng.uniform(0, 1, (frames, 46)).astype(np.float32)
    landmarks = rng.uniform(0, 64, (frames, 478, 2)).astype(np.float32)
    model = rng.uniform(0, 64, (frames, 468, 2)).astype(np.float32)
    import dataclasses

    return dataclasses.replace(take, expression=expression, landmarks=landmarks, model_landmarks=model)


@pytest.mark.parametrize("validate_block", [4096, 3])
def test_feature_blocks_then_finish_equal_a_whole_write(tmp_path, monkeypatch, validate_block):
    monkeypatch.setattr("engine.contract.partial_take._VALIDATE_BLOCK_FRAMES", validate_block)
    take = _take()
    out = tmp_path / "t.npz"
    partial = PartialTake.create(partial_folder(out), meta={}, job={"input": "x"})
    with pytest.raises(TakeFormatError, match="no finished frame"):
        load_partial_take(partial.folder)
    partial.set_fixed({"expression_names": take.expression_names, "identity": take.identity}, meta=take.meta)
    for a, b in ((0, 4), (4, 10)):
        partial.append("take", {k: getattr(take, k)[a:b] for k in PER_FRAME_KEYS})
        if a == 0:
            # a kill in the middle of the next block: bytes past the committed rows are ignored, then overwritten
            with open(partial.folder / "take.expression.bin", "ab") as f:
                f.write(b"\xff" * 1000)
            halfway = load_partial_take(partial.folder)
            assert halfway.num_frames == 4 and halfway.meta["partial"]["frames"] == 4
            partial = PartialTake.reopen(partial.folder)
    partial.finish(out)
    save_take(tmp_path / "whole.npz", take)
    got, want = load_take(out), load_take(tmp_path / "whole.npz")
    for key in PER_FRAME_KEYS:
        np.testing.assert_array_equal(getattr(got, key), getattr(want, key), err_msg=key)
    assert got.meta == want.meta and not partial_folder(out).exists()


def test_exception_time_going_back_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr("engine.contract.partial_take._VALIDATE_BLOCK_FRAMES", 4)
    take = _take(8)
    partial = PartialTake.create(tmp_path / "t.npz.partial", meta=take.meta, job={})
    partial.set_fixed({"expression_names": take.expression_names, "identity": take.identity})
    rows = {k: getattr(take, k) for k in PER_FRAME_KEYS}
    rows["time"] = np.r_[take.time[:4], take.time[4:] - 0.1]
    partial.append("take", rows)
    with pytest.raises(TakeFormatError, match="goes back at frame 4"):
        partial.finish(tmp_path / "t.npz")
    assert partial.folder.is_dir() and not (tmp_path / "t.npz").exists()
