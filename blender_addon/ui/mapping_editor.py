"""The mapping editor's data: the links of a mapping as scene properties, and the conversions to and from
``rigs.Mapping`` (checked by ``rigs.make_mapping``, written by ``rigs.mapping_to_toml``).

The editor holds one mapping: its ordered source channels (the take's list), its ordered target names (a canonical
list, plus any key name typed as a target) and its links (source -> target, gain, offset, clamp). Baking with
"Use Edited Mapping" uses it as it is; "Save Mapping" writes it as a TOML mapping file like the presets.
"""

from __future__ import annotations

import fnmatch

import bpy
import numpy as np

from .._rigs import rigs
from ..pure.retarget import MappingError

__all__ = [
    "FACEMOCAP_PG_connection",
    "FACEMOCAP_PG_mapping_link",
    "FACEMOCAP_PG_name",
    "editor_mapping",
    "fill_editor",
    "link_label",
    "links_matching",
    "property_classes",
]


class FACEMOCAP_PG_name(bpy.types.PropertyGroup):
    """A name in a list (``name`` is the text): report lines, the editor's source and target names."""


class FACEMOCAP_PG_connection(bpy.types.PropertyGroup):
    """What a mapping target was connected to by the last matching (``name`` is the target)."""

    keys: bpy.props.StringProperty(name="Keys", description="The rig keys the target drove")


class FACEMOCAP_PG_mapping_link(bpy.types.PropertyGroup):
    """One link of the edited mapping: ``target += clip(gain * source + offset, clamp_low, clamp_high)``."""

    source: bpy.props.StringProperty(name="Source", description="The take channel read")
    target: bpy.props.StringProperty(
        name="Target", description="The mapping target (a name of the target list, or a shape key's own name)"
    )
    gain: bpy.props.FloatProperty(name="Gain", default=1.0, soft_min=-2.0, soft_max=3.0)
    offset: bpy.props.FloatProperty(name="Offset", default=0.0, soft_min=-1.0, soft_max=1.0)
    clamp_low: bpy.props.FloatProperty(name="Clamp Low", default=0.0, soft_min=-1.0, soft_max=1.0)
    clamp_high: bpy.props.FloatProperty(name="Clamp High", default=1.0, soft_min=0.0, soft_max=2.0)
    unless_rig_has: bpy.props.StringProperty(
        name="Unless Rig Has",
        description="Comma-separated targets: this link is used only on a mesh that has none of them",
    )


def fill_editor(s, mapping) -> None:
    """Load a ``rigs.Mapping`` into the settings' editor (replacing what was there)."""
    s.mapping_edit_name = mapping.name
    for collection, names in ((s.mapping_sources, mapping.source_names), (s.mapping_targets, mapping.target_names)):
        collection.clear()
        for name in names:
            collection.add().name = name
    s.mapping_links.clear()
    for link in mapping.links:
        item = s.mapping_links.add()
        item.source, item.target = link.source, link.target
        item.gain, item.offset = link.gain, link.offset
        item.clamp_low, item.clamp_high = link.clamp
        item.unless_rig_has = ", ".join(link.unless_rig_has)
    s.mapping_links_index = 0


def link_label(link) -> str:
    """A link's row text in the editor's list, and what its filter box matches: ``source -> target``."""
    return f"{link.source} -> {link.target or '?'}"


def links_matching(links, pattern: str) -> list[bool]:
    """For each link, whether its row text holds ``pattern`` (case-insensitive; ``*`` and ``?`` as wildcards)."""
    glob = f"*{pattern.lower()}*" if pattern else "*"
    return [fnmatch.fnmatchcase(link_label(link).lower(), glob) for link in links]


def _decimal(value: float) -> float:
    """A Blender (float32) property's value as the shortest decimal that is that float32: 0.1, not 0.10000000149."""
    return float(str(np.float32(value)))


def editor_mapping(s):
    """The edited mapping as a checked ``rigs.Mapping``; a target typed that is not in the target list is added to it.

    Raises:
        MappingError: the editor is empty, or a link is invalid (unknown source, a non-finite gain, ...); the
            message names the link.
    """
    if not len(s.mapping_links):
        raise MappingError("the mapping editor is empty: load a mapping into it (Edit Mapping) or add links")
    targets = [t.name for t in s.mapping_targets]
    for link in s.mapping_links:
        if link.target and link.target not in targets:
            targets.append(link.target)
    links = [
        rigs.Link(
            source=link.source,
            target=link.target,
            gain=_decimal(link.gain),
            offset=_decimal(link.offset),
            clamp=(_decimal(link.clamp_low), _decimal(link.clamp_high)),
            unless_rig_has=tuple(t.strip() for t in link.unless_rig_has.split(",") if t.strip()),
        )
        for link in s.mapping_links
    ]
    name = s.mapping_edit_name or "edited_mapping"
    try:
        return rigs.make_mapping(name, [n.name for n in s.mapping_sources], targets, links, where=f"edited {name}")
    except rigs.RigDataError as err:
        raise MappingError(str(err)) from None


property_classes = (FACEMOCAP_PG_name, FACEMOCAP_PG_connection, FACEMOCAP_PG_mapping_link)
