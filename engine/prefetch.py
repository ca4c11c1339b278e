"""Run the cheap per-frame work beside the landmark detector: a bounded producer thread and a one-worker pool.

Decoding (OpenCV) and the eye-state crops release the GIL for most of their time, as does MediaPipe's graph, so on
two cores they overlap. Queues are bounded, so no more than a few frames are ever held in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["PREFETCH_FRAMES", "prefetch"]

T = TypeVar("T")
PREFETCH_FRAMES = 4  # frames decoded ahead at most
_DONE = object()


def prefetch(items: Iterable[T], depth: int = PREFETCH_FRAMES) -> Iterator[T]:
    """Yield ``items`` in order while a background thread produces up to ``depth`` of them ahead.

    Exceptions raised while producing are re-raised in the consumer. If the consumer stops early (break, error),
    the producer is told to stop and the source is not read further.

    Example:
        >>> list(prefetch(range(5), depth=2))
        [0, 1, 2, 3, 4]
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as err:  # handed to the consumer
            buffer.put(err)

    worker = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5.0)
