"""The add-on side of issue 9: the headless batch bakes every good take and lists every bad one, whatever a bad one
holds (a crafted archive, a NaN cell, a bad mapping), never replaces a .blend it did not write, and the engine
bridge never replaces an artist's file with a take.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
import takegen  # noqa: E402
from conftest import REPO  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "engine"))
from crafted_inputs import add_zero_member, npy_bytes, patch_zip_member, take_members, write_archive  # noqa: E402

bpy = pytest.importorskip("bpy")
pytestmark = pytest.mark.slow  # Blender in subprocesses


def _batch(*args):
    from test_addon_batch import _batch as run_batch  # the one helper that runs the headless batch

    return run_batch(*args, timeout=300)


@pytest.fixture
def takes(tmp_path) -> Path:
    """Two good takes and one of each kind of crafted take, in one folder."""
    import numpy as np

    d = tmp_path / "takes"
    d.mkdir()
    good = takegen.write_take(d / "a_good.npz", frames=40, seed=1)
    takegen.write_take(d / "z_good.npz", frames=30, seed=2)
    members = take_members(good)
    lying = dict(members)
    lying["landmarks.npy"] = npy_bytes(np.zeros((40, 478, 2), np.float32), declared_shape=(10**9, 478, 2))
    write_archive(d / "b_huge_declared.npz", lying)
    patch_zip_member(write_archive(d / "c_method.npz", members), "expression.npy", method=99)
    patch_zip_member(write_archive(d / "d_encrypted.npz", members), "expression.npy", flags_or=0x1)
    add_zero_member(write_archive(d / "e_bomb.npz", members), "junk.npy", 0.25)
    header = "Timecode,BlendShapeCount," + ",".join(n[:1].upper() + n[1:] for n in takegen.arkit52_names())
    rotations = ",HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
    row = "00:00:00:{:02d}.000,61," + ",".join(["0.1"] * 51 + ["nan"]) + ",0,0,0,0,0,0,0,0,0"
    (d / "f_nan_cell.csv").write_text(header + rotations + "\n" + "\n".join(row.format(i) for i in range(3)) + "\n")
    with zipfile.ZipFile(d / "g_not_a_take.npz", "w") as z:
        z.writestr("../../escape.npy", b"x")
    return d


def test_batch_bakes_every_good_take_and_lists_every_bad_one(takes, tmp_path, head_path):
    out = tmp_path / "baked.blend"
    run = _batch("--demo-rig", "--demo-head", head_path, "--takes", takes, "-o", out)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "baked a_good.npz" in run.stdout and "baked z_good.npz" in run.stdout
    for bad, needle in [
        ("b_huge_declared", "declares"),
        ("c_method", "compression method 99"),
        ("d_encrypted", "encrypted"),
        ("f_nan_cell", "not finite"),
        ("g_not_a_take", "not a plain KEY.npy"),
    ]:
        lines = [line for line in run.stderr.splitlines() if f"skipped {takes / bad}" in line]
        assert lines and needle in lines[0], (bad, run.stderr[-3000:])
    assert "skipped" not in "".join(line for line in run.stderr.splitlines() if "e_bomb" in line)  # junk member unread
    assert out.is_file()


def test_batch_output_never_replaces_a_blend_it_did_not_write(tmp_path, head_path):
    out = tmp_path / "artist.blend"
    out.write_bytes(b"BLENDER-v300 an artist's scene")
    run = _batch("--demo-rig", "--demo-head", head_path, "-o", out)
    assert run.returncode == 2 and "not written by this tool" in run.stderr
    assert out.read_bytes() == b"BLENDER-v300 an artist's scene"
    assert _batch("--demo-rig", "--demo-head", head_path, "-o", out, "--overwrite").returncode == 0
    assert _batch("--demo-rig", "--demo-head", head_path, "-o", out).returncode == 0  # its own file now
    assert not list(tmp_path.glob("*.blend1")) and not list(tmp_path.glob(".*tmp*"))


def test_batch_mapping_with_nan_gain_bakes_nothing(tmp_path, head_path):
    takegen.write_take(tmp_path / "t.npz", frames=10)
    mapping = tmp_path / "bad.toml"
    mapping.write_text(
        'schema = 1\nsource = "facewarehouse46"\ntarget = "facewarehouse46"\n'
        '[[links]]\nsource = "EyeBlink_L"\ntarget = "EyeBlink_L"\ngain = nan\n'
    )
    run = _batch("--demo-rig", "--demo-head", head_path, "--takes", tmp_path / "t.npz", "--mapping", mapping,
                 "-o", tmp_path / "o.blend")  # fmt: skip
    assert run.returncode == 2 and "gain" in run.stderr and "finite" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "o.blend").exists()  # refused as an argument, before any take


def test_bridge_never_replaces_an_artists_file_with_a_take(tmp_path):
    from blender_addon._contract import errors
    from blender_addon.pure import bridge

    precious = tmp_path / "clip.npz"
    precious.write_bytes(b"an artist's archive")
    (tmp_path / "clip.mp4").write_bytes(b"")
    request = bridge.TrackRequest(
        python=str(REPO / ".venv" / "bin" / "python"), root=str(REPO), source=str(tmp_path / "clip.mp4"),
        output=str(precious),
    )  # fmt: skip
    if not Path(request.python).is_file():
        pytest.skip("the engine's .venv is not set up")
    with pytest.raises(errors.InputError, match="not written by this tool"):
        bridge.TrackJob.start(request)
    assert precious.read_bytes() == b"an artist's archive"
