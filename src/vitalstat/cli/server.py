"""``vitalstat serve`` (the HTTP API) and ``vitalstat token`` (its API tokens)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.table import Table

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import default_actor
from vitalstat.errors import ConfigError
from vitalstat.services.tokens import create_token, list_tokens, revoke_token

__all__ = ["serve", "token"]

token = typer.Typer(help="API tokens: create (shown once), list, revoke.",
                    no_args_is_help=True)
app.add_typer(token, name="token")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="uvicorn worker processes")] = 1,
    db: DbOption = None,
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json, docs at /docs) on the registry."""
    with errors():
        try:
            import uvicorn
        except ImportError:
            raise ConfigError("the server is not installed: pip install 'vitalstat[server]'"
                              ) from None
        from vitalstat.config import db_url

        store = open_store(db)
        store.check_schema()
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        out.print(f"Vitalstat API on http://{host}:{port}/ (docs: /docs) for {store.url}")
        if workers > 1:
            import os

            from vitalstat.services.match_jobs import requeue_interrupted_jobs

            os.environ["VITALSTAT_DB"] = db_url(db)
            requeue_interrupted_jobs(store)  # once, before the workers (web.serve)
            uvicorn.run("vitalstat.web.serve:app", host=host, port=port, workers=workers,
                        access_log=False, log_level="warning")
        else:
            from vitalstat.web import ServerConfig, create_app

            uvicorn.run(create_app(store, ServerConfig.from_env()), host=host, port=port,
                        access_log=False, log_level="warning")


@token.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Who the token is for (the actor in events)")],
    role: Annotated[str, typer.Option("--role", help="admin, registrar, caseworker, approver, "
                                      "privacy-officer, auditor, subscriber or agency")],
    subscriber: Annotated[str | None, typer.Option(
        "--subscriber", help="The subscriber a subscriber token speaks for")] = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Create an API token and print it (once: only its argon2 hash is kept)."""
    with errors():
        secret, info = create_token(open_store(db), name, role=role, subscriber=subscriber,
                                    actor=default_actor(actor))
        out.print(f"token {info.id} for {info.name} ({info.role.value}"
                  f"{', ' + info.subscriber if info.subscriber else ''}); shown once:")
        print(secret)


@token.command("list")
def list_(db: DbOption = None) -> None:
    """Every token: id, name, role, subscriber, created, revoked (never the secret)."""
    with errors():
        found = list_tokens(open_store(db))
        if not found:
            out.print("no tokens yet (vitalstat token create NAME --role ROLE)")
            return
        table = Table(title=f"{len(found)} API tokens")
        for col in ("id", "name", "role", "subscriber", "created", "by", "revoked"):
            table.add_column(col)
        for t in found:
            table.add_row(t.id, t.name, t.role.value, t.subscriber or "", t.created_at[:19],
                          t.created_by, (t.revoked_at or "")[:19])
        out.print(table)


@token.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="The token's id (token list)")],
           db: DbOption = None, actor: ActorOption = None) -> None:
    """Revoke a token: every request with it is refused from now on."""
    with errors():
        info = revoke_token(open_store(db), token_id, actor=default_actor(actor))
        out.print(f"token {info.id} ({info.name}, {info.role.value}) revoked at "
                  f"{info.revoked_at}")
