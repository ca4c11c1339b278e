"""Benchmark: do closed eyes read closed and open eyes open in the TAKE (the whole track, per eye)?

Tracks every labelled clip of ../shared/data/clips with the full engine and scores the take's blink on the
hand-labelled frames of tests/data/eye_state_labels.toml (open = positive, as in the paper): by default the
expression's ``BLINK_CHANNELS``, the curves a rig's EyeBlink keys are baked from (``--stream eye_blink``: the take's
lid stream, filtered alike; ``--stream raw``: before temporal filtering):

    .venv/bin/python tests/benchmarks/bench_blink.py [--no-elam] [--stream rig|eye_blink|raw] [--stills]

``--stills`` tracks each labelled frame alone, as a photo (no clip, no rest, no temporal filter).

Prints accuracy and F1 at blink < 0.5 = open, the share of closed eyes with blink >= 0.8 (fully closed on a rig),
and the share of open eyes with blink < 0.3, per clip, for the tuning clips (``tune_clips`` in the labels file:
looked at while choosing thresholds), the held-out ones labelled earlier, and the blind set (``blind_clips``:
labelled before any of their readings were seen) apart, and overall.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.contract.take import BLINK_CHANNELS  # noqa: E402
from engine.errors import NoFaceFound  # noqa: E402
from engine.track import track  # noqa: E402
from engine.track_config import TrackConfig  # noqa: E402

CLIPS = REPO.parent / "shared" / "data" / "clips"
LABELS = REPO / "tests" / "data" / "eye_state_labels.toml"
EYES = ("left", "right")


def load_labels() -> dict[str, list[dict]]:
    with LABELS.open("rb") as f:
        rows = tomllib.load(f)["frames"]
    by_clip = defaultdict(list)
    for row in rows:
        by_clip[row["clip"]].append(row)
    return dict(by_clip)


def score(closed_truth: np.ndarray, blink: np.ndarray) -> dict[str, float]:
    open_truth, open_pred = ~closed_truth, blink < 0.5
    tp = np.sum(open_pred & open_truth)
    fp = np.sum(open_pred & ~open_truth)
    fn = np.sum(~open_pred & open_truth)
    return {
        "n": len(blink),
        "accuracy": float(np.mean(open_pred == open_truth)),
        "f1_open": float(2 * tp / max(2 * tp + fp + fn, 1)),
        "closed>=0.8": float(np.mean(blink[closed_truth] >= 0.8)) if closed_truth.any() else float("nan"),
        "open<0.3": float(np.mean(blink[open_truth] < 0.3)) if open_truth.any() else float("nan"),
    }


def print_row(name: str, s: dict[str, float]) -> None:
    print(
        f"{name:26s} {s['n']:5d} {s['accuracy']:9.3f} {s['f1_open']:9.3f} {s['closed>=0.8']:12.3f} {s['open<0.3']:9.3f}"
    )


def _stills_blink(clip: Path, frames: list[int], cfg: TrackConfig) -> dict[int, np.ndarray]:
    """Frame -> ``(2,)`` the blink channels of that frame tracked alone as a PNG photo.

    NaN where no face is found: it reads neither closed >= 0.8 nor open < 0.3.
    """
    import cv2

    wanted, images = set(frames), {}
    capture = cv2.VideoCapture(str(clip))
    index = 0
    while len(images) < len(wanted):
        ok, image = capture.read()
        if not ok:
            break
        if index in wanted:
            images[index] = image
        index += 1
    capture.release()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for frame, image in images.items():
            path = Path(tmp) / f"frame_{frame}.png"
            cv2.imwrite(str(path), image)
            try:
                take = track(path, None, cfg)
            except NoFaceFound:  # scored as a miss
                out[frame] = np.full(2, np.nan)
                continue
            out[frame] = take.expression[0, [take.channel_names.index(name) for name in BLINK_CHANNELS]]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-elam", action="store_true", help="ablation: no Eye Landmark Adjustment Module")
    parser.add_argument(
        "--stream", choices=("rig", "eye_blink", "raw"), default="rig", help="which blink stream to score"
    )
    parser.add_argument("--stills", action="store_true", help="track each labelled frame alone, as a photo")
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips at {CLIPS}; nothing to measure")
        return 1
    cfg = TrackConfig(use_elam=not args.no_elam)
    with LABELS.open("rb") as f:
        labels = tomllib.load(f)
    group = {clip: "tune" for clip in labels["tune_clips"]} | {clip: "blind" for clip in labels["blind_clips"]}
    all_truth, all_blink = [], []
    split = {"tune": ([], []), "held_out": ([], []), "blind": ([], [])}
    print(f"{'clip':26s} {'eyes':>5s} {'accuracy':>9s} {'F1(open)':>9s} {'closed>=0.8':>12s} {'open<0.3':>9s}")
    for clip, rows in sorted(load_labels().items()):
        if args.stills:
            stream = _stills_blink(CLIPS / f"{clip}.mp4", sorted({row["frame"] for row in rows}), cfg)
        else:
            take = track(CLIPS / f"{clip}.mp4", None, cfg)
            lids = [take.channel_names.index(name) for name in BLINK_CHANNELS]
            streams = {"rig": take.expression[:, lids], "eye_blink": take.eye_blink, "raw": take.eye_blink_raw}
            stream = streams[args.stream]
        truth, blink = [], []
        for row in rows:
            for e, eye in enumerate(EYES):
                truth.append(row[eye] == "closed")
                blink.append(stream[row["frame"]][e])
        truth, blink = np.array(truth), np.array(blink)
        all_truth.append(truth), all_blink.append(blink)
        part = split[group.get(clip, "held_out")]
        part[0].append(truth), part[1].append(blink)
        print_row(clip, score(truth, blink))
    for name, (truth, blink) in split.items():
        if truth:
            s = score(np.concatenate(truth), np.concatenate(blink))
            print(
                f"{name:26s} {s['n']:5d} {s['accuracy']:9.3f} {s['f1_open']:9.3f} {s['closed>=0.8']:12.3f}"
                f" {s['open<0.3']:9.3f}"
            )
    s = score(np.concatenate(all_truth), np.concatenate(all_blink))
    print_row("all", s)
    print("(paper, eye state with its module: accuracy 0.966, F1 0.967)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
