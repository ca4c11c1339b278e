"""Where the rig data package comes from: ``blender_addon/rigs`` inside the built extension, else the repo's ``rigs``.

``build_addon.py`` copies ``rigs/`` into the zip as a subpackage; in a repository checkout the top-level ``rigs``
package (beside ``blender_addon/``) is used, so the data lives once in git. Importing this module only imports
the rigs loader (pure Python + numpy; no data is read until asked).
"""

from __future__ import annotations

try:  # the installed extension: rigs/ is vendored beside this file
    from . import rigs  # type: ignore[attr-defined]
except ImportError:  # a repository checkout: rigs/ is a sibling of blender_addon/
    import rigs  # type: ignore[no-redef]

__all__ = ["rigs"]
