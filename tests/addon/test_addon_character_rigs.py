"""Baking onto character rigs the test builds itself in real Blender: one rig per naming scheme, the 175-key mesh
with several sets, a three-mesh head (Ready Player Me) under an armature, a collection, and a jaw-bone rig with a
neck. Baked values are read back after ``frame_set`` at sampled frames and compared with the take.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import rigsgen  # noqa: E402
import takegen  # noqa: E402
from conftest import make_shape_key_mesh  # noqa: E402

from blender_addon._rigs import rigs  # noqa: E402

FRAMES = (0, 17, 59)
DECOY = "MyCorrective"  # a key of the artist's that no mapping drives


def _take(tmp_path, name="clip", frames=60, seed=0):
    path = takegen.write_take(tmp_path / f"{name}.npz", frames=frames, seed=seed)
    return path, np.load(path)["expression"]


def _curves(id_data) -> dict[str, object]:
    from blender_addon.blender.anim_write import active_fcurves

    return {fc.data_path: fc for fc in active_fcurves(id_data)}


def _key_path(obj, key: str) -> str:
    return obj.data.shape_keys.key_blocks[key].path_from_id("value")


def _armature(
    name: str, bones: list[tuple[str, tuple, tuple, str]], rotation=(0.0, 0.0, 0.0), scale=1.0, facing_deg=0.0
):
    """An armature object with ``(bone, head, tail, parent)`` bones (metres, a character facing -Y; roll 0 in the
    armature's own space), quaternion rotation mode; the object turned by ``rotation`` (Euler XYZ, radians) and
    scaled by ``scale``, the character standing turned ``facing_deg`` about Z in the world.
    """
    from mathutils import Matrix, Vector

    turn = Matrix.Rotation(math.radians(facing_deg), 4, "Z")

    arm = bpy.data.objects.new(name, bpy.data.armatures.new(name))
    bpy.context.scene.collection.objects.link(arm)
    arm.rotation_euler, arm.scale = rotation, (scale, scale, scale)
    bpy.context.view_layer.update()
    to_local = arm.matrix_world.inverted()
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        for bone, head, tail, parent in bones:
            eb = arm.data.edit_bones.new(bone)
            eb.head, eb.tail = to_local @ turn @ Vector(head), to_local @ turn @ Vector(tail)
            eb.roll = 0.0
            if parent:
                eb.parent = arm.data.edit_bones[parent]
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
    return arm


def _deform_with(mesh_obj, arm) -> None:
    mesh_obj.parent = arm
    mesh_obj.modifiers.new("Armature", "ARMATURE").object = arm


def _target_armature(scene, arm):
    """Target an armature in the panel and let Find Face Bones pick its bones; the panel's settings."""
    s = scene.facemocap
    s.target_kind, s.target_armature = "ARMATURE", arm
    assert bpy.ops.facemocap.find_face_bones() == {"FINISHED"}
    return s


def _bake_with_panel(scene, path, **settings):
    s = scene.facemocap
    s.take_path = str(path)
    for name, value in settings.items():
        setattr(s, name, value)
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    return [item.name for item in s.match_lines]


@pytest.mark.parametrize("case", sorted(rigsgen.naming_cases()))
def test_feature_every_naming_scheme_bakes_without_renaming(scene, tmp_path, case):
    list_name, pairs = rigsgen.naming_cases()[case]
    obj = make_shape_key_mesh("Character", [k for k, _ in pairs] + [DECOY])
    path, expression = _take(tmp_path)
    lines = _bake_with_panel(scene, path, target_mesh=obj)
    mapping = rigs.load_mapping(f"facewarehouse46_to_{list_name}")
    rig_names = {name for _, name in pairs}
    for_rig = mapping.for_rig(rig_names)
    fed = {k.target for k in for_rig.links}
    expected = for_rig.apply(expression)  # (T, targets)
    curves = _curves(obj.data.shape_keys)
    assert len(curves) == sum(1 for _, name in pairs if name in fed) > 0
    for i in FRAMES:
        scene.frame_set(scene.frame_start + i)
        for key, name in pairs:
            if name in fed:
                got = obj.data.shape_keys.key_blocks[key].value
                assert got == pytest.approx(float(expected[i, mapping.target_names.index(name)]), abs=1e-6), key
            else:
                assert _key_path(obj, key) not in curves, key  # no source channel: the artist's key is untouched
    assert f"Character: left alone: {DECOY}" in lines
    missing = [t for t in mapping.target_names if t not in rig_names and t in {k.target for k in mapping.links}]
    found_nowhere = [line for line in lines if line.startswith("Not found on any mesh")]
    assert found_nowhere == ([f"Not found on any mesh ({len(missing)}): " + ", ".join(missing)] if missing else [])


def test_feature_numbered_set_among_175_keys(scene, tmp_path):
    keys = rigsgen.numbered_multiset_keys()
    obj = make_shape_key_mesh("Export175", keys)
    path, expression = _take(tmp_path)
    lines = _bake_with_panel(scene, path, target_mesh=obj)
    expected = rigs.load_mapping("facewarehouse46_to_arkit52").apply(expression)
    curves = _curves(obj.data.shape_keys)
    assert {p for p in curves} == {_key_path(obj, k) for k in keys[:52]} - {
        _key_path(obj, k) for k in ("AK_19_MouthClose", "AK_36_MouthPressLeft", "AK_37_MouthPressRight")
    } - {_key_path(obj, "AK_52_TongueOut")}
    for i in FRAMES:
        scene.frame_set(scene.frame_start + i)
        for j in (0, 7, 17, 23, 43):
            assert obj.data.shape_keys.key_blocks[keys[j]].value == pytest.approx(float(expected[i, j]), abs=1e-6)
    assert "Export175: 48 keys driven (AK_##_)" in lines
    assert "Export175: left alone: AA_VI_##_* (15), AU_##_* (60), SR_* (48)" in lines
    assert scene.facemocap.match_summary == "mapping facewarehouse46_to_arkit52: 52/52 matched"


def _ready_player_me(scene):
    """A Ready Player Me-like character: an armature with Neck, Head and eye bones; head, teeth and tongue meshes
    (each with its own ARKit keys) deformed by it; a body mesh without face keys.
    """
    arm = _armature(
        "Armature",
        [
            ("Hips", (0, 0, 0.9), (0, 0, 1.1), ""),
            ("Spine", (0, 0, 1.1), (0, 0, 1.45), "Hips"),
            ("Neck", (0, 0, 1.45), (0, 0, 1.55), "Spine"),
            ("Head", (0, 0, 1.55), (0, 0, 1.75), "Neck"),
            ("LeftEye", (0.03, -0.08, 1.65), (0.03, -0.1, 1.65), "Head"),
            ("RightEye", (-0.03, -0.08, 1.65), (-0.03, -0.1, 1.65), "Head"),
        ],
    )
    meshes = {}
    for name, keys in rigsgen.READY_PLAYER_ME.items():
        meshes[name] = make_shape_key_mesh(name, keys)
        _deform_with(meshes[name], arm)
    body = make_shape_key_mesh("Wolf3D_Body", ["Breathe"])
    _deform_with(body, arm)
    return arm, meshes


def test_feature_three_mesh_head_under_an_armature(scene, tmp_path):
    from blender_addon.blender.anim_write import ACTION_TAG

    arm, meshes = _ready_player_me(scene)
    path, expression = _take(tmp_path)
    s = _target_armature(scene, arm)
    assert (s.head_bone, s.neck_bone, s.eye_left_bone, s.eye_right_bone) == ("Head", "Neck", "LeftEye", "RightEye")
    lines = _bake_with_panel(scene, path)
    jaw = rigs.load_mapping("facewarehouse46_to_arkit52").apply(expression)[:, rigsgen.ARKIT.index("jawOpen")]
    for i in FRAMES:
        scene.frame_set(scene.frame_start + i)
        for obj in meshes.values():
            assert obj.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(float(jaw[i]), abs=1e-6)
    actions = {name: obj.data.shape_keys.animation_data.action for name, obj in meshes.items()}
    assert actions["Wolf3D_Head"].name == "clip"
    assert (
        actions["Wolf3D_Teeth"].name == "clip (Wolf3D_Teeth)"
        and actions["Wolf3D_Tongue"].name == "clip (Wolf3D_Tongue)"
    )
    assert all(a[ACTION_TAG] == "clip" for a in actions.values())  # one group of Actions per take
    assert arm.animation_data.action.name == "clip (Armature)"
    assert "Wolf3D_Body: not driven (none of its 1 shape keys matches a target of facewarehouse46_to_arkit52)" in lines
    assert any(line.startswith("Wolf3D_Head: left alone: viseme_sil, viseme_PP") for line in lines)
    assert "Wolf3D_Teeth: 4 keys driven (no prefix)" in lines

    # A second take: every mesh's first take moves to its own NLA track; re-baking it rewrites in place.
    path2, _ = _take(tmp_path, "clip2", seed=3)
    _bake_with_panel(scene, path2)
    for name, obj in meshes.items():
        ad = obj.data.shape_keys.animation_data
        assert ad.action[ACTION_TAG] == "clip2" and [t.name for t in ad.nla_tracks] == [actions[name].name]
    n_actions = len(bpy.data.actions)
    _bake_with_panel(scene, path2)
    assert len(bpy.data.actions) == n_actions
    assert all(len(obj.data.shape_keys.animation_data.nla_tracks) == 1 for obj in meshes.values())


def test_feature_collection_target(scene, tmp_path):
    coll = bpy.data.collections.new("Character")
    scene.collection.children.link(coll)
    parts = {name: make_shape_key_mesh(name, keys) for name, keys in rigsgen.READY_PLAYER_ME.items()}
    for obj in parts.values():
        scene.collection.objects.unlink(obj)
        coll.objects.link(obj)
    path, expression = _take(tmp_path)
    lines = _bake_with_panel(scene, path, target_kind="COLLECTION", target_collection=coll)
    assert scene.facemocap.match_summary.startswith(
        "mapping facewarehouse46_to_arkit52: 52/52 matched on 3 meshes (Wolf3D_Head 48, Wolf3D_Teeth 4, "
        "Wolf3D_Tongue 1)"
    )
    assert "No source channel, left untouched (4): mouthClose, mouthPressLeft, mouthPressRight, tongueOut" in lines
    scene.frame_set(scene.frame_start + 17)
    fwd = rigs.load_mapping("facewarehouse46_to_arkit52").apply(expression)[17, rigsgen.ARKIT.index("jawForward")]
    assert parts["Wolf3D_Teeth"].data.shape_keys.key_blocks["jawForward"].value == pytest.approx(float(fwd), abs=1e-6)


def _jaw_rig(scene, name="FaceRig", rotation=(0.0, 0.0, 0.0), scale=1.0, facing_deg=0.0):
    """A hand-made rig: neck -> head -> jaw (hinge below the ears, pointing to the chin) and eye bones; the face
    mesh has blink keys only, so the jaw is bone-driven. ``rotation`` / ``scale`` / ``facing_deg``: see
    :func:`_armature`.
    """
    arm = _armature(
        name,
        [
            ("root", (0, 0, 0), (0, 0, 0.2), ""),
            ("neck", (0, 0, 1.45), (0, 0, 1.55), "root"),
            ("head", (0, 0, 1.55), (0, 0, 1.75), "neck"),
            ("jaw", (0, 0.0, 1.58), (0, -0.09, 1.58), "head"),
            ("eye.L", (0.03, -0.08, 1.65), (0.03, -0.1, 1.65), "head"),
            ("eye.R", (-0.03, -0.08, 1.65), (-0.03, -0.1, 1.65), "head"),
        ],
        rotation,
        scale,
        facing_deg,
    )
    face = make_shape_key_mesh("Face", ["eyeBlinkLeft", "eyeBlinkRight"])
    _deform_with(face, arm)
    return arm, face


def _delta(pb) -> np.ndarray:
    """A pose bone's rotation from its rest orientation, in armature axes."""
    return np.array(pb.matrix.to_3x3()) @ np.array(pb.bone.matrix_local.to_3x3()).T


def _angle(m: np.ndarray) -> float:
    return math.acos(np.clip((np.trace(m) - 1) / 2, -1, 1))


def test_feature_jaw_bone_neck_and_head(scene, tmp_path):
    from blender_addon.pure import coords

    arm, face = _jaw_rig(scene)
    path, expression = _take(tmp_path)
    s = _target_armature(scene, arm)
    assert (s.jaw_bone, s.neck_bone, s.head_bone) == ("jaw", "neck", "head")
    s.jaw_open_deg, s.jaw_side_deg, s.jaw_forward_cm, s.neck_share = 30.0, 10.0, 0.5, 0.4
    lines = _bake_with_panel(scene, path)
    assert "Jaw: FaceRig:jaw from JawOpen (30 deg), JawLeft / JawRight (10 deg), JawFwd (0.5 cm)" in lines
    take = takegen.make_take(60)
    head_q = coords.camera_to_blender_head_rotations(take.head_rotation)
    names = takegen.fw46_names()
    pose = arm.pose.bones
    for i in FRAMES:
        scene.frame_set(scene.frame_start + i)
        head, neck = _delta(pose["head"]), _delta(pose["neck"])
        from engine.contract.quaternion import quaternion_wxyz_to_matrix

        np.testing.assert_allclose(head, quaternion_wxyz_to_matrix(head_q[i]), atol=1e-5)  # the head ends as taken
        assert _angle(neck) == pytest.approx(0.4 * _angle(head), abs=1e-5)
        # The jaw relative to the head: the chin (bone Y, -Y at rest) turns down by open x 30 deg and toward +X by
        # (left - right) x 10 deg.
        chin = head.T @ _delta(pose["jaw"]) @ np.array([0.0, -1.0, 0.0])
        w_open = expression[i, names.index("JawOpen")]
        w_side = expression[i, names.index("JawLeft")] - expression[i, names.index("JawRight")]
        assert math.degrees(math.asin(-chin[2])) == pytest.approx(30.0 * w_open, abs=1e-3)
        assert math.degrees(math.atan2(chin[0], -chin[1])) == pytest.approx(10.0 * w_side, abs=1e-3)
        slide = np.array(pose["jaw"].bone.matrix_local.to_3x3()) @ np.array(pose["jaw"].location)
        np.testing.assert_allclose(slide, [0, -0.005 * expression[i, names.index("JawFwd")], 0], atol=1e-7)
        assert face.data.shape_keys.key_blocks["eyeBlinkLeft"].value == pytest.approx(
            float(expression[i, names.index("EyeBlink_L")]), abs=1e-6
        )


def _world_tails(arm) -> np.ndarray:
    """``(B, 3)`` world positions of each bone's tail, posed, in metres."""
    return np.array([tuple(arm.matrix_world @ pb.tail) for pb in arm.pose.bones])


@pytest.mark.parametrize(
    ("rotation", "scale", "facing_deg"),
    [
        ((math.pi / 2, 0.0, 0.0), 0.01, 0.0),  # as Blender's FBX importer leaves a character: Y-up bones in cm
        ((0.0, 0.0, math.pi), 1.0, 180.0),  # a character turned to face a camera at +Y
        ((math.pi / 2, 0.0, math.pi / 2), 0.01, 90.0),  # both
    ],
)
def test_feature_a_turned_or_scaled_armature_moves_as_a_z_up_metre_rig(scene, tmp_path, rotation, scale, facing_deg):
    """Head, neck, jaw (turn and slide) and eyes move in the character's own axes whatever the armature object's
    rotation and scale: every bone's tail where the Z-up metre rig's goes, turned as the character faces.
    """
    path, _ = _take(tmp_path)
    made = {}
    for name, rot, sc, turn in (("ZupRig", (0.0, 0.0, 0.0), 1.0, 0.0), ("TurnedRig", rotation, scale, facing_deg)):
        arm, _ = _jaw_rig(scene, name, rot, sc, turn)
        s = _target_armature(scene, arm)
        assert (s.jaw_bone, s.neck_bone, s.head_bone, s.eye_left_bone) == ("jaw", "neck", "head", "eye.L")
        s.jaw_forward_cm = 2.0  # a slide large enough to see in the tails
        _bake_with_panel(scene, path)
        made[name] = arm
    c, si = math.cos(math.radians(facing_deg)), math.sin(math.radians(facing_deg))
    facing = np.array([[c, -si, 0.0], [si, c, 0.0], [0.0, 0.0, 1.0]])
    for i in FRAMES:
        scene.frame_set(scene.frame_start + i)
        np.testing.assert_allclose(_world_tails(made["TurnedRig"]), _world_tails(made["ZupRig"]) @ facing.T, atol=2e-5)
    scene.frame_set(scene.frame_start + FRAMES[1])
    rest = np.array([tuple(made["ZupRig"].matrix_world @ b.tail_local) for b in made["ZupRig"].data.bones])
    assert np.abs(_world_tails(made["ZupRig"]) - rest).max() > 0.005  # the take moves the bones (not a still rig)


def test_feature_a_head_object_turned_to_face_plus_y_nods_as_the_actor_does(scene, tmp_path):
    """A bust turned 180 deg about Z (facing a camera at +Y) as its own head target: an actor's nod down turns its
    face down, as on a bust facing -Y (the rotation is the character's, not the world's).
    """
    import dataclasses

    from engine.contract.frames import FRONTAL_ROTATION
    from engine.contract.quaternion import axis_angle_to_quaternion_wxyz, quaternion_multiply
    from engine.contract.take_io import save_take

    take = takegen.make_take(20)
    nod = axis_angle_to_quaternion_wxyz(np.array([1.0, 0.0, 0.0]), np.full(20, 0.35))  # chin down, camera axes
    q = quaternion_multiply(nod, np.asarray(FRONTAL_ROTATION)).astype(np.float32)
    path = tmp_path / "nod.npz"
    save_take(path, dataclasses.replace(take, head_rotation=q, head_rotation_raw=q.copy()))
    faces = {}
    for turn in (0.0, 180.0):
        bust = make_shape_key_mesh(f"Bust{turn:g}", [*takegen.arkit52_names()])
        bust.rotation_euler = (0.0, 0.0, math.radians(turn))
        s = scene.facemocap
        s.target_kind, s.target_mesh, s.head_target = "MESH", bust, bust
        _bake_with_panel(scene, path)
        scene.frame_set(scene.frame_start + 5)
        faces[turn] = np.array(bust.matrix_world.to_3x3()) @ np.array([0.0, -1.0, 0.0])
    assert faces[0.0][2] == pytest.approx(-math.sin(0.35), abs=1e-4)  # looks down
    np.testing.assert_allclose(faces[180.0], faces[0.0] * [-1.0, -1.0, 1.0], atol=1e-5)  # and so does the turned one


@pytest.mark.parametrize("body_keys", [["Breathe", "Fit_Jacket"], ["mouthOpen", "mouthSmile"]])
def test_feature_face_bones_bake_when_the_characters_keys_match_nothing(scene, tmp_path, body_keys):
    """A character with face bones whose meshes' shape keys are not face keys (a body's fit keys, a Ready Player Me
    head exported without ARKit morphs): head, neck and eyes bake, and the report says the keys were not.
    """
    arm, face = _jaw_rig(scene)
    face.data.shape_keys.key_blocks["eyeBlinkLeft"].name = body_keys[0]
    face.data.shape_keys.key_blocks["eyeBlinkRight"].name = body_keys[1]
    path, _ = _take(tmp_path)
    s = _target_armature(scene, arm)
    assert (s.head_bone, s.eye_left_bone) == ("head", "eye.L")
    _bake_with_panel(scene, path)
    bones = {fc.data_path.split('"')[1] for fc in _curves(arm).values()}
    assert {"neck", "head", "eye.L", "eye.R"} <= bones
    assert face.data.shape_keys.animation_data is None  # the artist's keys untouched

    from blender_addon.blender.bake import BakeTargets, bake_take
    from blender_addon.pure.retarget import NoKeyMatchesError
    from blender_addon.pure.takes import open_take

    only_keys = BakeTargets(mesh=face.name)
    with pytest.raises(NoKeyMatchesError, match="none of the rig's 2 shape keys"):
        bake_take(scene, open_take(path), only_keys)  # nothing else to bake: the keys' mismatch is the error
    result = bake_take(scene, open_take(path), BakeTargets(mesh=face.name, head_object=arm.name, head_bone="head"))
    assert any(w.startswith("no shape keys baked, only the head, jaw and eye targets") for w in result.warnings)


def test_exception_neck_without_head_bone(scene, tmp_path):
    arm, _ = _jaw_rig(scene)
    path, _ = _take(tmp_path, frames=10)
    s = scene.facemocap
    s.take_path, s.head_target, s.neck_bone = str(path), arm, "neck"
    with pytest.raises(RuntimeError, match="a head bone for neck bone 'neck'"):
        bpy.ops.facemocap.bake()


def test_feature_jaw_on_both_bone_and_key_warns(scene, tmp_path, capsys):
    from blender_addon.blender.bake import BakeTargets, bake_take
    from blender_addon.pure.takes import open_take

    arm, _ = _jaw_rig(scene)
    teeth = make_shape_key_mesh("Teeth", ["jawOpen"])
    path, _ = _take(tmp_path, frames=10)
    result = bake_take(scene, open_take(path), BakeTargets(mesh=teeth.name, jaw_object=arm.name, jaw_bone="jaw"))
    assert any("JawOpen drives both the jaw bone and shape key(s) jawOpen" in w for w in result.warnings)
