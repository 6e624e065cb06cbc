"""Audit-log commands: ``vitalstat audit checkpoint|list|verify|prove-inclusion|
prove-consistency|check-proof``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from vitalstat.audit.verify import check_files
from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import default_actor, keys_dir
from vitalstat.errors import NotFoundError
from vitalstat.services import audit as audit_service
from vitalstat.services import keys as signing

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The verifiable audit log: signed checkpoints, verification, "
                        "proofs.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

KeysOption = Annotated[str | None, typer.Option(
    "--keys", help="Signing key directory (env VITALSTAT_KEYS; default ./keys)")]
KeyOption = Annotated[Path | None, typer.Option(
    "--key", help="Trust only this minisign public key file (e.g. release.pub)")]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help="Write the proof to this file (default: print it)")]


def _emit(doc: dict[str, Any], path: Path | None) -> None:
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if path is None:
        typer.echo(text, nl=False)  # verbatim: no console markup or emoji codes
    else:
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {doc['proof']} proof to {path}")


@audit_app.command("checkpoint")
def checkpoint(keys: KeysOption = None, db: DbOption = None, actor: ActorOption = None) -> None:
    """Log every new event and sign a checkpoint (size, root, time) with the release key."""
    with errors():
        r = audit_service.write_checkpoint(open_store(db), keys=keys_dir(keys),
                                           actor=default_actor(actor))
        what = "checkpoint" if r.new else "no new events; latest checkpoint"
        out.print(f"{what} {r.id}: size {r.signed.size} root {r.signed.root.hex()} "
                  f"time {r.signed.checkpoint.time} key {r.signed.key_id}", highlight=False)


@audit_app.command("list")
def list_(db: DbOption = None) -> None:
    """Every checkpoint: id, size, root, time, key, who wrote it and when."""
    with errors():
        rows = audit_service.list_checkpoints(open_store(db))
        if not rows:
            out.print("no checkpoints yet (vitalstat audit checkpoint)")
        for r in rows:
            out.print(f"checkpoint {r['id']}  size {r['tree_size']}  root {r['root_hash']}  "
                      f"time {r['log_time']}  key {r['key_id']}  by {r['created_by']} at "
                      f"{r['created_at'][:19]}", highlight=False)


@audit_app.command("verify")
def verify(
    keys: KeysOption = None,
    key: KeyOption = None,
    checkpoint: Annotated[list[Path] | None, typer.Option(
        "--checkpoint", help="Also check against this checkpoint.json (a release's); "
        "repeatable")] = None,
    db: DbOption = None,
) -> None:
    """Recompute every leaf, root, signature and consistency proof; exit 1 naming the
    first bad entry."""
    with errors():
        trusted = audit_service.trusted_keys(keys_dir(keys), key)
        external = [audit_service.load_checkpoint_file(p) for p in checkpoint or []]
        v = audit_service.verify_audit_log(open_store(db), trusted=trusted, external=external)
        pending = v.entries - v.covered
        out.print(f"audit log verified: {v.entries} entries, {v.checkpoints} checkpoint(s), "
                  f"{v.covered} entries covered by a signed checkpoint"
                  + (f"; {pending} newer entries not yet checkpointed" if pending else ""))


@audit_app.command("prove-inclusion")
def prove_inclusion(
    event_id: Annotated[int, typer.Argument(help="Event id")],
    size: Annotated[int | None, typer.Option(
        "--size", help="Checkpoint size to prove against (default: the latest)")] = None,
    out_path: OutOption = None,
    db: DbOption = None,
) -> None:
    """JSON proof that an event is in a signed checkpoint (check with check-proof)."""
    with errors():
        doc = audit_service.prove_inclusion(open_store(db), event_id, size=size)
        _emit(doc, out_path)


@audit_app.command("prove-consistency")
def prove_consistency(
    first: Annotated[int, typer.Argument(help="Size of the earlier checkpoint")],
    second: Annotated[int, typer.Argument(help="Size of the later checkpoint")],
    out_path: OutOption = None,
    db: DbOption = None,
) -> None:
    """JSON proof that the later checkpoint's log extends the earlier one's."""
    with errors():
        doc = audit_service.prove_consistency(open_store(db), first, second)
        _emit(doc, out_path)


@audit_app.command("check-proof")
def check_proof(
    proof: Annotated[Path, typer.Argument(help="Proof JSON file")],
    key: KeyOption = None,
    keys: KeysOption = None,
    checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="A checkpoint.json already trusted (e.g. a release's)")] = None,
) -> None:
    """Check a proof without the registry (same as python -m vitalstat.audit.verify)."""
    with errors():
        if key is not None:
            files = [key]
        else:
            d = keys_dir(keys)
            files = [d / signing.PUBLIC, *sorted((d / signing.RETIRED).glob("*.pub"))]
            files = [f for f in files if f.is_file()]
            if not files:
                raise NotFoundError(f"no public key in {d}: pass --key FILE (release.pub)")
        out.print(check_files(proof, files, checkpoint), highlight=False)


