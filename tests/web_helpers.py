"""A served registry for the API tests: a few records, two subscribers, a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from vitalstat.domain.access import Role
from vitalstat.services import keys
from vitalstat.services.ingest import ingest_file
from vitalstat.services.sources import register_source
from vitalstat.services.subscribers import add_subscriber
from vitalstat.services.tokens import create_token
from vitalstat.store import Store
from vitalstat.web import ServerConfig, create_app

ANN = "123456789"  # funeral home, died 2025: inside the embargo
OLD = "223456789"  # funeral home, died 2010: past the embargo (open tier)
VITAL = "323456789"  # state vital records, died 2012: restricted source


@dataclass
class World:
    store: Store
    client: TestClient
    tokens: dict[str, str]  # role (or "subscriber-cert") -> token
    config: ServerConfig
    tmp: Path
    app: FastAPI

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _seed(store: Store, tmp: Path) -> None:
    keys.generate_key(store, tmp / "keys", actor="keeper")
    fh = tmp / "funeral-home.csv"
    fh.write_text(
        "ssn,last_name,first_name,middle_name,date_of_death,date_of_birth,proof,reporter_name\n"
        f"{ANN},Smith,Ann,Marie,2025-10-02,1950-04-11,V,J. Doe\n"
        f"{OLD},Jones,Robert,Lee,2010-09-14,1938-02-20,P,J. Doe\n")
    for kind, sid in (("funeral-home", "fh-9"), ("state-vital-records", "ca"),
                      ("funeral-home", "fh-1"), ("funeral-home", "fh-2"), ("family", "fam-1")):
        register_source(store, kind=kind, source_id=sid, actor="registrar")
    ingest_file(store, fh, source_kind="funeral-home", source_id="fh-9", actor="clerk")
    vital = tmp / "vital.csv"
    vital.write_text("ssn,last_name,first_name,date_of_death,date_of_birth,proof\n"
                     f"{VITAL},Brown,Carol,2012-03-04,1940-05-06,P\n")
    ingest_file(store, vital, source_kind="state-vital-records", source_id="ca",
                actor="clerk")
    add_subscriber(store, "open-bank", tier="open", actor="clerk")
    add_subscriber(store, "cert-bank", tier="certified", actor="clerk",
                   certified_until=date(2099, 12, 31))


def _tokens(store: Store) -> dict[str, str]:
    made = {}
    for role in Role:
        sub = "open-bank" if role is Role.SUBSCRIBER else None
        made[role.value], _ = create_token(store, f"{role.value}-1", role=role.value,
                                           subscriber=sub, actor="setup")
    made["subscriber-cert"], _ = create_token(store, "cert-bank-app", role="subscriber",
                                              subscriber="cert-bank", actor="setup")
    made["approver-2"], _ = create_token(store, "approver-2", role="approver", actor="setup")
    return made


def seeded_app(store: Store, tmp: Path) -> tuple[FastAPI, ServerConfig, dict[str, str]]:
    """The seeded registry's app, its config and a token per role (for a live server)."""
    _seed(store, tmp)
    config = ServerConfig(releases=tmp / "releases", keys=tmp / "keys",
                          cases_dir=tmp / "cases", jobs_dir=tmp / "jobs")
    return create_app(store, config), config, _tokens(store)


def make_world(store: Store, tmp: Path) -> Iterator[World]:
    app, config, tokens = seeded_app(store, tmp)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(store, client, tokens, config, tmp, app)


