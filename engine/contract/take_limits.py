"""Bounds on what is read from an untrusted file (a take, a Live Link Face CSV, an identity), checked before reading.

A take or CSV may come from anyone (a download, another studio, a broken disk). Every reader checks the file's
declared sizes against these bounds before it allocates anything, so a crafted 5 MB file cannot make a reader
allocate gigabytes, and says which bound was hit. The defaults cover any real recording with a wide margin.
"""

from __future__ import annotations

import dataclasses

__all__ = ["DEFAULT_LIMITS", "ReadLimits"]


@dataclasses.dataclass(frozen=True)
class ReadLimits:
    """Upper bounds for reading untrusted files.

    Attributes:
        max_frames: frames of a take or rows of a CSV: 1,000,000 is over 9 hours at 30 fps, 2.3 hours at 120 fps.
        max_identity_values: length of a take's ``identity`` (this engine's is 100 + 478 x 3 = 1534).
        max_archive_members: members of a take archive (a take has 17).
        max_text_chars: characters of a text member (``meta`` JSON, one expression name).
        max_csv_bytes: size of a Live Link Face CSV (a row is ~500 bytes: 1,000,000 rows are ~500 MB).
        max_csv_field_chars: characters of one CSV field (a number or a timecode is short).
    """

    max_frames: int = 1_000_000
    max_identity_values: int = 1_000_000
    max_archive_members: int = 64
    max_text_chars: int = 1_000_000
    max_csv_bytes: int = 2_000_000_000
    max_csv_field_chars: int = 1_000


DEFAULT_LIMITS = ReadLimits()
"""The limits every reader uses unless given others."""
