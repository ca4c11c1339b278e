"""Track a video with the engine in a subprocess; a modal timer shows progress; Esc cancels.

The engine is the session's warm one (:mod:`..engine_process`, ``python -m engine serve``), so a second take
starts at once. The state machine is :class:`engine_server.ServedTrackJob` (RUNNING -> DONE / FAILED /
CANCELLED); this operator only polls it on TIMER events, mirrors progress into ``scene.facemocap`` (panel
progress bar) and the status bar, and on DONE stores the take and bakes it. The UI stays responsive: every other
event passes through. Esc cancels this take only; the engine stays up for the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path

import bpy

from ..._contract import errors, takes_record
from ...blender.bake import scene_fps
from ...pure import bridge, engine_server
from .. import idnames, properties
from ..engine_process import engine_service
from ..preferences import engine_location
from ..unsaved_takes import takes_folder, temporary_takes_folder
from .calibration import fill_channel_gains
from .common import EXPECTED_ERRORS, call_operator, reports_errors

__all__ = ["FACEMOCAP_OT_track", "classes", "track_request"]

TIMER_INTERVAL_S = 0.1
BACKGROUND_POLL_S = 0.05  # blender -b has no event loop: the operator waits for the job, sleeping between polls

_active: dict[str, engine_server.ServedTrackJob] = {}  # at most one tracking job per Blender session


def _span(request: bridge.TrackRequest) -> takes_record.Span | None:
    """The part of the clip a request tracks (the panel's Range), or None for the whole clip."""
    return None if request.start is None and request.end is None else (request.start, request.end)


def _enter_take(take_file: Path, request: bridge.TrackRequest) -> None:
    """Record in the takes folder that ``take_file`` is tracked from the request's clip and part (best effort)."""
    record = takes_record.TakesRecord.read(take_file.parent)
    record.enter_written_take(take_file.name, Path(request.source), _span(request))


class NoSourceError(errors.UserError):
    """The panel names nothing to track."""


def track_request(s, python: str, root: str) -> bridge.TrackRequest:
    """The engine request for the panel's source (raises NoSourceError if no source is set)."""
    if s.source_type == "VIDEO":
        source = bpy.path.abspath(s.video_path)
    elif s.source_type == "IMAGES":
        source = bpy.path.abspath(s.image_dir)
    else:
        raise NoSourceError("the source is an existing take: nothing to track (use Bake)")
    if not source:
        raise NoSourceError("pick a video or an image folder to track")
    request = bridge.TrackRequest(
        python=python,
        root=root,
        source=source,
        output="",
        start=s.range_start if s.use_range else None,
        end=s.range_end if s.use_range else None,
        identity=bpy.path.abspath(s.identity_path) or None,
        neutral=_neutral(s),
        fps=scene_fps(s.id_data) if s.source_type == "IMAGES" else None,  # images play at the scene's rate
    )
    folder = takes_folder(s)  # never another clip's take, nor another part's of this clip
    name = takes_record.TakesRecord.read(folder).take_name_for(Path(source), _span(request))
    return dataclasses.replace(request, output=str(folder / name))


def _neutral(s) -> float | str | None:
    """The panel's neutral choice as the engine's ``--neutral`` value (raises NoSourceError if a photo is missing)."""
    if s.neutral_source == "TIME":
        return float(s.neutral_time)
    if s.neutral_source == "PHOTO":
        photo = bpy.path.abspath(s.neutral_photo)
        if not photo:
            raise NoSourceError("pick the neutral photo, or set Neutral to Automatic")
        return photo
    return None


# The engine's messages name its command-line options; in the panel they read as the fields that set them.
_PANEL_FIELDS = (("--identity", "Identity From"), ("--neutral", "Neutral"))


def in_panel_words(message: str) -> str:
    """An engine message as the panel shows it: a leading option name becomes the panel field that sets it.

    >>> in_panel_words("--neutral: no face found in the neutral frame (photo a.jpg)")
    'Neutral: no face found in the neutral frame (photo a.jpg)'
    >>> in_panel_words("--neutral 99 s is outside the tracked frames (0.00-2.00 s)")
    'Neutral 99 s is outside the tracked frames (0.00-2.00 s)'
    """
    for option, field in _PANEL_FIELDS:
        if message.startswith(option) and message[len(option) : len(option) + 1] in (":", " "):
            return field + message[len(option) :]
    return message


def _waiting_status(job: engine_server.ServedTrackJob) -> str:
    return "Opening the video..." if job.engine_warm else "Starting the engine..."


def _redraw(context) -> None:
    screen = context.screen
    if screen is None:
        return
    for area in screen.areas:
        if area.type == "VIEW_3D":
            area.tag_redraw()


@bpy.app.handlers.persistent
def clear_saved_job_state(_file=None) -> None:
    """After a file loads: a track saved as running (Ctrl+S during a track) is not running in this session; its
    progress bar and the Bake button's lock must not come back with the file. Registered as a ``load_post``
    handler by the add-on's ``register``.
    """
    if _active:  # this session's own track goes on (its operator ends it if the file change ends it)
        return
    for scene in bpy.data.scenes:
        s = scene.facemocap
        take = _finished_take(s) if s.job_running else None
        if take is not None:  # the track finished after the save: its take is in the takes folder's record
            s.take_path = str(take)
            s.job_running, s.job_progress = False, 1.0
            s.job_status = f"The file was saved while a track ran; it finished: {take.name}"
    clear_running_flags("The file was saved while a track ran: track again")


def _finished_take(s) -> Path | None:
    """The take a track of the panel's source and Range wrote into its takes folder (by the folder's record), or
    None.
    """
    source = bpy.path.abspath(s.video_path if s.source_type == "VIDEO" else s.image_dir)
    if s.source_type == "TAKE" or not source:
        return None
    folder = takes_folder(s)
    span = (s.range_start, s.range_end) if s.use_range else None
    record = takes_record.TakesRecord.read(folder)
    for name in record.takes:
        if record.take_is_of(name, Path(source)) and record.take_is_part(name, span) and (folder / name).is_file():
            return folder / name
    return None


def clear_running_flags(status: str) -> None:
    """Every scene marked as tracking is not any more (its status says why): the Bake button unlocks."""
    for scene in bpy.data.scenes:
        s = scene.facemocap
        if s.job_running:
            s.job_running, s.job_progress, s.job_status = False, 0.0, status


class FACEMOCAP_OT_track(bpy.types.Operator):
    """Track the face in the video with the engine (runs beside Blender; Esc cancels)."""

    bl_idname = idnames.OP_TRACK
    bl_label = "Track"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        s = properties.settings_of(context)
        return s.source_type != "TAKE" and not _active

    def _scene(self, context) -> bpy.types.Scene | None:
        """The scene the track was started in (the artist may switch or rename scenes while it runs); None once it
        was deleted (another scene's settings and rig are never its).
        """
        scene = getattr(self, "_started_in", None)
        if scene is None:
            return context.scene
        try:
            return scene if scene.name is not None else None
        except ReferenceError:  # the scene was deleted
            return None

    @reports_errors
    def execute(self, context):
        self._started_in = context.scene
        s = properties.settings_of(context)
        s.job_status = ""  # a failure below is reported now, not under an earlier run's status
        python, root = engine_location(context)
        job = engine_service().start_tracking(track_request(s, python, root))
        _active["job"] = job
        if job.notice:
            self.report({"WARNING"}, job.notice)
        s.job_running, s.job_progress, s.job_status = True, 0.0, _waiting_status(job)
        if bpy.app.background:
            while job.poll() is bridge.JobState.RUNNING:
                time.sleep(BACKGROUND_POLL_S)
            return self._finish(context, job)
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_INTERVAL_S, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = _active.get("job")
        if job is None:  # ended elsewhere (the add-on disabled): the timer and status bar go too
            self._unlock(context)
            return {"CANCELLED"}
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
            return self._finish(context, job)
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        try:
            state = job.poll()
        except BaseException:  # a bug: Track and Bake must not stay locked behind it, nor the engine on the take
            _active.pop("job", None)
            self._unlock(context)
            with contextlib.suppress(Exception):  # the error being raised is the one to see
                job.cancel()
            raise
        if state is bridge.JobState.RUNNING:
            if job.stalled:
                status = f"No word from the engine for {job.silent_s:.0f} s (it may be stuck) - Esc stops it"
            elif job.total and job.frame >= job.total:
                status = f"Fitting the face to {job.total} frames - Esc to cancel"
            elif job.total:
                status = f"Tracking frame {job.frame}/{job.total} ({job.fps:.0f} fps) - Esc to cancel"
            else:
                status = f"{_waiting_status(job)} (Esc to cancel)"
            scene = self._scene(context)
            if scene is not None:
                scene.facemocap.job_progress, scene.facemocap.job_status = job.progress, status
            if context.workspace is not None:
                context.workspace.status_text_set(status)
            _redraw(context)
            return {"PASS_THROUGH"}
        return self._finish(context, job)

    def _unlock(self, context) -> None:
        """The timer, the status bar and the started scene's running flag, put back."""
        if getattr(self, "_timer", None) is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        scene = self._scene(context)
        if scene is not None:
            scene.facemocap.job_running = False
        _redraw(context)

    def cancel(self, context):
        """Blender is ending the operator (file closed, quit): end the engine too."""
        job = _active.get("job")
        if job is not None:
            job.cancel()
            self._finish(context, job)

    def _finish(self, context, job: engine_server.ServedTrackJob):
        _active.pop("job", None)
        self._unlock(context)
        scene = self._scene(context)
        if scene is None:  # deleted while tracking: its take is kept, nothing else is touched
            if job.state is bridge.JobState.FAILED:
                self.report({"ERROR"}, f"Tracking failed: {in_panel_words(job.message)}")
            if job.state is bridge.JobState.DONE:
                _enter_take(Path(job.output), job.request)
                self.report(
                    {"WARNING"}, f"Tracked {Path(job.output).name}; the scene it was for was deleted: not baked"
                )
            return {"CANCELLED"}
        s = scene.facemocap
        if job.state is bridge.JobState.CANCELLED:
            s.job_status = "Tracking cancelled; nothing was baked"
            s.job_progress = 0.0
            self.report({"WARNING"}, s.job_status)
            return {"CANCELLED"}
        if job.state is bridge.JobState.FAILED:
            s.job_status = f"Tracking failed: {in_panel_words(job.message)}"
            s.job_progress = 0.0
            self.report({"ERROR"}, s.job_status)
            return {"CANCELLED"}
        s.job_progress = 1.0
        s.take_path = job.output  # absolute: a Save As elsewhere keeps it (properties.take_file); first: a new
        s.job_status = f"Tracked {job.frame} frames -> {Path(job.output).name}"  # take clears the status
        if Path(job.output).parent == temporary_takes_folder():
            s.job_status += " (in a temporary folder until the .blend is saved: saving moves it to the takes folder)"
        _enter_take(Path(job.output), job.request)
        from ...pure.takes import open_take

        try:
            opened = open_take(job.output)
        except EXPECTED_ERRORS as err:  # the modal path is not wrapped by reports_errors
            self.report({"ERROR"}, f"the engine wrote {Path(job.output).name}, but it does not open: {err}")
            return {"CANCELLED"}
        if not s.channel_gains:
            fill_channel_gains(s, opened.take.channel_names)
        # What the engine wants the artist to know (a video that ended early, a turned face): the CLI prints these.
        notices = [str(n) for n in opened.take.meta.get("notices", [])]
        if notices:
            s.job_status += f"; {len(notices)} notice{'s' if len(notices) > 1 else ''}: " + "; ".join(notices)
        self.report({"WARNING"} if notices else {"INFO"}, s.job_status)
        if s.bake_after_track and not (properties.target_meshes(s) or s.head_target):
            s.job_status += "; not baked: no target (the mesh or head is gone)"
            self.report({"WARNING"}, f"Tracked, but not baked: {scene.name} has no target mesh or head any more")
        elif s.bake_after_track:
            try:
                with context.temp_override(scene=scene):  # the started scene's targets, whichever is shown now
                    call_operator(idnames.OP_BAKE)
            except RuntimeError as err:  # the bake reported its own error (a rig whose keys match nothing, ...)
                reason = str(err).strip().splitlines()[-1].removeprefix("Error: ").strip()
                s.job_status += f"; not baked: {reason}"
                self.report({"ERROR"}, f"Tracked, but not baked: {reason}")
        return {"FINISHED"}


classes = (FACEMOCAP_OT_track,)
