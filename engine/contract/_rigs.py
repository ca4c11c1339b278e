"""Where the rig data package comes from: ``<addon>/rigs`` beside ``<addon>/contract`` inside the add-on zip, else
the repository's top-level ``rigs`` (this package is then ``engine.contract``).
"""

from __future__ import annotations

try:  # inside the add-on zip: rigs/ and contract/ are both subpackages of the add-on
    from .. import rigs  # type: ignore[attr-defined]
except ImportError:  # a repository checkout: rigs/ is a top-level package
    import rigs  # type: ignore[no-redef]

__all__ = ["rigs"]
