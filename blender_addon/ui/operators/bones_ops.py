"""Find a character's face bones (head, neck, jaw, eyes) by their names and make them the bake's targets."""

from __future__ import annotations

import bpy

from ...blender.targets import face_bones_of
from .. import idnames, properties
from .common import reports_errors

__all__ = ["FACEMOCAP_OT_find_face_bones", "classes"]


def _armature(context):
    s = properties.settings_of(context)
    for obj in (s.target_armature if s.target_kind == "ARMATURE" else None, s.head_target, context.active_object):
        if obj is not None and obj.type == "ARMATURE":
            return obj
    return None


class FACEMOCAP_OT_find_face_bones(bpy.types.Operator):
    """Find the head, neck, jaw and eye bones of the character's armature by their names (Rigify, Character
    Creator, Mixamo / Ready Player Me, VRoid, Daz, ...) and make them the head, jaw and eye targets.
    """

    bl_idname = idnames.OP_FIND_FACE_BONES
    bl_label = "Find Face Bones"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return _armature(context) is not None

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        arm = _armature(context)
        bones = face_bones_of(arm)
        found = []
        if bones.head:
            s.head_target, s.head_bone = arm, bones.head
            s.neck_bone = bones.neck
            found += [f"head {bones.head}"] + ([f"neck {bones.neck}"] if bones.neck else [])
        if bones.jaw:
            s.jaw_target, s.jaw_bone = arm, bones.jaw
            found.append(f"jaw {bones.jaw}")
        if bones.eye_left and bones.eye_right:
            s.eye_left_target, s.eye_left_bone = arm, bones.eye_left
            s.eye_right_target, s.eye_right_bone = arm, bones.eye_right
            s.gaze_mode = "ROTATION"
            found.append(f"eyes {bones.eye_left}, {bones.eye_right}")
        if not found:
            self.report({"WARNING"}, f"'{arm.name}' has no bone with a known head, jaw or eye name; pick them by hand")
            return {"CANCELLED"}
        self.report({"INFO"}, f"{arm.name}: " + "; ".join(found))
        return {"FINISHED"}


classes = (FACEMOCAP_OT_find_face_bones,)
