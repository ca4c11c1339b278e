"""Retarget processed take channels onto a character's shape keys through a ``rigs`` mapping (no bpy).

A face may be spread over several meshes (head, teeth, tongue, eyes, eyelashes, brows): one mapping is chosen for
the whole face, and every mesh gets the values of the mapping targets its keys match. Matching of mapping targets
to rig keys reads real exports' spellings (``rigs.match_shape_keys``: sides, numbered and set prefixes,
namespaces, vendor schemes, several sets on one mesh); ``swap_left_right`` drives a mirrored rig. Only targets a
link feeds are driven; the plan's report says what was and was not connected, mesh by mesh.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .._contract import errors
from .._rigs import rigs

__all__ = [
    "AUTO",
    "FacePlan",
    "MappingError",
    "RetargetPlan",
    "choose_mapping",
    "load_mapping_choice",
    "plan_face",
    "plan_retarget",
]

AUTO = "AUTO"  # mapping choice: the preset (from the take's name list) that drives most of the rig's keys
_LIST_LIMIT = 12  # names listed in one report line before "and N more" (unmatched targets are always all listed)
_GROUP_MIN = 4  # unused keys sharing a set prefix are summarised as "PREFIX* (n)" from this many on


class MappingError(errors.UserError):
    """A mapping cannot be used: unknown preset, a bad mapping file, the wrong source list, or no rig key matches."""


class NoKeyMatchesError(MappingError):
    """No shape key of the face's meshes matches a target of the mapping (a bake can still turn bones)."""


@dataclasses.dataclass(frozen=True)
class RetargetPlan:
    """What to bake onto one mesh's shape keys.

    Attributes:
        mapping_name: the preset or file stem used.
        key_names: ``(K,)`` rig shape-key names that get a curve, each once, in the mapping's target order (a
            target matched by several keys gives each of them its column; a key two targets reach gets their sum).
        values: ``(T, K)`` float32 values in [0, 1].
        report: how the mapping's targets matched this mesh's keys.
        mesh: the mesh object's name (``""`` when planned from a bare key list).
        driven: the targets that give this mesh values (matched, and fed by a link).
    """

    mapping_name: str
    key_names: tuple[str, ...]
    values: np.ndarray
    report: object  # rigs.MatchReport
    mesh: str = ""
    driven: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for Blender's report."""
        return f"mapping {self.mapping_name}: {self.report.summary()}"


@dataclasses.dataclass(frozen=True)
class FacePlan:
    """What to bake onto every mesh of a face.

    Attributes:
        mapping: the mapping used (a ``rigs.Mapping``).
        meshes: one plan per mesh that gets at least one curve, in the order given.
        skipped: ``(mesh, why)`` for the meshes that get nothing.
        not_found: the mapping's fed targets that no mesh has (mapping order).
        no_source: targets some mesh has, but no link feeds: left untouched.
        unused_channels: take channels that reach no key of any mesh.
    """

    mapping: object
    meshes: tuple[RetargetPlan, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    not_found: tuple[str, ...] = ()
    no_source: tuple[str, ...] = ()
    unused_channels: tuple[str, ...] = ()

    @property
    def mapping_name(self) -> str:
        """The preset or file stem used."""
        return self.mapping.name

    def summary(self) -> str:
        """One line: ``mapping NAME: 52/52 matched`` (one mesh) or ``... on 3 meshes (Head 52, Teeth 1, ...)``;
        counted over the targets the rig has or a link feeds (a mapping editor's file lists every target of its name
        list, linked or not).
        """
        found = {t for p in self.meshes for t in p.report.matched}
        fed = {k.target for k in self.mapping.links}
        counted = [t for t in self.mapping.target_names if t in fed or t in found]
        text = f"mapping {self.mapping_name}: {sum(1 for t in counted if t in found)}/{len(counted)} matched"
        if len(self.meshes) > 1 or self.skipped:
            per_mesh = ", ".join(f"{p.mesh} {len(p.key_names)}" for p in self.meshes)
            text += f" on {len(self.meshes)} meshes ({per_mesh})"
        if self.not_found:
            text += "; missing: " + ", ".join(self.not_found)
        return text

    def connections(self) -> dict[str, tuple[str, ...]]:
        """Driven target -> the rig keys it drives (``"Mesh: key"`` when the face has several meshes)."""
        out: dict[str, list[str]] = {}
        for p in self.meshes:
            for target in p.driven:
                keys = p.report.matched[target]
                out.setdefault(target, []).extend(f"{p.mesh}: {k}" if len(self.meshes) > 1 else k for k in keys)
        return {t: tuple(keys) for t, keys in out.items()}

    def report_lines(self) -> tuple[str, ...]:
        """The matching report, a line each: per mesh what was driven and what was left alone, then every target
        found nowhere, every target with no source, every take channel that reaches nothing.
        """
        lines = [f"Mapping {self.mapping_name}"]
        for p in self.meshes:
            sets = ", ".join(s or "no prefix" for s in p.report.sets)
            text = f"{p.mesh or 'mesh'}: {len(p.key_names)} keys driven ({sets})"
            if p.report.schemes:
                titles = ", ".join(rigs.load_scheme(s).title for s in p.report.schemes)
                text += f", names read as {titles}"
            lines.append(text)
            left = _grouped(p.report.unused)
            if left:
                lines.append(f"{p.mesh or 'mesh'}: left alone: {left}")
        lines += [f"{mesh}: not driven ({why})" for mesh, why in self.skipped]
        if self.not_found:
            lines.append(f"Not found on any mesh ({len(self.not_found)}): " + ", ".join(self.not_found))
        if self.no_source:
            lines.append(f"No source channel, left untouched ({len(self.no_source)}): " + ", ".join(self.no_source))
        if self.unused_channels:
            lines.append(
                f"Take channels with nothing to drive ({len(self.unused_channels)}): " + _listed(self.unused_channels)
            )
        return tuple(lines)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_LIST_LIMIT])
    return shown + (f" and {len(names) - _LIST_LIMIT} more" if len(names) > _LIST_LIMIT else "")


def _grouped(keys: Sequence[str]) -> str:
    """``'AU_##_* (60), SR_* (48), Basis, Corrective'``: keys sharing a set prefix summarised."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        groups.setdefault(rigs.set_prefix(key), []).append(key)
    parts, loose = [], []
    for prefix, members in groups.items():
        if prefix and len(members) >= _GROUP_MIN:
            parts.append(f"{prefix}* ({len(members)})")
        else:
            loose += members
    return ", ".join(parts + ([_listed(loose)] if loose else []))


def load_mapping_choice(preset_or_path: str) -> object:
    """The mapping a preset name or a file's path names (a ``rigs.Mapping``).

    Raises:
        MappingError: an unknown preset, a file that cannot be read or is not a valid mapping; the message says why.
    """
    try:
        return rigs.load_mapping(str(preset_or_path))
    except rigs.RigDataError as err:  # the user's file or preset choice: say so as a user error
        raise MappingError(str(err)) from None


def _as_meshes(rig_keys) -> list[Sequence[str]]:
    """A bare key list (one mesh) or a sequence of key lists (one per mesh)."""
    return [rig_keys] if not rig_keys or isinstance(rig_keys[0], str) else list(rig_keys)


def _driven_count(mapping, keys: Sequence[str], swap_left_right: bool) -> int:
    report = rigs.match_shape_keys(mapping.target_names, keys, swap_left_right=swap_left_right)
    fed = {k.target for k in mapping.for_rig(report.matched).links}
    return sum(len(report.matched[t]) for t in report.matched if t in fed)


def choose_mapping(
    source_names: tuple[str, ...],
    rig_keys,
    preset_or_path: str | object = AUTO,
    *,
    swap_left_right: bool = False,
) -> object:
    """The mapping to use for a take's channels on a rig.

    Args:
        source_names: the take's channel names (a canonical list).
        rig_keys: the rig's shape-key names, or one list per mesh of the face.
        preset_or_path: a preset name, a ``.toml`` path, a ``rigs.Mapping`` (e.g. from the mapping editor), or
            :data:`AUTO` (the preset reading the take's list that drives the most keys over all meshes).

    Raises:
        MappingError: unknown preset, bad file, or a mapping whose source is not the take's channel list.
    """
    if isinstance(preset_or_path, rigs.Mapping) or preset_or_path != AUTO:
        mapping = preset_or_path if isinstance(preset_or_path, rigs.Mapping) else load_mapping_choice(preset_or_path)
        if tuple(mapping.source_names) != tuple(source_names):
            raise MappingError(
                f"mapping {mapping.name} reads {len(mapping.source_names)} channels starting "
                f"{mapping.source_names[:2]}, but the take has {len(source_names)} starting "
                f"{tuple(source_names[:2])}; pick a mapping whose source is the take's name list"
            )
        return mapping
    meshes = _as_meshes(rig_keys)
    best, best_score = None, -1
    for name in rigs.mapping_presets():
        mapping = rigs.load_mapping(name)
        if tuple(mapping.source_names) != tuple(source_names):
            continue
        score = sum(_driven_count(mapping, keys, swap_left_right) for keys in meshes)
        if score > best_score:
            best, best_score = mapping, score
    if best is None:
        raise MappingError("no mapping preset reads this take's channels")
    return best


def _plan_mesh(mapping, weights: np.ndarray, mesh: str, keys: Sequence[str], swap: bool) -> RetargetPlan:
    report = rigs.match_shape_keys(mapping.target_names, keys, swap_left_right=swap)
    for_mesh = mapping.for_rig(report.matched)
    fed = {k.target for k in for_mesh.links}
    driven = tuple(t for t in report.matched if t in fed)
    mapped = for_mesh.apply(weights)  # (T, G)
    cols_of_key: dict[str, list[int]] = {}
    for target in driven:
        for key in report.matched[target]:
            cols_of_key.setdefault(key, []).append(mapping.target_names.index(target))
    # A key reached by two targets (spelled alike) gets their sum, clipped as every target is.
    values = np.zeros((len(weights), len(cols_of_key)), dtype=np.float32)
    for j, cols in enumerate(cols_of_key.values()):
        values[:, j] = np.clip(mapped[:, cols].sum(axis=1), 0.0, 1.0)
    return RetargetPlan(mapping.name, tuple(cols_of_key), values, report, mesh, driven)


def plan_face(
    weights: np.ndarray,
    source_names: tuple[str, ...],
    meshes: Sequence[tuple[str, Sequence[str]]],
    preset_or_path: str | object = AUTO,
    *,
    swap_left_right: bool = False,
) -> FacePlan:
    """Map source weights to the shape keys of every mesh of a face.

    Args:
        weights: ``(T, S)`` float in [0, 1], columns in ``source_names`` order.
        source_names: the take's channel names.
        meshes: ``(mesh name, its shape-key names)`` per mesh (Basis included or not), the main mesh first.
        preset_or_path: mapping preset, custom ``.toml`` path, a ``rigs.Mapping``, or :data:`AUTO`.
        swap_left_right: drive a mirrored rig (a Left target drives the rig's Right key).

    Returns:
        A :class:`FacePlan`; each mesh plan's ``values`` is ``(T, K)`` float32.

    Raises:
        MappingError: see :func:`choose_mapping`; NoKeyMatchesError: no key of any mesh gets a value.
    """
    mapping = choose_mapping(source_names, [k for _, k in meshes], preset_or_path, swap_left_right=swap_left_right)
    plans, skipped = [], []
    for mesh, keys in meshes:
        plan = _plan_mesh(mapping, weights, mesh, keys, swap_left_right)
        if plan.key_names:
            plans.append(plan)
        elif not keys:
            skipped.append((mesh, "no shape keys"))
        else:
            skipped.append((mesh, f"none of its {len(keys)} shape keys matches a target of {mapping.name}"))
    if not plans:
        n_keys = sum(len(k) for _, k in meshes)
        where = f" (on {len(meshes)} meshes)" if len(meshes) > 1 else ""
        raise NoKeyMatchesError(
            f"none of the rig's {n_keys} shape keys{where} matches the {len(mapping.target_names)} targets of "
            f"mapping {mapping.name} (e.g. {', '.join(mapping.target_names[:3])}); pick another mapping, or link "
            "the keys in the Mapping Editor"
        )
    fed = {k.target for k in mapping.links}
    found = {t for p in plans for t in p.report.matched}
    driven = {t for p in plans for t in p.driven}
    reached = {k.source for k in mapping.links if k.target in driven}
    return FacePlan(
        mapping=mapping,
        meshes=tuple(plans),
        skipped=tuple(skipped),
        not_found=tuple(t for t in mapping.target_names if t in fed and t not in found),
        no_source=tuple(t for t in mapping.target_names if t in found and t not in driven),
        unused_channels=tuple(s for s in source_names if s not in reached),
    )


def plan_retarget(
    weights: np.ndarray,
    source_names: tuple[str, ...],
    rig_keys: list[str],
    preset_or_path: str | object = AUTO,
    *,
    swap_left_right: bool = False,
) -> RetargetPlan:
    """Map source weights to one mesh's shape keys (:func:`plan_face` with one mesh).

    Args:
        weights: ``(T, S)`` float in [0, 1], columns in ``source_names`` order.
        source_names: the take's channel names.
        rig_keys: the rig's shape-key names (Basis included or not).
        preset_or_path: mapping preset, custom ``.toml`` path, a ``rigs.Mapping``, or :data:`AUTO`.
        swap_left_right: drive a mirrored rig (a Left target drives the rig's Right key).

    Returns:
        A :class:`RetargetPlan`; its ``values`` is ``(T, K)`` float32.

    Raises:
        MappingError: see :func:`choose_mapping`; also when no rig key matches at all.
    """
    plan = plan_face(weights, source_names, [("", rig_keys)], preset_or_path, swap_left_right=swap_left_right)
    return plan.meshes[0]
