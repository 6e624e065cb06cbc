"""Release, subscriber and delivery commands: ``vitalstat release ...``, ``vitalstat
subscriber ...`` and ``vitalstat deliver``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import default_actor, embargo_rule, keys_dir, releases_dir
from vitalstat.domain.identity import parse_day
from vitalstat.services import keys as signing
from vitalstat.services.distribution import deliver as deliver_to
from vitalstat.services.distribution import export_release
from vitalstat.services.releases import build_release, list_releases, verify_release
from vitalstat.services.subscribers import (
    Subscriber,
    add_subscriber,
    list_subscribers,
    resume_subscriber,
    suspend_subscriber,
    update_subscriber,
)

__all__ = ["release_app", "subscriber_app"]

release_app = typer.Typer(help="Build, verify, list and export signed releases; manage the "
                          "signing key.", no_args_is_help=True)
subscriber_app = typer.Typer(help="Subscribers: who receives the file, at which tier.",
                             no_args_is_help=True)
app.add_typer(release_app, name="release")
app.add_typer(subscriber_app, name="subscriber")

KeysOption = Annotated[str | None, typer.Option(
    "--keys", help="Signing key directory (env VITALSTAT_KEYS; default ./keys)")]
ReleasesOption = Annotated[str | None, typer.Option(
    "--releases", help="Release directory (env VITALSTAT_RELEASES; default ./releases)")]
TierOption = Annotated[str, typer.Option(
    "--tier", help="open, certified or benefits-agency")]
CertifiedOption = Annotated[str | None, typer.Option(
    "--certified-until", help="Last day of the current certification (YYYY-MM-DD)")]
AgreementOption = Annotated[str | None, typer.Option(
    "--agreement", help="Matching agreement id (benefits-agency tier)")]
AgreementStartOption = Annotated[str | None, typer.Option(
    "--agreement-start", help="First day the agreement is in force (YYYY-MM-DD)")]
AgreementEndOption = Annotated[str | None, typer.Option(
    "--agreement-end", help="Last day the agreement is in force (YYYY-MM-DD)")]


@release_app.command("build")
def build(releases: ReleasesOption = None, keys: KeysOption = None, db: DbOption = None,
          actor: ActorOption = None) -> None:
    """Build the next release of every published record; prints its id and directory."""
    with errors():
        result = build_release(open_store(db), actor=default_actor(actor),
                               releases=releases_dir(releases), keys=keys_dir(keys))
        r = result.release
        if not result.built:
            out.print(f"nothing changed since release {r.id}: no new release ({r.path})")
            return
        delta = (f"; delta: {r.adds} added, {r.changes} changed, {r.deletes} withdrawn"
                 if r.previous_id is not None else "")
        out.print(f"release {r.id} {r.path}")
        out.print(f"{r.record_count} records{delta}; signed with key {r.key_id}")


@release_app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="A release (or delivery) directory")],
    key: Annotated[Path | None, typer.Option(
        "--key", help="Trust only this minisign public key file")] = None,
    keys: KeysOption = None,
) -> None:
    """Check the manifest's signature and every file's size, record count and SHA-256."""
    with errors():
        report = verify_release(directory, keys=keys_dir(keys), public_key=key)
        for f in report.files:
            out.print(f"ok  {f.name}  {f.bytes} bytes  {f.records} records  {f.sha256}")
        out.print(f"verified: signature by key {report.key_id} and {len(report.files)} files")


@release_app.command("list")
def list_(db: DbOption = None) -> None:
    """Every release: id, time, records, delta counts, directory."""
    with errors():
        releases = list_releases(open_store(db))
        if not releases:
            out.print("no releases yet (vitalstat release build)")
        for r in releases:  # one plain line each: directories are long, keep them whole
            out.print(f"release {r.id}  built {r.built_at[:19]}  {r.record_count} records  "
                      f"+{r.adds} ~{r.changes} -{r.deletes}  key {r.key_id}  {r.path}",
                      highlight=False)


@release_app.command("export")
def export(
    release: Annotated[int, typer.Option("--release", help="Release id")],
    tier: TierOption,
    fmt: Annotated[str, typer.Option("--format", help="dmf, csv or parquet")],
    out_path: Annotated[Path, typer.Option("--out", help="File to write")],
    since: Annotated[int | None, typer.Option(
        "--since", help="Only the changes since this earlier release (A/C/D)")] = None,
    subscriber: Annotated[str | None, typer.Option(
        "--subscriber", help="Recipient (needed above open tier; logged in the ledger)")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Write an ad-hoc tier file from a release, filtered by the tier rules today."""
    with errors():
        r = export_release(open_store(db), release_id=release, tier=tier, fmt=fmt,
                           out=out_path, since=since, subscriber=subscriber,
                           actor=default_actor(actor), rule=embargo_rule())
        for note in r.notes:
            out.print(f"note: {note}")
        what = (f"changes since release {r.since_id} ({r.counts['adds']} added, "
                f"{r.counts['changes']} changed, {r.counts['deletes']} deleted)"
                if r.since_id is not None else "full file")
        out.print(f"wrote {r.records} records to {r.path}: release {r.release_id}, "
                  f"{r.tier.value} tier, {what}")


@release_app.command("keygen")
def keygen(keys: KeysOption = None, db: DbOption = None, actor: ActorOption = None) -> None:
    """Create the release signing key (Ed25519); prints the public key file to share."""
    with errors():
        info = signing.generate_key(open_store(db), keys_dir(keys), actor=default_actor(actor))
        out.print(f"signing key {info.key_id}; public key: {info.public_file}")


@release_app.command("rotate-key")
def rotate_key(keys: KeysOption = None, db: DbOption = None, actor: ActorOption = None) -> None:
    """Replace the signing key; the old public key is kept so old releases still verify."""
    with errors():
        old, new = signing.rotate_key(open_store(db), keys_dir(keys), actor=default_actor(actor))
        out.print(f"retired key {old.key_id} ({old.public_file}); "
                  f"new key {new.key_id}: {new.public_file}")


AddressOption = Annotated[str | None, typer.Option(
    "--address", help="Postal address (named in the accounting of disclosures)")]


def _describe(sub: Subscriber) -> str:
    s = sub.standing
    parts = [s.tier.value]
    if s.certified_until:
        parts.append(f"certified until {s.certified_until.isoformat()}")
    if s.agreement:
        a = s.agreement
        parts.append(f"agreement {a.agreement_id} {a.start.isoformat()}..{a.end.isoformat()}")
    if s.suspended:
        parts.append("SUSPENDED")
    if sub.address:
        parts.append(f"address: {sub.address}")
    return ", ".join(parts)


def _papers(certified_until: str | None, agreement: str | None, start: str | None,
            end: str | None) -> dict[str, Any]:
    """The certification and agreement options, parsed (add and update share them)."""
    return {"certified_until": parse_day(certified_until, "certified_until"),
            "agreement_id": agreement,
            "agreement_start": parse_day(start, "agreement_start"),
            "agreement_end": parse_day(end, "agreement_end")}


@subscriber_app.command("add")
def subscriber_add(
    name: Annotated[str, typer.Argument(help="Subscriber name")],
    tier: TierOption,
    certified_until: CertifiedOption = None,
    agreement: AgreementOption = None,
    agreement_start: AgreementStartOption = None,
    agreement_end: AgreementEndOption = None,
    address: AddressOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Add a subscriber at a tier (certified needs a date; benefits-agency an agreement)."""
    with errors():
        sub = add_subscriber(
            open_store(db), name, tier=tier, actor=default_actor(actor), address=address,
            **_papers(certified_until, agreement, agreement_start, agreement_end))
        out.print(f"subscriber {sub.name}: {_describe(sub)}")


@subscriber_app.command("update")
def subscriber_update(
    name: Annotated[str, typer.Argument(help="Subscriber name")],
    tier: Annotated[str | None, typer.Option(
        "--tier", help="open, certified or benefits-agency")] = None,
    certified_until: CertifiedOption = None,
    agreement: AgreementOption = None,
    agreement_start: AgreementStartOption = None,
    agreement_end: AgreementEndOption = None,
    address: AddressOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Change a subscriber's tier, certification, agreement or address."""
    with errors():
        sub = update_subscriber(
            open_store(db), name, tier=tier, actor=default_actor(actor), address=address,
            **_papers(certified_until, agreement, agreement_start, agreement_end))
        out.print(f"subscriber {sub.name}: {_describe(sub)}")


@subscriber_app.command("list")
def subscriber_list(db: DbOption = None) -> None:
    """Every subscriber with its tier, papers and the tier it is treated as today."""
    with errors():
        today = date.today()
        subscribers = list_subscribers(open_store(db))
        if not subscribers:
            out.print("no subscribers yet (vitalstat subscriber add)")
        for sub in subscribers:
            ent = sub.entitlement(today)
            now = ent.tier.value if ent.tier else "nothing (suspended)"
            out.print(f"{sub.name}: {_describe(sub)}; treated today as "
                      f"{'; '.join([now, *ent.notes])}", highlight=False)


@subscriber_app.command("suspend")
def subscriber_suspend(name: Annotated[str, typer.Argument(help="Subscriber name")],
                       db: DbOption = None, actor: ActorOption = None) -> None:
    """Stop every delivery and export to a subscriber."""
    with errors():
        sub = suspend_subscriber(open_store(db), name, actor=default_actor(actor))
        out.print(f"subscriber {sub.name}: {_describe(sub)}")


@subscriber_app.command("resume")
def subscriber_resume(name: Annotated[str, typer.Argument(help="Subscriber name")],
                      db: DbOption = None, actor: ActorOption = None) -> None:
    """Lift a suspension."""
    with errors():
        sub = resume_subscriber(open_store(db), name, actor=default_actor(actor))
        out.print(f"subscriber {sub.name}: {_describe(sub)}")


@app.command("deliver")
def deliver(
    subscriber: Annotated[str, typer.Argument(help="Subscriber name")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Directory for the delivery (default ./deliveries/SUBSCRIBER)")] = None,
    keys: KeysOption = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Send a subscriber what changed since its last delivery (a full file the first time)."""
    with errors():
        r = deliver_to(open_store(db), subscriber,
                       out=out_dir or Path("deliveries") / subscriber,
                       actor=default_actor(actor), keys=keys_dir(keys), rule=embargo_rule())
        for note in r.notes:
            out.print(f"note: {note}")
        what = ("full file" if r.kind == "full" else
                f"update: {r.counts['adds']} added, {r.counts['changes']} changed, "
                f"{r.counts['deletes']} deleted")
        out.print(f"delivery {r.delivery_id} to {r.subscriber}: {r.records} records from "
                  f"release {r.release_id} at {r.tier.value} tier ({what})")
        out.print(f"{r.directory}")
