"""Baking in real Blender (bpy module): values after frame_set, time mapping, Actions, NLA, operators."""

from __future__ import annotations

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402
from conftest import make_shape_key_mesh, shape_values  # noqa: E402

FW = takegen.fw46_names()


def _targets(rig, **kw):
    from blender_addon.blender.bake import BakeTargets

    return BakeTargets(
        mesh=rig.mesh,
        head_object=rig.armature,
        head_bone=rig.head_bone,
        eye_objects=(rig.armature, rig.armature),
        eye_bones=rig.eye_bones,
        **kw,
    )


def _load(path):
    from blender_addon.pure.takes import open_take

    return open_take(path)


def _matrix(q):
    from engine.contract.quaternion import quaternion_wxyz_to_matrix

    return quaternion_wxyz_to_matrix(q)


def test_demo_rig_has_basis_and_46_keys_in_order(demo_rig):
    key = bpy.data.objects[demo_rig.mesh].data.shape_keys
    assert [kb.name for kb in key.key_blocks] == ["Basis", *FW]
    arm = bpy.data.objects[demo_rig.armature]
    assert set(arm.data.bones.keys()) == {"head", "eye.L", "eye.R"}
    assert bpy.data.objects[demo_rig.mesh].parent_bone == "head"


def test_bake_3000_frames_evaluates_to_take(demo_rig, tmp_path):
    from blender_addon.blender.bake import bake_take
    from blender_addon.pure import coords

    take = _load(takegen.write_take(tmp_path / "long_clip.npz", frames=3000, fps=30.0))
    scene = bpy.context.scene
    result = bake_take(scene, take, _targets(demo_rig))
    assert result.actions[0] == "long_clip"
    assert result.keys == 3000 * 46 + 3000 * 4 * 3  # shapes + head + 2 eyes (quaternions)
    mesh = bpy.data.objects[demo_rig.mesh]
    arm = bpy.data.objects[demo_rig.armature]
    head_expected = coords.camera_to_blender_head_rotations(take.take.head_rotation)
    for i in (0, 1, 17, 1234, 2500, 2999):
        scene.frame_set(scene.frame_start + i)
        np.testing.assert_allclose(shape_values(mesh, FW), take.take.expression[i], atol=1e-6)
        q = np.array(arm.pose.bones["head"].rotation_quaternion)
        # head bone points up: its rest maps bone Y to world Z, so compare the world-space rotation
        rest = np.array(arm.data.bones["head"].matrix_local.to_3x3())
        world = rest @ _matrix(q) @ rest.T
        np.testing.assert_allclose(world, _matrix(head_expected[i]), atol=1e-5)
    # the eye's world direction follows the gaze: yaw > 0 -> toward +X
    i = int(np.argmax(take.take.eye_gaze[:, 0, 0]))
    scene.frame_set(scene.frame_start + i)
    eye, head = arm.pose.bones["eye.L"], arm.pose.bones["head"]
    look = np.array(eye.matrix.to_3x3()) @ np.array([0.0, 1.0, 0.0])  # bone Y = the gaze direction
    # undo the head's own rotation: the gaze is relative to the head
    head_delta = np.array(head.matrix.to_3x3()) @ np.array(head.bone.matrix_local.to_3x3()).T
    look = head_delta.T @ look
    yaw, pitch = take.take.eye_gaze[i, 0]
    np.testing.assert_allclose(
        look, [np.sin(yaw) * np.cos(pitch), -np.cos(yaw) * np.cos(pitch), np.sin(pitch)], atol=1e-4
    )


def test_fps_differs_from_scene(demo_rig, tmp_path):
    from blender_addon.blender.bake import bake_take

    scene = bpy.context.scene
    scene.render.fps = 24
    take = _load(takegen.write_take(tmp_path / "sixty.npz", frames=121, fps=60.0))
    bake_take(scene, take, _targets(demo_rig))
    mesh = bpy.data.objects[demo_rig.mesh]
    # scene frame f shows the take at t = (f - start) / 24 s; at 60 fps that is take frame 2.5 * (f - start)
    for f in (1, 3, 25, 49):
        scene.frame_set(f)
        t = (f - 1) / 24.0
        expected = np.array([np.interp(t, take.take.time, take.take.expression[:, j]) for j in range(46)])
        np.testing.assert_allclose(shape_values(mesh, FW), expected, atol=1e-5)
    from blender_addon.blender.anim_write import active_fcurves

    jaw = [fc for fc in active_fcurves(mesh.data.shape_keys) if '"JawOpen"' in fc.data_path]
    assert len(jaw) == 1 and len(jaw[0].keyframe_points) == 121
    assert jaw[0].keyframe_points[-1].co[0] == pytest.approx(1 + 2.0 * 24)  # 2 s of take at 24 fps


def test_set_scene_timing_from_clip(demo_rig, tmp_path):
    from blender_addon.blender.bake import BakeOptions, bake_take

    scene = bpy.context.scene
    take = _load(takegen.write_take(tmp_path / "ntsc.npz", frames=100, fps=25.0))
    bake_take(scene, take, _targets(demo_rig), options=BakeOptions(set_scene_timing=True))
    assert scene.render.fps == 25 and scene.render.fps_base == pytest.approx(1.0)
    assert scene.frame_end == scene.frame_start + 99


def test_actions_nla_and_foreign_action_untouched(demo_rig, tmp_path):
    from blender_addon.blender.anim_write import ACTION_TAG
    from blender_addon.blender.bake import BakeTargets, bake_take

    scene = bpy.context.scene
    mesh = bpy.data.objects[demo_rig.mesh]
    key = mesh.data.shape_keys
    # the user's own animation: one keyframe on JawOpen
    key.key_blocks["JawOpen"].value = 0.25
    key.key_blocks["JawOpen"].keyframe_insert("value", frame=7)
    user_action = key.animation_data.action
    user_action.name = "users_action"
    targets = BakeTargets(mesh=demo_rig.mesh)

    bake_take(scene, _load(takegen.write_take(tmp_path / "take_a.npz", frames=30)), targets)
    bake_take(scene, _load(takegen.write_take(tmp_path / "take_b.npz", frames=30, seed=5)), targets)
    ad = key.animation_data
    assert ad.action.name == "take_b"
    assert [t.name for t in ad.nla_tracks] == ["users_action", "take_a"]
    # the user's action is untouched: not tagged, one curve with one key at (7, 0.25)
    assert ACTION_TAG not in user_action.keys()
    assert bpy.data.actions["take_a"][ACTION_TAG] == "take_a"
    assert bpy.data.actions["take_a"].use_fake_user and bpy.data.actions["take_b"].use_fake_user
    from blender_addon.blender.anim_write import active_fcurves

    ad.action = None
    ad.action = user_action
    if hasattr(ad, "action_slot") and ad.action_slot is None and len(user_action.slots):
        ad.action_slot = user_action.slots[0]
    curves = active_fcurves(key)
    assert len(curves) == 1 and len(curves[0].keyframe_points) == 1
    assert tuple(curves[0].keyframe_points[0].co) == pytest.approx((7.0, 0.25))
    ad.action = bpy.data.actions["take_b"]
    # re-baking the active take rewrites its own Action in place: no new Action, no new NLA track
    n_actions = len(bpy.data.actions)
    if hasattr(ad, "action_slot") and ad.action_slot is None:
        ad.action_slot = bpy.data.actions["take_b"].slots[0]
    bake_take(scene, _load(tmp_path / "take_b.npz"), targets)
    assert len(bpy.data.actions) == n_actions and len(ad.nla_tracks) == 2 and ad.action.name == "take_b"


def test_key_reduction_within_tolerance(demo_rig, tmp_path):
    from blender_addon.blender.bake import BakeOptions, BakeTargets, bake_take

    scene = bpy.context.scene
    take = _load(takegen.write_take(tmp_path / "reduced.npz", frames=300))
    tol = 0.01
    result = bake_take(scene, take, BakeTargets(mesh=demo_rig.mesh), options=BakeOptions(key_tolerance=tol))
    assert result.keys < 300 * 46 / 2
    mesh = bpy.data.objects[demo_rig.mesh]
    for i in range(0, 300, 7):
        scene.frame_set(1 + i)
        assert np.max(np.abs(shape_values(mesh, FW) - take.take.expression[i])) <= tol + 1e-5


def test_head_quaternion_flips_are_removed(demo_rig, tmp_path):
    from blender_addon.blender.bake import BakeTargets, bake_take

    arrays = takegen.make_take_arrays(40)
    arrays["head_rotation"][1::2] *= -1  # same rotations, alternating sign
    path = tmp_path / "flippy.npz"
    np.savez(path, **arrays)
    scene = bpy.context.scene
    bake_take(scene, _load(path), BakeTargets(head_object=demo_rig.armature, head_bone="head"))
    arm = bpy.data.objects[demo_rig.armature]
    qs = []
    for f in range(1, 41):
        scene.frame_set(f)
        qs.append(np.array(arm.pose.bones["head"].rotation_quaternion))
    qs = np.array(qs)
    assert np.all(np.einsum("ij,ij->i", qs[1:], qs[:-1]) > 0.9)


def test_bake_operator_with_calibration_and_gain(demo_rig, tmp_path):
    scene = bpy.context.scene
    s = scene.facemocap
    path = takegen.write_take(tmp_path / "op_take.npz", frames=50)
    take = _load(path)
    s.take_path = str(path)
    s.target_mesh = bpy.data.objects[demo_rig.mesh]
    s.use_neutral, s.neutral_start, s.neutral_end = True, 5, 5
    s.gain = 1.5
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    scene.frame_set(1 + 20)
    expected = np.clip((take.take.expression[20] - take.take.expression[5]) * 1.5, 0, 1)
    np.testing.assert_allclose(shape_values(s.target_mesh, FW), expected, atol=1e-5)
    assert "46/46" in s.match_summary


def test_bake_operator_reports_missing_take(scene):
    s = scene.facemocap
    s.take_path = "/nonexistent/take.npz"
    make_shape_key_mesh("m", ["JawOpen"])
    s.target_mesh = bpy.data.objects["m"]
    n = len(bpy.data.actions)
    with pytest.raises(RuntimeError, match="take file not found"):
        bpy.ops.facemocap.bake()
    assert len(bpy.data.actions) == n


def test_bake_operator_reports_mesh_without_matching_keys(scene, tmp_path):
    s = scene.facemocap
    s.take_path = str(takegen.write_take(tmp_path / "t.npz", frames=10))
    s.target_mesh = make_shape_key_mesh("odd", ["Foo", "Bar"])
    with pytest.raises(RuntimeError, match="none of the rig"):
        bpy.ops.facemocap.bake()


def test_head_object_rotation_and_translation(scene, tmp_path):
    """An object target (an empty) gets rotation relative to its rest and location offsets in Blender axes, in its
    own rotation mode (an empty's default XYZ Euler: the artist's rig is left as they set it up).
    """
    from blender_addon.blender.bake import BakeTargets, bake_take
    from blender_addon.pure import coords

    head = bpy.data.objects.new("HeadEmpty", None)
    scene.collection.objects.link(head)
    head.location = (0.0, 0.0, 1.5)
    take = _load(takegen.write_take(tmp_path / "moving.npz", frames=30))
    bake_take(scene, take, BakeTargets(head_object="HeadEmpty", head_translation=True))
    expected_q = coords.camera_to_blender_head_rotations(take.take.head_rotation)
    # camera +z (away from the camera) is Blender +Y; the take moves 1 cm * sin(t) along camera z
    assert head.rotation_mode == "XYZ"
    for i in (0, 10, 29):
        scene.frame_set(1 + i)
        q = np.array(head.matrix_basis.to_quaternion())
        assert abs(abs(q @ expected_q[i]) - 1) < 1e-6
        dz_cm = take.take.head_translation[i, 2] - take.take.head_translation[0, 2]
        np.testing.assert_allclose(np.array(head.location), [0, dz_cm * 0.01, 1.5], atol=1e-6)


def test_a_take_past_blenders_last_frame_is_refused_before_anything_changes(scene, tmp_path):
    """Keys past frame 1,048,574 can be neither reached nor played (the scene's end is clamped there)."""
    from blender_addon.blender.bake import BakeError, BakeOptions, BakeTargets, bake_take

    mesh = make_shape_key_mesh("m", list(takegen.fw46_names()))
    take = _load(takegen.write_take(tmp_path / "t.npz", frames=900))
    options = BakeOptions(set_scene_timing=True, start_frame=1_048_000)
    with pytest.raises(BakeError, match=r"would end at frame 1,048,899, past Blender's last frame 1,048,574"):
        bake_take(scene, take, BakeTargets(mesh="m"), options=options)
    assert mesh.data.shape_keys.animation_data is None and scene.frame_start == 1


def test_an_ntsc_take_sets_blenders_own_ntsc_frame_base(scene, tmp_path):
    """29.97 / 59.94 / 23.976 as Blender's presets set them (fps_base 1.001): 1.001001 drifted against the video."""
    from blender_addon.blender.bake import set_scene_timing

    for fps in (30000 / 1001, 59.94, 24000 / 1001):
        take = _load(takegen.write_take(tmp_path / f"{fps:.3f}.npz", frames=10, fps=fps))
        set_scene_timing(scene, take)
        assert (scene.render.fps, scene.render.fps_base) == (round(fps), pytest.approx(1.001, abs=1e-7))


def test_a_bake_reports_its_progress_curve_by_curve(scene, tmp_path):
    """A long take bakes for seconds (an hour at 60 fps: 13 s; with Reduce Keys longer): the panel's Bake shows the
    share written on the cursor, from these calls.
    """
    from blender_addon.blender.bake import BakeTargets, bake_take

    make_shape_key_mesh("m", list(takegen.fw46_names()))
    head = bpy.data.objects.new("Head", None)
    scene.collection.objects.link(head)
    shares: list[float] = []
    take = _load(takegen.write_take(tmp_path / "t.npz", frames=30))
    bake_take(scene, take, BakeTargets(mesh="m", head_object="Head"), progress=shares.append)
    assert len(shares) == 46 + 3 and shares == sorted(shares) and shares[-1] == 1.0  # 46 keys, the head's Euler
    s = scene.facemocap
    s.target_mesh, s.take_path = bpy.data.objects["m"], str(tmp_path / "t.npz")
    assert bpy.ops.facemocap.bake() == {"FINISHED"}  # the operator's progress calls work headless too


def test_a_take_at_another_rate_than_the_scene_is_said(scene, tmp_path):
    """A 30 fps take baked into the default 24 fps scene lands between its frames (timed right, but an animator
    scrubbing frames sees in-betweens): the report says so, and what makes the scene the take's.
    """
    from blender_addon.blender.bake import BakeTargets, bake_take

    make_shape_key_mesh("Face", takegen.arkit52_names())
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    assert _load(path).take.fps == 30
    scene.render.fps, scene.render.fps_base = 24, 1.0
    said = [w for w in bake_take(scene, _load(path), BakeTargets(mesh="Face")).warnings if "fps" in w]
    assert said == [
        "the take is 30 fps and the scene 24 fps: its keys fall between the scene's frames, timed right (Set Scene "
        "FPS and Range, the batch's --set-scene-timing, makes the scene the take's)"
    ]
    scene.render.fps = 30
    assert not [w for w in bake_take(scene, _load(path), BakeTargets(mesh="Face")).warnings if "fps" in w]
