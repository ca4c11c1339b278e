"""FaceWarehouse Mocap: track a face video with the engine, bake FaceWarehouse-46 shape keys, retarget.

A Blender extension (``blender_manifest.toml``; no ``bl_info``). Importing this package does nothing;
``register()`` registers the classes and ``scene.facemocap``. From a repository checkout,
``import blender_addon; blender_addon.register()`` works with the ``bpy`` module (tests, batch). See README.md
for the layers.
"""

from __future__ import annotations

__all__ = ["register", "unregister"]


def _classes():
    from .ui import operators, panels, preferences, properties

    return (*properties.classes, *preferences.classes, *operators.classes, *panels.classes)


_registered: list = []
_atexit_hooked: list = []


def register() -> None:
    """Register every class and ``bpy.types.Scene.facemocap``. Idempotent."""
    import bpy

    from .ui.properties import FACEMOCAP_PG_settings

    if _registered:
        return
    for cls in _classes():
        bpy.utils.register_class(cls)
        _registered.append(cls)
    bpy.types.Scene.facemocap = bpy.props.PointerProperty(type=FACEMOCAP_PG_settings)
    from .ui.operators.track import clear_saved_job_state
    from .ui.properties import settle_saved_mapping
    from .ui.unsaved_takes import keep_unsaved_takes, settle_unsaved_takes

    bpy.app.handlers.load_post.append(clear_saved_job_state)
    bpy.app.handlers.load_post.append(settle_saved_mapping)
    bpy.app.handlers.save_pre.append(keep_unsaved_takes)
    bpy.app.handlers.save_post.append(settle_unsaved_takes)
    if getattr(bpy.app, "module", not bpy.app.binary_path) and not _atexit_hooked:
        # The bpy *module* (not Blender itself) of 4.2 crashes at interpreter exit while classes are still
        # registered, which turns a successful script's exit status into 139. Unregister before that.
        import atexit

        atexit.register(unregister)
        _atexit_hooked.append(True)


def unregister() -> None:
    """Undo :func:`register`; a running tracking job is cancelled and the session's engine stopped first."""
    import bpy

    from .ui.engine_process import stop_engine
    from .ui.operators import track

    job = track._active.pop("job", None)
    if job is not None:
        job.cancel()
        track.clear_running_flags("Tracking stopped: the add-on was disabled; Track again")  # else Bake stays locked
    stop_engine()
    from .ui.properties import settle_saved_mapping

    for handler in (track.clear_saved_job_state, settle_saved_mapping):
        if handler in bpy.app.handlers.load_post:
            bpy.app.handlers.load_post.remove(handler)
    from .ui.unsaved_takes import keep_unsaved_takes, settle_unsaved_takes

    if keep_unsaved_takes in bpy.app.handlers.save_pre:
        bpy.app.handlers.save_pre.remove(keep_unsaved_takes)
    if settle_unsaved_takes in bpy.app.handlers.save_post:
        bpy.app.handlers.save_post.remove(settle_unsaved_takes)
    if hasattr(bpy.types.Scene, "facemocap"):
        del bpy.types.Scene.facemocap
    for cls in reversed(_registered):
        bpy.utils.unregister_class(cls)
    _registered.clear()
    if _atexit_hooked:  # unregistered now (disabled, or removed): nothing is left for the exit to undo
        import atexit

        atexit.unregister(unregister)
        _atexit_hooked.clear()
