"""Build the FaceWarehouse-compatible demo rig: ICT-FaceKit's scanned head with the 46 shape keys (bpy layer).

The rig, from the shipped demo head (``face_head.npz``, :mod:`contract.face_head`):

- an armature ``<name>_Rig`` with bones ``head`` (the head pivot at the top of the neck, pointing up), ``eye.L``
  and ``eye.R`` (at the eyeball centres, pointing forward along -Y, children of ``head``);
- a mesh ``<name>_Head`` (face, head and neck, mouth socket, gums and tongue, teeth, eyelashes) with Basis plus
  the 46 shape keys named and ordered as ``rigs/names/facewarehouse46.toml``, parented to ``head``; JawOpen moves
  the teeth and tongue with the jaw, the Eye* keys move the lids with the gaze;
- two eyeball meshes ``<name>_Eye.L`` / ``.R`` (sclera, iris and pupil), parented to the eye bones, which turn for
  gaze;
- materials that read in Solid and Material Preview shading: skin (with the lips and brows painted in the
  ``Color`` attribute), eye (sclera), iris and pupil, teeth, mouth and lashes.

Units: metres (the file's cm x 0.01), axes converted with :func:`coords.model_to_blender_points`. Works in
background mode (no operators except the edit-mode switch needed to make bones).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Vector

from .._contract import face_head
from ..pure import coords

__all__ = ["DEMO_RIG_TAG", "DemoRig", "build_demo_rig"]

DEMO_RIG_TAG = "facewarehouse_mocap_demo_rig"  # custom property on the rig's objects
HEAD_PIVOT_BEHIND_EYES_M = 0.085  # the head turns about the top of the neck: behind the eyes ...
HEAD_PIVOT_BELOW_EYES_M = 0.085  # ... and below them (about the level of the earlobes)
HEAD_BONE_LENGTH_M = 0.15
EYE_PARTS = {"L": ("sclera_left", "iris_left"), "R": ("sclera_right", "iris_right")}
# Viewport look of each material: (base colour when not painted per vertex, roughness, uses the Color attribute).
MATERIAL_LOOK = {
    "skin": ((0.8, 0.62, 0.52, 1.0), 0.55, True),
    "eye": ((0.9, 0.88, 0.85, 1.0), 0.15, True),
    "teeth": ((0.9, 0.87, 0.8, 1.0), 0.3, False),
    "mouth": ((0.55, 0.2, 0.2, 1.0), 0.5, True),
    "lashes": ((0.06, 0.05, 0.04, 1.0), 0.7, False),
    "iris": ((0.085, 0.04, 0.015, 1.0), 0.15, True),  # the eyeballs' painted iris and pupil as their own materials,
    "pupil": ((0.002, 0.002, 0.002, 1.0), 0.1, True),  # so Solid shading's Material colour shows where eyes look
}
IRIS_BELOW, PUPIL_BELOW = 150, 40  # an eyeball polygon's mean painted brightness (0-255): iris, pupil; else sclera


@dataclasses.dataclass(frozen=True)
class DemoRig:
    """Names of the demo rig's parts (store names, never bpy references, across undo)."""

    mesh: str
    armature: str
    head_bone: str
    eye_bones: tuple[str, str]
    eye_meshes: tuple[str, str]


def _parent_to_bone(child: bpy.types.Object, arm_obj: bpy.types.Object, bone_name: str) -> None:
    """Parent ``child`` to a bone keeping its current world placement."""
    world = child.matrix_world.copy()
    child.parent = arm_obj
    child.parent_type = "BONE"
    child.parent_bone = bone_name
    bone = arm_obj.data.bones[bone_name]
    tail = arm_obj.matrix_world @ bone.matrix_local @ Matrix.Translation((0.0, bone.length, 0.0))
    child.matrix_parent_inverse = tail.inverted()
    child.matrix_world = world


def _material(name: str, kind: str) -> bpy.types.Material:
    color, roughness, painted = MATERIAL_LOOK[kind]
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = color  # Solid shading's "Material" colour
    mat.roughness = roughness
    if bpy.app.version < (5, 0, 0):  # from 5.0 every material has a node tree (use_nodes is deprecated)
        mat.use_nodes = True
    bsdf = next(n for n in mat.node_tree.nodes if n.type == "BSDF_PRINCIPLED")
    bsdf.inputs["Base Color"].default_value = color
    bsdf.inputs["Roughness"].default_value = roughness
    if painted:
        attr = mat.node_tree.nodes.new("ShaderNodeVertexColor")
        attr.layer_name = "Color"
        mat.node_tree.links.new(attr.outputs["Color"], bsdf.inputs["Base Color"])
    return mat


def _sub_mesh(
    head: face_head.HeadData, parts: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(vertex ids (n,), polygon sizes, polygon vertices re-indexed, polygon materials)`` of the given parts."""
    keep = np.isin(head.vertex_part, [head.part_names.index(p) for p in parts])
    ids = np.flatnonzero(keep)
    new_index = np.cumsum(keep) - 1
    poly_keep = face_head.polygons_within(head.polygon_sizes, head.polygon_vertices, keep)
    loops = new_index[head.polygon_vertices[np.repeat(poly_keep, head.polygon_sizes)]]
    return ids, head.polygon_sizes[poly_keep], loops.astype(np.int32), head.polygon_material[poly_keep]


def _eye_material_index(colors: np.ndarray, sizes: np.ndarray, loops: np.ndarray) -> np.ndarray:
    """Each eyeball polygon's material (0 sclera, 1 iris, 2 pupil) by its vertices' mean painted brightness.

    Args:
        colors: (V, 3) uint8 sRGB, the eyeball's vertex colours; sizes: (P,) polygon sizes; loops: the polygons'
            vertex indices, concatenated.
    """
    brightness = colors.astype(np.float64).mean(axis=1)[loops]
    mean = np.add.reduceat(brightness, np.r_[0, np.cumsum(sizes)[:-1]]) / sizes
    return np.where(mean < PUPIL_BELOW, 2, np.where(mean < IRIS_BELOW, 1, 0)).astype(np.int32)


def _mesh_object(name: str, verts: np.ndarray, sizes: np.ndarray, loops: np.ndarray, colors: np.ndarray):
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(verts))
    mesh.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    mesh.loops.add(len(loops))
    mesh.loops.foreach_set("vertex_index", loops)
    mesh.polygons.add(len(sizes))
    mesh.polygons.foreach_set("loop_start", np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int32))
    mesh.polygons.foreach_set("loop_total", sizes.astype(np.int32))
    mesh.update(calc_edges=True)
    mesh.validate()
    mesh.polygons.foreach_set("use_smooth", np.ones(len(sizes), dtype=bool))
    attr = mesh.color_attributes.new("Color", "BYTE_COLOR", "POINT")
    rgba = np.c_[colors.astype(np.float32) / 255.0, np.ones(len(colors), np.float32)]
    attr.data.foreach_set("color_srgb", rgba.ravel())
    mesh.color_attributes.active_color = attr
    return bpy.data.objects.new(name, mesh)


def build_demo_rig(scene: bpy.types.Scene, *, head_path: str | Path | None = None, name: str = "FWM") -> DemoRig:
    """Create the demo rig in a new collection of ``scene``.

    Args:
        scene: where to link it.
        head_path: a ``face_head.npz``; None = the shipped one (:func:`contract.face_head.default_head_path`).
        name: prefix of the new objects (Blender adds ``.001`` on clashes).

    Returns:
        The created parts' names.

    Raises:
        contract.face_head.FaceHeadError: the head file is missing or malformed.
    """
    head = face_head.load_head(head_path)
    verts = coords.model_to_blender_points(head.vertices)  # (V, 3) metres
    eyes = coords.model_to_blender_points(head.eye_centers)  # (2, 3)
    eye_radius = head.eye_radius * coords.CM_TO_M

    collection = bpy.data.collections.new(f"{name} Demo Rig")
    scene.collection.children.link(collection)
    materials = {kind: _material(f"{name}_{kind}", kind) for kind in (*head.material_names, "iris", "pupil")}

    eye_part_names = {p for parts in EYE_PARTS.values() for p in parts}
    head_parts = tuple(p for p in head.part_names if p not in eye_part_names)
    ids, sizes, loops, mats = _sub_mesh(head, head_parts)
    mesh_obj = _mesh_object(f"{name}_Head", verts[ids], sizes, loops, head.vertex_color[ids])
    collection.objects.link(mesh_obj)
    used = sorted(set(mats.tolist()))
    for kind_index in used:
        mesh_obj.data.materials.append(materials[head.material_names[kind_index]])
    mesh_obj.data.polygons.foreach_set("material_index", np.searchsorted(used, mats).astype(np.int32))
    mesh_obj.shape_key_add(name="Basis", from_mix=False)
    for i, shape in enumerate(head.expression_names):
        delta = coords.model_to_blender_points(head.expression_dense(i)[ids])
        kb = mesh_obj.shape_key_add(name=shape, from_mix=False)
        kb.data.foreach_set("co", (verts[ids] + delta).astype(np.float32).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
        kb.value = 0.0  # a new key block starts at 1.0 in some Blender versions: the rig starts at rest
    mesh_obj.data.shape_keys.use_relative = True

    arm = bpy.data.armatures.new(f"{name}_Rig")
    arm_obj = bpy.data.objects.new(arm.name, arm)
    collection.objects.link(arm_obj)
    eye_mid = eyes.mean(axis=0)
    pivot = Vector((0.0, float(eye_mid[1]) + HEAD_PIVOT_BEHIND_EYES_M, float(eye_mid[2]) - HEAD_PIVOT_BELOW_EYES_M))
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        head_bone = arm.edit_bones.new("head")
        head_bone.head = pivot
        head_bone.tail = pivot + Vector((0.0, 0.0, HEAD_BONE_LENGTH_M))
        eye_bones = []
        for side, centre in (("L", eyes[0]), ("R", eyes[1])):
            eb = arm.edit_bones.new(f"eye.{side}")
            eb.head = Vector(centre.tolist())
            eb.tail = eb.head + Vector((0.0, -2.0 * eye_radius, 0.0))  # along the gaze: -Y
            eb.roll = 0.0
            eb.parent = head_bone
            eye_bones.append(eb.name)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous_active
    for pb in arm_obj.pose.bones:
        pb.rotation_mode = "QUATERNION"

    _parent_to_bone(mesh_obj, arm_obj, "head")
    eye_objs = []
    for bone_name, centre in zip(eye_bones, eyes, strict=True):
        side = bone_name[-1]
        ids, sizes, loops, _ = _sub_mesh(head, EYE_PARTS[side])
        eye_obj = _mesh_object(f"{name}_Eye.{side}", verts[ids] - centre, sizes, loops, head.vertex_color[ids])
        for kind in ("eye", "iris", "pupil"):
            eye_obj.data.materials.append(materials[kind])
        eye_obj.data.polygons.foreach_set("material_index", _eye_material_index(head.vertex_color[ids], sizes, loops))
        collection.objects.link(eye_obj)
        eye_obj.location = Vector(centre.tolist())
        view_layer.update()
        _parent_to_bone(eye_obj, arm_obj, bone_name)
        eye_objs.append(eye_obj.name)
    for obj in (mesh_obj, arm_obj, *(bpy.data.objects[n] for n in eye_objs)):
        obj[DEMO_RIG_TAG] = True
    view_layer.update()
    return DemoRig(mesh_obj.name, arm_obj.name, "head", (eye_bones[0], eye_bones[1]), (eye_objs[0], eye_objs[1]))
