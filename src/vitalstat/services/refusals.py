"""Refused attempts leave a trace: the refusal is written to the event log and re-raised.

The refused change itself rolls back with its transaction, so the event is written in a
transaction of its own. Used wherever an attempt could put a death on the file without
evidence (an unregistered, unknown or anonymous source) or skip the two-person rule
(approving one's own proposal).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from vitalstat.errors import RefusedError, VitalstatError
from vitalstat.store import Store

__all__ = ["REFUSED_EVENT", "audited_refusals"]

#: The event kind of every refused attempt; its detail names the attempt and the code.
REFUSED_EVENT = "attempt.refused"


@contextmanager
def audited_refusals(store: Store, *, actor: str, attempt: str, subject: str,
                     detail: dict[str, Any] | None = None,
                     also: tuple[type[VitalstatError], ...] = ()) -> Iterator[None]:
    """Run the block; a :class:`RefusedError` (or one of ``also``) raised in it is written
    as an ``attempt.refused`` event (``attempt``, ``code``, ``reason``) and re-raised."""
    try:
        yield
    except (RefusedError, *also) as exc:
        with store.transaction() as tx:
            tx.append_event(actor=actor, kind=REFUSED_EVENT, subject=subject,
                            detail={**(detail or {}), "attempt": attempt, "code": exc.code,
                                    "reason": str(exc)})
        raise
