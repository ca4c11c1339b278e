"""Reading and writing take files: the one reader and the one writer, for the engine and the add-on alike (a long
take, written block by block into a partial take, is finished through the same archive writer,
:func:`.npz_archive.write_npz`: :meth:`.partial_take.PartialTake.finish`).

Writing validates first (an invalid take is never written) and is atomic (:mod:`.atomic_write`). Reading is
bounded (:mod:`.npz_archive`, :mod:`.take_limits`: headers and declared shapes are checked before any data is
read), validates everything (:mod:`.take_validation`) and names the file and every problem. Where the two sides
deliberately differ they call an explicit option: the add-on drops repeated timestamps after reading
(:func:`.take.without_repeated_timestamps`); the engine keeps them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .atomic_write import atomic_write
from .errors import InputError, TakeFormatError
from .npz_archive import NpzArchive, write_npz
from .take import ARRAY_SPECS, LANDMARK_COUNTS, MODEL_LANDMARK_COUNTS, Take, take_from_arrays, take_to_arrays
from .take_limits import DEFAULT_LIMITS, ReadLimits
from .take_validation import join_problems, validate_take_arrays, validate_take_shapes

__all__ = ["TAKE_SUFFIX", "is_take_file", "load_take", "save_take"]

TAKE_SUFFIX = ".npz"


def save_take(path: str | Path, take: Take) -> Path:
    """Validate and write a take atomically, with the user's default file permissions.

    Args:
        path: destination ``.npz`` file (the suffix is added by no one: pass it).
        take: the take to write.

    Returns:
        The absolute path written.

    Raises:
        TakeFormatError: the take breaks the schema (nothing is written); the message lists every problem.
        InputError: the folder does not exist or is not writable.
    """
    path = Path(path).resolve()
    arrays = take_to_arrays(take)
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"refusing to write {path.name}: {join_problems(problems)}")
    with atomic_write(path) as tmp:
        write_npz(tmp, arrays)  # uncompressed: ~10x faster to write; ~8 KB per frame, mostly landmarks
    return path


def load_take(path: str | Path, *, landmarks: bool = True, limits: ReadLimits = DEFAULT_LIMITS) -> Take:
    """Read and validate a take file, bounded: the archive's headers are checked before any data is read.

    Args:
        path: a ``.npz`` written by :func:`save_take`.
        landmarks: read ``landmarks`` and ``model_landmarks`` (most of a take's bytes). With False they are
            read-only NaN arrays of the declared shape that take no memory (baking and ``info`` need none).
        limits: bounds on frames, identity size and text (:mod:`.take_limits`).

    Returns:
        The take, arrays in their schema dtypes, ``meta`` as a dict.

    Raises:
        InputError: the file does not exist.
        TakeFormatError: the file is not a take, breaks the schema, exceeds ``limits``, or is crafted (an
            encrypted member, an unknown compression method, a declared size that does not match the data);
            the message names the file and every problem, e.g.
            ``take.npz: 'eye_blink' must be float32 (T, 2); got float64 (120, 3)``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"take file not found: {path}")
    with NpzArchive(path, max_members=limits.max_archive_members) as archive:
        declared = {h.key: (h.dtype, h.shape) for h in archive.headers.values()}
        if "time" not in declared or len(declared["time"][1]) != 1:
            raise TakeFormatError(f"{path.name}: {join_problems(validate_take_shapes(declared))}")
        frames = declared["time"][1][0]
        if frames > limits.max_frames:
            raise TakeFormatError(f"{path.name}: {frames} frames; at most {limits.max_frames} are read")
        arrays = {}
        for key in ARRAY_SPECS:
            header = archive.headers.get(key)
            if header is None:
                continue
            if not landmarks and key in ("landmarks", "model_landmarks") and header.dtype == np.float32:
                arrays[key] = np.broadcast_to(np.float32(np.nan), header.shape)  # not read; no memory
                continue
            if header.nbytes > _largest_member_bytes(key, frames, limits):
                # not read: a zero-stride stand-in of the declared dtype and shape, so validation names the problem
                arrays[key] = _stand_in(header.dtype, header.shape)
                continue
            arrays[key] = archive.read(key, max_bytes=header.nbytes)
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"{path.name}: {join_problems(problems)}")
    return take_from_arrays(arrays, convert=False)


def _largest_member_bytes(key: str, frames: int, limits: ReadLimits) -> int:
    """The most bytes a valid take of ``frames`` frames can hold under ``key`` (larger members are not read)."""
    dtype, pattern = ARRAY_SPECS[key]
    if dtype == "unicode":
        return 4 * limits.max_text_chars * max(1, int(np.prod([p for p in pattern if isinstance(p, int)])))
    sizes = {"T": frames, "K": limits.max_identity_values, "N": max(LANDMARK_COUNTS), "M": max(MODEL_LANDMARK_COUNTS)}
    return int(np.prod([sizes.get(p, p) for p in pattern], dtype=object)) * np.dtype(dtype).itemsize


def _stand_in(dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A read-only array of ``dtype`` and ``shape`` that takes no memory (every element is the same zero)."""
    return np.lib.stride_tricks.as_strided(np.zeros((), dtype), shape, (0,) * len(shape), writeable=False)


def is_take_file(path: str | Path) -> bool:
    """True if ``path`` is a take archive by its content (its zip directory lists the take's keys; no data read).

    Used to tell the tool's own files from anything else before replacing one (:mod:`.output_guard`).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return {f"{k}.npy" for k in ARRAY_SPECS} <= names
