"""Saturation: no channel should pin at 1 on ordinary talking. Prints, per group of real clips, the share of frames
where any expression weight (blinks aside) reads >= 0.95, and which channels do; the share reading a frown of 0.5
or more, and the mouth moved left and right at once (a cancelling pair: see ``FitConfig.opposed_pair_penalty``);
and which clips' takes say that their estimated rest holds an expression (the clip probably never relaxes:
``engine.track.fit_notices``), with the median of each held brow, smile or frown channel reading 0.1 or more over
such a take (the part of the held expression its curves show).

    .venv/bin/python tests/benchmarks/bench_saturation.py            # every group found in ../shared/data/clips
    .venv/bin/python tests/benchmarks/bench_saturation.py --quick    # two clips per group

Groups (see ../shared/data/README.md): ordinary talking (styletalk's ten public speakers, pcavs's VoxCeleb2
crops, edtalk's talking clips, LivePortrait's source clips), strongly styled talking (styletalk's furious, happy
and sad clips) and the expressive development clips d*. Only d0, d3, d10 and d18 were looked at while the
face model's constants were chosen (README, "Measured"); every other clip here is held out.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
CLIPS = REPO.parent / "shared" / "data" / "clips"
SATURATED = 0.95
FROWN_SHOWN = 0.5  # a frown's reading an artist would see on the rig: where no one frowns, a misreading
GROUPS = {
    "talking (held out)": [
        "styletalk/talk_*.mp4",
        "pcavs/Audio_Source_*.mp4",
        "edtalk/pose_source1.mp4",
        "edtalk/uncrop_Obama.mp4",
        "liveportrait-source/*.mp4",
    ],
    "styled talking (held out)": ["styletalk/style_*.mp4"],
    "dev clips d* (d0 d3 d10 d18 tuned on)": ["d*.mp4"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two clips per group")
    parser.add_argument("--per-clip", action="store_true", help="also each clip's share and its most saturated channel")
    args = parser.parse_args()
    if not CLIPS.is_dir():
        print(f"no clips: {CLIPS} is missing")
        return 1

    import numpy as np

    from engine.face_model.model import load_face_model
    from engine.fitting.actor import HELD_EXPRESSIONS
    from engine.track import track

    model = load_face_model()
    print(f"frames where any weight (blinks aside) reads >= {SATURATED}")
    for group, patterns in GROUPS.items():
        clips = sorted({p for pattern in patterns for p in CLIPS.glob(pattern)})
        clips = clips[:2] if args.quick else clips
        frames = saturated = frowning = both_ways = 0
        channels: Counter[str] = Counter()
        worst, held = [], []
        for clip in clips:
            take = track(clip, None, model=model)
            names = [str(n) for n in take.expression_names]
            if any("calmest frames still read" in n for n in take.meta.get("notices", [])):
                medians = {
                    n: float(np.median(take.expression[take.confidence > 0, names.index(n)])) for n in HELD_EXPRESSIONS
                }
                shown = ", ".join(f"{n} {v:.2f}" for n, v in medians.items() if v >= 0.1) or "none >= 0.1"
                held.append(f"{clip.relative_to(CLIPS)} ({shown})")
            keep = [i for i, n in enumerate(names) if not n.startswith("EyeBlink")]
            face = take.confidence > 0
            hit = take.expression[face][:, keep] >= SATURATED
            frames += int(face.sum())
            saturated += int(hit.any(axis=1).sum())
            channels.update({names[keep[j]]: int(n) for j, n in enumerate(hit.sum(axis=0)) if n})
            worst.append((hit.any(axis=1).mean() if len(hit) else 0.0, clip.relative_to(CLIPS)))
            frown = take.expression[face][:, [names.index("MouthFrown_L"), names.index("MouthFrown_R")]].max(axis=1)
            sideways = take.expression[face][:, [names.index("MouthLeft"), names.index("MouthRight")]].min(axis=1)
            frowning += int((frown >= FROWN_SHOWN).sum())
            both_ways += int((sideways >= 0.2).sum())
            if args.per_clip and len(hit):
                most = names[keep[int(hit.sum(axis=0).argmax())]] if hit.any() else "-"
                print(f"    {clip.relative_to(CLIPS)}: {100 * worst[-1][0]:.1f} % (most: {most}); "
                      f"MouthFrown >= {FROWN_SHOWN}: {100 * (frown >= FROWN_SHOWN).mean():.1f} %")  # fmt: skip
        if not clips:
            continue
        top = ", ".join(f"{n} {100 * c / frames:.1f} %" for n, c in channels.most_common(4)) or "none"
        share, name = max(worst)
        print(f"  {group}: {len(clips)} clips, {frames} frames: {100 * saturated / frames:.1f} %  (channels: {top};")
        print(f"      worst clip {name}: {100 * share:.1f} %)")
        print(f"      MouthFrown_L or _R >= {FROWN_SHOWN}: {100 * frowning / frames:.1f} % of frames; MouthLeft and "
              f"MouthRight together >= 0.2: {100 * both_ways / frames:.1f} %")  # fmt: skip
        print(f"      rest holds an expression (take notice): {len(held)} of {len(clips)} clips {' '.join(held)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
