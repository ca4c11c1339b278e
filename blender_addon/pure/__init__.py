"""The add-on's bpy-free layer: numpy and the standard library only, unit-tested without Blender."""
