"""Retargeting mappings between shape sets (``rigs/mappings/*.toml`` and user files).

A mapping is a list of links. Each link reads one source channel and adds
``clip(gain * source + offset, clamp[0], clamp[1])`` to one target channel; every target is finally clipped to
``[0, 1]``. One source may feed many targets and many sources may feed one target. A link with
``unless_rig_has = [...]`` is a fallback: it is used only on a mesh that has none of those targets (VRM's
both-eyes ``blink`` on a mesh without per-eye blinks).

A custom mapping file is untrusted input: it is bounded before it is read (:data:`MAX_MAPPING_FILE_BYTES`,
:data:`MAX_LINKS`, :data:`MAX_CHANNELS`), ``gain``, ``offset`` and ``clamp`` must be finite numbers (a NaN would
reach Blender as NaN keyframes), and name lists are named, never given as paths.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .names import RigDataError, load_names, name_lists
from .shape_names import swap_side

__all__ = ["MAPPINGS_DIR", "Link", "Mapping", "load_mapping", "make_mapping", "mapping_presets", "names_a_file"]

MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
SCHEMA_VERSION = 1
_LINK_KEYS = {"source", "target", "gain", "offset", "clamp", "unless_rig_has"}
MAX_MAPPING_FILE_BYTES = 1_000_000  # the shipped presets are ~5 KB
MAX_LINKS = 10_000
MAX_CHANNELS = 10_000  # names in an explicit source_names / target_names list
MAX_NAME_CHARS = 256


@dataclasses.dataclass(frozen=True)
class Link:
    """One source channel feeding one target channel (``unless_rig_has``: see the module docstring)."""

    source: str
    target: str
    gain: float = 1.0
    offset: float = 0.0
    clamp: tuple[float, float] = (0.0, 1.0)
    unless_rig_has: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A retargeting mapping from an ordered source name list to an ordered target name list.

    Attributes:
        name: preset or file stem, e.g. ``"facewarehouse46_to_arkit52"``.
        source_names: ordered source channels (the order of the weight arrays passed to :meth:`apply`).
        target_names: ordered target channels.
        links: the links; every ``source`` is in ``source_names``, every ``target`` in ``target_names``.
    """

    name: str
    source_names: tuple[str, ...]
    target_names: tuple[str, ...]
    links: tuple[Link, ...]

    def apply(self, weights: np.ndarray) -> np.ndarray:
        """Map source weights to target weights.

        Args:
            weights: ``(T, S)`` float, S = ``len(source_names)``, values in [0, 1].

        Returns:
            ``(T, G)`` float32, G = ``len(target_names)``, in [0, 1]; targets with no link are 0. Every link is
            applied, fallbacks included: for a given mesh, apply :meth:`for_rig` 's mapping.

        Example:
            >>> m = load_mapping("facewarehouse46_to_arkit52")
            >>> w = np.zeros((1, 46), np.float32); w[0, 0] = 0.8   # EyeBlink_L
            >>> float(m.apply(w)[0, m.target_names.index("eyeBlinkLeft")])
            0.800000011920929
        """
        weights = np.asarray(weights, dtype=np.float32)
        if weights.ndim != 2 or weights.shape[1] != len(self.source_names):
            raise ValueError(f"mapping {self.name}: weights must be (T, {len(self.source_names)}), got {weights.shape}")
        src = np.array([self.source_names.index(k.source) for k in self.links], dtype=np.intp)
        tgt = np.array([self.target_names.index(k.target) for k in self.links], dtype=np.intp)
        gain = np.array([k.gain for k in self.links], dtype=np.float32)
        offset = np.array([k.offset for k in self.links], dtype=np.float32)
        lo = np.array([k.clamp[0] for k in self.links], dtype=np.float32)
        hi = np.array([k.clamp[1] for k in self.links], dtype=np.float32)
        contributions = np.clip(weights[:, src] * gain + offset, lo, hi)  # (T, n_links)
        out = np.zeros((weights.shape[0], len(self.target_names)), dtype=np.float32)
        np.add.at(out.T, tgt, contributions.T)
        return np.clip(out, 0.0, 1.0)

    def targets_of(self, source: str) -> tuple[str, ...]:
        """The target channels a source channel feeds."""
        return tuple(k.target for k in self.links if k.source == source)

    def for_rig(self, rig_targets: Iterable[str]) -> Mapping:
        """The links that apply to a mesh that has ``rig_targets``: fallbacks whose targets it has are dropped.

        Example:
            >>> m = load_mapping("facewarehouse46_to_vrm")
            >>> len(m.links) - len(m.for_rig(["blinkLeft", "blinkRight", "blink"]).links)
            2
        """
        has = set(rig_targets)
        return dataclasses.replace(self, links=tuple(k for k in self.links if not has & set(k.unless_rig_has)))

    def swapped_left_right(self) -> Mapping:
        """The same mapping for a mirrored rig: every target's Left/Right side is exchanged."""
        valid = set(self.target_names)
        links = tuple(
            dataclasses.replace(k, target=swap_side(k.target) if swap_side(k.target) in valid else k.target)
            for k in self.links
        )
        return dataclasses.replace(self, links=links)


def mapping_presets() -> tuple[str, ...]:
    """The shipped mapping presets, e.g. ``('arkit52_to_facewarehouse46', ...)``."""
    return tuple(sorted(p.stem for p in MAPPINGS_DIR.glob("*.toml")))


def names_a_file(preset_or_path: str | Path) -> bool:
    """True if a mapping value is a file's path: a preset is a bare name (no folder, no suffix).

    Example:
        >>> names_a_file("facewarehouse46_to_arkit52"), names_a_file("maps/hero.toml"), names_a_file("/maps/hero")
        (False, True, True)
    """
    text = str(preset_or_path)
    return "/" in text or "\\" in text or bool(Path(text).suffix)


def load_mapping(preset_or_path: str | Path) -> Mapping:
    """Load a shipped preset by name or a custom mapping file by path.

    A custom file has the same form as the presets: ``schema``, ``source`` and ``target`` (name-list names, or
    explicit ``source_names`` / ``target_names`` lists for a custom rig) and ``links``.

    Raises:
        RigDataError: unknown preset, unreadable file, unknown keys or names; the message says which.
    """
    path = Path(preset_or_path)
    if not str(preset_or_path).strip():
        raise RigDataError("no mapping file given: pick a mapping file (a .toml), or a preset")
    if not names_a_file(str(preset_or_path)):
        if str(preset_or_path) not in mapping_presets():  # a preset name, never a path out of rigs/mappings
            raise RigDataError(f"unknown mapping preset {preset_or_path!r}; known: {', '.join(mapping_presets())}")
        path = MAPPINGS_DIR / f"{preset_or_path}.toml"
    if path.is_dir():
        raise RigDataError(f"{path} is a folder: pick a mapping file (a .toml) in it")
    try:
        if path.stat().st_size > MAX_MAPPING_FILE_BYTES:
            raise RigDataError(f"{path}: larger than {MAX_MAPPING_FILE_BYTES} bytes; not a mapping file")
        # utf-8-sig: a file saved by Windows Notepad starts with a byte-order mark, which TOML does not allow
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as err:
        raise RigDataError(f"cannot read mapping file {path}: {err.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise RigDataError(f"{path}: not valid TOML: {err}") from None
    if data.get("schema") != SCHEMA_VERSION:
        raise RigDataError(f"{path}: schema must be {SCHEMA_VERSION}, got {data.get('schema')!r}")
    source_names = _names_of(data, "source", path)
    target_names = _names_of(data, "target", path)
    raw_links = data.get("links", [])
    if not isinstance(raw_links, list):
        raise RigDataError(f"{path}: 'links' must be a list of {{ source = ..., target = ... }} tables")
    if len(raw_links) > MAX_LINKS:
        raise RigDataError(f"{path}: {len(raw_links)} links; at most {MAX_LINKS}")
    links = []
    for i, raw in enumerate(raw_links):
        if not isinstance(raw, dict):
            raise RigDataError(f"{path}: link {i} must be a table {{ source = ..., target = ... }}")
        unknown = set(raw) - _LINK_KEYS
        if unknown:
            raise RigDataError(f"{path}: link {i}: unknown keys {sorted(unknown)}")
        for key in ("source", "target"):
            if not isinstance(raw.get(key), str):
                raise RigDataError(f"{path}: link {i}: {key} must be a name in quotes, got {raw.get(key)!r}")
        numbers = [("gain", raw.get("gain", 1.0)), ("offset", raw.get("offset", 0.0))]
        clamp = raw.get("clamp", [0.0, 1.0])
        numbers += [("clamp", c) for c in (clamp if isinstance(clamp, list) else [clamp])]
        for key, value in numbers:  # true or "0.5" read as 1.0 or 0.5: a typo would bake, unseen
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RigDataError(f"{path}: link {i}: {key} must be a number, got {value!r}")
        try:
            links.append(
                Link(
                    source=raw["source"],
                    target=raw["target"],
                    gain=float(raw.get("gain", 1.0)),
                    offset=float(raw.get("offset", 0.0)),
                    clamp=tuple(float(c) for c in clamp),  # type: ignore[arg-type]
                    unless_rig_has=_string_list(raw.get("unless_rig_has", [])),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise RigDataError(f"{path}: link {i} is malformed ({err})") from None
    return make_mapping(path.stem, source_names, target_names, links, where=str(path))


def make_mapping(
    name: str,
    source_names: Iterable[str],
    target_names: Iterable[str],
    links: Iterable[Link],
    *,
    where: str = "",
) -> Mapping:
    """A checked :class:`Mapping` (a file's, or one edited in the add-on's mapping editor).

    Args:
        name: the mapping's name.
        source_names: ordered source channels.
        target_names: ordered target channels.
        links: the links.
        where: what to name in error messages (the file); default: the mapping's name.

    Raises:
        RigDataError: a link names an unknown source or target, has a non-finite gain, offset or clamp, a clamp
            with low > high, or there are no links; the message names the link.

    Example:
        >>> m = make_mapping("mine", ["JawOpen"], ["jaw"], [Link("JawOpen", "jaw", gain=0.5)])
        >>> float(m.apply(np.array([[0.8]]))[0, 0])
        0.4000000059604645
    """
    where = where or f"mapping {name!r}"
    source_names, target_names, links = tuple(source_names), tuple(target_names), tuple(links)
    sources, targets = set(source_names), set(target_names)
    for i, link in enumerate(links):
        label = f"{where}: link {i} ({link.source} -> {link.target})"
        if link.source not in sources:
            raise RigDataError(f"{label}: source {link.source!r} is not a source channel")
        if link.target not in targets:
            raise RigDataError(f"{label}: target {link.target!r} is not a target channel")
        for what, value in (("gain", link.gain), ("offset", link.offset)):
            if not math.isfinite(value):
                raise RigDataError(f"{label}: {what} must be a finite number, got {value}")
        if len(link.clamp) != 2 or not all(math.isfinite(c) for c in link.clamp) or link.clamp[0] > link.clamp[1]:
            raise RigDataError(f"{label}: clamp must be [low, high] with finite low <= high, got {list(link.clamp)}")
        unknown = [t for t in link.unless_rig_has if t not in targets]
        if unknown:
            raise RigDataError(f"{label}: unless_rig_has names {unknown}, which are not target channels")
    if not links:
        raise RigDataError(f"{where}: no links")
    return Mapping(name, source_names, target_names, links)


def _string_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"expected a list of names, got {value!r}")
    return tuple(value)


def _names_of(data: dict, side: str, path: Path) -> tuple[str, ...]:
    explicit = data.get(f"{side}_names")
    if explicit is not None:
        if not isinstance(explicit, list) or not all(isinstance(n, str) for n in explicit):
            raise RigDataError(f"{path}: '{side}_names' must be a list of strings")
        if len(explicit) > MAX_CHANNELS or any(len(n) > MAX_NAME_CHARS for n in explicit):
            raise RigDataError(f"{path}: '{side}_names' holds more than {MAX_CHANNELS} names or a name too long")
        return tuple(explicit)
    list_name = data.get(side)
    if not isinstance(list_name, str):
        raise RigDataError(f"{path}: needs '{side}' (a name list) or '{side}_names'")
    if list_name not in name_lists():
        alike = [n for n in name_lists() if n.lower() == list_name.lower()]
        if alike:
            raise RigDataError(f"{path}: {side} = {list_name!r}: unknown name list; write {side} = {alike[0]!r}")
        if side == "source":  # the take's channels: one of the shipped lists
            raise RigDataError(
                f"{path}: source = {list_name!r}: unknown name list; the source is the take's channels: "
                'source = "facewarehouse46" (a take from the engine) or "arkit52" (a Live Link Face CSV)'
            )
        raise RigDataError(
            f"{path}: {side} = {list_name!r}: unknown name list (known: {', '.join(name_lists())}); for a character's "
            f"own names list them instead: {side}_names = [\"MouthOpenBig\", \"Smile\", ...]"
        )
    return load_names(list_name)
