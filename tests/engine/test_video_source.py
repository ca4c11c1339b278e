"""Tests for engine/video_source.py: videos, image sequences, single images, real timestamps, errors."""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.errors import InputError
from engine.video_source import DEFAULT_IMAGE_FPS, Frame, FrameSource, natural_sort_key, open_source

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CLIPS = SHARED / "data" / "clips"
W, H = 64, 48


def _image(i: int) -> np.ndarray:
    """Frame i: uniform grey level 10*i (readable back through lossy codecs to within a few levels)."""
    return np.full((H, W, 3), (10 * i) % 256, np.uint8)


def _write_video(path: Path, frames: int, fps: float = 30.0, size: tuple[int, int] = (W, H)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), (10 * i) % 256, np.uint8))
    writer.release()
    return path


def _make_vfr_mp4(cfr_path: Path, out_path: Path, deltas: list[int]) -> tuple[Path, int]:
    """Rewrite an OpenCV-written MP4 so sample i lasts ``deltas[i]`` media ticks: a real variable-frame-rate file.

    Returns the new path and the media timescale (ticks per second).

    Replaces the ``stts`` (time-to-sample) table with one entry per sample and updates the durations in
    ``mdhd``, ``mvhd``, ``tkhd`` and ``elst`` (ISO/IEC 14496-12). OpenCV writes ``moov`` after ``mdat``, so the
    chunk offsets in ``stco`` stay valid when ``moov`` grows.
    """
    data = cfr_path.read_bytes()
    assert data.index(b"moov") > data.index(b"mdat")
    i = data.index(b"mdhd")
    media_timescale = struct.unpack(">I", data[i + 16 : i + 20])[0]
    i = data.index(b"mvhd")
    movie_timescale = struct.unpack(">I", data[i + 16 : i + 20])[0]
    movie_duration = round(sum(deltas) / media_timescale * movie_timescale)
    containers = (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts")

    def rebuild(buf: bytes) -> bytes:
        out, off = b"", 0
        while off < len(buf):
            size, kind = struct.unpack(">I4s", buf[off : off + 8])
            body = buf[off + 8 : off + size]
            if kind in containers:
                body = rebuild(body)
            elif kind == b"stts":
                body = struct.pack(">II", 0, len(deltas)) + b"".join(struct.pack(">II", 1, d) for d in deltas)
            elif kind == b"mdhd":
                body = body[:16] + struct.pack(">I", sum(deltas)) + body[20:]
            elif kind == b"mvhd":
                body = body[:16] + struct.pack(">I", movie_duration) + body[20:]
            elif kind == b"tkhd":
                body = body[:20] + struct.pack(">I", movie_duration) + body[24:]
            elif kind == b"elst":
                body = body[:8] + struct.pack(">I", movie_duration) + body[12:]
            out += struct.pack(">I4s", len(body) + 8, kind) + body
            off += size
        return out

    out_path.write_bytes(rebuild(data))
    return out_path, media_timescale


def _write_images(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        assert cv2.imwrite(str(path), _image(i))
        paths.append(path)
    return paths


class TestVideo:
    def test_smoke(self, tmp_path):
        path = _write_video(tmp_path / "clip.mp4", 12)
        with open_source(path) as src:
            assert isinstance(src, FrameSource)
            assert (src.name, src.kind, src.fps, src.size, src.frame_count) == ("clip", "video", 30.0, (W, H), 12)
            frames = list(src)
        assert len(frames) == 12
        assert all(isinstance(f, Frame) for f in frames)
        assert frames[0].image.shape == (H, W, 3) and frames[0].image.dtype == np.uint8

    def test_feature_cfr_times_match_index_over_fps(self, tmp_path):
        with open_source(_write_video(tmp_path / "c.mp4", 30, fps=25.0)) as src:
            frames = list(src)
        assert [f.index for f in frames] == list(range(30))
        np.testing.assert_allclose([f.time for f in frames], np.arange(30) / 25.0, atol=1e-6)
        # the content is the right frame, in order (grey level 10*i, lossy codec)
        np.testing.assert_allclose([f.image.mean() for f in frames], (10 * np.arange(30)) % 256, atol=6)

    def test_feature_vfr_times_come_from_the_container(self, tmp_path):
        """10 frames at 1/30 s then 10 at 1/15 s: index/fps (fps = 20 on average) would drift by 0.17 s."""
        cfr = _write_video(tmp_path / "cfr.mp4", 20)
        vfr, timescale = _make_vfr_mp4(cfr, tmp_path / "vfr.mp4", [512] * 10 + [1024] * 10)
        assert timescale == 15360  # OpenCV's mp4v writer: 512 ticks per frame at 30 fps
        expected = np.r_[np.arange(11) / 30.0, 10 / 30.0 + np.arange(1, 10) / 15.0]
        with open_source(vfr) as src:
            times = [f.time for f in src]
        assert len(times) == 20
        np.testing.assert_allclose(times, expected, atol=1e-3)
        assert src.fps == pytest.approx(20.0)  # the container's average rate
        assert np.max(np.abs(np.array(times) - np.arange(20) / src.fps)) > 0.15  # a frame-count clock drifts

    def test_feature_start_end_seek(self, tmp_path):
        path = _write_video(tmp_path / "c.mp4", 60)
        with open_source(path, start=1.0, end=1.5) as src:
            assert src.frame_count == 15
            frames = list(src)
        assert len(frames) == 15
        assert frames[0].time == 0.0 and frames[0].source_time == pytest.approx(1.0, abs=1e-6)
        assert frames[-1].source_time == pytest.approx(1.0 + 14 / 30, abs=1e-6)
        assert frames[0].image.mean() == pytest.approx((10 * 30) % 256, abs=6)  # frame 30 decoded, not a keyframe

    def test_feature_iterating_again_restarts(self, tmp_path):
        with open_source(_write_video(tmp_path / "c.mp4", 5)) as src:
            assert len(list(src)) == 5
            assert len(list(src)) == 5

    def test_feature_streaming_memory_does_not_grow(self, tmp_path):
        """300 frames of 320x240: peak traced memory stays within a few frames (one frame = 230 kB)."""
        path = _write_video(tmp_path / "long.mp4", 300, size=(320, 240))
        frame_bytes = 320 * 240 * 3
        tracemalloc.start()
        try:
            with open_source(path) as src:
                count = sum(1 for _ in src)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert count == 300
        assert peak < 10 * frame_bytes, f"peak {peak / frame_bytes:.1f} frames"

    def test_exception_unreadable_video(self, tmp_path):
        bad = tmp_path / "broken.mp4"
        bad.write_bytes(b"\x00" * 4096)
        with pytest.raises(InputError, match="broken.mp4"):
            open_source(bad)

    def test_exception_empty_file(self, tmp_path):
        for name in ("take01.mp4", "portrait.png"):
            (tmp_path / name).write_bytes(b"")
            with pytest.raises(InputError, match=rf"{name} is empty \(0 bytes\)"):
                open_source(tmp_path / name)

    def test_exception_unsupported_file(self, tmp_path):
        note = tmp_path / "notes.txt"
        note.write_text("not a video")
        with pytest.raises(InputError, match="notes.txt") as err:
            open_source(note)
        assert "\n" not in str(err.value)

    def test_exception_start_past_end(self, tmp_path):
        with pytest.raises(InputError, match="past the end"):
            open_source(_write_video(tmp_path / "c.mp4", 10), start=5.0)
        with pytest.raises(InputError, match="must be after start"):
            open_source(tmp_path / "c.mp4", start=1.0, end=0.5)


class TestImages:
    def test_smoke_folder(self, tmp_path):
        _write_images(tmp_path / "shots", [f"img_{i}.png" for i in range(5)])
        with open_source(tmp_path / "shots") as src:
            assert (src.name, src.kind, src.fps, src.size, src.frame_count) == ("shots", "images", 30.0, (W, H), 5)
            frames = list(src)
        np.testing.assert_allclose([f.time for f in frames], np.arange(5) / DEFAULT_IMAGE_FPS)

    def test_feature_natural_sort(self, tmp_path):
        names = ["img_10.png", "img_2.png", "img_1.png", "img_0.png"]
        paths = _write_images(tmp_path / "seq", names)
        level = {p.name: (10 * i) % 256 for i, p in enumerate(paths)}
        with open_source(tmp_path / "seq") as src:
            got = [int(f.image[0, 0, 0]) for f in src]
        assert got == [level[n] for n in ["img_0.png", "img_1.png", "img_2.png", "img_10.png"]]

    def test_feature_glob_pattern_and_fps(self, tmp_path):
        _write_images(tmp_path, [f"img_{i}.png" for i in range(12)] + ["other_1.png"])
        with open_source(str(tmp_path / "img_*.png"), fps=24.0, start=0.25) as src:
            assert src.name == "img" and src.fps == 24.0
            frames = list(src)
        assert len(frames) == 6  # frames 6..11 (6 / 24 = 0.25 s)
        assert frames[0].source_time == pytest.approx(0.25) and frames[0].time == 0.0
        assert int(frames[0].image[0, 0, 0]) == 60

    def test_feature_single_image(self, tmp_path):
        (path,) = _write_images(tmp_path, ["face.jpg"])
        with open_source(path) as src:
            assert (src.kind, src.name, src.frame_count) == ("image", "face", 1)
            frames = list(src)
        assert len(frames) == 1 and frames[0].time == 0.0 and frames[0].image.shape == (H, W, 3)

    def test_convention_grey_image_becomes_bgr(self, tmp_path):
        cv2.imwrite(str(tmp_path / "g.png"), np.full((H, W), 77, np.uint8))
        with open_source(tmp_path / "g.png") as src:
            (frame,) = list(src)
        assert frame.image.shape == (H, W, 3) and frame.image.dtype == np.uint8

    def test_exception_missing_and_empty(self, tmp_path):
        with pytest.raises(InputError, match="input not found"):
            open_source(tmp_path / "nope.mp4")
        (tmp_path / "empty").mkdir()
        with pytest.raises(InputError, match="has no images"):
            open_source(tmp_path / "empty")
        with pytest.raises(InputError, match="no images match"):
            open_source(str(tmp_path / "x_*.png"))
        with pytest.raises(InputError, match="fps must be"):
            open_source(tmp_path, fps=0)

    def test_exception_mixed_sizes(self, tmp_path):
        _write_images(tmp_path / "s", ["a1.png"])
        cv2.imwrite(str(tmp_path / "s" / "a2.png"), np.zeros((10, 10, 3), np.uint8))
        with pytest.raises(InputError, match="a2.png is 10x10"):  # on opening: before any frame is read
            open_source(tmp_path / "s")


class TestNaturalSortKey:
    def test_feature(self):
        names = ["f10.png", "F2.png", "f1.png", "f02b.png", "a.png"]
        assert sorted(names, key=natural_sort_key) == ["a.png", "f1.png", "F2.png", "f02b.png", "f10.png"]


@pytest.mark.shared
@pytest.mark.skipif(not (CLIPS / "d18.mp4").is_file(), reason="shared clips not available")
class TestSharedClip:
    def test_feature_d18_monotonic_times_at_container_fps(self):
        cap = cv2.VideoCapture(str(CLIPS / "d18.mp4"))
        container_fps = cap.get(cv2.CAP_PROP_FPS)
        cap.release()
        with open_source(CLIPS / "d18.mp4") as src:
            assert src.fps == container_fps and src.name == "d18"
            times = [f.time for f in src]
        assert len(times) == src.frame_count
        assert np.all(np.diff(times) > 0)
        np.testing.assert_allclose(np.diff(times), 1.0 / container_fps, atol=2e-3)


class TestVariableFrameRate:
    """A phone clip whose frame rate drops in low light: 30 fps, 10 fps for 5 s, 30 fps again."""

    @pytest.fixture(scope="class")
    def clip(self, tmp_path_factory) -> tuple[Path, np.ndarray]:
        from crafted_inputs import set_mp4_frame_durations, write_clip

        path = write_clip(tmp_path_factory.mktemp("vfr") / "phone.mp4", 150)
        set_mp4_frame_durations(path, [(50, 1 / 30), (50, 0.1), (50, 1 / 30)])
        with open_source(path) as src:
            return path, np.array([f.source_time for f in src])

    @pytest.mark.parametrize("start", [1.0, 3.5, 5.0, 6.5])
    def test_feature_a_start_keeps_every_frame_after_it(self, clip, start):
        path, every = clip
        assert len(every) == 150 and every[-1] == pytest.approx(50 / 30 + 5 + 49 / 30, abs=2e-3)
        with open_source(path, start=start) as src:
            times = np.array([f.source_time for f in src])
        np.testing.assert_allclose(times, every[every >= start - 1e-6])  # the seek landed after 3.5: 13 frames lost


def test_feature_fps_never_retimes_a_video_that_gives_its_rate(tmp_path):
    """--fps (batch or farm over a folder of videos and image folders) timed every video anew and read it from its
    first frame whatever --start said.
    """
    path = tmp_path / "bright.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 64))
    for i in range(90):
        writer.write(np.full((64, 64, 3), 2 * i, np.uint8))  # frame i is 2 i bright
    writer.release()
    for fps in (None, 24.0):
        with open_source(path, start=2.0, fps=fps) as src:
            frames = list(src)
        assert src.fps == 30.0 and len(frames) == 30
        assert frames[0].source_time == pytest.approx(2.0) and round(frames[0].image.mean() / 2) == 60


@pytest.mark.parametrize(("brand", "kind"), [(b"heic", "heif"), (b"mif1", "video"), (b"avif", "video")])
def test_convention_an_iphone_heic_is_told_from_an_avif_by_its_brand(tmp_path, brand, kind):
    from engine.media_sniff import sniff_media

    path = tmp_path / "photo"
    path.write_bytes(b"\x00\x00\x00\x18ftyp" + brand + bytes(64))
    assert sniff_media(path) == kind  # mif1 / msf1 lead AVIF files too: they were refused as HEIC


class TestAFolderIsOneSequence:
    """A plate's folder as a VFX artist hands it over: numbered frames, sometimes with gaps, slates, proxies or
    formats the engine does not read.
    """

    @staticmethod
    def _frames(folder: Path, names, image=None) -> Path:
        folder.mkdir(exist_ok=True)
        for i, name in enumerate(names):
            cv2.imwrite(str(folder / name), _image(i) if image is None else image)
        return folder

    def test_missing_frame_numbers_keep_every_other_frame_in_its_place(self, tmp_path):
        """Frames 1004 and 1005 missing: every later frame was timed two frames early, and nothing said so."""
        folder = self._frames(tmp_path / "gaps", [f"shot.{n}.png" for n in (1001, 1002, 1003, 1006, 1007)])
        with open_source(folder, fps=24) as src:
            times = [f.time for f in src]
            assert times == pytest.approx([0, 1 / 24, 2 / 24, 5 / 24, 6 / 24])
            assert any("2 frame(s) missing from shot.####.png (1004-1005)" in n for n in src.notices)
        with open_source(folder, fps=24, start=3 / 24) as src:  # a range is read by time, gaps and all
            assert [f.source_time for f in src] == pytest.approx([5 / 24, 6 / 24])

    @pytest.mark.parametrize(
        ("names", "said"),
        [
            (["A.1001.png", "A.1002.png", "B.1001.png", "B.1002.png"], "A.####.png (2 images), B.####.png"),
            (["shot.1001.png", "shot.1002.png", "shot.1001.jpg", "shot.1002.jpg"], "shot.####.jpg (2 images)"),
            (["shot.1001.png", "shot.1002.png", "thumbnail.jpg"], "shot.####.png (2 images), thumbnail.jpg"),
        ],
    )
    def test_two_sequences_or_a_stray_image_are_refused_naming_them(self, tmp_path, names, said):
        """They were read as one shot, one after the other (a sequence beside its proxies: every frame twice)."""
        folder = self._frames(tmp_path / "mixed", names)
        with pytest.raises(InputError, match="is not one image sequence") as raised:
            open_source(folder)
        assert said in str(raised.value) and "move the others out, or give one as a pattern" in str(raised.value)

    def test_exr_plates_are_refused_in_words(self, tmp_path):
        """A folder of EXRs said 'no images'; with a thumbnail beside them, the thumbnail was tracked alone; one
        EXR went to the video reader.
        """
        folder = tmp_path / "plates"
        folder.mkdir()
        for n in (1001, 1002):
            (folder / f"shot.{n}.exr").write_bytes(b"v/1\x01" + bytes(100))
        with pytest.raises(InputError, match=r"2 \.exr image\(s\), a format this engine does not read: convert"):
            open_source(folder)
        self._frames(folder, ["thumbnail.jpg"])
        with pytest.raises(InputError, match=r"\.exr image\(s\), a format this engine does not read"):
            open_source(folder)
        with pytest.raises(InputError, match=r"\.exr image\(s\), a format this engine does not read"):
            open_source(folder / "shot.1001.exr")
        with pytest.raises(InputError, match=r"\.exr image\(s\), a format this engine does not read"):
            open_source(str(folder / "shot.*.exr"))

    @pytest.mark.parametrize("empty", ["shot.1001.png", "shot.1003.png"])
    def test_an_empty_frame_is_said_before_any_work(self, tmp_path, empty):
        """A render node's 0-byte frame was a traceback from OpenCV mid-track (batch stopped on it)."""
        folder = self._frames(tmp_path / "zero", [f"shot.{n}.png" for n in (1001, 1002, 1003, 1004)])
        (folder / empty).write_bytes(b"")
        with pytest.raises(InputError, match=rf"{empty} is empty \(0 bytes\)"):
            open_source(folder)

    def test_a_sideways_tiff_sequence_opens(self, tmp_path):
        """TIFFs stored sideways with an orientation tag were refused as frames of another size (their size was
        turned twice).
        """
        from PIL import Image

        folder = tmp_path / "tif"
        folder.mkdir()
        for i in range(3):
            Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(folder / f"f.{i:04d}.tif", tiffinfo={274: 6})
        with open_source(folder) as src:
            assert src.size == (48, 64) and len(list(src)) == 3

    def test_a_sequence_says_the_frame_rate_it_assumed(self, tmp_path):
        folder = self._frames(tmp_path / "seq", [f"f{i}.png" for i in range(3)])
        with open_source(folder) as src:
            assert any("holds no frame rate: timed at 30 fps (give its rate: --fps 24" in n for n in src.notices)
        with open_source(folder, fps=24) as src:
            assert not src.notices

    def test_names_a_render_or_a_phone_gives_are_read_as_they_are_meant(self, tmp_path):
        """shot_0001_v2.png was three one-frame sequences (the version read as the frame number); a phone's burst
        (IMG_1234, IMG_1300) or names holding a clock time were timed as sequences with hundreds of missing frames;
        a glob of one sequence was timed by place (a gap moved every later frame early); a RAW beside the frames
        refused the folder.
        """
        versioned = self._frames(tmp_path / "v", [f"shot_{n:04d}_v2.png" for n in (1, 2, 4)])
        with open_source(versioned, fps=24) as src:
            assert [f.time for f in src] == pytest.approx([0, 1 / 24, 3 / 24])
        burst = self._frames(tmp_path / "b", ["IMG_1234.jpg", "IMG_1300.jpg", "IMG_2001.jpg"])
        with open_source(burst, fps=24) as src:
            assert [f.time for f in src] == pytest.approx([0, 1 / 24, 2 / 24])
            assert not any("missing" in n for n in src.notices)
        takes = self._frames(tmp_path / "t", ["A1.0001.png", "A1.0002.png", "A2.0001.png", "A2.0002.png"])
        with pytest.raises(InputError, match=r"A1.####.png \(2 images\), A2.####.png \(2 images\)"):
            open_source(takes)
        gaps = self._frames(tmp_path / "g", [f"shot.{n}.png" for n in (1001, 1002, 1004)])
        with open_source(str(gaps / "shot.*.png"), fps=24) as src:
            assert [f.time for f in src] == pytest.approx([0, 1 / 24, 3 / 24])
            assert any("1 frame(s) missing from shot.####.png (1003)" in n for n in src.notices)
        (gaps / "shot.1001.dng").write_bytes(b"II*\x00" + bytes(64))  # a RAW beside its frame: passed over
        with open_source(gaps, fps=24) as src:
            assert len(list(src)) == 3

    def test_a_render_of_every_other_frame_keeps_its_time(self, tmp_path):
        """Frames 1001, 1003, ... (a render's frame step 2) were timed one after the other: played at double speed."""
        plate = self._frames(tmp_path / "step2", [f"shot.{n}.png" for n in range(1001, 1013, 2)])
        with open_source(plate, fps=24) as src:
            assert [f.time for f in src] == pytest.approx([2 * i / 24 for i in range(6)])
