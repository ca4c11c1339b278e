"""The engine bridge with real subprocesses: a contract-following stand-in engine for the protocol paths, and the
real ``python -m engine track`` for the cancel path (no bpy needed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REPO

from blender_addon.pure import bridge

ENGINE_PYTHON = REPO / ".venv" / "bin" / "python"
CLIPS = REPO.parent / "shared" / "data" / "clips"

# A stand-in engine that follows the documented CLI contract (progress lines, done / error line, exit status).
STAND_IN = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    if sys.argv[1:] == ["--version"]:
        print("9.9.9-standin"); sys.exit(0)
    args = sys.argv[2:]  # track --output=OUT ... -- SOURCE
    src, out = args[-1], next(a.split("=", 1)[1] for a in args if a.startswith("--output="))
    mode = Path(src).stem
    total = 20
    for i in range(1, total + 1):
        print(json.dumps({"frame": i, "total": total, "fps": 50.0}), flush=True)
        Path(out).write_bytes(b"partial")
        time.sleep(0.5 if mode == "slow" else 0.005)
        if mode == "fail" and i == 5:
            print(json.dumps({"error": "no face found in the first 5 frames"}), flush=True); sys.exit(3)
        if mode == "crash" and i == 5:
            print("Traceback: something broke", file=sys.stderr, flush=True); sys.exit(1)
    import numpy as np
    np.savez(out, x=np.zeros(3))
    print("a stray line that is not JSON", flush=True)
    print(json.dumps({"done": True, "output": out, "frames": total}), flush=True)
""")


@pytest.fixture
def stand_in_root(tmp_path):
    root = tmp_path / "repo"
    (root / "engine").mkdir(parents=True)
    (root / "engine" / "__init__.py").write_text("")
    (root / "engine" / "__main__.py").write_text(STAND_IN)
    return root


def _run(job: bridge.TrackJob, timeout: float = 30.0) -> bridge.JobState:
    end = time.monotonic() + timeout
    while job.poll() is bridge.JobState.RUNNING:
        assert time.monotonic() < end, "job did not finish"
        time.sleep(0.02)
    return job.state


def _request(root: Path, tmp_path: Path, mode: str) -> bridge.TrackRequest:
    src = tmp_path / f"{mode}.mp4"
    src.write_bytes(b"")
    return bridge.TrackRequest(
        python=sys.executable, root=str(root), source=str(src), output=str(tmp_path / "o" / f"{mode}.npz")
    )


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_done_moves_finished_take_into_place(stand_in_root, tmp_path):
    req = _request(stand_in_root, tmp_path, "ok")
    assert req.command()[1:4] == ["-m", "engine", "track"] and "--progress" in req.command()
    job = bridge.TrackJob.start(req)
    assert _run(job) is bridge.JobState.DONE
    assert job.frame == job.total == 20 and job.progress == 1.0
    assert Path(job.output) == Path(req.output) and Path(req.output).is_file()
    assert not req.partial_output.exists()


def test_a_take_that_cannot_be_put_in_place_is_kept_and_said_where(stand_in_root, tmp_path):
    """The takes folder turned read-only, or the old take held open (Windows), when the engine had written the take:
    the job fails with where the take is, and the take stays (it escaped the panel's timer: Track stayed locked).
    """
    req = _request(stand_in_root, tmp_path, "ok")
    job = bridge.TrackJob.start(req)
    Path(req.output).mkdir()  # meanwhile, what is in the take's place cannot be replaced by a file
    assert _run(job) is bridge.JobState.FAILED
    assert "the take is written but cannot be put in place as ok.npz" in job.message
    assert str(req.partial_output) in job.message and req.partial_output.is_file()


def test_error_line_becomes_the_message(stand_in_root, tmp_path):
    req = _request(stand_in_root, tmp_path, "fail")
    job = bridge.TrackJob.start(req)
    assert _run(job) is bridge.JobState.FAILED
    assert job.message == "no face found in the first 5 frames"
    assert not req.partial_output.exists() and not Path(req.output).exists()


def test_crash_reports_stderr_tail(stand_in_root, tmp_path):
    job = bridge.TrackJob.start(_request(stand_in_root, tmp_path, "crash"))
    assert _run(job) is bridge.JobState.FAILED
    assert "code 1" in job.message and "something broke" in job.message


def test_cancel_stand_in(stand_in_root, tmp_path):
    req = _request(stand_in_root, tmp_path, "slow")
    job = bridge.TrackJob.start(req)
    while job.poll() is bridge.JobState.RUNNING and job.frame < 2:
        time.sleep(0.02)
    job.cancel()
    assert job.state is bridge.JobState.CANCELLED
    assert not _group_alive(job.pid)
    assert not req.partial_output.exists() and not Path(req.output).exists()


def test_check_engine_messages(stand_in_root, tmp_path):
    assert bridge.check_engine(sys.executable, stand_in_root) == "9.9.9-standin"
    with pytest.raises(bridge.EngineUnavailable, match="not found at"):
        bridge.check_engine(str(tmp_path / "nope" / "python"), stand_in_root)
    with pytest.raises(bridge.EngineUnavailable, match="no engine package"):
        bridge.check_engine(sys.executable, tmp_path)
    with pytest.raises(FileNotFoundError):
        bridge.TrackJob.start(
            bridge.TrackRequest(sys.executable, str(stand_in_root), str(tmp_path / "x.mp4"), str(tmp_path / "o.npz"))
        )


def test_engine_root_from_python_location():
    assert bridge.engine_root_for(REPO / ".venv" / "bin" / "python") == REPO


def _real_engine_ready() -> str:
    if not (REPO / "engine" / "__main__.py").is_file():
        return "engine/__main__.py is absent: the engine CLI is not written yet"
    if not ENGINE_PYTHON.is_file():
        return f"{ENGINE_PYTHON} is absent: run the project's set-up"
    return ""


def _long_clip(tmp_path: Path) -> Path:
    for name in ("d0.mp4", "d9.mp4", "d3.mp4"):
        if (CLIPS / name).is_file():
            return CLIPS / name
    clip = tmp_path / "synthetic.mp4"  # a long synthetic video made with the engine's own OpenCV
    subprocess.run(
        [
            str(ENGINE_PYTHON),
            "-c",
            textwrap.dedent(f"""
        import cv2, numpy as np
        w = cv2.VideoWriter({str(clip)!r}, cv2.VideoWriter_fourcc(*"mp4v"), 30, (640, 480))
        rng = np.random.default_rng(0)
        for i in range(900):
            w.write(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8))
        w.release()
    """),
        ],
        check=True,
        timeout=120,
    )
    return clip


@pytest.mark.skipif(bool(_real_engine_ready()), reason=_real_engine_ready() or "ready")
def test_real_engine_version_check():
    version = bridge.check_engine(str(ENGINE_PYTHON), REPO)
    assert version and version != "unknown"


@pytest.mark.skipif(bool(_real_engine_ready()), reason=_real_engine_ready() or "ready")
def test_cancel_real_engine_leaves_no_process_and_no_file(tmp_path):
    req = bridge.TrackRequest(
        python=str(ENGINE_PYTHON),
        root=str(REPO),
        source=str(_long_clip(tmp_path)),
        output=str(tmp_path / "takes" / "cancelled.npz"),
    )
    job = bridge.TrackJob.start(req)
    deadline = time.monotonic() + 120
    while job.poll() is bridge.JobState.RUNNING and job.frame < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.state is bridge.JobState.RUNNING, f"engine ended before it could be cancelled: {job.message}"
    job.cancel()
    assert job.state is bridge.JobState.CANCELLED
    assert job._proc.returncode is not None  # reaped: no zombie
    assert not _group_alive(job.pid), "an engine process outlived the cancel"
    assert not req.partial_output.exists() and not Path(req.output).exists()
    leftovers = list((tmp_path / "takes").glob("*"))  # no take, no unfinished-take folder, no temporary file
    assert leftovers == []


@pytest.mark.parametrize(
    ("neutral", "expected"), [(1.5, "1.5"), ("/photos/rest.png", "/photos/rest.png"), (None, None)]
)
def test_neutral_choice_becomes_the_engine_option(tmp_path, neutral, expected):
    req = bridge.TrackRequest(
        python="python", root="", source="clip.mp4", output=str(tmp_path / "t.npz"), neutral=neutral
    )
    cmd = req.command()
    if expected is None:
        assert not any(a.startswith("--neutral") for a in cmd)
    else:
        assert f"--neutral={expected}" in cmd


def test_check_engine_refuses_a_python_that_cannot_track(tmp_path):
    """A pass must mean that Track can run: Blender's own Python (no OpenCV, no MediaPipe), a program that is not a
    Python, and a Python older than the engine's are each refused in words.
    """
    blender_python = REPO / ".venv-bpy-5.0.1" / "bin" / "python"
    if not ENGINE_PYTHON.is_file() or not blender_python.is_file():
        pytest.skip("the engine's and Blender's environments are not both set up")
    with pytest.raises(bridge.EngineUnavailable, match="lacks what tracking needs: cv2, mediapipe"):
        bridge.check_engine(str(blender_python), REPO)
    not_python = tmp_path / "true"
    not_python.write_text("#!/bin/sh\nexit 0\n")
    not_python.chmod(0o755)
    with pytest.raises(bridge.EngineUnavailable, match="not a Python interpreter"):
        bridge.check_engine(str(not_python), REPO)
    old = tmp_path / "python3.8"
    old.write_text("#!/bin/sh\nprintf 3.8\n")  # what an old interpreter answers to the version probe
    old.chmod(0o755)
    with pytest.raises(bridge.EngineUnavailable, match="is Python 3.8; the engine needs Python 3.11 or newer"):
        bridge.check_engine(str(old), REPO)
