"""A contact sheet of the 46 FaceWarehouse expressions on the scanned head (``python -m engine contact-sheet``).

Each tile is the demo head (``face_head.npz``, :mod:`engine.contract.face_head`) at weight 1 of one expression,
turned a little so that forward motions (pucker, funnel, jaw thrust) read too, labelled with its index and name; the
first tile is the neutral. Drawn with the project's own rasterizer (:func:`.head_render.shade_mesh`).

With ``motion=True`` (``--motion``) the skin of each tile is tinted by how far the expression moves it, so subtle
shapes (a squint, a dimple, a cheek raise) and a shape's reach (does a brow raise pull the lids?) read at a glance;
the last tile is the colour key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..contract.atomic_write import atomic_write
from ..contract.face_head import HeadData
from .head_render import RenderSetup, pose_matrix, shade_mesh
from .ict_facekit import fan_triangulate

__all__ = ["MOTION_FULL_CM", "SHEET_SUFFIXES", "contact_sheet", "motion_tint"]

SHEET_SUFFIXES = (".png", ".jpg", ".jpeg")  # what the sheet may be written as (the shipped one is a JPEG)
TILE_YAW_DEG = 18.0  # a three-quarter turn shows depth (pucker, jaw thrust) without hiding the far side
TILE_PITCH_DEG = 4.0
MOTION_FULL_CM = 0.5  # with motion=True: vertices moved this far or more get the full tint
MOTION_RGB = (1.0, 0.25, 0.05)  # the tint at full motion


def motion_tint(colors: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``(V, 3)`` display colours in [0, 1] blended towards :data:`MOTION_RGB` with each vertex's motion.

    Args:
        colors: ``(V, 3)`` float, the head's colours in [0, 1].
        delta: ``(V, 3)`` the expression's motion, cm.
    """
    share = np.clip(np.linalg.norm(delta, axis=1) / MOTION_FULL_CM, 0.0, 1.0)[:, None]
    return colors * (1.0 - share) + np.asarray(MOTION_RGB) * share


def _motion_key(tile: int) -> np.ndarray:
    """A colour key tile: the tint from 0 to ``MOTION_FULL_CM``, labelled."""
    import cv2

    img = np.full((tile, tile, 3), 25, np.uint8)
    top, bottom, left, right = tile // 4, tile // 4 + 24, 12, tile - 12
    skin = np.array([0.85, 0.66, 0.55])
    for x in range(left, right):
        rgb = motion_tint(skin[None], np.array([[MOTION_FULL_CM * (x - left) / (right - left - 1), 0.0, 0.0]]))[0]
        img[top:bottom, x] = np.round(rgb[::-1] * 255).astype(np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(img, "skin moved", (left, top - 10), font, 0.48, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(img, "0", (left, bottom + 18), font, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(img, f">={MOTION_FULL_CM:g} cm", (right - 70, bottom + 18), font, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return img


def contact_sheet(
    head: HeadData, out_path: str | Path, *, tile: int = 240, columns: int = 8, motion: bool = False
) -> Path:
    """Render the neutral and each expression at weight 1, labelled, into one image; returns the path.

    The file (a :data:`SHEET_SUFFIXES` suffix) is written atomically; the command line checks it before rendering
    (``engine.cli``: an existing file the tool did not write needs ``--overwrite``).

    Args:
        motion: tint the skin by how far each expression moves it (:func:`motion_tint`) and add a colour key.
    """
    import cv2

    triangles, _ = fan_triangulate(head.polygon_sizes, head.polygon_vertices)
    colors = head.vertex_color.astype(np.float64) / 255.0  # display colours, shaded as they are
    rotation = pose_matrix(TILE_YAW_DEG, TILE_PITCH_DEG, 0.0)
    # Frame the face: 17 cm of height at the tile, centred 3.5 cm below the eyes (an open jaw stays inside).
    setup = RenderSetup(
        size=(tile, tile),
        focal_px=tile * 60.0 / 17.0,
        distance_cm=60.0,
        offset_px=(0.0, -3.5 * tile / 17.0),
        background_rgb=(0.16, 0.17, 0.19),
        light_dir=(0.35, 0.5, 1.0),
        ambient=0.35,
    )
    names = ("neutral", *head.expression_names)
    rows = -(-(len(names) + motion) // columns)
    sheet = np.full((rows * tile, columns * tile, 3), 25, np.uint8)
    for i, name in enumerate(names):
        vertices = head.vertices.astype(np.float64)
        tile_colors = colors
        if i:
            delta = head.expression_dense(i - 1)
            vertices = vertices + delta
            if motion:
                tile_colors = motion_tint(colors, delta)
        img = shade_mesh(vertices @ rotation.T, triangles, tile_colors, setup).image_bgr.copy()
        label = name if not i else f"{i}: {name}"
        cv2.putText(img, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.48, (255, 255, 255), 1, cv2.LINE_AA)
        r, c = divmod(i, columns)
        sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = img
    if motion:
        r, c = divmod(len(names), columns)
        sheet[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = _motion_key(tile)
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise ValueError(f"a contact sheet is written as {' or '.join(SHEET_SUFFIXES)}, not {out_path.name}")
    ok, encoded = cv2.imencode(suffix, sheet, [cv2.IMWRITE_JPEG_QUALITY, 92] if suffix != ".png" else [])
    if not ok:
        raise ValueError(f"OpenCV could not encode the contact sheet as {suffix}")
    with atomic_write(out_path) as tmp:  # a reader never sees half a sheet; an error names the file and the reason
        tmp.write_bytes(encoded.tobytes())
    return out_path
