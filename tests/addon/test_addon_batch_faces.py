"""Headless batch onto a character whose face is several meshes under an armature (a real subprocess, as a studio
runs it): every face mesh and the face bones are driven, and the printed report says what was connected.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import rigsgen  # noqa: E402
import takegen  # noqa: E402
from conftest import REPO  # noqa: E402

pytestmark = pytest.mark.slow  # runs Blender in subprocesses


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180)


def test_batch_armature_drives_every_face_mesh_and_bone(tmp_path):
    rig = tmp_path / "character.blend"
    make = _run(
        textwrap.dedent(f"""
        import bpy
        bpy.ops.wm.read_factory_settings(use_empty=True)
        scene = bpy.context.scene
        arm = bpy.data.objects.new("Armature", bpy.data.armatures.new("Armature"))
        scene.collection.objects.link(arm)
        bpy.context.view_layer.objects.active = arm
        bpy.ops.object.mode_set(mode="EDIT")
        for name, head, tail, parent in [("Neck", (0, 0, 1.45), (0, 0, 1.55), None),
                                         ("Head", (0, 0, 1.55), (0, 0, 1.75), "Neck"),
                                         ("LeftEye", (0.03, -0.08, 1.65), (0.03, -0.1, 1.65), "Head"),
                                         ("RightEye", (-0.03, -0.08, 1.65), (-0.03, -0.1, 1.65), "Head")]:
            eb = arm.data.edit_bones.new(name)
            eb.head, eb.tail = head, tail
            if parent:
                eb.parent = arm.data.edit_bones[parent]
        bpy.ops.object.mode_set(mode="OBJECT")
        for name, keys in {rigsgen.READY_PLAYER_ME!r}.items():
            mesh = bpy.data.meshes.new(name)
            mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
            obj = bpy.data.objects.new(name, mesh)
            scene.collection.objects.link(obj)
            obj.parent = arm
            obj.shape_key_add(name="Basis")
            for k in keys:
                obj.shape_key_add(name=k, from_mix=False)
        bpy.ops.wm.save_as_mainfile(filepath={str(rig)!r})
    """)
    )
    assert make.returncode == 0, make.stderr[-2000:]
    take = takegen.write_take(tmp_path / "line_07.npz", frames=40)
    out = tmp_path / "baked.blend"
    args = ["--rig", rig, "--armature", "Armature", "--takes", take, "--set-scene-timing", "-o", out]
    proc = subprocess.run(
        [sys.executable, "-m", "blender_addon.batch", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "line_07 (Wolf3D_Teeth)" in proc.stdout and "line_07 (Armature)" in proc.stdout
    assert "batch:   Wolf3D_Teeth: 4 keys driven (no prefix)" in proc.stdout
    assert "batch:   Head: Armature:Head with neck Neck taking 40% of the rotation" in proc.stdout
    assert "batch:   No source channel, left untouched (4): mouthClose, mouthPressLeft, mouthPressRight, tongueOut" in (
        proc.stdout
    )
    report = _run(
        textwrap.dedent(f"""
        import bpy
        bpy.ops.wm.open_mainfile(filepath={str(out)!r})
        bpy.context.scene.frame_set(bpy.context.scene.frame_start + 9)
        for name in ("Wolf3D_Head", "Wolf3D_Teeth", "Wolf3D_Tongue"):
            print(name, bpy.data.objects[name].data.shape_keys.key_blocks["jawOpen"].value)
    """)
    )
    assert report.returncode == 0, report.stderr[-2000:]
    jaw = float(np.load(take)["expression"][9, takegen.fw46_names().index("JawOpen")])
    values = dict(line.split() for line in report.stdout.splitlines() if line.startswith("Wolf3D_"))
    assert {name: pytest.approx(float(v), abs=1e-6) for name, v in values.items()} == {
        name: jaw for name in ("Wolf3D_Head", "Wolf3D_Teeth", "Wolf3D_Tongue")
    }
