"""The takes folder's record (engine/contract/takes_record.py), kept by the add-on's Track button and the farm: which
clip each take is from, what each .blend was baked with; its earlier forms are read, and merged on the next write.
"""

from __future__ import annotations

import json

from engine.contract.takes_record import FARM_RECORD_NAME, RECORD_NAME, TakesRecord, bake_key


def _clip(path, data=b"a clip"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_feature_a_clip_keeps_its_own_take_and_another_of_its_name_gets_a_new_one(tmp_path):
    day1, day2 = _clip(tmp_path / "day1" / "shot.mp4"), _clip(tmp_path / "day2" / "shot.mp4")
    record = TakesRecord(tmp_path)
    assert record.take_name_for(day1) == "shot.npz"
    (tmp_path / "shot.npz").write_bytes(b"day 1's take")
    record.enter_take("shot.npz", day1)
    record.write()
    again = TakesRecord.read(tmp_path)
    assert again.take_clip("shot.npz") == str(day1.resolve())
    assert again.take_name_for(day1) == "shot.npz"
    assert again.take_name_for(day2) == "shot_2.npz"
    (tmp_path / "clip.npz").write_bytes(b"copied in by hand")  # a file the record does not know is never taken
    assert again.take_name_for(tmp_path / "clip.mp4") == "clip_2.npz"
    assert again.take_name_for(tmp_path / "frames") == "frames.npz"  # an image folder is a clip too


def test_feature_a_clip_delivered_again_is_not_current(tmp_path):
    clip = _clip(tmp_path / "shot.mp4")
    record = TakesRecord(tmp_path)
    record.enter_take("shot.npz", clip)
    assert record.take_is_current("shot.npz", clip)
    clip.write_bytes(b"a new version of the shot")
    assert not record.take_is_current("shot.npz", clip)
    assert record.take_is_current("other.npz", clip)  # unrecorded: taken as it is


def test_compatibility_the_panels_flat_index_and_the_farms_record_are_read_and_merged(tmp_path):
    day1, farm_clip = _clip(tmp_path / "day1" / "shot.mp4"), _clip(tmp_path / "farm" / "take2.mp4")
    (tmp_path / RECORD_NAME).write_text(json.dumps({"shot.npz": str(day1)}))
    key = bake_key(None, "facewarehouse46", mapping_is_file=False)
    farm = {"schema": 1, "takes": {"take2.npz": {"clip": str(farm_clip), "stamp": [6, 1]}},
            "blends": {"take2.blend": {"take": "take2.npz", "bake": key}}}  # fmt: skip
    (tmp_path / FARM_RECORD_NAME).write_text(json.dumps(farm))
    record = TakesRecord.read(tmp_path)
    assert record.take_clip("shot.npz") == str(day1) and record.take_clip("take2.npz") == str(farm_clip)
    assert record.take_is_current("shot.npz", day1)  # the panel recorded no stamp: nothing to compare
    assert not record.take_is_current("take2.npz", farm_clip)  # the farm's stamp differs
    assert record.blend_is_ours("take2.blend") and record.blend_is_current("take2.blend", key)
    record.write()
    assert not (tmp_path / FARM_RECORD_NAME).exists()
    merged = TakesRecord.read(tmp_path)
    assert (merged.takes, merged.blends) == (record.takes, record.blends)
    assert json.loads((tmp_path / RECORD_NAME).read_text())["schema"] == 2


def test_exception_a_damaged_record_claims_nothing(tmp_path):
    (tmp_path / RECORD_NAME).write_text('{"schema": 2, "takes": {"shot.npz": "not an entry"}, "blends": [1]}')
    record = TakesRecord.read(tmp_path)
    assert record.takes == {} and record.blends == {} and not record.blend_is_ours("shot.blend")
    (tmp_path / RECORD_NAME).write_text("{ half a rec")
    assert TakesRecord.read(tmp_path).takes == {}


def test_convention_a_sequence_folder_takes_its_whole_name_as_batch_and_the_farm_name_it(tmp_path):
    (tmp_path / "take.01").mkdir()
    assert TakesRecord(tmp_path / "takes").take_name_for(tmp_path / "take.01") == "take.01.npz"  # was take.npz


def test_feature_a_share_mounted_elsewhere_is_the_same_clip_and_the_same_rig(tmp_path):
    """Another machine sees the shared storage under another path (``/mnt/proj`` here, ``/Volumes/proj`` there;
    here the share is moved): its clips are the recorded ones, their takes keep their names, the rig its bake.
    """
    share = tmp_path / "mntA"
    clip, rig = _clip(share / "shots" / "a.mp4"), _clip(share / "rigs" / "hero.blend", b"a rig")
    record = TakesRecord(share / "takes")
    (share / "takes").mkdir()
    record.enter_take("a.npz", clip)
    record.enter_blend("a.blend", "a.npz", bake_key(rig, "AUTO", mapping_is_file=False))
    record.write()
    (share / "takes" / "a.npz").write_bytes(b"a's take")
    moved = share.rename(tmp_path / "volB")
    there = TakesRecord.read(moved / "takes")
    assert there.take_clip("a.npz") == str(clip.resolve())  # where the first machine saw it
    assert there.take_is_of("a.npz", moved / "shots" / "a.mp4") is True
    assert there.take_is_current("a.npz", moved / "shots" / "a.mp4")
    assert there.take_name_for(moved / "shots" / "a.mp4") == "a.npz"
    assert there.take_is_of("a.npz", _clip(moved / "other" / "a.mp4")) is False  # another clip of the name
    assert there.blend_is_current("a.blend", bake_key(moved / "rigs" / "hero.blend", "AUTO", mapping_is_file=False))


def test_feature_two_writers_into_one_folder_keep_each_others_entries(tmp_path):
    """Two submitters (or the panel beside a farm plan) read the record, then each writes its own takes."""
    first, second = TakesRecord.read(tmp_path), TakesRecord.read(tmp_path)
    first.enter_take("a.npz", _clip(tmp_path / "shots" / "a.mp4"))
    second.enter_take("b.npz", _clip(tmp_path / "shots" / "b.mp4"))
    second.enter_blend("b.blend", "b.npz", bake_key(None, "AUTO", mapping_is_file=False))
    first.write()
    second.write()
    record = TakesRecord.read(tmp_path)
    assert set(record.takes) == {"a.npz", "b.npz"} and record.blend_is_ours("b.blend")
    first.enter_take("a.npz", tmp_path / "shots" / "b.mp4")  # the same name entered again: the last writer's
    first.write()
    assert TakesRecord.read(tmp_path).take_is_of("a.npz", tmp_path / "shots" / "b.mp4")


def test_feature_a_failed_submission_takes_back_only_its_own_entries(tmp_path):
    """The panel enters a take while a farm submission is in flight; the submission fails: the farm's entries go
    back to what they were, the panel's stays (the bytes before the submission were put back, wiping it).
    """
    old = TakesRecord(tmp_path)
    old.enter_take("a.npz", _clip(tmp_path / "shots" / "a_v1.mp4"))
    old.write()
    farm = TakesRecord.read(tmp_path)
    farm.enter_take("a.npz", _clip(tmp_path / "shots" / "a.mp4"))  # replaces an entry
    farm.enter_take("c.npz", _clip(tmp_path / "shots" / "c.mp4"))  # a new one
    farm.write()
    panel = TakesRecord.read(tmp_path)
    panel.enter_take("b.npz", _clip(tmp_path / "shots" / "b.mp4"))
    panel.write()
    farm.take_back()
    record = TakesRecord.read(tmp_path)
    assert set(record.takes) == {"a.npz", "b.npz"}
    assert record.take_is_of("a.npz", tmp_path / "shots" / "a_v1.mp4")


def test_feature_an_smb_clients_coarser_times_and_an_earlier_records_paths_are_the_same_files(tmp_path):
    """A Mac or Windows client reads the share's times to 100 ns or 1 s (a clip counted as delivered again, every
    .blend re-baked); a record written before files were kept by name held whole paths.
    """
    import os

    clip, rig = _clip(tmp_path / "shots" / "a.mp4"), _clip(tmp_path / "rigs" / "hero.blend", b"a rig")
    record = TakesRecord(tmp_path)
    record.enter_take("a.npz", clip)
    record.enter_blend("a.blend", "a.npz", bake_key(rig, "AUTO", mapping_is_file=False))
    st = clip.stat()
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns - st.st_mtime_ns % 1_000_000_000))  # the time to 1 s
    os.utime(rig, ns=(st.st_atime_ns, rig.stat().st_mtime_ns - 100))
    assert record.take_is_current("a.npz", clip)
    assert record.blend_is_current("a.blend", bake_key(rig, "AUTO", mapping_is_file=False))
    earlier = {**bake_key(rig, "AUTO", mapping_is_file=False), "rig": str(rig.resolve())}  # a whole path
    record.blends["a.blend"]["bake"] = earlier
    assert record.blend_is_current("a.blend", bake_key(rig, "AUTO", mapping_is_file=False))
    clip.write_bytes(b"a new version of the clip")
    assert not record.take_is_current("a.npz", clip)


def test_feature_a_blend_an_earlier_version_baked_is_baked_again(tmp_path):
    """0.2.0 turns bones in the character's axes: a .blend 0.1.0 baked was kept as 'already baked'."""
    record = TakesRecord(tmp_path)
    key = bake_key(None, "AUTO", mapping_is_file=False)
    record.enter_blend("a.blend", "a.npz", {k: v for k, v in key.items() if k != "version"})  # as 0.1.0 recorded it
    assert not record.blend_is_current("a.blend", key)
    record.enter_blend("a.blend", "a.npz", key)
    assert record.blend_is_current("a.blend", key)
