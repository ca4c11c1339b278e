"""Eyes on real footage, through the whole track: closed eyes read closed (blink >= 0.8), open eyes open, per eye,
in the curves a rig's EyeBlink keys are baked from (the expression's blink channels, which equal ``eye_blink``).

Uses the hand-labelled frames of tests/data/eye_state_labels.toml on two short clips (skipped when ../shared is
absent); tests/benchmarks/bench_blink.py measures all labelled clips.
"""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.contract.take import BLINK_CHANNELS
from engine.fitting.fit_config import FitConfig
from engine.track import track
from engine.track_config import TrackConfig

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


def test_feature_closed_eyes_read_closed_as_photos():
    """d18's labelled closed eyes, each frame tracked alone as a photo, read 0.8 or more.

    Without the lid readout (``FitConfig.lid_readout_weight`` 0) 6 of its 13 read 0.77-0.79: the joint fit left a
    0.1 cm gap where ELAM had shut the lids (:mod:`engine.fitting.lid_readout`).
    """
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    with LABELS.open("rb") as f:
        rows = {r["frame"]: r for r in tomllib.load(f)["frames"] if r["clip"] == "d18"}
    shut = {frame: row for frame, row in rows.items() if "closed" in (row["left"], row["right"])}
    capture, frame, readings = cv2.VideoCapture(str(CLIPS / "d18.mp4")), 0, {}
    with tempfile.TemporaryDirectory() as tmp:
        while len(readings) < len(shut):
            ok, image = capture.read()
            assert ok, f"d18 ended before frame {max(shut)}"
            if frame in shut:
                photo = Path(tmp) / f"{frame}.png"
                cv2.imwrite(str(photo), image)
                for cfg in (TrackConfig(), TrackConfig(fit=FitConfig(lid_readout_weight=0.0))):
                    take = track(photo, None, cfg)
                    lids = take.expression[0, [take.channel_names.index(name) for name in BLINK_CHANNELS]]
                    readings.setdefault(frame, []).append(lids)
            frame += 1
    closed = {True: [], False: []}
    for frame, (read, joint) in readings.items():
        for e, eye in enumerate(("left", "right")):
            if shut[frame][eye] == "closed":
                closed[True].append(read[e]), closed[False].append(joint[e])
    read, joint = np.array(closed[True]), np.array(closed[False])
    assert len(read) >= 10
    assert np.mean(read >= 0.8) >= 0.95, read
    assert np.mean(joint >= 0.8) < np.mean(read >= 0.8)  # the readout is what closes them
