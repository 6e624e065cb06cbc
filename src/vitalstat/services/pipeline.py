"""Overlapping a producer and a consumer on two cores (bounded, exceptions propagated)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce the next items on a worker thread while the caller works on this one.

    sqlite3, numpy, Arrow and the ADBC driver release the GIL for their C work, so
    producing (parsing a file, reading the registry) and consuming (writing) overlap on
    two cores. At most ``depth`` items wait, so memory stays bounded. An exception in the
    producer is raised in the consumer.
    """
    done = object()
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(done)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            ready.put(exc)
        finally:  # a producer stopped early releases what it holds (files, connections)
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="vitalstat-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
        worker.join()
