"""Name matching as real exports spell shape keys: sides, prefixes, namespaces, vendor schemes, several sets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for path in (REPO, REPO / "tests" / "addon"):  # the repo, and the rig-name generator shared with the bpy tests
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from rigsgen import naming_cases, numbered_multiset_keys  # noqa: E402
from rigsgen import pascal as _pascal  # noqa: E402

import rigs  # noqa: E402
from rigs.shape_names import name_readings, set_prefix  # noqa: E402

ARKIT = rigs.load_names("arkit52")


def _read_as(canonical, keys, **kw) -> dict[str, str]:
    """Rig key -> the canonical name it drives."""
    report = rigs.match_shape_keys(canonical, keys, **kw)
    return {k: name for name, ks in report.matched.items() for k in ks}


class TestReadings:
    @pytest.mark.parametrize(
        "spelling",
        [
            "eyeBlinkLeft",
            "EyeBlinkLeft",
            "eyeBlink_L",
            "eye_blink.L",
            "EYE_BLINK_l",
            "eyeBlink-Left",
            "eyeBlink Left",
            "eyeBlink.Left",
            "EyeBlinkL",
            "L_EyeBlink",
            "Left_eye_blink",
        ],
    )
    def test_feature_side_spellings(self, spelling):
        assert rigs.normalize_shape_name(spelling) == "eyeblink|left"

    @pytest.mark.parametrize(
        "key",
        [
            "AK_01_EyeBlinkLeft",  # numbered set prefix
            "A14_Eye_Blink_Left",  # Character Creator's numbered ARKit set
            "blendShape1.eyeBlinkLeft",  # Maya blendShape node
            "Head_Mesh|eyeBlinkLeft",  # Maya DAG path
            "ns:eyeBlinkLeft",  # Maya namespace
            "Head_Mesh|blendShape1.AK_01_EyeBlinkLeft",  # all of them
            "facs_bs_EyeBlinkLeft",  # Daz
        ],
    )
    def test_feature_prefixes_and_namespaces_fall_away(self, key):
        assert _read_as(ARKIT, ["Basis", key]) == {key: "eyeBlinkLeft"}

    def test_feature_readings_longest_first(self):
        assert name_readings("A01_Brow_Inner_Up") == ("a01browinnerup", "browinnerup", "innerup", "up")

    def test_convention_side_letter_needs_a_capital_after_lower_case(self):
        assert rigs.normalize_shape_name("EyeBlinkL") == "eyeblink|left"
        assert rigs.normalize_shape_name("jawl") == "jawl"  # a lower-case l glued to a word is part of it
        assert rigs.normalize_shape_name("Left") == "left"  # a side alone is a name, not a side

    def test_wart_blender_duplicate_suffix_is_not_the_key(self):
        """Blender's ``.001`` of a duplicated key is a different key: it is not driven as the original."""
        report = rigs.match_shape_keys(["jawOpen"], ["jawOpen.001"])
        assert report.missing == ("jawOpen",) and report.unused == ("jawOpen.001",)

    @pytest.mark.parametrize(
        "key, prefix",
        [
            ("AK_01_BrowDownLeft", "AK_##_"),
            ("A01_Brow_Inner_Up", "A##_"),
            ("AA_VI_03_E", "AA_VI_##_"),
            ("AU_12_LipCornerPuller", "AU_##_"),
            ("SR_JawOpen", "SR_"),
            ("V_Tongue_Out", "V_"),
            ("Eye_Blink_L", ""),
            ("EYE_BLINK_L", ""),
            ("Fcl_EYE_Close_L", ""),
            ("facs_bs_JawOpen", ""),
            ("blendShape1.eyeBlinkLeft", "blendShape1."),
            ("Mesh|AU_01_Foo", "Mesh|AU_##_"),
            ("L_EyeBlink", ""),
        ],
    )
    def test_feature_set_prefix(self, key, prefix):
        assert set_prefix(key) == prefix


class TestSets:
    def test_feature_numbered_arkit_set_wins_among_175_keys(self):
        keys = numbered_multiset_keys()
        assert len(keys) == 175
        report = rigs.match_shape_keys(ARKIT, keys)
        assert report.summary() == "52/52 matched" and report.sets == ("AK_##_",)
        assert all(report.matched[n] == (f"AK_{i + 1:02d}_{_pascal(n)}",) for i, n in enumerate(ARKIT))
        assert report.left_alone == tuple(f"SR_{_pascal(n)}" for n in ARKIT[:48])  # read as ARKit, set lost
        groups = report.unused_groups()
        assert {p: len(k) for p, k in groups.items()} == {"AA_VI_##_": 15, "AU_##_": 60, "SR_": 48}

    def test_feature_one_to_one_set_wins_a_tie(self):
        """A Character Creator mesh with both its numbered ARKit set and its Extended profile: both cover the 52
        ARKit shapes; the set with one key per shape (A##_) is driven, the Extended keys are left alone.
        """
        cc3 = [k for k, _ in rigs.load_scheme("cc3_arkit").keys]
        cc4 = [k for k, _ in rigs.load_scheme("cc4_extended").keys]
        report = rigs.match_shape_keys(ARKIT, cc4 + cc3)
        assert report.sets == ("A##_",) and sorted(report.keys()) == sorted(cc3)
        assert set(report.unused) == set(cc4)

    def test_feature_listed_vendor_key_beats_a_shorter_reading(self):
        """VRoid's Fcl_ALL_Angry is listed as "angry"; Fcl_BRW_Angry only reads as it after dropping two words."""
        report = rigs.match_shape_keys(rigs.load_names("vrm"), ["Fcl_BRW_Angry", "Fcl_ALL_Angry", "Fcl_MTH_Angry"])
        assert report.matched["angry"] == ("Fcl_ALL_Angry",) and report.schemes == ("vroid",)

    def test_feature_split_vendor_shape_drives_every_key(self):
        report = rigs.match_shape_keys(ARKIT, ["Brow_Raise_Inner_L", "Brow_Raise_Inner_R", "Eye_Blink_L"])
        assert report.matched["browInnerUp"] == ("Brow_Raise_Inner_L", "Brow_Raise_Inner_R")
        assert report.schemes == ("cc4_extended",)  # Eye_Blink_L reads as ARKit without a scheme

    def test_feature_swap_left_right(self):
        assert _read_as(ARKIT, ["A14_Eye_Blink_Left", "A15_Eye_Blink_Right"], swap_left_right=True) == {
            "A15_Eye_Blink_Right": "eyeBlinkLeft",
            "A14_Eye_Blink_Left": "eyeBlinkRight",
        }

    @pytest.mark.parametrize(
        ("left", "right"),
        [("BlinkL", "BlinkR"), ("L_Blink", "R_Blink"), ("blink-l", "blink-r"), ("BLINK_LEFT", "BLINK_RIGHT")],
    )
    def test_feature_swap_left_right_for_every_side_spelling_read(self, left, right):
        """A custom mapping onto a rig's own names (a Daz Genesis 8 ``eCTRLEyesClosedL``): every spelling whose side
        is read also swaps.
        """
        report = rigs.match_shape_keys([left, right], [left, right], swap_left_right=True)
        assert report.matched == {left: (right,), right: (left,)}

    def test_feature_unused_groups_keep_loose_keys(self):
        report = rigs.match_shape_keys(ARKIT, ["jawOpen", "Basis", "Corrective"])
        assert report.unused_groups() == {"": ("Basis", "Corrective")}


class TestSchemes:
    @pytest.mark.parametrize("case", sorted(naming_cases()))
    def test_feature_every_key_of_a_scheme_reads_as_its_name(self, case):
        list_name, pairs = naming_cases()[case]
        assert _read_as(rigs.load_names(list_name), ["Basis", *(k for k, _ in pairs)]) == dict(pairs)

    def test_feature_schemes_agree_with_each_other(self):
        """No spelling means two different shapes in two schemes of one list (the matcher takes the first)."""
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for s in rigs.load_schemes():
            for key, name in s.keys:
                reading = (s.names, rigs.normalize_shape_name(key))
                assert seen.setdefault(reading, (name, s.name))[0] == name, (key, seen[reading], s.name)

    def test_cardinality_shipped_schemes(self):
        assert [s.name for s in rigs.load_schemes()] == [
            "apple_arkit",
            "cc3_arkit",
            "cc4_extended",
            "daz_genesis_facs",
            "vrm0",
            "vroid",
        ]

    def test_exception_unknown_scheme(self):
        with pytest.raises(rigs.RigDataError, match="unknown naming scheme 'nope'; known: apple_arkit"):
            rigs.load_scheme("nope")


class TestFaceBones:
    @pytest.mark.parametrize(
        "bones, expected",
        [
            (  # Rigify generated rig (with its ORG / DEF / MCH copies)
                ["root", "torso", "neck", "head", "ORG-jaw", "DEF-jaw", "jaw_master", "eye.L", "eye.R", "MCH-eye.L"],
                ("head", "neck", "jaw_master", "eye.L", "eye.R"),
            ),
            (  # Rigify human metarig
                ["spine", "spine.004", "spine.005", "spine.006", "jaw", "eye.L", "eye.R"],
                ("spine.006", "spine.004", "jaw", "eye.L", "eye.R"),
            ),
            (  # Character Creator 4
                [
                    "CC_Base_Hip",
                    "CC_Base_NeckTwist01",
                    "CC_Base_Head",
                    "CC_Base_JawRoot",
                    "CC_Base_L_Eye",
                    "CC_Base_R_Eye",
                ],
                ("CC_Base_Head", "CC_Base_NeckTwist01", "CC_Base_JawRoot", "CC_Base_L_Eye", "CC_Base_R_Eye"),
            ),
            (  # Ready Player Me (Mixamo names without a namespace)
                ["Hips", "Spine", "Neck", "Head", "HeadTop_End", "LeftEye", "RightEye"],
                ("Head", "Neck", "", "LeftEye", "RightEye"),
            ),
            (  # VRoid
                ["J_Bip_C_Neck", "J_Bip_C_Head", "J_Adj_L_FaceEye", "J_Adj_R_FaceEye"],
                ("J_Bip_C_Head", "J_Bip_C_Neck", "", "J_Adj_L_FaceEye", "J_Adj_R_FaceEye"),
            ),
            (  # Daz Genesis 8
                ["neckLower", "neckUpper", "head", "lowerJaw", "lEye", "rEye"],
                ("head", "neckUpper", "lowerJaw", "lEye", "rEye"),
            ),
        ],
    )
    def test_feature_rig_families(self, bones, expected):
        found = rigs.find_face_bones(bones)
        assert (found.head, found.neck, found.jaw, found.eye_left, found.eye_right) == expected

    def test_feature_jaw_channels_per_list(self):
        assert rigs.jaw_channels("arkit52") == {
            "open": "jawOpen",
            "left": "jawLeft",
            "right": "jawRight",
            "forward": "jawForward",
        }
        assert rigs.jaw_channels("vrm") == {}


def test_feature_names_read_alike_reach_the_same_key():
    r = rigs.match_shape_keys(["mouthSmileLeft", "mouthSmile_L", "jawOpen"], ["Basis", "mouthSmile_L", "JawOpen"])
    assert r.matched == {
        "mouthSmileLeft": ("mouthSmile_L",),
        "mouthSmile_L": ("mouthSmile_L",),
        "jawOpen": ("JawOpen",),
    }
    assert r.missing == () and r.keys() == ("mouthSmile_L", "JawOpen")
