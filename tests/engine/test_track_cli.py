"""The engine end to end through its command line: real MediaPipe, real subprocesses, project-made inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data
from crafted_inputs import write_clip

from engine.contract.frames import head_rotation_to_ypr
from engine.contract.take_io import load_take
from engine.neutral_frame import NeutralFrame
from engine.track import track
from engine.track_config import TrackConfig
from engine.track_job import track_to_file

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # every test runs the engine in a subprocess with the real MediaPipe


def run_engine(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def portrait_bgr() -> np.ndarray:
    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


@pytest.fixture(scope="module")
def moving_clip(tmp_path_factory) -> Path:
    """A 2 s, 30 fps clip the project makes itself: the public-domain portrait drifting and turning slightly."""
    path = tmp_path_factory.mktemp("clips") / "portrait_motion.mp4"
    img = portrait_bgr()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (512, 512))
    for t in range(60):
        m = cv2.getRotationMatrix2D((256, 200), 4.0 * np.sin(t / 9.0), 1.0)
        m[:, 2] += (6.0 * np.sin(t / 7.0), 3.0 * np.cos(t / 11.0))
        writer.write(cv2.warpAffine(img, m, (512, 512), borderMode=cv2.BORDER_REFLECT))
    writer.release()
    return path


@pytest.fixture(scope="module")
def still_clip(tmp_path_factory) -> Path:
    """A still face with sensor noise: 3 s at 30 fps of the same portrait plus independent pixel noise."""
    path = tmp_path_factory.mktemp("clips") / "portrait_still.mp4"
    img = portrait_bgr().astype(np.int16)
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (512, 512))
    for _ in range(90):
        writer.write(np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8))
    writer.release()
    return path


class TestTrack:
    def test_smoke_sample(self, tmp_path):
        out, preview = tmp_path / "sample.npz", tmp_path / "sample.png"
        run = run_engine("track", "--sample", "-o", out, "--preview", preview, "--progress", "none")
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        assert take.num_frames == 1 and take.confidence[0] == 1.0
        assert cv2.imread(str(preview)).shape == (512, 512, 3)

    @pytest.mark.parametrize("side", [160, 224])
    def test_preview_captions_fit_a_small_frame_and_the_mesh_lets_the_face_show(self, tmp_path, side):
        """At 224 px the captions ran off the frame's right edge ("blink L 0.00 R 0."), at 160 px over the zoomed
        inset; the 1-pixel wireframe, opaque, hid a small face.
        """
        from engine.face_model.model import load_face_model
        from engine.preview import draw_overlay

        out = tmp_path / "sample.npz"
        assert run_engine("track", "--sample", "-o", out, "--progress", "none").returncode == 0
        take = load_take(out)
        edges = load_face_model().edges
        small = np.full((side, side, 3), 90, np.uint8)
        take.landmarks[0] *= side / 512
        take.model_landmarks[0] *= side / 512
        drawn = draw_overlay(small, take, 0, edges)
        white = (drawn > 240).all(axis=2)
        inside = int(0.45 * side)  # the zoomed inset's side, top right; its border is white, its inside is not
        assert white.any() and not white[6:inside, side - inside : side - 6].any()  # no caption over the inset
        assert not white[:, -4:].any()  # nor off the frame's edge
        assert (np.abs(drawn.astype(int) - 90).sum(axis=2)[side // 2 :] < 8).mean() > 0.4  # the frame shows through
        take.landmarks[0] = np.nan  # no face drawn, no inset: the captions alone, within the frame
        white = (draw_overlay(small, take, 0, edges) > 240).all(axis=2)
        assert white.any() and not white[:, -4:].any()

    def test_resume_refuses_a_sequence_whose_frames_changed(self, tmp_path):
        """A track stopped at a damaged frame; the frame was re-rendered and a missing one delivered; --resume
        stitched the new frames onto the old part's (a frame twice, another never read): a folder had no stamp.
        """
        plate = tmp_path / "plate"
        plate.mkdir()
        small = cv2.resize(portrait_bgr(), (256, 256))
        for n in range(1001, 1013):
            cv2.imwrite(str(plate / f"shot.{n}.png"), small)
        damaged = plate / "shot.1009.png"
        damaged.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # a PNG header, then nothing a decoder reads
        out = plate / "shot.npz"  # the take beside its frames: its lock and unfinished run are not frames
        first = run_engine("track", plate, "-o", out, "--fps", "24", "--progress", "none")
        assert first.returncode != 0 and (plate / "shot.npz.partial").is_dir(), first.stderr[-2000:]
        (plate / ".DS_Store").write_bytes(b"Finder")  # the folder's other files do not stop a resume
        untouched = run_engine("track", plate, "-o", out, "--fps", "24", "--resume", "--progress", "none")
        assert "changed since" not in untouched.stderr, untouched.stderr[-2000:]
        cv2.imwrite(str(damaged), small)  # re-rendered
        again = run_engine("track", plate, "-o", out, "--fps", "24", "--resume", "--progress", "none")
        assert again.returncode != 0 and "shot.npz.partial was started (a frame delivered, re-rendered" in again.stderr
        assert "Traceback" not in again.stderr and not out.exists()

    def test_feature_video_take(self, tmp_path, moving_clip):
        out = tmp_path / "take.npz"
        run = run_engine("track", moving_clip, "-o", out, "--progress", "none", "--preview", tmp_path / "p.mp4")
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        assert take.num_frames == 60 and take.fps == pytest.approx(30.0)
        np.testing.assert_allclose(np.diff(take.time), 1 / 30, atol=2e-3)
        assert (take.confidence == 1).all()
        assert take.landmarks.shape == (60, 478, 2) and take.model_landmarks.shape == (60, 468, 2)
        # the fitted model explains the landmarks (median distance in pixels)
        err = np.linalg.norm(take.model_landmarks - take.landmarks[:, :468], axis=2)
        assert np.median(err) < 3.0
        # the in-plane turn (+-4 deg) shows up as head roll
        roll = np.degrees(head_rotation_to_ypr(take.head_rotation)[:, 2])
        assert np.ptp(roll) > 6.0  # the clip turns +-4 deg in the image plane
        cap = cv2.VideoCapture(str(tmp_path / "p.mp4"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 60

    def test_feature_still_face_gives_still_curves(self, tmp_path, still_clip):
        out = tmp_path / "still.npz"
        assert run_engine("track", still_clip, "-o", out, "--progress", "none").returncode == 0
        take = load_take(out)
        frame_to_frame = np.abs(np.diff(take.expression, axis=0))
        assert np.sqrt((frame_to_frame**2).mean()) < 0.005  # RMS jitter: invisible on a rig
        # No flicker anywhere, the filter's settling included. (The detector itself sometimes re-settles its mesh by
        # a pixel on a still face, which moves a lip weight by ~0.15 over a few frames: that is not jitter.)
        assert frame_to_frame.max() < 0.05
        assert np.abs(np.diff(take.eye_blink, axis=0)).max() < 0.02
        assert np.degrees(np.abs(np.diff(take.eye_gaze, axis=0))).max() < 0.5

    def test_feature_face_lost_and_found(self, tmp_path):
        """Frames without a face get confidence 0, NaN landmarks, and bridged (finite, in-range) filtered streams."""
        path = tmp_path / "gap.mp4"
        img = portrait_bgr()
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (512, 512))
        for t in range(45):
            writer.write(np.full_like(img, 60) if 15 <= t < 25 else img)
        writer.release()
        out = tmp_path / "gap.npz"
        assert run_engine("track", path, "-o", out, "--progress", "none").returncode == 0
        take = load_take(out)
        lost = np.zeros(45, bool)
        lost[15:25] = True
        assert (take.confidence[lost] == 0).all() and (take.confidence[~lost] == 1).all()
        assert np.isnan(take.landmarks[lost]).all() and np.isfinite(take.landmarks[~lost]).all()
        assert np.isfinite(take.expression).all() and np.isfinite(take.head_rotation).all()
        # bridged: across the gap the filtered weights stay between their values on either side
        before, after = take.expression[14], take.expression[25]
        lo, hi = np.minimum(before, after) - 0.05, np.maximum(before, after) + 0.05
        assert ((take.expression[15:25] >= lo) & (take.expression[15:25] <= hi)).all()

    def test_feature_start_end(self, tmp_path, moving_clip):
        out = tmp_path / "part.npz"
        assert (
            run_engine(
                "track", moving_clip, "-o", out, "--start", "0.5", "--end", "1.0", "--progress", "none"
            ).returncode
            == 0
        )
        assert load_take(out).num_frames == 15

    def test_feature_identity_reuse(self, tmp_path, moving_clip):
        first, second = tmp_path / "a.npz", tmp_path / "b.npz"
        assert run_engine("track", moving_clip, "-o", first, "--progress", "none").returncode == 0
        run = run_engine("track", moving_clip, "-o", second, "--identity", first, "--progress", "none", "--end", "0.5")
        assert run.returncode == 0, run.stderr
        np.testing.assert_array_equal(load_take(first).identity, load_take(second).identity)

    def test_feature_neutral_frame_reads_zero(self, tmp_path, moving_clip):
        """``--neutral SECONDS``: that frame of the clip is the actor's rest, so it reads (almost) no expression."""
        out = tmp_path / "n.npz"
        run = run_engine("track", moving_clip, "-o", out, "--neutral", "1.0", "--no-filter", "--progress", "none")
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        assert take.meta["neutral"] == "1 s into the clip"
        assert take.expression[30].max() < 0.05  # frame 30 is at 1.0 s

    def test_feature_neutral_frame_in_a_take_tracked_in_pieces(self, tmp_path, moving_clip):
        """A long take is fitted in pieces; the neutral frame still defines the actor's rest for every piece."""
        out = tmp_path / "pieces.npz"
        run = run_engine(
            "track", moving_clip, "-o", out, "--neutral", "1.0", "--no-filter", "--progress", "none",
            "--chunk-frames", "20", "--identity-frames", "40",
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        assert take.num_frames == 60 and take.meta["neutral"] == "1 s into the clip"
        assert take.expression[30].max() < 0.05

    def test_feature_a_neutral_time_reads_alike_in_memory_and_on_disk(self, tmp_path):
        """``--neutral SECONDS`` late in a clip: the take tracked in memory (``track``) and the command line's take
        (spooled to disk, which reads only the frames around that time) get the same neutral targets: the same take.
        """
        clip = write_clip(tmp_path / "long.mp4", 150)
        cfg, neutral, out = TrackConfig(), NeutralFrame(time_s=4.0), tmp_path / "n.npz"
        track_to_file(clip, out, cfg, neutral=neutral)
        on_disk, in_memory = load_take(out), track(clip, None, cfg, neutral=neutral)
        np.testing.assert_allclose(on_disk.expression, in_memory.expression, atol=1e-4)
        assert on_disk.meta["neutral"] == in_memory.meta["neutral"] == "4 s into the clip"

    @pytest.mark.parametrize("pieces", [False, True])
    def test_feature_a_clip_that_never_relaxes_says_so(self, tmp_path, moving_clip, pieces):
        """The portrait smiles in every frame, so its estimated rest holds the smile: the take reads the part above
        ``held_rest_cap``, and the take and the command line say so and what helps, whole or tracked in pieces;
        ``--neutral`` is quiet.
        """
        out = tmp_path / "held.npz"
        split = ("--chunk-frames", "20", "--identity-frames", "40") if pieces else ()
        run = run_engine("track", moving_clip, "-o", out, "--progress", "none", *split)
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        (notice,) = take.meta["notices"]
        assert "calmest frames still read MouthSmile_L" in notice and "--neutral SECONDS|PHOTO" in notice
        assert f"notice: {notice}" in run.stderr
        smile = take.expression[:, list(take.channel_names).index("MouthSmile_L")]
        assert np.median(smile) >= 0.5  # the held smile shows (0.05 when the rest took it all)
        quiet = run_engine("track", moving_clip, "-o", tmp_path / "q.npz", "--neutral", "1.0", "--progress", "none")
        assert quiet.returncode == 0 and "notices" not in load_take(tmp_path / "q.npz").meta

    @pytest.mark.shared
    def test_feature_a_short_take_mostly_grinning_says_so(self, tmp_path):
        """Pyfeat's ``single_face.mp4``: 0.6 s at rest, then 1.8 s of a broad grin. The clip's actor face takes the
        majority state (its rest frames read MouthFrown 0.5-0.8, the grin 0.6: README "Known limits"), and the take
        says so; the rest given as a time reads rest as rest (0.10 at most) and the grin in full (0.96).
        """
        clip = REPO.parent / "shared" / "data" / "clips" / "pyfeat" / "single_face.mp4"
        if not clip.is_file():
            pytest.skip("../shared/data/clips is absent")
        run = run_engine("track", clip, "-o", tmp_path / "a.npz", "--progress", "none")
        assert run.returncode == 0, run.stderr
        assert "calmest frames still read MouthSmile" in run.stderr and "--neutral SECONDS|PHOTO" in run.stderr
        out = tmp_path / "n.npz"
        run = run_engine("track", clip, "-o", out, "--neutral", "0.2", "--progress", "none")
        assert run.returncode == 0 and "notice:" not in run.stderr, run.stderr
        take = load_take(out)
        smile = [list(take.channel_names).index(n) for n in ("MouthSmile_L", "MouthSmile_R")]
        assert take.expression[2:16].max() < 0.2 and take.expression[30:, smile].mean() > 0.85

    def test_feature_stderr_holds_no_mediapipe_start_up_lines(self, tmp_path, moving_clip):
        """MediaPipe's start-up log lines (TensorFlow Lite, absl: nothing a user can act on) stay off stderr."""
        run = run_engine("track", moving_clip, "-o", tmp_path / "t.npz", "--progress", "none")
        assert run.returncode == 0, run.stderr
        assert "TensorFlow Lite" not in run.stderr and "W0000" not in run.stderr and "absl" not in run.stderr
        assert run.stderr.startswith("notice: the clip's calmest frames")  # the engine's own lines are kept

    def test_feature_neutral_photo(self, tmp_path):
        """``--neutral PHOTO``: a still tracked with itself as the neutral photo reads no expression."""
        photo = tmp_path / "portrait.png"
        cv2.imwrite(str(photo), portrait_bgr())
        out = tmp_path / "p.npz"
        run = run_engine("track", photo, "-o", out, "--neutral", photo, "--progress", "none")
        assert run.returncode == 0, run.stderr
        assert load_take(out).expression[0].max() < 0.05
        assert "notice:" not in run.stderr and "notices" not in load_take(out).meta

    def test_feature_a_still_without_a_rest_says_how_to_give_one(self, tmp_path):
        """A single image is read from a generic face: the take and the command line say so, and what helps."""
        photo = tmp_path / "portrait.png"
        cv2.imwrite(str(photo), portrait_bgr())
        out = tmp_path / "still.npz"
        run = run_engine("track", photo, "-o", out)  # the progress bar: the notice comes on a line of its own
        assert run.returncode == 0, run.stderr
        (notice,) = load_take(out).meta["notices"]
        assert "no rest face" in notice and "--neutral PHOTO" in notice
        assert f"\nnotice: {notice}\n" in run.stderr

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("nowhere.png", "neither a time"),
            ("-2", ">= 0"),
            ("inf", ">= 0"),
            ("99", "99 s is outside the tracked frames (0.00-1.9"),  # the whole clip's range, not a window's
            ("2.5", "2.5 s is outside the tracked frames"),  # half a second past the last frame: it took the last
            ("blank.png", "--neutral: no face found"),
            ("notes.mp4", "--neutral: unsupported input"),  # said of the photo, not as if the clip were bad
            ("CLIP", "is a video, not a photo"),  # it tracked the whole video and took its first frame
        ],
    )
    def test_exception_neutral(self, tmp_path, moving_clip, value, message):
        cv2.imwrite(str(tmp_path / "blank.png"), np.full((200, 200, 3), 128, np.uint8))
        (tmp_path / "notes.mp4").write_text("not a video")
        value = str(tmp_path / value) if value.endswith((".png", ".mp4")) and value != "nowhere.png" else value
        value = str(moving_clip) if value == "CLIP" else value
        run = run_engine("track", moving_clip, "-o", tmp_path / "x.npz", "--neutral", value, "--progress", "none")
        assert run.returncode == 1 and message in run.stderr and "Traceback" not in run.stderr, run.stderr[-2000:]
        assert not (tmp_path / "x.npz.partial").exists()  # nothing a resume could use is left behind

    def test_feature_jsonl_progress(self, tmp_path, moving_clip):
        out = tmp_path / "j.npz"
        run = run_engine("track", moving_clip, "-o", out, "--progress", "jsonl")
        assert run.returncode == 0, run.stderr
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        assert lines[-1] == {"done": True, "output": str(out.resolve()), "frames": 60}
        progress = [x for x in lines if "frame" in x]
        assert progress[-1]["frame"] == 60 and progress[-1]["total"] == 60 and progress[-1]["fps"] > 0

    def test_feature_image_sequence(self, tmp_path):
        folder = tmp_path / "seq"
        folder.mkdir()
        img = portrait_bgr()
        for i in (1, 2, 10):  # natural sort: 1, 2, 10; frames 3-9 are missing
            cv2.imwrite(str(folder / f"img{i}.png"), img)
        out = tmp_path / "seq.npz"
        run = run_engine("track", folder, "-o", out, "--progress", "none")
        assert run.returncode == 0 and "7 frame(s) missing from img#.png (3-9)" in run.stderr, run.stderr
        assert "timed at 30 fps" in run.stderr
        assert load_take(out).num_frames == 3
        np.testing.assert_allclose(load_take(out).time, [0, 1 / 30, 9 / 30])  # the default rate, by frame number
        run = run_engine("track", folder, "-o", out, "--fps", "24", "--overwrite", "--progress", "none")
        assert run.returncode == 0, run.stderr
        take = load_take(out)
        np.testing.assert_allclose(take.time, [0, 1 / 24, 9 / 24])
        assert take.meta["fps"] == 24


def test_feature_the_engine_runs_from_any_folder(tmp_path, moving_clip):
    """The set-up puts the checkout on .venv's path: a command run from a take's folder works (it said "No module
    named engine" anywhere but the repository root).
    """
    run = run_engine("track", moving_clip, "-o", "here.npz", "--end", "0.2", "--progress", "none", cwd=tmp_path)
    assert run.returncode == 0 and (tmp_path / "here.npz").is_file(), run.stderr[-2000:]


def test_feature_a_take_records_where_in_the_clip_it_starts(tmp_path, moving_clip):
    out = tmp_path / "part.npz"
    run = run_engine("track", moving_clip, "-o", out, "--start", "0.5", "--end", "1", "--progress", "none")
    assert run.returncode == 0, run.stderr[-2000:]
    take = load_take(out)
    assert take.time[0] == 0 and take.meta["source_start_s"] == pytest.approx(0.5, abs=1 / 30)


class TestErrors:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("track", "missing.mp4"), "not found"),
            (("info", "missing.npz"), "not found"),
            (("track", "--sample", "--parts", "0"), "--parts must be at least 1"),
            (("track", "--sample", "--fps", "0"), "--fps must be a positive number"),
        ],
    )
    def test_exception_one_clear_line(self, tmp_path, args, message):
        run = run_engine(*args, "-o", tmp_path / "x.npz") if args[0] == "track" else run_engine(*args)
        assert run.returncode == 1
        assert "Traceback" not in run.stderr and message in run.stderr.lower()
        assert len([line for line in run.stderr.splitlines() if line.strip()]) <= 2

    def test_exception_no_face(self, tmp_path):
        blank = tmp_path / "blank.png"
        cv2.imwrite(str(blank), np.full((240, 320, 3), 127, np.uint8))
        run = run_engine("track", blank, "-o", tmp_path / "x.npz", "--progress", "jsonl")
        assert run.returncode == 1 and "Traceback" not in run.stderr
        assert "no face" in json.loads(run.stdout.splitlines()[-1])["error"]
        assert not (tmp_path / "x.npz").exists()

    @pytest.mark.shared
    def test_exception_a_logo_is_not_a_face(self, tmp_path):
        """Pyfeat's ``no_face.mp4`` (an animated film's title over a sky): its logo, given a quarter turn, scores 0.54
        to 0.65 as a face, and was tracked in 26 of 95 frames; a turn now needs a face scored as upright faces are.
        """
        clip = REPO.parent / "shared" / "data" / "clips" / "pyfeat" / "no_face.mp4"
        if not clip.is_file():
            pytest.skip("../shared/data/clips is absent")
        run = run_engine("track", clip, "-o", tmp_path / "x.npz", "--progress", "none")
        assert run.returncode == 1 and "no face found in any of 95 frame(s)" in run.stderr
        assert not (tmp_path / "x.npz").exists()

    def test_exception_never_overwrites_a_file_that_is_not_a_take(self, tmp_path):
        precious = tmp_path / "scene.npz"
        np.savez(precious, vertices=np.arange(10))
        run = run_engine("track", "--sample", "-o", precious, "--progress", "none")
        assert run.returncode == 1 and "not written by this tool" in run.stderr
        assert np.load(precious)["vertices"].tolist() == list(range(10))
        run = run_engine("track", "--sample", "-o", tmp_path / "take.blend", "--progress", "none")
        assert run.returncode == 1 and ".npz" in run.stderr

    def test_feature_retracking_replaces_a_take(self, tmp_path):
        out = tmp_path / "take.npz"
        assert run_engine("track", "--sample", "-o", out, "--progress", "none").returncode == 0
        assert run_engine("track", "--sample", "-o", out, "--progress", "none").returncode == 0

    def test_exception_unreadable_video(self, tmp_path):
        bad = tmp_path / "bad.mp4"
        bad.write_bytes(b"this is not a video")
        run = run_engine("track", bad, "-o", tmp_path / "x.npz", "--progress", "none")
        assert run.returncode == 1 and "Traceback" not in run.stderr

    def test_exception_bad_take(self, tmp_path):
        bad = tmp_path / "bad.npz"
        np.savez(bad, expression=np.zeros((3, 45), np.float64))
        run = run_engine("info", bad)
        assert run.returncode == 1 and "expression" in run.stderr and "Traceback" not in run.stderr


class TestOtherCommands:
    def test_feature_info_summary(self, tmp_path, moving_clip):
        out = tmp_path / "t.npz"
        run_engine("track", moving_clip, "-o", out, "--progress", "none")
        run = run_engine("info", out)
        assert run.returncode == 0 and "60" in run.stdout and "JawOpen" in run.stdout

    def test_feature_csv_round_trip(self, tmp_path, moving_clip):
        take_path, csv_path, back = tmp_path / "t.npz", tmp_path / "t.csv", tmp_path / "back.npz"
        run_engine("track", moving_clip, "-o", take_path, "--progress", "none")
        assert run_engine("export-csv", take_path, csv_path).returncode == 0
        header = csv_path.read_text().splitlines()[0].split(",")
        assert header[:3] == ["Timecode", "BlendShapeCount", "EyeBlinkLeft"] and len(header) == 2 + 52 + 9
        assert run_engine("import-csv", csv_path, back).returncode == 0
        a, b = load_take(take_path), load_take(back)
        names = [str(n) for n in a.expression_names]
        for name in ("JawOpen", "MouthSmile_R", "BrowsU_C"):
            i = names.index(name)
            np.testing.assert_allclose(b.expression[:, i], a.expression[:, i], atol=2e-3)
        # the CSV's eyeBlink columns carry the take's blink stream
        np.testing.assert_allclose(b.expression[:, names.index("EyeBlink_L")], a.eye_blink[:, 0], atol=2e-3)

    def test_feature_batch_reports_and_skips_bad_clips(self, tmp_path, moving_clip):
        folder = tmp_path / "in"
        folder.mkdir()
        (folder / "good.mp4").write_bytes(moving_clip.read_bytes())
        cv2.imwrite(str(folder / "noface.png"), np.zeros((100, 100, 3), np.uint8))
        run = run_engine("batch", folder, "-o", tmp_path / "out", "--progress", "none")
        assert run.returncode == 1  # one clip failed
        assert (tmp_path / "out" / "good.npz").is_file() and not (tmp_path / "out" / "noface.npz").exists()
        assert "noface" in run.stderr and "1/2" in run.stderr

    def test_smoke_version(self):
        run = run_engine("--version")
        assert run.returncode == 0 and run.stdout.strip().startswith("engine ")


def test_a_piece_without_a_face_holds_the_frame_before_and_rotations_keep_their_sign(tmp_path):
    """A stretch without a face longer than a piece and its margins (36 s at the defaults): that piece read a rest face
    looking straight ahead, and the head snapped back where the face came again; the rotation's quaternion also
    flipped its sign at seams (a reader blending across them turned the long way round).
    """
    from engine.track_job import StreamingConfig

    path = tmp_path / "headcam.mp4"
    face = cv2.resize(portrait_bgr(), (192, 192))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (192, 192))
    for i in range(240):
        writer.write(face if i < 60 or i >= 180 else np.zeros_like(face))
    writer.release()
    out = tmp_path / "t.npz"
    track_to_file(path, out, TrackConfig(), streaming=StreamingConfig(chunk_frames=30, margin_frames=5))
    take = load_take(out)
    assert (take.confidence[90:150] == 0).all() and take.expression[59].max() > 0.3
    np.testing.assert_array_equal(take.expression[90:150], np.repeat(take.expression[89:90], 60, axis=0))
    np.testing.assert_array_equal(take.head_rotation[90:150], np.repeat(take.head_rotation[89:90], 60, axis=0))
    assert (np.sum(take.head_rotation[1:] * take.head_rotation[:-1], axis=1) > 0).all()


def test_the_bar_says_when_the_face_is_fitted_and_the_preview_drawn(tmp_path, moving_clip):
    """After the frames were read the bar sat at 100 % in silence while the face was fitted (a fifth of a long
    take's run) and the preview drawn (two thirds with --preview).
    """
    out = tmp_path / "t.npz"
    run = run_engine("track", moving_clip, "-o", out, "--chunk-frames", "30", "--preview", tmp_path / "p.mp4")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "fitting the face: piece 2/2 of 60 frames" in run.stderr and "drawing the preview p.mp4" in run.stderr
