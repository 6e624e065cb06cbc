"""Matching commands: match, match-explain, match-model train."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from vitalstat.cli.common import ActorOption, DbOption, app, errors, open_store, out
from vitalstat.config import default_actor, embargo_rule
from vitalstat.match.comparisons import COMPARISONS
from vitalstat.services.matching import explain_row, run_match, train_on_registry

__all__ = ["match", "match_explain", "model_train"]

model_app = typer.Typer(help="The matching model: retrain it on a registry.",
                        no_args_is_help=True)
app.add_typer(model_app, name="match-model")


@app.command()
def match(
    input_file: Annotated[Path, typer.Argument(
        help="Subscriber file (.csv or .parquet): id and any of ssn, first_name, "
             "middle_name, last_name, dob, sex, state", show_default=False)],
    output: Annotated[Path, typer.Option("--out", help="Decisions file (.csv or .parquet)",
                                         show_default=False)],
    release: Annotated[str | None, typer.Option(
        "--release", help="Release to match against (default: the latest; until releases "
                          "exist, the current published records)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark")] = "duckdb",
    profile: Annotated[str, typer.Option(
        "--profile", help="insurer (Reg 200), research (NDI-style) or bank")] = "insurer",
    model: Annotated[Path | None, typer.Option(
        "--model", help="Model JSON (default: the one shipped with vitalstat)")] = None,
    subscriber: Annotated[str | None, typer.Option(
        "--subscriber", help="Match as this subscriber: only against the records its tier "
                             "may receive today (default: a staff run, every record)")]
    = None,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Match a subscriber file against the death file: one decision per row."""
    with errors():
        s = run_match(open_store(db), input_file, output, actor=default_actor(actor),
                      release_id=release, engine=engine, profile=profile, model_path=model,
                      subscriber=subscriber, rule=embargo_rule())
        c = s.counts
        out.print(f"{s.input}: {s.rows} rows against {s.reference} ({s.profile} profile, "
                  f"{s.engine}): {c['match']} match, {c['review']} review, {c['none']} none "
                  f"in {s.seconds:.1f} s")
        out.print(f"decisions: {s.output}  (explain a row: vitalstat match-explain ID)")


@app.command("match-explain")
def match_explain(
    row_id: Annotated[str, typer.Argument(help="The row's id in the subscriber file",
                                          show_default=False)],
    results: Annotated[Path | None, typer.Option(
        "--results", help="Decisions file of the run (default: the latest match run)")] = None,
    db: DbOption = None,
) -> None:
    """Print the full weight breakdown behind one row's decision."""
    with errors():
        for ex in explain_row(open_store(db), row_id, results):
            b = ex.breakdown
            p = ex.profile
            out.print(Text(f"row {ex.row_id} in {ex.output}: {ex.decision}"))
            if not b.get("record"):
                out.print("  no death record came close enough to score")
            else:
                held = " (held or under a correction case)" if b.get("held") else ""
                out.print(f"  best death record: SSN {b['record']}{held}")
                table = Table(show_edge=False)
                for col in ("field", "level", "meaning", "weight"):
                    table.add_column(col, justify="right" if col == "weight" else "left")
                table.add_row("prior", "", "chance a random row and record match",
                              p.get("prior_weight", ""))
                for comp in COMPARISONS:
                    level = b["levels"].get(comp.name, "missing")
                    table.add_row(comp.field, level, comp.text(level),
                                  f"{b['weights'].get(comp.name, 0):+.2f}")
                table.add_row("total", "", "match weight (log2 odds)",
                              f"{ex.match_weight:+.2f}" if ex.match_weight is not None else "")
                out.print(table)
            out.print(f"  profile {p.get('profile')}: match at weight >= "
                      f"{p.get('match_weight')}, review at >= {p.get('review_weight')}")
            for rule in b.get("rules", []):
                out.print(Text(f"  rule: {rule}"))
            for problem in b.get("problems", []):
                out.print(Text(f"  input problem: {problem}"))


@model_app.command("train")
def model_train(
    output: Annotated[Path, typer.Option("--out", help="Where to write the model JSON")] = Path(
        "match-model.json"),
    rows: Annotated[int, typer.Option(
        "--rows", help="Labelled synthetic rows built from the registry's records")] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed")] = 0,
    db: DbOption = None,
    actor: ActorOption = None,
) -> None:
    """Retrain the model on a registry; print m/u per level and a calibration check."""
    with errors():
        report = train_on_registry(open_store(db), rows=rows, seed=seed, out=output,
                                   actor=default_actor(actor))
        m = report.model
        out.print(f"trained on {report.train_rows} rows ({report.labelled_pairs} labelled "
                  f"pairs); model written to {output} (use it with vitalstat match --model)")
        table = Table(title="m and u per level")
        for col in ("field", "level", "m", "u", "weight"):
            table.add_column(col, justify="left" if col in ("field", "level") else "right")
        for comp in COMPARISONS:
            for lv in comp.levels:
                mm, uu = m.m_u[comp.name][lv.key]
                table.add_row(comp.field, lv.key, f"{mm:.4f}", f"{uu:.2e}",
                              f"{m.weight(comp.name, lv.key):+.2f}")
        out.print(table)
        cal = Table(title="calibration on the held-out half (best candidate per row)")
        for col in ("predicted p", "rows", "mean predicted", "observed right"):
            cal.add_column(col, justify="right")
        for b in report.calibration:
            cal.add_row(f"{b.low:g}-{b.high:g}", str(b.rows), f"{b.mean_predicted:.4f}",
                        f"{b.observed:.4f}")
        out.print(cal)
