"""Shared fixtures: a migrated registry on SQLite and (where available) PostgreSQL.

`scripts/test.sh` starts a throwaway PostgreSQL cluster and sets VITALSTAT_TEST_PG_URL
and VITALSTAT_REQUIRE_PG=1, so in CI a missing PostgreSQL fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vitalstat.store import Store

PG_URL = os.environ.get("VITALSTAT_TEST_PG_URL", "")
REQUIRE_PG = os.environ.get("VITALSTAT_REQUIRE_PG") == "1"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("VITALSTAT_REQUIRE_PG=1 but VITALSTAT_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL test cluster: run scripts/test.sh")
    name = f"vs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def _migrated(url: str) -> Iterator[Store]:
    s = Store.open(url)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    yield from _migrated(store_url)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    yield from _migrated(sqlite_url)
