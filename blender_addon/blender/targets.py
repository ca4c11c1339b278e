"""Find the parts of a character in a Blender file: the meshes of a face (a collection's, or an armature's) and the
armature's face bones (bpy; reads only).

A character's face is often several meshes (head, teeth, tongue, eyes, eyelashes, brows), each with its own shape
keys: every mesh with shape keys is a candidate, and the bake drives those whose keys match the mapping. Meshes
come most shape keys first (the head), then by name, so the bake's main Action goes to the head.
"""

from __future__ import annotations

import bpy

from .._rigs import rigs

__all__ = ["armature_meshes", "collection_meshes", "face_bones_of", "meshes_with_shape_keys", "scene_meshes"]


def _shape_key_count(obj: bpy.types.Object) -> int:
    key = getattr(obj.data, "shape_keys", None) if obj.type == "MESH" else None
    return len(key.key_blocks) - 1 if key is not None else 0


def meshes_with_shape_keys(objects) -> list[bpy.types.Object]:
    """The mesh objects among ``objects`` that have shape keys besides the Basis: most keys first, then by name."""
    found = {o.name: o for o in objects if _shape_key_count(o) > 0}
    return sorted(found.values(), key=lambda o: (-_shape_key_count(o), o.name))


def collection_meshes(collection: bpy.types.Collection) -> list[bpy.types.Object]:
    """A collection's meshes with shape keys, its child collections' included."""
    return meshes_with_shape_keys(collection.all_objects)


def armature_meshes(armature: bpy.types.Object) -> list[bpy.types.Object]:
    """The meshes with shape keys that belong to an armature: its children (at any depth, bone-parented too) and
    meshes deformed by it through an Armature modifier.
    """
    found = list(armature.children_recursive)
    for obj in bpy.data.objects:
        if obj.type == "MESH" and any(m.type == "ARMATURE" and m.object == armature for m in obj.modifiers):
            found.append(obj)
    return meshes_with_shape_keys(found)


def scene_meshes(scene: bpy.types.Scene) -> list[bpy.types.Object]:
    """Every mesh with shape keys in the scene."""
    return meshes_with_shape_keys(scene.objects)


def face_bones_of(armature: bpy.types.Object) -> rigs.FaceBones:
    """The armature's head, neck, jaw and eye bones by their names (``rigs/face_bones.toml``)."""
    if armature is None or armature.type != "ARMATURE":
        return rigs.FaceBones()
    return rigs.find_face_bones([b.name for b in armature.data.bones])
