"""The add-on side of the contract in real Blender: the committed golden take (written by the engine's writer)
bakes as it reads, and operators report user errors as messages and bugs as bugs.
"""

from __future__ import annotations

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from conftest import REPO, shape_values  # noqa: E402

GOLDEN_TAKE = REPO / "tests" / "data" / "golden_take.npz"


def test_feature_golden_take_bakes_as_the_engine_wrote_it(demo_rig):
    from blender_addon.blender.bake import BakeTargets, bake_take
    from blender_addon.pure import coords
    from blender_addon.pure.takes import open_take
    from engine.contract.quaternion import quaternion_wxyz_to_matrix
    from engine.contract.take_io import load_take

    engine_side = load_take(GOLDEN_TAKE)
    opened = open_take(GOLDEN_TAKE)
    scene = bpy.context.scene
    targets = BakeTargets(mesh=demo_rig.mesh, head_object=demo_rig.armature, head_bone=demo_rig.head_bone)
    result = bake_take(scene, opened, targets)
    assert result.actions[0] == "golden_take"
    mesh = bpy.data.objects[demo_rig.mesh]
    arm = bpy.data.objects[demo_rig.armature]
    names = list(engine_side.channel_names)
    head_expected = coords.camera_to_blender_head_rotations(engine_side.head_rotation)
    rest = np.array(arm.data.bones["head"].matrix_local.to_3x3())
    for i in range(engine_side.num_frames):  # 30 fps take on a 30 fps scene: one take frame per scene frame
        scene.frame_set(scene.frame_start + i)
        np.testing.assert_allclose(shape_values(mesh, names), engine_side.expression[i], atol=1e-6)
        q = np.array(arm.pose.bones["head"].rotation_quaternion)
        world = rest @ quaternion_wxyz_to_matrix(q) @ rest.T
        np.testing.assert_allclose(world, quaternion_wxyz_to_matrix(head_expected[i]), atol=1e-5)


def test_exception_user_error_is_an_ordinary_message(scene, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a take")
    scene.facemocap.take_path = str(bad)
    with pytest.raises(RuntimeError, match="bad.npz: not a take file") as err:
        bpy.ops.facemocap.bake()
    assert "bug" not in str(err.value)


def test_exception_programming_error_is_reported_as_a_bug(scene, tmp_path, monkeypatch, capfd):
    """A numpy or programming error is not disguised as a user error: a bug report, traceback in the console."""
    import takegen

    from blender_addon.ui.operators import bake_ops

    def broken_bake(*args, **kwargs):
        return np.zeros(3)[5]  # an IndexError, as a bug in the bake code would raise

    monkeypatch.setattr(bake_ops, "bake_take", broken_bake)
    scene.facemocap.take_path = str(takegen.write_take(tmp_path / "t.npz", frames=5))
    with pytest.raises(RuntimeError, match="bug in the add-on .IndexError"):
        bpy.ops.facemocap.bake()
    assert "Traceback" in capfd.readouterr().err
