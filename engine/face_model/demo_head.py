"""The demo head assembled from the ICT head at build time (:func:`head_from_ict`); its file format is the
contract's (:mod:`engine.contract.face_head`), which the add-on reads.

Colours are per vertex, as displayed (sRGB, as Blender's byte colour attributes hold them): skin, lips and brows
from the anatomy masks (:func:`.head_render.head_albedo`), the parts' own colours (teeth, gums, sclera, lashes), and
the iris and pupil painted by angle from each eye's axis.
"""

from __future__ import annotations

import numpy as np

from ..contract.face_head import HEAD_PARTS, MATERIALS, PART_MATERIAL, SPARSE_TOLERANCE_CM, HeadData
from .eyeballs import EyeballRig
from .head_render import (
    CORNEA_HALF_ANGLE_DEG,
    IRIS_HALF_ANGLE_DEG,
    LASH_LENGTH_SHARE,
    LOWER_LASH_BELOW_CENTER_CM,
    PUPIL_HALF_ANGLE_DEG,
    HeadAlbedo,
)
from .ict_facekit import ICT_PARTS, IctFaceKit

__all__ = ["head_from_ict"]

SKIN_RGB = (0.8, 0.62, 0.52)
LIP_RGB = (0.68, 0.38, 0.38)
BROW_RGB = (0.25, 0.18, 0.13)
IRIS_RGB = (0.32, 0.22, 0.13)
PART_RGB = {
    "mouth_socket": (0.35, 0.12, 0.12), "gums_tongue": (0.72, 0.38, 0.38), "teeth": (0.9, 0.87, 0.8),
    "sclera_left": (0.9, 0.88, 0.85), "sclera_right": (0.9, 0.88, 0.85), "eyelashes_left": (0.08, 0.06, 0.05),
    "eyelashes_right": (0.08, 0.06, 0.05), "eye_socket_left": (0.6, 0.35, 0.35), "eye_socket_right": (0.6, 0.35, 0.35),
}  # fmt: skip


def head_from_ict(
    ict: IctFaceKit, rig: EyeballRig, albedo: HeadAlbedo, deltas: np.ndarray, names: tuple[str, ...]
) -> HeadData:
    """Assemble the demo head from the ICT head (build time).

    Args:
        ict: the ICT head in the model frame. rig: its eyeballs. albedo: its anatomy masks.
        deltas: ``(46, V_ict, 3)`` the expressions on the whole ICT head. names: their names.
    """
    all_parts = list(ICT_PARTS)
    part = ict.part_of_vertex()
    keep = np.isin(part, [all_parts.index(p) for p in HEAD_PARTS])
    angles = np.full(len(ict.neutral), np.nan)
    for i in range(2):
        first, stop = rig.vertex_ranges[i]
        angles[first:stop] = rig.rest_angles[i]
    # Polygons: all corners kept, and not the sclera's corneal cap.
    sizes = ict.polygon_sizes.astype(np.int64)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    owner = np.repeat(np.arange(len(sizes)), sizes)
    corner_ok = keep[ict.polygon_vertices]
    poly_ok = np.bincount(owner, weights=corner_ok, minlength=len(sizes)) == sizes
    sclera = np.isin(part, [all_parts.index("sclera_left"), all_parts.index("sclera_right")])
    poly_angle = np.bincount(
        owner, weights=np.nan_to_num(angles[ict.polygon_vertices], nan=180.0), minlength=len(sizes)
    )
    in_sclera = np.bincount(owner, weights=sclera[ict.polygon_vertices], minlength=len(sizes)) == sizes
    poly_ok &= ~(in_sclera & (poly_angle / sizes < CORNEA_HALF_ANGLE_DEG))
    # Lower lashes: opaque cards under the eye read as a dark smudge; the upper lashes carry the look.
    lash = np.isin(part, [all_parts.index("eyelashes_left"), all_parts.index("eyelashes_right")])
    in_lash = np.bincount(owner, weights=lash[ict.polygon_vertices], minlength=len(sizes)) == sizes
    mean_y = np.bincount(owner, weights=ict.neutral[ict.polygon_vertices, 1], minlength=len(sizes)) / sizes
    poly_ok &= ~(in_lash & (mean_y < rig.centers[:, 1].mean() - LOWER_LASH_BELOW_CENTER_CM))
    new_index = np.cumsum(keep) - 1
    corner_keep = np.repeat(poly_ok, sizes)
    polygon_vertices = new_index[ict.polygon_vertices[corner_keep]].astype(np.int32)
    polygon_sizes = sizes[poly_ok].astype(np.int32)
    poly_part = part[ict.polygon_vertices[starts[poly_ok]]]
    polygon_material = np.array([MATERIALS.index(PART_MATERIAL[all_parts[p]]) for p in poly_part], np.uint8)
    # Colours.
    color = np.tile(np.asarray(SKIN_RGB), (len(ict.neutral), 1))
    color = color * (1 - albedo.lip[:, None]) + np.asarray(LIP_RGB) * albedo.lip[:, None]
    brow = 0.85 * albedo.brow[:, None]
    color = color * (1 - brow) + np.asarray(BROW_RGB) * brow
    for name, rgb in PART_RGB.items():
        color[part == all_parts.index(name)] = rgb
    for side in ("left", "right"):
        iris = part == all_parts.index(f"iris_{side}")
        color[iris] = PART_RGB["sclera_left"]
        color[iris & (angles < IRIS_HALF_ANGLE_DEG)] = IRIS_RGB
        color[iris & ((angles < PUPIL_HALF_ANGLE_DEG) | (angles > 90.0))] = (0.02, 0.02, 0.02)
    # Lashes drawn as opaque cards read heavy at full length: shorten them toward their roots, at rest and in
    # every expression (ICT's lash cards are meant for an alpha-textured material).
    neutral = ict.neutral.copy()
    deltas = deltas.copy()
    lashes, roots = albedo.lashes, albedo.lash_roots
    neutral[lashes] = neutral[roots] + LASH_LENGTH_SHARE * (neutral[lashes] - neutral[roots])
    deltas[:, lashes] = deltas[:, roots] + LASH_LENGTH_SHARE * (deltas[:, lashes] - deltas[:, roots])
    # Sparse expressions over the kept vertices.
    kept = deltas[:, keep]
    offsets, index, delta = [0], [], []
    for e in range(len(kept)):
        moving = np.flatnonzero(np.abs(kept[e]).max(axis=1) > SPARSE_TOLERANCE_CM)
        index.append(moving.astype(np.int32))
        delta.append(kept[e][moving].astype(np.float32))
        offsets.append(offsets[-1] + len(moving))
    return HeadData(
        vertices=neutral[keep].astype(np.float32),
        polygon_sizes=polygon_sizes,
        polygon_vertices=polygon_vertices,
        part_names=HEAD_PARTS,
        vertex_part=np.array([HEAD_PARTS.index(all_parts[p]) for p in part[keep]], np.uint8),
        material_names=MATERIALS,
        polygon_material=polygon_material,
        vertex_color=np.round(np.clip(color[keep], 0, 1) * 255).astype(np.uint8),
        expression_names=tuple(names),
        expression_offsets=np.asarray(offsets, np.int64),
        expression_vertex=np.concatenate(index),
        expression_delta=np.concatenate(delta),
        eye_centers=rig.centers.astype(np.float32),
        eye_axes=rig.axes.astype(np.float32),
        eye_radius=np.float32(rig.radius.mean()),
    )
