"""Retarget processed take channels onto a rig's shape keys through a ``rigs`` mapping (no bpy).

A plan says, for every rig shape key that gets a curve, which values it gets, plus a matching report the panel
shows ("44/52 matched; missing: ..."). Matching of mapping targets to rig keys is case-insensitive and tolerant
of side suffixes (``rigs.match_shape_keys``); ``swap_left_right`` drives a mirrored rig.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .._contract import errors
from .._rigs import rigs

__all__ = ["AUTO", "MappingError", "RetargetPlan", "choose_mapping", "plan_retarget"]

AUTO = "AUTO"  # mapping choice: the preset (from the take's name list) that matches most of the rig's keys


class MappingError(errors.UserError):
    """A mapping cannot be used: unknown preset, a bad mapping file, the wrong source list, or no rig key matches."""


@dataclasses.dataclass(frozen=True)
class RetargetPlan:
    """What to bake onto a rig's shape keys.

    Attributes:
        mapping_name: the preset or file stem used.
        key_names: ``(K,)`` rig shape-key names that get a curve, in the mapping's target order.
        values: ``(T, K)`` float32 values in [0, 1].
        report: how the mapping's targets matched the rig's keys.
    """

    mapping_name: str
    key_names: tuple[str, ...]
    values: np.ndarray
    report: object  # rigs.MatchReport

    def summary(self) -> str:
        """One line for Blender's report."""
        return f"mapping {self.mapping_name}: {self.report.summary()}"


def _load(preset_or_path: str) -> object:
    p = str(preset_or_path)
    try:
        return rigs.load_mapping(Path(p) if p.lower().endswith(".toml") else p)
    except rigs.RigDataError as err:  # the user's file or preset choice: say so as a user error
        raise MappingError(str(err)) from None


def choose_mapping(
    source_names: tuple[str, ...], rig_keys: list[str], preset_or_path: str = AUTO, *, swap_left_right: bool = False
) -> object:
    """The mapping to use for a take's channels on a rig.

    Args:
        source_names: the take's channel names (a canonical list).
        rig_keys: the rig's shape-key names.
        preset_or_path: a preset name, a ``.toml`` path, or :data:`AUTO`.

    Raises:
        MappingError: unknown preset, bad file, or a mapping whose source is not the take's channel list.
    """
    if preset_or_path != AUTO:
        mapping = _load(preset_or_path)
        if tuple(mapping.source_names) != tuple(source_names):
            raise MappingError(
                f"mapping {mapping.name} reads {len(mapping.source_names)} channels starting "
                f"{mapping.source_names[:2]}, but the take has {len(source_names)} starting "
                f"{tuple(source_names[:2])}; pick a mapping whose source is the take's name list"
            )
        return mapping
    best, best_score = None, -1
    for name in rigs.mapping_presets():
        mapping = rigs.load_mapping(name)
        if tuple(mapping.source_names) != tuple(source_names):
            continue
        score = len(rigs.match_shape_keys(mapping.target_names, rig_keys, swap_left_right=swap_left_right).matched)
        if score > best_score:
            best, best_score = mapping, score
    if best is None:
        raise MappingError("no mapping preset reads this take's channels")
    return best


def plan_retarget(
    weights: np.ndarray,
    source_names: tuple[str, ...],
    rig_keys: list[str],
    preset_or_path: str = AUTO,
    *,
    swap_left_right: bool = False,
) -> RetargetPlan:
    """Map source weights to the rig's shape keys.

    Args:
        weights: ``(T, S)`` float in [0, 1], columns in ``source_names`` order.
        source_names: the take's channel names.
        rig_keys: the rig's shape-key names (Basis included or not).
        preset_or_path: mapping preset, custom ``.toml`` path, or :data:`AUTO`.
        swap_left_right: drive a mirrored rig (a Left target drives the rig's Right key).

    Returns:
        A :class:`RetargetPlan`; its ``values`` is ``(T, K)`` float32.

    Raises:
        MappingError: see :func:`choose_mapping`; also when no rig key matches at all.
    """
    mapping = choose_mapping(source_names, rig_keys, preset_or_path, swap_left_right=swap_left_right)
    mapped = mapping.apply(weights)  # (T, G)
    report = rigs.match_shape_keys(mapping.target_names, rig_keys, swap_left_right=swap_left_right)
    if not report.matched:
        raise MappingError(
            f"none of the rig's {len(rig_keys)} shape keys matches the {len(mapping.target_names)} targets of mapping "
            f"{mapping.name} (e.g. {', '.join(mapping.target_names[:3])}); pick another mapping or rename the keys"
        )
    cols = [mapping.target_names.index(name) for name in report.matched]
    keys = tuple(report.matched.values())
    return RetargetPlan(mapping.name, keys, np.ascontiguousarray(mapped[:, cols], dtype=np.float32), report)
