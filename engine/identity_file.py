"""The actor identity as stored in a take's ``identity`` array, and reading it back for ``--identity``.

Layout (float32, K = k + P * 3): the k smooth identity-space coefficients of the face model, then the actor's
rest-face offsets as the detector sees them (:attr:`engine.fitting.clip_fit.ClipFit.landmark_bias`, P x 3, cm,
model frame), so a second clip of the same actor can reuse the exact neutral: ``track --identity FIRST.npz``.

The file is read with the contract's bounded reader (:mod:`engine.contract.npz_archive`): only ``identity`` is
read, after its header is checked, and every value must be finite.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .contract.npz_archive import NpzArchive
from .contract.take_limits import DEFAULT_LIMITS
from .errors import InputError, TakeFormatError
from .face_model.model import FaceModel

__all__ = ["identity_from_vector", "identity_to_vector", "load_identity"]


def identity_to_vector(identity: np.ndarray, landmark_bias: np.ndarray) -> np.ndarray:
    """``(k,)`` coefficients + ``(P, 3)`` offsets -> ``(k + 3P,)`` float32."""
    return np.concatenate([np.ravel(identity), np.ravel(landmark_bias)]).astype(np.float32)


def identity_from_vector(vector: np.ndarray, model: FaceModel) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`identity_to_vector` for this model; raises InputError on a size mismatch or NaN."""
    k, p = model.num_identity, model.num_points
    vector = np.asarray(vector, dtype=np.float32).ravel()
    if vector.shape != (k + 3 * p,):
        raise InputError(
            f"identity has {vector.size} values; this engine's model needs {k + 3 * p} (k={k}, points={p})"
        )
    if not np.isfinite(vector).all():
        raise InputError(f"identity has {int((~np.isfinite(vector)).sum())} NaN / infinite values")
    return vector[:k].copy(), vector[k:].reshape(p, 3).copy()


def load_identity(path: str | Path, model: FaceModel) -> tuple[np.ndarray, np.ndarray]:
    """Read ``identity`` from a take (or any .npz with that key).

    Raises:
        InputError: missing, unreadable or crafted file, no ``identity``, or an identity this model cannot use.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--identity: no such file: {path}")
    try:
        with NpzArchive(path, max_members=DEFAULT_LIMITS.max_archive_members) as archive:
            header = archive.headers.get("identity")
            if header is None:
                raise InputError(f"--identity: {path} has no 'identity' array (pass a take made by 'engine track')")
            if header.dtype.kind != "f" or len(header.shape) != 1:
                raise InputError(f"--identity: {path}: 'identity' must be a 1-D float array; got {header.dtype}")
            vector = archive.read("identity", max_bytes=8 * DEFAULT_LIMITS.max_identity_values)
        return identity_from_vector(vector, model)
    except (TakeFormatError, InputError) as err:
        message = str(err)
        raise InputError(message if message.startswith("--identity") else f"--identity: {message}") from None
