"""The session's warm engine: one :class:`~..pure.engine_server.EngineService` for the Track button.

Started on the first Track, kept between takes, stopped on unregister, when Blender quits (``atexit``: Blender
finalises Python on quit) and when the engine's location in the preferences changes.
"""

from __future__ import annotations

import atexit

from ..pure.engine_server import EngineService

__all__ = ["engine_service", "stop_engine", "tracking"]

_services: list[EngineService] = []  # at most one per Blender session
_atexit_hooked: list[bool] = []


def engine_service() -> EngineService:
    """The session's engine service (made on first use; its engine process starts with the first take)."""
    if not _services:
        _services.append(EngineService())
        if not _atexit_hooked:
            atexit.register(stop_engine)
            _atexit_hooked.append(True)
    return _services[0]


def stop_engine() -> None:
    """Stop the session's engine process, if any (a take in progress is cancelled). Idempotent."""
    while _services:
        _services.pop().stop()


def tracking() -> bool:
    """True while the session's engine runs a take (any scene's): stopping it now would end that take."""
    return bool(_services) and _services[0].tracking
