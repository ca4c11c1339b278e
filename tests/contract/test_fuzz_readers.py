"""Fuzzing the readers of untrusted files (issue 9): whatever the bytes, a reader either returns a valid result or
raises the contract's ``UserError`` with a message; never another exception, never a hang, never a huge allocation.

Inputs are mutations of real files (the golden take, a Live Link CSV written by the contract's writer, a shipped
mapping preset): flipped bytes, truncations, spliced junk. Each test has a fixed budget of examples (hypothesis,
``deadline=None`` on a shared 2-core machine); skipped where hypothesis is not installed (the bpy and numpy-2 venvs).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.contract.errors import UserError  # noqa: E402
from engine.contract.livelink_csv import livelink_csv_to_take, take_to_livelink_csv  # noqa: E402
from engine.contract.partial_take import load_partial_take  # noqa: E402
from engine.contract.take import make_meta, neutral_take  # noqa: E402
from engine.contract.take_io import load_take  # noqa: E402
from rigs.mapping import MAPPINGS_DIR, load_mapping  # noqa: E402
from rigs.names import RigDataError  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
GOLDEN = (REPO / "tests" / "data" / "golden_take.npz").read_bytes()
BUDGET = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


def mutations(original: bytes):
    """Byte flips, truncations and junk splices of ``original``."""
    n = len(original)
    flip = st.tuples(st.integers(0, n - 1), st.integers(1, 255)).map(
        lambda p: original[: p[0]] + bytes([original[p[0]] ^ p[1]]) + original[p[0] + 1 :]
    )
    cut = st.integers(0, n).map(lambda k: original[:k])
    splice = st.tuples(st.integers(0, n), st.binary(max_size=64)).map(
        lambda p: original[: p[0]] + p[1] + original[p[0] :]
    )
    return st.one_of(
        flip, st.lists(flip, min_size=2, max_size=8).map(lambda xs: xs[-1]), cut, splice, st.binary(max_size=256)
    )


@pytest.fixture(scope="module")
def csv_bytes(tmp_path_factory) -> bytes:
    meta = make_meta(fps=30, frame_size=(64, 48), source="f", backend="none")
    take = neutral_take(np.arange(5) / 30, meta)
    take = dataclasses.replace(take, expression=np.full((5, 46), 0.25, np.float32))
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    take_to_livelink_csv(take, path)
    return path.read_bytes()


@BUDGET
@given(data=mutations(GOLDEN))
def test_fuzz_take_reader(tmp_path, data):
    path = tmp_path / "fuzz.npz"
    path.write_bytes(data)
    try:
        take = load_take(path)
    except UserError as err:
        assert str(err)
    else:
        assert take.num_frames >= 1 and np.isfinite(take.expression).all()


@BUDGET
@given(data=st.data())
def test_fuzz_livelink_csv_reader(tmp_path, csv_bytes, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data.draw(mutations(csv_bytes)))
    try:
        take = livelink_csv_to_take(path)
    except UserError as err:
        assert str(err)
    else:
        assert np.isfinite(take.expression).all() and np.isfinite(take.head_rotation).all()


@BUDGET
@given(data=mutations((MAPPINGS_DIR / "arkit52_to_facewarehouse46.toml").read_bytes()))
def test_fuzz_mapping_reader(tmp_path, data):
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    try:
        mapping = load_mapping(path)
    except RigDataError as err:
        assert str(err)
    else:
        for link in mapping.links:
            assert np.isfinite([link.gain, link.offset, *link.clamp]).all()


@BUDGET
@given(text=st.text(max_size=300))
def test_fuzz_partial_take_manifest(tmp_path, text):
    folder = tmp_path / "t.npz.partial"
    folder.mkdir(exist_ok=True)
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    with pytest.raises(UserError):
        load_partial_take(folder)
