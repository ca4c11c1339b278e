"""Expressions on stills of real people: a broad smile reads smile, a surprise jaw and brows, a frown brows down.

Each labelled frame of tests/data/expression_labels.toml (our own labels of ../shared/data/clips) is written to a
PNG and tracked by the real engine as a single image, so identity and expression come from that one picture (no
neutral photo is given). For each person the readings are compared with the same person's neutral frames:

- smile: mean(MouthSmile_L, MouthSmile_R) above the neutral frames' mean; the target is >= 0.5 on every broad smile;
- surprise: JawOpen and the brows (mean of BrowsU_C, BrowsU_L, BrowsU_R) above neutral;
- frown: the brows down (mean of BrowsD_L, BrowsD_R) above neutral;
- raise (brows raised, jaw closed): the brows up above neutral.

Persons marked ``tune`` were looked at while choosing hand-set constants; ``held_out`` ones were not. Both are
printed, apart. A person without neutral frames (the furious talkers never rest) is read as is, from 0. With
``--video`` the same frames are read from a take of the person's whole clip instead (the actor's identity and rest
come from the clip, as when an artist tracks a video). With ``--neutral-photo`` each frame is still tracked alone,
but with the person's first neutral frame given as a neutral photo (``--neutral PHOTO``), so the rest is known (the
brow pairs and their readout are on); the person's other neutral frames are then read the same way as the baseline.

    .venv/bin/python tests/benchmarks/bench_expression_stills.py
    .venv/bin/python tests/benchmarks/bench_expression_stills.py --video
    .venv/bin/python tests/benchmarks/bench_expression_stills.py --neutral-photo
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

CLIPS = REPO.parent / "shared" / "data" / "clips"
LABELS = REPO / "tests" / "data" / "expression_labels.toml"
SMILE_TARGET = 0.5
READINGS = {
    "smile": ("MouthSmile_L", "MouthSmile_R"),
    "jaw": ("JawOpen",),
    "brows up": ("BrowsU_C", "BrowsU_L", "BrowsU_R"),
    "brows down": ("BrowsD_L", "BrowsD_R"),
    "frown": ("MouthFrown_L", "MouthFrown_R"),
}
SHOWN = {"smile": ("smile",), "surprise": ("jaw", "brows up"), "frown": ("brows down", "frown"), "raise": ("brows up",)}
# the brow reading each label is summarised by
BROWS = {"surprise": "brows up", "frown": "brows down", "raise": "brows up"}


def read_frame(clip: Path, index: int) -> np.ndarray:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise RuntimeError(f"{clip.name}: no frame {index}")
    return frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--video", action="store_true", help="read the frames from a take of the whole clip")
    modes.add_argument(
        "--neutral-photo",
        action="store_true",
        help="track each still with the person's first neutral frame as --neutral",
    )
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips at {CLIPS}; nothing to measure")
        return 1
    import cv2

    from engine.face_model.model import load_face_model
    from engine.neutral_frame import NeutralFrame
    from engine.track import track
    from engine.track_config import TrackConfig

    model = load_face_model()
    names = list(model.expression_names)
    with LABELS.open("rb") as f:
        persons = tomllib.load(f)["person"]
    smile_deltas: dict[str, list[float]] = {"tune": [], "held_out": []}
    brow_deltas: dict[tuple[str, str], list[float]] = {}  # (split, "brows up" | "brows down") -> readings
    with tempfile.TemporaryDirectory() as tmp:
        clip_takes: dict[Path, np.ndarray] = {}

        def reading(clip: Path, index: int, neutral_index: int | None = None) -> dict[str, float]:
            if args.video:  # the take's filtered curves, as baked
                if clip not in clip_takes:
                    clip_takes[clip] = track(clip, None, TrackConfig(), model=model).expression
                w = clip_takes[clip][index]
            else:
                path = Path(tmp) / "still.png"
                cv2.imwrite(str(path), read_frame(clip, index))
                neutral = None
                if neutral_index is not None:
                    photo = Path(tmp) / "neutral.png"
                    cv2.imwrite(str(photo), read_frame(clip, neutral_index))
                    neutral = NeutralFrame(photo=photo)
                w = track(path, None, TrackConfig(), model=model, neutral=neutral).expression_raw[0]
            return {k: float(np.mean([w[names.index(n)] for n in v])) for k, v in READINGS.items()}

        how = "in a take of its whole clip" if args.video else "alone, as a still"
        print(
            f"each frame tracked {how}" + (", the first neutral frame given as --neutral" if args.neutral_photo else "")
        )
        print(f"{'person':8s} {'split':8s} {'label':9s} {'frame':>5s}  readings above the person's neutral")
        for person in persons:
            clip = CLIPS / person["clip"]
            given = person["neutral"][0] if args.neutral_photo and person["neutral"] else None
            neutral = [reading(clip, i, given) for i in person["neutral"]]
            base = {k: float(np.mean([n[k] for n in neutral])) if neutral else 0.0 for k in READINGS}
            base_text = "  ".join(f"{k} {base[k]:.2f}" for k in READINGS) if neutral else "none: read from 0"
            print(f"{person['name']:8s} {person['split']:8s} {'neutral':9s} {'-':>5s}  (absolute) {base_text}")
            for label in SHOWN:
                for index in person.get(label, []):
                    r = reading(clip, index, given)
                    shown = "  ".join(f"{k} {r[k] - base[k]:+.2f}" for k in SHOWN[label])
                    print(f"{person['name']:8s} {person['split']:8s} {label:9s} {index:5d}  {shown}")
                    if label == "smile":
                        smile_deltas[person["split"]].append(r["smile"] - base["smile"])
                    brows = BROWS.get(label)
                    if brows:
                        brow_deltas.setdefault((person["split"], brows), []).append(r[brows] - base[brows])
    for split, deltas in smile_deltas.items():
        if deltas:
            d = np.array(deltas)
            print(
                f"{split}: broad smiles reading >= {SMILE_TARGET} above neutral: {np.sum(d >= SMILE_TARGET)}/{len(d)}"
                f" (min {d.min():+.2f}, mean {d.mean():+.2f})"
            )
    for (split, brows), deltas in sorted(brow_deltas.items()):
        d = np.array(deltas)
        spread = f"min {d.min():+.2f}, median {np.median(d):+.2f}, max {d.max():+.2f}"
        print(f"{split}: {brows} on {len(d)} labelled frames: {spread}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
