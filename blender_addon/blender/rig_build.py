"""Build the FaceWarehouse-compatible demo rig from the engine's face model (bpy layer).

The rig: an armature ``<name>_Rig`` with bones ``head`` (the head pivot, pointing up), ``eye.L`` and ``eye.R``
(at the eyeball centres, pointing forward along -Y, children of ``head``); a mesh ``<name>_Face`` with Basis plus
the 46 shape keys named and ordered as ``rigs/names/facewarehouse46.toml`` (Basis + delta per unit weight),
parented to ``head``; two eyeball meshes parented to the eye bones. Units: metres (the model's cm x 0.01), axes
converted with :func:`coords.model_to_blender_points`. Works in background mode (no operators except the edit-mode
switch needed to make bones).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import bmesh
import bpy
import numpy as np
from mathutils import Matrix, Vector

from ..face_model import load_face_model
from ..pure import coords

__all__ = ["DEMO_RIG_TAG", "DemoRig", "build_demo_rig"]

DEMO_RIG_TAG = "facewarehouse_mocap_demo_rig"  # custom property on the rig's objects
HEAD_PIVOT_BELOW_CHIN_M = 0.02  # the head bone sits this far below the lowest face vertex (roughly the neck)
HEAD_PIVOT_BEHIND_EYES_M = 0.06  # ... and this far behind the eye centres (toward the back of the head)
HEAD_BONE_LENGTH_M = 0.12
EYE_SEGMENTS, EYE_RINGS = 24, 12


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


def _eye_mesh(name: str, radius: float) -> bpy.types.Mesh:
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    try:
        bmesh.ops.create_uvsphere(bm, u_segments=EYE_SEGMENTS, v_segments=EYE_RINGS, radius=radius)
        # A pupil: flatten the front cap so the gaze direction is visible.
        for v in bm.verts:
            if v.co.y < -0.85 * radius:
                v.co.y = -0.85 * radius
        bm.to_mesh(mesh)
    finally:
        bm.free()
    return mesh


def build_demo_rig(scene: bpy.types.Scene, *, model_path: str | Path | None = None, name: str = "FWM") -> DemoRig:
    """Create the demo rig in a new collection of ``scene``.

    Args:
        scene: where to link it.
        model_path: a ``face_model.npz``; None = the shipped one (:func:`face_model.default_face_model_path`).
        name: prefix of the new objects (Blender adds ``.001`` on clashes).

    Returns:
        The created parts' names.

    Raises:
        face_model.FaceModelError: the face model is missing or malformed.
    """
    fm = load_face_model(model_path)
    verts = coords.model_to_blender_points(fm.neutral)  # (V, 3) metres
    deltas = coords.model_to_blender_points(fm.expression_basis)  # (E, V, 3)
    eyes = coords.model_to_blender_points(fm.eye_centers)  # (2, 3)
    eye_radius = fm.eye_radius * coords.CM_TO_M

    collection = bpy.data.collections.new(f"{name} Demo Rig")
    scene.collection.children.link(collection)

    mesh = bpy.data.meshes.new(f"{name}_Face")
    mesh.vertices.add(len(verts))
    mesh.vertices.foreach_set("co", verts.astype(np.float32).ravel())
    n_tri = len(fm.triangles)
    mesh.loops.add(3 * n_tri)
    mesh.loops.foreach_set("vertex_index", fm.triangles.astype(np.int32).ravel())
    mesh.polygons.add(n_tri)
    mesh.polygons.foreach_set("loop_start", np.arange(0, 3 * n_tri, 3, dtype=np.int32))
    mesh.polygons.foreach_set("loop_total", np.full(n_tri, 3, dtype=np.int32))
    mesh.update(calc_edges=True)
    mesh.validate()
    mesh_obj = bpy.data.objects.new(mesh.name, mesh)
    collection.objects.link(mesh_obj)
    mesh_obj.shape_key_add(name="Basis", from_mix=False)
    for i, shape in enumerate(fm.expression_names):
        kb = mesh_obj.shape_key_add(name=shape, from_mix=False)
        kb.data.foreach_set("co", (verts + deltas[i]).astype(np.float32).ravel())
        kb.slider_min, kb.slider_max = 0.0, 1.0
    mesh.shape_keys.use_relative = True

    arm = bpy.data.armatures.new(f"{name}_Rig")
    arm_obj = bpy.data.objects.new(arm.name, arm)
    collection.objects.link(arm_obj)
    pivot = Vector(
        (0.0, float(eyes[:, 1].mean()) + HEAD_PIVOT_BEHIND_EYES_M, float(verts[:, 2].min()) - HEAD_PIVOT_BELOW_CHIN_M)
    )
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        head = arm.edit_bones.new("head")
        head.head = pivot
        head.tail = pivot + Vector((0.0, 0.0, HEAD_BONE_LENGTH_M))
        eye_bones = []
        for side, centre in (("L", eyes[0]), ("R", eyes[1])):
            eb = arm.edit_bones.new(f"eye.{side}")
            eb.head = Vector(centre.tolist())
            eb.tail = eb.head + Vector((0.0, -2.0 * eye_radius, 0.0))  # along the gaze: -Y
            eb.roll = 0.0
            eb.parent = head
            eye_bones.append(eb.name)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous_active
    for pb in arm_obj.pose.bones:
        pb.rotation_mode = "QUATERNION"

    _parent_to_bone(mesh_obj, arm_obj, "head")
    eye_objs = []
    for bone_name, centre in zip(eye_bones, eyes, strict=False):
        side = bone_name[-1]
        eye_obj = bpy.data.objects.new(f"{name}_Eye.{side}", _eye_mesh(f"{name}_Eye.{side}", eye_radius))
        collection.objects.link(eye_obj)
        eye_obj.location = Vector(centre.tolist())
        view_layer.update()
        _parent_to_bone(eye_obj, arm_obj, bone_name)
        eye_objs.append(eye_obj.name)
    for obj in (mesh_obj, arm_obj, *(bpy.data.objects[n] for n in eye_objs)):
        obj[DEMO_RIG_TAG] = True
    view_layer.update()
    return DemoRig(mesh_obj.name, arm_obj.name, "head", (eye_bones[0], eye_bones[1]), (eye_objs[0], eye_objs[1]))
