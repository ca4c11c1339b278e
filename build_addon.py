"""Build the installable Blender extension zip: ``dist/<id>-<version>.zip``.

The version is read from ``blender_addon/blender_manifest.toml`` (the project's one version number). The zip holds
``blender_addon/`` at its root (manifest, ``__init__.py``, ``pure/``, ``blender/``, ``ui/``, ...), the engine <->
add-on contract copied from ``engine/contract/`` as the subpackage ``contract/`` and the rig data package copied
from ``rigs/`` as the subpackage ``rigs/`` (``blender_addon._contract`` and ``blender_addon._rigs`` find them with
relative imports; nothing else of the engine is shipped), and the demo head (ICT-FaceKit's scanned head with the 46
expressions) as ``data/face_head.npz`` with ICT-FaceKit's MIT notice and credits beside it, and the project's
``LICENSE`` (GPL-3.0-or-later). Caches and tests are left out.

    python build_addon.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent
ADDON = REPO / "blender_addon"
RIGS = REPO / "rigs"
CONTRACT = REPO / "engine" / "contract"
DEMO_HEAD = REPO / "engine" / "data" / "face_head.npz"
HEAD_LICENSE = REPO / "engine" / "data" / "ICT-FaceKit-LICENSE.txt"
PROJECT_LICENSE = REPO / "LICENSE"  # GPL-3.0-or-later, as the manifest declares
MANIFEST = ADDON / "blender_manifest.toml"
_SKIP_DIRS = {"__pycache__", ".pytest_cache", "tests"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".blend1"}


def manifest() -> dict:
    """The extension manifest as a dict."""
    with MANIFEST.open("rb") as f:
        import tomllib  # Python 3.11+: main() says so on an older one

        return tomllib.load(f)


def _files(root: Path):
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not (set(rel.parts) & _SKIP_DIRS) and path.suffix not in _SKIP_SUFFIXES:
            yield path, rel


def build(out_dir: Path = REPO / "dist") -> Path:
    """Write the zip and return its path.

    Raises:
        FileNotFoundError: the demo head or its licence is missing (``python -m engine build-model`` makes them).
    """
    m = manifest()
    zip_path = Path(out_dir) / f"{m['id']}-{m['version']}.zip"
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    for vendored, home in (("rigs", "rigs/"), ("contract", "engine/contract/")):
        if (ADDON / vendored).exists():
            raise RuntimeError(f"blender_addon/{vendored} exists in the checkout; it must live only in {home}")
    for needed in (DEMO_HEAD, HEAD_LICENSE):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} is missing: make it with 'python -m engine build-model --ict DIR'")
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, rel in _files(ADDON):
            zf.write(path, rel.as_posix())
        for path, rel in _files(RIGS):
            zf.write(path, ("rigs" / rel).as_posix())
        for path, rel in _files(CONTRACT):
            zf.write(path, ("contract" / rel).as_posix())
        zf.write(DEMO_HEAD, "data/face_head.npz")
        zf.write(HEAD_LICENSE, "data/ICT-FaceKit-LICENSE.txt")
        zf.write(PROJECT_LICENSE, "LICENSE")
    tmp.replace(zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (the project needs 3.11; this script is run by hand)
        print(f"build_addon.py needs Python 3.11 or newer (this is {sys.version.split()[0]}): run it with the "
              "project's .venv/bin/python", file=sys.stderr)  # fmt: skip
        return 2
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(REPO / "dist"), help="output folder (default: dist/)")
    args = p.parse_args(argv)
    try:
        path = build(Path(args.out))
    except (FileNotFoundError, RuntimeError) as err:
        print(f"build_addon: {err}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
