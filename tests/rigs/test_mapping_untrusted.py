"""Custom mapping files are untrusted (issue 9): finite numbers only, names never paths, bounded size."""

from __future__ import annotations

import pytest

from rigs.mapping import MAX_MAPPING_FILE_BYTES, load_mapping
from rigs.names import RigDataError, load_names

LINK = (
    'schema = 1\nsource = "facewarehouse46"\ntarget = "arkit52"\n'
    '[[links]]\nsource = "EyeBlink_L"\ntarget = "eyeBlinkLeft"\n'
)


@pytest.mark.parametrize("extra", ["gain = nan", "gain = inf", "offset = -inf", "clamp = [nan, nan]"])
def test_exception_non_finite_numbers(tmp_path, extra):
    path = tmp_path / "m.toml"
    path.write_text(LINK + extra + "\n")
    with pytest.raises(RigDataError, match="finite"):
        load_mapping(path)


@pytest.mark.parametrize("name", ["../names/arkit52", "../../../../etc/hostname", "/etc/hostname"])
def test_exception_names_are_never_paths(tmp_path, name):
    with pytest.raises(RigDataError, match="unknown"):
        load_names(name)
    path = tmp_path / "m.toml"
    path.write_text(LINK.replace('source = "facewarehouse46"', f'source = "{name}"'))
    with pytest.raises(RigDataError, match="unknown name list"):
        load_mapping(path)
    with pytest.raises(RigDataError, match="unknown mapping preset"):
        load_mapping(name.removeprefix("/").replace(".", "_").replace("/", "_") + "_x")


def test_bounded_file_size(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(LINK + "# padding\n" * (MAX_MAPPING_FILE_BYTES // 10 + 1))
    with pytest.raises(RigDataError, match="larger than"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ("gain = true", "gain must be a number, got True"),
        ('gain = "0.5"', "gain must be a number, got '0.5'"),
        ('clamp = [0, "1"]', "clamp must be a number, got '1'"),
        ("offset = false", "offset must be a number, got False"),
    ],
)
def test_exception_a_number_written_as_something_else(tmp_path, extra, said):
    """`gain = true` baked as gain 1 and `gain = "0.5"` as 0.5: a typo in a mapping read as if it were meant."""
    path = tmp_path / "m.toml"
    path.write_text(LINK + extra + "\n")
    with pytest.raises(RigDataError, match=said):
        load_mapping(path)


def test_exception_a_name_written_as_a_number(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(LINK.replace('target = "eyeBlinkLeft"', "target = 5"))
    with pytest.raises(RigDataError, match="target must be a name in quotes, got 5"):
        load_mapping(path)
