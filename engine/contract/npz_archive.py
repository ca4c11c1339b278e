"""``.npz`` archives: bounded reading of untrusted files (headers first, then only the members asked for), and
writing that fails cleanly.

``np.load`` trusts an archive: it decompresses a member whatever size it declares, and follows any compression
method or encryption flag into a library error. This reader looks at the zip directory and each member's ``.npy``
header before any data is read, and refuses, with a message naming the member and the problem:

- member names that are not plain ``KEY.npy`` (a path separator, ``..``, a duplicate);
- encrypted members, and compression methods other than stored and deflate (what ``np.savez`` and
  ``np.savez_compressed`` write);
- object (pickled) dtypes, and headers that are not ``.npy`` 1.0 / 2.0 / 3.0;
- a declared array whose bytes do not match the member's declared size, or that exceed the caller's bound.

Data is then read in blocks straight into the array (no second copy), so reading costs the array's size and no
more; a member whose real stream is shorter or longer than declared fails its CRC and size check.

:func:`write_npz` writes what ``np.savez`` writes (stored members, ``.npy`` format), but a write that fails (a full
disk) raises one ``OSError`` and leaves no half-closed archive behind to raise again when it is collected.
"""

from __future__ import annotations

import dataclasses
import re
import tokenize
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import TakeFormatError

__all__ = ["MemberHeader", "NpzArchive", "write_npz"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_READ_BLOCK_BYTES = 16 * 1024 * 1024
_SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


@dataclasses.dataclass(frozen=True)
class MemberHeader:
    """What a member declares, read from its ``.npy`` header (no data read).

    Attributes:
        key: the array's key (the member name without ``.npy``).
        shape: the declared shape. dtype: the declared dtype. fortran_order: column-major data.
        nbytes: bytes of data the shape and dtype declare.
    """

    key: str
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    nbytes: int


class NpzArchive:
    """An open ``.npz`` archive whose members are checked before they are read. Use as a context manager.

    Example:
        >>> import io, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "a.npz"
        >>> np.savez(path, x=np.arange(3.0))
        >>> with NpzArchive(path) as archive:
        ...     archive.headers["x"].shape, archive.read("x", max_bytes=1024).tolist()
        ((3,), [0.0, 1.0, 2.0])
    """

    def __init__(self, path: str | Path, *, max_members: int = 64) -> None:
        self.path = Path(path)
        name = self.path.name
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
            hint = "; a Live Link Face CSV becomes a take with `import-csv`" if name.lower().endswith(".csv") else ""
            raise TakeFormatError(
                f"{name}: not a take file (a take is an .npz archive written by the engine; "
                f"{type(err).__name__}: {err}){hint}"
            ) from None
        try:
            self._infos = self._check_directory(max_members)
            self.headers = {key: self._read_header(key, info) for key, info in self._infos.items()}
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive file."""
        self._zip.close()

    @property
    def keys(self) -> tuple[str, ...]:
        """The archive's keys, in stored order."""
        return tuple(self._infos)

    def _fail(self, message: str) -> TakeFormatError:
        return TakeFormatError(f"{self.path.name}: {message}")

    def _check_directory(self, max_members: int) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > max_members:
            raise self._fail(f"{len(infos)} members; a take has at most {max_members}")
        out: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            key = info.filename[:-4] if info.filename.endswith(".npy") else ""
            if not _KEY.fullmatch(key):
                raise self._fail(f"member {info.filename[:80]!r} is not a plain KEY.npy name")
            if key in out:
                raise self._fail(f"member {info.filename!r} appears twice")
            if info.flag_bits & 0x1:
                raise self._fail(f"member {info.filename!r} is encrypted (takes are never encrypted)")
            if info.compress_type not in _SUPPORTED_COMPRESSION:
                raise self._fail(
                    f"member {info.filename!r} uses zip compression method {info.compress_type}; "
                    "only stored and deflate are read"
                )
            out[key] = info
        return out

    def _read_header(self, key: str, info: zipfile.ZipInfo) -> MemberHeader:
        try:
            with self._zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version not in ((1, 0), (2, 0), (3, 0)):
                    raise ValueError(f"unknown .npy version {version}")
                reader = (
                    np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                )
                shape, fortran, dtype = reader(f, max_header_size=10_000)
                header_bytes = f.tell()
        except (
            ValueError,
            OSError,
            EOFError,
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            SyntaxError,
            tokenize.TokenError,  # numpy 1.x re-reads an unparsable header dict with tokenize (unbalanced brackets)
        ) as err:
            raise self._fail(f"member {info.filename!r} is not a readable .npy array ({err})") from None
        if dtype.hasobject:
            raise self._fail(f"member {info.filename!r} holds Python objects (a pickle); takes hold only arrays")
        if any(s < 0 for s in shape):
            raise self._fail(f"member {info.filename!r} declares a negative shape {shape}")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if info.file_size != header_bytes + nbytes:
            raise self._fail(
                f"member {info.filename!r} declares {dtype} {tuple(shape)} ({nbytes} bytes) but holds "
                f"{info.file_size - header_bytes} bytes of data"
            )
        return MemberHeader(key, tuple(int(s) for s in shape), dtype, bool(fortran), nbytes)

    def read(self, key: str, *, max_bytes: int) -> np.ndarray:
        """Read one member's array, refusing one whose declared size exceeds ``max_bytes``.

        Raises:
            TakeFormatError: no such member, too large, or its data is corrupt (CRC, truncated stream).
        """
        header = self.headers.get(key)
        if header is None:
            raise self._fail(f"no {key!r} array")
        if header.nbytes > max_bytes:
            raise self._fail(f"{key!r} declares {header.nbytes} bytes; at most {max_bytes} are read for it")
        out = np.empty(header.shape, dtype=header.dtype, order="F" if header.fortran_order else "C")
        view = memoryview(out.reshape(-1, order="A").view(np.uint8)) if out.size else memoryview(b"")
        try:
            with self._zip.open(self._infos[key]) as f:
                np.lib.format.read_magic(f)
                f.seek(self._header_length(key))
                filled = 0
                while filled < header.nbytes:
                    block = f.read(min(_READ_BLOCK_BYTES, header.nbytes - filled))
                    if not block:
                        raise EOFError("the data ends early")
                    view[filled : filled + len(block)] = block
                    filled += len(block)
                f.read(1)  # reach the end of the stream: zipfile checks the CRC and the size there
        except (OSError, EOFError, ValueError, zipfile.BadZipFile, RuntimeError) as err:
            raise self._fail(f"member {key}.npy is corrupt ({err})") from None
        return out

    def _header_length(self, key: str) -> int:
        return self._infos[key].file_size - self.headers[key].nbytes

    def read_many(self, keys: Iterable[str], *, max_bytes: dict[str, int]) -> dict[str, np.ndarray]:
        """:meth:`read` for several keys, each with its own bound."""
        return {k: self.read(k, max_bytes=max_bytes[k]) for k in keys}


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray | Callable[[BinaryIO], None]]) -> None:
    """Write ``arrays`` as an uncompressed ``.npz`` at ``path`` (as ``np.savez``; no pickles).

    A value may also be a function that writes the member's ``.npy`` bytes itself (a long take's column, streamed
    block by block from a partial take so memory does not grow with the take).

    Raises:
        OSError: the write failed (the file is then incomplete: write to a temporary file, see ``atomic_write``).
    """
    with open(path, "wb") as f:
        archive = zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True)
        try:
            for key, value in arrays.items():
                with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                    if callable(value):
                        value(member)
                    else:
                        np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
            archive.close()
        except BaseException:
            archive.fp = None  # abandoned: closing must not write a directory into it, nor raise again later
            raise
