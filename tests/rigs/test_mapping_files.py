"""Mapping files: checks on load (non-finite numbers, fallbacks), the writer's round trip, the VRM presets."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import rigs  # noqa: E402

FW = rigs.load_names("facewarehouse46")


def _write(tmp_path, link: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'schema = 1\nsource = "facewarehouse46"\ntarget = "arkit52"\nlinks = [\n  {link},\n]\n')
    return path


class TestLoadChecks:
    @pytest.mark.parametrize(
        "link, message",
        [
            ('{ source = "JawOpen", target = "jawOpen", gain = nan }', "gain must be a finite number, got nan"),
            ('{ source = "JawOpen", target = "jawOpen", offset = inf }', "offset must be a finite number, got inf"),
            ('{ source = "JawOpen", target = "jawOpen", clamp = [0.0, nan] }', "clamp must be .* finite"),
            ('{ source = "JawOpen", target = "jawOpen", clamp = [1.0, 0.0] }', "low <= high"),
            ('{ source = "JawOpen", target = "nope" }', "target 'nope' is not a target channel"),
            ('{ source = "Nope", target = "jawOpen" }', "source 'Nope' is not a source channel"),
            ('{ source = "JawOpen", target = "jawOpen", unless_rig_has = "jawOpen" }', "link 0 is malformed"),
            ('{ source = "JawOpen", target = "jawOpen", unless_rig_has = ["x"] }', r"unless_rig_has names \['x'\]"),
            ('{ source = "JawOpen", target = "jawOpen", gian = 2 }', r"unknown keys \['gian'\]"),
        ],
    )
    def test_exception_bad_link_names_file_and_link(self, tmp_path, link, message):
        with pytest.raises(rigs.RigDataError, match=message) as err:
            rigs.load_mapping(_write(tmp_path, link))
        assert "mine.toml" in str(err.value) and "link 0" in str(err.value)

    def test_exception_links_not_a_list(self, tmp_path):
        path = tmp_path / "bad.toml"
        path.write_text('schema = 1\nsource = "facewarehouse46"\ntarget = "arkit52"\nlinks = "JawOpen"\n')
        with pytest.raises(rigs.RigDataError, match="'links' must be a list"):
            rigs.load_mapping(path)

    def test_exception_make_mapping_names_the_edited_link(self):
        links = [rigs.Link("JawOpen", "jawOpen"), rigs.Link("EyeBlink_L", "eyeBlinkLeft", gain=float("nan"))]
        with pytest.raises(rigs.RigDataError, match=r"edited: link 1 \(EyeBlink_L -> eyeBlinkLeft\): gain"):
            rigs.make_mapping("x", FW, rigs.load_names("arkit52"), links, where="edited")


class TestFallbackLinks:
    def test_feature_vrm_blink_only_without_per_eye_blinks(self):
        m = rigs.load_mapping("facewarehouse46_to_vrm")
        w = np.zeros((1, 46), np.float32)
        w[0, FW.index("EyeBlink_L")], w[0, FW.index("EyeBlink_R")] = 0.8, 0.4
        blink = m.target_names.index("blink")
        assert m.for_rig(["blink", "aa"]).apply(w)[0, blink] == pytest.approx(0.6)
        assert m.for_rig(["blink", "blinkLeft"]).apply(w)[0, blink] == 0.0  # the per-eye keys close the eyes

    def test_feature_vrm_look_left_is_left_eye_out_and_right_eye_in(self):
        m = rigs.load_mapping("facewarehouse46_to_vrm")
        w = np.zeros((1, 46), np.float32)
        w[0, FW.index("EyeOut_L")] = w[0, FW.index("EyeIn_R")] = 1.0
        out = dict(zip(m.target_names, m.apply(w)[0], strict=True))
        assert out["lookLeft"] == pytest.approx(1.0) and out["lookRight"] == 0.0

    def test_cardinality_vrm_targets_not_driven(self):
        """The VRM presets without a FaceWarehouse meaning have no link (the bake reports them as not driven)."""
        for preset in ("facewarehouse46_to_vrm", "arkit52_to_vrm"):
            fed = {k.target for k in rigs.load_mapping(preset).links}
            assert set(rigs.load_names("vrm")) - fed == {
                "ee",
                "happy",
                "angry",
                "sad",
                "relaxed",
                "surprised",
                "neutral",
            }


class TestWriter:
    @pytest.mark.parametrize("preset", rigs.mapping_presets())
    def test_feature_round_trip_every_preset(self, tmp_path, preset):
        m = rigs.load_mapping(preset)
        path = tmp_path / f"{preset}.toml"
        path.write_text(rigs.mapping_to_toml(m))
        assert rigs.load_mapping(path) == m

    def test_feature_one_link_per_line_for_diffs(self):
        m = rigs.load_mapping("facewarehouse46_to_arkit52")
        lines = rigs.mapping_to_toml(m, comment="mine\nsecond line").splitlines()
        assert lines[:5] == [
            "# mine",
            "# second line",
            "schema = 1",
            'source = "facewarehouse46"',
            'target = "arkit52"',
        ]
        assert sum(line.strip().startswith("{ source =") for line in lines) == len(m.links)

    def test_feature_custom_targets_written_as_names(self, tmp_path):
        m = rigs.make_mapping("mine", FW, ["Jaw Open (custom)", 'quote"d'], [rigs.Link("JawOpen", 'quote"d', 0.5)])
        path = tmp_path / "mine.toml"
        path.write_text(rigs.mapping_to_toml(m))
        assert rigs.load_mapping(path) == m

    def test_exception_non_finite_is_not_written(self):
        bad = rigs.Mapping("bad", FW, ("jaw",), (rigs.Link("JawOpen", "jaw", gain=float("inf")),))
        with pytest.raises(ValueError, match="non-finite"):
            rigs.mapping_to_toml(bad)


def test_feature_the_readmes_mapping_for_a_characters_own_names_loads(tmp_path):
    """README's example file for a character whose keys have their own names loads, and naming them as a list that
    does not exist says how to write it instead.
    """
    import re
    from pathlib import Path

    from rigs.mapping import load_mapping
    from rigs.names import RigDataError

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = re.search(r"```toml\n(schema = 1\n.*?target_names.*?)```", readme, re.S).group(1)
    path = tmp_path / "character.toml"
    path.write_text(example)
    mapping = load_mapping(str(path))
    assert mapping.target_names == ("MouthOpenBig", "Smile", "Blink.L", "Frown") and len(mapping.links) == 5
    path.write_text(example.replace('target_names = ["MouthOpenBig", "Smile", "Blink.L", "Frown"]', 'target = "hero"'))
    with pytest.raises(RigDataError, match=r"character.toml: target = 'hero': unknown name list.*target_names"):
        load_mapping(str(path))


class TestAnArtistsOwnFile:
    """What an artist's own mapping file meets: an editor's byte-order mark, no suffix, a list name's capitals."""

    def _own(self, tmp_path, name="hero.toml", source='source = "facewarehouse46"', bom=False) -> Path:
        link = '{ source = "MouthSmile_L", target = "Smile" }'
        text = f'schema = 1\n{source}\ntarget_names = ["Smile"]\nlinks = [{link}]\n'
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        return path

    def test_compatibility_a_file_saved_with_a_byte_order_mark_loads(self, tmp_path):
        assert rigs.load_mapping(self._own(tmp_path, bom=True)).target_names == ("Smile",)

    def test_feature_a_file_without_a_suffix_is_a_file_not_a_preset(self, tmp_path):
        assert rigs.load_mapping(str(self._own(tmp_path, name="hero_mapping"))).target_names == ("Smile",)

    @pytest.mark.parametrize(
        "source, message",
        [
            (
                'source = "FaceWarehouse46"',
                "source = 'FaceWarehouse46': unknown name list; write source = 'facewarehouse46'",
            ),
            ('source = "hero"', 'the source is the take\'s channels: source = "facewarehouse46"'),
        ],
    )
    def test_exception_an_unknown_source_list_says_what_to_write(self, tmp_path, source, message):
        with pytest.raises(rigs.RigDataError, match=re.escape(message)):
            rigs.load_mapping(self._own(tmp_path, source=source))

    @pytest.mark.parametrize(
        "value, message", [("", "no mapping file given"), ("FOLDER", "is a folder: pick a mapping")]
    )
    def test_exception_no_file_or_a_folder_is_not_called_a_preset(self, tmp_path, value, message):
        with pytest.raises(rigs.RigDataError, match=message):
            rigs.load_mapping(str(tmp_path) if value == "FOLDER" else value)
