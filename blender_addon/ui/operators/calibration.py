"""Neutral calibration from the current frame, and per-channel gains."""

from __future__ import annotations

import bpy
import numpy as np

from ..._rigs import rigs
from ...blender.bake import scene_fps, take_start_frame
from ...pure.takes import open_take
from .. import idnames, properties
from .common import EXPECTED_ERRORS, reports_errors

__all__ = ["FACEMOCAP_OT_neutral_from_current_frame", "FACEMOCAP_OT_reset_gains", "classes", "fill_channel_gains"]


def fill_channel_gains(s, names) -> None:
    """Make ``s.channel_gains`` one item per channel (gain 1), keeping existing gains by name."""
    old = {item.name: item.gain for item in s.channel_gains}
    s.channel_gains.clear()
    for name in names:
        item = s.channel_gains.add()
        item.name = name
        item.gain = old.get(name, 1.0)


class FACEMOCAP_OT_neutral_from_current_frame(bpy.types.Operator):
    """Use the take frame shown at the current scene frame as the neutral (zero) pose."""

    bl_idname = idnames.OP_NEUTRAL_FROM_CURRENT
    bl_label = "Use Current Frame"
    bl_options = {"REGISTER", "UNDO"}

    extend: bpy.props.BoolProperty(
        name="Extend",
        default=False,
        description="Extend the neutral range to the current frame instead of replacing it",
    )

    @classmethod
    def poll(cls, context):
        return bool(properties.settings_of(context).take_path)

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        opened = open_take(properties.take_file(s))
        take = opened.take
        start = take_start_frame(context.scene, opened, properties.to_bake_targets(s))  # where it is keyed
        seconds = (context.scene.frame_current - start) / scene_fps(context.scene)
        index = int(np.argmin(np.abs(np.asarray(take.time) - seconds)))  # the take frame shown: the nearest
        if self.extend:
            s.neutral_start, s.neutral_end = min(s.neutral_start, index), max(s.neutral_end, index)
        else:
            s.neutral_start = s.neutral_end = index
        s.use_neutral = True
        self.report({"INFO"}, f"Neutral pose: take frames {s.neutral_start}..{s.neutral_end}")
        return {"FINISHED"}


class FACEMOCAP_OT_reset_gains(bpy.types.Operator):
    """List the take's channels with gain 1.0."""

    bl_idname = idnames.OP_RESET_GAINS
    bl_label = "Reset Channel Gains"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        names = rigs.load_names("facewarehouse46")
        if s.take_path:
            try:
                names = open_take(properties.take_file(s)).take.channel_names
            except EXPECTED_ERRORS:  # no readable take: list the FaceWarehouse-46 channels
                pass
        s.channel_gains.clear()
        fill_channel_gains(s, names)
        s.gain = 1.0
        return {"FINISHED"}


classes = (FACEMOCAP_OT_neutral_from_current_frame, FACEMOCAP_OT_reset_gains)
