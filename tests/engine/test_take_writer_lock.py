"""One engine process writes a take at a time (engine/contract/writer_lock.py): real processes, real locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from crafted_inputs import write_clip

from engine.contract.take_io import load_take
from engine.contract.writer_lock import writer_lock, writer_lock_path
from engine.errors import InputError

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the writer lock is POSIX only (fcntl)")

HOLD = """import sys, time
from engine.contract.writer_lock import writer_lock
with writer_lock(sys.argv[1], 5):
    print("held", flush=True)
    time.sleep(60)
"""


def held_in_another_process(take: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(take)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_exception_a_second_writer_waits_then_says_the_take_is_being_written(tmp_path):
    take = tmp_path / "clip.npz"
    holder = held_in_another_process(take)
    try:
        t0 = time.monotonic()
        with pytest.raises(InputError, match=r"another engine process is writing clip\.npz \(it holds clip\.npz\.lock"):
            with writer_lock(take, 0.5):
                pass
        assert time.monotonic() - t0 >= 0.5
    finally:
        holder.kill()
        holder.wait()


def test_feature_a_killed_writer_frees_the_take(tmp_path):
    """SIGKILL (a farm worker's engine killed): the kernel drops its lock and the waiting writer goes on."""
    take = tmp_path / "clip.npz"
    holder = held_in_another_process(take)
    threading.Timer(0.5, os.kill, (holder.pid, signal.SIGKILL)).start()
    t0 = time.monotonic()
    with writer_lock(take, 10):
        waited = time.monotonic() - t0
        assert writer_lock_path(take).read_text().strip() == str(os.getpid())
    holder.wait()
    assert 0.4 < waited < 5
    assert not writer_lock_path(take).exists()  # nothing is left beside the take


def test_feature_two_tracks_into_one_take_at_once_both_finish(tmp_path):
    """Without the lock the second removed the first's partial take while the first still wrote into it."""
    clip = write_clip(tmp_path / "clip.mp4", 60)
    take = tmp_path / "take.npz"
    args = [sys.executable, "-m", "engine", "track", str(clip), "-o", str(take), "--progress", "none", "--overwrite"]
    first = subprocess.Popen(args, cwd=REPO, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the first is reading its landmarks when the second starts
    second = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    first_err = first.communicate(timeout=300)[1]
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    assert "is replaced" not in second.stderr  # the first's partial take was live, not left over: nothing replaced
    assert load_take(take).num_frames == 60
    assert not writer_lock_path(take).exists()


def test_feature_a_left_over_partial_take_is_replaced_with_a_notice(tmp_path):
    from engine.contract.partial_take import PartialTake, partial_folder

    clip = write_clip(tmp_path / "clip.mp4", 12)
    take = tmp_path / "take.npz"
    PartialTake.create(partial_folder(take), meta={}, job={"input": "another clip"})  # a killed run's
    run = subprocess.run([sys.executable, "-m", "engine", "track", str(clip), "-o", str(take), "--progress", "none"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0 and "notice: the unfinished take take.npz.partial is replaced" in run.stderr


def test_exception_a_folder_made_read_only_mid_track_keeps_the_takes_own_error(tmp_path, monkeypatch):
    """The lock file cannot be removed any more (the folder turned read-only under the track): the take's own
    write error is what the user reads, not the lock's (it was an 'engine bug: PermissionError ... .lock').
    """
    take = tmp_path / "shot.npz"

    def refused(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))

    with pytest.raises(InputError, match="cannot write the take"):
        with writer_lock(take, 1.0):
            monkeypatch.setattr(Path, "unlink", refused)  # the folder is read-only from here on (as root, chmod is not)
            raise InputError("cannot write the take in the folder: Permission denied")
    monkeypatch.undo()
    assert writer_lock_path(take).exists()  # left, harmless: the lock is the kernel's, released with the process
