"""The session's warm engine with the real ``python -m engine serve`` (no bpy): takes one after another in one
process, cancel of one take, a killed engine restarted on the next request with a message, stop.

Clips are made by the engine's own OpenCV from the public-domain portrait (no ../shared needed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO

from blender_addon.pure import bridge, engine_server

ENGINE_PYTHON = REPO / ".venv" / "bin" / "python"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ENGINE_PYTHON.is_file(), reason=f"{ENGINE_PYTHON} is absent: run the project's set-up"),
]
JOB_TIMEOUT_S = 180.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """``short``: 20 frames of the portrait; ``long``: 600 frames (long enough to cancel while it tracks)."""
    folder = tmp_path_factory.mktemp("server_clips")
    code = textwrap.dedent(f"""
        import cv2, numpy as np, skimage.data
        img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
        for name, frames in (("short", 20), ("long", 600)):
            w = cv2.VideoWriter({str(folder)!r} + f"/{{name}}.mp4", cv2.VideoWriter_fourcc(*"mp4v"), 30, (512, 512))
            for t in range(frames):
                m = cv2.getRotationMatrix2D((256, 200), 4.0 * np.sin(t / 9.0), 1.0)
                w.write(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
            w.release()
    """)
    subprocess.run([str(ENGINE_PYTHON), "-c", code], check=True, timeout=120)
    return {"short": folder / "short.mp4", "long": folder / "long.mp4"}


@pytest.fixture
def service():
    svc = engine_server.EngineService()
    yield svc
    svc.stop()


def _request(clip: Path, out: Path) -> bridge.TrackRequest:
    return bridge.TrackRequest(python=str(ENGINE_PYTHON), root=str(REPO), source=str(clip), output=str(out))


def _wait(job, until=lambda job: job.finished) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not until(job):
        assert time.monotonic() < deadline, "the job did not get there in time"
        job.poll()
        time.sleep(0.005)


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_feature_takes_one_after_another_in_one_engine(service, clips, tmp_path):
    first = service.start_tracking(_request(clips["short"], tmp_path / "a.npz"))
    _wait(first)
    assert first.state is bridge.JobState.DONE, first.message
    assert first.notice == "" and first.frame == 20 and Path(first.output) == tmp_path / "a.npz"
    assert not (tmp_path / "a.part.npz").exists()
    second = service.start_tracking(_request(clips["short"], tmp_path / "b.npz"))
    assert second.engine_warm and second.pid == first.pid  # the same warm process
    _wait(second)
    assert second.state is bridge.JobState.DONE and Path(second.output).is_file()


def test_feature_cancel_stops_one_take_and_the_engine_stays(service, clips, tmp_path):
    job = service.start_tracking(_request(clips["long"], tmp_path / "long.npz"))
    _wait(job, until=lambda job: job.frame >= 2 or job.finished)
    assert job.state is bridge.JobState.RUNNING, job.message
    job.cancel()
    assert job.state is bridge.JobState.CANCELLED
    assert not (tmp_path / "long.npz").exists() and not (tmp_path / "long.part.npz").exists()
    assert service.server is not None and service.server.alive
    after = service.start_tracking(_request(clips["short"], tmp_path / "after.npz"))
    assert after.pid == job.pid and after.notice == ""
    _wait(after)
    assert after.state is bridge.JobState.DONE


def test_feature_killed_engine_is_restarted_on_the_next_request_with_a_message(service, clips, tmp_path):
    first = service.start_tracking(_request(clips["short"], tmp_path / "a.npz"))
    _wait(first)
    os.kill(first.pid, signal.SIGKILL)
    _wait(first, until=lambda _: not service.server.alive)  # the kill has landed
    again = service.start_tracking(_request(clips["short"], tmp_path / "b.npz"))
    assert again.pid != first.pid
    assert again.notice == "The engine had stopped (killed by signal 9 (SIGKILL)); it was restarted"
    _wait(again)
    assert again.state is bridge.JobState.DONE, again.message


def test_feature_a_hung_engine_is_said_stuck_and_esc_stops_it_at_once(service, clips, tmp_path, monkeypatch):
    """An engine that answers nothing (stopped here with SIGSTOP): the job says how long it has been silent, its
    cancel kills it at once (it waited 10 s for an answer, then 3 s for a TERM a stopped process never gets: Blender
    froze 13 s), and the next take's notice says the add-on stopped it, not 'killed by signal 9'.
    """
    monkeypatch.setattr(engine_server, "STALLED_S", 1.0)
    job = service.start_tracking(_request(clips["long"], tmp_path / "long.npz"))
    _wait(job, until=lambda job: job.frame >= 1 or job.finished)
    os.killpg(job.pid, signal.SIGSTOP)
    try:
        time.sleep(0.5)
        job.poll()  # what the engine wrote before it stopped (a loaded machine delivers it late)
        time.sleep(1.5)
        job.poll()
        assert job.state is bridge.JobState.RUNNING and job.silent_s > 1.0 and job.stalled
        started = time.monotonic()
        job.cancel()
        assert time.monotonic() - started < 2.0 and job.state is bridge.JobState.CANCELLED
        assert not (tmp_path / "long.part.npz.partial").exists()  # the unfinished take is removed
    finally:
        if _alive(job.pid):
            os.killpg(job.pid, signal.SIGCONT)
    again = service.start_tracking(_request(clips["short"], tmp_path / "b.npz"))
    assert again.notice == "The engine had stopped answering and was stopped; it was restarted"
    _wait(again)
    assert again.state is bridge.JobState.DONE, again.message


def test_feature_engine_dying_mid_take_fails_the_take_with_the_reason(service, clips, tmp_path):
    job = service.start_tracking(_request(clips["long"], tmp_path / "long.npz"))
    _wait(job, until=lambda job: job.frame >= 1 or job.finished)
    os.kill(job.pid, signal.SIGKILL)
    _wait(job)
    assert job.state is bridge.JobState.FAILED
    assert "the engine stopped while tracking (killed by signal 9 (SIGKILL))" in job.message
    assert not (tmp_path / "long.part.npz").exists()


def test_exception_an_engine_that_cannot_start_says_so_not_track_again(service, clips, tmp_path):
    broken = tmp_path / "checkout"  # an engine folder whose engine dies on import (a set-up left half done)
    (broken / "engine").mkdir(parents=True)
    (broken / "engine" / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'mediapipe'\")\n")
    request = bridge.TrackRequest(
        python=str(ENGINE_PYTHON), root=str(broken), source=str(clips["short"]), output=str(tmp_path / "a.npz")
    )
    job = service.start_tracking(request)
    _wait(job)
    assert job.state is bridge.JobState.FAILED
    assert job.message.startswith("the engine did not start (exit code 1: ModuleNotFoundError: No module named 'mediap")
    assert "Check Engine" in job.message and "Track again" not in job.message


def test_feature_stop_ends_the_engine_and_a_running_take(service, clips, tmp_path):
    job = service.start_tracking(_request(clips["long"], tmp_path / "long.npz"))
    _wait(job, until=lambda job: job.frame >= 1 or job.finished)
    pid = job.pid
    service.stop()
    assert job.state is bridge.JobState.CANCELLED
    assert not _alive(pid) and service.server is None
    assert not (tmp_path / "long.part.npz").exists()


def test_feature_another_engine_location_replaces_the_engine(service, clips, tmp_path):
    first = service.start_tracking(_request(clips["short"], tmp_path / "a.npz"))
    _wait(first)
    # The same engine reached through another folder path counts as another location.
    other_root = tmp_path / "repo"
    other_root.symlink_to(REPO, target_is_directory=True)
    request = bridge.TrackRequest(
        python=str(ENGINE_PYTHON), root=str(other_root), source=str(clips["short"]), output=str(tmp_path / "b.npz")
    )
    second = service.start_tracking(request)
    assert second.pid != first.pid and not _alive(first.pid) and second.notice == ""
    _wait(second)
    assert second.state is bridge.JobState.DONE, second.message
