"""The demo head assembled from the ICT head at build time (:func:`head_from_ict`); its file format is the
contract's (:mod:`engine.contract.face_head`), which the add-on reads.

Colours are per vertex, as displayed (sRGB, as Blender's byte colour attributes hold them): skin, lips and brows
from the anatomy masks (:func:`.head_render.head_albedo`), the parts' own colours (teeth, gums, sclera, lashes), and
the iris and pupil painted by angle from each eye's axis.
"""

from __future__ import annotations

import numpy as np

from ..contract.face_head import HEAD_PARTS, MATERIALS, PART_MATERIAL, SPARSE_TOLERANCE_CM, HeadData, polygons_within
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

__all__ = ["head_from_ict", "lash_roots", "lid_edge", "polygon_sides"]

SKIN_RGB = (0.8, 0.62, 0.52)
LIP_RGB = (0.68, 0.38, 0.38)
BROW_RGB = (0.25, 0.18, 0.13)
IRIS_RGB = (0.32, 0.22, 0.13)
PART_RGB = {
    "mouth_socket": (0.35, 0.12, 0.12), "gums_tongue": (0.72, 0.38, 0.38), "teeth": (0.9, 0.87, 0.8),
    "sclera_left": (0.9, 0.88, 0.85), "sclera_right": (0.9, 0.88, 0.85), "eyelashes_left": (0.08, 0.06, 0.05),
    "eyelashes_right": (0.08, 0.06, 0.05), "eye_socket_left": (0.6, 0.35, 0.35), "eye_socket_right": (0.6, 0.35, 0.35),
}  # fmt: skip
EYE_OPENING_RADIUS_CM = 2.5  # the face's border within this of an eyeball centre is the lids' edge
LASH_ROOT_BAND_CM = 0.12  # a lash card's roots: its vertices within this of its closest approach to the lids' edge


def polygon_sides(sizes: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """``(sum(sizes), 2)`` int: every polygon's sides, corner to next corner (the last back to the first).

    ``sizes`` ``(P,)`` and ``corners`` ``(sum(sizes),)`` are a mesh's polygons (sizes + flat vertex list).
    """
    sizes = np.asarray(sizes, np.int64)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    following = np.arange(len(corners)) + 1
    following[starts + sizes - 1] = starts
    return np.c_[corners, corners[following]]


def lid_edge(
    sizes: np.ndarray, corners: np.ndarray, is_face: np.ndarray, points: np.ndarray, eye_centers: np.ndarray
) -> np.ndarray:
    """Vertex ids of the lids' edge: the face part's border (sides of one face polygon only) around the eye openings.

    Args:
        sizes, corners: the mesh's polygons (sizes + flat vertex list).
        is_face: ``(V,)`` bool, the face part's vertices. points: ``(V, 3)`` cm. eye_centers: ``(2, 3)`` cm.
    """
    in_face = np.repeat(polygons_within(sizes, corners, is_face), sizes)
    sides = np.sort(polygon_sides(sizes, corners)[in_face], axis=1)
    unique, count = np.unique(sides, axis=0, return_counts=True)
    border = np.unique(unique[count == 1])
    near_eye = np.linalg.norm(points[border][:, None] - eye_centers[None], axis=2).min(axis=1) < EYE_OPENING_RADIUS_CM
    return border[near_eye]


def lash_roots(ict: IctFaceKit, rig: EyeballRig) -> tuple[np.ndarray, np.ndarray]:
    """``(lash vertices (L,), the root vertex of each (L,))``: a lash's root is the nearest vertex of its own card's
    base, the card's row along the lid.

    ICT's lash cards are strips along each lid. Near the inner corner an upper card's far edge lies against the
    skin above the lid, so the skin nearest a lash vertex (the renders' root, :func:`.head_render.head_albedo`,
    kept as it is: the tracking model was built from those renders) is not where the lash grows, and shortening
    toward it left an opaque wedge above each inner corner. Here each card's base is found from the lids' edge
    (:func:`lid_edge`): the card's vertices within ``LASH_ROOT_BAND_CM`` of the card's closest approach to it.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = ict.neutral
    part = ict.part_of_vertex()
    all_parts = list(ICT_PARTS)
    edge = lid_edge(ict.polygon_sizes, ict.polygon_vertices, part == all_parts.index("face"), n, rig.centers)
    lashes = np.flatnonzero(np.isin(part, [all_parts.index("eyelashes_left"), all_parts.index("eyelashes_right")]))
    sides = polygon_sides(ict.polygon_sizes, ict.polygon_vertices)
    sides = sides[np.isin(sides, lashes).all(axis=1)]
    graph = coo_matrix((np.ones(len(sides)), (sides[:, 0], sides[:, 1])), shape=(len(n), len(n)))
    card = connected_components(graph, directed=False)[1][lashes]
    from_edge = cKDTree(n[edge]).query(n[lashes])[0]
    roots = np.empty_like(lashes)
    for c in np.unique(card):
        members = np.flatnonzero(card == c)
        base = members[from_edge[members] < from_edge[members].min() + LASH_ROOT_BAND_CM]
        roots[members] = lashes[base[cKDTree(n[lashes[base]]).query(n[lashes[members]])[1]]]
    return lashes, roots


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
    poly_ok = polygons_within(sizes, ict.polygon_vertices, keep)
    sclera = np.isin(part, [all_parts.index("sclera_left"), all_parts.index("sclera_right")])
    poly_angle = np.bincount(
        owner, weights=np.nan_to_num(angles[ict.polygon_vertices], nan=180.0), minlength=len(sizes)
    )
    in_sclera = polygons_within(sizes, ict.polygon_vertices, sclera)
    poly_ok &= ~(in_sclera & (poly_angle / sizes < CORNEA_HALF_ANGLE_DEG))
    # Lower lashes: opaque cards under the eye read as a dark smudge; the upper lashes carry the look.
    lash = np.isin(part, [all_parts.index("eyelashes_left"), all_parts.index("eyelashes_right")])
    in_lash = polygons_within(sizes, ict.polygon_vertices, lash)
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
    lashes, roots = lash_roots(ict, rig)
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
