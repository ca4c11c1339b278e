"""Nothing an artist made is lost to a bake, in real Blender: curves keyed on a take's Action, a second take of the
same name, a rig's rotation mode and its Euler animation, a failed bake, NLA tweak mode, a moved head object.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

import takegen  # noqa: E402
from conftest import make_shape_key_mesh  # noqa: E402


def _overridden_character(tmp_path, objects) -> None:
    """Save ``objects`` in a collection of a library file, then start a shot that links it as a library override
    (editable, as a studio brings a character in).
    """
    coll = bpy.data.collections.new("CharColl")
    bpy.context.scene.collection.children.link(coll)
    for obj in objects:
        for users in list(obj.users_collection):
            users.objects.unlink(obj)
        coll.objects.link(obj)
    library = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library))
    bpy.ops.wm.read_homefile(use_empty=True)
    with bpy.data.libraries.load(str(library), link=True) as (_, linked):
        linked.collections = ["CharColl"]
    bpy.context.scene.collection.children.link(linked.collections[0])
    linked.collections[0].override_hierarchy_create(bpy.context.scene, bpy.context.view_layer, do_fully_editable=True)


def _open(path):
    from blender_addon.pure.takes import open_take

    return open_take(path)


def _bake(scene, path, **targets):
    from blender_addon.blender.bake import BakeTargets, bake_take

    return bake_take(scene, _open(path), BakeTargets(**targets))


def _curves(id_data) -> set[str]:
    from blender_addon.blender.anim_write import active_fcurves

    return {fc.data_path for fc in active_fcurves(id_data)}


def _arkit_mesh(extra=()):
    return make_shape_key_mesh("Char", [*takegen.arkit52_names(), *extra])


def test_a_curve_keyed_on_a_takes_action_survives_a_rebake(scene, tmp_path):
    mesh = _arkit_mesh(["MyCorrective"])
    key = mesh.data.shape_keys
    take = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, take, mesh="Char")
    baked = key.animation_data.action
    _bake(scene, take, mesh="Char")  # an untouched re-bake rewrites its Action in place
    assert key.animation_data.action == baked and len(key.animation_data.nla_tracks) == 0

    corrective = key.key_blocks["MyCorrective"]
    corrective.value = 0.8
    corrective.keyframe_insert("value", frame=20)  # lands in the take's Action, the active one
    assert 'key_blocks["MyCorrective"].value' in _curves(key)
    result = _bake(scene, take, mesh="Char")  # e.g. a new gain
    ad = key.animation_data
    assert ad.action != baked and [t.name for t in ad.nla_tracks] == [baked.name]
    assert any("had been edited since" in w for w in result.warnings)
    ad.action = None
    ad.action = baked  # the edited Action is untouched, the corrective in it
    if hasattr(ad, "action_slot") and ad.action_slot is None:
        ad.action_slot = baked.slots[0]
    assert 'key_blocks["MyCorrective"].value' in _curves(key)
    scene.frame_set(20)
    assert corrective.value == pytest.approx(0.8)


def test_an_untouched_take_saved_and_opened_again_is_rebaked_in_place(scene, tmp_path):
    _arkit_mesh()
    take = takegen.write_take(tmp_path / "shot.npz", frames=300)
    _bake(scene, take, mesh="Char")
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "shot.blend"))
    key = bpy.data.objects["Char"].data.shape_keys
    baked = key.animation_data.action
    result = _bake(bpy.context.scene, take, mesh="Char")
    assert key.animation_data.action == baked and len(key.animation_data.nla_tracks) == 0
    assert not any("had been edited since" in w for w in result.warnings)


@pytest.mark.parametrize("edit", ["one_key", "mute", "interpolation", "up_and_down", "handles"])
def test_a_hand_edit_of_a_baked_curve_is_kept(scene, tmp_path, edit):
    from blender_addon.blender.anim_write import active_fcurves

    mesh = _arkit_mesh()
    key = mesh.data.shape_keys
    take = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, take, mesh="Char")
    baked = key.animation_data.action
    jaw = next(fc for fc in active_fcurves(key) if "jawOpen" in fc.data_path)
    if edit == "one_key":
        jaw.keyframe_points[5].co.y = 0.99  # the artist fixes one frame
    elif edit == "mute":  # the edits below keep the curve's sums: only the digest tells them
        jaw.mute = True
    elif edit == "interpolation":
        for point in jaw.keyframe_points:
            point.interpolation = "CONSTANT"
    elif edit == "up_and_down":  # two hand fixes that cancel in any sum
        jaw.keyframe_points[5].co.y += 0.1
        jaw.keyframe_points[9].co.y -= 0.1
    else:
        jaw.keyframe_points[5].handle_left_type = "FREE"
        jaw.keyframe_points[5].handle_left.y += 0.2
    result = _bake(scene, take, mesh="Char")
    assert key.animation_data.action != baked and key.animation_data.nla_tracks[0].strips[0].action == baked
    assert any("had been edited since" in w for w in result.warnings)


def test_two_takes_of_the_same_name_are_two_takes(scene, tmp_path):
    mesh = _arkit_mesh()
    (tmp_path / "day1").mkdir()
    (tmp_path / "day2").mkdir()
    first = takegen.write_take(tmp_path / "day1" / "shot.npz", frames=30, seed=1)
    second = takegen.write_take(tmp_path / "day2" / "shot.npz", frames=40, seed=2)
    _bake(scene, first, mesh="Char")
    day1 = mesh.data.shape_keys.animation_data.action
    _bake(scene, second, mesh="Char")
    ad = mesh.data.shape_keys.animation_data
    assert ad.action != day1 and ad.nla_tracks[0].strips[0].action == day1  # day 1 kept on NLA, not rewritten


def _armature_with_euler_head():
    arm = bpy.data.armatures.new("Arm")
    obj = bpy.data.objects.new("Arm", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for name, y in (("head", 0.0), ("eye.L", 0.1)):
        bone = arm.edit_bones.new(name)
        bone.head, bone.tail = (0.0, y, 1.6), (0.0, y, 1.7)
    bpy.ops.object.mode_set(mode="OBJECT")
    head = obj.pose.bones["head"]
    head.rotation_mode = "XYZ"
    head.rotation_euler = (0.1, 0.2, 0.3)
    head.keyframe_insert("rotation_euler", frame=1)
    head.rotation_euler = (0.4, 0.0, 0.0)
    head.keyframe_insert("rotation_euler", frame=20)
    return obj


def test_a_failed_bake_leaves_the_rig_as_it_was(scene, tmp_path):
    from blender_addon.blender.target_check import TargetError

    rig = _armature_with_euler_head()
    action = rig.animation_data.action
    with pytest.raises(TargetError, match="not in this file: left eye bone 'Arm:eye.LEFT_TYPO'"):
        _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), head_object="Arm", head_bone="head",
              eye_objects=("Arm", ""), eye_bones=("eye.LEFT_TYPO", ""))  # fmt: skip
    assert rig.pose.bones["head"].rotation_mode == "XYZ" and rig.animation_data.action == action
    scene.frame_set(1)
    np.testing.assert_allclose(tuple(rig.pose.bones["head"].rotation_euler), (0.1, 0.2, 0.3), atol=1e-6)


def test_an_euler_head_bone_is_baked_in_euler(scene, tmp_path):
    from blender_addon.pure import coords

    rig = _armature_with_euler_head()
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, path, head_object="Arm", head_bone="head")
    head = rig.pose.bones["head"]
    assert head.rotation_mode == "XYZ"  # the artist's Euler animation, now on NLA, still turns it
    assert {p.rsplit(".", 1)[-1] for p in _curves(rig)} == {"rotation_euler"}
    rest = np.array(head.bone.matrix_local.to_3x3())
    expected = coords.character_to_local_rotations(
        coords.camera_to_blender_head_rotations(_open(path).take.head_rotation), rest
    )
    for i in (0, 15, 29):
        scene.frame_set(1 + i)
        assert abs(abs(np.array(head.rotation_euler.to_quaternion()) @ expected[i]) - 1) < 1e-5


def test_nla_tweak_mode_is_refused_and_nothing_changes(scene, tmp_path):
    from blender_addon.blender.anim_write import NlaTweakModeError, push_action_to_nla

    mesh = _arkit_mesh()
    key = mesh.data.shape_keys
    key.key_blocks["jawOpen"].keyframe_insert("value", frame=1)
    ad = key.animation_data
    push_action_to_nla(ad, ad.action)
    ad.nla_tracks[0].strips[0].select = True
    ad.use_tweak_mode = True
    tracks = len(ad.nla_tracks)
    with pytest.raises(NlaTweakModeError, match="'Char' is in NLA tweak mode"):
        _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char")
    assert len(ad.nla_tracks) == tracks and ad.use_tweak_mode


def test_a_character_linked_from_a_library_is_refused_and_nothing_changes(scene, tmp_path):
    from blender_addon.blender.target_check import TargetError

    _arkit_mesh()
    library = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library))
    bpy.ops.wm.read_homefile(use_empty=True)
    with bpy.data.libraries.load(str(library), link=True) as (_, linked):
        linked.objects = ["Char"]
    bpy.context.scene.collection.objects.link(linked.objects[0])
    actions = len(bpy.data.actions)
    with pytest.raises(TargetError, match=r"'Char' is linked from .*character.blend.* make it a library override"):
        _bake(bpy.context.scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char")
    assert len(bpy.data.actions) == actions


def test_an_overridden_character_bakes_and_keeps_its_keys_a_linked_mesh_is_refused(scene, tmp_path):
    """A library override keeps what is baked on it, its mesh's shape keys and its head object alike, through save
    and reopen; an override whose mesh is still linked cannot keep shape-key keys: refused, saying to override the
    mesh too (the advice was Make Local, which makes the library's one mesh local for every instance).
    """
    from blender_addon.blender.target_check import TargetError

    _overridden_character(tmp_path, [_arkit_mesh(), bpy.data.objects.new("HeadCtl", None)])
    face = next(o for o in bpy.data.objects if o.name == "Char" and o.override_library is not None)
    take = takegen.write_take(tmp_path / "shot.npz", frames=30)
    actions = len(bpy.data.actions)
    with pytest.raises(TargetError, match="'Char' is an override whose mesh is still linked from .* override its mesh"):
        _bake(bpy.context.scene, take, mesh="Char", head_object="HeadCtl")
    assert len(bpy.data.actions) == actions
    face.data.override_create(remap_local_usages=True)
    result = _bake(bpy.context.scene, take, mesh="Char", head_object="HeadCtl")
    shot = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    bpy.ops.wm.open_mainfile(filepath=str(shot))
    kept = {o.name: o for o in bpy.data.objects if o.override_library is not None}
    assert kept["HeadCtl"].animation_data.action.name in result.actions
    assert kept["Char"].data.shape_keys.animation_data.action.name == result.actions[0]


def test_a_head_object_moved_after_its_animation_was_cleared_bakes_from_where_it_is(scene, tmp_path):
    head = bpy.data.objects.new("HeadEmpty", None)
    scene.collection.objects.link(head)
    head.location = (0.0, 0.0, 1.6)
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, path, head_object="HeadEmpty")
    head.animation_data_clear()
    head.location = (5.0, 0.0, 1.6)
    head.rotation_euler = (0.0, 0.0, np.pi / 2)
    _bake(scene, path, head_object="HeadEmpty", head_translation=True)
    scene.frame_set(1)
    take = _open(path).take
    assert np.array(head.location)[0] == pytest.approx(5.0, abs=0.05)  # not snapped back to the first bake's rest
    first = np.array(head.matrix_basis.to_quaternion())
    from blender_addon.pure import coords

    q0 = coords.camera_to_blender_head_rotations(take.head_rotation)[0]
    turned = np.array([np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)])  # 90 deg about Z, w x y z
    from engine.contract.quaternion import quaternion_multiply

    assert abs(abs(first @ quaternion_multiply(q0[None], turned[None])[0]) - 1) < 1e-5


def test_a_take_file_name_is_never_another_clips_nor_another_parts(scene, tmp_path):
    from blender_addon.ui.operators.track import _enter_take, track_request
    from engine.contract.takes_record import RECORD_NAME

    s = scene.facemocap
    s.source_type, s.takes_dir = "VIDEO", str(tmp_path / "takes")
    day1, day2 = tmp_path / "day1" / "shot.mp4", tmp_path / "day2" / "shot.mp4"

    def tracked(clip: Path, part: tuple[float, float] | None = None) -> Path:
        """The take Track would write for the clip (and Range), after the engine wrote it as Track records it."""
        s.video_path = str(clip)
        s.use_range = part is not None
        if part is not None:
            s.range_start, s.range_end = part
        request = track_request(s, "python", "root")
        take = Path(request.output)
        take.parent.mkdir(exist_ok=True)
        take.write_bytes(b"a take")
        _enter_take(take, request)  # as the Track button does when the engine has written the take
        return take

    first = tracked(day1)
    assert first.name == "shot.npz" and (first.parent / RECORD_NAME).is_file()
    assert tracked(day1) == first  # a re-track of the same clip replaces its own take, as asked
    assert tracked(day2).name == "shot_2.npz"
    shot_a, shot_b = tracked(day1, (0.0, 4.0)), tracked(day1, (5.0, 6.0))  # two shots cut from one clip
    assert (shot_a.name, shot_b.name) == ("shot_3.npz", "shot_4.npz")  # the second replaced the first, and its bake
    assert tracked(day1, (0.0, 4.0)) == shot_a  # that shot tracked again: its own take
    (first.parent / "clip.npz").write_bytes(b"copied in by hand")  # a take the record does not know is never replaced
    assert tracked(tmp_path / "clip.mp4").name == "clip_2.npz"


def test_csv_export_of_keys_with_their_own_names_is_refused(scene, tmp_path):
    from blender_addon.blender.export import ExportError, export_livelink

    mesh = make_shape_key_mesh("Odd", ["MouthOpenBig", "Smile"])
    mesh.data.shape_keys.key_blocks["Smile"].keyframe_insert("value", frame=1)
    with pytest.raises(ExportError, match="no animated shape keys named like ARKit"):
        export_livelink(scene, mesh, tmp_path / "odd.csv")
    assert not (tmp_path / "odd.csv").exists()


def test_a_baked_key_that_a_driver_sets_is_named_in_the_report(scene, tmp_path):
    mesh = _arkit_mesh()
    driver = mesh.data.shape_keys.key_blocks["eyeBlinkLeft"].driver_add("value")
    driver.driver.expression = "0.11"
    result = _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char")
    assert any("eyeBlinkLeft" in w and "driver" in w for w in result.warnings), result.warnings


def test_csv_export_onto_a_file_it_did_not_write_says_how_to_allow_it_in_the_panel(scene, tmp_path):
    mesh = _arkit_mesh()
    _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char")
    scene.facemocap.target_mesh = mesh
    recording = tmp_path / "phone.csv"
    recording.write_text("an actor's recording")
    with pytest.raises(RuntimeError, match="tick Overwrite"):
        bpy.ops.facemocap.export_livelink_csv(filepath=str(recording))
    assert recording.read_text() == "an actor's recording"


def test_csv_export_takes_head_and_gaze_from_the_baked_take_not_the_panels(scene, tmp_path):
    from engine.contract.livelink_csv import read_livelink_csv

    mesh = _arkit_mesh()
    baked = takegen.write_take(tmp_path / "baked.npz", frames=30, seed=1)
    _bake(scene, baked, mesh="Char")
    s = scene.facemocap
    turned_back = takegen.make_take_arrays(30)["head_rotation"][::-1].copy()  # another take: the head turns back
    other = takegen.write_take(tmp_path / "other.npz", frames=30, head_rotation=turned_back)
    s.target_mesh, s.take_path = mesh, str(other)
    assert bpy.ops.facemocap.export_livelink_csv(filepath=str(tmp_path / "out.csv")) == {"FINISHED"}
    out = read_livelink_csv(tmp_path / "out.csv", fps=30.0)
    from blender_addon.blender.export import export_livelink

    export_livelink(scene, mesh, tmp_path / "baked.csv", take=_open(baked))
    np.testing.assert_allclose(out.head_ypr, read_livelink_csv(tmp_path / "baked.csv", fps=30.0).head_ypr, atol=1e-6)
    export_livelink(scene, mesh, tmp_path / "other.csv", take=_open(s.take_path))
    assert np.abs(out.head_ypr - read_livelink_csv(tmp_path / "other.csv", fps=30.0).head_ypr).max() > 1e-3


@pytest.mark.parametrize("kind", ["cycles", "subframes", "manual_range"])
def test_an_artists_action_plays_on_its_nla_track_as_it_played(scene, tmp_path, kind):
    from blender_addon.blender.anim_write import active_fcurves

    scene.frame_start, scene.frame_end = 1, 90
    mesh = _arkit_mesh(["MyCorrective"])
    corrective = mesh.data.shape_keys.key_blocks["MyCorrective"]
    offset = 0.5 if kind == "subframes" else 0.0
    for frame, value in ((1, 0.0), (11, 1.0), (21, 0.0)):
        corrective.value = value
        corrective.keyframe_insert("value", frame=frame + offset)
    action = mesh.data.shape_keys.animation_data.action
    if kind == "cycles":
        active_fcurves(mesh.data.shape_keys)[0].modifiers.new("CYCLES")
    if kind == "manual_range":
        action.use_frame_range = True
        action.frame_start, action.frame_end = 10, 20

    def played():
        out = []
        for f in (3.0, 6.0, 15.0, 35.0, 45.0, 65.0):
            scene.frame_set(int(f), subframe=f - int(f))
            out.append(corrective.value)
        return np.array(out)

    before = played()
    _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=90), mesh="Char")  # pushes it to NLA
    assert mesh.data.shape_keys.animation_data.nla_tracks[0].strips[0].action == action
    np.testing.assert_allclose(played(), before, atol=1e-5)


def test_a_take_plays_as_keyed_where_the_artists_action_was_added_at_half(scene, tmp_path):
    from blender_addon.blender.anim_write import active_fcurves

    mesh = _arkit_mesh(["MyCorrective"])
    key = mesh.data.shape_keys
    key.key_blocks["MyCorrective"].keyframe_insert("value", frame=1)
    key.animation_data.action_blend_type, key.animation_data.action_influence = "ADD", 0.5
    result = _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char")
    assert (key.animation_data.action_blend_type, key.animation_data.action_influence) == ("REPLACE", 1.0)
    assert any("'Char' blended its Action ADD at 0.5" in w for w in result.warnings)
    jaw = next(fc for fc in active_fcurves(key) if "jawOpen" in fc.data_path)
    scene.frame_set(15)
    assert key.key_blocks["jawOpen"].value == pytest.approx(jaw.evaluate(15), abs=1e-5)


def test_csv_export_of_a_take_baked_at_another_frame_rate_ends_where_it_ends(scene, tmp_path):
    from blender_addon.blender.export import export_livelink
    from engine.contract.livelink_csv import read_livelink_csv

    scene.render.fps, scene.render.fps_base = 24, 1.0
    mesh = _arkit_mesh()
    path = takegen.write_take(tmp_path / "shot.npz", frames=60)  # 30 fps: 1.967 s, keyed between 24 fps frames
    _bake(scene, path, mesh="Char")
    rows = export_livelink(scene, mesh, tmp_path / "out.csv")
    back = read_livelink_csv(tmp_path / "out.csv", fps=24.0)
    assert rows == 48 and back.time[-1] <= _open(path).take.duration + 1e-6  # was 49 rows, to 2.000 s


def test_a_moved_project_rebakes_in_place_and_exports_its_head(scene, tmp_path):
    """The project folder moved: the take is found beside the .blend, an untouched re-bake rewrites its Actions in
    place (it made '.001' copies and pushed the originals to NLA), and the CSV export finds the take for the head
    and gaze (it wrote them as zeros).
    """
    import shutil

    from engine.contract.livelink_csv import read_livelink_csv

    mesh = _arkit_mesh()
    (tmp_path / "a" / "takes").mkdir(parents=True)
    take = takegen.write_take(tmp_path / "a" / "takes" / "shot.npz", frames=30)
    s = scene.facemocap
    s.take_path, s.target_mesh = str(take), mesh
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "a" / "scene.blend"))
    shutil.move(tmp_path / "a", tmp_path / "moved")
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "moved" / "scene.blend"))
    key = bpy.data.objects["Char"].data.shape_keys
    baked = key.animation_data.action
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    assert key.animation_data.action == baked and len(key.animation_data.nla_tracks) == 0
    assert not [a.name for a in bpy.data.actions if a.name.endswith(".001")]
    out = tmp_path / "moved" / "shot.csv"
    assert bpy.ops.facemocap.export_livelink_csv(filepath=str(out)) == {"FINISHED"}
    assert abs(read_livelink_csv(out, fps=30.0).head_ypr).max() > 0.01  # the take's head turn, not zeros


def test_another_clips_take_of_the_same_name_never_rewrites_a_bake_whose_take_is_gone(scene, tmp_path):
    """The bake's take file was deleted; another take of that name (another clip) is baked: the first bake is kept on
    NLA, its only copy now (it was rewritten in place: a moved project's rule, same name, took it for the same).
    """
    mesh = _arkit_mesh()
    key = mesh.data.shape_keys
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    first = takegen.write_take(tmp_path / "old" / "shot.npz", frames=30, seed=1)
    _bake(scene, first, mesh="Char")
    baked = key.animation_data.action
    first.unlink()
    _bake(scene, takegen.write_take(tmp_path / "new" / "shot.npz", frames=40, seed=2), mesh="Char")
    assert key.animation_data.action != baked and key.animation_data.nla_tracks[0].strips[0].action == baked


def test_a_channel_an_in_place_rebake_drops_goes_back_to_rest(scene, tmp_path):
    """Re-baked without a channel (its link removed in the mapping editor), a shape key kept the value of the frame
    last shown on every frame: a mouth wide open for the whole shot.
    """
    import rigs
    from blender_addon.blender.bake import BakeOptions, BakeTargets, bake_take

    mesh = _arkit_mesh()
    key = mesh.data.shape_keys
    take = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, take, mesh="Char")
    baked = key.animation_data.action
    jaw = key.key_blocks["jawOpen"]
    frame = max(range(1, 31), key=lambda f: (scene.frame_set(f), jaw.value)[1])
    scene.frame_set(frame)
    assert jaw.value > 0.3  # parked where the mouth is open
    preset = rigs.load_mapping("facewarehouse46_to_arkit52")
    without_jaw = rigs.make_mapping(
        "no jaw", preset.source_names, preset.target_names, [k for k in preset.links if k.target != "jawOpen"]
    )
    bake_take(scene, _open(take), BakeTargets(mesh="Char"), options=BakeOptions(mapping=without_jaw))
    assert key.animation_data.action == baked  # rewritten in place
    for f in (1, frame, 30):
        scene.frame_set(f)
        assert jaw.value == 0.0


def test_eye_bones_go_back_to_rest_when_gaze_is_set_to_none(scene, tmp_path, head_path):
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    s = scene.facemocap
    s.take_path = str(takegen.write_take(tmp_path / "shot.npz", frames=30))
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    eye = s.eye_left_target.pose.bones[s.eye_left_bone]
    scene.frame_set(8)
    assert abs(eye.rotation_quaternion.w) < 0.9999  # turned by the take's gaze
    s.gaze_mode = "NONE"
    assert bpy.ops.facemocap.bake() == {"FINISHED"}
    for f in (1, 8, 30):
        scene.frame_set(f)
        assert tuple(eye.rotation_quaternion) == (1.0, 0.0, 0.0, 0.0)  # it kept the last frame's turn


def test_csv_export_samples_head_and_gaze_at_the_take_frame_nearest_each_row(scene, tmp_path):
    """Baked at 24 fps from a 30 fps take: the head in a row is the take frame nearest the row's time, as the
    blendshapes are (it took the next one: up to a frame late).
    """
    from blender_addon.blender.export import export_livelink
    from blender_addon.pure import coords
    from engine.contract.frames import head_rotation_to_ypr
    from engine.contract.livelink_csv import read_livelink_csv

    scene.render.fps, scene.render.fps_base = 24, 1.0
    mesh = _arkit_mesh()
    path = takegen.write_take(tmp_path / "shot.npz", frames=60)
    _bake(scene, path, mesh="Char")
    export_livelink(scene, mesh, tmp_path / "out.csv", take=_open(path))
    rows = read_livelink_csv(tmp_path / "out.csv", fps=24.0)
    take = _open(path).take
    distance = np.abs(rows.time[:, None] - take.time[None, :])
    nearest = distance.argmin(axis=1)
    clear = (
        np.sort(distance, axis=1)[:, 1] - distance.min(axis=1) > 1e-3
    )  # rows halfway between two take frames: either
    head = coords.blender_to_camera_head_rotations(coords.camera_to_blender_head_rotations(take.head_rotation))
    assert clear.sum() >= 0.7 * len(clear)  # 24 against 30 fps: every fourth row is a tie
    np.testing.assert_allclose(rows.head_ypr[clear], head_rotation_to_ypr(head[nearest[clear]]), atol=1e-5)


def test_one_object_for_both_eyes_turns_by_the_mean_gaze_and_its_own_action_is_kept(scene, tmp_path):
    """A mesh holding both eyeballs (or an eyes aim bone) as the left and the right eye target: baked once, by the
    mean of both eyes' gaze (two roles on one rotation crashed the bake halfway, after other Actions were written).
    """
    from blender_addon.pure import coords

    eyes = bpy.data.objects.new("Eyes", None)
    scene.collection.objects.link(eyes)
    eyes.rotation_mode = "QUATERNION"
    eyes.keyframe_insert("location", frame=1)  # the artist's own Action on it
    artists = eyes.animation_data.action
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    result = _bake(scene, path, eye_objects=("Eyes", "Eyes"))
    assert "Eyes: Eyes turned by the mean of both eyes' gaze" in result.report
    assert [t.strips[0].action for t in eyes.animation_data.nla_tracks] == [artists]
    gaze = _open(path).take.eye_gaze.astype(np.float64).mean(axis=1)
    expected = coords.gaze_to_blender_eye_rotations(gaze[:, 0], gaze[:, 1])
    for i in (0, 15, 29):
        scene.frame_set(1 + i)
        assert abs(abs(np.array(eyes.rotation_quaternion) @ expected[i]) - 1) < 1e-5


def test_one_bone_in_two_roles_is_refused_before_anything_changes(scene, tmp_path):
    from blender_addon.blender.target_check import TargetError

    rig = _armature_with_euler_head()
    mesh = _arkit_mesh()
    action = rig.animation_data.action
    with pytest.raises(TargetError, match="'Arm:head' has two roles among the head, neck, jaw and eye targets"):
        _bake(scene, takegen.write_take(tmp_path / "shot.npz", frames=30), mesh="Char", head_object="Arm",
              head_bone="head", eye_objects=("Arm", ""), eye_bones=("head", ""))  # fmt: skip
    assert rig.animation_data.action == action and not rig.animation_data.nla_tracks
    assert mesh.data.shape_keys.animation_data is None  # the face's keys untouched too: never half a bake


def test_a_rebake_keeps_the_take_where_it_was_baked_and_the_neutral_frame_is_read_there(scene, tmp_path):
    """The artist narrows the scene to a section (frame_start 400), then re-bakes with a new gain: the take stays at
    frame 1 (it moved to 400, out of sync with sound and body), and Use Current Frame reads the take frame shown.
    """
    mesh = _arkit_mesh()
    path = takegen.write_take(tmp_path / "shot.npz", frames=900)
    _bake(scene, path, mesh="Char")
    key = mesh.data.shape_keys
    scene.frame_start, scene.frame_end = 400, 600
    result = _bake(scene, path, mesh="Char")
    assert "Kept at frame 1, where this take was baked (the scene starts at 400)" in result.report
    assert min(fc.range()[0] for fc in _curves_of(key)) == pytest.approx(1.0)
    _bake(scene, takegen.write_take(tmp_path / "other.npz", frames=30), mesh="Char")  # the take on NLA now
    result = _bake(scene, path, mesh="Char")
    assert "Kept at frame 1, where this take was baked (the scene starts at 400)" in result.report
    assert min(fc.range()[0] for fc in _curves_of(key)) == pytest.approx(1.0)  # beside its NLA copy
    s = scene.facemocap
    s.target_mesh, s.take_path = mesh, str(path)
    scene.frame_set(500)
    assert bpy.ops.facemocap.neutral_from_current_frame() == {"FINISHED"}
    assert s.neutral_start == 499  # the take frame keyed at scene frame 500 (it said 100)


def _curves_of(id_data):
    from blender_addon.blender.anim_write import active_fcurves

    return active_fcurves(id_data)


@pytest.mark.parametrize("head_animation", ["the_takes_own_head_bake", "the_artists_keys"])
def test_eyes_under_an_animated_head_bake_the_same_whatever_frame_the_scene_is_on(scene, tmp_path, head_animation):
    """Eyes parented to a head that turns (the take's head bake, or the artist's keys): a re-bake with the scene at
    another frame gives the same eye curves (the head's pose at the current frame skewed them by 8 deg).
    """
    import math

    head = bpy.data.objects.new("Head", None)
    eye = bpy.data.objects.new("Eye", None)
    for obj in (head, eye):
        scene.collection.objects.link(obj)
    eye.parent = head
    path = takegen.write_take(tmp_path / "shot.npz", frames=60)
    if head_animation == "the_artists_keys":
        head.keyframe_insert("rotation_euler", frame=1)
        head.rotation_euler = (math.radians(30), 0.0, math.radians(20))
        head.keyframe_insert("rotation_euler", frame=100)
        targets = {"eye_objects": ("Eye", "")}
    else:
        targets = {"head_object": "Head", "eye_objects": ("Eye", "")}

    def eye_curves(frame: int) -> np.ndarray:
        scene.frame_set(frame)
        _bake(scene, path, **targets)
        values = []
        for f in (1, 30, 60):
            scene.frame_set(f)
            values.append(tuple(eye.matrix_basis.to_quaternion()))
        return np.array(values)

    np.testing.assert_allclose(eye_curves(1), eye_curves(45), atol=1e-6)
    scene.frame_set(45)
    _bake(scene, path, **targets)
    assert scene.frame_current == 45  # the bake puts the scene back where it was


def _as_an_earlier_version_baked_it(action) -> None:
    """Make a bake's Action look as an earlier version left it: prints of sums only, no recorded start frame."""
    import json

    from blender_addon.blender.anim_write import ACTION_CURVES, ACTION_START_FRAME

    prints = json.loads(action[ACTION_CURVES])
    action[ACTION_CURVES] = json.dumps({k: v[:4] for k, v in prints.items()})
    del action[ACTION_START_FRAME]


def test_a_take_an_earlier_version_baked_stays_where_it_was_baked(scene, tmp_path):
    """Baked before the start frame was recorded: its first key says where (it moved to the scene's new start)."""
    mesh = _arkit_mesh()
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    scene.frame_start = 10
    _bake(scene, path, mesh="Char")
    key = mesh.data.shape_keys
    _as_an_earlier_version_baked_it(key.animation_data.action)
    action = key.animation_data.action
    action.use_frame_range, action.frame_start, action.frame_end = True, 15.0, 30.0  # a manual range: not the keys
    scene.frame_start = 1
    result = _bake(scene, path, mesh="Char")
    assert "Kept at frame 10, where this take was baked (the scene starts at 1)" in result.report
    assert min(fc.range()[0] for fc in _curves_of(key)) == pytest.approx(10.0)


@pytest.mark.parametrize("edit", ["mute", "interpolation"])
def test_a_hand_edit_the_sums_miss_is_kept_on_an_action_an_earlier_version_baked(scene, tmp_path, edit):
    """An earlier version's prints were sums only: a muted curve or a changed interpolation passed as untouched
    and was rewritten.
    """
    mesh = _arkit_mesh()
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    _bake(scene, path, mesh="Char")
    key = mesh.data.shape_keys
    baked = key.animation_data.action
    _as_an_earlier_version_baked_it(baked)
    jaw = next(fc for fc in _curves_of(key) if "jawOpen" in fc.data_path)
    if edit == "mute":
        jaw.mute = True
    else:
        jaw.keyframe_points[3].interpolation = "CONSTANT"
    result = _bake(scene, path, mesh="Char")
    assert key.animation_data.action != baked and key.animation_data.nla_tracks[0].strips[0].action == baked
    assert any("had been edited since" in w for w in result.warnings)
    # an untouched earlier bake is still rewritten in place:
    fresh = _arkit_mesh()
    fresh.name = "Fresh"
    _bake(scene, path, mesh="Fresh")
    again = fresh.data.shape_keys.animation_data.action
    _as_an_earlier_version_baked_it(again)
    _bake(scene, path, mesh="Fresh")
    assert fresh.data.shape_keys.animation_data.action == again


def test_a_rebake_never_rewrites_an_action_another_object_plays(scene, tmp_path):
    """Another object played this take's Action (reused by the artist, or a second instance of the character): a
    re-bake of the take rewrote it in place, and the other object's motion changed with it.
    """
    from blender_addon.blender.bake import BakeTargets, bake_take
    from blender_addon.pure.processing import ProcessSettings

    one, two = (bpy.data.objects.new(name, None) for name in ("HeadA", "HeadB"))
    for obj in (one, two):
        scene.collection.objects.link(obj)
        obj.rotation_mode = "QUATERNION"
    path = takegen.write_take(tmp_path / "shot.npz", frames=30)
    first = bake_take(scene, _open(path), BakeTargets(head_object="HeadA"))
    shared = one.animation_data.action
    two.animation_data_create()
    two.animation_data.action = shared
    if hasattr(two.animation_data, "action_slot"):
        two.animation_data.action_slot = one.animation_data.action_slot
    scene.frame_set(15)
    before = tuple(two.rotation_quaternion)
    again = bake_take(scene, _open(path), BakeTargets(head_object="HeadA"), settings=ProcessSettings(refilter=True,
                      filter_strength=1.0))  # fmt: skip
    assert one.animation_data.action != shared and two.animation_data.action == shared
    assert any(f"the earlier bake '{first.actions[0]}' is also played by another object" in w for w in again.warnings)
    scene.frame_set(1)
    scene.frame_set(15)
    assert tuple(two.rotation_quaternion) == pytest.approx(before, abs=1e-7)


def test_an_overridden_head_keeps_its_rest_after_a_reopen(scene, tmp_path):
    """A library override does not save a custom property added to its object: the rest a head object's first bake
    stored was gone after a reopen, and the next take started from the last one's held pose (21 deg off).
    """
    from blender_addon.blender.bake import BakeOptions, BakeTargets, bake_take

    _overridden_character(tmp_path, [bpy.data.objects.new("HeadCtl", None)])
    a, b = (takegen.write_take(tmp_path / f"{n}.npz", frames=30, seed=s) for n, s in (("a", 1), ("b", 2)))
    bake_take(bpy.context.scene, _open(a), BakeTargets(head_object="HeadCtl"))
    shot = tmp_path / "shot.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(shot))
    bpy.ops.wm.open_mainfile(filepath=str(shot))
    scene = bpy.context.scene
    scene.frame_set(30)  # where take a holds its last pose
    head = next(o for o in bpy.data.objects if o.name == "HeadCtl" and o.override_library is not None)
    bake_take(scene, _open(b), BakeTargets(head_object=head.name), options=BakeOptions(start_frame=100))
    reference = bpy.data.objects.new("Reference", None)  # at rest, never baked
    scene.collection.objects.link(reference)
    bake_take(scene, _open(b), BakeTargets(head_object="Reference"), options=BakeOptions(start_frame=100))
    for frame in (100, 115):
        scene.frame_set(frame)
        assert head.matrix_world.to_quaternion().rotation_difference(
            reference.matrix_world.to_quaternion()
        ).angle == pytest.approx(0.0, abs=1e-4)


def test_a_picked_target_whose_name_another_object_has_is_refused(scene, tmp_path):
    """The panel picked a linked character's 'Char'; a local character also named 'Char' got the bake (the bake finds
    targets by name), and the report said nothing of it.
    """
    _arkit_mesh()
    library = tmp_path / "character.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(library))
    bpy.ops.wm.read_homefile(use_empty=True)
    _arkit_mesh()  # the shot's own character, named as the library's
    with bpy.data.libraries.load(str(library), link=True) as (_, linked):
        linked.objects = ["Char"]
    scene = bpy.context.scene
    scene.collection.objects.link(linked.objects[0])
    s = scene.facemocap
    s.take_path = str(takegen.write_take(tmp_path / "shot.npz", frames=10))
    s.target_kind, s.target_mesh = "MESH", linked.objects[0]
    local = next(o for o in bpy.data.objects if o.name == "Char" and o.library is None)
    with pytest.raises(RuntimeError, match=r"'Char' \(linked from .*character.blend\) shares its name with another"):
        bpy.ops.facemocap.bake()
    assert local.data.shape_keys.animation_data is None


def test_csv_export_of_a_trimmed_phone_recording_keeps_its_time_of_day_and_its_head_in_step(scene, tmp_path):
    """A phone's drop-frame recording, baked, its first second of keys deleted, exported: the CSV started at
    00:00:00:00 (the recording's time of day and drop-frame labels gone: Unreal's timecode sync lost), and its head
    came from the take's first frames while its weights came from the frames kept (a second apart).
    """
    from blender_addon.blender.anim_write import active_fcurves
    from blender_addon.blender.export import export_livelink
    from engine.contract.livelink_csv import read_livelink_csv, take_to_livelink_csv, timecode_after

    phone = tmp_path / "phone.csv"
    source = takegen.write_take(tmp_path / "src.npz", frames=90)
    from engine.contract.take_io import load_take

    loaded = load_take(source)
    take_to_livelink_csv(loaded, phone)
    text = phone.read_text().splitlines()
    start = "14:03:50;00.000"  # the phone's labels: drop-frame, at 14:03:50
    rows = [text[0]] + [
        ",".join([timecode_after(start, 30, i * 1001 / 30000)] + line.split(",")[1:]) for i, line in enumerate(text[1:])
    ]
    phone.write_text("\n".join(rows) + "\n")
    scene.render.fps, scene.render.fps_base = 30, 1.001
    mesh = _arkit_mesh()
    _bake(scene, phone, mesh="Char")
    for fc in active_fcurves(mesh.data.shape_keys):  # the artist trims the first second off
        for point in [p for p in fc.keyframe_points if p.co.x < 30.5][::-1]:  # keys 1..30: take frames 0..29
            fc.keyframe_points.remove(point)
    export_livelink(scene, mesh, tmp_path / "out.csv", take=_open(phone))
    out = read_livelink_csv(tmp_path / "out.csv")
    assert out.timecode_start == timecode_after(start, 30, 30 * 1001 / 30000) == "14:03:51;00.000"
    recorded = read_livelink_csv(phone)
    np.testing.assert_allclose(out.head_ypr[:10], recorded.head_ypr[30:40], atol=1e-4)
