"""Tests for engine/progress.py: JSON-lines protocol for the add-on, the terminal bar, the null reporter."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.progress import BarReporter, JsonlReporter, NullReporter, make_reporter

REPO = Path(__file__).resolve().parents[2]


class FakeClock:
    """A settable clock (seconds): makes fps, ETA and throttling deterministic."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestMakeReporter:
    def test_smoke(self):
        assert isinstance(make_reporter("bar"), BarReporter)
        assert isinstance(make_reporter("jsonl"), JsonlReporter)
        assert isinstance(make_reporter("none"), NullReporter)

    def test_exception(self):
        with pytest.raises(ValueError, match="'bar', 'jsonl' or 'none'"):
            make_reporter("fancy")  # type: ignore[arg-type]

    def test_feature_none_prints_nothing(self, capsys):
        r = make_reporter("none")
        r.start(10)
        r.update(5)
        r.done("x.npz", 10)
        r.error("boom")
        assert capsys.readouterr() == ("", "")

    def test_convention_default_streams(self, capsys):
        """Jsonl goes to stdout (the add-on reads it), the bar to stderr (stdout stays clean)."""
        j = make_reporter("jsonl")
        j.start(2)
        j.update(1)
        b = make_reporter("bar")
        b.start(2)
        b.update(1)
        out, err = capsys.readouterr()
        record = json.loads(out)
        assert record["frame"] == 1 and record["total"] == 2 and isinstance(record["fps"], float)
        assert "1/2" in err and out.count("\n") == 1


class TestJsonl:
    def _run(self, frames: int = 216, fps: float = 72.0):
        stream, clock = io.StringIO(), FakeClock()
        r = JsonlReporter(stream, clock=clock)
        r.start(frames)
        for i in range(1, frames + 1):
            clock.now = i / fps
            r.update(i)
        r.done("out/take.npz", frames)
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    def test_feature_every_line_parses(self):
        records = self._run()
        assert len(records) == 217
        assert records[9] == {"frame": 10, "total": 216, "fps": 72.0}
        assert records[-1] == {"done": True, "output": str((Path.cwd() / "out/take.npz").resolve()), "frames": 216}

    def test_feature_fps_uses_a_sliding_window(self):
        """A slow start (1 fps for 5 s) is forgotten once the window has moved on: fps is the recent rate."""
        stream, clock = io.StringIO(), FakeClock()
        r = JsonlReporter(stream, clock=clock)
        r.start(None)
        frame = 0
        for _ in range(5):
            clock.now += 1.0
            frame += 1
            r.update(frame)
        for _ in range(300):  # 3 s: longer than the 2 s window
            clock.now += 0.01
            frame += 1
            r.update(frame)
        last = json.loads(stream.getvalue().splitlines()[-1])
        assert last["total"] is None
        assert last["fps"] == pytest.approx(100.0, rel=0.02)

    def test_exception_no_rate_from_an_instant(self):
        """A bar started just as its first item finished (build-model's renders) said '114116.2 fps'."""
        stream, clock = io.StringIO(), FakeClock()
        r = JsonlReporter(stream, clock=clock)
        r.start(77)
        clock.now += 1e-5
        r.update(1)
        clock.now += 1.0
        r.update(2)
        first, second = (json.loads(line) for line in stream.getvalue().splitlines())
        assert first["fps"] == 0.0 and second["fps"] == pytest.approx(2.0, rel=0.01)  # 2 items since the start

    def test_feature_error_line(self):
        stream = io.StringIO()
        r = JsonlReporter(stream)
        r.start(None)
        r.error('no face found in "clip.mp4"')
        assert json.loads(stream.getvalue()) == {"error": 'no face found in "clip.mp4"'}

    def test_convention_lines_are_flushed_to_a_pipe(self):
        """A real subprocess: the reader gets each line (the add-on reads the pipe while the engine runs)."""
        code = (
            "from engine.progress import make_reporter\n"
            "r = make_reporter('jsonl'); r.start(3)\n"
            "for i in (1, 2, 3): r.update(i)\n"
            "r.done('t.npz', 3)\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        records = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [r.get("frame") for r in records[:3]] == [1, 2, 3]
        assert records[-1]["done"] is True and proc.stderr == ""


class TestBar:
    BAR = re.compile(r"^track  \[[#.]{24}\]  (\d+)/216  ([\d.]+) fps  ETA (\d+:\d\d)\s*$")

    def test_feature_line_shape(self):
        stream, clock = io.StringIO(), FakeClock()
        r = BarReporter(stream, clock=clock)
        r.start(216)
        for i in range(1, 121):
            clock.now = i / 60.0
            r.update(i)
        frames = stream.getvalue().split("\r")[1:]
        match = self.BAR.match(frames[-1])
        assert match, frames[-1]
        assert int(match.group(1)) <= 120 and float(match.group(2)) == pytest.approx(60.0)
        assert "\n" not in stream.getvalue()  # one line, redrawn in place
        bar = frames[-1].split("[")[1].split("]")[0]
        assert bar.count("#") == round(24 * int(match.group(1)) / 216)

    def test_feature_throttled_to_10_per_second(self):
        stream, clock = io.StringIO(), FakeClock()
        r = BarReporter(stream, clock=clock)
        r.start(1000)
        for i in range(1, 1001):
            clock.now = i / 500.0  # 2 s at 500 fps
            r.update(i)
        redraws = stream.getvalue().count("\r")
        assert 15 <= redraws <= 21

    def test_feature_done_and_error(self):
        stream, clock = io.StringIO(), FakeClock()
        r = BarReporter(stream, clock=clock)
        r.start(None)
        clock.now = 1.0
        r.update(30)
        r.done("/tmp/t.npz", 30)
        text = stream.getvalue()
        assert text.endswith("done  -> /tmp/t.npz\n")
        assert "30 frames" in text
        stream2 = io.StringIO()
        r2 = BarReporter(stream2)
        r2.start(10)
        r2.update(1)
        r2.error("cannot read video")
        assert stream2.getvalue().endswith("\ntrack: error: cannot read video\n")

    def test_feature_eta(self):
        stream, clock = io.StringIO(), FakeClock()
        r = BarReporter(stream, clock=clock)
        r.start(3600 * 10 + 10)
        clock.now = 1.0
        r.update(10)  # 10 fps: one hour left
        assert stream.getvalue().rstrip().endswith("ETA 1:00:00")
