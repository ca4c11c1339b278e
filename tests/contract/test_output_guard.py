"""The output ledger (engine/contract/output_guard.py): what this tool wrote, so a later run may replace it; many
processes finishing at once each keep their entry (real processes, a real lock).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

REMEMBER = """import sys
from pathlib import Path
from engine.contract.output_guard import remember_output
for i in range(20):
    out = Path(sys.argv[1]) / f"out_{sys.argv[2]}_{i}.blend"
    out.write_bytes(b"a bake")
    remember_output(out)
"""


@pytest.mark.skipif(os.name != "posix", reason="the ledger's lock is POSIX only (fcntl)")
def test_feature_outputs_written_by_many_processes_at_once_are_all_remembered(tmp_path, monkeypatch):
    """Twelve batches finishing at once remembered 5 of their 12 outputs: the others then needed --overwrite."""
    from engine.contract.output_guard import is_remembered_output

    env = {**os.environ, "FACEMOCAP_STATE_DIR": str(tmp_path / "state"), "PYTHONPATH": str(REPO)}
    writers = [
        subprocess.Popen([sys.executable, "-c", REMEMBER, str(tmp_path), str(n)], cwd=REPO, env=env) for n in range(6)
    ]
    assert all(w.wait(timeout=120) == 0 for w in writers)
    monkeypatch.setenv("FACEMOCAP_STATE_DIR", str(tmp_path / "state"))
    outputs = sorted(tmp_path.glob("out_*.blend"))
    assert len(outputs) == 120 and all(is_remembered_output(p) for p in outputs)
