"""Vendor naming schemes (``rigs/schemes/*.toml``): how Character Creator, Daz, VRoid, VRM 0.x, ... spell the
canonical shapes.

One commented file per scheme::

    schema = 1
    title = "Character Creator 4 / iClone 8 (Extended profile)"
    names = "arkit52"                                        # the canonical list it spells
    keys = [
      { key = "Brow_Raise_Inner_L", name = "browInnerUp" },  # vendor key -> canonical name, one per line
    ]

Several keys may spell one canonical name (a vendor that splits one shape per side); a key is listed once.
:func:`rigs.match_shape_keys` accepts every listed spelling beside the generic readings.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Sequence
from pathlib import Path

from .names import RigDataError, load_names
from .shape_names import normalize_shape_name

__all__ = ["SCHEMES_DIR", "NamingScheme", "alias_table", "load_scheme", "load_schemes"]

SCHEMES_DIR = Path(__file__).resolve().parent / "schemes"
SCHEMA_VERSION = 1
_KEYS = {"schema", "title", "names", "keys"}


@dataclasses.dataclass(frozen=True)
class NamingScheme:
    """One vendor's spelling of a canonical name list.

    Attributes:
        name: the file stem, e.g. ``"cc4_extended"``.
        title: for reports, e.g. ``"Character Creator 4 / iClone 8 (Extended profile)"``.
        names: the canonical list it spells (``rigs/names/<names>.toml``).
        keys: ``(vendor key, canonical name)`` pairs in file order.
    """

    name: str
    title: str
    names: str
    keys: tuple[tuple[str, str], ...]


@functools.cache
def load_scheme(name: str) -> NamingScheme:
    """Load one shipped scheme by file stem.

    Raises:
        RigDataError: unknown scheme or a malformed file (the message names the file and the entry).

    Example:
        >>> s = load_scheme("cc4_extended")
        >>> s.names, s.keys[0]
        ('arkit52', ('Brow_Raise_Inner_L', 'browInnerUp'))
    """
    path = SCHEMES_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SCHEMES_DIR.glob("*.toml")))
        raise RigDataError(f"unknown naming scheme {name!r}; known: {known}")
    with path.open("rb") as f:
        data = tomllib.load(f)
    if data.get("schema") != SCHEMA_VERSION:
        raise RigDataError(f"{path}: schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
    unknown = set(data) - _KEYS
    if unknown:
        raise RigDataError(f"{path}: unknown keys {sorted(unknown)}")
    title, names = data.get("title"), data.get("names")
    if not isinstance(title, str) or not title or not isinstance(names, str):
        raise RigDataError(f"{path}: needs 'title' and 'names' (a name list)")
    canonical = set(load_names(names))
    keys: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for i, entry in enumerate(data.get("keys", [])):
        if not isinstance(entry, dict) or set(entry) != {"key", "name"}:
            raise RigDataError(f"{path}: keys[{i}] must be {{ key = ..., name = ... }}")
        key, target = entry["key"], entry["name"]
        if not isinstance(key, str) or not key or target not in canonical:
            raise RigDataError(f"{path}: keys[{i}]: {target!r} is not a name of the {names} list")
        reading = normalize_shape_name(key)
        if reading in seen:
            raise RigDataError(f"{path}: keys[{i}]: {key!r} reads like the earlier {seen[reading]!r}")
        seen[reading] = key
        keys.append((key, target))
    if not keys:
        raise RigDataError(f"{path}: no keys")
    return NamingScheme(path.stem, title, names, tuple(keys))


def load_schemes() -> tuple[NamingScheme, ...]:
    """Every shipped scheme, by file stem.

    Example:
        >>> [s.name for s in load_schemes()][:2]
        ['apple_arkit', 'cc3_arkit']
    """
    return tuple(load_scheme(p.stem) for p in sorted(SCHEMES_DIR.glob("*.toml")))


def alias_table(canonical: Sequence[str], schemes: Sequence[NamingScheme] | None = None) -> dict[str, tuple[str, str]]:
    """Reading of a vendor key -> ``(canonical name, scheme)``, for the keys that spell a name of ``canonical``.

    Args:
        canonical: the names being matched (a list, or a mapping's targets).
        schemes: the schemes to use; ``None`` = every shipped scheme.

    Example:
        >>> alias_table(["browInnerUp"])["browraiseinner|left"]
        ('browInnerUp', 'cc4_extended')
    """
    wanted = set(canonical)
    table: dict[str, tuple[str, str]] = {}
    for scheme in load_schemes() if schemes is None else schemes:
        for key, name in scheme.keys:
            reading = normalize_shape_name(key)
            if name in wanted and reading != normalize_shape_name(name):  # the generic reading needs no alias
                table.setdefault(reading, (name, scheme.name))
    return table
