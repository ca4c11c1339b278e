"""Benchmark: takes per minute on one machine, ``engine batch`` vs ``engine farm run`` on a local Dask cluster with
2 workers (same clips, same run), and Dask's scheduling overhead per task (prints its figures).

    .venv/bin/python tests/benchmarks/bench_farm.py               # the 7 d*.mp4 clips of ../shared/data/clips
    .venv/bin/python tests/benchmarks/bench_farm.py --runs 5 CLIP...

Both commands are timed as whole processes, start-up included (the farm's includes starting its cluster), in
turns (batch, farm, batch, farm, ...) so that a drift in the machine's speed hits both; the median of the runs is
reported. The overhead is measured on 40 no-op tasks (``python -c pass``) on an already running 2-worker cluster:
``(workers x wall - sum of the tasks' own process times) / tasks``, i.e. the time per task that a worker spends on
anything but running the task's process (submission, dispatch, reporting, idle waiting between tasks).
Without ../shared, 7 clips of 60-300 frames are made from the public-domain sample portrait.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
SHARED = REPO.parent / "shared" / "data" / "clips"
WORKERS = 2
NOOP_TASKS = 40


def made_clips(folder: Path) -> list[Path]:
    import cv2
    import numpy as np
    import skimage.data

    img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
    clips = []
    for i, frames in enumerate((60, 100, 140, 180, 220, 260, 300)):
        path = folder / f"portrait_{i}.mp4"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (512, 512))
        for t in range(frames):
            m = cv2.getRotationMatrix2D((256, 200), 5.0 * np.sin(t / 9.0 + i), 1.0)
            writer.write(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
        writer.release()
        clips.append(path)
    return clips


def frames_of(clips: list[Path]) -> int:
    import cv2

    total = 0
    for clip in clips:
        cap = cv2.VideoCapture(str(clip))
        total += int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
    return total


def timed(argv: list[str]) -> float:
    start = time.monotonic()
    run = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{run.stderr[-2000:]}")
    return seconds


def throughput(clips: list[Path], runs: int, work: Path) -> None:
    folder = work / "clips"
    folder.mkdir()
    for clip in clips:  # one folder of links: `engine batch` takes a folder
        (folder / clip.name).symlink_to(clip)
    engine = [sys.executable, "-m", "engine"]
    batch_s, farm_s = [], []
    for r in range(runs):
        batch_s.append(timed([*engine, "batch", str(folder), "-o", str(work / f"b{r}"), "--progress", "none"]))
        farm = [*engine, "farm", "run", str(folder), "--takes", str(work / f"f{r}"), "--workers", str(WORKERS)]
        farm_s.append(timed([*farm, "--progress", "none"]))
        print(f"  run {r + 1}: batch {batch_s[-1]:.1f} s, farm {farm_s[-1]:.1f} s", flush=True)
    n = len(clips)
    b, f = statistics.median(batch_s), statistics.median(farm_s)
    print(f"{n} clips, {frames_of(clips)} frames; median of {runs} runs, whole processes")
    print(f"  engine batch (1 process)                  {b:6.1f} s  {60 * n / b:5.1f} takes/min")
    print(f"  engine farm run (local Dask, {WORKERS} workers)  {f:6.1f} s  {60 * n / f:5.1f} takes/min  ({b / f:.2f}x)")


def overhead() -> None:
    from distributed import LocalCluster

    from engine.farm.dask_run import DaskConfig, run_plan_on_dask
    from engine.farm.plan import CommandPaths, FarmPlan, FarmTask, PlanConfig

    tasks = tuple(FarmTask(f"noop {i}", "track", (sys.executable, "-c", "pass"), (), ()) for i in range(NOOP_TASKS))
    plan = FarmPlan(PlanConfig(takes_dir=Path(".")), CommandPaths("", "", ""), tasks, "", "")
    start = time.monotonic()
    cluster = LocalCluster(n_workers=WORKERS, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)
    started = time.monotonic() - start
    try:
        start = time.monotonic()
        outcomes = run_plan_on_dask(plan, DaskConfig(scheduler=cluster.scheduler_address))
        wall = time.monotonic() - start
    finally:
        cluster.close()
    busy = sum(o.seconds for o in outcomes)
    per_task = (WORKERS * wall - busy) / len(outcomes)
    print(f"local cluster start ({WORKERS} workers): {started:.2f} s")
    print(
        f"scheduling overhead: {1000 * per_task:.0f} ms per task ({len(outcomes)} no-op tasks in {wall:.2f} s on "
        f"{WORKERS} workers; each task's own process {1000 * busy / len(outcomes):.0f} ms)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clips", nargs="*", type=Path)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = args.clips or sorted(SHARED.glob("d*.mp4")) or made_clips(work)
        throughput([c.absolute() for c in clips], args.runs, work)
    overhead()


if __name__ == "__main__":
    main()
