"""The settings of one take: every stage's configuration in one frozen dataclass, passed explicitly."""

from __future__ import annotations

import dataclasses

from .contract.one_euro import FilterConfig
from .eyes.elam import ElamConfig
from .eyes.eye_state import EyeStateConfig
from .fitting.fit_config import FitConfig
from .landmark_parts import LandmarkPartsConfig
from .landmark_smoothing import DEFAULT_LANDMARK_FILTER
from .orientation import OrientationConfig
from .temporal import StreamFilterConfig

__all__ = ["TrackConfig"]


@dataclasses.dataclass(frozen=True)
class TrackConfig:
    """Everything that decides a take, passed explicitly (the CLI and the add-on build one).

    Attributes:
        backend: landmark backend, one of :data:`engine.landmark_pass.BACKENDS`.
        fit: fitting settings. filter: temporal filter settings (``filter.enabled=False`` for ``--no-filter``).
        eye_state: the appearance eye-state estimator's settings. elam: when ELAM adjusts eyelids.
        use_elam: apply the Eye Landmark Adjustment Module (off only for ablations).
        remove_yaw_drift: take MediaPipe's drift with head yaw out of its points before the fit
            (:mod:`engine.fitting.yaw_drift_removal`; off only for ablations).
        landmark_filter: de-jittering of the fit's landmark targets (:mod:`engine.landmark_smoothing`);
            ``enabled=False`` fits every frame's raw landmarks.
        start, end: the time range to track, seconds (None = from the start / to the end).
        fps: the frame rate of an image sequence (None: :data:`engine.video_source.DEFAULT_IMAGE_FPS`), or of a
            video whose file gives none (a video's own rate is never replaced).
        parts: how pass 1 reads a long clip in concurrent parts (:mod:`engine.landmark_parts`).
    """

    backend: str = "mediapipe"
    fit: FitConfig = FitConfig()
    filter: StreamFilterConfig = StreamFilterConfig()
    eye_state: EyeStateConfig = EyeStateConfig()
    # ELAM acts wherever the image says "closed" but the lids still show a gap (EAR above 0.05, i.e. not shut):
    # MediaPipe's closed-eye lids typically stay 0.05-0.15 apart, which would read as a partial blink.
    elam: ElamConfig = ElamConfig(closed_openness=0.05)
    use_elam: bool = True
    remove_yaw_drift: bool = True
    landmark_filter: FilterConfig = DEFAULT_LANDMARK_FILTER
    orientation: OrientationConfig = OrientationConfig()
    start: float | None = None
    end: float | None = None
    fps: float | None = None
    parts: LandmarkPartsConfig = LandmarkPartsConfig()
