"""A low-dimensional, smooth identity space: the lowest-frequency eigenmodes of the mesh's graph Laplacian.

Each of the ``modes_per_axis`` smoothest non-constant eigenvectors of the (symmetric-normalised) Laplacian of the
tessellation is used as a displacement field along x, y and z. Similarity transforms (translation, rotation,
scale) are projected out of the space so identity never competes with head pose, and the basis is
orthonormalised and scaled so that coefficient 1 moves the face by ``rms_cm`` (RMS over vertices), which makes a
unit Gaussian prior on the coefficients a sensible default.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix, diags
from scipy.sparse.linalg import eigsh

__all__ = [
    "DEFAULT_IDENTITY_MODES_PER_AXIS",
    "DEFAULT_IDENTITY_RMS_CM",
    "identity_basis_from_mesh",
    "without_opening_changes",
]

DEFAULT_IDENTITY_MODES_PER_AXIS = 12  # 36 dims before removing similarity transforms
DEFAULT_IDENTITY_RMS_CM = 0.35  # one unit of a coefficient ~ a typical between-person difference per mode


def _similarity_fields(vertices: np.ndarray) -> np.ndarray:
    """``(7, V*3)`` the infinitesimal similarity motions of the vertices (3 translations, 3 rotations, scale)."""
    v = vertices - vertices.mean(axis=0)
    fields = []
    for k in range(3):
        t = np.zeros_like(v)
        t[:, k] = 1.0
        fields.append(t)
    for axis in np.eye(3):
        fields.append(np.cross(axis, v))
    fields.append(v.copy())
    return np.stack([f.ravel() for f in fields])


def identity_basis_from_mesh(
    vertices: np.ndarray,
    edges: np.ndarray,
    *,
    modes_per_axis: int = DEFAULT_IDENTITY_MODES_PER_AXIS,
    rms_cm: float = DEFAULT_IDENTITY_RMS_CM,
) -> np.ndarray:
    """Build the identity basis.

    Args:
        vertices: ``(V, 3)`` float neutral, cm.
        edges: ``(E, 2)`` int undirected mesh edges over the V vertices.
        modes_per_axis: smooth Laplacian modes used per axis.
        rms_cm: RMS vertex displacement of each unit basis vector.

    Returns:
        ``(K, V, 3)`` float32 basis, K = 3 * modes_per_axis - 7 (similarity motions removed).
    """
    n = len(vertices)
    e = np.asarray(edges)
    adj = coo_matrix((np.ones(2 * len(e)), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)).tocsr()
    deg = np.asarray(adj.sum(axis=1)).ravel()
    d_inv_sqrt = diags(1.0 / np.sqrt(deg))
    laplacian = diags(np.ones(n)) - d_inv_sqrt @ adj @ d_inv_sqrt
    # Smallest eigenpairs; shift-invert near a small negative sigma for speed and stability.
    _, vecs = eigsh(laplacian, k=modes_per_axis + 1, sigma=-1e-3, which="LM")
    vecs = d_inv_sqrt @ vecs  # back to random-walk eigenvectors (smooth over the mesh)
    smooth = vecs[:, 1:]  # drop the constant mode
    fields = []
    for k in range(3):
        for m in range(modes_per_axis):
            f = np.zeros((n, 3))
            f[:, k] = smooth[:, m]
            fields.append(f.ravel())
    basis = np.stack(fields)  # (3M, 3V)
    sim = np.linalg.qr(_similarity_fields(vertices).T)[0]  # (3V, 7) orthonormal
    basis = basis - (basis @ sim) @ sim.T
    u, s, vt = np.linalg.svd(basis, full_matrices=False)
    keep = s > 1e-6 * s[0]
    ortho = vt[keep][: 3 * modes_per_axis - 7]  # orthonormal rows spanning the same space
    ortho *= rms_cm * np.sqrt(n)  # RMS over vertices of each unit vector = rms_cm (norm of 3V vector / sqrt(V))
    return ortho.reshape(-1, n, 3).astype(np.float32)


def without_opening_changes(basis: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The part of an identity space that leaves the eyes' and mouth's openings unchanged.

    Smooth modes that stretch the face vertically also open or close the eyes and lips; fitted to one image, such a
    mode could explain a wider face with wider eyes and leave the fit to close them again with EyeBlink. Openings
    are expression: this keeps only combinations of the modes under which the mean vertical gap of every
    (upper, lower) contour pair set is unchanged, re-orthonormalised at the same RMS scale.

    Args:
        basis: ``(K, V, 3)`` identity basis.
        pairs: ``[(upper (n,), lower (n,)), ...]`` vertex index arrays, one entry per opening (eye, mouth).

    Returns:
        ``(K - len(pairs), V, 3)`` float32 basis.
    """
    k = basis.shape[0]
    gaps = np.stack([(basis[:, u, 1] - basis[:, lo, 1]).mean(axis=1) for u, lo in pairs])  # (openings, K)
    null = np.linalg.svd(gaps)[2][len(pairs) :]  # (K - openings, K): coefficient combinations with zero gap change
    reduced = np.tensordot(null, basis, 1).reshape(len(null), -1)
    rms = np.linalg.norm(basis.reshape(k, -1), axis=1).mean()
    _, _, vt = np.linalg.svd(reduced, full_matrices=False)
    return (vt * rms).reshape(len(null), *basis.shape[1:]).astype(np.float32)
