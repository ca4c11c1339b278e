"""Build the FaceWarehouse-compatible demo rig and make it the bake target."""

from __future__ import annotations

import bpy

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
        self.report({"INFO"}, f"Demo rig '{rig.armature}' added and set as the bake target")
        return {"FINISHED"}


classes = (FACEMOCAP_OT_build_demo_rig,)
