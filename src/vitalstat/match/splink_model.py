"""The Splink side: our comparisons and m/u as a Splink 5 model, scoring, training.

Splink is imported here (and in ``engine``) only. The same settings drive the DuckDB and
the Spark backends; SQL is written in DuckDB's dialect and Splink translates it.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator

from vitalstat.match.comparisons import BLOCKING_RULES, COMPARISONS, Comparison
from vitalstat.match.model import Model

__all__ = ["SOURCE_RECORDS", "SOURCE_ROWS", "linker", "settings", "trained_m_u"]

SOURCE_ROWS = "a_rows"  # the subscriber file (sorts first: Splink puts it on the left)
SOURCE_RECORDS = "b_records"  # the death records


def _comparison(comp: Comparison, model: Model | None) -> cl.CustomComparison:
    levels: list[Any] = [cll.CustomLevel(comp.null_sql, f"{comp.field} missing",
                                         base_dialect_str="duckdb").configure(
        is_null_level=True)]
    for lv in comp.levels:
        level: Any
        if lv.is_else:
            level = cll.ElseLevel()
        else:
            parts: list[Any] = []
            if lv.sql:
                parts.append(cll.CustomLevel(lv.sql, lv.key, base_dialect_str="duckdb"))
            if lv.array:
                parts.append(cll.ArrayIntersectLevel(lv.array, min_intersection=1))
            level = parts[0] if len(parts) == 1 else cll.Or(*parts)
            level = level.configure(label_for_charts=lv.key)
        if model is not None:
            m, u = model.m_u[comp.name][lv.key]
            level = level.configure(m_probability=m, u_probability=u)
        levels.append(level)
    return cl.CustomComparison(levels, output_column_name=comp.name,
                               comparison_description=comp.field)


def settings(model: Model | None, *, prior: float | None = None) -> SettingsCreator:
    """Splink settings for our comparisons, with ``model``'s m/u (untrained if None)."""
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        comparisons=[_comparison(c, model) for c in COMPARISONS],
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": rule, "sql_dialect": "duckdb"} for rule in BLOCKING_RULES],
        probability_two_random_records_match=(
            prior if prior is not None else (model.prior if model else 1e-8)),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=[],
    )


def linker(db_api: Any, rows_table: str, records_table: str, model: Model | None, *,
           prior: float | None = None) -> Linker:
    rows = db_api.register(rows_table, dataset_display_name=SOURCE_ROWS)
    records = db_api.register(records_table, dataset_display_name=SOURCE_RECORDS)
    return Linker([rows, records], settings(model, prior=prior), log_level=None)


def trained_m_u(link: Linker) -> dict[str, dict[str, tuple[float, float]]]:
    """m/u per comparison level from a trained linker, keyed like our model file."""
    dumped = link.misc.save_model_to_json()
    by_name = {c.name: c for c in COMPARISONS}
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for comp in dumped["comparisons"]:
        ours = by_name[comp["output_column_name"]]
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        out[ours.name] = {
            ours.levels[i].key: (float(lv.get("m_probability") or 1e-6),
                                 float(lv.get("u_probability") or 1e-9))
            for i, lv in enumerate(levels)}
    return out
