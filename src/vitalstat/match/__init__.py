"""Matching subscriber files against the death file: precision first, explained, fast.

Only this package imports Splink, DuckDB (for matching) and PySpark. The pipeline is in
``engine``; the pure parts are ``comparisons`` (levels and blocking rules), ``decide``
(thresholds and safety rules) and ``model`` (the versioned m/u file).
"""

from vitalstat.match.decide import PROFILES, Decision, Profile
from vitalstat.match.engine import MatchRun, Reference, RowResult, match_rows, probability
from vitalstat.match.files import (
    OUTPUT_COLUMNS,
    explain_path,
    read_explain,
    read_input,
    write_results,
)
from vitalstat.match.model import Model, load_model

__all__ = [
    "OUTPUT_COLUMNS",
    "PROFILES",
    "Decision",
    "MatchRun",
    "Model",
    "Profile",
    "Reference",
    "RowResult",
    "explain_path",
    "load_model",
    "match_rows",
    "probability",
    "read_explain",
    "read_input",
    "write_results",
]
