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

__all__ = ["DEFAULT_IDENTITY_MODES_PER_AXIS", "DEFAULT_IDENTITY_RMS_CM", "identity_basis_from_mesh"]

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
