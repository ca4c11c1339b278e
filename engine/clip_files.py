"""The files of a batch: which are clips, what each clip's take is called, and whether a take may be written.

Used by ``engine batch`` and the farm (:mod:`engine.farm.clips`, :mod:`engine.farm.plan`), and by ``engine track``
for its output. The image suffixes are the frame reader's own (:data:`engine.video_source.IMAGE_SUFFIXES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .contract.atomic_write import MAX_NAME_BYTES, NAME_OVERHEAD
from .contract.image_suffixes import split_image_files
from .contract.output_guard import check_output
from .contract.partial_take import PARTIAL_SUFFIX
from .contract.take_io import TAKE_SUFFIX, is_take_file
from .contract.writer_lock import LOCK_SUFFIX
from .errors import InputError
from .image_sequence import folder_sequence, numbered_pattern, unread_image_hint
from .media_sniff import sniff_media
from .video_source import IMAGE_SUFFIXES

__all__ = [
    "VIDEO_SUFFIXES",
    "batch_clips",
    "check_take_output",
    "clip_take_name",
    "clips_in_folder",
    "is_image_sequence",
    "sequence_notice",
    "skipped_reason",
    "take_names",
]

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif")


def check_take_output(path: Path, *, overwrite: bool = False) -> Path:
    """Check a take's output path before any work (an artist's file is never overwritten); returns it resolved.

    An existing take (re-tracking) may be replaced; any other existing file only with ``overwrite``. The name must
    leave room, within the file system's 255 bytes a name, for what is written beside it: its unfinished run's
    folder (``.partial``), its lock, and the temporary file it is written through (``.<stem>.<pid>.<random>.tmp``).
    """
    longest = max(len(PARTIAL_SUFFIX), len(LOCK_SUFFIX), NAME_OVERHEAD)
    if len(Path(path).name.encode("utf-8", "surrogateescape")) + longest > MAX_NAME_BYTES:
        raise InputError(
            f"take name too long ({len(Path(path).name)} characters): a take's unfinished run is kept beside it as "
            f"'<name>{PARTIAL_SUFFIX}', so the name may have at most {MAX_NAME_BYTES - longest} bytes; shorten it"
        )
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
    holding images and no videos (sequences). A subfolder that is not a sequence (a day's videos, videos beside a
    poster image) is not searched: it is listed with the files that are not clips, to be said. Hidden files are
    ignored.
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
        elif path.is_dir():
            (clips if is_image_sequence(path) else skipped).append(path)
    if not clips:
        folders = [p.name for p in skipped if p.is_dir() and _holds_videos(p)]
        inside = f" ({', '.join(folders)}: folders of videos; give them themselves)" if folders else ""
        raise InputError(f"batch: no videos, images or image folders in {folder}{inside}")
    return clips, skipped


def is_image_sequence(folder: Path) -> bool:
    """A folder is an image sequence when it holds images and no videos (beside a poster image, a day's videos are
    videos) and its images are one sequence (:func:`~engine.image_sequence.folder_sequence`: not two, nor a slate
    beside the frames, which the frame reader refuses); hidden files do not count.
    """
    return _sequence_refusal(folder) is None


def _sequence_refusal(folder: Path) -> str | None:
    """Why a folder is not an image sequence ("" when it holds no images, or videos), or None when it is one."""
    images, others = split_image_files(folder.iterdir())
    if not images or any(p.suffix.lower() in VIDEO_SUFFIXES for p in others):
        return ""
    try:
        folder_sequence(folder, images, others)
    except InputError as err:
        return str(err)
    return None


def sequence_notice(item: Path, clips: Sequence[Path]) -> str:
    """A notice for a folder given to a batch whose images are all one numbered sequence (each becomes a take of a
    still: a 2,000-frame plate, 2,000 takes), or "".
    """
    inside = [clip for clip in clips if clip.parent == item]
    images = [clip for clip in inside if clip.suffix.lower() in IMAGE_SUFFIXES]
    pattern = numbered_pattern(images) if images and len(images) == len(inside) else ""
    if not pattern:
        return ""
    return (
        f"the {len(images)} images of {item} are numbered as one sequence ({pattern}): each is tracked as a still, a "
        f"take apiece; to track them as one shot, give the folder above it (or `track {item}`)"
    )


def _holds_videos(folder: Path) -> bool:
    return any(p.suffix.lower() in VIDEO_SUFFIXES for p in folder.iterdir() if not p.name.startswith("."))


def skipped_reason(path: Path) -> str:
    """Why a batch passed over something in a folder it was given (:func:`clips_in_folder`)."""
    if path.is_dir() and _holds_videos(path):
        return "a folder of videos (an image sequence holds images only): give it itself to track its videos"
    if path.is_dir():
        refusal = _sequence_refusal(path)
        unread = unread_image_hint(path, [p for p in path.iterdir() if p.is_file()])
        if refusal or unread:
            return refusal or unread
    return "not a video, an image or an image folder"


def take_names(clips: Sequence[Path]) -> dict[Path, str]:
    """Each clip's take file stem (``<stem>.npz`` is its take): :func:`clip_take_name`, or ``<stem>_<suffix>`` for
    clips of one folder sharing a stem (``a.mp4`` and ``a.png``: ``a_mp4`` and ``a_png``). ``engine batch`` and the
    farm name takes with this one function, so a farm re-run finds the takes a batch wrote.

    Raises:
        InputError: clips in different folders would write the same take (rename one, or track them separately).

    Example:
        >>> take_names([Path("/s/a.mp4"), Path("/s/a.png"), Path("/s/b.mov"), Path("/s/take.01")])  # doctest: +ELLIPSIS
        {...('/s/a.mp4'): 'a_mp4', ...('/s/a.png'): 'a_png', ...('/s/b.mov'): 'b', ...('/s/take.01'): 'take.01'}
    """
    by_folder: dict[tuple[Path, str], int] = {}
    for clip in clips:
        key = (clip.parent, clip_take_name(clip).lower())
        by_folder[key] = by_folder.get(key, 0) + 1
    names = {}
    for clip in clips:
        name = clip_take_name(clip)
        if by_folder[(clip.parent, name.lower())] > 1:
            name = f"{name}_{clip.suffix.lstrip('.').lower() or 'folder'}"
        names[clip] = name
    by_name: dict[str, list[Path]] = {}
    for clip, name in names.items():
        by_name.setdefault(name.lower(), []).append(clip)
    clashes = {n: c for n, c in by_name.items() if len(c) > 1}
    if clashes:
        lines = "; ".join(f"{n}.npz <- {', '.join(map(str, c))}" for n, c in sorted(clashes.items()))
        raise InputError(f"clips that would write the same take (rename one, or track them separately): {lines}")
    return names


def clip_take_name(clip: Path) -> str:
    """The take's file stem for a clip: a video's or image's stem, or the image-sequence folder's whole name.

    Example:
        >>> clip_take_name(Path("/shots/d0.v2.mp4")), clip_take_name(Path("/shots/take.01"))
        ('d0.v2', 'take.01')
    """
    return clip.stem if clip.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES else clip.name
