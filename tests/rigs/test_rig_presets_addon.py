"""Rig presets the add-on relies on: every preset loads, the ARKit identity preset, the RigDataError export."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import rigs  # noqa: E402


@pytest.mark.parametrize("preset", rigs.mapping_presets())
def test_every_preset_loads_and_maps_into_range(preset):
    m = rigs.load_mapping(preset)
    w = np.random.default_rng(0).uniform(0, 1, (5, len(m.source_names)))
    out = m.apply(w)
    assert out.shape == (5, len(m.target_names)) and out.min() >= 0 and out.max() <= 1


def test_arkit_identity_preset_is_identity():
    m = rigs.load_mapping("arkit52_to_arkit52")
    names = rigs.load_names("arkit52")
    assert m.source_names == m.target_names == names
    assert [(k.source, k.target) for k in m.links] == [(n, n) for n in names]
    w = np.random.default_rng(1).uniform(0, 1, (3, 52)).astype(np.float32)
    np.testing.assert_array_equal(m.apply(w), w)


def test_every_source_list_has_an_identity_preset():
    """The add-on's automatic mapping needs a same-list preset for each take kind (engine takes, ARKit CSVs)."""
    for name in ("facewarehouse46", "arkit52"):
        assert f"{name}_to_{name}" in rigs.mapping_presets()


def test_rig_data_error_is_exported():
    with pytest.raises(rigs.RigDataError, match="unknown mapping preset"):
        rigs.load_mapping("no_such_preset")
