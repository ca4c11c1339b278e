"""``engine farm run`` on real Dask: a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

Real clips (../shared) and clips the project makes itself; real MediaPipe tracking in every task, real bakes in
the bpy environment when it is set up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import cv2
import pytest
from conftest import REPO, LocalDaskCluster, jsonl_records, run_engine, write_portrait_clip

from engine.contract.take_io import load_take

pytest.importorskip("distributed")

KILL_WINDOW_S = 120.0


def frame_count(clip) -> int:
    cap = cv2.VideoCapture(str(clip))
    try:
        return int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()


def farm_run(*args, scheduler: str | None = None):
    where = ("--scheduler", scheduler) if scheduler else ()
    return run_engine("farm", "run", *args, *where, "--progress", "jsonl")


def outcomes_by_name(stdout: str) -> tuple[dict[str, dict], dict]:
    records = jsonl_records(stdout)
    assert records and records[-1].get("done") is True, stdout
    return {r["task"]: r for r in records[:-1]}, records[-1]


def check_round_trip(clips, bad, takes, cluster, bake_python=None):
    """Track ``clips`` and the bad clip (and bake, with a bpy environment), then re-run: only the bad one again."""
    bake = ("--demo-rig", "--bake-python", bake_python) if bake_python else ()
    run = farm_run(*clips, bad, "--takes", takes, *bake, scheduler=cluster.address)
    assert run.returncode == 1, run.stderr  # one clip failed
    outcomes, summary = outcomes_by_name(run.stdout)
    names = [c.stem for c in clips]
    for clip, name in zip(clips, names, strict=True):
        assert outcomes[f"track {name}"]["status"] == "ok", outcomes
        assert outcomes[f"track {name}"]["worker"].startswith("tcp://127.0.0.1:")
        assert load_take(takes / f"{name}.npz").num_frames == frame_count(clip)
    failed = outcomes[f"track {bad.stem}"]
    assert failed["status"] == "failed" and failed["message"].startswith("error: ") and "no face" in failed["message"]
    assert not (takes / f"{bad.stem}.npz").exists()
    if bake_python:
        for name in names:
            assert outcomes[f"bake {name}"]["status"] == "ok", outcomes
            assert (takes / f"{name}.blend").stat().st_size > 0
        assert outcomes[f"bake {bad.stem}"]["status"] == "skipped"
    assert summary["failed"] == 1 and summary["ok"] == len(clips) * (2 if bake_python else 1)

    mtimes = {n: (takes / f"{n}.npz").stat().st_mtime_ns for n in names}
    again = farm_run(*clips, bad, "--takes", takes, *bake, scheduler=cluster.address)
    outcomes, summary = outcomes_by_name(again.stdout)
    assert sorted(outcomes) == sorted({f"track {bad.stem}", *([f"bake {bad.stem}"] if bake_python else [])})
    assert summary["already_tracked"] == len(clips) and summary["already_baked"] == (len(clips) if bake_python else 0)
    assert mtimes == {n: (takes / f"{n}.npz").stat().st_mtime_ns for n in names}


class TestFarmRunOnScheduler:
    @pytest.mark.shared
    def test_feature_real_clips_bad_clip_and_resume(self, dask_cluster, real_clips, noface_clip, bpy_python, tmp_path):
        check_round_trip(real_clips, noface_clip, tmp_path / "takes", dask_cluster, bpy_python)

    def test_feature_project_clips_bad_clip_and_resume(self, dask_cluster, portrait_clips, noface_clip, tmp_path):
        check_round_trip(portrait_clips, noface_clip, tmp_path / "takes", dask_cluster)

    def test_exception_unreachable_scheduler(self, portrait_clips, tmp_path):
        nowhere = ("--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "3")
        run = run_engine("farm", "run", *portrait_clips, "--takes", tmp_path, *nowhere, "--progress", "none")
        assert run.returncode == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.stderr
        assert "Traceback" not in run.stderr

    def test_feature_a_scheduler_without_workers_is_said_not_waited_on_in_silence(self, portrait_clips, tmp_path):
        cluster = LocalDaskCluster(tmp_path / "dask", workers=0)
        log = tmp_path / "farm.err"
        try:
            with open(log, "w") as err:
                args = ["farm", "run", str(portrait_clips[0]), "--takes", str(tmp_path / "takes")]
                proc = subprocess.Popen([sys.executable, "-m", "engine", *args, "--scheduler", cluster.address],
                                        cwd=REPO, stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
                deadline = time.monotonic() + 60
                while "has no workers yet" not in log.read_text() and time.monotonic() < deadline:
                    time.sleep(0.2)
                proc.kill()
                proc.wait(timeout=30)
            assert f"the scheduler at {cluster.address} has no workers yet" in log.read_text()
        finally:
            cluster.stop()


class TestFarmRunLocalCluster:
    def test_feature_local_cluster_two_workers(self, portrait_clips, tmp_path):
        run = run_engine("farm", "run", *portrait_clips, "--takes", tmp_path / "takes", "--workers", "2")
        assert run.returncode == 0, run.stderr
        assert "running on a local Dask cluster (2 workers)" in run.stderr
        assert "farm: 2 ok, 0 failed, 0 skipped" in run.stderr
        for clip in portrait_clips:
            assert load_take(tmp_path / "takes" / f"{clip.stem}.npz").num_frames == 20

    def test_feature_ctrl_c_on_a_local_cluster_is_one_word_and_leaves_no_process(self, tmp_path):
        """A terminal's Ctrl-C reaches the whole process group: the local workers leave it to the farm command."""
        import psutil

        clips = [write_portrait_clip(tmp_path / f"long_{i}.mp4", 600, seed=i) for i in range(2)]
        err = tmp_path / "farm.err"
        with open(err, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "farm", "run", *map(str, clips), "--takes", str(tmp_path / "takes"),
                 "--workers", "2"],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 120
            while "running on" not in err.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(3.0)  # the tracks are running
            children = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=60) == 130
        text = err.read_text()
        assert "interrupted" in text and "Traceback" not in text, text[-3000:]

        def alive() -> list[int]:
            return [pid for pid in children if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]

        deadline = time.monotonic() + 30  # a track's starter stops its engine within about a second of dying
        while alive() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not alive()


class TestKilledWorker:
    def test_feature_killed_workers_task_is_retried(self, tmp_path):
        """SIGKILL the worker running a track: the scheduler gives the task to the other worker; no orphan stays."""
        with _a_farm_run_with_a_track_running(tmp_path, frames=240) as (clips, farm, pids, victim, child):
            os.kill(pids[victim], signal.SIGKILL)
            out, err = farm.communicate(timeout=KILL_WINDOW_S)
            assert farm.returncode == 0, err
            outcomes, summary = outcomes_by_name(out)
            assert summary["ok"] == 2 and summary["failed"] == 0
            assert {o["worker"] for o in outcomes.values()} <= set(pids) - {victim}  # all ended on the survivor
            for clip in clips:
                assert load_take(tmp_path / "takes" / f"{clip.stem}.npz").num_frames == 240
            child.wait(timeout=15)  # the killed worker's engine process stopped by itself (engine/farm/launch.py)


class TestCancelOnAScheduler:
    def test_feature_an_interrupted_submitter_stops_the_tasks_running_on_the_farm(self, tmp_path):
        """SIGINT to `farm run` on an external scheduler: the running tracks stop their engines, no take is written."""
        with _a_farm_run_with_a_track_running(tmp_path, frames=900) as (clips, farm, _, _, engine):
            farm.send_signal(signal.SIGINT)
            farm.communicate(timeout=60)
            assert farm.returncode == 130
            engine.wait(timeout=20)  # stopped (it ran on in the worker before)
            assert not [c for c in clips if (tmp_path / "takes" / f"{c.stem}.npz").exists()]


@contextlib.contextmanager
def _a_farm_run_with_a_track_running(tmp_path, *, frames: int):
    """``farm run`` of two portrait clips on a two-worker local scheduler, once one worker's engine is tracking:
    yields (clips, the farm process, worker pids by address, that worker's address, its engine process).
    """
    psutil = pytest.importorskip("psutil")
    clips = [write_portrait_clip(tmp_path / f"long_{i}.mp4", frames, seed=i) for i in range(2)]
    cluster = LocalDaskCluster(tmp_path / "dask")
    try:
        with cluster.client() as client:
            pids = client.run(os.getpid)
            farm = _start_farm_run(clips, tmp_path / "takes", cluster.address)
            worker, engine = _worker_running_a_track(client, pids, psutil)
            yield clips, farm, pids, worker, engine
    finally:
        cluster.stop()


def _start_farm_run(clips, takes, address):
    args = ["farm", "run", *map(str, clips), "--takes", str(takes), "--scheduler", address, "--progress", "jsonl"]
    return subprocess.Popen(
        [sys.executable, "-m", "engine", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _worker_running_a_track(client, pids, psutil):
    """Wait until a worker's ``engine track`` process is running; return (worker address, that process)."""
    deadline = time.monotonic() + KILL_WINDOW_S
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            if not keys:
                continue
            for proc in psutil.Process(pids[address]).children():
                try:
                    if "track" in proc.cmdline():
                        return address, proc
                except psutil.NoSuchProcess:
                    continue
        time.sleep(0.05)
    raise AssertionError("no worker started a track task in time")


def test_the_local_cluster_says_nothing_of_a_busy_dashboard_port():
    """Port 8787 (Dask's dashboard default) taken by another program: the local cluster says nothing of it (it
    printed a four-line "Port 8787 is already in use" warning in every `farm run`).
    """
    import socket
    import warnings

    from engine.farm.dask_run import DaskConfig, _connect

    with socket.socket() as busy:
        try:
            busy.bind(("127.0.0.1", 8787))
        except OSError:
            pass  # already busy: the case itself
        busy.listen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            client, cluster = _connect(DaskConfig(workers=1))
            client.close()
            cluster.close()
    assert not [w for w in caught if "8787" in str(w.message)], [str(w.message) for w in caught]
