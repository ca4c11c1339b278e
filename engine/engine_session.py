"""What an engine process keeps between takes: the face model and the open landmark backends.

Every command that tracks (``track``, ``batch``, ``serve``) runs its takes through one :class:`EngineSession`:
the face model is loaded once, MediaPipe's graphs start once (:class:`~engine.landmarks.backend_pool.LandmarkBackends`)
and are reset between takes, so ``batch`` and a served engine pay the start-up once, not once per clip. A one-take
``track`` uses a session too, so all three track through the same code.

The model file may be rebuilt while a served engine runs (``python -m engine build-model``): :meth:`model` reloads
it when the file's size or modification time changed.
"""

from __future__ import annotations

import os
from pathlib import Path

from .face_model.model import DEFAULT_MODEL_PATH, FaceModel, load_face_model
from .landmark_parts import LandmarkPartsConfig
from .landmark_pass import make_backend
from .landmarks.backend_pool import LandmarkBackends
from .orientation import orientation_detector

__all__ = ["EngineSession"]


class EngineSession:
    """The warm state of one engine process. Use as a context manager (closes the backends); not thread-safe.

    Attributes:
        backends: the open landmark backends, handed to :func:`engine.track_job.track_to_file`.
    """

    def __init__(self, model_path: str | Path | None = None) -> None:
        self._model_path = Path(model_path) if model_path is not None else DEFAULT_MODEL_PATH
        self._model: FaceModel | None = None
        self._model_stamp: tuple[int, int] | None = None
        self.backends = LandmarkBackends(make_backend, orientation_detector)

    def model(self) -> FaceModel:
        """The face model, loaded on first use and again whenever its file changed on disk.

        Raises:
            MissingModelFile: the model file is absent.
        """
        stamp = None
        try:
            st = os.stat(self._model_path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            pass  # load_face_model says what is missing
        if self._model is None or stamp != self._model_stamp:
            self._model = load_face_model(self._model_path)
            self._model_stamp = stamp
        return self._model

    def warm_up(self, backend: str = "mediapipe", parts: LandmarkPartsConfig = LandmarkPartsConfig()) -> None:
        """Load the model and start the video backend's graphs now, ahead of the first take.

        ``parts``: how takes read a long clip in parts at once; a graph is started for each
        (:mod:`engine.landmark_parts`).

        Raises:
            UserError: the model file or the backend's dependency is missing (a take would fail the same way).
        """
        self.model()
        for slot in range(parts.graphs()):
            self.backends.get(backend, still_images=False, slot=slot)
        self.backends.refresh()  # reset and primed: the first take's first frame starts at once

    def close(self) -> None:
        """Close the landmark backends. Idempotent."""
        self.backends.close()

    def __enter__(self) -> EngineSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
