"""The clips of a farm job: files, folders and globs, expanded the way ``engine batch`` reads a folder."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from ..clip_files import VIDEO_SUFFIXES, clips_in_folder, is_image_sequence
from ..errors import InputError
from ..video_source import IMAGE_SUFFIXES

__all__ = ["clips_in_folder_or_none", "collect_clips"]

_GLOB_CHARS = frozenset("*?[")


def _is_clip(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES
    return path.is_dir() and is_image_sequence(path)  # batch's rule: images and no videos


def _folder_clips(folder: Path, skipped: list[Path]) -> list[Path]:
    try:
        clips, passed = clips_in_folder(folder)  # files that are not clips are left out (and listed), as batch does
    except InputError:
        raise InputError(f"no videos, images or image-sequence folders in {folder}") from None
    skipped += passed
    return clips


def collect_clips(items: Sequence[str | Path], skipped: list[Path] | None = None) -> list[Path]:
    """Expand command-line items into clips, absolute, each once, in the order given.

    - a video or image file is one clip;
    - a folder holds clips as ``engine batch`` reads it: its videos and images, and each subfolder of images
      (an image sequence);
    - a glob (``shots/*.mov``, ``day*/``) stands for its matches, sorted; each match that is a video, an image or
      a folder of images is a clip, and a matched folder without images holds clips as a folder item does.

    Args:
        skipped: if given, the files found in folders that are not clips are appended (to be listed, as batch does).

    Raises:
        InputError: an item does not exist, is not a clip, or a glob or folder holds no clip.
    """
    clips: list[Path] = []
    skipped = [] if skipped is None else skipped
    for item in items:
        text = str(item)
        path = Path(text)
        if _GLOB_CHARS & set(text) and not path.exists():
            found = [Path(m) for m in sorted(glob.glob(text))]
            matched = []
            for m in found:
                if _is_clip(m):
                    matched.append(m)
                elif m.is_dir() and clips_in_folder_or_none(m) is not None:
                    matched += _folder_clips(m, skipped)  # a folder of videos: its clips
            if not matched:
                raise InputError(f"no videos, images or image folders match {text!r}")
            clips += matched
        elif path.is_dir():
            clips += _folder_clips(path, skipped)
        elif path.is_file():
            if path.suffix.lower() not in VIDEO_SUFFIXES + IMAGE_SUFFIXES:
                raise InputError(f"not a video or image (by its suffix): {path}")
            clips.append(path)
        else:
            raise InputError(f"clip not found: {path}")
    unique: dict[Path, None] = {}
    for clip in clips:
        unique.setdefault(clip.absolute(), None)
    return list(unique)


def clips_in_folder_or_none(folder: Path) -> list[Path] | None:
    """The clips of a folder, or None if it holds none."""
    try:
        return clips_in_folder(folder)[0] or None
    except InputError:
        return None
