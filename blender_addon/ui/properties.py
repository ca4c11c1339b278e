"""Scene settings: one ``PointerProperty`` (``scene.facemocap``) to :class:`FACEMOCAP_PG_settings`.

``to_process_settings``, ``to_bake_targets`` and ``to_bake_options`` build the pure and bake layers' frozen
settings from these properties, so operators stay thin.
"""

from __future__ import annotations

import os
import zlib

import bpy

from .._rigs import rigs
from ..blender import targets
from ..blender.bake import BakeOptions
from ..blender.target_check import NECK_SHARE_DEFAULT, BakeTargets, TargetError
from ..pure.bone_motion import JawSettings
from ..pure.processing import EYE_LOOK_FROM_GAZE, EYE_LOOK_FROM_TAKE, EYE_LOOK_OFF, ProcessSettings
from ..pure.retarget import AUTO, MappingError
from . import mapping_editor

__all__ = [
    "FACEMOCAP_PG_channel_gain",
    "FACEMOCAP_PG_settings",
    "classes",
    "set_match_report",
    "settings_of",
    "take_file",
    "target_meshes",
    "to_bake_options",
    "to_bake_targets",
    "to_process_settings",
]

CUSTOM = "CUSTOM"
_mapping_items_cache: list[tuple[str, str, str]] = []  # Blender needs Python to keep dynamic enum items alive


# A path field may hold "//..." (relative to the .blend): Blender 5.0 says so with this option, and warns without it;
# Blender 4.2 does not know it (and does not warn).
BLEND_RELATIVE = {"PATH_SUPPORTS_BLEND_RELATIVE"} if bpy.app.version >= (5, 0, 0) else {"ANIMATABLE"}


def mapping_item_number(name: str) -> int:
    """The number a .blend stores for a Mapping choice: fixed by its name, so a preset added later never turns a
    saved choice into another (by position, ``facewarehouse46_to_arkit52`` became ``arkit52_to_vrm``). Automatic
    is 0, as it always was; the rest are above any position an earlier version stored.
    """
    return 0 if name == AUTO else 1_000 + zlib.crc32(name.encode()) % 1_000_000_000


def _mapping_items(self, context):
    _mapping_items_cache.clear()
    _mapping_items_cache.append((AUTO, "Automatic", "The preset that matches most of the rig's shape keys", 0, 0))
    for name in rigs.mapping_presets():
        source, _, target = name.partition("_to_")
        _mapping_items_cache.append((name, f"{source} -> {target}", f"Preset {name}", 0, mapping_item_number(name)))
    custom = mapping_item_number(CUSTOM)
    _mapping_items_cache.append((CUSTOM, "Custom File...", "A mapping .toml file of your own", 0, custom))
    return _mapping_items_cache


# Version 0.1.0 stored a Mapping choice by its place in the list, and its list changed once (62aea87 added the two
# VRM presets): [Automatic, a2a, a2fw, fw2a, fw2fw, Custom] before, [Automatic, a2a, a2fw, a2vrm, fw2a, fw2fw, fw2vrm,
# Custom] after. The places that meant one choice in both lists; 3, 4 and 5 meant two (5: Custom File, or
# facewarehouse46_to_facewarehouse46), and are not guessed.
MAPPING_PLACES_0_1 = {
    0: AUTO,
    1: "arkit52_to_arkit52",
    2: "arkit52_to_facewarehouse46",
    6: "facewarehouse46_to_vrm",
    7: CUSTOM,
}


def _saved_choice(s) -> str:
    """The Mapping choice the settings hold, whichever version saved it: by name's number, or by its place in
    0.1.0's list where that place meant one choice (:data:`MAPPING_PLACES_0_1`); else Automatic, said in the
    panel's status (and on the console), so the artist picks it again.
    """
    stored = s.get("mapping")
    if stored is None:
        return AUTO
    names = {mapping_item_number(item[0]): item[0] for item in _mapping_items(None, None)}
    if stored in names:
        return names[stored]
    if MAPPING_PLACES_0_1.get(stored) in names.values():
        return MAPPING_PLACES_0_1[stored]
    said = (
        f"The Mapping an earlier version saved here (its place {stored} in the list) cannot be told for sure: read "
        "as Automatic; pick the Mapping again"
    )
    print(f"Face Mocap: scene '{s.id_data.name}': {said}")
    if not s.job_running:
        s.job_status = said
    return AUTO


@bpy.app.handlers.persistent
def settle_saved_mapping(_file=None) -> None:
    """After a file loads: a Mapping choice 0.1.0 saved by its place in the list is stored again by its name's
    number (:func:`mapping_item_number`), so the panel shows it and a later preset never changes it. Registered as a
    ``load_post`` handler by the add-on's ``register``.
    """
    valid = {mapping_item_number(item[0]) for item in _mapping_items(None, None)}
    for scene in bpy.data.scenes:
        s = getattr(scene, "facemocap", None)
        stored = s.get("mapping") if s is not None else None
        if stored is not None and stored not in valid:
            s.mapping = _saved_choice(s)


def _take_changed(self, _context) -> None:
    """Another take in the panel: the last track's status (a failure, its notices) is not about it."""
    if not self.job_running:
        self.job_status = ""


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
    video_path: bpy.props.StringProperty(name="Video", subtype="FILE_PATH", options=BLEND_RELATIVE)
    image_dir: bpy.props.StringProperty(name="Images", subtype="DIR_PATH", options=BLEND_RELATIVE)
    take_path: bpy.props.StringProperty(
        name="Take",
        subtype="FILE_PATH",
        options=BLEND_RELATIVE,
        description="The take to bake (.npz from the engine, or a Live Link Face .csv)",
        update=_take_changed,
    )
    takes_dir: bpy.props.StringProperty(
        name="Takes Folder",
        subtype="DIR_PATH",
        options=BLEND_RELATIVE,
        default="//takes/",
        description="Where tracking writes takes (// = beside the .blend)",
    )
    use_range: bpy.props.BoolProperty(name="Range", default=False, description="Track only part of the clip")
    range_start: bpy.props.FloatProperty(name="Start", default=0.0, min=0.0, unit="TIME_ABSOLUTE")
    range_end: bpy.props.FloatProperty(name="End", default=10.0, min=0.0, unit="TIME_ABSOLUTE")
    identity_path: bpy.props.StringProperty(
        name="Identity From",
        subtype="FILE_PATH",
        options=BLEND_RELATIVE,
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
    neutral_photo: bpy.props.StringProperty(name="Neutral Photo", subtype="FILE_PATH", options=BLEND_RELATIVE)
    bake_after_track: bpy.props.BoolProperty(name="Bake When Done", default=True)

    # Target and mapping
    target_kind: bpy.props.EnumProperty(
        name="Target",
        items=[
            ("MESH", "Mesh", "One mesh with shape keys"),
            ("COLLECTION", "Collection", "Every mesh with shape keys in a collection (head, teeth, tongue, eyes, ...)"),
            ("ARMATURE", "Armature", "Every mesh with shape keys parented to or deformed by an armature"),
        ],
        default="MESH",
        description="What gets the shape-key animation: one mesh, or every mesh of a character's face",
    )
    target_mesh: bpy.props.PointerProperty(
        name="Mesh", type=bpy.types.Object, poll=_is_mesh, description="The mesh whose shape keys get the animation"
    )
    target_collection: bpy.props.PointerProperty(
        name="Collection", type=bpy.types.Collection, description="The character's collection: its meshes are driven"
    )
    target_armature: bpy.props.PointerProperty(
        name="Armature",
        type=bpy.types.Object,
        poll=_is_armature,
        description="The character's armature: the meshes it carries or deforms are driven",
    )
    mapping: bpy.props.EnumProperty(
        name="Mapping", items=_mapping_items, description="How take channels map to the rig's shape keys"
    )
    custom_mapping_path: bpy.props.StringProperty(name="Mapping File", subtype="FILE_PATH", options=BLEND_RELATIVE)
    swap_left_right: bpy.props.BoolProperty(
        name="Swap Left/Right", default=False, description="The rig is mirrored: Left channels drive its Right keys"
    )
    match_summary: bpy.props.StringProperty(name="Matching", default="")
    match_lines: bpy.props.CollectionProperty(type=mapping_editor.FACEMOCAP_PG_name)
    match_connections: bpy.props.CollectionProperty(type=mapping_editor.FACEMOCAP_PG_connection)

    # Mapping editor (see mapping_editor.py)
    use_mapping_editor: bpy.props.BoolProperty(
        name="Use Edited Mapping", default=False, description="Bake with the mapping in the editor below"
    )
    mapping_edit_name: bpy.props.StringProperty(name="Name", default="custom_mapping")
    mapping_links: bpy.props.CollectionProperty(type=mapping_editor.FACEMOCAP_PG_mapping_link)
    mapping_links_index: bpy.props.IntProperty()
    mapping_sources: bpy.props.CollectionProperty(type=mapping_editor.FACEMOCAP_PG_name)
    mapping_targets: bpy.props.CollectionProperty(type=mapping_editor.FACEMOCAP_PG_name)

    # Head and eyes
    head_target: bpy.props.PointerProperty(
        name="Head", type=bpy.types.Object, description="Object (or armature, with a bone) that follows the head"
    )
    head_bone: bpy.props.StringProperty(name="Bone")
    head_translation: bpy.props.BoolProperty(
        name="Translation", default=False, description="Also move the head (off: rotation only)"
    )
    neck_bone: bpy.props.StringProperty(
        name="Neck Bone", description="Optional: a bone of the head's armature that takes part of the head rotation"
    )
    neck_share: bpy.props.FloatProperty(
        name="Neck Share",
        default=NECK_SHARE_DEFAULT,
        min=0.0,
        max=1.0,
        subtype="FACTOR",
        description="Part of the head rotation done by the neck bone (the head bone does the rest)",
    )
    jaw_target: bpy.props.PointerProperty(
        name="Jaw", type=bpy.types.Object, description="Object (or armature, with a bone) opened by the jaw channels"
    )
    jaw_bone: bpy.props.StringProperty(name="Bone")
    jaw_open_deg: bpy.props.FloatProperty(
        name="Open", default=JawSettings.open_deg, min=0.0, soft_max=45.0, description="Jaw rotation at jawOpen 1 (deg)"
    )
    jaw_side_deg: bpy.props.FloatProperty(
        name="Sideways",
        default=JawSettings.side_deg,
        min=0.0,
        soft_max=20.0,
        description="Jaw turn at jawLeft / jawRight 1 (deg)",
    )
    jaw_forward_cm: bpy.props.FloatProperty(
        name="Forward",
        default=JawSettings.forward_cm,
        min=0.0,
        soft_max=3.0,
        description="Jaw slide at jawForward 1 (cm)",
    )
    gaze_mode: bpy.props.EnumProperty(
        name="Gaze",
        items=[
            (
                "ROTATION",
                "Eye Rotation",
                "Rotate eye objects or bones; the rig's eye-look shape keys, if any, follow the take's eye-look "
                "channels (the lids' part of a look)",
            ),
            ("SHAPE_KEYS", "eyeLook Shape Keys", "Drive the rig's eye-look shape keys from the gaze"),
            ("NONE", "None", "Do not bake the gaze: no eye rotation, eye-look shape keys at 0"),
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
        name="Re-filter",
        default=False,
        description="Smooth the unfiltered weights again (One Euro filter); blinks keep the take's own filtering",
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


def take_file(s: FACEMOCAP_PG_settings, recorded: str | None = None) -> str:
    """The panel's take file (or ``recorded``, a take path an Action keeps), absolute: that path, or, where that
    file is gone, the take of that name in the panel's takes folder beside the open .blend (the project folder
    moved; a Save As elsewhere keeps the absolute path, which still holds).
    """
    given = s.take_path if recorded is None else recorded
    path = bpy.path.abspath(given)
    if not given or os.path.exists(path) or not bpy.data.filepath:
        return path
    moved = os.path.join(bpy.path.abspath(s.takes_dir or "//takes/"), os.path.basename(path))
    return moved if os.path.isfile(moved) else path


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


def target_meshes(s: FACEMOCAP_PG_settings) -> list[bpy.types.Object]:
    """The meshes the panel targets: the mesh, or a collection's or armature's meshes with shape keys."""
    if s.target_kind == "COLLECTION":
        return targets.collection_meshes(s.target_collection) if s.target_collection else []
    if s.target_kind == "ARMATURE":
        return targets.armature_meshes(s.target_armature) if s.target_armature else []
    return [s.target_mesh] if s.target_mesh else []


def _bone(obj, bone: str) -> str:
    return bone if obj is not None and obj.type == "ARMATURE" else ""


_EYE_LOOK_OF_GAZE_MODE = {"ROTATION": EYE_LOOK_FROM_TAKE, "SHAPE_KEYS": EYE_LOOK_FROM_GAZE, "NONE": EYE_LOOK_OFF}


def to_bake_targets(s: FACEMOCAP_PG_settings) -> BakeTargets:
    """Panel settings -> :class:`bake.BakeTargets` (names, not references).

    Raises:
        TargetError: a picked object's name is another object's too (a linked character and a local one both
            named ``Face``): the bake, which finds targets by name, would key the other.
    """
    rotate_eyes = s.gaze_mode == "ROTATION"
    picked = [*target_meshes(s), s.head_target, s.jaw_target, s.eye_left_target, s.eye_right_target]
    for obj in (o for o in picked if o is not None):
        if bpy.data.objects.get(obj.name) != obj:
            where = f"linked from {obj.library.filepath}" if obj.library is not None else "in this file"
            raise TargetError(
                [
                    f"'{obj.name}' ({where}) shares its name with another object, which a bake would key instead: "
                    "rename one of them (or make the linked one a library override)"
                ]
            )
    meshes = [o.name for o in target_meshes(s)]
    return BakeTargets(
        mesh=meshes[0] if meshes else "",
        meshes=tuple(meshes[1:]),
        head_object=s.head_target.name if s.head_target else "",
        head_bone=_bone(s.head_target, s.head_bone),
        head_translation=s.head_translation,
        neck_bone=_bone(s.head_target, s.neck_bone),
        neck_share=s.neck_share,
        jaw_object=s.jaw_target.name if s.jaw_target else "",
        jaw_bone=_bone(s.jaw_target, s.jaw_bone),
        jaw_settings=JawSettings(s.jaw_open_deg, s.jaw_side_deg, s.jaw_forward_cm),
        eye_objects=(
            s.eye_left_target.name if rotate_eyes and s.eye_left_target else "",
            s.eye_right_target.name if rotate_eyes and s.eye_right_target else "",
        ),
        eye_bones=(
            s.eye_left_bone if rotate_eyes and s.eye_left_target and s.eye_left_target.type == "ARMATURE" else "",
            s.eye_right_bone if rotate_eyes and s.eye_right_target and s.eye_right_target.type == "ARMATURE" else "",
        ),
        eye_look=_EYE_LOOK_OF_GAZE_MODE[s.gaze_mode],
    )


def mapping_choice(s: FACEMOCAP_PG_settings) -> str:
    """The panel's mapping: a preset's name, :data:`~..pure.retarget.AUTO`, or the custom file's absolute path.

    Raises:
        MappingError: Custom File is chosen but no file is picked.
    """
    choice = s.mapping or _saved_choice(s)  # "": 0.1.0's place in the list, in a scene no file load settled
    if choice != CUSTOM:
        return choice
    if s.custom_mapping_path.startswith("//") and not bpy.data.filepath:
        raise MappingError(
            f"the Mapping File {s.custom_mapping_path} is given from the .blend's folder, and this .blend is not saved "
            "yet: save it there, or pick the file again"
        )
    path = os.path.expanduser(bpy.path.abspath(s.custom_mapping_path))  # "~/rigs/hero.toml" too
    if not path:
        raise MappingError("pick a mapping file first (Mapping File), or choose a preset")
    if not os.path.exists(path) and bpy.data.filepath:  # the project folder moved: the file of that name beside it
        beside = bpy.path.abspath("//" + os.path.basename(path))
        return beside if os.path.isfile(beside) else path
    return path


def to_bake_options(s: FACEMOCAP_PG_settings) -> BakeOptions:
    """Panel settings -> :class:`bake.BakeOptions` (the edited mapping when "Use Edited Mapping" is on).

    Raises:
        MappingError: the edited mapping is invalid, or Custom File is chosen without a file.
    """
    if s.use_mapping_editor:
        mapping = mapping_editor.editor_mapping(s)
    else:
        mapping = mapping_choice(s)
    return BakeOptions(
        mapping=mapping,
        swap_left_right=s.swap_left_right,
        key_tolerance=s.key_tolerance if s.use_key_reduction else 0.0,
        set_scene_timing=s.set_scene_timing,
    )


def set_match_report(s: FACEMOCAP_PG_settings, summary: str, lines, connections=None) -> None:
    """Store a matching summary, its report lines and the target -> keys connections for the panel."""
    s.match_summary = summary
    s.match_lines.clear()
    for line in lines:
        s.match_lines.add().name = line
    s.match_connections.clear()
    for target, keys in (connections or {}).items():
        item = s.match_connections.add()
        item.name, item.keys = target, ", ".join(keys)


classes = (FACEMOCAP_PG_channel_gain, *mapping_editor.property_classes, FACEMOCAP_PG_settings)
