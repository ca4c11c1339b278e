"""Reading and writing take files: the one reader and the one writer, for the engine and the add-on alike.

Writing validates first (an invalid take is never written) and is atomic (:mod:`.atomic_write`). Reading
validates everything (:mod:`.take_validation`) and names the file and every problem. Where the two sides
deliberately differ they call an explicit option: the add-on drops repeated timestamps after reading
(:func:`.take.without_repeated_timestamps`); the engine keeps them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic_write import atomic_write
from .errors import InputError, TakeFormatError
from .take import Take, take_from_arrays, take_to_arrays
from .take_validation import join_problems, validate_take_arrays

__all__ = ["TAKE_SUFFIX", "load_take", "save_take"]

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
        np.savez(tmp, **arrays)  # uncompressed: ~10x faster to write; ~8 KB per frame, mostly landmarks
    return path


def load_take(path: str | Path) -> Take:
    """Read and validate a take file.

    Args:
        path: a ``.npz`` written by :func:`save_take`.

    Returns:
        The take, arrays in their schema dtypes, ``meta`` as a dict.

    Raises:
        InputError: the file does not exist.
        TakeFormatError: the file is not a take, or breaks the schema; the message names the file and lists every
            problem, e.g. ``take.npz: 'eye_blink' must be float32 (T, 2); got float64 (120, 3)``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"take file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as err:  # object arrays (pickles) or a corrupt member
        raise TakeFormatError(f"{path.name}: not a take file ({err})") from None
    except Exception as err:  # OSError, EOFError, zipfile.BadZipFile: still the user's file, not our bug
        raise TakeFormatError(
            f"{path.name}: not a take file (a take is an .npz archive written by the engine; {type(err).__name__}: "
            f"{err})"
        ) from None
    problems = validate_take_arrays(arrays)
    if problems:
        raise TakeFormatError(f"{path.name}: {join_problems(problems)}")
    return take_from_arrays(arrays, convert=False)
