"""How a rig's shape-key name is read: case and separators ignored, its side found, leading words dropped.

A *reading* of a name (:func:`name_readings`):

- case and separators ignored (``_ . - | :`` and spaces): ``EYE_BLINK`` = ``eyeBlink``;
- the side read from a suffix (``Left``/``Right``, ``_L``/``.R``/``-l``/`` r``, or a trailing capital ``L``/``R``
  after a lower-case letter: ``EyeBlinkL``) or, when there is none, a prefix (``L_``, ``Left_``):
  ``eyeBlink_L``, ``EyeBlinkLeft``, ``eye_blink.L`` and ``L_EyeBlink`` all read ``eyeblink|left``;
- any number of leading words dropped, longest reading first, so numbered and set prefixes (``AK_01_``, ``A01_``,
  ``facs_bs_``) and namespaces (``blendShape1.``, ``Mesh|``, ``ns:``) fall away: ``AK_01_BrowDownLeft`` reads
  ``browdown|left`` after dropping two words.

A key's *set* (:func:`set_prefix`) is its namespace plus its leading run of numbered or short upper-case words,
digits shown as ``#``: ``AK_01_BrowDownLeft`` -> ``AK_##_``, ``A01_Brow_Inner_Up`` -> ``A##_``, ``AA_VI_03_E`` ->
``AA_VI_##_``, ``blendShape1.eyeBlinkLeft`` -> ``blendShape1.``, ``Eye_Blink_L`` -> ``""`` (no prefix).
Matching names to a canonical list (:mod:`.matching`) and vendor spellings (:mod:`.schemes`) both read names here.
"""

from __future__ import annotations

import re

__all__ = ["name_readings", "normalize_shape_name", "set_prefix", "swap_side"]

# A side at the end of a name: a word after an optional separator, a letter after a separator, or a capital letter
# right after a lower-case letter or digit ("EyeBlinkL"; case-sensitive so "jawl" stays a word).
_SIDE_SUFFIX = re.compile(r"(?i:[_.\-| :]?(left|right)|[_.\-| :](l|r))$|(?<=[a-z0-9])([LR])$")
_SIDE_PREFIX = re.compile(r"(?i)^(left|right|l|r)[_.\- ]")
_SEPARATORS = re.compile(r"[_.\-| :]+")
_NAMESPACE = re.compile(r"^.*[|:]")  # Maya DAG path or namespace: everything up to the last '|' or ':'
_SET_WORD = re.compile(r"^(?:[A-Z]{1,2}|[A-Za-z]*\d+[A-Za-z]*)$")  # "AK", "VI", "01", "A01", "V" (not "EYE")
_DIGITS = re.compile(r"\d+")


def _split_side(name: str) -> tuple[str, str]:
    """``(stem, side)``; side is ``""``, ``"left"`` or ``"right"``."""
    m = _SIDE_SUFFIX.search(name)
    if m and m.start() > 0:
        word = next(g for g in m.groups() if g).lower()
        return name[: m.start()], "left" if word.startswith("l") else "right"
    m = _SIDE_PREFIX.match(name)
    if m and m.end() < len(name):
        return name[m.end() :], "left" if m.group(1).lower().startswith("l") else "right"
    return name, ""


def name_readings(name: str) -> tuple[str, ...]:
    """Every reading of a name, longest first: all words, then with 1, 2, ... leading words dropped.

    Example:
        >>> name_readings("AK_01_BrowDownLeft")
        ('ak01browdown|left', '01browdown|left', 'browdown|left')
        >>> name_readings("blendShape1.eyeBlinkLeft"), name_readings("JawOpen")
        (('blendshape1eyeblink|left', 'eyeblink|left'), ('jawopen',))
    """
    stem, side = _split_side(name)
    words = [w for w in _SEPARATORS.split(stem) if w]
    tail = f"|{side}" if side else ""
    return tuple("".join(words[i:]).lower() + tail for i in range(len(words)))


def normalize_shape_name(name: str) -> str:
    """A spelling-independent key of the whole name: lower case, separators removed, side as ``|left`` / ``|right``.

    Example:
        >>> normalize_shape_name("eyeBlink_L"), normalize_shape_name("EyeBlinkLeft"), normalize_shape_name("jawOpen")
        ('eyeblink|left', 'eyeblink|left', 'jawopen')
    """
    readings = name_readings(name)
    return readings[0] if readings else name.lower()


def set_prefix(name: str) -> str:
    """The set a key belongs to: its namespace plus its leading numbered or short upper-case words, digits as ``#``.

    The last word is never part of the prefix, and neither is a side prefix (``L_``).

    Example:
        >>> [set_prefix(n) for n in ("AK_01_BrowDownLeft", "A01_Brow_Inner_Up", "AA_VI_03_E", "Eye_Blink_L")]
        ['AK_##_', 'A##_', 'AA_VI_##_', '']
        >>> set_prefix("blendShape1.eyeBlinkLeft"), set_prefix("Mesh|AU_12_LipCornerPuller"), set_prefix("L_Blink")
        ('blendShape1.', 'Mesh|AU_##_', '')
    """
    m = _NAMESPACE.match(name)
    namespace, rest = (m.group(0), name[m.end() :]) if m else ("", name)
    stem, _ = _split_side(rest)
    head, dot, tail = stem.partition(".")
    if dot and len(tail) >= 2 and not tail.isdigit():  # "blendShape1.eyeBlink": a node name in front
        namespace, stem = namespace + head + dot, tail
    prefix = ""
    for word in re.findall(r"[^_.\- ]+[_.\- ]*", stem)[:-1]:  # words with their trailing separators
        if not _SET_WORD.match(word.rstrip("_.- ")):
            break
        prefix += word
    return namespace + _DIGITS.sub(lambda d: "#" * len(d.group(0)), prefix)


def swap_side(name: str) -> str:
    """The same name on the other side, keeping its spelling: every side :func:`name_readings` reads swaps.

    Example:
        >>> swap_side("eyeBlinkLeft"), swap_side("EyeBlink_R"), swap_side("JawOpen")
        ('eyeBlinkRight', 'EyeBlink_L', 'JawOpen')
        >>> swap_side("eCTRLEyesClosedL"), swap_side("L_Blink"), swap_side("blink-l"), swap_side("BROW_LEFT")
        ('eCTRLEyesClosedR', 'R_Blink', 'blink-r', 'BROW_RIGHT')
    """
    m = _SIDE_SUFFIX.search(name)
    if m and m.start() > 0:
        group = next(i for i in (1, 2, 3) if m.group(i))
        return name[: m.start(group)] + _other_side(m.group(group)) + name[m.end(group) :]
    m = _SIDE_PREFIX.match(name)
    if m and m.end() < len(name):
        return _other_side(m.group(1)) + name[m.end(1) :]
    return name


def _other_side(word: str) -> str:
    """``Left`` -> ``Right``, ``l`` -> ``r``, ``LEFT`` -> ``RIGHT``: the other side in the same case."""
    other = {"left": "right", "right": "left", "l": "r", "r": "l"}[word.lower()]
    if word.isupper():
        return other.upper()
    return other.capitalize() if word[0].isupper() else other
