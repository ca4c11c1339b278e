"""A small z-buffer triangle rasterizer in numpy: which triangle covers each pixel, and where inside it.

Used to render the scan-based head for the landmark detector (:mod:`.head_render`) and to map detected 2D points
back onto the surface (:mod:`.correspondence`). Pixel centres sit at integer coordinates; image x to the right,
y down; depth grows away from the camera. Vectorised over triangles in buckets of similar bounding-box size, so a
512 x 512 frame of the ~52 000-triangle head takes a fraction of a second on one core.
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["Raster", "rasterize"]

NO_TRIANGLE = -1
_BUCKET_SIDES = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)


@dataclasses.dataclass(frozen=True)
class Raster:
    """What covers each pixel.

    Attributes:
        triangle: ``(H, W)`` int32 index of the front-most triangle, :data:`NO_TRIANGLE` where none.
        bary: ``(H, W, 3)`` float32 barycentric coordinates of the pixel centre in that triangle (screen space).
        depth: ``(H, W)`` float32 interpolated depth, ``inf`` where no triangle.
    """

    triangle: np.ndarray
    bary: np.ndarray
    depth: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        """``(H, W)`` bool: pixels with a triangle."""
        return self.triangle != NO_TRIANGLE


def rasterize(
    xy: np.ndarray, depth: np.ndarray, triangles: np.ndarray, size: tuple[int, int], *, cull_back: bool = True
) -> Raster:
    """Rasterize triangles with a z-buffer.

    Args:
        xy: ``(V, 2)`` float vertex positions in pixels (x right, y down).
        depth: ``(V,)`` float vertex depth (smaller = nearer).
        triangles: ``(F, 3)`` int vertex indices, counter-clockwise as seen on screen with y up (i.e. front faces
            are clockwise in x-right / y-down pixel coordinates).
        size: ``(width, height)`` of the image.
        cull_back: drop back-facing triangles.

    Returns:
        The :class:`Raster`.

    Example:
        >>> xy = np.array([[1.0, 1.0], [1.0, 6.0], [6.0, 1.0]])
        >>> r = rasterize(xy, np.zeros(3), np.array([[0, 1, 2]]), (8, 8), cull_back=False)
        >>> int(r.covered.sum()), int(r.triangle[2, 2])
        (21, 0)
    """
    width, height = size
    xy = np.asarray(xy, np.float64)
    depth = np.asarray(depth, np.float64)
    tri = np.asarray(triangles, np.int64)
    a, b, c = xy[tri[:, 0]], xy[tri[:, 1]], xy[tri[:, 2]]
    # Twice the signed area, with y flipped to "up": positive for counter-clockwise (front) faces.
    area = -((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    keep = np.abs(area) > 1e-12
    if cull_back:
        keep &= area > 0
    lo = np.ceil(np.minimum(np.minimum(a, b), c)).astype(np.int64)
    hi = np.floor(np.maximum(np.maximum(a, b), c)).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width - 1, height - 1])
    keep &= (hi >= lo).all(axis=1)
    ids = np.flatnonzero(keep)
    side = np.maximum(hi[ids] - lo[ids] + 1, 1).max(axis=1)
    pix_all, z_all, t_all, l0_all, l1_all = [], [], [], [], []
    prev = 0
    for bucket in _BUCKET_SIDES:
        sel = ids[(side > prev) & (side <= bucket)]
        prev = bucket
        if not len(sel):
            continue
        # Candidate pixels: a bucket x bucket grid from each triangle's box corner, in chunks to bound memory.
        gy, gx = np.mgrid[0:bucket, 0:bucket]
        offsets = np.stack([gx.ravel(), gy.ravel()], axis=1)
        chunk = max(1, 2_000_000 // (bucket * bucket))
        for s in range(0, len(sel), chunk):
            t = sel[s : s + chunk]
            p = lo[t][:, None, :] + offsets[None]  # (n, k, 2)
            inside_box = (p <= hi[t][:, None, :]).all(axis=2)
            pa, pb, pc = a[t][:, None], b[t][:, None], c[t][:, None]
            # Barycentrics (y-up convention matches `area`): l_b for b, l_c for c.
            l_b = -(
                (p[..., 0] - pa[..., 0]) * (pc[..., 1] - pa[..., 1])
                - (p[..., 1] - pa[..., 1]) * (pc[..., 0] - pa[..., 0])
            )
            l_c = -(
                (pb[..., 0] - pa[..., 0]) * (p[..., 1] - pa[..., 1])
                - (pb[..., 1] - pa[..., 1]) * (p[..., 0] - pa[..., 0])
            )
            l_b = l_b / area[t][:, None]
            l_c = l_c / area[t][:, None]
            l_a = 1.0 - l_b - l_c
            eps = -1e-9
            inside = inside_box & (l_a >= eps) & (l_b >= eps) & (l_c >= eps)
            n_idx, k_idx = np.nonzero(inside)
            if not len(n_idx):
                continue
            tt = t[n_idx]
            px = p[n_idx, k_idx]
            la, lb, lc = l_a[n_idx, k_idx], l_b[n_idx, k_idx], l_c[n_idx, k_idx]
            z = la * depth[tri[tt, 0]] + lb * depth[tri[tt, 1]] + lc * depth[tri[tt, 2]]
            pix_all.append(px[:, 1] * width + px[:, 0])
            z_all.append(z)
            t_all.append(tt)
            l0_all.append(la)
            l1_all.append(lb)
    triangle = np.full(width * height, NO_TRIANGLE, np.int32)
    bary = np.zeros((width * height, 3), np.float32)
    zbuf = np.full(width * height, np.inf, np.float32)
    if pix_all:
        pix, z = np.concatenate(pix_all), np.concatenate(z_all)
        order = np.lexsort((z, pix))  # by pixel, nearest first
        pix, first = np.unique(pix[order], return_index=True)
        win = order[first]
        tt, la, lb = np.concatenate(t_all)[win], np.concatenate(l0_all)[win], np.concatenate(l1_all)[win]
        triangle[pix] = tt
        bary[pix] = np.stack([la, lb, 1.0 - la - lb], axis=1)
        zbuf[pix] = z[order][first]
    return Raster(triangle.reshape(height, width), bary.reshape(height, width, 3), zbuf.reshape(height, width))
