"""Tests of the iBUG-68 <-> MediaPipe correspondence (engine/landmarks/ibug68.py + mediapipe_to_ibug68.toml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.landmarks import ibug68
from engine.landmarks.ibug68 import (
    IBUG68_NAMES,
    MEDIAPIPE_TO_IBUG68_PATH,
    Ibug68MappingError,
    load_ibug68_correspondence,
    mediapipe_to_ibug68,
    mediapipe_to_ibug68_indices,
)


def _toml(entries: dict[int, object], schema: int = 1) -> str:
    return f"schema = {schema}\n[ibug_to_mediapipe]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items())


def _shipped() -> dict[int, int]:
    return {i: int(v) for i, v in enumerate(mediapipe_to_ibug68_indices())}


def test_api_surface() -> None:
    assert set(ibug68.__all__) == {
        "IBUG68_NAMES", "MEDIAPIPE_TO_IBUG68_PATH", "NUM_IBUG68_POINTS", "Ibug68MappingError",
        "load_ibug68_correspondence", "mediapipe_to_ibug68", "mediapipe_to_ibug68_indices",
    }  # fmt: skip


class TestNames:
    def test_cardinality(self) -> None:
        assert len(IBUG68_NAMES) == 68 and len(set(IBUG68_NAMES)) == 68

    def test_feature_standard_ordering(self) -> None:
        # Region boundaries of the iBUG-300W markup (0-based).
        assert IBUG68_NAMES[0] == "jaw_00" and IBUG68_NAMES[8] == "jaw_08" and IBUG68_NAMES[16] == "jaw_16"
        assert (IBUG68_NAMES[17], IBUG68_NAMES[21]) == ("brow_right_outer", "brow_right_inner")
        assert (IBUG68_NAMES[22], IBUG68_NAMES[26]) == ("brow_left_inner", "brow_left_outer")
        assert (IBUG68_NAMES[27], IBUG68_NAMES[30], IBUG68_NAMES[33]) == ("nose_bridge_top", "nose_tip", "subnasale")
        assert (IBUG68_NAMES[36], IBUG68_NAMES[39]) == ("eye_right_outer", "eye_right_inner")
        assert (IBUG68_NAMES[42], IBUG68_NAMES[45]) == ("eye_left_inner", "eye_left_outer")
        assert (IBUG68_NAMES[48], IBUG68_NAMES[54]) == ("mouth_right_outer", "mouth_left_outer")
        assert (IBUG68_NAMES[60], IBUG68_NAMES[64]) == ("mouth_right_inner", "mouth_left_inner")


class TestIndices:
    def test_smoke(self) -> None:
        idx = mediapipe_to_ibug68_indices()
        assert idx.shape == (68,) and idx.dtype == np.int64

    def test_cardinality_unique_in_range(self) -> None:
        idx = mediapipe_to_ibug68_indices()
        assert len(set(idx.tolist())) == 68 and idx.min() >= 0 and idx.max() < 468

    def test_feature_known_vertices(self) -> None:
        # Anchors documented in MediaPipe's topology (../reference/mediapipe_topology.md): eye corners 33/133 and
        # 263/362, mouth corners 61/291 (outer) and 78/308 (inner), lip midlines 0/17 and 13/14, chin 152.
        idx = mediapipe_to_ibug68_indices()
        expected = {8: 152, 36: 33, 39: 133, 42: 362, 45: 263, 48: 61, 51: 0, 54: 291, 57: 17,
                    60: 78, 62: 13, 64: 308, 66: 14}  # fmt: skip
        assert {k: int(idx[k]) for k in expected} == expected

    def test_feature_vertices_in_mediapipe_regions(self) -> None:
        mp = pytest.importorskip("mediapipe")
        conn = mp.solutions.face_mesh_connections

        def verts(edges: frozenset) -> set[int]:
            return {v for e in edges for v in e}

        idx = mediapipe_to_ibug68_indices()
        assert set(idx[0:17].tolist()) <= verts(conn.FACEMESH_FACE_OVAL)
        assert set(idx[17:22].tolist()) <= verts(conn.FACEMESH_RIGHT_EYEBROW)
        assert set(idx[22:27].tolist()) <= verts(conn.FACEMESH_LEFT_EYEBROW)
        assert set(idx[36:42].tolist()) <= verts(conn.FACEMESH_RIGHT_EYE)
        assert set(idx[42:48].tolist()) <= verts(conn.FACEMESH_LEFT_EYE)
        assert set(idx[48:68].tolist()) <= verts(conn.FACEMESH_LIPS)

    def test_returns_copy(self) -> None:
        idx = mediapipe_to_ibug68_indices()
        idx[0] = -1
        assert mediapipe_to_ibug68_indices()[0] != -1

    def test_shipped_file_has_one_commented_line_per_point(self) -> None:
        lines = [ln for ln in MEDIAPIPE_TO_IBUG68_PATH.read_text().splitlines() if ln[:1].isdigit()]
        assert len(lines) == 68
        assert all("#" in ln and ln.split("#", 1)[1].strip() for ln in lines)


class TestLoadCorrespondence:
    def test_smoke_roundtrip(self, tmp_path: Path) -> None:
        path = tmp_path / "m.toml"
        path.write_text(_toml(_shipped()))
        np.testing.assert_array_equal(load_ibug68_correspondence(path), mediapipe_to_ibug68_indices())

    @pytest.mark.parametrize(
        ("edit", "match"),
        [
            (lambda d: d.pop(67), "missing \\[67\\]"),
            (lambda d: d.__setitem__(68, 5), "unexpected \\['68'\\]"),
            (lambda d: d.__setitem__(3, 468), "iBUG point 3 maps to 468"),
            (lambda d: d.__setitem__(3, -1), "iBUG point 3 maps to -1"),
            (lambda d: d.__setitem__(3, '"58"'), "iBUG point 3 maps to '58'"),
            (lambda d: d.__setitem__(3, 152), "more than one iBUG point: \\[152\\]"),
        ],
    )
    def test_exception(self, tmp_path: Path, edit, match: str) -> None:
        entries = _shipped()
        edit(entries)
        path = tmp_path / "bad.toml"
        path.write_text(_toml(entries))
        with pytest.raises(Ibug68MappingError, match=match):
            load_ibug68_correspondence(path)

    def test_exception_schema_missing_and_syntax(self, tmp_path: Path) -> None:
        (tmp_path / "s.toml").write_text(_toml(_shipped(), schema=2))
        with pytest.raises(Ibug68MappingError, match="schema"):
            load_ibug68_correspondence(tmp_path / "s.toml")
        with pytest.raises(Ibug68MappingError, match="not found"):
            load_ibug68_correspondence(tmp_path / "nope.toml")
        (tmp_path / "x.toml").write_text("schema = = 1")
        with pytest.raises(Ibug68MappingError, match="not valid TOML"):
            load_ibug68_correspondence(tmp_path / "x.toml")
        (tmp_path / "t.toml").write_text("schema = 1\n")
        with pytest.raises(Ibug68MappingError, match="missing table"):
            load_ibug68_correspondence(tmp_path / "t.toml")


class TestMediapipeToIbug68:
    @pytest.mark.parametrize("shape", [(478, 2), (468, 3), (5, 478, 3), (2, 3, 468, 2)])
    def test_cardinality(self, shape: tuple[int, ...]) -> None:
        out = mediapipe_to_ibug68(np.zeros(shape, np.float32))
        assert out.shape == (*shape[:-2], 68, shape[-1]) and out.dtype == np.float32

    @pytest.mark.parametrize("shape", [(478,), (477, 2), (478, 4), (68, 2), ()])
    def test_exception(self, shape: tuple[int, ...]) -> None:
        with pytest.raises(ValueError, match="MediaPipe landmarks"):
            mediapipe_to_ibug68(np.zeros(shape))

    def test_feature_picks_rows(self) -> None:
        pts = np.random.default_rng(0).normal(size=(4, 478, 3))
        out = mediapipe_to_ibug68(pts)
        idx = mediapipe_to_ibug68_indices()
        np.testing.assert_array_equal(out, pts[:, idx])
        np.testing.assert_array_equal(mediapipe_to_ibug68(pts[:, :468]), out)  # iris rows are ignored

    def test_returns_copy(self) -> None:
        pts = np.zeros((478, 2))
        mediapipe_to_ibug68(pts)[:] = 1.0
        assert not pts.any()


# ----------------------------------------------------------------------------------------------------------------
# Real MediaPipe on a real face.


@pytest.fixture(scope="module")
def astronaut_ibug68() -> tuple[np.ndarray, np.ndarray]:
    """((68, 2) iBUG points, (478, 2) MediaPipe points) in pixels, from MediaPipe Face Mesh on skimage's astronaut
    (an unmirrored, near-frontal portrait).
    """
    mp = pytest.importorskip("mediapipe")
    skimage_data = pytest.importorskip("skimage.data")
    rgb = skimage_data.astronaut()
    h, w = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as fm:
        res = fm.process(rgb)
    assert res.multi_face_landmarks, "MediaPipe found no face in the astronaut image"
    pts = np.array([[p.x * w, p.y * h] for p in res.multi_face_landmarks[0].landmark], np.float32)
    assert pts.shape == (478, 2)
    return mediapipe_to_ibug68(pts), pts


class TestOnRealFace:
    def test_convention_subject_right_is_image_left(self, astronaut_ibug68) -> None:
        p, _ = astronaut_ibug68
        assert p[36, 0] < p[39, 0] < p[42, 0] < p[45, 0]  # eye corners, image left -> right
        assert p[0, 0] < p[8, 0] < p[16, 0]  # jaw
        assert p[17, 0] < p[21, 0] < p[22, 0] < p[26, 0]  # brows
        assert p[31, 0] < p[33, 0] < p[35, 0]  # nostrils
        assert p[48, 0] < p[51, 0] < p[54, 0] and p[60, 0] < p[62, 0] < p[64, 0]  # mouth

    def test_feature_vertical_order(self, astronaut_ibug68) -> None:
        p, _ = astronaut_ibug68
        y = p[:, 1]
        brows, eyes = y[17:27].mean(), y[36:48].mean()
        assert brows < eyes < y[30] < y[33] < y[51] < y[62] < y[66] < y[57] < y[8]
        assert y[27] < y[28] < y[29] < y[30]  # nose bridge runs down to the tip
        assert y[37] < y[41] and y[38] < y[40] and y[43] < y[47] and y[44] < y[46]  # upper lid above lower
        assert y[:8].tolist() == sorted(y[:8].tolist()) and y[16:8:-1].tolist() == sorted(y[16:8:-1].tolist())

    def test_feature_jaw_on_face_outline(self, astronaut_ibug68) -> None:
        p, mp_pts = astronaut_ibug68
        mp = pytest.importorskip("mediapipe")
        import cv2

        oval = sorted({v for e in mp.solutions.face_mesh_connections.FACEMESH_FACE_OVAL for v in e})
        hull = cv2.convexHull(mp_pts[oval].astype(np.float32))
        face_width = float(np.linalg.norm(p[16] - p[0]))
        # Each jaw point lies on (within 2 % of the face width of) the convex outline of the face oval ...
        for i in range(17):
            dist = cv2.pointPolygonTest(hull, (float(p[i, 0]), float(p[i, 1])), True)
            assert abs(dist) < 0.02 * face_width, (i, dist)
        # ... and every inner point (brows, nose, eyes, mouth) lies well inside it.
        for i in range(17, 68):
            assert cv2.pointPolygonTest(hull, (float(p[i, 0]), float(p[i, 1])), True) > 0.05 * face_width, i

    def test_feature_symmetry(self, astronaut_ibug68) -> None:
        # Mirror pairs sit at about the same height on a near-upright face (roll of the astronaut is small).
        p, _ = astronaut_ibug68
        pairs = [(0, 16), (4, 12), (17, 26), (19, 24), (36, 45), (39, 42), (31, 35), (48, 54)]
        scale = float(np.linalg.norm(p[45] - p[36]))
        for a, b in pairs:
            assert abs(p[a, 1] - p[b, 1]) < 0.15 * scale, (a, b)
