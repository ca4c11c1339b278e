"""Build the FaceWarehouse-compatible demo rig and make it the bake target."""

from __future__ import annotations

import bpy
from mathutils import Vector

from ...blender.rig_build import build_demo_rig
from .. import idnames, properties
from .common import reports_errors

__all__ = ["FACEMOCAP_OT_build_demo_rig", "classes"]


class FACEMOCAP_OT_build_demo_rig(bpy.types.Operator):
    """Add a scanned head with the 46 FaceWarehouse shape keys, teeth, tongue, eyes and a head bone, and target it."""

    bl_idname = idnames.OP_BUILD_DEMO_RIG
    bl_label = "Add Demo Rig"
    bl_options = {"REGISTER", "UNDO"}

    head_path: bpy.props.StringProperty(
        name="Head File", subtype="FILE_PATH", description="A face_head.npz (empty: the one shipped with the add-on)"
    )

    @reports_errors
    def execute(self, context):
        rig = build_demo_rig(context.scene, head_path=bpy.path.abspath(self.head_path) or None)
        s = properties.settings_of(context)
        arm = bpy.data.objects[rig.armature]
        s.target_kind = "MESH"
        s.target_mesh = bpy.data.objects[rig.mesh]
        s.head_target = arm
        s.head_bone = rig.head_bone
        s.neck_bone = ""  # every target is the demo rig's, or none: never another character's neck or jaw
        s.jaw_target, s.jaw_bone = None, ""  # its jaw opens by shape keys (teeth and tongue go with JawOpen)
        s.eye_left_target = arm
        s.eye_left_bone = rig.eye_bones[0]
        s.eye_right_target = arm
        s.eye_right_bone = rig.eye_bones[1]
        s.gaze_mode = "ROTATION"
        arm.location = context.scene.cursor.location  # where Blender adds things; the rig's parts follow it
        context.view_layer.update()
        parts = [arm, bpy.data.objects[rig.mesh], *(bpy.data.objects[n] for n in rig.eye_meshes)]
        for obj in context.view_layer.objects:
            obj.select_set(obj in parts)
        context.view_layer.objects.active = bpy.data.objects[rig.mesh]  # View Selected (Numpad .) frames it
        message = f"Demo rig '{rig.armature}' added at the 3D cursor and set as the bake target"
        around = _objects_around(context, arm.matrix_world.translation, parts)
        if around:
            message += f"; it is inside {', '.join(repr(n) for n in around)}: hide that to see it"
        self.report({"INFO"}, message)
        return {"FINISHED"}


def _objects_around(context, point, parts) -> list[str]:
    """The visible meshes of the view layer (not ``parts``) whose bounds hold ``point`` (the default cube ...)."""
    around = []
    for obj in context.view_layer.objects:
        if obj in parts or obj.type != "MESH" or not obj.visible_get():
            continue
        corners = [obj.matrix_world @ Vector(c) for c in obj.bound_box]
        low = [min(c[i] for c in corners) for i in range(3)]
        high = [max(c[i] for c in corners) for i in range(3)]
        if all(low[i] <= point[i] <= high[i] for i in range(3)):
            around.append(obj.name)
    return around


classes = (FACEMOCAP_OT_build_demo_rig,)
