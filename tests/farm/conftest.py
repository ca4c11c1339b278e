"""Fixtures for the farm tests: clips the project makes itself, real clips from ../shared, a real Dask cluster.

Every server here listens on 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

REPO = Path(__file__).resolve().parents[2]
SHARED_CLIPS = REPO.parent / "shared" / "data" / "clips"
REAL_SHORT_CLIPS = ("styletalk/style_furious_talk2_clip1.mp4", "styletalk/style_furious_talk2_clip2.mp4")
"""Two real talking clips of 60 frames (256x256, 30 fps): short enough for a farm round trip."""
CLUSTER_START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


def run_engine(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m engine ARGS`` from the repository root, as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def jsonl_records(stdout: str) -> list[dict]:
    """The JSON lines of ``farm run --progress jsonl``."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def write_portrait_clip(path: Path, frames: int, *, size: int = 256, seed: int = 0) -> Path:
    """A clip the project makes itself: the public-domain astronaut portrait drifting and turning slightly."""
    img = cv2.resize(np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1]), (size, size))
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 6)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (size, size))
    for t in range(frames):
        m = cv2.getRotationMatrix2D((size / 2, size * 0.4), 3.0 * np.sin(t / 7.0 + phase), 1.0)
        m[:, 2] += (3.0 * np.sin(t / 5.0 + phase), 2.0 * np.cos(t / 9.0))
        writer.write(cv2.warpAffine(img, m, (size, size), borderMode=cv2.BORDER_REFLECT))
    writer.release()
    return path


def write_valid_take(path: Path) -> Path:
    """A small valid take (3 frames of a neutral face), as a take a farm run already wrote."""
    from engine.contract.take import make_meta, neutral_take
    from engine.contract.take_io import save_take

    path.parent.mkdir(parents=True, exist_ok=True)
    save_take(path, neutral_take(np.arange(3) / 30, make_meta(fps=30, frame_size=(64, 48), source="t", backend="none")))
    return path


def write_noise_clip(path: Path, frames: int = 8) -> Path:
    """A clip with no face in it: 8 frames of grey noise (the engine fails it with 'no face found')."""
    rng = np.random.default_rng(1)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (128, 128))
    for _ in range(frames):
        writer.write(rng.integers(90, 160, (128, 128, 3), dtype=np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="session")
def portrait_clips(tmp_path_factory) -> list[Path]:
    """Two 20-frame clips made from the sample portrait."""
    folder = tmp_path_factory.mktemp("portrait_clips")
    return [write_portrait_clip(folder / f"portrait_{c}.mp4", 20, seed=i) for i, c in enumerate("ab")]


@pytest.fixture(scope="session")
def noface_clip(tmp_path_factory) -> Path:
    """A bad clip (no face), named to sort after the others."""
    return write_noise_clip(tmp_path_factory.mktemp("bad_clips") / "zz_noface.mp4")


@pytest.fixture(scope="session")
def real_clips() -> list[Path]:
    """Two short real clips from ../shared (skips when absent)."""
    clips = [SHARED_CLIPS / c for c in REAL_SHORT_CLIPS]
    if not all(c.is_file() for c in clips):
        pytest.skip("real clips: ../shared/data/clips is absent")
    return clips


@pytest.fixture(scope="session")
def bpy_python() -> Path:
    """The Blender 5.0 environment that bakes run in (skips when it is not set up)."""
    from engine.farm.plan import default_bake_python

    python = default_bake_python()
    if not python.exists():
        pytest.skip(f"no bpy environment at {python} (bash .ci/setup_blender 5.0.1)")
    return python


class LocalDaskCluster:
    """A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, started in ``folder``.

    The folder is not the repository and nothing puts it on the workers' path: the workers run tasks without this
    repository's code, as farm machines do.
    """

    def __init__(self, folder: Path, workers: int = 2) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.dask = Path(sys.executable).with_name("dask")
        self.scheduler_file = folder / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []
        self.workers: list[subprocess.Popen] = []
        self._start(workers)

    def _spawn(self, *args: str, log: str) -> subprocess.Popen:
        out = open(self.folder / log, "w")  # lives as long as the process
        self.logs.append(out)
        proc = subprocess.Popen([str(self.dask), *args], cwd=self.folder, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def _start(self, workers: int) -> None:
        common = ("--host", "127.0.0.1", "--no-dashboard")
        self._spawn("scheduler", "--port", "0", "--scheduler-file", str(self.scheduler_file), *common, log="sched.log")
        self.address = self._scheduler_address(time.monotonic() + CLUSTER_START_TIMEOUT_S)
        for i in range(workers):
            args = ("worker", self.address, "--nthreads", "1", "--no-nanny", "--name", f"w{i}", *common)
            self.workers.append(self._spawn(*args, log=f"worker{i}.log"))
        if workers:
            with self.client() as client:
                client.wait_for_workers(workers, timeout=CLUSTER_START_TIMEOUT_S)

    def _scheduler_address(self, deadline: float) -> str:
        while time.monotonic() < deadline:
            try:
                return json.loads(self.scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):  # not written yet, or half written
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dask scheduler did not start: {(self.folder / 'sched.log').read_text()}")

    def client(self):
        """A client of the scheduler (use as a context manager)."""
        from distributed import Client

        return Client(self.address, timeout=30)

    def stop(self) -> None:
        """End every process this cluster started."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for out in self.logs:
            out.close()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-thread workers for the tests of one module."""
    pytest.importorskip("distributed")
    cluster = LocalDaskCluster(tmp_path_factory.mktemp("dask"))
    yield cluster
    cluster.stop()
