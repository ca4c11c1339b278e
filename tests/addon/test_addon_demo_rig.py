"""The demo rig in real Blender: ICT-FaceKit's scanned head, a complete head an artist would keep in a scene."""

from __future__ import annotations

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")


def _evaluated(obj) -> np.ndarray:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = obj.evaluated_get(depsgraph).to_mesh()
    co = np.empty(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", co)
    obj.evaluated_get(depsgraph).to_mesh_clear()
    return co.reshape(-1, 3)


def test_smoke_full_head_with_materials(demo_rig):
    head = bpy.data.objects[demo_rig.mesh]
    assert len(head.data.vertices) > 20000  # face, head and neck, mouth socket, teeth, gums, tongue, lashes
    assert {m.name.split("_")[-1] for m in head.data.materials} == {"skin", "teeth", "mouth", "lashes"}
    assert head.data.color_attributes.active_color.name == "Color"
    for name in demo_rig.eye_meshes:
        eye = bpy.data.objects[name]
        assert eye.parent_type == "BONE" and eye.parent_bone in demo_rig.eye_bones
        assert eye.data.materials[0].name.endswith("_eye")


def test_feature_rig_starts_at_rest(demo_rig):
    """Every shape key starts at 0: the evaluated head is its Basis."""
    head = bpy.data.objects[demo_rig.mesh]
    keys = head.data.shape_keys.key_blocks
    assert all(kb.value == 0.0 for kb in keys[1:])
    basis = np.empty(len(head.data.vertices) * 3)
    keys["Basis"].data.foreach_get("co", basis)
    np.testing.assert_allclose(_evaluated(head), basis.reshape(-1, 3), atol=1e-6)


def test_feature_jaw_open_carries_teeth_and_tongue(demo_rig):
    """JawOpen drops the chin by centimetres and moves the vertices inside the mouth (teeth, tongue) with it."""
    head = bpy.data.objects[demo_rig.mesh]
    rest = _evaluated(head)
    head.data.shape_keys.key_blocks["JawOpen"].value = 1.0
    opened = _evaluated(head)
    head.data.shape_keys.key_blocks["JawOpen"].value = 0.0
    drop = rest[:, 2] - opened[:, 2]  # Blender +Z is up
    assert drop.max() > 0.02  # metres: the chin drops > 2 cm
    # Vertices hidden behind the lips (inside the face's outline, behind its front surface) move too.
    front_y = rest[:, 1].min()
    inside = (rest[:, 1] > front_y + 0.015) & (np.abs(rest[:, 0]) < 0.02) & (rest[:, 2] < rest[:, 2].mean())
    assert (drop[inside] > 0.01).sum() > 200


def test_feature_blink_closes_one_eye(demo_rig):
    head = bpy.data.objects[demo_rig.mesh]
    rest = _evaluated(head)
    head.data.shape_keys.key_blocks["EyeBlink_L"].value = 1.0
    moved = np.linalg.norm(_evaluated(head) - rest, axis=1)
    head.data.shape_keys.key_blocks["EyeBlink_L"].value = 0.0
    # the subject's left is Blender +X (the model's +x, which faces -Y)
    assert moved[rest[:, 0] > 0.01].max() > 0.01 and moved[rest[:, 0] < -0.01].max() < 0.001


def test_feature_add_demo_rig_leaves_no_other_characters_neck_or_jaw_targeted(scene, head_path):
    """After Find Face Bones on an artist's character, Add Demo Rig kept its neck bone and jaw target: the next
    bake failed on the neck, or keyed the other character's jaw.
    """
    arm = bpy.data.objects.new("CharRig", bpy.data.armatures.new("CharRig"))
    scene.collection.objects.link(arm)
    s = scene.facemocap
    s.head_target, s.neck_bone, s.jaw_target, s.jaw_bone = arm, "neck", arm, "jaw"
    assert bpy.ops.facemocap.build_demo_rig(head_path=str(head_path)) == {"FINISHED"}
    assert s.head_target.name.startswith("FWM_Rig") and s.neck_bone == ""
    assert s.jaw_target is None and s.jaw_bone == ""


def test_add_demo_rig_at_the_cursor_selected_with_eyes_that_show_in_solid_shading(scene, head_path, capsys):
    """In the startup file the rig was built at the origin inside the default cube, the cube stayed selected (View
    Selected framed the cube) and the report said nothing of it; in Solid shading (Material colour, the viewport's
    default) the eyeballs were plain white: no iris, no pupil, no gaze to see.
    """
    cube = bpy.data.objects.new("Cube", bpy.data.meshes.new("Cube"))
    cube.data.from_pydata([(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], [], [])
    scene.collection.objects.link(cube)
    cube.select_set(True)
    bpy.context.view_layer.objects.active = cube
    scene.cursor.location = (0.5, -0.2, 0.3)
    bpy.ops.facemocap.build_demo_rig(head_path=str(head_path))
    s = scene.facemocap
    arm, face = s.head_target, s.target_mesh
    assert tuple(arm.matrix_world.translation) == pytest.approx((0.5, -0.2, 0.3))
    assert bpy.context.view_layer.objects.active == face and face.select_get() and not cube.select_get()
    assert "it is inside 'Cube': hide that to see it" in capsys.readouterr().out
    for eye in (o for o in arm.children if "_Eye." in o.name):
        kinds = [m.name.rsplit("_", 1)[-1] for m in eye.data.materials]
        index = np.zeros(len(eye.data.polygons), np.int32)
        eye.data.polygons.foreach_get("material_index", index)
        used = {kinds[i] for i in np.unique(index)}
        assert used == {"eye", "iris", "pupil"} and eye.select_get()
        solid = {k: np.mean(eye.data.materials[i].diffuse_color[:3]) for i, k in enumerate(kinds)}
        assert solid["pupil"] < solid["iris"] < 0.2 < solid["eye"]
