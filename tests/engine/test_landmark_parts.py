"""A long clip read in concurrent parts (:mod:`engine.landmark_parts`).

The parts' plumbing runs with real threads; the tracks are real (real MediaPipe, a clip the project makes from the
public-domain portrait, and d10 from ../shared when present), read in parts and in one piece and compared.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from crafted_inputs import portrait_bgr, set_mp4_rotation, write_clip

from engine.contract.partial_take import PartialTake, partial_folder
from engine.contract.take_io import load_take
from engine.landmark_parts import MAX_AUTO_PARTS, LandmarkPartsConfig, PartsStopped, run_parts
from engine.landmark_pass import collect_landmarks
from engine.progress import make_reporter
from engine.track import track
from engine.track_config import TrackConfig
from engine.track_job import StreamingConfig, track_to_file

REPO = Path(__file__).resolve().parents[2]
CLIPS = REPO.parent / "shared" / "data" / "clips"
ONE_PIECE = TrackConfig(parts=LandmarkPartsConfig(parts=1))
TWO_PARTS = TrackConfig(parts=LandmarkPartsConfig(parts=2))


def _counting_part(value: int, frames: int):
    def run(progress):
        for _ in range(frames):
            time.sleep(0.001)
            progress.frame()
        return value

    return run


class TestRunParts:
    def test_feature_results_in_order_and_progress_counts_every_part(self):
        reports: list[int] = []
        assert run_parts([_counting_part(0, 5), _counting_part(1, 30)], reports.append) == [0, 1]
        assert reports == sorted(reports) and reports[-1] == 35  # reported while waiting for the slower part

    def test_exception_a_failing_part_stops_the_first_and_its_error_is_raised(self):
        frames_after_failure: list[int] = []
        failed = threading.Event()

        def first(progress):
            for _ in range(20_000):  # 20 s unless stopped
                time.sleep(0.001)
                if failed.is_set():
                    frames_after_failure.append(1)
                progress.frame()

        def failing(progress):
            progress.frame()
            failed.set()
            raise OSError("disk full")

        with pytest.raises(OSError, match="disk full"):
            run_parts([first, failing], lambda n: None)
        assert len(frames_after_failure) <= 2

    def test_exception_a_cancel_raised_by_the_report_stops_the_other_parts(self):
        class Cancelled(Exception):
            pass

        stopped = threading.Event()

        def worker(progress):
            try:
                for _ in range(20_000):
                    time.sleep(0.001)
                    progress.frame()
            except PartsStopped:
                stopped.set()
                raise

        def report(frames: int) -> None:
            if frames >= 10:
                raise Cancelled

        with pytest.raises(Cancelled):
            run_parts([_counting_part(0, 20_000), worker], report)
        assert stopped.is_set()

    def test_feature_by_default_one_part_per_core_the_process_may_use(self):
        assert LandmarkPartsConfig(parts=3).graphs() == 3
        code = (
            "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
            "from engine.landmark_parts import LandmarkPartsConfig; print(LandmarkPartsConfig().graphs())"
        )
        one_core = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        assert one_core.stdout.strip() == "1"  # a process pinned to one core reads a clip in one piece
        assert LandmarkPartsConfig().graphs() == min(MAX_AUTO_PARTS, len(os.sched_getaffinity(0)))

    @pytest.mark.parametrize("frames", [1, 59, 119, 120, 121, 1000, 1001])
    def test_feature_bounds_split_a_range_into_parts_of_at_least_min_frames(self, frames):
        cfg = LandmarkPartsConfig(parts=3, min_part_frames=60)
        bounds = cfg.bounds(2.0, 30.0, frames)
        edges = [round((b - 2.0) * 30.0) for b in bounds] + [frames]
        assert edges[0] == 0 and len(bounds) == max(1, min(3, frames // 60))
        assert all(b - a >= 60 for a, b in zip(edges, edges[1:], strict=False)) or len(bounds) == 1
        assert LandmarkPartsConfig().bounds(0.0, 30.0, None) == [0.0]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "portrait_240.mp4", 240, size=512)


class _StopAt:
    """A progress reporter that interrupts the take at a frame, as Ctrl-C would."""

    def __init__(self, frame: int) -> None:
        self.frame = frame

    def start(self, total):
        pass

    def update(self, frame):
        if frame >= self.frame:
            raise KeyboardInterrupt

    def stage(self, text):
        pass

    def done(self, output, frames):
        pass

    def error(self, message):
        pass


@pytest.mark.slow
class TestTrackedInParts:
    def test_feature_parts_hold_every_frame_once_in_order(self, long_clip):
        whole = collect_landmarks(long_clip, ONE_PIECE, make_reporter("none"))
        parted = collect_landmarks(long_clip, TWO_PARTS, make_reporter("none"))
        np.testing.assert_array_equal(parted.time, whole.time)
        assert len(whole.time) == 240
        # The second part's tracker was warmed up before its range: no start-of-clip jump at the boundary.
        gap = np.linalg.norm(parted.points - whole.points, axis=-1).max(axis=1)
        assert gap.max() < 1.0, f"frame {gap.argmax()}: {gap.max():.2f} px"

    def test_feature_a_script_tracks_a_long_clip_in_parts_in_a_new_process(self, long_clip):
        """Without a warm engine each part makes its own backend in its own thread, importing MediaPipe at once."""
        code = (
            "import sys; from engine.track import track; from engine.track_config import TrackConfig; "
            "from engine.landmark_parts import LandmarkPartsConfig; "
            "print(track(sys.argv[1], None, TrackConfig(parts=LandmarkPartsConfig(parts=2))).num_frames)"
        )
        run = subprocess.run([sys.executable, "-c", code, str(long_clip)], cwd=REPO, capture_output=True, text=True)
        assert run.returncode == 0 and run.stdout.split()[-1] == "240", run.stderr[-2000:]

    def test_feature_a_take_on_disk_is_the_take_in_memory(self, tmp_path, long_clip):
        out = tmp_path / "parts.npz"
        track_to_file(long_clip, out, TWO_PARTS, streaming=StreamingConfig(spool_block_frames=16))
        on_disk, in_memory = load_take(out), track(long_clip, None, TWO_PARTS)
        np.testing.assert_array_equal(on_disk.time, in_memory.time)
        np.testing.assert_allclose(on_disk.landmarks, in_memory.landmarks, atol=1e-4)
        np.testing.assert_allclose(on_disk.expression, in_memory.expression, atol=1e-4)

    def test_feature_an_interrupted_take_in_parts_resumes(self, tmp_path, long_clip):
        out = tmp_path / "cut.npz"
        streaming = StreamingConfig(spool_block_frames=16)
        with pytest.raises(KeyboardInterrupt):
            track_to_file(long_clip, out, TWO_PARTS, streaming=streaming, reporter=_StopAt(150))
        sections = PartialTake.inspect(partial_folder(out)).manifest["sections"]
        assert sections["landmarks"]["rows"] > 0 and sections["landmarks_part1"]["rows"] > 0  # both parts begun
        track_to_file(long_clip, out, TWO_PARTS, streaming=streaming, resume=True)
        take = load_take(out)
        whole = collect_landmarks(long_clip, ONE_PIECE, make_reporter("none"))
        np.testing.assert_allclose(take.time, whole.time - whole.time[0], atol=1e-9)
        assert (take.confidence > 0).all() and not partial_folder(out).exists()


def _times_in_parts_and_in_one_piece(source: Path, **range_s) -> tuple[np.ndarray, np.ndarray]:
    parted = collect_landmarks(source, dataclasses.replace(TWO_PARTS, **range_s), make_reporter("none"))
    whole = collect_landmarks(source, dataclasses.replace(ONE_PIECE, **range_s), make_reporter("none"))
    return parted.time, whole.time


@pytest.mark.slow
class TestEdgesOfParts:
    def test_feature_a_time_range_is_split_within_itself(self, long_clip):
        parted, whole = _times_in_parts_and_in_one_piece(long_clip, start=1.5, end=7.0)
        np.testing.assert_array_equal(parted, whole)
        assert len(whole) == 165 and whole[0] >= 1.5 - 1e-6 and whole[-1] < 7.0

    def test_feature_an_image_sequence_is_read_in_parts(self, tmp_path):
        folder = tmp_path / "seq"
        folder.mkdir()
        image = portrait_bgr(256)
        for i in range(130):
            cv2.imwrite(str(folder / f"f{i}.png"), np.roll(image, i % 7, axis=1))
        parted, whole = _times_in_parts_and_in_one_piece(folder)
        np.testing.assert_array_equal(parted, whole)
        assert len(whole) == 130

    def test_feature_a_phone_clip_turned_by_its_metadata_is_read_in_parts(self, tmp_path):
        path = write_clip(tmp_path / "phone.mp4", 150, turns=3)  # stored sideways ...
        set_mp4_rotation(path, 90)  # ... and tagged to be shown turned back upright
        parted, whole = _times_in_parts_and_in_one_piece(path)
        np.testing.assert_array_equal(parted, whole)
        assert len(whole) == 150

    @pytest.mark.parametrize(("kept", "frames_left"), [(0.4, (1, 150)), (0.7, (151, 299))])
    def test_feature_a_truncated_video_in_parts_gives_each_frame_it_has_once(self, tmp_path, kept, frames_left):
        """The second part starts where the file declares its middle (frame 150 of 300): past what is left of
        it, or inside it, in a file whose index is gone.
        """
        path = tmp_path / "cut.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (256, 256))
        for t in range(300):
            writer.write(np.roll(portrait_bgr(), t % 5, axis=0))
        writer.release()
        path.write_bytes(path.read_bytes()[: int(path.stat().st_size * kept)])
        parted = collect_landmarks(path, TWO_PARTS, make_reporter("none"))
        whole = collect_landmarks(path, ONE_PIECE, make_reporter("none"))
        np.testing.assert_array_equal(parted.time, whole.time)
        assert frames_left[0] <= len(whole.time) <= frames_left[1], len(whole.time)
        assert any("ended after" in n for n in parted.notices)


@pytest.mark.shared
@pytest.mark.slow
def test_feature_a_real_take_in_parts_reads_as_in_one_piece():
    """d10 (448 frames, an expressive talker): its curves in two parts and in one piece agree on every frame."""
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    whole, parted = track(CLIPS / "d10.mp4", None, ONE_PIECE), track(CLIPS / "d10.mp4", None, TWO_PARTS)
    np.testing.assert_array_equal(parted.time, whole.time)
    assert np.abs(parted.expression - whole.expression).max() < 0.05
    assert np.abs(parted.eye_blink - whole.eye_blink).max() < 0.05


@pytest.mark.shared
@pytest.mark.slow
def test_feature_a_resumed_real_take_reads_as_one_tracked_in_one_go(tmp_path):
    """d10 interrupted after 117 frames and resumed: the resumed tracker starts on frames before the resume point
    (dropped), so the frames after it agree with an uninterrupted run's (without: 14 px and 0.30 at the first).
    """
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    streaming = StreamingConfig(chunk_frames=60, spool_block_frames=20)  # the partial keeps frames 0-99
    track_to_file(CLIPS / "d10.mp4", tmp_path / "whole.npz", ONE_PIECE, streaming=streaming)
    with pytest.raises(KeyboardInterrupt):
        track_to_file(CLIPS / "d10.mp4", tmp_path / "cut.npz", ONE_PIECE, streaming=streaming, reporter=_StopAt(117))
    kept = PartialTake.reopen(partial_folder(tmp_path / "cut.npz")).rows("landmarks")
    assert 0 < kept < 117
    track_to_file(CLIPS / "d10.mp4", tmp_path / "cut.npz", ONE_PIECE, streaming=streaming, resume=True)
    whole, resumed = load_take(tmp_path / "whole.npz"), load_take(tmp_path / "cut.npz")
    np.testing.assert_array_equal(resumed.time, whole.time)
    after = slice(kept, kept + 10)  # the resumed tracker's first frames
    assert np.abs(resumed.landmarks[after] - whole.landmarks[after]).max() < 3.0  # px; 1.2 at most on any frame
    assert np.abs(resumed.expression - whole.expression).max() < 0.1  # measured 0.056


@pytest.mark.shared
@pytest.mark.slow
def test_feature_a_second_face_walking_in_does_not_take_over_a_later_part(tmp_path):
    """d10 on the left; d19 appears on the right at frame 50 of 150. Read in two parts, the second part's fresh
    tracker took d19 (the take jumped 500 px at frame 75); the seam check reads on in one piece and says so.
    """
    if not CLIPS.is_dir():
        pytest.skip("../shared/data/clips is absent")
    actor, newcomer = (cv2.VideoCapture(str(CLIPS / name)) for name in ("d10.mp4", "d19.mp4"))
    clip = tmp_path / "two.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 30, (1024, 512))
    for i in range(150):
        left = cv2.resize(actor.read()[1], (512, 512))
        right = cv2.resize(newcomer.read()[1], (512, 512)) if i >= 50 else np.zeros_like(left)
        writer.write(np.hstack([left, right]))
    writer.release()
    track_to_file(clip, tmp_path / "parts.npz", TWO_PARTS)
    take = load_take(tmp_path / "parts.npz")
    centre_x = np.nanmean(take.landmarks[:, :, 0], axis=1)
    assert take.num_frames == 150 and (centre_x < 512).all(), centre_x[::15]  # d10's face throughout
    assert any("another face is in the picture" in n for n in take.meta["notices"])
