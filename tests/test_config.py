from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitalstat.config import DEFAULT_DB, Settings, db_url, default_actor
from vitalstat.errors import ConfigError
from vitalstat.store.repo import canonical_json


def test_db_url_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VITALSTAT_DB", raising=False)
    assert db_url() == DEFAULT_DB
    assert db_url("/tmp/x.db") == "sqlite:////tmp/x.db"
    assert db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert db_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("VITALSTAT_DB", "reg.db")
    assert db_url() == "sqlite:///reg.db"


def test_actor_and_chunk_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITALSTAT_USER", "  dana ")
    assert default_actor() == "dana"
    assert default_actor("erin") == "erin"
    monkeypatch.setenv("VITALSTAT_CHUNK", "many")
    with pytest.raises(ConfigError, match="VITALSTAT_CHUNK"):
        Settings.from_env()
    monkeypatch.setenv("VITALSTAT_CHUNK", "1000")
    assert Settings.from_env().chunk_lines == 1000


def test_integrity_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VITALSTAT_CHUNK", raising=False)
    assert Settings.from_env().integrity.grace_days == 14
    monkeypatch.setenv("VITALSTAT_GRACE_DAYS", "0")
    monkeypatch.setenv("VITALSTAT_SURGE_CEILING", "20")
    rules = Settings.from_env().integrity
    assert (rules.grace_days, rules.surge_ceiling, rules.max_age_at_death) == (0, 20, 115)
    monkeypatch.setenv("VITALSTAT_MAX_AGE", "0")
    with pytest.raises(ConfigError, match="VITALSTAT_MAX_AGE must be at least 1"):
        Settings.from_env()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_round_trips_and_is_order_independent(value: object) -> None:
    text = canonical_json(value)
    assert json.loads(text) == value
    if isinstance(value, dict):
        reordered = dict(reversed(list(value.items())))
        assert canonical_json(reordered) == text
