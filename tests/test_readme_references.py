"""The README names files and tests as evidence; each must exist (a renamed test or moved file is a false claim)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
DEFAULT_TEST_FILE = REPO / "tests" / "engine" / "test_what_happens_when.py"


def _what_happens_rows() -> list[str]:
    section = README.split("## What happens when", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]


def test_convention_every_path_the_readme_names_exists():
    named = set(re.findall(r"`((?:tests|engine|blender_addon|rigs)/[\w./-]+\.(?:py|toml|md|json|js)\b)", README))
    missing = sorted(p for p in named if not (REPO / p).exists())
    assert named and not missing, missing


def test_convention_every_test_the_what_happens_table_names_exists():
    missing = []
    for row in _what_happens_rows():
        evidence = row.rstrip(" |").rsplit("|", 1)[-1]
        files = [REPO / f for f in re.findall(r"(tests/[\w/]+\.py)", evidence)]
        for file_name, name in re.findall(r"`(?:(tests/[\w/]+\.py)::)?((?:test_|Test)\w+)`", evidence):
            where = REPO / file_name if file_name else DEFAULT_TEST_FILE
            if not re.search(rf"^\s*(?:def|class) {name}\b", where.read_text(encoding="utf-8"), re.M):
                missing.append(f"{name} (in {where.relative_to(REPO)})")
        missing += [str(f.relative_to(REPO)) for f in files if not f.exists()]
    assert _what_happens_rows() and not missing, missing
