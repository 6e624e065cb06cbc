"""How the staff and dashboard pages write times, durations and SSNs (also Jinja filters:
``when``, ``waited``, ``masked_ssn``, registered in ``base``). Pure. The public pages say
dates in words instead (``public_words.when``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vitalstat.domain.identity import mask_ssn

__all__ = ["masked_ssn", "today", "waited", "when"]


def today() -> date:
    """Today in UTC, the registry's day."""
    return datetime.now(UTC).date()


def when(at: str | None, *, seconds: bool = False) -> str:
    """An ISO-8601 time as people read it, in UTC: ``2026-12-01 11:04 UTC`` (to the
    second with ``seconds``). Anything that is not a time to the minute is shown as it
    is."""
    if not at or len(at) < 16:
        return at or ""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def waited(since: str, now: datetime | None = None) -> str:
    """How long ago an ISO-8601 time was, in words (``3 days``, ``5 hours``)."""
    try:
        then = datetime.fromisoformat(since)
    except ValueError:
        return ""
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    total = max(0, int(((now or datetime.now(UTC)) - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if total >= size:
            n = total // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "under a minute"


def masked_ssn(ssn: str) -> str:
    """``***-**-6789``: enough to tell records apart in a list, not to identify anyone."""
    return mask_ssn(ssn, hide="*")
