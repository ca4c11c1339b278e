"""Build the engine's face model from ICT-FaceKit's scans: ``python -m engine build-model --ict DIR``.

Reads ICT-FaceKit's Face Model Light (MIT) from ``DIR`` (``../shared/data/ict-facekit``) and writes, into
``engine/data/`` (or ``--output``):

- ``face_model.npz``: the tracking model over MediaPipe Face Mesh's 478 points (:mod:`.model`): ICT's generic
  neutral (inner lip contours closed, :func:`.correspondence.close_inner_lips`), its 100 identity modes and the 46
  FaceWarehouse expressions (:mod:`.expressions_from_ict`), each carried to the landmarks by the correspondence
  learned from renders (:mod:`.correspondence`);
- ``face_head.npz``: the whole ICT head with the 46 expressions, materials and eyes, for the add-on's demo rig
  (:mod:`.demo_head`, :mod:`engine.contract.face_head`);
- ``face_model_report.json``: the correspondence's held-out residuals (pixels, cm), how much of the detector's drift
  with head yaw the measured drift explains (:mod:`.yaw_drift`), and the build's settings;
- ``ICT-FaceKit-LICENSE.txt``: ICT-FaceKit's MIT notice and credits, shipped with every file made from it.

The model frame (:mod:`engine.contract.frames`) puts the origin midway between the eyeball centres, so ICT's
coordinates are shifted by that point; units (cm) and axes are ICT's own. Deterministic for a given package set.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..contract.atomic_write import atomic_write
from ..contract.face_head import HEAD_FILE, save_head
from ..face_model.correspondence import CorrespondenceConfig, build_correspondence, close_inner_lips
from ..face_model.demo_head import head_from_ict
from ..face_model.expressions_from_ict import build_expressions, load_recipes, lower_lip_mask
from ..face_model.eyeballs import EyeballRig
from ..face_model.head_render import RenderSetup, head_albedo, render_head
from ..face_model.ict_facekit import IctFaceKit, load_ict_facekit
from ..face_model.model import DEFAULT_MODEL_PATH, FaceModel, save_face_model
from ..face_model.regions import regions_from_mediapipe
from ..face_model.symmetry import mirror_permutation
from ..face_model.topology import NUM_MESH_VERTICES, mediapipe_connections, triangles_from_edges
from ..fitting.fit_config import FitConfig
from ..fitting.frame_fit import pose_weights
from .yaw_drift import YawDriftConfig, measure_yaw_drift

__all__ = ["LICENSE_FILE", "REPORT_FILE", "build_face_model", "built_files"]

REPORT_FILE = "face_model_report.json"
# ICT's neutral eyes look slightly down for a face at rest: on renders of it the detector puts the iris centre at
# 0.54 of the lids' opening (lower to upper), where on relaxed real faces looking at the camera it reads 0.65 on
# average (the tuning persons d0, d3, d10, d18 of ../shared/data/clips; README "Measured" says which persons are
# held out). Turning ICT's eyeballs up by this much at rest brings the renders to 0.65, so a face looking into the
# camera reads no EyeUp / EyeDown.
REST_GAZE_PITCH_DEG = 5.0
MIDLINE_CM = 0.05  # detected points this close to the frontal neutral's midline are their own mirror
LICENSE_FILE = "ICT-FaceKit-LICENSE.txt"


def recentred(ict: IctFaceKit) -> tuple[IctFaceKit, EyeballRig]:
    """ICT with its origin moved midway between the eyeball centres (the model frame's origin), its eyes at
    :data:`REST_GAZE_PITCH_DEG`, and its eyeball rig.
    """
    rig = EyeballRig.fit(ict, ict.neutral)
    rest_gaze = np.radians([[0.0, REST_GAZE_PITCH_DEG]] * 2)
    neutral = rig.apply_gaze(ict.neutral, rest_gaze) - rig.centers.mean(axis=0)
    ict = dataclasses.replace(ict, neutral=neutral)
    return ict, EyeballRig.fit(ict, ict.neutral)


def _mediapipe_detector() -> Callable[[np.ndarray], np.ndarray | None]:
    from ..landmarks.mediapipe_mesh import MediaPipeConfig, MediaPipeFaceMesh

    mesh = MediaPipeFaceMesh(MediaPipeConfig(static_image_mode=True))

    def detect(image_bgr: np.ndarray) -> np.ndarray | None:
        found = mesh.detect(image_bgr)
        return None if found is None else np.c_[found.points, found.depth].astype(np.float64)

    return detect


def _topology(ict: IctFaceKit, detect):
    """The tracking topology's named contours (upper told from lower) and mirror permutation, from a detection
    of the generic neutral seen from the front (symmetric about the image's vertical midline).
    """
    setup = RenderSetup()
    render = render_head(ict, head_albedo(ict), setup)
    points = detect(render.image_bgr)
    if points is None:
        raise RuntimeError("the landmark detector found no face on the render of ICT's generic neutral")
    cm_per_px = setup.distance_cm / setup.focal_px
    view = np.c_[points[:, 0] - setup.size[0] / 2, -points[:, 1], -points[:, 2]] * cm_per_px
    mirror = mirror_permutation(view, midline_cm=MIDLINE_CM)
    return regions_from_mediapipe(view), mirror


def _license_text(source: Path) -> str:
    parts = []
    for name in ("LICENSE", "CREDITS.md"):
        path = source / name
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8").strip())
    header = (
        "The face model files of this project (engine/data/face_model.npz, engine/data/face_head.npz) are made\n"
        "from ICT-FaceKit's Face Model Light by the USC Institute for Creative Technologies\n"
        "(https://github.com/ICT-VGL/ICT-FaceKit), used under the MIT licence below.\n"
    )
    return "\n\n".join([header, *parts]) + "\n"


def built_files(out_path: str | Path) -> tuple[Path, ...]:
    """Every file :func:`build_face_model` writes for model file ``out_path`` (the model, then beside it)."""
    out_path = Path(out_path)
    return (out_path, *(out_path.parent / name for name in (HEAD_FILE, REPORT_FILE, LICENSE_FILE)))


def build_face_model(
    ict_dir: str | Path,
    out_path: str | Path = DEFAULT_MODEL_PATH,
    cfg: CorrespondenceConfig = CorrespondenceConfig(),
    drift_cfg: YawDriftConfig = YawDriftConfig(),
    *,
    progress: Callable[[int, int], None] | None = None,
) -> FaceModel:
    """Build every face-model file from ICT-FaceKit and write them beside ``out_path``; returns the model.

    ``progress`` is called with (done, total) renders: the correspondence's, then the yaw drift's.
    """
    out_path = Path(out_path)
    ict, rig = recentred(load_ict_facekit(ict_dir))
    detect = _mediapipe_detector()
    drift_renders = drift_cfg.identities * len(drift_cfg.yaws_deg)
    renders = cfg.training_renders + cfg.holdout_renders + drift_renders

    def correspondence_progress(done: int, _total: int) -> None:
        if progress:
            progress(done, renders)

    def drift_progress(done: int, _total: int) -> None:
        if progress:
            progress(renders - drift_renders + done, renders)

    topology_regions, mirror = _topology(ict, detect)
    result = build_correspondence(ict, topology_regions, mirror, detect, cfg, progress=correspondence_progress)
    recipes = load_recipes()
    albedo = head_albedo(ict)
    deltas = build_expressions(ict, rig, recipes, {"lower_lip": lower_lip_mask(ict, albedo.lip)})
    points = result.points
    regions = regions_from_mediapipe(points.evaluate(ict.neutral))
    neutral = close_inner_lips(points.evaluate(ict.neutral), regions)
    identity = points.evaluate(ict.identity_deltas).astype(np.float32)
    expression = points.evaluate(deltas).astype(np.float32)
    edges = mediapipe_connections()["tesselation"]
    model = FaceModel(
        neutral=neutral,
        identity_basis=identity,
        expression_basis=expression,
        expression_names=tuple(r.name for r in recipes),
        triangles=triangles_from_edges(edges, neutral[:NUM_MESH_VERTICES]),
        edges=np.array(sorted(edges), dtype=np.int32),
        mirror=mirror,
        eye_centers=rig.centers.astype(np.float32),
        eye_radius=float(rig.radius.mean()),
        regions=regions,
        identity_stddev=np.ones(len(identity), np.float32),
        landmark_vertices=points.vertices.astype(np.int32),
        landmark_bary=points.bary.astype(np.float32),
        yaw_drift=np.zeros((2, len(neutral), 3), np.float32),
    )
    weights = pose_weights(model, np.arange(model.num_points), FitConfig())
    drift, drift_report = measure_yaw_drift(ict, albedo, points, weights, detect, drift_cfg, progress=drift_progress)
    model = dataclasses.replace(model, yaw_drift=drift)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_path) as tmp:  # a served engine reloads a changed model file: never a half-written one
        save_face_model(tmp, model)
    with atomic_write(out_path.parent / HEAD_FILE) as tmp:
        save_head(tmp, head_from_ict(ict, rig, albedo, deltas, model.expression_names))
    report = {
        "source": "ICT-FaceKit Face Model Light",
        "correspondence_config": dataclasses.asdict(cfg),
        **result.report,
        "yaw_drift_config": dataclasses.asdict(drift_cfg),
        "yaw_drift": drift_report,
    }
    with atomic_write(out_path.parent / REPORT_FILE) as tmp:
        tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    with atomic_write(out_path.parent / LICENSE_FILE) as tmp:
        tmp.write_text(_license_text(ict.source), encoding="utf-8")
    return model
