"""The mapping editor's operators: load the current mapping (or a file) into the editor, add and remove links, save
the edited mapping as a TOML file (the presets' form, one link per line).
"""

from __future__ import annotations

from pathlib import Path

import bpy
import numpy as np
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..._contract import atomic_write
from ..._rigs import rigs
from ...pure.retarget import MappingError, choose_mapping
from ...pure.takes import open_take
from .. import idnames, mapping_editor, properties
from .common import EXPECTED_ERRORS, reports_errors

__all__ = [
    "FACEMOCAP_OT_mapping_edit",
    "FACEMOCAP_OT_mapping_link_add",
    "FACEMOCAP_OT_mapping_link_remove",
    "FACEMOCAP_OT_mapping_load",
    "FACEMOCAP_OT_mapping_save",
    "classes",
]


def _take_channels(s) -> tuple[str, ...]:
    """The take's channel names, or the FaceWarehouse-46 list without a readable take."""
    if s.take_path:
        try:
            return open_take(properties.take_file(s)).take.channel_names
        except EXPECTED_ERRORS:
            pass
    return rigs.load_names("facewarehouse46")


class FACEMOCAP_OT_mapping_edit(bpy.types.Operator):
    """Load the mapping the bake would use (the chosen preset or file; for Automatic, the preset that suits the
    targets best) into the editor, and bake with the editor from now on.
    """

    bl_idname = idnames.OP_MAPPING_EDIT
    bl_label = "Edit Mapping"
    bl_options = {"REGISTER", "UNDO"}

    def invoke(self, context, event):
        if len(properties.settings_of(context).mapping_links):  # the editor's links would be replaced: ask first
            return context.window_manager.invoke_confirm(self, event)
        return self.execute(context)

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        choice = properties.mapping_choice(s)
        meshes = [
            [kb.name for kb in o.data.shape_keys.key_blocks] if o.data.shape_keys is not None else []
            for o in properties.target_meshes(s)
        ]
        mapping = choose_mapping(_take_channels(s), meshes or [[]], choice, swap_left_right=s.swap_left_right)
        mapping_editor.fill_editor(s, mapping)
        s.use_mapping_editor = True
        self.report({"INFO"}, f"Editing {mapping.name}: {len(mapping.links)} links")
        return {"FINISHED"}


class FACEMOCAP_OT_mapping_load(ImportHelper, bpy.types.Operator):
    """Load a mapping file (.toml) into the editor, and bake with the editor from now on."""

    bl_idname = idnames.OP_MAPPING_LOAD
    bl_label = "Load Mapping"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".toml"
    filter_glob: bpy.props.StringProperty(default="*.toml", options={"HIDDEN"})

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        try:
            mapping = rigs.load_mapping(Path(self.filepath))
        except rigs.RigDataError as err:
            raise MappingError(str(err)) from None
        mapping_editor.fill_editor(s, mapping)
        s.use_mapping_editor = True
        self.report({"INFO"}, f"Loaded {mapping.name}: {len(mapping.links)} links")
        return {"FINISHED"}


class FACEMOCAP_OT_mapping_save(ExportHelper, bpy.types.Operator):
    """Save the edited mapping as a mapping file (.toml, one link per line) and bake with that file from now on
    (Mapping: Custom File; the editor keeps the links, Use Edited Mapping turns off).
    """

    bl_idname = idnames.OP_MAPPING_SAVE
    bl_label = "Save Mapping"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".toml"
    filter_glob: bpy.props.StringProperty(default="*.toml", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return len(properties.settings_of(context).mapping_links) > 0

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        path = Path(self.filepath)
        if path.resolve().parent == rigs.MAPPINGS_DIR.resolve():
            raise MappingError(
                f"{path.parent} holds the add-on's presets, replaced when the add-on is updated: save the mapping "
                "elsewhere (beside the .blend)"
            )
        mapping = mapping_editor.editor_mapping(s)
        text = rigs.mapping_to_toml(
            mapping, comment=f"{path.stem}: saved from the Face Mocap mapping editor (edited from {mapping.name})"
        )
        with atomic_write.atomic_write(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        rigs.load_mapping(path)  # what was written reads back
        s.mapping_edit_name = path.stem
        s.mapping = properties.CUSTOM
        # Relative to the .blend where it can be (a copied or moved project reads its own file), as Blender's own
        # paths are by default.
        relative = bpy.data.filepath and context.preferences.filepaths.use_relative_paths
        s.custom_mapping_path = bpy.path.relpath(str(path)) if relative else str(path)
        s.use_mapping_editor = False  # the file bakes, with whatever is changed in it later
        self.report({"INFO"}, f"Saved {len(mapping.links)} links to {path}")
        return {"FINISHED"}


class FACEMOCAP_OT_mapping_link_add(bpy.types.Operator):
    """Add a link to the edited mapping (a copy of the selected one, or the first source channel)."""

    bl_idname = idnames.OP_MAPPING_LINK_ADD
    bl_label = "Add Link"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        if not len(s.mapping_sources):
            for name in _take_channels(s):
                s.mapping_sources.add().name = name
        links, i = s.mapping_links, s.mapping_links_index
        new = links.add()
        if 0 <= i < len(links) - 1:
            old = links[i]
            new.source, new.target, new.gain, new.offset = old.source, old.target, old.gain, old.offset
            new.clamp_low, new.clamp_high = old.clamp_low, old.clamp_high
            new.unless_rig_has = old.unless_rig_has
        else:
            new.source = s.mapping_sources[0].name
        s.mapping_links_index = len(links) - 1
        return {"FINISHED"}


class FACEMOCAP_OT_mapping_link_remove(bpy.types.Operator):
    """Remove the selected link from the edited mapping."""

    bl_idname = idnames.OP_MAPPING_LINK_REMOVE
    bl_label = "Remove Link"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        s = properties.settings_of(context)
        return 0 <= s.mapping_links_index < len(s.mapping_links)

    @reports_errors
    def execute(self, context):
        s = properties.settings_of(context)
        s.mapping_links.remove(s.mapping_links_index)
        s.mapping_links_index = int(np.clip(s.mapping_links_index, 0, max(len(s.mapping_links) - 1, 0)))
        return {"FINISHED"}


classes = (
    FACEMOCAP_OT_mapping_edit,
    FACEMOCAP_OT_mapping_load,
    FACEMOCAP_OT_mapping_save,
    FACEMOCAP_OT_mapping_link_add,
    FACEMOCAP_OT_mapping_link_remove,
)
