"""Match a rig's shape-key names to a canonical name list, as real exports spell them.

A rig key is read as a canonical name when one of its *readings* equals the canonical name's, or a vendor
spelling of it listed in ``rigs/schemes/`` (Character Creator, Daz, VRoid, VRM 0.x, ...). A reading is:

- case and separators ignored (``_ . - | :`` and spaces): ``EYE_BLINK`` = ``eyeBlink``;
- the side read from a suffix (``Left``/``Right``, ``_L``/``.R``/``-l``/`` r``, or a trailing capital ``L``/``R``
  after a lower-case letter: ``EyeBlinkL``) or, when there is none, a prefix (``L_``, ``Left_``):
  ``eyeBlink_L``, ``EyeBlinkLeft``, ``eye_blink.L`` and ``L_EyeBlink`` all read ``eyeblink|left``;
- any number of leading words dropped, longest reading first, so numbered and set prefixes (``AK_01_``, ``A01_``,
  ``facs_bs_``) and namespaces (``blendShape1.``, ``Mesh|``, ``ns:``) fall away: ``AK_01_BrowDownLeft`` reads
  ``browdown|left`` after dropping two words.

Several shape-key sets on one mesh (an ARKit set beside visemes, action units, a second ARKit-like set) compete
per canonical name: the keys whose *set* matches the most canonical names win (and among them those read with the
fewest words dropped); the others are left alone and reported. A key's set is its namespace plus its leading run
of numbered or short upper-case words, digits shown as ``#``: ``AK_01_BrowDownLeft`` -> ``AK_##_``,
``A01_Brow_Inner_Up`` -> ``A##_``, ``AA_VI_03_E`` -> ``AA_VI_##_``, ``blendShape1.eyeBlinkLeft`` -> ``blendShape1.``,
``Eye_Blink_L`` -> ``""`` (no prefix).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

__all__ = [
    "MatchReport",
    "match_shape_keys",
    "name_readings",
    "normalize_shape_name",
    "set_prefix",
    "swap_side",
]

# A side at the end of a name: a word after an optional separator, a letter after a separator, or a capital letter
# right after a lower-case letter or digit ("EyeBlinkL"; case-sensitive so "jawl" stays a word).
_SIDE_SUFFIX = re.compile(r"(?i:[_.\-| :]?(left|right)|[_.\-| :](l|r))$|(?<=[a-z0-9])([LR])$")
_SIDE_PREFIX = re.compile(r"(?i)^(left|right|l|r)[_.\- ]")
_CAMEL_SIDE = re.compile(r"(Left|Right|_L|_R|\.L|\.R|_l|_r|\.l|\.r)$")
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
        matched: canonical name -> the rig's shape keys that get its value (usually one; a vendor may split one
            canonical shape into several keys, e.g. Character Creator's ``Brow_Raise_Inner_L`` / ``_R``).
        missing: canonical names the rig lacks (in canonical order).
        unused: the rig's shape keys that get no value (in the rig's order), including ``left_alone``.
        left_alone: keys that read as a canonical name but get no value: their set lost to another set of the mesh.
        sets: the set prefixes of the matched keys (``""`` = no prefix), most keys first.
        schemes: the naming schemes (``rigs/schemes/*.toml`` stems) whose vendor spellings matched a key.
    """

    matched: dict[str, tuple[str, ...]]
    missing: tuple[str, ...]
    unused: tuple[str, ...]
    left_alone: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()

    def keys(self) -> tuple[str, ...]:
        """Every matched rig key, once, in canonical order."""
        return tuple(dict.fromkeys(k for keys in self.matched.values() for k in keys))

    def summary(self) -> str:
        """One line for a report, e.g. ``'44/46 matched; missing: Puff, Sneer'``."""
        total = len(self.matched) + len(self.missing)
        text = f"{len(self.matched)}/{total} matched"
        if self.missing:
            text += "; missing: " + ", ".join(self.missing)
        return text

    def unused_groups(self) -> dict[str, tuple[str, ...]]:
        """The unused keys grouped by set prefix (``""`` = no prefix), in the rig's order.

        Example:
            >>> r = match_shape_keys(["jawOpen"], ["AK_01_JawOpen", "AU_01_BrowRaiser", "AU_02_LidTightener", "Foo"])
            >>> r.unused_groups()
            {'AU_##_': ('AU_01_BrowRaiser', 'AU_02_LidTightener'), '': ('Foo',)}
        """
        groups: dict[str, list[str]] = {}
        for key in self.unused:
            groups.setdefault(set_prefix(key), []).append(key)
        return {prefix: tuple(keys) for prefix, keys in groups.items()}


@dataclasses.dataclass(frozen=True)
class _Reading:
    key: str  # the rig key
    name: str  # the canonical name it reads as
    set: str  # its set prefix
    scheme: str  # "" = the canonical spelling, else the scheme whose vendor spelling matched
    dropped: int  # leading words dropped to read it


def _read_keys(canonical: Sequence[str], rig_keys: Sequence[str], aliases: dict[str, tuple[str, str]]) -> list:
    by_reading = {normalize_shape_name(n): (n, "") for n in canonical}
    by_reading.update(aliases)  # vendor spellings win over the generic reading of the same words
    found = []
    for key in rig_keys:
        for dropped, reading in enumerate(name_readings(key)):
            hit = by_reading.get(reading)
            if hit is not None:
                found.append(_Reading(key, hit[0], set_prefix(key), hit[1], dropped))
                break
    return found


def match_shape_keys(
    canonical: Sequence[str],
    rig_keys: Sequence[str],
    *,
    swap_left_right: bool = False,
    schemes: Sequence | None = None,
) -> MatchReport:
    """Match canonical names to a rig's shape-key names.

    Args:
        canonical: canonical names (e.g. ``load_names("arkit52")``, or a mapping's targets).
        rig_keys: the rig's shape-key names (Basis included or not; it matches nothing).
        swap_left_right: for a mirrored rig: a canonical Left channel drives the rig's Right key and vice versa.
        schemes: :class:`rigs.schemes.NamingScheme` s whose vendor spellings are accepted; ``None`` = every shipped
            scheme (:func:`rigs.schemes.load_schemes`).

    Example:
        >>> r = match_shape_keys(["eyeBlinkLeft", "jawOpen", "tongueOut"], ["Basis", "EyeBlink_L", "JAWOPEN"])
        >>> r.matched, r.missing, r.unused
        ({'eyeBlinkLeft': ('EyeBlink_L',), 'jawOpen': ('JAWOPEN',)}, ('tongueOut',), ('Basis',))
        >>> keys = ["AK_01_JawOpen", "SR_JawOpen", "AK_02_TongueOut", "AA_VI_01_PP"]
        >>> r = match_shape_keys(["jawOpen", "tongueOut"], keys)
        >>> r.matched, r.left_alone, r.sets
        ({'jawOpen': ('AK_01_JawOpen',), 'tongueOut': ('AK_02_TongueOut',)}, ('SR_JawOpen',), ('AK_##_',))
    """
    from .schemes import alias_table  # local: schemes imports this module

    names = tuple(canonical)
    readings = _read_keys(names, list(rig_keys), alias_table(names, schemes))
    # A set's score: how many canonical names its keys read as; ties go to the set with fewer keys (one key per
    # shape), then the shorter prefix. Per name, the best-scoring set's keys win.
    names_of_set: dict[str, set[str]] = {}
    keys_of_set: dict[str, int] = {}
    for r in readings:
        names_of_set.setdefault(r.set, set()).add(r.name)
        keys_of_set[r.set] = keys_of_set.get(r.set, 0) + 1
    by_name: dict[str, list[_Reading]] = {}
    for r in readings:
        by_name.setdefault(r.name, []).append(r)
    winners: dict[str, list[_Reading]] = {}
    for name, found in by_name.items():
        best = max({r.set for r in found}, key=lambda s: (len(names_of_set[s]), -keys_of_set[s], -len(s), s))
        in_set = [r for r in found if r.set == best]
        fewest = min(r.dropped for r in in_set)  # "Fcl_ALL_Angry" (listed) over "Fcl_BRW_Angry" (read as "angry")
        winners[name] = [r for r in in_set if r.dropped == fewest]

    matched: dict[str, tuple[str, ...]] = {}
    missing = []
    for name in names:
        wanted = swap_side(name) if swap_left_right and swap_side(name) in names else name
        if wanted in winners:
            matched[name] = tuple(r.key for r in winners[wanted])
        else:
            missing.append(name)
    used = {k for keys in matched.values() for k in keys}
    driven = [r for r in readings if r.key in used]
    set_counts: dict[str, int] = {}
    for r in driven:
        set_counts[r.set] = set_counts.get(r.set, 0) + 1
    return MatchReport(
        matched=matched,
        missing=tuple(missing),
        unused=tuple(k for k in rig_keys if k not in used),
        left_alone=tuple(r.key for r in readings if r.key not in used),
        sets=tuple(sorted(set_counts, key=lambda s: (-set_counts[s], s))),
        schemes=tuple(sorted({r.scheme for r in driven if r.scheme})),
    )
