"""Where the actor's neutral face comes from when the user gives it (``track --neutral``).

The engine estimates the actor's rest from a clip's calmest frames; a clip that never relaxes (a whole take of
laughter) then reads its calmest expression as neutral. ``--neutral`` names a frame where the actor is at rest:
either a time in the tracked clip (seconds, as a player shows it) or a photo of the actor at rest. That frame then
reads expression 0 exactly, and every other frame is measured from it (:func:`engine.fitting.actor.neutral_offsets`).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from .contract.errors import InputError
from .media_sniff import sniff_media

__all__ = ["NeutralFrame"]


@dataclasses.dataclass(frozen=True)
class NeutralFrame:
    """A time in the tracked clip (``time_s``) or a photo (``photo``): exactly one is set."""

    time_s: float | None = None
    photo: Path | None = None

    def __post_init__(self) -> None:
        if (self.time_s is None) == (self.photo is None):
            raise ValueError("a NeutralFrame is either a time or a photo")

    @classmethod
    def parse(cls, spec: str) -> NeutralFrame:
        """``"2.5"`` -> 2.5 s into the clip; anything else is a photo's path.

        Raises:
            InputError: a negative time, a path that does not exist, or a video.

        Example:
            >>> NeutralFrame.parse("1.5")
            NeutralFrame(time_s=1.5, photo=None)
        """
        try:
            seconds = float(spec)
        except ValueError:
            path = Path(spec)
            if not path.is_file():
                raise InputError(f"--neutral: {spec} is neither a time in seconds nor an existing photo") from None
            if sniff_media(path) == "video":
                raise InputError(
                    f"--neutral: {spec} is a video, not a photo: give the time the actor is at rest in the clip "
                    "(--neutral SECONDS), or a still exported from it"
                ) from None
            return cls(photo=path)
        if not 0.0 <= seconds < math.inf:
            raise InputError(f"--neutral: the time must be a number of seconds >= 0, got {spec}")
        return cls(time_s=seconds)

    def describe(self) -> str:
        """How the take's metadata names it."""
        return f"{self.time_s:g} s into the clip" if self.time_s is not None else f"photo {self.photo.name}"
