"""Tests for engine/contract/livelink_csv.py: Live Link Face CSV export / import, timecodes, round trip, errors."""

from __future__ import annotations

import csv
import dataclasses

import numpy as np
import pytest

from engine.contract.errors import InputError, TakeFormatError
from engine.contract.frames import head_rotation_to_ypr, ypr_to_head_rotation
from engine.contract.livelink_csv import (
    BLENDSHAPE_COUNT,
    ROTATION_COLUMNS,
    format_timecode,
    livelink_csv_header,
    livelink_csv_to_take,
    parse_timecode,
    take_to_livelink_csv,
)
from engine.contract.take import Take, make_meta, neutral_take, take_to_arrays
from engine.contract.take_validation import validate_take_arrays
from rigs import load_mapping, load_names

FW = load_names("facewarehouse46")
ARKIT = load_names("arkit52")


def _one_to_one_channels() -> list[str]:
    """FaceWarehouse channels with exactly one ARKit counterpart, linked both ways with gain 1 and nothing else."""
    fwd, back = load_mapping("facewarehouse46_to_arkit52"), load_mapping("arkit52_to_facewarehouse46")
    result = []
    for name in FW:
        links = [k for k in fwd.links if k.source == name]
        if len(links) != 1 or links[0].gain != 1.0:
            continue
        target = links[0].target
        if [k.source for k in fwd.links if k.target == target] != [name]:
            continue
        back_links = [k for k in back.links if k.source == target]
        if len(back_links) == 1 and back_links[0].target == name and back_links[0].gain == 1.0:
            result.append(name)
    return result


def _take(frames: int = 45, fps: float = 30.0, seed: int = 0) -> Take:
    rng = np.random.default_rng(seed)
    meta = make_meta(fps=fps, frame_size=(640, 480), source="perf", backend="mediapipe")
    base = neutral_take(np.arange(frames) / fps, meta)
    rotation = ypr_to_head_rotation(rng.uniform(-0.6, 0.6, (frames, 3)))
    return dataclasses.replace(
        base,
        expression=rng.uniform(0, 1, (frames, 46)).astype(np.float32),
        head_rotation=rotation,
        eye_blink=rng.uniform(0, 1, (frames, 2)).astype(np.float32),
        eye_gaze=rng.uniform(-0.5, 0.5, (frames, 2, 2)).astype(np.float32),
    )


def _read_rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


class TestHeader:
    def test_convention_columns_follow_the_canonical_arkit_list(self):
        header = livelink_csv_header()
        assert header[:2] == ["Timecode", "BlendShapeCount"]
        assert header[2:54] == [n[0].upper() + n[1:] for n in ARKIT]
        assert header[2] == "EyeBlinkLeft" and header[53] == "TongueOut"
        assert tuple(header[54:]) == ROTATION_COLUMNS
        assert ROTATION_COLUMNS[0] == "HeadYaw" and ROTATION_COLUMNS[-1] == "RightEyeRoll"
        assert BLENDSHAPE_COUNT == 61 == len(header) - 2


class TestTimecode:
    @pytest.mark.parametrize(
        ("seconds", "rate", "text"),
        [
            (0.0, 30.0, "00:00:00:00.000"),
            (3661.5, 30.0, "01:01:01:15.000"),
            (1.0 / 60.0, 30.0, "00:00:00:00.500"),  # half a frame at 30 fps
            (59.9999999, 60.0, "00:01:00:00.000"),  # rounding carries into the next second
            (12.0 + 7 / 60, 60.0, "00:00:12:07.000"),
        ],
    )
    def test_feature_format(self, seconds, rate, text):
        assert format_timecode(seconds, rate) == text

    def test_feature_round_trip_keeps_time_to_a_thousandth_of_a_frame(self):
        times = np.random.default_rng(1).uniform(0, 7200, 500)
        for rate in (24.0, 29.97, 30.0, 60.0):
            back = [parse_timecode(format_timecode(t, rate), rate) for t in times]
            np.testing.assert_allclose(back, times, atol=0.5 / (1000 * rate) + 1e-9)

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("20:24:37:04.621", 20 * 3600 + 24 * 60 + 37 + 4.621 / 60),  # as Live Link Face writes it
            ("00:00:01:30", 1.5),  # no sub-frame
            (" 00:00:01:30.5 ", 1.5 + 0.5 / 60),  # spaces, one sub-frame digit = half a frame
            ("00:00:01;30", 1.5),  # drop-frame separator
            ("00:00:01.25", 1.25),  # decimal seconds
        ],
    )
    def test_feature_parse_leniently(self, text, seconds):
        assert parse_timecode(text, 60.0) == pytest.approx(seconds, abs=1e-9)

    def test_exception(self):
        with pytest.raises(ValueError, match="not a timecode"):
            parse_timecode("12.5", 30.0)
        with pytest.raises(ValueError):
            format_timecode(-1.0, 30.0)


class TestExport:
    def test_smoke(self, tmp_path):
        path = take_to_livelink_csv(_take(), tmp_path / "perf.csv")
        rows = _read_rows(path)
        assert rows[0] == livelink_csv_header()
        assert len(rows) == 46 and all(len(r) == 63 for r in rows)
        assert rows[1][0] == "00:00:00:00.000" and rows[2][0] == "00:00:00:01.000"
        assert all(r[1] == "61" for r in rows[1:])

    def test_feature_weights_go_through_the_mapping(self, tmp_path):
        take = _take(frames=3)
        expression = np.zeros((3, 46), np.float32)
        expression[:, FW.index("JawOpen")] = 0.7
        expression[:, FW.index("Sneer")] = 0.4  # bilateral: both ARKit sides at full weight
        path = take_to_livelink_csv(dataclasses.replace(take, expression=expression), tmp_path / "m.csv")
        row = dict(zip(livelink_csv_header(), _read_rows(path)[1], strict=False))
        assert float(row["JawOpen"]) == pytest.approx(0.7)
        assert float(row["NoseSneerLeft"]) == pytest.approx(0.4) == float(row["NoseSneerRight"])
        assert float(row["MouthClose"]) == 0.0 and float(row["TongueOut"]) == 0.0
        assert float(row["MouthSmileLeft"]) == 0.0

    def test_convention_frontal_head_is_zero_and_signs(self, tmp_path):
        take = _take(frames=3)
        ypr = np.array([[0.0, 0.0, 0.0], [0.3, 0.0, 0.0], [0.0, -0.2, 0.1]])
        take = dataclasses.replace(take, head_rotation=ypr_to_head_rotation(ypr))
        rows = _read_rows(take_to_livelink_csv(take, tmp_path / "h.csv"))[1:]
        head = np.array([[float(v) for v in r[54:57]] for r in rows])
        np.testing.assert_allclose(head, ypr, atol=1e-6)

    def test_feature_blink_source(self, tmp_path):
        take = _take(frames=2)
        rows = _read_rows(take_to_livelink_csv(take, tmp_path / "a.csv"))
        col = rows[0].index("EyeBlinkLeft")
        assert float(rows[1][col]) == pytest.approx(float(take.eye_blink[0, 0]), abs=1e-6)
        rows = _read_rows(take_to_livelink_csv(take, tmp_path / "b.csv", blink_source="expression"))
        assert float(rows[1][col]) == pytest.approx(float(take.expression[0, FW.index("EyeBlink_L")]), abs=1e-6)

    def test_exception_missing_folder(self, tmp_path):
        with pytest.raises(InputError, match="does not exist"):
            take_to_livelink_csv(_take(), tmp_path / "no" / "x.csv")


class TestRoundTrip:
    def test_feature_take_csv_take(self, tmp_path):
        take = _take(frames=45)
        back = livelink_csv_to_take(take_to_livelink_csv(take, tmp_path / "perf.csv"))
        assert validate_take_arrays(take_to_arrays(back)) == []
        assert back.num_frames == 45
        np.testing.assert_allclose(back.time, take.time, atol=1e-6)
        assert back.meta["fps"] == pytest.approx(30.0, rel=1e-4) and back.meta["source"] == "perf"

        channels = _one_to_one_channels()
        assert len(channels) >= 38 and "JawOpen" in channels and "EyeBlink_L" in channels
        idx = [FW.index(c) for c in channels if not c.startswith("EyeBlink")]
        np.testing.assert_allclose(back.expression[:, idx], take.expression[:, idx], atol=1e-3)
        for bilateral in ("LipsUpperUp", "Sneer"):  # one FaceWarehouse shape -> both ARKit sides -> their mean
            i = FW.index(bilateral)
            np.testing.assert_allclose(back.expression[:, i], take.expression[:, i], atol=1e-3)
        np.testing.assert_allclose(back.eye_blink, take.eye_blink, atol=1e-3)
        np.testing.assert_allclose(back.eye_gaze, take.eye_gaze, atol=1e-3)
        np.testing.assert_allclose(
            head_rotation_to_ypr(back.head_rotation), head_rotation_to_ypr(take.head_rotation), atol=1e-3
        )
        # the rotations themselves agree (up to the q / -q sign): angle between them < 1e-3 rad
        dots = np.abs(np.sum(back.head_rotation.astype(np.float64) * take.head_rotation, axis=1))
        assert np.all(2 * np.arccos(np.clip(dots, -1, 1)) < 1e-3)

    @pytest.mark.parametrize("fps", [26.3979, 23.976, 29.97, 59.94, 31.0, 240.0])
    def test_feature_times_survive_at_a_phones_odd_frame_rate(self, tmp_path, fps):
        """Written at a standard timecode rate, the times read back without ``fps=`` (a phone's 26.4 fps clip was
        read at a guessed 29.97 and drifted 0.12 s).
        """
        frames = max(169, int(1.5 * fps))  # over a second: a shorter recording may need fps= (module docstring)
        take = _take(frames=frames, fps=fps)
        jitter = 0.2 / fps * np.sin(np.arange(frames))  # a little irregular, still increasing
        take = dataclasses.replace(take, time=take.time + jitter - jitter[0])
        back = livelink_csv_to_take(take_to_livelink_csv(take, tmp_path / "phone.csv"))
        np.testing.assert_allclose(back.time, take.time, atol=0.5 / 1000 / 24)  # half a thousandth of a frame

    @pytest.mark.parametrize(("fps", "exact"), [(59.94, 60000 / 1001), (23.976, 24000 / 1001), (29.97, 30000 / 1001)])
    def test_feature_an_ntsc_recording_reads_at_the_exact_ntsc_rate(self, tmp_path, fps, exact):
        """Snapped to ``N * 1000 / 1001``, not the decimal: keyed in an NTSC scene, the decimal drifted 0.2 frame an
        hour at 59.94.
        """
        take = _take(frames=400, fps=exact)
        back = livelink_csv_to_take(take_to_livelink_csv(take, tmp_path / "ntsc.csv"))
        assert back.meta["fps"] == pytest.approx(exact, abs=1e-6)

    @pytest.mark.parametrize("fps", [0.0, -30.0, float("nan"), float("inf")])
    def test_exception_impossible_timecode_rate(self, tmp_path, fps):
        path = take_to_livelink_csv(_take(frames=5), tmp_path / "p.csv")
        with pytest.raises(InputError, match="positive number of frames per second"):
            livelink_csv_to_take(path, fps=fps)

    def test_feature_blink_from_expression_round_trips_expression(self, tmp_path):
        take = _take(frames=40)
        back = livelink_csv_to_take(take_to_livelink_csv(take, tmp_path / "p.csv", blink_source="expression"))
        idx = [FW.index(c) for c in _one_to_one_channels()]
        np.testing.assert_allclose(back.expression[:, idx], take.expression[:, idx], atol=1e-3)

    def test_wart_lips_lower_open_has_no_arkit_counterpart(self, tmp_path):
        """LipsLowerOpen only adds to mouthLowerDown on export, so it reads back as LipsLowerDown, not itself."""
        take = _take(frames=30)
        expression = np.zeros((30, 46), np.float32)
        expression[:, FW.index("LipsLowerOpen")] = 0.8
        back = livelink_csv_to_take(
            take_to_livelink_csv(dataclasses.replace(take, expression=expression), tmp_path / "w.csv")
        )
        assert back.expression[0, FW.index("LipsLowerOpen")] == 0.0
        assert back.expression[0, FW.index("LipsLowerDown")] == pytest.approx(0.4, abs=1e-3)

    def test_cardinality_import_shapes(self, tmp_path):
        back = livelink_csv_to_take(take_to_livelink_csv(_take(frames=31), tmp_path / "p.csv"))
        # the format has no landmarks: the take stores none (no bytes per frame; issue 9's 1M-row CSV)
        assert back.landmarks.shape == (31, 0, 2) and back.model_landmarks.shape == (31, 0, 2)
        assert back.identity.shape == (0,) and (back.confidence == 1).all()
        assert (back.head_translation == 0).all()
        assert back.expression_names.tolist() == list(FW)


class TestImport:
    def _write(self, path, rows, header=None):
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header or livelink_csv_header())
            w.writerows(rows)
        return path

    def _row(self, timecode, jaw=0.5, yaw=0.0):
        values = {n: "0" for n in livelink_csv_header()}
        values.update(Timecode=timecode, BlendShapeCount="61", JawOpen=str(jaw), HeadYaw=str(yaw))
        return [values[n] for n in livelink_csv_header()]

    def test_feature_real_world_timecodes_at_60(self, tmp_path):
        """Live Link Face records wall-clock timecodes at 60 fps; rate is guessed from the largest FF."""
        rows = [
            self._row(f"20:24:{37 + (i + 50) // 60:02d}:{(i + 50) % 60:02d}.{(i * 7) % 1000:03d}") for i in range(30)
        ]
        take = livelink_csv_to_take(self._write(tmp_path / "MySlate_3_iPhone.csv", rows))
        assert take.meta["timecode_rate"] == 60.0 and take.meta["source"] == "MySlate_3_iPhone"
        assert take.time[0] == 0.0
        assert take.time[11] == pytest.approx(11 / 60 + (77 - 0) / 1000 / 60, abs=1e-9)
        assert take.meta["fps"] == pytest.approx(60.0, rel=0.05)
        assert take.expression[0, FW.index("JawOpen")] == pytest.approx(0.5)

    def test_feature_fps_keyword_and_midnight(self, tmp_path):
        rows = [self._row("23:59:59:29"), self._row("00:00:00:00"), self._row("00:00:00:01")]
        take = livelink_csv_to_take(self._write(tmp_path / "m.csv", rows), fps=30.0)
        np.testing.assert_allclose(take.time, [0, 1 / 30, 2 / 30], atol=1e-9)

    def test_feature_a_recordings_time_of_day_comes_back_on_export(self, tmp_path):
        """A studio syncs face, body and audio on timecode: CSV -> take -> CSV began again at 00:00:00:00."""
        rows = [self._row(f"14:27:{46 + (i + 3) // 30:02d}:{(i + 3) % 30:02d}.{500 * (i % 2):03d}") for i in range(40)]
        take = livelink_csv_to_take(self._write(tmp_path / "slate.csv", rows))
        take_to_livelink_csv(take, tmp_path / "again.csv")
        written = [row[0] for row in _read_rows(tmp_path / "again.csv")[1:]]
        assert written == [row[0] for row in rows]
        late = [self._row("23:59:59:28"), self._row("23:59:59:29"), self._row("00:00:00:00")]  # across midnight
        take_to_livelink_csv(
            livelink_csv_to_take(self._write(tmp_path / "late.csv", late), fps=30.0), tmp_path / "l2.csv"
        )
        assert [row[0] for row in _read_rows(tmp_path / "l2.csv")[1:]] == [
            "23:59:59:28.000",
            "23:59:59:29.000",
            "00:00:00:00.000",
        ]

    def test_feature_millisecond_timecodes_give_the_recordings_rate(self, tmp_path):
        """HH:MM:SS.sss rows at 60 fps step 16 and 17 ms: the median step said 58.8 fps (a scene set from it ran
        slow).
        """
        rows = [self._row(f"10:00:{i // 60:02d}.{round((i % 60) * 1000 / 60):03d}") for i in range(600)]
        take = livelink_csv_to_take(self._write(tmp_path / "ms.csv", rows))
        assert take.meta["fps"] == 60.0
        dropped = [row for i, row in enumerate(rows) if i % 15]  # a phone that drops a row in 15: still 60
        assert livelink_csv_to_take(self._write(tmp_path / "dropped.csv", dropped)).meta["fps"] == 60.0

    def test_feature_drop_frame_timecodes_are_counted_as_frames(self, tmp_path):
        """29.97 drop-frame: the labels ;00 and ;01 are skipped at each minute but every tenth; they are not
        missing frames (read as plain timecodes, the rows jumped 0.1 s at the minute and the take ran 30 fps).
        """

        def label(n: int) -> str:  # SMPTE 29.97 drop-frame label of frame n
            minutes_10, rest = divmod(n, 17982)
            n += 18 * minutes_10 + 2 * max(0, (rest - 2) // 1798)
            return f"{n // 108000:02d}:{n // 1800 % 60:02d}:{n // 30 % 60:02d};{n % 30:02d}"

        rows = [self._row(label(n)) for n in range(1750, 1840)]  # across 00:00:59;29 -> 00:01:00;02
        assert [r[0] for r in rows[48:50]] == ["00:00:59;28", "00:00:59;29"] and rows[50][0] == "00:01:00;02"
        take = livelink_csv_to_take(self._write(tmp_path / "df.csv", rows))
        np.testing.assert_allclose(np.diff(take.time), 1001 / 30000, atol=1e-9)
        assert take.meta["fps"] == pytest.approx(30000 / 1001, abs=1e-12)  # NTSC exactly
        take_to_livelink_csv(take, tmp_path / "again.csv")  # written back with the recording's own labels
        assert [r[0] for r in _read_rows(tmp_path / "again.csv")[1:]] == [f"{r[0]}.000" for r in rows]

    def test_a_drop_frame_recording_across_midnight_keeps_its_pace(self, tmp_path):
        """A drop-frame day of labels lasts 86399.9136 s, not 86400: past midnight every row was 0.0864 s (2.6
        frames) late, and written back with the same labels, so the CSV looked right while the take was not.
        """

        def label(n: int) -> str:  # SMPTE 29.97 drop-frame label of frame n of the day
            minutes_10, rest = divmod(n % 2589408, 17982)
            n = n % 2589408 + 18 * minutes_10 + 2 * max(0, (rest - 2) // 1798)
            return f"{n // 108000:02d}:{n // 1800 % 60:02d}:{n // 30 % 60:02d};{n % 30:02d}"

        rows = [self._row(label(n)) for n in range(2589408 - 60, 2589408 + 60)]
        assert rows[59][0] == "23:59:59;29" and rows[60][0] == "00:00:00;00"
        take = livelink_csv_to_take(self._write(tmp_path / "late.csv", rows))
        np.testing.assert_allclose(np.diff(take.time), 1001 / 30000, atol=1e-6)
        take_to_livelink_csv(take, tmp_path / "again.csv")
        assert [r[0] for r in _read_rows(tmp_path / "again.csv")[1:]] == [f"{r[0]}.000" for r in rows]

    def test_a_wrong_fps_is_said(self, tmp_path):
        """--fps 24 on a file whose frame numbers reach 29 said only 'Timecode goes back in time'."""
        rows = [self._row(f"10:00:{i // 30:02d}:{i % 30:02d}") for i in range(60)]
        with pytest.raises(TakeFormatError, match=r"goes back in time \(its frame numbers reach 29: is --fps 24 right"):
            livelink_csv_to_take(self._write(tmp_path / "t.csv", rows), fps=24.0)

    def test_files_without_eye_roll_or_with_semicolons(self, tmp_path):
        """Eye roll is written as 0 and never read, yet a file without its columns was refused; a spreadsheet's
        ';'-separated export said 'missing column(s) Timecode', with Timecode in its header.
        """
        header = [h for h in livelink_csv_header() if h not in ("LeftEyeRoll", "RightEyeRoll")]
        full = livelink_csv_header()
        keep = [i for i, h in enumerate(full) if h not in ("LeftEyeRoll", "RightEyeRoll")]
        rows = [[r[i] for i in keep] for r in (self._row(f"00:00:00:{i:02d}") for i in range(3))]
        assert livelink_csv_to_take(self._write(tmp_path / "roll.csv", rows, header=header), fps=30.0).num_frames == 3
        semicolons = tmp_path / "excel.csv"
        semicolons.write_text(";".join(full) + "\n" + ";".join(c.replace(".", ",") for c in self._row("00:00:00:00")))
        with pytest.raises(TakeFormatError, match="its fields are separated by ';'"):
            livelink_csv_to_take(semicolons)

    def test_feature_a_recording_too_short_to_show_its_rate_says_so(self, tmp_path):
        rows = [self._row(f"09:12:33:{2 + i // 2:02d}.{500 * (i % 2):03d}") for i in range(24)]  # 0.4 s at 60 fps
        take = livelink_csv_to_take(self._write(tmp_path / "short.csv", rows))
        assert any("does not show its timecodes' rate" in n for n in take.meta["notices"])
        take = livelink_csv_to_take(self._write(tmp_path / "short.csv", rows), fps=30.0)
        assert "notices" not in take.meta and take.meta["fps"] == 60.0
        long = [self._row(f"09:12:{33 + i // 30:02d}:{i % 30:02d}") for i in range(120)]
        assert "notices" not in livelink_csv_to_take(self._write(tmp_path / "long.csv", long)).meta

    def test_feature_lenient_header_case_and_extra_columns(self, tmp_path):
        header = [h.lower() for h in livelink_csv_header()] + ["Extra"]
        rows = [self._row("00:00:00:00.000") + ["x"], self._row("00:00:00:01.000", jaw=1.2) + ["y"]]
        take = livelink_csv_to_take(self._write(tmp_path / "l.csv", rows, header=header), fps=30.0)
        assert take.expression[1, FW.index("JawOpen")] == 1.0  # clipped to [0, 1]

    def test_exception_missing_column(self, tmp_path):
        header = [h for h in livelink_csv_header() if h != "JawOpen"]
        path = self._write(tmp_path / "x.csv", [], header=header)
        with pytest.raises(TakeFormatError, match=r"x.csv line 1: missing column\(s\) JawOpen"):
            livelink_csv_to_take(path)

    def test_exception_bad_number_names_line_and_column(self, tmp_path):
        rows = [self._row("00:00:00:00"), self._row("00:00:00:01", jaw="abc")]
        with pytest.raises(TakeFormatError) as err:
            livelink_csv_to_take(self._write(tmp_path / "x.csv", rows))
        assert str(err.value) == "x.csv line 3: column JawOpen: 'abc' is not a number"

    def test_exception_bad_timecode_short_row_and_empty(self, tmp_path):
        with pytest.raises(TakeFormatError, match="line 2: Timecode 'soon' is not"):
            livelink_csv_to_take(self._write(tmp_path / "a.csv", [self._row("soon")]))
        with pytest.raises(TakeFormatError, match="line 2: 3 fields"):
            livelink_csv_to_take(self._write(tmp_path / "b.csv", [["00:00:00:00", "61", "0"]]))
        with pytest.raises(TakeFormatError, match="no data rows"):
            livelink_csv_to_take(self._write(tmp_path / "c.csv", []))
        (tmp_path / "d.csv").write_text("")
        with pytest.raises(TakeFormatError, match="empty file"):
            livelink_csv_to_take(tmp_path / "d.csv")
        rows = [self._row("00:00:01:00"), self._row("00:00:00:00")]
        with pytest.raises(TakeFormatError, match="line 3: Timecode goes back"):
            livelink_csv_to_take(self._write(tmp_path / "e.csv", rows), fps=30.0)
        with pytest.raises(InputError, match="not found"):
            livelink_csv_to_take(tmp_path / "none.csv")
        short = ["00:00:00:02", "61", "0"]
        rows = [self._row("00:00:00:00"), short, self._row("00:00:00:04")]
        with pytest.raises(TakeFormatError, match="line 3: 3 fields"):  # a short row before others: damage
            livelink_csv_to_take(self._write(tmp_path / "f.csv", rows))

    def test_exception_a_row_with_a_field_too_many_is_refused_a_trailing_comma_is_not(self, tmp_path):
        """A field inserted after the timecode shifted every value of its row (a blink at 1, yaw read as pitch)."""
        extra = self._row("00:00:00:01")
        extra.insert(1, "abc")
        rows = [self._row("00:00:00:00"), extra, self._row("00:00:00:02")]
        with pytest.raises(
            TakeFormatError, match=rf"x.csv line 3: {len(extra)} fields, the header has {len(extra) - 1}"
        ):
            livelink_csv_to_take(self._write(tmp_path / "x.csv", rows))
        trailing = [[*self._row(f"00:00:00:0{i}"), ""] for i in range(3)]  # some writers end rows with a comma
        assert livelink_csv_to_take(self._write(tmp_path / "y.csv", trailing)).num_frames == 3

    def test_feature_a_last_row_cut_off_is_dropped_with_a_notice(self, tmp_path):
        """A copy or a recording cut short mid-row: the rows before it are read, as a truncated video's frames are."""
        rows = [self._row(f"00:00:00:{i:02d}") for i in range(5)] + [["00:00:00:05", "61", "0.1", "0."]]
        take = livelink_csv_to_take(self._write(tmp_path / "cut.csv", rows), fps=30.0)
        assert take.num_frames == 5
        (notice,) = take.meta["notices"]
        assert "last line (7) was cut off (4 of 63 fields)" in notice and "the 5 rows before it" in notice
