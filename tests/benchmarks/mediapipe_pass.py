"""A bare MediaPipe Face Mesh pass over a clip, as a user would write it: the yardstick of ``bench_startup.py``.

    .venv/bin/python tests/benchmarks/mediapipe_pass.py CLIP.mp4
    .venv/bin/python tests/benchmarks/mediapipe_pass.py CLIP.mp4 --engine-import

Imports mediapipe the usual way (``--engine-import``: as the engine does, without the modules it never uses,
:mod:`engine.landmarks.mediapipe_import`, which isolates the engine's own start from MediaPipe's), creates Face
Mesh (one face, 478 points, tracking mode: what the engine runs), decodes every frame with OpenCV and runs it
through. Prints ``{"frame": 1}`` after the first frame and ``{"done": true, "frames": N}`` at the end (flushed),
so its time to first frame can be read as the engine's is.
"""

import json
import sys
from pathlib import Path

import cv2


def main() -> int:
    if "--engine-import" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from engine.landmarks.mediapipe_import import import_mediapipe

        mp = import_mediapipe()
    else:
        import mediapipe as mp
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True)
    cap = cv2.VideoCapture(sys.argv[1])
    frames = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        mesh.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        frames += 1
        if frames == 1:
            print(json.dumps({"frame": 1}), flush=True)
    mesh.close()
    print(json.dumps({"done": True, "frames": frames}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
