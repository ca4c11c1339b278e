"""``python -m engine serve``, a real engine process: served takes equal command-line takes; cancel, info, errors.

Clips are made by the project from the public-domain portrait (no ../shared needed): two clips whose faces sit in
different places and sizes, so a tracking state carried over from the first take would change the second.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from engine.cli import build_parser
from engine.contract.engine_requests import Cancel, TakeInfo, TrackTake, encode_request
from engine.contract.progress_events import Done, Failed, Progress, Ready, decode_event

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # real engine processes with the real MediaPipe
REPLY_TIMEOUT_S = 120.0


def _write_clip(path: Path, frames: int, *, scale: float, shift: tuple[float, float], size=(512, 512)) -> Path:
    """The portrait scaled and placed in the frame, drifting and turning slightly."""
    img = np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for t in range(frames):
        m = cv2.getRotationMatrix2D((256, 200), 4.0 * np.sin(t / 9.0), scale)
        m[:, 2] += (shift[0] + 5.0 * np.sin(t / 7.0), shift[1] + 3.0 * np.cos(t / 11.0))
        writer.write(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT))
    writer.release()
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("serve_clips")
    first = _write_clip(folder / "centre.mp4", 30, scale=1.0, shift=(0, 0))
    second = _write_clip(folder / "left_small.mp4", 30, scale=0.7, shift=(-90, 40), size=(640, 480))
    return first, second


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return _write_clip(tmp_path_factory.mktemp("serve_long") / "long.mp4", 600, scale=1.0, shift=(0, 0))


class ServedEngine:
    """``python -m engine serve`` with its replies read on a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "engine", "serve"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def next_event(self):
        line = self.lines.get(timeout=REPLY_TIMEOUT_S)
        assert line is not None, "the served engine ended"
        return decode_event(line)

    def until_final(self, request: int) -> list:
        """This request's events up to its last one (done or error)."""
        events = []
        while True:
            event = self.next_event()
            if event is None or getattr(event, "request", None) != request:
                continue
            events.append(event)
            if isinstance(event, Done | Failed):
                return events

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=REPLY_TIMEOUT_S)


@pytest.fixture
def served():
    engine = ServedEngine()
    yield engine
    if engine.proc.poll() is None:
        engine.proc.kill()
        engine.proc.wait()


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files if k != "meta"}


def test_feature_two_served_takes_equal_two_command_line_takes(tmp_path, clips, served):
    for i, clip in enumerate(clips):
        run = subprocess.run(
            [sys.executable, "-m", "engine", *TrackTake(str(clip), str(tmp_path / f"cli{i}.npz")).argv()],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    assert isinstance(served.next_event(), Ready)
    for i, clip in enumerate(clips):
        served.send(encode_request(i, TrackTake(str(clip), str(tmp_path / f"served{i}.npz"))))
    finals = [served.until_final(i)[-1] for i in range(len(clips))]
    assert finals == [Done(str(tmp_path / f"served{i}.npz"), 30, request=i) for i in range(len(clips))]
    assert served.close() == 0
    for i in range(len(clips)):
        cli, srv = _arrays(tmp_path / f"cli{i}.npz"), _arrays(tmp_path / f"served{i}.npz")
        assert cli.keys() == srv.keys()
        for key in cli:
            np.testing.assert_array_equal(srv[key], cli[key], err_msg=f"take {i}: {key}")


def test_feature_batch_of_clips_equals_command_line_takes(tmp_path, clips):
    """``engine batch CLIP CLIP -o DIR``: many clips in one warm process (how a farm task tracks several)."""
    for clip in clips:
        argv = TrackTake(str(clip), str(tmp_path / "cli" / f"{clip.stem}.npz")).argv()
        (tmp_path / "cli").mkdir(exist_ok=True)
        run = subprocess.run([sys.executable, "-m", "engine", *argv], cwd=REPO, capture_output=True, timeout=300)
        assert run.returncode == 0, run.stderr
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "batch",
            *map(str, clips),
            "-o",
            str(tmp_path / "batch"),
            "--progress",
            "jsonl",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    done = [e for e in map(decode_event, run.stdout.splitlines()) if isinstance(e, Done)]
    assert [Path(e.output).name for e in done] == [f"{clip.stem}.npz" for clip in clips]
    for clip in clips:
        cli, batch = _arrays(tmp_path / "cli" / f"{clip.stem}.npz"), _arrays(tmp_path / "batch" / f"{clip.stem}.npz")
        for key in cli:
            np.testing.assert_array_equal(batch[key], cli[key], err_msg=f"{clip.name}: {key}")


def test_exception_batch_refuses_two_clips_with_one_take_name(tmp_path, clips):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    same = [tmp_path / "a" / "x.mp4", tmp_path / "b" / "x.mp4"]
    for path in same:
        path.write_bytes(clips[0].read_bytes())
    run = subprocess.run(
        [sys.executable, "-m", "engine", "batch", *map(str, same), "-o", str(tmp_path / "out"), "--progress", "none"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and "clips that would write the same take" in run.stderr
    assert not list((tmp_path / "out").glob("*.npz"))


def test_feature_cancel_stops_the_take_and_the_engine_serves_on(tmp_path, clips, long_clip, served):
    assert isinstance(served.next_event(), Ready)
    cancelled = tmp_path / "cancelled.npz"
    served.send(encode_request(1, TrackTake(str(long_clip), str(cancelled))))
    served.send(encode_request(2, TrackTake(str(clips[0]), str(tmp_path / "queued.npz"))))
    while not isinstance(event := served.next_event(), Progress) or event.request != 1:
        pass
    served.send(encode_request(3, Cancel(target=2)))  # a waiting request is dropped
    served.send(encode_request(4, Cancel(target=1)))  # the take in progress stops at its next frame
    finals = {}
    while len(finals) < 2:
        event = served.next_event()
        if isinstance(event, Done | Failed):
            finals[event.request] = event
    assert finals[1] == Failed("cancelled", cancelled=True, request=1)
    assert finals[2] == Failed("cancelled", cancelled=True, request=2)
    assert not cancelled.exists() and not (tmp_path / "queued.npz").exists()
    assert not (tmp_path / "cancelled.npz.partial").exists()  # no unfinished run left for `info` to offer a resume
    after = tmp_path / "after.npz"
    served.send(encode_request(5, TrackTake(str(clips[1]), str(after))))
    assert served.until_final(5)[-1] == Done(str(after), 30, request=5)
    assert served.proc.poll() is None  # the same process


def test_exception_a_stopped_engine_gives_every_unanswered_request_its_last_line(tmp_path, clips, long_clip, served):
    """SIGTERM mid-take: the script waiting for each request's last line got end-of-file instead."""
    import signal

    assert isinstance(served.next_event(), Ready)
    served.send(encode_request(1, TrackTake(str(long_clip), str(tmp_path / "long.npz"))))
    served.send(encode_request(2, TrackTake(str(clips[0]), str(tmp_path / "queued.npz"))))
    while not isinstance(event := served.next_event(), Progress) or event.request != 1:
        pass
    served.proc.send_signal(signal.SIGTERM)
    finals = {}
    while len(finals) < 2:
        event = served.next_event()
        if isinstance(event, Done | Failed):
            finals[event.request] = event
    assert all(f == Failed("interrupted: the engine was stopped", request=r) for r, f in finals.items())
    assert served.proc.wait(timeout=60) == 130


def test_feature_info_and_request_errors(tmp_path, clips, served):
    assert isinstance(served.next_event(), Ready)
    take = tmp_path / "t.npz"
    served.send(encode_request(1, TrackTake(str(clips[0]), str(take))))
    served.send(encode_request(1, TakeInfo(str(take))))  # the id is in use (waiting or running)
    served.send(json.dumps({"id": 1, "command": "bogus"}))  # ... and a bad line with that id
    served.send(encode_request(2, TakeInfo(str(take))))
    served.send(json.dumps({"id": 3, "command": "track", "input": "x.mp4"}))  # no output
    served.send(json.dumps({"id": 4, "command": "track", "input": "x.mp4", "output": "x.npz", "speed": 3}))
    served.send("not json")
    served.send(encode_request(5, TrackTake(str(tmp_path / "missing.mp4"), str(tmp_path / "m.npz"))))
    finals, errors = {}, []
    while len(finals) < 3 or len(errors) < 5:  # replies of requests 1, 2, 5 and the five refused lines
        event = served.next_event()
        if isinstance(event, Failed) and event.request in (None, 3, 4):  # a refused line never takes a live id
            errors.append(event.message)
        elif isinstance(event, Done | Failed):
            assert event.request not in finals, f"request {event.request} got two final lines"
            finals[event.request] = event
    assert any("id 1 is already in use" in m for m in errors) and any('"output" is missing' in m for m in errors)
    assert any("unknown key(s) speed" in m for m in errors) and any(m.startswith("not JSON") for m in errors)
    assert finals[1] == Done(str(take), 30, request=1)
    assert isinstance(finals[2], Done) and finals[2].frames == 30 and "frames      30 at 30 fps" in finals[2].summary
    assert isinstance(finals[5], Failed) and "not found" in finals[5].message and not finals[5].cancelled
    assert served.close() == 0


def test_feature_end_of_input_answers_every_request_then_exits(tmp_path, clips):
    requests = "".join(
        encode_request(i, TrackTake(str(clip), str(tmp_path / f"{i}.npz"))) + "\n" for i, clip in enumerate(clips)
    )
    run = subprocess.run(
        [sys.executable, "-m", "engine", "serve"], cwd=REPO, input=requests, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    events = [e for e in map(decode_event, run.stdout.splitlines()) if e is not None]
    assert isinstance(events[0], Ready), "the first line says the engine is ready"
    assert [e.request for e in events if isinstance(e, Done)] == [0, 1]
    assert all(json.loads(line) for line in run.stdout.splitlines()), "stdout holds protocol lines only"


def test_convention_a_track_request_is_the_command_line_it_stands_for():
    take = TrackTake("a.mp4", "a.npz", start=1.0, end=2.5, identity="b.npz", neutral="0.5", no_filter=True,
                     backend="fan")  # fmt: skip
    args = build_parser().parse_args(take.argv())
    assert (args.command, args.input, args.output) == ("track", "a.mp4", "a.npz")
    dashed = build_parser().parse_args(TrackTake("--sample", "-o.npz", neutral="-x.png").argv("--progress", "jsonl"))
    assert (dashed.input, dashed.output, dashed.neutral, dashed.progress) == ("--sample", "-o.npz", "-x.png", "jsonl")
    assert (args.start, args.end, args.identity, args.neutral) == (1.0, 2.5, "b.npz", "0.5")
    assert args.no_filter and args.backend == "fan"


def test_feature_nobody_reading_stops_the_take_and_the_engine(tmp_path, long_clip):
    """Blender gone: its end of both pipes closes; the take in progress stops, no file is left, the engine exits."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    take = tmp_path / "abandoned.npz"
    proc.stdin.write(encode_request(1, TrackTake(str(long_clip), str(take))) + "\n")
    proc.stdin.flush()
    while not isinstance(decode_event(proc.stdout.readline()), Progress):
        pass
    proc.stdin.close()
    proc.stdout.close()
    assert proc.wait(timeout=REPLY_TIMEOUT_S) == 0, proc.stderr.read()[-2000:]
    proc.stderr.close()
    assert not take.exists()
