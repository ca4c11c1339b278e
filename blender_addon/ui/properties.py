"""Scene settings: one ``PointerProperty`` (``scene.facemocap``) to :class:`FACEMOCAP_PG_settings`.

``settings_to_*`` build the pure layer's frozen settings from these properties, so operators stay thin.
"""

from __future__ import annotations

import bpy

from .._rigs import rigs
from ..blender.bake import BakeOptions, BakeTargets
from ..pure.processing import ProcessSettings
from ..pure.retarget import AUTO

__all__ = [
    "FACEMOCAP_PG_channel_gain",
    "FACEMOCAP_PG_settings",
    "classes",
    "settings_of",
    "to_bake_options",
    "to_bake_targets",
    "to_process_settings",
]

CUSTOM = "CUSTOM"
_mapping_items_cache: list[tuple[str, str, str]] = []  # Blender needs Python to keep dynamic enum items alive


def _mapping_items(self, context):
    _mapping_items_cache.clear()
    _mapping_items_cache.append((AUTO, "Automatic", "The preset that matches most of the rig's shape keys"))
    for name in rigs.mapping_presets():
        source, _, target = name.partition("_to_")
        _mapping_items_cache.append((name, f"{source} -> {target}", f"Preset {name}"))
    _mapping_items_cache.append((CUSTOM, "Custom File...", "A mapping .toml file of your own"))
    return _mapping_items_cache


def _is_mesh(self, obj):
    return obj.type == "MESH"


def _is_armature(self, obj):
    return obj.type == "ARMATURE"


class FACEMOCAP_PG_channel_gain(bpy.types.PropertyGroup):
    """Gain of one take channel (``name`` is the channel name)."""

    gain: bpy.props.FloatProperty(
        name="Gain",
        default=1.0,
        min=0.0,
        soft_max=3.0,
        description="Multiplier on this channel before clamping to [0, 1]",
    )


class FACEMOCAP_PG_settings(bpy.types.PropertyGroup):
    """Everything the panel edits, stored per scene."""

    # Source
    source_type: bpy.props.EnumProperty(
        name="Source",
        items=[
            ("VIDEO", "Video", "Track a video file"),
            ("IMAGES", "Image Sequence", "Track a folder of numbered images"),
            ("TAKE", "Take", "Use an existing take (.npz) or Live Link Face CSV without tracking"),
        ],
        default="VIDEO",
    )
    video_path: bpy.props.StringProperty(name="Video", subtype="FILE_PATH")
    image_dir: bpy.props.StringProperty(name="Images", subtype="DIR_PATH")
    take_path: bpy.props.StringProperty(
        name="Take",
        subtype="FILE_PATH",
        description="The take to bake (.npz from the engine, or a Live Link Face .csv)",
    )
    takes_dir: bpy.props.StringProperty(
        name="Takes Folder",
        subtype="DIR_PATH",
        default="//takes/",
        description="Where tracking writes takes (// = beside the .blend)",
    )
    use_range: bpy.props.BoolProperty(name="Range", default=False, description="Track only part of the clip")
    range_start: bpy.props.FloatProperty(name="Start", default=0.0, min=0.0, unit="TIME_ABSOLUTE")
    range_end: bpy.props.FloatProperty(name="End", default=10.0, min=0.0, unit="TIME_ABSOLUTE")
    identity_path: bpy.props.StringProperty(
        name="Identity From",
        subtype="FILE_PATH",
        description="Optional: an earlier take (.npz) of the same performer whose identity is reused",
    )
    neutral_source: bpy.props.EnumProperty(
        name="Neutral",
        items=(
            ("AUTO", "Automatic", "The actor's rest is estimated from the clip's calmest frames"),
            ("TIME", "Frame", "A moment of the clip where the actor is at rest (seconds into the clip)"),
            ("PHOTO", "Photo", "A photo of the actor at rest"),
        ),
        default="AUTO",
        description="What the expressions are measured from (pick a frame or photo when the take never relaxes)",
    )
    neutral_time: bpy.props.FloatProperty(
        name="Neutral At", default=0.0, min=0.0, unit="TIME_ABSOLUTE", description="Seconds into the clip"
    )
    neutral_photo: bpy.props.StringProperty(name="Neutral Photo", subtype="FILE_PATH")
    bake_after_track: bpy.props.BoolProperty(name="Bake When Done", default=True)

    # Target and mapping
    target_mesh: bpy.props.PointerProperty(
        name="Mesh", type=bpy.types.Object, poll=_is_mesh, description="The mesh whose shape keys get the animation"
    )
    mapping: bpy.props.EnumProperty(
        name="Mapping", items=_mapping_items, description="How take channels map to the rig's shape keys"
    )
    custom_mapping_path: bpy.props.StringProperty(name="Mapping File", subtype="FILE_PATH")
    swap_left_right: bpy.props.BoolProperty(
        name="Swap Left/Right", default=False, description="The rig is mirrored: Left channels drive its Right keys"
    )
    match_summary: bpy.props.StringProperty(name="Matching", default="")

    # Head and eyes
    head_target: bpy.props.PointerProperty(
        name="Head", type=bpy.types.Object, description="Object (or armature, with a bone) that follows the head"
    )
    head_bone: bpy.props.StringProperty(name="Bone")
    head_translation: bpy.props.BoolProperty(
        name="Translation", default=False, description="Also move the head (off: rotation only)"
    )
    gaze_mode: bpy.props.EnumProperty(
        name="Gaze",
        items=[
            ("ROTATION", "Eye Rotation", "Rotate eye objects or bones"),
            ("SHAPE_KEYS", "eyeLook Shape Keys", "Drive the rig's eye-look shape keys from the gaze"),
            ("NONE", "None", "Do not bake the gaze"),
        ],
        default="ROTATION",
    )
    eye_left_target: bpy.props.PointerProperty(name="Left Eye", type=bpy.types.Object)
    eye_left_bone: bpy.props.StringProperty(name="Bone")
    eye_right_target: bpy.props.PointerProperty(name="Right Eye", type=bpy.types.Object)
    eye_right_bone: bpy.props.StringProperty(name="Bone")

    # Adjust
    use_neutral: bpy.props.BoolProperty(
        name="Neutral Calibration", default=False, description="Make a frame or range of the take the zero pose"
    )
    neutral_start: bpy.props.IntProperty(name="From", default=0, min=0, description="First take frame (0-based)")
    neutral_end: bpy.props.IntProperty(name="To", default=0, min=0, description="Last take frame (0-based)")
    neutral_head: bpy.props.BoolProperty(name="Head and Gaze Too", default=True)
    refilter: bpy.props.BoolProperty(
        name="Re-filter", default=False, description="Smooth the unfiltered weights again (One Euro filter)"
    )
    filter_strength: bpy.props.FloatProperty(name="Strength", default=0.5, min=0.0, max=1.0, subtype="FACTOR")
    gain: bpy.props.FloatProperty(name="Gain", default=1.0, min=0.0, soft_max=3.0)
    channel_gains: bpy.props.CollectionProperty(type=FACEMOCAP_PG_channel_gain)
    channel_gains_index: bpy.props.IntProperty()

    # Bake
    set_scene_timing: bpy.props.BoolProperty(
        name="Set Scene FPS and Range", default=False, description="Match the scene's frame rate and range to the clip"
    )
    use_key_reduction: bpy.props.BoolProperty(name="Reduce Keys", default=False)
    key_tolerance: bpy.props.FloatProperty(
        name="Tolerance",
        default=0.005,
        min=0.0,
        max=0.2,
        precision=4,
        description="Largest allowed weight error of the reduced curves",
    )

    # Job status (written by the Track operator's timer)
    job_running: bpy.props.BoolProperty(default=False)
    job_progress: bpy.props.FloatProperty(default=0.0, min=0.0, max=1.0, subtype="FACTOR")
    job_status: bpy.props.StringProperty(default="")


def settings_of(context: bpy.types.Context) -> FACEMOCAP_PG_settings:
    """The scene's settings."""
    return context.scene.facemocap


def to_process_settings(s: FACEMOCAP_PG_settings) -> ProcessSettings:
    """Panel settings -> :class:`processing.ProcessSettings`."""
    return ProcessSettings(
        refilter=s.refilter,
        filter_strength=s.filter_strength,
        gain=s.gain,
        channel_gains={item.name: item.gain for item in s.channel_gains},
        neutral=(s.neutral_start, s.neutral_end) if s.use_neutral else None,
        neutral_head=s.neutral_head,
    )


def to_bake_targets(s: FACEMOCAP_PG_settings) -> BakeTargets:
    """Panel settings -> :class:`bake.BakeTargets` (names, not references)."""
    rotate_eyes = s.gaze_mode == "ROTATION"
    return BakeTargets(
        mesh=s.target_mesh.name if s.target_mesh else "",
        head_object=s.head_target.name if s.head_target else "",
        head_bone=s.head_bone if s.head_target and s.head_target.type == "ARMATURE" else "",
        head_translation=s.head_translation,
        eye_objects=(
            s.eye_left_target.name if rotate_eyes and s.eye_left_target else "",
            s.eye_right_target.name if rotate_eyes and s.eye_right_target else "",
        ),
        eye_bones=(
            s.eye_left_bone if s.eye_left_target and s.eye_left_target.type == "ARMATURE" else "",
            s.eye_right_bone if s.eye_right_target and s.eye_right_target.type == "ARMATURE" else "",
        ),
        gaze_to_shape_keys=s.gaze_mode == "SHAPE_KEYS",
    )


def to_bake_options(s: FACEMOCAP_PG_settings) -> BakeOptions:
    """Panel settings -> :class:`bake.BakeOptions`."""
    mapping = bpy.path.abspath(s.custom_mapping_path) if s.mapping == CUSTOM else s.mapping
    return BakeOptions(
        mapping=mapping,
        swap_left_right=s.swap_left_right,
        key_tolerance=s.key_tolerance if s.use_key_reduction else 0.0,
        set_scene_timing=s.set_scene_timing,
    )


classes = (FACEMOCAP_PG_channel_gain, FACEMOCAP_PG_settings)
