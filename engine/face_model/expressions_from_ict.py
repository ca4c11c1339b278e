"""The 46 FaceWarehouse expressions on the ICT head, from the recipes in ``facewarehouse46_from_ict.toml``.

Each expression is a weighted sum of ICT's ARKit-style shape deltas (cm), optionally restricted to a region, plus,
for the Eye* shapes, a rotation of that eyeball about its centre (ICT's eyeLook* shapes move only the lids). The
eyeball rotation is stored as a linear delta at weight 1 (the rotated minus the rest position), as every
blendshape rig does.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from pathlib import Path

import numpy as np

from rigs import load_names

from ..contract.gaze import EYE_LOOK_FULL_PITCH_RAD, EYE_LOOK_FULL_YAW_RAD
from .eyeballs import SIDES, EyeballRig, gaze_rotation
from .ict_facekit import IctFaceKit

__all__ = ["RECIPES_PATH", "ExpressionRecipe", "build_expressions", "load_recipes"]

RECIPES_PATH = Path(__file__).with_name("facewarehouse46_from_ict.toml")
LOWER_LIP_JAW_CM = (0.6, 1.8)  # a lip vertex belongs to the lower lip from 0.6 cm of jawOpen travel, fully from 1.8


@dataclasses.dataclass(frozen=True)
class ExpressionRecipe:
    """One FaceWarehouse expression as made from ICT shapes (see the TOML file's header for the fields)."""

    name: str
    recipe: tuple[tuple[str, float], ...]
    facs: str
    why: str
    gaze_deg: tuple[float, float] | None = None
    region: str | None = None
    authored: bool = False


def load_recipes(path: str | Path = RECIPES_PATH) -> tuple[ExpressionRecipe, ...]:
    """Read and check the recipes: exactly the FaceWarehouse-46 names, in canonical order."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    if data.get("schema") != 1:
        raise ValueError(f"{path}: unsupported schema {data.get('schema')!r}")
    out = []
    for entry in data["shape"]:
        unknown = set(entry) - {"name", "recipe", "facs", "why", "gaze", "region", "authored"}
        if unknown:
            raise ValueError(f"{path}: {entry.get('name')}: unknown keys {sorted(unknown)}")
        gaze = entry.get("gaze")
        out.append(
            ExpressionRecipe(
                name=entry["name"],
                recipe=tuple((str(s), float(w)) for s, w in entry["recipe"]),
                facs=entry["facs"],
                why=entry["why"],
                gaze_deg=None if gaze is None else (float(gaze[0]), float(gaze[1])),
                region=entry.get("region"),
                authored=bool(entry.get("authored", False)),
            )
        )
    names = tuple(r.name for r in out)
    if names != load_names("facewarehouse46"):
        raise ValueError(f"{path}: shapes must be the FaceWarehouse-46 names in canonical order")
    full = (math.degrees(EYE_LOOK_FULL_YAW_RAD), math.degrees(EYE_LOOK_FULL_PITCH_RAD))
    for r in out:
        if r.gaze_deg is not None and not any(math.isclose(abs(a), b) for a, b in zip(r.gaze_deg, full, strict=True)):
            raise ValueError(f"{path}: {r.name}: gaze {r.gaze_deg} is not the contract's full eye-look angle {full}")
    return tuple(out)


def lower_lip_mask(ict: IctFaceKit, lip: np.ndarray) -> np.ndarray:
    """``(V,)`` float64 in [0, 1]: the lower lip (lip colour mask times jawOpen travel)."""
    travel = np.linalg.norm(ict.expression("jawOpen"), axis=1)
    lo, hi = LOWER_LIP_JAW_CM
    t = np.clip((travel - lo) / (hi - lo), 0.0, 1.0)
    return lip * t * t * (3 - 2 * t)


def build_expressions(
    ict: IctFaceKit, rig: EyeballRig, recipes: tuple[ExpressionRecipe, ...], regions: dict[str, np.ndarray]
) -> np.ndarray:
    """``(46, V, 3)`` float32 FaceWarehouse deltas on the whole ICT head, cm at weight 1.

    Args:
        rig: the eyeballs the gaze shapes turn (fitted to the head the deltas apply to).
        regions: region name -> ``(V,)`` float weights for recipes with a ``region``.
    """
    v = len(ict.neutral)
    out = np.zeros((len(recipes), v, 3), np.float32)
    for i, r in enumerate(recipes):
        delta = np.zeros((v, 3))
        for shape, weight in r.recipe:
            delta += weight * ict.expression(shape)
        if r.region is not None:
            delta *= regions[r.region][:, None]
        if r.gaze_deg is not None:
            side = SIDES.index("left" if r.name.endswith("_L") else "right")
            rot = gaze_rotation(math.radians(r.gaze_deg[0]), math.radians(r.gaze_deg[1]))
            first, stop = rig.vertex_ranges[side]
            p = ict.neutral[first:stop] - rig.centers[side]
            delta[first:stop] += p @ rot.T - p
        out[i] = delta
    return out
