"""Face capture engine: video -> per-frame FaceWarehouse-46 expression, head pose, eyes -> take file (.npz).

Runs as its own process beside Blender (``python -m engine ...``) and never imports bpy.
Importing this package does nothing but define names; models load on explicit calls.
"""

from __future__ import annotations

from .version import engine_version

__all__ = ["engine_version"]
