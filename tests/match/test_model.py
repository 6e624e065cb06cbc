"""The shipped model file: versioned, complete, and what the weights mean."""

from __future__ import annotations

import json
import math

import pytest

from vitalstat.errors import ConfigError
from vitalstat.match.comparisons import BLOCKS, COMPARISONS
from vitalstat.match.model import MODEL_VERSION, Model, load_model


def test_shipped_model_covers_every_level_and_round_trips() -> None:
    model = load_model()
    for comp in COMPARISONS:
        assert set(model.m_u[comp.name]) == {lv.key for lv in comp.levels}
    again = Model.from_json(model.to_json())
    assert again.m_u.keys() == model.m_u.keys()
    assert math.isclose(again.weight("ssn", "exact"), model.weight("ssn", "exact"),
                        rel_tol=1e-6)
    assert model.weight("dob", "exact") > 0 > model.weight("dob", "else")
    assert model.weight("first", "missing") == 0.0


def test_a_wrong_or_incomplete_model_file_is_refused(tmp_path) -> None:
    data = json.loads(load_model().to_json())
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({**data, "version": MODEL_VERSION + 1}))
    with pytest.raises(ConfigError, match="version"):
        load_model(bad)
    del data["m_u"]["ssn"]["one-digit"]
    bad.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="one-digit"):
        load_model(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_model(tmp_path / "missing.json")


def test_gamma_values_map_to_level_keys_both_ways() -> None:
    for comp in COMPARISONS:
        for lv in comp.levels:
            assert comp.gamma_to_key(comp.key_to_gamma(lv.key)) == lv.key
        assert comp.gamma_to_key(-1) == "missing"
        assert comp.gamma_to_key(0) == "else"


def test_blocking_rules_compare_rows_with_records() -> None:
    assert BLOCKS[0].splink_sql() == "l.ssn = r.ssn"
    assert any("r.dob IS NULL" in b.splink_sql() for b in BLOCKS)
