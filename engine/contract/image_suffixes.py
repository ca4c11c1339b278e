"""Which files are image frames: one rule for the frame reader (``engine.video_source``), a batch's sequence check
(``engine.clip_files``), a resume's stamp (``engine.track_job``) and the takes record's stamp of an image folder
(:func:`.takes_record.clip_stamp`), so a folder's other files (a Thumbs.db, notes, the take's own lock) never read
as frames, nor make its frames look changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["IMAGE_SUFFIXES", "split_image_files"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
"""File suffixes read as images (lower case); anything else is tried as a video."""


def split_image_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """``(images, others)`` among the files of ``paths`` (a folder's listing, a glob's matches), in their order;
    hidden files (macOS's ``._frame_1.png``, a writer's temporaries) and folders are neither.
    """
    files = [p for p in paths if not p.name.startswith(".") and p.is_file()]
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]
