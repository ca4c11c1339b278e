"""A folder of images as one shot: which files are its frames, their numbers, and what is refused.

A render, a conform or a phone's burst writes one numbered sequence to a folder: ``shot.1001.png``,
``shot.1002.png``, ... (any padding; the last run of digits in a file's stem is its frame number). Frames are
timed by their numbers, so a missing frame leaves its time empty instead of pulling every later frame early. What
is not one sequence is refused before any work, naming what is there: two sequences (``A.####`` and ``B.####``, or
a sequence beside its proxies of another format), a slate or thumbnail beside the frames, frames in a format this
engine does not read (EXR, DPX: scene-linear plates, which would also need converting for a face detector trained
on display images). A folder of unnumbered images keeps its name order.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .errors import InputError

__all__ = [
    "UNREAD_IMAGE_SUFFIXES",
    "ImageSequence",
    "folder_sequence",
    "natural_sort_key",
    "numbered_pattern",
    "unread_image_hint",
]

UNREAD_IMAGE_SUFFIXES = (".exr", ".dpx", ".cin", ".hdr", ".tga", ".jp2", ".j2k", ".psd", ".sgi", ".dng", ".cr2")
"""Image formats found in plates and renders that the engine does not read (lower case)."""
_NUMBERED = re.compile(r"^(.*?)(\d+)(\D*)$")  # stem = prefix, frame number (the last digit run), tail


@dataclasses.dataclass(frozen=True)
class ImageSequence:
    """The frames of a folder, in order.

    Attributes:
        files: the frame files, by frame number (by name when unnumbered).
        numbers: their frame numbers, increasing; None for unnumbered files.
    """

    files: tuple[Path, ...]
    numbers: tuple[int, ...] | None = None

    def offsets(self) -> tuple[int, ...]:
        """Each frame's place in frames from the first: its number minus the first's (its index when unnumbered)."""
        if self.numbers is None:
            return tuple(range(len(self.files)))
        return tuple(n - self.numbers[0] for n in self.numbers)

    def missing(self) -> list[tuple[int, int]]:
        """The runs of frame numbers missing between the first and the last, as ``(first, last)`` (inclusive)."""
        if self.numbers is None:
            return []
        return [(a + 1, b - 1) for a, b in zip(self.numbers, self.numbers[1:], strict=False) if b > a + 1]

    def pattern(self) -> str:
        """How a person names the sequence: ``shot.####.png`` (or the first file's name when unnumbered)."""
        return _pattern(self.files[0]) if self.numbers is not None else self.files[0].name


def natural_sort_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: ``img2`` before ``img10``.

    Example:
        >>> sorted(["img10.png", "img2.png", "img1.png"], key=natural_sort_key)
        ['img1.png', 'img2.png', 'img10.png']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name))


def _key(path: Path) -> tuple[str, str, str] | None:
    """(prefix, tail, suffix) of a numbered file's name, or None for one without digits in its stem."""
    found = _NUMBERED.match(path.stem)
    return None if found is None else (found[1], found[3], path.suffix.lower())


def _pattern(path: Path) -> str:
    found = _NUMBERED.match(path.stem)
    if found is None:
        return path.name
    return f"{found[1]}{'#' * len(found[2])}{found[3]}{path.suffix}"


def unread_image_hint(folder: Path, others: list[Path]) -> str:
    """A sentence naming the frames in formats this engine does not read among ``others``, or ""."""
    unread = [p for p in others if p.suffix.lower() in UNREAD_IMAGE_SUFFIXES]
    if not unread:
        return ""
    kinds = ", ".join(sorted({p.suffix.lower() for p in unread}))
    return (
        f"{folder} holds {len(unread)} {kinds} image(s), a format this engine does not read: convert the frames to "
        "PNG or TIFF (16-bit is fine) in display colour (sRGB), as a face is seen on screen"
    )


def folder_sequence(folder: Path, images: list[Path], others: list[Path]) -> ImageSequence:
    """The one sequence of a folder's readable ``images`` (``others``: its other files).

    Raises:
        InputError: frames in a format the engine does not read, or not one sequence (see the module docstring).
    """
    unread = unread_image_hint(folder, others)
    if unread:
        raise InputError(unread)
    groups: dict[tuple[str, str, str], list[Path]] = {}
    loose: list[Path] = []
    for path in sorted(images, key=lambda p: natural_sort_key(p.name)):
        key = _key(path)
        if key is None:
            loose.append(path)
        else:
            groups.setdefault(key, []).append(path)
    if not groups:
        return ImageSequence(tuple(loose))
    if len(groups) > 1 or loose:
        parts = [
            f"{_pattern(files[0])} ({len(files)} image{'s' if len(files) > 1 else ''})" for files in groups.values()
        ]
        parts += [p.name for p in loose[:3]] + ([f"{len(loose) - 3} more"] if len(loose) > 3 else [])
        raise InputError(
            f"{folder} is not one image sequence: it holds {', '.join(parts)}; move the others out, or give one "
            f"as a pattern ('{folder / _glob_of(next(iter(groups.values()))[0])}')"
        )
    (files,) = groups.values()
    numbered = sorted((int(_NUMBERED.match(p.stem)[2]), p) for p in files)
    numbers = [n for n, _ in numbered]
    repeated = next((n for n, m in zip(numbers, numbers[1:], strict=False) if n == m), None)
    if repeated is not None:
        twins = [p.name for n, p in numbered if n == repeated]
        raise InputError(f"{folder}: {' and '.join(twins)} are both frame {repeated}: keep one")
    return ImageSequence(tuple(p for _, p in numbered), tuple(numbers))


def numbered_pattern(images: list[Path]) -> str:
    """``shot.####.png`` when ``images`` (two or more) are all the frames of one numbered sequence, else ""."""
    keys = {_key(p) for p in images}
    return _pattern(images[0]) if len(images) > 1 and len(keys) == 1 and None not in keys else ""


def _glob_of(path: Path) -> str:
    found = _NUMBERED.match(path.stem)
    return f"{found[1]}*{found[3]}{path.suffix}" if found else path.name
