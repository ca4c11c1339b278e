"""The add-on's Blender layer: writes Blender data (Actions and curves, the demo rig) with bpy, synchronously."""
