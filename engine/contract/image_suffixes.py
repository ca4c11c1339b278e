"""The file suffixes read as image frames: one list for the frame reader (``engine.video_source``) and the takes
record's stamp of an image folder (:func:`.takes_record.clip_stamp`), so a folder's other files (a Thumbs.db, notes)
never make its frames look changed.
"""

from __future__ import annotations

__all__ = ["IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""File suffixes read as images (lower case); anything else is tried as a video."""
