"""Shape-key names of character rigs as their tools export them, for tests that build rigs themselves (no bpy).

- :func:`naming_cases`: per naming scheme, ``(key, canonical name)`` for a whole rig: every scheme file of
  ``rigs/schemes/`` plus the spellings the generic reading covers (PascalCase ARKit, Maya blendShape nodes and DAG
  paths, VRM 1.0 expression names).
- :func:`numbered_multiset_keys`: the issue's 175-key mesh (ARKit numbered and prefixed beside visemes, action
  units and a second set).
- :data:`READY_PLAYER_ME`: a Ready Player Me head as three meshes (ARKit keys plus Oculus visemes).
"""

from __future__ import annotations

from rigs import load_names, load_schemes

ARKIT = load_names("arkit52")
OCULUS_VISEMES = tuple(f"viseme_{v}" for v in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split())


def pascal(name: str) -> str:
    """``eyeBlinkLeft`` -> ``EyeBlinkLeft`` (Live Link Face, CC, Daz spell ARKit this way)."""
    return name[0].upper() + name[1:]


def naming_cases() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Case name -> (canonical list, [(rig key, canonical name), ...])."""
    cases = {
        "arkit_pascal_case": ("arkit52", [(pascal(n), n) for n in ARKIT]),
        "maya_blendshape_node": ("arkit52", [(f"blendShape1.{n}", n) for n in ARKIT]),
        "maya_dag_path": ("arkit52", [(f"Head_GEO|{n}", n) for n in ARKIT]),
        "vrm1_expressions": ("vrm", [(n, n) for n in load_names("vrm")]),
    }
    for scheme in load_schemes():
        cases[scheme.name] = (scheme.names, list(scheme.keys))
    return cases


def numbered_multiset_keys() -> list[str]:
    """175 keys: ``AK_01_BrowDownLeft`` .. ``AK_52_TongueOut`` (ARKit order, PascalCase), 15 visemes ``AA_VI_*``,
    60 action units ``AU_*`` and 48 keys of a second set ``SR_*`` that repeat ARKit names.
    """
    visemes = "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()
    keys = [f"AK_{i + 1:02d}_{pascal(n)}" for i, n in enumerate(ARKIT)]
    keys += [f"AA_VI_{i:02d}_{v}" for i, v in enumerate(visemes)]
    keys += [f"AU_{i + 1:02d}_ActionUnit" for i in range(60)]
    keys += [f"SR_{pascal(n)}" for n in ARKIT[:48]]
    return keys


READY_PLAYER_ME = {
    "Wolf3D_Head": [*ARKIT, *OCULUS_VISEMES, "mouthOpen", "mouthSmile"],
    "Wolf3D_Teeth": ["jawOpen", "jawForward", "jawLeft", "jawRight", "mouthOpen", "tongueOut", *OCULUS_VISEMES],
    "Wolf3D_Tongue": ["jawOpen", "tongueOut", "viseme_aa"],
}
"""A Ready Player Me face: the head, teeth and tongue meshes, each with its own ARKit keys."""
