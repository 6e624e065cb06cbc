"""Subscribers: who receives the file, at which tier, on what papers. Every change evented."""

from __future__ import annotations

import csv
import json
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from vitalstat.domain.policy import Agreement, Entitlement, Standing, Tier, entitlement
from vitalstat.errors import ConflictError, NotFoundError, ValidationError
from vitalstat.store import Store, Tx
from vitalstat.store.repo import utc_now

__all__ = [
    "DeliveredFile",
    "DeliveryView",
    "Subscriber",
    "add_subscriber",
    "deliveries_of",
    "delivery_file",
    "delivery_views",
    "file_in",
    "get_subscriber",
    "list_subscribers",
    "resume_subscriber",
    "suspend_subscriber",
    "update_subscriber",
]


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    name: str
    standing: Standing
    created_at: str = ""
    address: str = ""  # postal address, for the accounting of disclosures

    def entitlement(self, today: date) -> Entitlement:
        return entitlement(self.standing, today)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Subscriber:
        agreement = None
        if row["agreement_id"]:
            agreement = Agreement(row["agreement_id"], date.fromisoformat(row["agreement_start"]),
                                  date.fromisoformat(row["agreement_end"]))
        until = row["certified_until"]
        return cls(int(row["id"]), row["name"], Standing(
            Tier(row["tier"]), certified_until=date.fromisoformat(until) if until else None,
            agreement=agreement, suspended=bool(row["suspended"])), row["created_at"],
            row.get("address") or "")




def _check(name: str, standing: Standing) -> None:
    if not name.strip():
        raise ValidationError("a subscriber needs a name", field="name")
    if (len(name) > 200 or name.startswith(".") or "/" in name or "\\" in name
            or any(unicodedata.category(c)[0] == "C" for c in name)):
        raise ValidationError("a subscriber's name is at most 200 printable characters, "
                              "without / or \\ and not starting with '.' (it names its "
                              "delivery folder)", field="name")
    if standing.tier is Tier.CERTIFIED and standing.certified_until is None:
        raise ValidationError("a certified subscriber needs --certified-until DATE",
                              field="certified_until")
    a = standing.agreement
    if standing.tier is Tier.BENEFITS_AGENCY and a is None:
        raise ValidationError("a benefits-agency subscriber needs --agreement ID with "
                              "--agreement-start and --agreement-end", field="agreement")
    if a is not None and a.end < a.start:
        raise ValidationError("the agreement ends before it starts", field="agreement_end")


def _agreement(agreement_id: str | None, start: date | None, end: date | None
               ) -> Agreement | None:
    if agreement_id is None and start is None and end is None:
        return None
    if not agreement_id or start is None or end is None:
        raise ValidationError("an agreement needs --agreement ID, --agreement-start and "
                              "--agreement-end", field="agreement")
    return Agreement(agreement_id, start, end)


def _values(standing: Standing) -> dict[str, Any]:
    a = standing.agreement
    return {"tier": standing.tier.value,
            "certified_until": standing.certified_until.isoformat()
            if standing.certified_until else None,
            "agreement_id": a.agreement_id if a else None,
            "agreement_start": a.start.isoformat() if a else None,
            "agreement_end": a.end.isoformat() if a else None,
            "suspended": standing.suspended}


def _load(tx: Tx, name: str) -> Subscriber:
    row = tx.subscriber_row(name)
    if row is None:
        raise NotFoundError(f"no subscriber named {name!r}")
    return Subscriber.from_row(row)


def add_subscriber(store: Store, name: str, *, tier: str, actor: str,
                   certified_until: date | None = None, agreement_id: str | None = None,
                   agreement_start: date | None = None, agreement_end: date | None = None,
                   address: str | None = None) -> Subscriber:
    store.check_schema()
    standing = Standing(Tier.parse(tier), certified_until=certified_until,
                        agreement=_agreement(agreement_id, agreement_start, agreement_end))
    name = name.strip()
    _check(name, standing)
    now = utc_now()
    with store.transaction() as tx:
        if tx.subscriber_row(name) is not None:
            raise ConflictError(f"a subscriber named {name!r} exists: use `vitalstat "
                                "subscriber update`")
        values = _values(standing)
        extra = {"address": address.strip()} if address and address.strip() else {}
        sid = tx.insert_subscriber({"name": name, **values, **extra, "created_at": now,
                                    "updated_at": now})
        tx.append_event(actor=actor, kind="subscriber.added", subject=f"subscriber:{name}",
                        detail={**values, **extra}, at=now)
    return Subscriber(sid, name, standing, now, extra.get("address", ""))


def update_subscriber(store: Store, name: str, *, actor: str, tier: str | None = None,
                      certified_until: date | None = None, agreement_id: str | None = None,
                      agreement_start: date | None = None, agreement_end: date | None = None,
                      address: str | None = None) -> Subscriber:
    """Change a subscriber's tier, papers or address (only the given parts change)."""
    store.check_schema()
    with store.transaction() as tx:
        current = _load(tx, name)
        if address is not None and address.strip() != current.address:
            now = utc_now()
            tx.update_subscriber(current.id, {"address": address.strip(), "updated_at": now})
            tx.append_event(actor=actor, kind="subscriber.address-changed",
                            subject=f"subscriber:{current.name}",
                            detail={"before": current.address, "after": address.strip()},
                            at=now)
            current = replace(current, address=address.strip())
        s = current.standing
        agreement = s.agreement
        if agreement_id is not None or agreement_start is not None or agreement_end is not None:
            agreement = _agreement(
                agreement_id or (agreement.agreement_id if agreement else None),
                agreement_start or (agreement.start if agreement else None),
                agreement_end or (agreement.end if agreement else None))
        standing = replace(s, tier=Tier.parse(tier) if tier else s.tier,
                           certified_until=certified_until or s.certified_until,
                           agreement=agreement)
        _check(current.name, standing)
        return _save(tx, current, standing, actor, "subscriber.updated")


def _save(tx: Tx, current: Subscriber, standing: Standing, actor: str, kind: str
          ) -> Subscriber:
    now = utc_now()
    values = _values(standing)
    tx.update_subscriber(current.id, {**values, "updated_at": now})
    tx.append_event(actor=actor, kind=kind, subject=f"subscriber:{current.name}",
                    detail={"before": _values(current.standing), "after": values}, at=now)
    return replace(current, standing=standing)


def suspend_subscriber(store: Store, name: str, *, actor: str) -> Subscriber:
    """Stop all deliveries and exports to the subscriber until it is resumed."""
    store.check_schema()
    with store.transaction() as tx:
        current = _load(tx, name)
        if current.standing.suspended:
            return current
        return _save(tx, current, replace(current.standing, suspended=True), actor,
                     "subscriber.suspended")


def resume_subscriber(store: Store, name: str, *, actor: str) -> Subscriber:
    store.check_schema()
    with store.transaction() as tx:
        current = _load(tx, name)
        if not current.standing.suspended:
            return current
        return _save(tx, current, replace(current.standing, suspended=False), actor,
                     "subscriber.resumed")


def get_subscriber(store: Store, name: str) -> Subscriber:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return _load(tx, name)


def list_subscribers(store: Store) -> list[Subscriber]:
    store.check_schema()
    with store.transaction(write=False) as tx:
        return [Subscriber.from_row(r) for r in tx.subscriber_rows()]


def deliveries_of(store: Store, name: str) -> list[dict[str, Any]]:
    """The subscriber's deliveries (id, release, kind, tier, when, by, record count)."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        sub = _load(tx, name)
        return tx.delivery_rows(sub.id)


def delivery_file(store: Store, delivery_id: int, file_name: str, *,
                  only_for: str | None = None) -> tuple[str, Path]:
    """(subscriber name, path) of one file of a delivery: a name its directory holds.
    ``only_for`` (a subscriber token's subscriber): another's delivery is as if absent."""
    store.check_schema()
    with store.transaction(write=False) as tx:
        row = tx.delivery_row(delivery_id)
        sub = tx.subscriber_by_id(row["subscriber_id"]) if row is not None else None
    if (row is None or sub is None or not row["path"]
            or (only_for is not None and sub["name"] != only_for)):
        raise NotFoundError(f"no delivery {delivery_id}")
    return str(sub["name"]), file_in(Path(row["path"]), file_name)


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    name: str
    bytes: int
    records: int


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery as its subscriber sees it: the ledger row, the files its signed
    manifest lists, and the correction notices it carried (``corrections.csv``: a person
    listed in error, to delete from every copy)."""

    id: int
    release_id: int
    kind: str
    tier: str
    delivered_at: str
    record_count: int
    delta: dict[str, int] | None
    notes: list[str]
    files: list[DeliveredFile]
    notices: list[dict[str, str]]


def _view(row: dict[str, Any]) -> DeliveryView:
    manifest: dict[str, Any] = {}
    files: list[DeliveredFile] = []
    notices: list[dict[str, str]] = []
    folder = Path(row["path"]) if row["path"] else None  # empty: a delivery never finished
    if folder is not None and (folder / "manifest.json").is_file():
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = [DeliveredFile(f["name"], int(f["bytes"]), int(f["records"]))
                 for f in manifest.get("files", [])]
        files += [DeliveredFile(n, (folder / n).stat().st_size, 0)
                  for n in ("manifest.json", "manifest.json.minisig") if (folder / n).is_file()]
    if folder is not None and (folder / "corrections.csv").is_file():
        with (folder / "corrections.csv").open(encoding="utf-8", newline="") as fh:
            notices = list(csv.DictReader(fh))
    return DeliveryView(row["id"], row["release_id"], row["kind"], row["tier"],
                        row["delivered_at"], row["record_count"], manifest.get("delta"),
                        list(manifest.get("notes", [])), files, notices)


def delivery_views(store: Store, name: str) -> list[DeliveryView]:
    """The subscriber's deliveries, newest first, with their files and notices."""
    return [_view(r) for r in reversed(deliveries_of(store, name))]


def file_in(directory: Path, file_name: str) -> Path:
    """``directory/file_name`` when that is a plain file directly inside it."""
    names = {p.name for p in directory.iterdir() if p.is_file()} if directory.is_dir() else set()
    if file_name not in names:
        raise NotFoundError(f"no file {file_name!r} here (files: {', '.join(sorted(names))})")
    return directory / file_name
