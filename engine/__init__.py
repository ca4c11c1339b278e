"""Face capture engine: video -> per-frame FaceWarehouse-46 expression, head pose, eyes -> take file (.npz).

Runs as its own process beside Blender (``python -m engine ...``) and never imports bpy. ``engine.contract`` is
the part shared with the Blender add-on (the take file, frame conventions, filters, the progress protocol).
Importing this package does nothing but define names; models load on explicit calls.
"""
