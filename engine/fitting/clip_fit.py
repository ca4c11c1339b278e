"""Fit the face model to a clip's landmarks: identity once, then head pose and 46 expression weights per frame.

Method (the papers in ../shared/seeds, as they apply to fitting):

1. Head pose per frame: weighted similarity alignment (:func:`~.similarity.align_similarity`) of the model's
   rigid points (forehead, temples, nose bridge; :attr:`FaceRegions.rigid`) to the detector's 3D points.
   Jaw, lips, lids and brows carry almost no weight, so expression does not leak into pose (cycle consistency,
   Yang et al. 2023: a re-posed face must refit to the same expression; see tests/engine/test_cycle_consistency.py).
2. Expression per frame: bounded least squares, weights in [0, 1], with an L2 prior
   (:func:`~.box_qp.solve_box_qp`), on the cost of :mod:`.normal_equations`. Eye and mouth landmarks weigh
   1.5, the rest 1.0, and the Local Dynamic Loss adds the upper-minus-lower distance of every eyelid and lip
   pair as extra terms ("Eye Motion Matters for 3D Face Reconstruction"), so lids and lips close precisely.
3. Identity once per clip (unless given): alternating pose / expression / identity on keyframes spread over
   the clip, with a unit Gaussian prior on the identity coefficients.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..face_model.blendshapes import author_expression_basis
from ..face_model.model import FaceModel
from ..face_model.regions import IRIS_POINTS
from ..face_model.topology import NUM_MESH_VERTICES
from .box_qp import solve_box_qp
from .normal_equations import gram_blocks, hessians, weighted_rhs
from .similarity import align_similarity

__all__ = [
    "ClipFit",
    "FitConfig",
    "fit_clip",
    "fit_frames",
    "actor_model",
    "expression_baseline",
    "fit_identity",
    "fit_landmark_bias",
]


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Fitting settings (defaults documented with their reasons).

    Attributes:
        depth_weight: weight of the detector's relative depth against image x, y. At 1 the cost is isotropic,
            so the fit is exactly equivariant to head rotation: a re-posed face refits to the same expression
            (cycle consistency). Lower values trust a coarse depth less, at the price of that equivariance.
        use_depth: False for 2D-only detectors: the depth of each point is then completed from the fitted model
            at every pose iteration (weak perspective), starting from the frontal neutral's depth.
        eye_mouth_weight: landmark weight of eye, iris and lip points (paper: 1.5).
        other_weight: landmark weight of the other points (paper: 1.0).
        outline_weight: landmark weight of the face-outline points, which slide along the silhouette.
        local_dynamic_weight: weight of each eyelid / lip pair-distance term (Local Dynamic Loss).
        expression_prior: L2 penalty per unit weight squared, in the data term's units (cm^2 x landmark weight).
        expression_sparsity: L1 penalty per unit weight (weights are >= 0, so a linear term): prefers few
            active shapes, each meaning what its name says, over cancelling combinations.
        prior_scale: per-channel multipliers of both expression priors. The blinks are measured directly by
            the eyelid pairs (and corrected by ELAM), so they are barely regularised: closed eyes close fully.
        open_eye_blink_prior_scale: the blinks' prior multiplier on frames whose image says the eye is open
            (P(closed) = 0); it falls linearly to the ``prior_scale`` value at P(closed) = 1, so a narrowing
            eye the image still sees open reads as squint rather than as a half blink.
        identity_prior: penalty per identity coefficient squared, in units of its prior standard deviation
            (the model's ``identity_stddev``). Paid once per clip, while expression pays per keyframe, so a
            constant offset from the generic face goes to identity.
        identity_keyframes: frames used to estimate identity.
        identity_iterations: pose / expression / identity alternations.
        identity_expression_prior_scale: multiplier of the expression priors while identity is estimated.
        bias_iterations: re-estimations of the detector's landmark bias (:func:`fit_landmark_bias`).
        baseline_calm_share: share of the clip's calmest frames whose median is the actor's rest
            (:func:`expression_baseline`).
        baseline_keyframes: frames spread over the clip used to find the rest levels.
        baseline_min_frames: clips shorter than this (and stills) get no landmark bias and no rest estimate: their
            weights are measured from the identity's neutral.
        pose_iterations: pose / expression alternations per frame (a final pose update always follows).
        rigid_weight: pose weight of the rigid points; ``nonrigid_pose_weight`` for the rest.
        chunk_frames: frames fitted together (bounds memory for long clips).
        focal_px_per_width: assumed focal length as a multiple of the image width (~50 deg horizontal FOV).
    """

    depth_weight: float = 1.0
    use_depth: bool = True
    eye_mouth_weight: float = 1.5
    other_weight: float = 1.0
    outline_weight: float = 0.3
    local_dynamic_weight: float = 4.0
    expression_prior: float = 0.3
    expression_sparsity: float = 1.0
    prior_scale: tuple[tuple[str, float], ...] = (("EyeBlink_L", 0.1), ("EyeBlink_R", 0.1))
    open_eye_blink_prior_scale: float = 3.0
    identity_prior: float = 3.0
    identity_keyframes: int = 24
    identity_iterations: int = 4
    identity_expression_prior_scale: float = 1.0
    bias_iterations: int = 3
    baseline_calm_share: float = 0.1
    baseline_keyframes: int = 64
    baseline_min_frames: int = 30
    pose_iterations: int = 1
    rigid_weight: float = 1.0
    nonrigid_pose_weight: float = 0.02
    chunk_frames: int = 256
    focal_px_per_width: float = 1.1


@dataclasses.dataclass(frozen=True)
class ClipFit:
    """The fitted parameters of a clip (T frames; invalid frames hold zeros / identity rotation).

    Attributes:
        identity: ``(K,)`` float32.
        landmark_bias: ``(P, 3)`` float32 the detector's per-point offsets for this actor, cm.
        actor: the face model made for this actor (:func:`actor_model`): neutral and expression shapes.
        expression: ``(T, 46)`` float32 in [0, 1].
        scale: ``(T,)`` float64 VIEW pixels per cm. rotation: ``(T, 3, 3)`` model to VIEW.
        translation: ``(T, 3)`` float64 VIEW pixels.
        valid: ``(T,)`` bool, frames with a face.
    """

    identity: np.ndarray
    landmark_bias: np.ndarray
    actor: FaceModel
    expression: np.ndarray
    scale: np.ndarray
    rotation: np.ndarray
    translation: np.ndarray
    valid: np.ndarray


@dataclasses.dataclass(frozen=True)
class _Rows:
    """The cost's rows: plain points (b = -1) and Local-Dynamic-Loss pairs (a minus b)."""

    model_a: np.ndarray
    model_b: np.ndarray
    obs_a: np.ndarray
    obs_b: np.ndarray
    weight: np.ndarray

    def of_model(self, per_point: np.ndarray) -> np.ndarray:
        """``(P, ...)`` per-model-point quantity -> ``(R, ...)`` row values."""
        has_b = (self.model_b >= 0).reshape((-1,) + (1,) * (per_point.ndim - 1))
        return per_point[self.model_a] - per_point[np.maximum(self.model_b, 0)] * has_b

    def of_observed(self, obs: np.ndarray) -> np.ndarray:
        """``(T, J, 3)`` observations -> ``(T, R, 3)``."""
        a = obs[:, self.obs_a]
        b = obs[:, np.maximum(self.obs_b, 0)] * (self.obs_b >= 0)[None, :, None]
        return a - b


def _rows(model: FaceModel, point_ids: np.ndarray, cfg: FitConfig) -> _Rows:
    r = model.regions
    emphasized = set(np.r_[IRIS_POINTS["left"], IRIS_POINTS["right"]].tolist())
    for side in ("left", "right"):
        emphasized |= set(r.eye_upper[side].tolist()) | set(r.eye_lower[side].tolist())
    emphasized |= set(np.r_[r.lip_upper_outer, r.lip_lower_outer, r.lip_upper_inner, r.lip_lower_inner].tolist())
    emphasized |= {61, 291, 78, 308, 33, 133, 263, 362}  # mouth and eye corners
    outline = set(r.face_oval.tolist())  # silhouette points slide along the face's outline as the head turns
    obs_of_model = {int(m): j for j, m in enumerate(point_ids) if m >= 0}
    model_a, model_b, obs_a, obs_b, weight = [], [], [], [], []
    for m, j in obs_of_model.items():
        model_a.append(m), model_b.append(-1), obs_a.append(j), obs_b.append(-1)
        weight.append(
            cfg.eye_mouth_weight if m in emphasized else cfg.outline_weight if m in outline else cfg.other_weight
        )
    pairs = [(r.eye_upper[s], r.eye_lower[s]) for s in ("left", "right")]
    pairs += [(r.lip_upper_inner, r.lip_lower_inner), (r.lip_upper_outer, r.lip_lower_outer)]
    for upper, lower in pairs:
        for u, lo in zip(upper.tolist(), lower.tolist(), strict=False):
            if u in obs_of_model and lo in obs_of_model:
                model_a.append(u), model_b.append(lo), obs_a.append(obs_of_model[u]), obs_b.append(obs_of_model[lo])
                weight.append(cfg.local_dynamic_weight)
    as_int = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return _Rows(as_int(model_a), as_int(model_b), as_int(obs_a), as_int(obs_b), np.asarray(weight, np.float64))


def _pose_weights(model: FaceModel, point_ids: np.ndarray, cfg: FitConfig) -> np.ndarray:
    rigid = np.isin(point_ids, model.regions.rigid)
    return np.where(rigid, cfg.rigid_weight, cfg.nonrigid_pose_weight) * (point_ids >= 0)


def _to_model_frame(view: np.ndarray, scale: np.ndarray, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """``(T, J, 3)`` VIEW points -> model frame cm, through the inverse similarity."""
    return np.einsum("tik,tji->tjk", rotation, view - translation[:, None]) / scale[:, None, None]


def _solve_expression(
    model, rows, expr_rows, blocks, base_rows, view_obs, scale, rotation, translation, cfg, x0=None, eye_closed=None
):
    """Expression weights ``(T, 46)`` for frames with known pose.

    ``expr_rows`` is ``rows.of_model`` of the expression basis, ``(R, 3, 46)``, computed once by the caller;
    ``eye_closed`` is ``(T, 2)`` P(closed) or None.
    """
    y = rows.of_observed(_to_model_frame(view_obs, scale, rotation, translation))  # (T, R, 3)
    view_dirs = rotation[:, 2, :]  # q = R' e_z: the camera's depth axis in the model frame
    prior = np.broadcast_to(_prior_scale(model, cfg), (len(y), len(model.expression_names))).copy()
    if eye_closed is not None:  # the image's eye state sets how cheap a blink is, frame by frame
        blinks = [model.expression_names.index(n) for n in ("EyeBlink_L", "EyeBlink_R")]
        p = np.clip(eye_closed, 0.0, 1.0)
        prior[:, blinks] = cfg.open_eye_blink_prior_scale + p * (prior[:, blinks] - cfg.open_eye_blink_prior_scale)
    h = hessians(blocks, view_dirs, cfg.depth_weight) + cfg.expression_prior * prior[:, :, None] * np.eye(
        prior.shape[1]
    )
    g = weighted_rhs(y - base_rows[None], expr_rows, rows.weight, view_dirs, cfg.depth_weight)
    return solve_box_qp(h, g - cfg.expression_sparsity * prior, 0.0, 1.0, x0)


def _prior_scale(model: FaceModel, cfg: FitConfig) -> np.ndarray:
    """``(46,)`` per-channel multipliers of the expression priors (1 unless ``cfg.prior_scale`` names it)."""
    scale = np.ones(len(model.expression_names))
    for name, factor in cfg.prior_scale:
        scale[model.expression_names.index(name)] = factor
    return scale


def fit_frames(
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    model: FaceModel,
    base: np.ndarray,
    cfg: FitConfig,
    eye_closed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pose and expression of frames with a known actor neutral.

    Args:
        view_obs: ``(T, J, 3)`` VIEW-frame observations (all finite).
        point_ids: ``(J,)`` model point of each observation (-1: unused).
        base: ``(P, 3)`` the actor's neutral as the detector sees it (:meth:`ActorNeutral.points`).
        eye_closed: ``(T, 2)`` [left, right] image-based P(eye closed), or None: where the image says "open"
            a blink costs the full prior, where it says "closed" the blinks' reduced one (``cfg.prior_scale``).

    Returns:
        ``(expression (T, 46), scale (T,), rotation (T, 3, 3), translation (T, 3))``.
    """
    rows = _rows(model, point_ids, cfg)
    base_rows = rows.of_model(base)
    expr_rows = rows.of_model(model.expression_basis.transpose(1, 2, 0))
    blocks = gram_blocks(expr_rows, rows.weight)
    pose_w = _pose_weights(model, point_ids, cfg)
    used = point_ids >= 0
    t = len(view_obs)
    out = [np.zeros((t, 46)), np.zeros(t), np.zeros((t, 3, 3)), np.zeros((t, 3))]
    for start in range(0, t, cfg.chunk_frames):
        sl = slice(start, start + cfg.chunk_frames)
        obs = view_obs[sl].astype(np.float64)  # chunk-wise float64: the clip itself may be float32
        obs = obs if cfg.use_depth else _frontal_depth(obs, point_ids, base)
        w = np.zeros((len(obs), model.expression_basis.shape[0]))
        for _ in range(cfg.pose_iterations if cfg.use_depth else cfg.pose_iterations + 4):
            src = base[None] + np.tensordot(w, model.expression_basis, 1)  # (t, P, 3)
            s, r, tr = align_similarity(src[:, point_ids[used]], obs[:, used], pose_w[used])
            if not cfg.use_depth:  # complete the unobserved depth from the model under the current pose
                model_view = s[:, None, None] * np.einsum("tij,tpj->tpi", r, src[:, point_ids[used]]) + tr[:, None]
                obs = obs.copy()
                obs[:, used, 2] = model_view[..., 2]
            closed = None if eye_closed is None else eye_closed[sl]
            w = _solve_expression(model, rows, expr_rows, blocks, base_rows, obs, s, r, tr, cfg, w, closed)
        # Final pose with the fitted expression (cheap; the weights barely move the rigid points).
        src = base[None] + np.tensordot(w, model.expression_basis, 1)
        s, r, tr = align_similarity(src[:, point_ids[used]], obs[:, used], pose_w[used])
        for arr, val in zip(out, (w, s, r, tr), strict=False):
            arr[sl] = val
    return out[0], out[1], out[2], out[3]


def _frontal_depth(view_obs: np.ndarray, point_ids: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A first guess of unobserved depth: the neutral's, frontal, at the 2D scale of each frame."""
    used = point_ids >= 0
    xy = view_obs[:, used, :2]
    model_xy = base[point_ids[used], :2]
    spread = np.linalg.norm(xy - xy.mean(axis=1, keepdims=True), axis=2).mean(axis=1)
    scale = spread / np.linalg.norm(model_xy - model_xy.mean(axis=0), axis=1).mean()
    out = view_obs.copy()
    out[:, used, 2] = scale[:, None] * base[point_ids[used], 2][None]
    return out


def fit_identity(view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, cfg: FitConfig) -> np.ndarray:
    """``(K,)`` float32 identity from ``(F, J, 3)`` keyframe observations (VIEW frame).

    Identity and the keyframes' expressions are solved jointly (identity free, expressions in [0, 1]) by an
    active-set scheme: the expressions' box QPs fix which weights sit at a bound, then identity and all free
    weights are solved together exactly (Schur complement over the block-diagonal expression part). Unlike plain
    alternation, identity and expression do not trade off slowly against each other.
    """
    rows = _rows(model, point_ids, cfg)
    id_rows = rows.of_model(model.identity_basis.transpose(1, 2, 0))  # (R, 3, K)
    expr_rows = rows.of_model(model.expression_basis.transpose(1, 2, 0))  # (R, 3, E)
    joint_rows = np.concatenate([id_rows, expr_rows], axis=2)  # (R, 3, K + E)
    blocks = gram_blocks(joint_rows, rows.weight)
    k, e, f = id_rows.shape[2], expr_rows.shape[2], len(view_obs)
    identity = np.zeros(k)
    w = np.zeros((f, e))
    pose_w = _pose_weights(model, point_ids, cfg)
    used = point_ids >= 0
    eye_e = np.eye(e)
    id_prior = np.diag(cfg.identity_prior / model.identity_stddev.astype(np.float64) ** 2)
    # While the actor's face is estimated, every channel pays its full prior (no per-frame discounts such as the
    # blinks'), times cfg.identity_expression_prior_scale: the rest face, not a held expression, explains the
    # keyframes' common shape (eye opening, brow height, mouth corners).
    scale = np.full(len(model.expression_names), cfg.identity_expression_prior_scale)
    for _ in range(cfg.identity_iterations):
        src = model.points(identity)[None] + np.tensordot(w, model.expression_basis, 1)
        s, r, tr = align_similarity(src[:, point_ids[used]], view_obs[:, used], pose_w[used])
        y = rows.of_observed(_to_model_frame(view_obs, s, r, tr)) - rows.of_model(model.neutral)[None]
        view_dirs = r[:, 2, :]
        h = hessians(blocks, view_dirs, cfg.depth_weight)  # (F, K+E, K+E)
        g = weighted_rhs(y, joint_rows, rows.weight, view_dirs, cfg.depth_weight)  # (F, K+E)
        h_aa, h_aw, h_ww = h[:, :k, :k].sum(axis=0), h[:, :k, k:], h[:, k:, k:] + np.diag(cfg.expression_prior * scale)
        g_a, g_w = g[:, :k].sum(axis=0), g[:, k:]
        for _ in range(2):
            w = solve_box_qp(
                h_ww, g_w - cfg.expression_sparsity * scale - np.einsum("fka,k->fa", h_aw, identity), 0.0, 1.0, w
            )
            free = (w > 0.0) & (w < 1.0)
            both = free[:, :, None] & free[:, None, :]
            d = np.where(both, h_ww, 0.0) + eye_e * ~free[:, :, None]  # free block, identity on bound rows
            c = h_aw * free[:, None, :]  # (F, K, E) coupling to free weights only
            rhs_w = (
                g_w - cfg.expression_sparsity * scale - np.einsum("fab,fb->fa", h_ww, w * ~free)
            ) * free  # bound weights moved to the rhs
            d_inv_c = np.linalg.solve(d, c.transpose(0, 2, 1))  # (F, E, K)
            d_inv_r = np.linalg.solve(d, rhs_w[..., None])[..., 0]  # (F, E)
            schur = h_aa + id_prior - np.einsum("fke,fej->kj", c, d_inv_c)
            rhs_a = g_a - np.einsum("fke,fe->k", h_aw, w * ~free) - np.einsum("fke,fe->k", c, d_inv_r)
            identity = np.linalg.solve(schur, rhs_a)
            w = np.where(free, np.clip(d_inv_r - np.einsum("fek,k->fe", d_inv_c, identity), 0.0, 1.0), w)
    return identity.astype(np.float32)


def fit_landmark_bias(
    view_obs: np.ndarray, point_ids: np.ndarray, model: FaceModel, identity: np.ndarray, cfg: FitConfig
) -> np.ndarray:
    """``(P, 3)`` float32 the detector's systematic landmark offsets for this actor, model frame, cm.

    A landmark detector places its points on a face with actor-specific offsets (points slide along the skin)
    that neither the smooth identity space nor any expression explains; left in, the fitter bends expressions
    into cancelling combinations to approximate them. Starting from zero, the bias is re-estimated as the mean of
    what pose, identity and expression leave unexplained over the keyframes, so it takes exactly the part outside
    the expressions' reach and leaves expressions measured from the identity's neutral.
    """
    base = model.points(identity).astype(np.float64)
    bias = np.zeros_like(base)
    used = point_ids >= 0
    for _ in range(cfg.bias_iterations):
        w, s, r, tr = fit_frames(view_obs, point_ids, model, base + bias, cfg)
        y = _to_model_frame(view_obs, s, r, tr)[:, used]  # (F, J', 3)
        fitted = base[point_ids[used]][None] + np.tensordot(w, model.expression_basis[:, point_ids[used]], 1)
        bias[point_ids[used]] = np.mean(y - fitted, axis=0)
    return bias.astype(np.float32)


def actor_model(model: FaceModel, neutral: np.ndarray) -> FaceModel:
    """The model made for one actor: their neutral, and the 46 shapes authored again on it.

    Authoring the shapes on the actor's own rest face (:func:`~engine.face_model.blendshapes.author_expression_basis`)
    makes weight 1 mean the full expression for THIS face: EyeBlink closes exactly this actor's resting eye
    opening, however narrow or wide, instead of the generic neutral's.

    Args:
        neutral: ``(P, 3)`` the actor's rest face as the detector sees it, model frame, cm.
    """
    basis = author_expression_basis(neutral, model.regions, model.mirror, model.expression_names, NUM_MESH_VERTICES)
    return dataclasses.replace(model, neutral=np.asarray(neutral, np.float32), expression_basis=basis)


def expression_baseline(expression: np.ndarray, cfg: FitConfig) -> np.ndarray:
    """``(46,)`` the actor's resting expression in a clip, relative to the identity's neutral.

    An actor whose rest face differs from the identity's neutral within the expressions' reach (narrower eyes,
    lower brows, a mouth that rests differently) reads constant weights in those channels. The rest is the
    median weight vector of the clip's calmest frames: the ``cfg.baseline_calm_share`` of frames with the smallest
    total weight (video only: a still has no calm frames to compare with).

    Args:
        expression: ``(F, 46)`` weights of frames spread over the clip.
    """
    total = expression.sum(axis=1)
    count = max(3, int(round(cfg.baseline_calm_share * len(expression))))
    calm = np.argsort(total)[:count]
    return np.median(expression[calm], axis=0)


def _keyframes(valid: np.ndarray, count: int) -> np.ndarray:
    idx = np.flatnonzero(valid)
    if len(idx) <= count:
        return idx
    return idx[np.round(np.linspace(0, len(idx) - 1, count)).astype(int)]


def fit_clip(
    view_obs: np.ndarray,
    point_ids: np.ndarray,
    model: FaceModel,
    cfg: FitConfig = FitConfig(),
    *,
    identity: np.ndarray | None = None,
    landmark_bias: np.ndarray | None = None,
    eye_closed: np.ndarray | None = None,
) -> ClipFit:
    """Fit a whole clip.

    Args:
        view_obs: ``(T, J, 3)`` VIEW-frame observations; frames without a face are NaN.
        point_ids: ``(J,)`` int model point of each observation (-1: unused).
        model: the face model.
        cfg: fitting settings.
        identity: ``(K,)`` a known actor identity (``--identity``), or None to estimate it from this clip.
        landmark_bias: ``(P, 3)`` the detector's known offsets for this actor (saved with a take), or None.
        eye_closed: ``(T, 2)`` image-based P(eye closed) per frame (:mod:`engine.eyes.eye_state`), or None.

    Returns:
        The :class:`ClipFit`.
    """
    t = len(view_obs)
    valid = np.isfinite(view_obs).all(axis=2)[:, point_ids >= 0].all(axis=1)
    keyframes = view_obs[_keyframes(valid, cfg.identity_keyframes)]
    if identity is None:
        identity = fit_identity(keyframes, point_ids, model, cfg)
    elif identity.shape != (model.num_identity,):
        raise ValueError(f"identity must have {model.num_identity} coefficients, got {identity.shape}")
    if landmark_bias is None and valid.sum() < cfg.baseline_min_frames:
        # A still or a very short clip: no statistics to tell the detector's bias or the actor's rest from the
        # expression itself, so expressions are measured from the identity's neutral.
        landmark_bias = np.zeros((model.num_points, 3), np.float32)
    elif landmark_bias is None:
        landmark_bias = fit_landmark_bias(keyframes, point_ids, model, identity, cfg)
        rest_frames = view_obs[_keyframes(valid, cfg.baseline_keyframes)]
        w, *_ = fit_frames(rest_frames, point_ids, model, model.points(identity) + landmark_bias, cfg)
        rest = expression_baseline(w, cfg)
        landmark_bias = (landmark_bias + np.tensordot(rest, model.expression_basis, 1)).astype(np.float32)
    base = model.points(identity) + landmark_bias
    actor = actor_model(model, base)
    expression = np.zeros((t, len(model.expression_names)), np.float32)
    scale, rotation, translation = np.ones(t), np.tile(np.eye(3), (t, 1, 1)), np.zeros((t, 3))
    if valid.any():
        closed = None if eye_closed is None else eye_closed[valid]
        frames = view_obs if valid.all() else view_obs[valid]  # no copy of the whole clip in the common case
        w, s, r, tr = fit_frames(frames, point_ids, actor, base, cfg, closed)
        expression[valid], scale[valid], rotation[valid], translation[valid] = w, s, r, tr
    return ClipFit(identity.astype(np.float32), landmark_bias, actor, expression, scale, rotation, translation, valid)
