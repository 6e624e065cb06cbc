"""Fixtures of the API tests (the world itself is built in ``web_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vitalstat.store import Store
from web_helpers import World, make_world


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Iterator[World]:
    yield from make_world(store, tmp_path)


@pytest.fixture
def sqlite_world(sqlite_store: Store, tmp_path: Path) -> Iterator[World]:
    yield from make_world(sqlite_store, tmp_path)
