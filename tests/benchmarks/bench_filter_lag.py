"""Benchmark: how much the temporal filtering lags real motion, and how much jitter it removes.

Tracks a real clip twice, with every temporal filter off (landmark de-jittering and the One Euro stream filters)
and with the defaults, and prints per channel the lag (frames) that best aligns the two curves by
cross-correlation and the frame-to-frame RMS of each:

    .venv/bin/python tests/benchmarks/bench_filter_lag.py [CLIP]      # default ../shared/data/clips/d18.mp4
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DEFAULT_CLIP = REPO.parent / "shared" / "data" / "clips" / "d18.mp4"
CHANNELS = ("JawOpen", "LipsLowerDown", "MouthSmile_L", "MouthSmile_R", "EyeBlink_L", "EyeBlink_R", "BrowsU_C")
MAX_LAG = 5


def best_lag(raw: np.ndarray, filtered: np.ndarray) -> int:
    """The shift (frames; > 0: filtered is later) that maximises the cross-correlation of two curves."""
    x, y = raw - raw.mean(), filtered - filtered.mean()
    lags = range(-MAX_LAG, MAX_LAG + 1)
    score = [np.dot(x[max(0, -k) : len(x) - max(0, k)], y[max(0, k) : len(y) - max(0, -k)]) for k in lags]
    return list(lags)[int(np.argmax(score))]


def main() -> int:
    from engine.contract.one_euro import FilterConfig
    from engine.temporal import StreamFilterConfig
    from engine.track import track
    from engine.track_config import TrackConfig

    clip = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CLIP
    if not clip.is_file():
        print(f"no clip at {clip}")
        return 1
    unfiltered = TrackConfig(landmark_filter=FilterConfig(enabled=False), filter=StreamFilterConfig(enabled=False))
    raw, filtered = track(clip, None, unfiltered), track(clip, None)
    names = [str(n) for n in raw.expression_names]
    print(f"{clip.name}: {raw.num_frames} frames at {raw.fps:g} fps")
    print(f"{'channel':16s} {'lag (frames)':>12s} {'jitter raw':>11s} {'filtered':>9s}")
    for name in CHANNELS:
        i = names.index(name)
        a, b = raw.expression[:, i], filtered.expression[:, i]
        rms = (np.sqrt(np.mean(np.diff(a) ** 2)), np.sqrt(np.mean(np.diff(b) ** 2)))
        print(f"{name:16s} {best_lag(a, b):12d} {rms[0]:11.4f} {rms[1]:9.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
