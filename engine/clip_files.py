"""The files of a batch: which are clips, what each clip's take is called, and whether a take may be written.

Used by ``engine batch`` and the farm (:mod:`engine.farm.clips`, :mod:`engine.farm.plan`), and by ``engine track``
for its output. The image suffixes are the frame reader's own (:data:`engine.video_source.IMAGE_SUFFIXES`).
"""

from __future__ import annotations

from pathlib import Path

from .contract.output_guard import check_output
from .contract.take_io import TAKE_SUFFIX, is_take_file
from .errors import InputError
from .media_sniff import sniff_media
from .video_source import IMAGE_SUFFIXES

__all__ = ["VIDEO_SUFFIXES", "batch_clips", "check_take_output", "clips_in_folder", "take_names"]

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif")


def check_take_output(path: Path, *, overwrite: bool = False) -> Path:
    """Check a take's output path before any work (an artist's file is never overwritten); returns it resolved.

    An existing take (re-tracking) may be replaced; any other existing file only with ``overwrite``.
    """
    return check_output(path, overwrite=overwrite, is_own=is_take_file, what="take", suffixes=(TAKE_SUFFIX,))


def batch_clips(inputs: list[str]) -> tuple[list[Path], list[Path]]:
    """The clips of a batch, and the files skipped: each input a clip (video, image) or a folder of them
    (:func:`clips_in_folder`). A clip named twice (``batch a.mp4 a.mp4``, or a file and its folder) is tracked once.
    """
    clips, skipped = [], []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found, passed = clips_in_folder(path)
            clips += found
            skipped += passed
        elif path.is_file():
            clips.append(path)
        else:
            raise InputError(f"batch: no such clip or folder: {path}")
    unique = {clip.resolve(): clip for clip in reversed(clips)}  # the first naming of each file wins
    return [clip for clip in clips if unique[clip.resolve()] is clip], skipped


def clips_in_folder(folder: Path) -> tuple[list[Path], list[Path]]:
    """The clips of a batch folder, and the files that are not clips.

    Clips are video files, images (by suffix or by content, so a misnamed file is not skipped) and subfolders
    holding images (sequences). Hidden files are ignored.
    """
    if not folder.is_dir():
        raise InputError(f"batch: not a folder: {folder}")
    clips, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file():
            known = path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES
            (clips if known or sniff_media(path) is not None else skipped).append(path)
        elif path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
            clips.append(path)
    if not clips:
        raise InputError(f"batch: no videos, images or image folders in {folder}")
    return clips, skipped


def take_names(clips: list[Path]) -> dict[Path, str]:
    """The take file name of each clip: ``<stem>.npz``, or ``<stem>_<suffix>.npz`` where stems collide.

    Example:
        >>> take_names([Path("a.mp4"), Path("a.png"), Path("b.mov")])
        {PosixPath('a.mp4'): 'a_mp4.npz', PosixPath('a.png'): 'a_png.npz', PosixPath('b.mov'): 'b.npz'}
    """
    stems: dict[str, int] = {}
    for clip in clips:
        stems[clip.stem.lower()] = stems.get(clip.stem.lower(), 0) + 1
    names = {}
    for clip in clips:
        unique = stems[clip.stem.lower()] == 1
        names[clip] = f"{clip.stem}.npz" if unique else f"{clip.stem}_{clip.suffix.lstrip('.').lower() or 'folder'}.npz"
    seen: dict[str, Path] = {}
    for clip, name in names.items():
        if name.lower() in seen:
            raise InputError(f"batch: {seen[name.lower()]} and {clip} would both be tracked into {name}; rename one")
        seen[name.lower()] = clip
    return names
