"""Canonical, ordered shape-name lists (``rigs/names/*.toml``)."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

__all__ = ["NAMES_DIR", "RigDataError", "load_names", "name_list_of", "name_lists"]

NAMES_DIR = Path(__file__).resolve().parent / "names"
SCHEMA_VERSION = 1


class RigDataError(ValueError):
    """A rig data file (name list or mapping) is missing or malformed; the message names the file."""


def name_lists() -> tuple[str, ...]:
    """The names of the shipped lists, e.g. ``('arkit52', 'facewarehouse46')``."""
    return tuple(sorted(p.stem for p in NAMES_DIR.glob("*.toml")))


@functools.cache
def load_names(list_name: str) -> tuple[str, ...]:
    """Load one canonical name list.

    Args:
        list_name: ``"facewarehouse46"`` or ``"arkit52"`` (see :func:`name_lists`).

    Returns:
        The names in canonical order.

    Example:
        >>> load_names("facewarehouse46")[:2]
        ('EyeBlink_L', 'EyeBlink_R')
        >>> len(load_names("arkit52"))
        52
    """
    path = NAMES_DIR / f"{list_name}.toml"
    if list_name not in name_lists():  # a name, never a path: '../x' cannot reach outside rigs/names
        raise RigDataError(f"unknown name list {list_name!r}; known: {', '.join(name_lists())}")
    with path.open("rb") as f:
        data = tomllib.load(f)
    if data.get("schema") != SCHEMA_VERSION:
        raise RigDataError(f"{path}: schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
    names = data.get("names")
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise RigDataError(f"{path}: 'names' must be a list of non-empty strings")
    if len(set(names)) != len(names):
        raise RigDataError(f"{path}: duplicate names")
    return tuple(names)


def name_list_of(names: tuple[str, ...] | list[str]) -> str:
    """The shipped list that is exactly ``names`` (same order), or ``""``.

    Example:
        >>> name_list_of(load_names("arkit52")), name_list_of(["JawOpen"])
        ('arkit52', '')
    """
    names = tuple(names)
    return next((n for n in name_lists() if load_names(n) == names), "")
