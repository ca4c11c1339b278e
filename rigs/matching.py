"""Match a rig's shape-key names to a canonical name list, tolerant of case and side-suffix spelling.

``eyeBlink_L``, ``EyeBlinkLeft``, ``eye_blink.L`` and ``EYEBLINK_l`` all normalise to ``eyeblink|left``.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = ["MatchReport", "match_shape_keys", "normalize_shape_name", "swap_side"]

# Side spellings, longest first so "Left" wins over "L". Matched at the end of a name, after an optional
# separator ("_", ".", "-", " "). Case-insensitive.
_SIDE_SUFFIX = re.compile(r"(?i)(?:[_.\- ]?(left|right)|[_.\- ](l|r))$")
_CAMEL_SIDE = re.compile(r"(Left|Right|_L|_R|\.L|\.R|_l|_r|\.l|\.r)$")
_SEPARATORS = re.compile(r"[_.\- ]")


def normalize_shape_name(name: str) -> str:
    """A spelling-independent key: lower case, separators removed, side as ``|left`` / ``|right``.

    Example:
        >>> normalize_shape_name("eyeBlink_L"), normalize_shape_name("EyeBlinkLeft"), normalize_shape_name("jawOpen")
        ('eyeblink|left', 'eyeblink|left', 'jawopen')
    """
    side = ""
    m = _SIDE_SUFFIX.search(name)
    if m:
        word = (m.group(1) or m.group(2)).lower()
        side = "|left" if word.startswith("l") else "|right"
        name = name[: m.start()]
    return _SEPARATORS.sub("", name).lower() + side


def swap_side(name: str) -> str:
    """The same name on the other side, keeping its spelling (``EyeBlink_L`` -> ``EyeBlink_R``).

    Example:
        >>> swap_side("eyeBlinkLeft"), swap_side("EyeBlink_R"), swap_side("JawOpen")
        ('eyeBlinkRight', 'EyeBlink_L', 'JawOpen')
    """
    m = _CAMEL_SIDE.search(name)
    if not m:
        return name
    suffix = m.group(1)
    swapped = {"Left": "Right", "Right": "Left"}.get(suffix)
    if swapped is None:
        letter = suffix[-1]
        other = {"L": "R", "R": "L", "l": "r", "r": "l"}[letter]
        swapped = suffix[:-1] + other
    return name[: m.start()] + swapped


@dataclasses.dataclass(frozen=True)
class MatchReport:
    """The outcome of matching a rig's shape keys to canonical names.

    Attributes:
        matched: canonical name -> the rig's shape-key name.
        missing: canonical names the rig lacks (in canonical order).
        unused: the rig's shape keys that match no canonical name (in the rig's order).
    """

    matched: dict[str, str]
    missing: tuple[str, ...]
    unused: tuple[str, ...]

    def summary(self) -> str:
        """One line for a report, e.g. ``'44/46 matched; missing: Puff, Sneer'``."""
        total = len(self.matched) + len(self.missing)
        text = f"{len(self.matched)}/{total} matched"
        if self.missing:
            text += "; missing: " + ", ".join(self.missing)
        return text


def match_shape_keys(
    canonical: tuple[str, ...] | list[str], rig_keys: list[str], *, swap_left_right: bool = False
) -> MatchReport:
    """Match canonical names to a rig's shape-key names.

    Args:
        canonical: canonical names (e.g. ``load_names("arkit52")``).
        rig_keys: the rig's shape-key names (Basis included or not; it matches nothing).
        swap_left_right: for a mirrored rig: a canonical Left channel drives the rig's Right key and vice versa.

    Example:
        >>> r = match_shape_keys(["eyeBlinkLeft", "jawOpen", "tongueOut"], ["Basis", "EyeBlink_L", "JAWOPEN"])
        >>> r.matched, r.missing, r.unused
        ({'eyeBlinkLeft': 'EyeBlink_L', 'jawOpen': 'JAWOPEN'}, ('tongueOut',), ('Basis',))
    """
    by_key: dict[str, str] = {}
    for key in rig_keys:
        by_key.setdefault(normalize_shape_name(key), key)
    matched: dict[str, str] = {}
    missing = []
    for name in canonical:
        wanted = swap_side(name) if swap_left_right else name
        key = by_key.get(normalize_shape_name(wanted))
        if key is None:
            missing.append(name)
        else:
            matched[name] = key
    used = set(matched.values())
    return MatchReport(matched, tuple(missing), tuple(k for k in rig_keys if k not in used))
