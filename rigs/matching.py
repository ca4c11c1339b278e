"""Match a rig's shape-key names to a canonical name list, as real exports spell them.

A rig key is read as a canonical name when one of its readings (:mod:`.shape_names`: case and separators ignored,
the side found, leading words such as set prefixes and namespaces dropped) equals the canonical name's, or a vendor
spelling of it listed in ``rigs/schemes/`` (Character Creator, Daz, VRoid, VRM 0.x, ...).

Several shape-key sets on one mesh (an ARKit set beside visemes, action units, a second ARKit-like set) compete
per canonical name: the keys whose *set* (:func:`~.shape_names.set_prefix`) matches the most canonical names win
(and among them those read with the fewest words dropped); the others are left alone and reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .schemes import alias_table
from .shape_names import name_readings, normalize_shape_name, set_prefix, swap_side

__all__ = ["MatchReport", "match_shape_keys"]


@dataclasses.dataclass(frozen=True)
class MatchReport:
    """The outcome of matching a rig's shape keys to canonical names.

    Attributes:
        matched: canonical name -> the rig's shape keys that get its value (usually one; a vendor may split one
            canonical shape into several keys, e.g. Character Creator's ``Brow_Raise_Inner_L`` / ``_R``). Names
            that read alike (a mapping whose targets spell one shape twice) reach the same key.
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
    by_reading: dict[str, list[tuple[str, str]]] = {}
    for n in canonical:  # two names read alike (a mapping's "mouthSmileLeft" and "mouthSmile_L"): a key reads as both
        by_reading.setdefault(normalize_shape_name(n), []).append((n, ""))
    by_reading.update({reading: [hit] for reading, hit in aliases.items()})  # vendor spellings win over the generic
    found = []
    for key in rig_keys:
        for dropped, reading in enumerate(name_readings(key)):
            hits = by_reading.get(reading)
            if hits is not None:
                found += [_Reading(key, name, set_prefix(key), scheme, dropped) for name, scheme in hits]
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
