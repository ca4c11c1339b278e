"""A folder of images as one shot: which files are its frames, their numbers, and what is refused.

A render or a conform writes one numbered sequence to a folder: ``shot.1001.png``, ``shot.1002.png``, ... (any
padding; the frame number is the run of digits that changes from file to file, ``shot_0001_v2.png`` too). Frames are
timed by their numbers, so a missing frame leaves its time empty instead of pulling every later frame early; numbers
that do not count frames (a phone's burst ``IMG_1234``, ``IMG_1300``; names holding a clock time) only order them. A
glob of one folder's sequence is timed the same way. What is not one sequence is refused before any work, naming what
is there: two sequences (``A.####`` and ``B.####``, or a sequence beside its proxies of another format), a slate or
thumbnail beside the frames, frames in a format this engine does not read (EXR, DPX: scene-linear plates, which would
also need converting for a face detector trained on display images; a RAW or a paint-over beside readable frames is
passed over). A folder of unnumbered images keeps its name order.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = [
    "UNREAD_IMAGE_SUFFIXES",
    "ImageSequence",
    "folder_sequence",
    "glob_sequence",
    "natural_sort_key",
    "numbered_pattern",
    "unread_image_hint",
]

UNREAD_IMAGE_SUFFIXES = (".exr", ".dpx", ".cin", ".hdr", ".tga", ".jp2", ".j2k", ".psd", ".sgi", ".dng", ".cr2")
"""Image formats found in plates and renders that the engine does not read (lower case)."""


@dataclasses.dataclass(frozen=True)
class ImageSequence:
    """The frames of a folder, in order.

    Attributes:
        files: the frame files, by frame number (by name when unnumbered).
        numbers: their frame numbers, increasing; None when they are not timed by number (unnumbered files, or
            numbers that do not count frames: a burst of photos).
        named: how a person names the sequence (``shot.####.png``); "" for unnumbered files.
    """

    files: tuple[Path, ...]
    numbers: tuple[int, ...] | None = None
    named: str = ""

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
        return self.named or self.files[0].name


def natural_sort_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: ``img2`` before ``img10``.

    Example:
        >>> sorted(["img10.png", "img2.png", "img1.png"], key=natural_sort_key)
        ['img1.png', 'img2.png', 'img10.png']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name))


def _shape(path: Path) -> tuple[tuple[str, ...], str]:
    """A name's text around its digit runs, and its suffix: names alike but for their numbers share a shape."""
    return tuple(re.split(r"\d+", path.stem)), path.suffix.lower()


def _runs(path: Path) -> list[str]:
    return re.findall(r"\d+", path.stem)


def _pattern(path: Path, frame_run: int) -> str:
    """``path``'s name with its frame-number run as ``#``s: ``shot.####.png``."""
    texts, runs = re.split(r"\d+", path.stem), _runs(path)
    shown = ["#" * len(r) if i == frame_run else r for i, r in enumerate(runs)]
    return "".join(t + (shown[i] if i < len(shown) else "") for i, t in enumerate(texts)) + path.suffix


def _glob_of(path: Path, frame_run: int) -> str:
    return _pattern(path, frame_run).replace("#" * len(_runs(path)[frame_run]), "*", 1)


def _sequences(images: list[Path]) -> tuple[list[tuple[int, list[Path]]], list[Path]]:
    """The numbered sequences among ``images`` as ``(frame-number run, files)``, and the files without digits.

    Names alike but for their numbers are one sequence when one digit run varies (the frame number; another that
    stays the same is part of the name: ``shot_0001_v2.png``); when two vary, the last is the frame number and the
    other tells sequences apart (``A1.0001``, ``A2.0001``: versions, takes).
    """
    shapes: dict[tuple, list[Path]] = {}
    loose = []
    for path in sorted(images, key=lambda p: natural_sort_key(p.name)):
        (shapes.setdefault(_shape(path), []) if _runs(path) else loose).append(path)
    found: list[tuple[int, list[Path]]] = []
    for files in shapes.values():
        runs = [[int(r) for r in _runs(p)] for p in files]
        varying = [j for j in range(len(runs[0])) if len({row[j] for row in runs}) > 1]
        frame_run = varying[-1] if varying else len(runs[0]) - 1
        apart: dict[tuple[int, ...], list[Path]] = {}
        for path, row in zip(files, runs, strict=True):
            apart.setdefault(tuple(row[j] for j in varying[:-1]), []).append(path)
        found += [(frame_run, group) for group in apart.values()]
    return found, loose


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
        InputError: most of the folder's images in a format the engine does not read (a RAW or a paint-over beside
            the frames is passed over), or not one sequence (see the module docstring).
    """
    unread = unread_image_hint(folder, others)
    if unread and sum(p.suffix.lower() in UNREAD_IMAGE_SUFFIXES for p in others) > len(images):
        raise InputError(unread)
    found, loose = _sequences(images)
    if not found:
        return ImageSequence(tuple(loose))
    if len(found) > 1 or loose:
        parts = [
            f"{_pattern(files[0], run)} ({len(files)} image{'s' if len(files) > 1 else ''})" for run, files in found
        ]
        parts += [p.name for p in loose[:3]] + ([f"{len(loose) - 3} more"] if len(loose) > 3 else [])
        run, files = found[0]
        raise InputError(
            f"{folder} is not one image sequence: it holds {', '.join(parts)}; move the others out, or give one "
            f"as a pattern ('{folder / _glob_of(files[0], run)}')"
        )
    ((run, files),) = found
    return _numbered(folder, run, files)


def _numbered(where: Path, run: int, files: list[Path]) -> ImageSequence:
    """A sequence's files in frame order, timed by their numbers when they count frames (mostly one apart; a
    burst of photos or names holding a clock time are in order, a frame apart).
    """
    numbered = sorted((int(_runs(p)[run]), p) for p in files)
    numbers = [n for n, _ in numbered]
    repeated = next((n for n, m in zip(numbers, numbers[1:], strict=False) if n == m), None)
    if repeated is not None:
        twins = [p.name for n, p in numbered if n == repeated]
        raise InputError(f"{where}: {' and '.join(twins)} are both frame {repeated}: keep one")
    steps = np.diff(numbers)
    # Frames most of them one apart (gaps are missing frames), or all the same step apart (a render of every other
    # frame: timed by number too, not at double speed); else a burst or clock times, only in order.
    counts_frames = len(numbers) < 2 or float(np.mean(steps == 1)) >= 0.5
    counts_frames = counts_frames or (len(numbers) >= 3 and len(set(steps.tolist())) == 1)
    pattern = _pattern(numbered[0][1], run)
    return ImageSequence(tuple(p for _, p in numbered), tuple(numbers) if counts_frames else None, pattern)


def glob_sequence(pattern: str, files: list[Path]) -> ImageSequence | None:
    """The files a glob matched as one numbered sequence of one folder (timed by frame number), or None when they
    are not (files of several folders, or several sequences: read in name order).
    """
    if len({f.parent for f in files}) != 1:
        return None
    found, loose = _sequences(files)
    if len(found) != 1 or loose:
        return None
    ((run, matched),) = found
    return _numbered(Path(pattern), run, matched)


def numbered_pattern(images: list[Path]) -> str:
    """``shot.####.png`` when ``images`` (two or more) are all the frames of one numbered sequence whose numbers
    count frames, else "".
    """
    found, loose = _sequences(images)
    if len(images) < 2 or len(found) != 1 or loose:
        return ""
    run, files = found[0]
    try:
        sequence = _numbered(Path("."), run, files)
    except InputError:
        return ""
    return sequence.pattern() if sequence.numbers is not None else ""
