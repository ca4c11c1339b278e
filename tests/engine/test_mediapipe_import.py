"""The engine's MediaPipe import: Face Mesh without the drawing helpers (matplotlib) and the Tasks API at start.

Each case runs in a fresh interpreter: whether a module is imported is process state.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from engine.landmarks.mediapipe_import import DEFERRED_MODULES

REPO = Path(__file__).resolve().parents[2]


def _run(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


@pytest.mark.slow
def test_feature_face_mesh_without_matplotlib_or_tasks():
    out = _run(
        "import sys\n"
        "from engine.landmarks.mediapipe_import import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "mesh = mp.solutions.face_mesh.FaceMesh(max_num_faces=1, refine_landmarks=True); mesh.close()\n"
        "det = mp.solutions.face_detection.FaceDetection(model_selection=1); det.close()\n"
        "print('matplotlib' in sys.modules, 'mediapipe.tasks.python.vision' in sys.modules)\n"
    )
    assert out.splitlines()[-1] == "False False"


@pytest.mark.slow
def test_feature_deferred_modules_load_on_first_use():
    out = _run(
        "import sys\n"
        "from engine.landmarks.mediapipe_import import import_mediapipe\n"
        "mp = import_mediapipe()\n"
        "spec = mp.solutions.drawing_utils.DrawingSpec(thickness=2)\n"  # first attribute access executes it
        "print(spec.thickness, 'matplotlib' in sys.modules, mp.tasks.vision.FaceLandmarker.__name__)\n"
    )
    assert out.splitlines()[-1] == "2 True FaceLandmarker"


@pytest.mark.slow
def test_convention_an_imported_mediapipe_is_returned_as_is():
    out = _run(
        "import mediapipe, sys\n"
        "from engine.landmarks.mediapipe_import import import_mediapipe\n"
        "print(import_mediapipe() is mediapipe, 'matplotlib' in sys.modules)\n"
    )
    assert out.splitlines()[-1] == "True True"


def test_convention_deferred_modules_exist_in_the_pinned_mediapipe():
    """A MediaPipe upgrade that moves one of them must fail here, not silently import it eagerly again."""
    pytest.importorskip("mediapipe")
    for name in sorted(DEFERRED_MODULES):
        assert importlib.util.find_spec(name) is not None, f"{name} is not in this mediapipe"
    assert "mediapipe.python.solutions.face_mesh" not in DEFERRED_MODULES


@pytest.mark.slow
def test_feature_two_threads_importing_at_once_both_get_the_whole_package():
    """The parts of a clip start their graphs in their own threads: neither may see a half-imported package."""
    out = _run(
        "import threading\n"
        "from engine.landmarks.mediapipe_import import import_mediapipe\n"
        "start, found = threading.Barrier(2), []\n"
        "def run():\n"
        "    start.wait()\n"
        "    found.append(hasattr(import_mediapipe().solutions, 'face_mesh'))\n"
        "threads = [threading.Thread(target=run) for _ in range(2)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(found)\n"
    )
    assert out.splitlines()[-1] == "[True, True]"
