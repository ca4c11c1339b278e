"""The clips of a farm job: files, folders and globs, expanded the way ``engine batch`` reads a folder."""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from ..clip_files import VIDEO_SUFFIXES, clips_in_folder
from ..errors import InputError
from ..video_source import IMAGE_SUFFIXES

__all__ = ["clip_take_name", "collect_clips"]

_GLOB_CHARS = frozenset("*?[")


def _is_clip(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES
    return path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())


def _folder_clips(folder: Path) -> list[Path]:
    try:
        clips, _skipped = clips_in_folder(folder)  # files that are not clips are left out, as batch does
        return clips
    except InputError:
        raise InputError(f"no videos, images or image-sequence folders in {folder}") from None


def collect_clips(items: Sequence[str | Path]) -> list[Path]:
    """Expand command-line items into clips, absolute, each once, in the order given.

    - a video or image file is one clip;
    - a folder holds clips as ``engine batch`` reads it: its videos and images, and each subfolder of images
      (an image sequence);
    - a glob (``shots/*.mov``, ``day*/``) stands for its matches, sorted; each match that is a video, an image or
      a folder of images is a clip.

    Raises:
        InputError: an item does not exist, is not a clip, or a glob or folder holds no clip.
    """
    clips: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text)
        if _GLOB_CHARS & set(text) and not path.exists():
            found = [Path(m) for m in sorted(glob.glob(text))]
            matched = [m for m in found if _is_clip(m)]
            if not matched:
                raise InputError(f"no videos, images or image folders match {text!r}")
            clips += matched
        elif path.is_dir():
            clips += _folder_clips(path)
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


def clip_take_name(clip: Path) -> str:
    """The take's file stem for a clip: a video's or image's stem, or the image-sequence folder's whole name.

    Example:
        >>> clip_take_name(Path("/shots/d0.v2.mp4")), clip_take_name(Path("/shots/take.01"))
        ('d0.v2', 'take.01')
    """
    return clip.stem if clip.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES else clip.name
