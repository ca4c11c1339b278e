"""Eyes on real footage, through the whole track: closed eyes read closed (blink >= 0.8), open eyes open, per eye,
in the curves a rig's EyeBlink keys are baked from (the expression's blink channels, which equal ``eye_blink``).

Uses the hand-labelled frames of tests/data/eye_state_labels.toml on two short clips (skipped when ../shared is
absent); tests/benchmarks/bench_blink.py measures all labelled clips.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from engine.contract.take import BLINK_CHANNELS
from engine.track import track

REPO = Path(__file__).resolve().parents[2]
CLIPS = REPO.parent / "shared" / "data" / "clips"
pytestmark = [pytest.mark.shared, pytest.mark.slow]
LABELS = REPO / "tests" / "data" / "eye_state_labels.toml"


@pytest.mark.parametrize("clip", ["d3", "d18"])  # d3 has winks of each eye; d18 blinks mid-expression
def test_feature_labelled_eyes(clip):
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    with LABELS.open("rb") as f:
        rows = [r for r in tomllib.load(f)["frames"] if r["clip"] == clip]
    take = track(CLIPS / f"{clip}.mp4", None)
    rig_blink = take.expression[:, [take.channel_names.index(name) for name in BLINK_CHANNELS]]
    np.testing.assert_allclose(rig_blink, take.eye_blink, atol=1e-6)
    closed, opened = [], []
    for row in rows:
        for e, eye in enumerate(("left", "right")):
            (closed if row[eye] == "closed" else opened).append(rig_blink[row["frame"], e])
    closed, opened = np.array(closed), np.array(opened)
    assert len(closed) >= 10 and len(opened) >= 10
    assert np.mean(closed >= 0.8) >= 0.85  # fully closed on a rig
    assert np.mean(closed >= 0.5) >= 0.95
    assert np.mean(opened < 0.5) >= 0.95
