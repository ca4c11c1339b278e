"""What happens when ... (issue 9): every bad or unusual input ends in one clear line and a non-zero exit, or in a
valid take with a notice; nothing the tool did not make is overwritten; nothing is left half-written.

Each test is a row of the README's table "What happens when ...". Real engine subprocesses, inputs made here
(:mod:`crafted_inputs`); a full disk is a file-size limit (``RLIMIT_FSIZE``: writes fail with EFBIG, as they fail with
ENOSPC on a full disk, through the same code).
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest
from crafted_inputs import (
    add_zero_member,
    npy_bytes,
    patch_zip_member,
    portrait_bgr,
    set_mp4_frame_durations,
    set_mp4_rotation,
    take_members,
    write_archive,
    write_clip,
)

from engine.contract.frames import head_rotation_to_ypr
from engine.contract.take_io import load_take

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # real engine subprocesses
GOLDEN = REPO / "tests" / "data" / "golden_take.npz"
LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from engine.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    """The output ledger of this test (the engine subprocesses inherit it)."""
    monkeypatch.setenv("FACEMOCAP_STATE_DIR", str(tmp_path / "state"))


def engine(*args, limit_bytes: int | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "engine"] if limit_bytes is None else [sys.executable, "-c", LIMITED, str(limit_bytes)]
    return subprocess.run([*cmd, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def one_line_failure(run: subprocess.CompletedProcess, *needles: str) -> str:
    """The run failed with exit 1 and one 'error:' line naming the needles, and no traceback."""
    assert run.returncode == 1, (run.returncode, run.stderr[-3000:])
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.startswith(("error:", "track: error:"))]
    assert len(lines) == 1, run.stderr[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def jsonl_events(run: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clips") / "clip.mp4", 24)


@pytest.fixture(scope="module")
def take(tmp_path_factory, clip) -> Path:
    out = tmp_path_factory.mktemp("takes") / "take.npz"
    run = engine("track", clip, "-o", out, "--progress", "none")
    assert run.returncode == 0, run.stderr
    return out


class TestNothingIsOverwritten:
    def test_export_and_import_csv_leave_an_artists_file_alone(self, tmp_path, take):
        blend = tmp_path / "scene.csv"
        blend.write_bytes(b"BLENDER-v300 an artist's file")
        one_line_failure(engine("export-csv", take, blend), "not written by this tool", "--overwrite")
        assert blend.read_bytes() == b"BLENDER-v300 an artist's file"
        assert engine("export-csv", take, blend, "--overwrite").returncode == 0
        assert engine("export-csv", take, blend).returncode == 0  # now the tool's own file: re-export replaces it
        other = tmp_path / "other.npz"
        np.savez(other, vertices=np.arange(3))
        one_line_failure(engine("import-csv", blend, other), "not written by this tool")
        assert np.load(other)["vertices"].tolist() == [0, 1, 2]
        imported = engine("import-csv", blend, tmp_path / "new.npz")
        assert imported.returncode == 0  # and says what a take of FaceWarehouse's channels does not keep of ARKit's
        assert "mouthClose, mouthPressLeft, mouthPressRight, tongueOut are not kept" in imported.stderr
        doubled = tmp_path / "doubled.csv"  # rows at twice their timecodes' rate without sub-frames: pairs of a time
        lines = blend.read_text().splitlines()
        doubled.write_text("\n".join([lines[0]] + [row for row in lines[1:] for _ in (0, 1)]) + "\n")
        run = engine("import-csv", doubled, tmp_path / "doubled.npz")
        assert run.returncode == 0 and "row(s) with the time of the row before dropped" in run.stderr, run.stderr
        assert load_take(tmp_path / "doubled.npz").num_frames == load_take(tmp_path / "new.npz").num_frames
        assert engine("import-csv", blend, tmp_path / "new.npz").returncode == 0  # a take: re-import replaces it

    def test_batch_clips_sharing_a_name_get_their_own_takes(self, tmp_path, clip):
        src = tmp_path / "in"
        src.mkdir()
        (src / "a.mp4").write_bytes(clip.read_bytes())
        cv2.imwrite(str(src / "a.png"), portrait_bgr())
        from PIL import Image

        rgb = portrait_bgr()[:, :, ::-1]
        Image.fromarray(rgb).save(src / "still_gif.png", format="GIF")  # a GIF under a .png name (web download)
        frames = [Image.fromarray(np.roll(rgb, 3 * i, axis=1)) for i in range(4)]
        frames[0].save(src / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
        (src / "notes.txt").write_text("not a clip")
        run = engine("batch", src, "-o", tmp_path / "out", "--progress", "none")
        assert run.returncode == 0, run.stderr
        names = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
        assert names == ["a_mp4.npz", "a_png.npz", "moving.npz", "still_gif.npz"], names
        assert load_take(tmp_path / "out" / "a_mp4.npz").num_frames == 24
        assert load_take(tmp_path / "out" / "a_png.npz").num_frames == 1
        assert load_take(tmp_path / "out" / "moving.npz").num_frames == 4
        assert "skipped notes.txt" in run.stderr and "a_mp4.npz" in run.stderr

    def test_contact_sheet_leaves_an_artists_file_alone_and_checks_first(self, tmp_path):
        art = tmp_path / "artwork.png"
        art.write_bytes(b"an artist's picture")
        one_line_failure(engine("contact-sheet", art, timeout=60), "not written by this tool", "--overwrite")
        assert art.read_bytes() == b"an artist's picture"
        one_line_failure(engine("contact-sheet", tmp_path / "sheet.txt", timeout=60), "must end in .png or .jpg")
        one_line_failure(engine("contact-sheet", tmp_path / "missing" / "s.png", timeout=60), "does not exist")
        assert engine("contact-sheet", art, "--overwrite").returncode == 0
        assert cv2.imread(str(art)) is not None  # replaced, whole, on request
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left

    def test_preview_never_replaces_the_clip_it_is_drawn_over(self, tmp_path, clip):
        source = tmp_path / "source.mp4"
        source.write_bytes(clip.read_bytes())
        run = engine("track", source, "-o", tmp_path / "t.npz", "--preview", source, "--overwrite")
        one_line_failure(run, "--preview source.mp4 would replace the input")
        assert source.read_bytes() == clip.read_bytes()
        assert not (tmp_path / "t.npz").exists()

    @pytest.mark.parametrize("through", ["symlinked_input", "symlinked_preview", "folder_frame", "glob_frame"])
    def test_preview_never_replaces_a_photo_or_frame_it_is_drawn_over(self, tmp_path, through):
        shots = tmp_path / "shots"
        shots.mkdir()
        photo = shots / "frame_1.png"
        cv2.imwrite(str(photo), portrait_bgr())
        original = photo.read_bytes()
        inputs = {"symlinked_input": tmp_path / "plate.png", "symlinked_preview": photo, "folder_frame": shots}
        preview = {"symlinked_input": photo, "symlinked_preview": tmp_path / "plate.png"}.get(through)
        if through in ("symlinked_input", "symlinked_preview"):
            (tmp_path / "plate.png").symlink_to(photo)
        source = inputs.get(through, str(shots / "frame_*.png"))
        preview = preview or shots / "frame_2.png"  # a new frame of the folder / one the glob would match
        run = engine("track", source, "-o", tmp_path / "t.npz", "--preview", preview, "--overwrite")
        one_line_failure(run, "would replace the input it is made from, or be read as one of its frames")
        assert photo.read_bytes() == original and not (shots / "frame_2.png").exists()

    def test_stale_temporaries_of_a_killed_run_are_cleaned(self, tmp_path, take):
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        stale = tmp_path / f".out.{dead.pid}.abcd1234.tmp.csv"
        stale.write_bytes(bytes(1000))
        assert engine("export-csv", take, tmp_path / "out.csv").returncode == 0
        assert not stale.exists() and (tmp_path / "out.csv").is_file()


class TestOutputsCheckedFirst:
    def test_exception_a_take_name_with_no_room_for_its_unfinished_run_is_refused_first(self, tmp_path, clip):
        """A legal 254-character name: the take's '.partial' and '.lock' beside it went past 255 bytes, and the
        track failed after starting ('cannot make the lock file ...: File name too long').
        """
        for length in (250, 240):  # 240: its temporary file (".<stem>.<pid>.<random>.tmp.npz") was too long at the end
            out = tmp_path / ("x" * length + ".npz")
            one_line_failure(engine("track", clip, "-o", out), "take name too long", "at most 233 bytes")
        assert not list(tmp_path.iterdir())
        out = tmp_path / ("x" * 229 + ".npz")  # the longest allowed: it is written
        assert engine("track", clip, "-o", out, "--end", "0.2", "--progress", "none").returncode == 0 and out.is_file()

    @pytest.mark.parametrize(
        "args, needle",
        [
            (("-o", "{tmp}/missing/t.npz"), "does not exist"),
            (("-o", "/proc/t.npz"), "cannot write"),
            (("-o", "{tmp}/t.npz", "--preview", "{tmp}/p.gif"), "must end in"),
            (("-o", "{tmp}/t.npz", "--preview", "{tmp}/missing/p.mp4"), "does not exist"),
        ],
    )
    def test_exception_bad_output_before_any_frame(self, tmp_path, clip, args, needle):
        args = [a.format(tmp=tmp_path) for a in args]
        run = engine("track", clip, *args, "--progress", "jsonl")
        events = jsonl_events(run)
        assert run.returncode == 1 and events[-1].keys() == {"error"} and needle in events[-1]["error"]
        assert not any("frame" in e for e in events)  # reported before tracking started


class TestNothingLeftBehind:
    @pytest.mark.parametrize(
        "args",
        [
            ("{tmp}/missing.mp4",),
            ("{clip}", "--start", "99"),
            ("{tmp}/notes.mp4",),
            ("{tmp}/empty_folder",),
            ("{clip}", "--neutral", "99"),
        ],
    )
    def test_exception_a_failed_start_leaves_no_partial_take(self, tmp_path, clip, args):
        (tmp_path / "notes.mp4").write_text("not a video")
        (tmp_path / "empty_folder").mkdir()
        out = tmp_path / "t.npz"
        one_line_failure(engine("track", *[a.format(tmp=tmp_path, clip=clip) for a in args], "-o", out))
        assert not (tmp_path / "t.npz.partial").exists()  # nothing to resume: `info` offers no resume
        one_line_failure(engine("info", out), "not found")


class TestCommandLineDetails:
    def test_exception_info_of_a_folder_and_track_of_two_inputs(self, tmp_path, clip):
        one_line_failure(engine("info", tmp_path), "is a folder, not a take")
        one_line_failure(engine("track", clip, "--sample", "-o", tmp_path / "t.npz"), "not both")

    def test_feature_info_into_a_reader_that_stops_early(self, take):
        proc = subprocess.Popen([sys.executable, "-m", "engine", "info", str(take)], cwd=REPO, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        proc.stdout.close()  # as `| head -0` would
        assert proc.wait(timeout=60) == 0 and proc.stderr.read() == ""

    def test_feature_info_tells_of_an_unfinished_run_beside_a_take(self, tmp_path, take):
        out = tmp_path / "t.npz"
        out.write_bytes(take.read_bytes())
        (tmp_path / "t.npz.partial").mkdir()
        run = engine("info", out)
        assert run.returncode == 0 and "unfinished run is beside it, t.npz.partial" in run.stdout, run.stdout

    def test_exception_a_track_the_system_refuses_at_its_start_leaves_no_unfinished_run(self, tmp_path):
        """An input name too long for the file system: one line, and no '.partial' for `info` to offer a resume
        that fails the same way.
        """
        run = engine("track", tmp_path / ("a" * 300 + ".mp4"), "-o", tmp_path / "x.npz", "--progress", "none")
        one_line_failure(run, "File name too long")
        assert not list(tmp_path.iterdir())

    def test_exception_a_batch_never_passes_off_another_part_of_a_clip_as_its_take(self, tmp_path, clip):
        """A take of seconds 0.2-0.6 (the panel's Range, or batch --start/--end) was kept by --resume as the whole
        clip's, and replaced without --overwrite, the record's span erased.
        """
        shots = tmp_path / "shots"
        shots.mkdir()
        (shots / "shot.mp4").write_bytes(clip.read_bytes())
        takes = tmp_path / "takes"
        part = ("--start", "0.2", "--end", "0.6")
        assert engine("batch", shots, "-o", takes, *part, "--progress", "none").returncode == 0
        from engine.contract.takes_record import TakesRecord

        assert TakesRecord.read(takes).take_span("shot.npz") == [0.2, 0.6]
        for args in ((), ("--resume",)):
            one_line_failure(engine("batch", shots, "-o", takes, *args, "--progress", "none"), "another part of")
        run = engine("batch", shots, "-o", takes, *part, "--resume", "--progress", "none")
        assert run.returncode == 0 and "its take shot.npz is there" in run.stderr, run.stderr[-2000:]

    def test_exception_a_folder_holding_only_a_folder_of_videos_names_it(self, tmp_path, clip):
        (tmp_path / "shots" / "day1").mkdir(parents=True)
        (tmp_path / "shots" / "day1" / "a.mp4").write_bytes(clip.read_bytes())
        (tmp_path / "shots" / "docs").mkdir()
        one_line_failure(engine("batch", tmp_path / "shots", "-o", tmp_path / "out"), "day1: folders of videos")

    def test_feature_an_interrupted_batch_resumes_without_tracking_its_takes_again(self, tmp_path, clip):
        """A 100-clip batch stopped at clip 90 started again from clip 1 (batch had no --resume)."""
        shots = tmp_path / "shots"
        shots.mkdir()
        for name in ("a.mp4", "b.mp4"):
            (shots / name).write_bytes(clip.read_bytes())
        takes = tmp_path / "takes"
        assert engine("batch", shots, "-o", takes, "--progress", "none").returncode == 0
        kept = (takes / "a.npz").stat().st_mtime_ns
        (takes / "b.npz").unlink()  # where the interrupted run had not got to
        run = engine("batch", shots, "-o", takes, "--resume", "--progress", "none")
        assert run.returncode == 0 and "a.mp4: its take a.npz is there (--resume)" in run.stderr, run.stderr[-2000:]
        assert (takes / "a.npz").stat().st_mtime_ns == kept and (takes / "b.npz").is_file()

    def test_exception_info_on_a_live_link_csv_says_how_to_make_it_a_take(self, tmp_path):
        csv = tmp_path / "face.csv"
        csv.write_text("Timecode,BlendShapeCount\n00:00:00:00.000,61\n")
        one_line_failure(engine("info", csv), "face.csv: not a take file", "becomes a take with `import-csv`")

    def test_feature_batch_tracks_a_clip_named_twice_once(self, tmp_path, clip):
        run = engine("batch", clip, clip, "-o", tmp_path / "out", "--progress", "none")
        assert run.returncode == 0 and "1/1 clips tracked" in run.stderr, run.stderr[-2000:]
        assert "notice: clip.mp4: " in run.stderr  # a batch's notices name their clip (all looked alike)
        assert [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")] == ["clip.npz"]

    def test_exception_a_folder_of_videos_inside_a_batch_folder_is_named_not_dropped(self, tmp_path, clip):
        """shoot/day1/*.mp4 beside shoot/ref.png: day1's videos were dropped without a word (and a folder of videos
        with a poster image in it was tracked as a one-frame sequence).
        """
        shoot = tmp_path / "shoot"
        for folder in (shoot / "day1", shoot / "day2"):
            folder.mkdir(parents=True)
        (shoot / "day1" / "take1.mp4").write_bytes(clip.read_bytes())
        (shoot / "day2" / "take3.mp4").write_bytes(clip.read_bytes())
        cv2.imwrite(str(shoot / "day2" / "poster.png"), portrait_bgr())
        cv2.imwrite(str(shoot / "ref.png"), portrait_bgr())
        run = engine("batch", shoot, "-o", tmp_path / "out", "--progress", "none")
        assert run.returncode == 0 and "1/1 clips tracked" in run.stderr, run.stderr[-2000:]
        for day in ("day1", "day2"):
            assert f"skipped {day}: a folder of videos" in run.stderr

    def test_exception_a_second_batch_never_replaces_another_clips_take_of_one_name(self, tmp_path, clip):
        """Batch day1/ -o T, then batch day2/ -o T: day1's shot.npz was replaced by day2's, and the record still
        said day1.
        """
        for day in ("day1", "day2"):
            (tmp_path / day).mkdir()
            (tmp_path / day / "shot.mp4").write_bytes(clip.read_bytes())
        takes = tmp_path / "T"
        assert engine("batch", tmp_path / "day1", "-o", takes, "--progress", "none").returncode == 0
        first = (takes / "shot.npz").read_bytes()
        run = engine("batch", tmp_path / "day2", "-o", takes, "--progress", "none")
        one_line_failure(run, "shot.npz is the take of", "day1/shot.mp4, not of", "--overwrite")
        assert (takes / "shot.npz").read_bytes() == first
        assert engine("batch", tmp_path / "day1", "-o", takes, "--progress", "none").returncode == 0  # its own
        run = engine("batch", tmp_path / "day2", "-o", takes, "--overwrite", "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]


class TestFullDisk:
    def test_track_export_batch_and_preview_fail_in_one_line(self, tmp_path, clip, take):
        run = engine("track", clip, "-o", tmp_path / "t.npz", "--progress", "jsonl", limit_bytes=30_000)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
        error = jsonl_events(run)[-1]["error"]
        assert "File too large" in error
        # the frames detected before the disk filled are kept for --resume only if the message says so
        assert (tmp_path / "t.npz.partial").exists() == ("'track --resume -o t.npz' continues" in error), error
        one_line_failure(engine("export-csv", take, tmp_path / "t.csv", limit_bytes=2_000), "File too large")
        run = engine("batch", clip.parent, "-o", tmp_path / "b", "--progress", "jsonl", limit_bytes=30_000)
        assert run.returncode == 1 and "Traceback" not in run.stderr and "error" in jsonl_events(run)[-1]
        preview = tmp_path / "p.mp4"
        big = write_clip(tmp_path / "big.mp4", 6, size=512)  # take ~50 KB, preview ~150 KB
        run = engine("track", big, "-o", tmp_path / "t2.npz", "--preview", preview, limit_bytes=100_000)
        one_line_failure(run, "preview")
        assert not preview.exists()
        leftovers = [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
        assert leftovers == []


class TestOrientation:
    def test_feature_rotation_metadata_is_honoured(self, tmp_path):
        path = write_clip(tmp_path / "phone.mp4", 12, turns=3)  # stored sideways, as a phone records portrait
        set_mp4_rotation(path, 90)  # ... and tagged: show it turned 90 degrees clockwise
        out = tmp_path / "phone.npz"
        assert engine("track", path, "-o", out, "--progress", "none").returncode == 0
        roll = np.degrees(head_rotation_to_ypr(load_take(out).head_rotation)[:, 2])
        assert np.abs(roll).max() < 10.0, roll  # upright (ignoring the tag gave ~88 degrees)

    @pytest.mark.parametrize("suffix", [".jpg", ".webp"])
    def test_feature_exif_orientation_is_honoured(self, tmp_path, suffix):
        from PIL import Image

        sideways = np.ascontiguousarray(np.rot90(portrait_bgr()[:, :, ::-1], 1))  # stored turned counter-clockwise
        exif = Image.Exif()
        exif[0x0112] = 6  # Orientation: rotate 90 CW to display
        Image.fromarray(sideways).save(tmp_path / f"photo{suffix}", exif=exif, quality=95)
        out = tmp_path / "photo.npz"
        assert engine("track", tmp_path / f"photo{suffix}", "-o", out, "--progress", "none").returncode == 0
        take = load_take(out)
        assert abs(np.degrees(head_rotation_to_ypr(take.head_rotation)[0, 2])) < 10.0  # WebP's tag read -88
        assert not any("turn" in n for n in take.meta.get("notices", []))  # tracked upright, not found turned

    def test_feature_upside_down_face_is_tracked_upside_down(self, tmp_path):
        path = write_clip(tmp_path / "upside_down.mp4", 12, turns=2)
        out = tmp_path / "upside_down.npz"
        assert engine("track", path, "-o", out, "--progress", "none").returncode == 0
        take = load_take(out)
        assert (take.confidence > 0).all()
        eyes_y = take.landmarks[:, [33, 263], 1].mean(axis=1)
        mouth_y = take.landmarks[:, [13, 14], 1].mean(axis=1)
        assert (eyes_y > mouth_y + 20).all()  # eyes below the mouth in the image: the face as it is
        roll = np.degrees(head_rotation_to_ypr(take.head_rotation)[:, 2])
        assert (np.abs(np.abs(roll) - 180) < 15).all(), roll
        # the fitted mesh lies on the detector's landmarks (it was an upright mesh on an upside-down face)
        assert np.median(np.linalg.norm(take.model_landmarks - take.landmarks[:, :468], axis=2)) < 3.0


class TestVariableFrameRate:
    def test_feature_a_phone_clip_whose_rate_drops_keeps_every_frame_in_parts_and_with_a_range(self, tmp_path):
        """30 fps, 10 fps for 5 s in low light, 30 fps again: read in two parts (the default) the seam fell where
        the seek overshot (4 frames lost); with --start 3.5 13 frames were lost; and an intact clip got a
        "truncated or damaged file" notice. Every frame now, at its container time, and no such notice.
        """
        from engine.video_source import open_source

        path = write_clip(tmp_path / "phone.mp4", 150)
        set_mp4_frame_durations(path, [(50, 1 / 30), (50, 0.1), (50, 1 / 30)])
        with open_source(path) as src:
            every = np.array([f.source_time for f in src])
        for window in ((), ("--start", "3.5", "--end", "7"), ("--end", "7")):
            out = tmp_path / "t.npz"
            run = engine("track", path, "-o", out, "--overwrite", "--progress", "none", *window)
            assert run.returncode == 0 and "truncated" not in run.stderr, run.stderr[-2000:]
            take = load_take(out)
            if not window:  # the rate most frames have (the container's average is 18 fps): a scene set from it
                assert take.fps == 30.0  # plays them at their pace
                slow_first = write_clip(tmp_path / "slow_first.mp4", 210)  # in pieces too: all frames, not the first
                set_mp4_frame_durations(slow_first, [(70, 0.1), (140, 1 / 30)])  # piece's (10 fps with its margin)
                again = engine("track", slow_first, "-o", out, "--overwrite", "--progress", "none", "--chunk-frames",
                               "40")  # fmt: skip
                assert again.returncode == 0 and load_take(out).fps == 30.0
            start = float(window[1]) if window[:1] == ("--start",) else 0.0
            end = float(window[-1]) if window else np.inf
            want = every[(every >= start - 1e-6) & (every < end - 1e-6)]
            assert take.meta["source_start_s"] == pytest.approx(want[0], abs=1e-6)
            np.testing.assert_allclose(take.time + take.meta["source_start_s"], want, atol=1e-6)


class TestPhotosAsPeopleHaveThem:
    """Photo files as they arrive: names from another system, macOS's ._ files, copies cut short, globs over folders."""

    def test_feature_a_name_that_is_not_utf8_is_read_and_a_video_one_refused_in_words(self, tmp_path):
        name = os.fsdecode(b"caf\xe9.png")  # a Latin-1 name from a Windows zip: OpenCV crashed on it (exit 139)
        cv2.imwrite(str(tmp_path / "x.png"), portrait_bgr())
        (tmp_path / "x.png").rename(tmp_path / name)
        run = engine("track", tmp_path / name, "-o", tmp_path / "t.npz", "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]
        assert (load_take(tmp_path / "t.npz").confidence > 0).all()
        video = tmp_path / os.fsdecode(b"clip\xe9.mp4")
        write_clip(tmp_path / "clip.mp4", 6).rename(video)
        one_line_failure(engine("track", video, "-o", tmp_path / "v.npz"), "file name is not valid UTF-8")

    def test_a_batch_of_one_sequences_frames_says_each_is_a_still_and_empty_frames_are_one_line(self, tmp_path):
        """`batch plate/` made a take per frame without a word (2,000 takes of a 2,000-frame plate); a render node's
        0-byte frame was a traceback (and batch stopped there).
        """
        plate = tmp_path / "plate"
        plate.mkdir()
        small = cv2.resize(portrait_bgr(), (192, 192))
        for n in (1001, 1002):
            cv2.imwrite(str(plate / f"shot.{n}.png"), small)
        run = engine("batch", plate, "-o", tmp_path / "takes", "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]
        assert "the 2 images of" in run.stderr and "numbered as one sequence (shot.####.png)" in run.stderr
        (plate / "shot.1003.png").write_bytes(b"")
        one_line_failure(engine("track", plate, "-o", tmp_path / "t.npz"), "shot.1003.png is empty (0 bytes)")

    def test_feature_hidden_files_in_a_sequence_folder_are_not_frames(self, tmp_path):
        shots = tmp_path / "shots"
        shots.mkdir()
        for i in (1, 2):
            cv2.imwrite(str(shots / f"frame_{i}.png"), portrait_bgr())
            (shots / f"._frame_{i}.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")  # macOS's resource forks
        run = engine("track", shots, "-o", tmp_path / "t.npz", "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]
        assert load_take(tmp_path / "t.npz").num_frames == 2

    def test_feature_a_jpeg_cut_short_is_named_in_a_notice(self, tmp_path):
        ok, data = cv2.imencode(".jpg", portrait_bgr())
        (tmp_path / "photo.jpg").write_bytes(data.tobytes()[: len(data) // 2])  # a copy that did not finish
        run = engine("track", tmp_path / "photo.jpg", "-o", tmp_path / "t.npz", "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]
        notices = load_take(tmp_path / "t.npz").meta["notices"]
        assert any("cut short" in n and "photo.jpg" in n for n in notices), notices
        whole = tmp_path / "whole.jpg"  # a phone's Motion Photo: a whole JPEG, then its video
        whole.write_bytes(data.tobytes() + b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
        assert engine("track", whole, "-o", tmp_path / "w.npz", "--progress", "none").returncode == 0
        assert not any("cut short" in n for n in load_take(tmp_path / "w.npz").meta.get("notices", []))

    def test_exception_a_heic_photo_and_a_glob_in_a_bracketed_folder_say_what_to_do(self, tmp_path):
        heic = tmp_path / "IMG_0001.HEIC"
        heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))  # an iPhone photo's start
        one_line_failure(engine("track", heic, "-o", tmp_path / "t.npz"), "HEIC/HEIF photo", "convert it to JPEG")
        shoot = tmp_path / "Shoot [day 1]"
        shoot.mkdir()
        cv2.imwrite(str(shoot / "frame_1.png"), portrait_bgr())
        run = engine("track", str(shoot / "*.png"), "-o", tmp_path / "g.npz")
        one_line_failure(run, "no images match", "write it [[]")

    def test_exception_a_frame_of_another_size_stops_the_sequence_before_any_work(self, tmp_path):
        shots = tmp_path / "shots"
        shots.mkdir()
        for i in range(1, 9):
            size = 200 if i == 7 else 256  # frame 7 of another size: it failed at frame 7, after the work before it
            cv2.imwrite(str(shots / f"frame_{i}.png"), cv2.resize(portrait_bgr(), (size, size)))
        run = engine("track", shots, "-o", tmp_path / "t.npz", "--progress", "none")
        one_line_failure(run, "frames must all be 256x256", "frame_7.png is 200x200")
        assert not (tmp_path / "t.npz.partial").exists()  # refused at the start: nothing tracked, nothing to resume
        run = engine("track", shots, "-o", tmp_path / "t.npz", "--progress", "jsonl")
        assert '"frame"' not in run.stdout and "frame_7.png is 200x200" in jsonl_events(run)[-1]["error"]

    def test_feature_a_glob_over_folders_keeps_each_folders_order(self, tmp_path):
        from engine.video_source import open_source

        for reel in ("reel1", "reel2"):
            (tmp_path / reel).mkdir()
            for i in (1, 2, 10):
                cv2.imwrite(str(tmp_path / reel / f"frame_{i}.png"), np.full((8, 8, 3), i, np.uint8))
        with open_source(str(tmp_path / "reel*" / "frame_*.png")) as source:
            files = [f.relative_to(tmp_path).as_posix() for f in source._files]
        assert files == [f"{r}/frame_{i}.png" for r in ("reel1", "reel2") for i in (1, 2, 10)]


class TestUntrustedTakes:
    @pytest.fixture(scope="class")
    def crafted(self, tmp_path_factory) -> dict[str, Path]:
        d = tmp_path_factory.mktemp("crafted")
        members = take_members(GOLDEN)
        time = np.load(GOLDEN)["time"]
        out = {}
        lying = dict(members)
        lying["landmarks.npy"] = npy_bytes(np.zeros((4, 478, 2), np.float32), declared_shape=(10**9, 478, 2))
        out["huge_declared"] = write_archive(d / "huge_declared.npz", lying)
        out["method"] = write_archive(d / "method.npz", members)
        patch_zip_member(out["method"], "expression.npy", method=99)
        out["encrypted"] = write_archive(d / "encrypted.npz", members)
        patch_zip_member(out["encrypted"], "identity.npy", flags_or=0x1)
        pickled = dict(members)
        pickled["meta.npy"] = npy_bytes(np.array([{"x": 1}], dtype=object)) if False else members["meta.npy"]
        out["bomb"] = write_archive(d / "bomb.npz", members)
        add_zero_member(out["bomb"], "junk.npy", 1.0)  # inflates to 1 GiB
        nan_identity = dict(members)
        nan_identity["identity.npy"] = npy_bytes(np.full(1460, np.nan, np.float32))
        out["nan_identity"] = write_archive(d / "nan_identity.npz", nan_identity)
        unbalanced = dict(members)  # a header dict whose brackets do not close (found by the take reader's fuzzer)
        header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (5, 46}".ljust(118) + b"\n"
        unbalanced["expression.npy"] = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(920)
        out["unbalanced_header"] = write_archive(d / "unbalanced.npz", unbalanced)
        zero = {k: v for k, v in members.items()}
        zero["time.npy"] = npy_bytes(time[:0])
        out["zero_frames"] = write_archive(d / "zero.npz", zero)
        return out

    @pytest.mark.parametrize(
        "name, needle",
        [
            ("huge_declared", "declares"),
            ("method", "compression method 99"),
            ("encrypted", "encrypted"),
            ("zero_frames", "'time'"),
            ("unbalanced_header", "not a readable .npy array"),
        ],
    )
    def test_exception_info_refuses_in_one_line(self, crafted, name, needle):
        one_line_failure(engine("info", crafted[name]), needle)

    def test_bounded_a_zip_bomb_member_is_never_read(self, crafted):
        code = textwrap.dedent(
            f"""
            import sys
            from engine.cli import main
            code = main(["info", {str(crafted["bomb"])!r}])
            # VmHWM, this process's own peak (ru_maxrss would keep the forking pytest process's size across exec)
            hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0].split()[1]
            print("MAXRSS_KB", hwm, file=sys.stderr)
            sys.exit(code)
            """
        )
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        assert int(run.stderr.split("MAXRSS_KB")[1].split()[0]) < 400_000  # a 1 GiB member would need 1 GB

    @pytest.mark.parametrize("name", ["nan_identity", "encrypted"])
    def test_exception_broken_identity_take(self, tmp_path, clip, crafted, name):
        one_line_failure(engine("track", clip, "-o", tmp_path / "t.npz", "--identity", crafted[name]), "--identity")

    def test_exception_csv_with_a_nan_cell(self, tmp_path, take):
        csv = tmp_path / "t.csv"
        assert engine("export-csv", take, csv).returncode == 0
        lines = csv.read_text().splitlines()
        cells = lines[3].split(",")
        cells[5] = "nan"
        lines[3] = ",".join(cells)
        csv.write_text("\n".join(lines) + "\n")
        one_line_failure(engine("import-csv", csv, tmp_path / "t.npz"), "line 4", "not finite")

    def test_bounded_a_csv_take_has_no_landmark_bytes(self, tmp_path, take):
        csv = tmp_path / "t.csv"
        assert engine("export-csv", take, csv).returncode == 0
        assert engine("import-csv", csv, tmp_path / "back.npz").returncode == 0
        back = load_take(tmp_path / "back.npz")
        assert back.landmarks.shape == (24, 0, 2)
        assert (tmp_path / "back.npz").stat().st_size < 24 * 1500  # ~0.6 KB per frame, not 8 KB


class TestInputsReadByContent:
    def test_feature_truncated_video_gives_a_take_and_a_notice(self, tmp_path):
        path = tmp_path / "cut.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (256, 256))
        for _ in range(60):
            writer.write(portrait_bgr())
        writer.release()
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        out = tmp_path / "cut.npz"
        run = engine("track", path, "-o", out, "--progress", "none")
        assert run.returncode == 0, run.stderr[-2000:]
        frames = load_take(out).num_frames
        assert 0 < frames < 60 and "notice:" in run.stderr and "ended after" in run.stderr

    def test_feature_a_video_damaged_in_the_middle_says_so_in_one_notice_not_thousands_of_lines(self, tmp_path):
        """FFmpeg inside OpenCV logged every damaged packet: 12,000 to 24,000 lines for one clip. The read ended at
        the damage (the rest of the clip lost, "the video ended after ..."; read in parts, a silent hole): it goes
        on past it, and the notice says where the take skips.
        """
        from crafted_inputs import _boxes

        path = write_clip(tmp_path / "damaged.mp4", 150)
        data = bytearray(path.read_bytes())
        _, at, header, size = next(box for box in _boxes(data, 0, len(data)) if box[0] == b"mdat")
        a, b = at + size * 2 // 5, at + size * 3 // 5
        data[a:b] = bytes(b - a)  # zeros across the middle fifth of the frames' data
        path.write_bytes(bytes(data))
        for parts in ("1", "2"):
            run = engine("track", path, "-o", tmp_path / "t.npz", "--parts", parts, "--overwrite", "--progress", "none")
            assert run.returncode == 0 and "ended after" not in run.stderr, run.stderr[-2000:]
            assert "could not be read at 2.0-" in run.stderr and "the take skips that time" in run.stderr  # from the
            # last frame before the damage, read in parts too (a part ending in it, the next starting in it)
            assert len(run.stderr.splitlines()) < 10, run.stderr[:2000]
            take = load_take(tmp_path / "t.npz")
            assert take.time[-1] > 4.8 and take.num_frames > 75  # read to the end (5 s): frames after the damage

    def test_exception_an_mp4_cut_short_before_its_index(self, tmp_path, clip):
        data = clip.read_bytes()
        assert data.find(b"moov") > len(data) // 2  # the writer puts its index at the end, as phones do
        cut = tmp_path / "cut.mp4"
        cut.write_bytes(data[: len(data) // 2])
        one_line_failure(engine("track", cut, "-o", tmp_path / "t.npz"), "cut short before its index")

    @pytest.mark.parametrize("window", [("--start", "0.75"), ("--start", "0.7", "--end", "0.75")])
    def test_feature_a_short_range_of_an_intact_clip_is_not_called_truncated(self, tmp_path, clip, window):
        run = engine("track", clip, "-o", tmp_path / "t.npz", *window, "--progress", "none")  # 24 frames at 30 fps
        assert run.returncode == 0 and "ended after" not in run.stderr, run.stderr[-2000:]
        assert load_take(tmp_path / "t.npz").num_frames in (1, 2)


class TestPartialTakes:
    def test_feature_sigkill_keeps_a_partial_take_that_resumes(self, tmp_path):
        path = write_clip(tmp_path / "long.mp4", 240)
        out = tmp_path / "long.npz"
        args = [sys.executable, "-m", "engine", "track", str(path), "-o", str(out), "--progress", "jsonl"]
        proc = subprocess.Popen([*args, "--chunk-frames", "40"], cwd=REPO, stdout=subprocess.PIPE, text=True)
        for line in proc.stdout:
            if line.startswith("{") and json.loads(line).get("frame", 0) >= 150:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL and not out.exists()
        info = engine("info", out)  # the take is not written: summarised, and exit 1 (a script does not bake it)
        assert info.returncode == 1 and info.stdout.startswith("PARTIAL take"), info.stdout + info.stderr
        assert "long.npz is not written yet" in info.stderr
        assert engine("info", tmp_path / "long.npz.partial").returncode == 0  # asked about the unfinished run itself
        other = engine("track", "-o", out, "--progress", "none", "--resume")  # not the options it was started with
        assert other.returncode == 1 and "resume it with the options it was started with" in other.stderr
        resumed = engine("track", "-o", out, "--progress", "none", "--chunk-frames", "40", "--resume")  # its input
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        take = load_take(out)
        assert take.num_frames == 240 and (take.confidence > 0).all()
        np.testing.assert_allclose(np.diff(take.time), 1 / 30, atol=2e-3)
        assert not (tmp_path / "long.npz.partial").exists()
        one_line_failure(engine("track", path, "-o", out, "--resume"), "no partial take")

    def test_a_variable_frame_rate_clip_resumes_with_every_frame(self, tmp_path):
        """A resumed read started half an average frame after the last frame kept: on a phone clip whose average
        rate (5.3 fps) is far below its recorded 30 fps, the next two frames were lost.
        """
        path = write_clip(tmp_path / "vfr.mp4", 200)
        set_mp4_frame_durations(path, [(150, 1 / 30), (50, 0.5)])
        out = tmp_path / "vfr.npz"
        args = [sys.executable, "-m", "engine", "track", str(path), "-o", str(out), "--progress", "jsonl"]
        proc = subprocess.Popen([*args, "--parts", "1", "--chunk-frames", "40"], cwd=REPO, stdout=subprocess.PIPE,
                                text=True)  # fmt: skip
        for line in proc.stdout:
            if line.startswith("{") and json.loads(line).get("frame", 0) >= 100:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=60)
        resumed = engine("track", "-o", out, "--parts", "1", "--chunk-frames", "40", "--resume", "--progress", "none")
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert load_take(out).num_frames == 200

    def test_a_clip_longer_than_a_take_holds_stops_where_a_take_is_full(self, tmp_path):
        """A day of head-cam footage (over 1,000,000 frames) was tracked for hours into a take no reader opens: the
        take stops at a take's most and says where the rest starts (a header overstating a short clip's length
        gives the clip's frames).
        """
        path = tmp_path / "day.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (192, 192))
        for _ in range(3):
            writer.write(cv2.resize(portrait_bgr(), (192, 192)))
        writer.release()
        data = bytearray(path.read_bytes())  # the AVI's headers declare 2,000,000 frames, as a long recording's do
        struct.pack_into("<I", data, data.index(b"avih") + 8 + 16, 2_000_000)
        struct.pack_into("<I", data, data.index(b"strh") + 8 + 32, 2_000_000)
        path.write_bytes(bytes(data))
        run = engine("track", path, "-o", tmp_path / "t.npz", "--progress", "none")
        assert run.returncode == 0 and "2,000,000 frames declared, more than one take holds" in run.stderr, run.stderr
        assert "the take stops at 33,333 s: track the rest into another take (track --start 33333)" in run.stderr
        assert load_take(tmp_path / "t.npz").num_frames == 3

    def test_the_actor_of_a_long_clip_is_fitted_on_frames_with_the_face(self, tmp_path):
        """A head-cam clip with the face in a short stretch: the actor's sample windows, spread over the whole clip,
        caught a few frames of it, and the actor was the generic one (weights on the face frames off by up to 1).
        """
        path = tmp_path / "headcam.mp4"
        face = cv2.resize(portrait_bgr(), (192, 192))
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (192, 192))
        for i in range(240):
            writer.write(face if 40 <= i < 100 else np.zeros_like(face))
        writer.release()
        takes, runs = {}, {}
        for pieces in ("80", "1000"):
            out = tmp_path / f"t{pieces}.npz"
            runs[pieces] = engine("track", path, "-o", out, "--chunk-frames", pieces, "--identity-frames", "64",
                                  "--progress", "none")  # fmt: skip
            assert runs[pieces].returncode == 0, runs[pieces].stderr[-2000:]
            takes[pieces] = load_take(out).expression[40:100]
        assert "fewer than 30 frames" not in runs["80"].stderr
        assert np.abs(takes["80"] - takes["1000"]).max() < 0.2

    def test_identity_and_neutral_hold_on_a_clip_longer_than_a_piece(self, tmp_path):
        """With --identity, --neutral was ignored on any clip longer than a piece (--chunk-frames, 30 s by default):
        the pieces were fitted with the identity's own rest, and the take read as if no neutral had been given.
        """
        path = write_clip(tmp_path / "smile.mp4", 90)
        first = tmp_path / "first.npz"
        assert engine("track", path, "-o", first, "--progress", "none").returncode == 0
        takes = {}
        for pieces in ("30", "1000"):
            out = tmp_path / f"t{pieces}.npz"
            run = engine("track", path, "-o", out, "--identity", first, "--neutral", "1.0", "--chunk-frames", pieces,
                         "--progress", "none")  # fmt: skip
            assert run.returncode == 0, run.stderr[-2000:]
            takes[pieces] = load_take(out).expression
        assert np.abs(takes["30"] - takes["1000"]).max() < 0.1  # pieces as one: the neutral's rest in both

    def test_feature_interrupt_keeps_the_partial_take(self, tmp_path):
        path = write_clip(tmp_path / "long.mp4", 240)
        out = tmp_path / "long.npz"
        args = [sys.executable, "-m", "engine", "track", str(path), "-o", str(out), "--progress", "jsonl"]
        proc = subprocess.Popen(
            [*args, "--chunk-frames", "40"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for line in proc.stdout:
            if line.startswith("{") and json.loads(line).get("frame", 0) >= 100:
                proc.send_signal(signal.SIGTERM)  # what the add-on's cancel sends
                break
        rest = proc.stdout.read()
        proc.wait(timeout=60)
        assert proc.returncode == 130
        assert f"continue with 'track --resume -o {out}'" in rest
        assert (tmp_path / "long.npz.partial").is_dir()


def test_feature_memory_is_flat_in_clip_length(tmp_path):
    """A 4x longer clip tracked in chunks peaks within a few MB of the short one (both longer than a chunk and its
    margins; 1 minute vs 1 hour: tests/benchmarks/bench_memory.py).
    """
    code = (
        "import sys\nfrom engine.cli import main\nc = main(sys.argv[1:])\n"
        "print('HWM', [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1], file=sys.stderr)"
    )
    peaks = []
    for frames in (300, 1200):
        clip = write_clip(tmp_path / f"c{frames}.mp4", frames)
        run = subprocess.run(
            [sys.executable, "-c", code, "track", str(clip), "-o", str(tmp_path / f"c{frames}.npz"), "--progress",
             "none", "--chunk-frames", "100", "--identity-frames", "100"],
            cwd=REPO, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr[-2000:]
        peaks.append(int(run.stderr.split("HWM")[1].split()[0]) / 1024)
    assert peaks[1] - peaks[0] < 0.03 * peaks[0] + 5.0, peaks  # MB: 900 more frames held in memory would be ~25 MB
