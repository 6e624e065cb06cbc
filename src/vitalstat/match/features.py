"""The compared columns, derived in DuckDB from cleaned rows and per-name key tables.

Both sides get the same columns (Splink compares ``col_l`` with ``col_r``). Per-row
derivations are string slicing only; every identity rule already ran in
``match.normalise`` (subscriber rows) or at ingest (death records).

:func:`features` derives the same columns in Python for one side of one pair (the
one-row match, ``match.one_row``); a property test holds it to :func:`feature_select`.
"""

from __future__ import annotations

from typing import Any

from vitalstat.match.normalise import first_name_facts, last_name_facts

__all__ = ["FEATURE_COLUMNS", "feature_select", "features", "key_exprs"]

FEATURE_COLUMNS: tuple[str, ...] = (
    "unique_id", "ssn", "ssn_head", "ssn_tail", "ssn_sorted", "first_name", "first_keys",
    "first_sdx", "middle_name", "last_name", "last_compact", "last_tokens", "last_sdx", "dob",
    "dob_full", "dob_swapped", "dob_y", "dob_m", "dob_d", "sex",
)


def _dates(dob: str) -> dict[str, str]:
    full = (f"CASE WHEN substr({dob}, 6, 2) <> '00' AND substr({dob}, 9, 2) <> '00' "
            f"THEN {dob} END")
    return {
        "dob": dob,
        "dob_full": full,
        "dob_swapped": (f"CASE WHEN substr({dob}, 6, 2) <> '00' AND substr({dob}, 9, 2) "
                        f"BETWEEN '01' AND '12' AND substr({dob}, 9, 2) <> substr({dob}, 6, 2)"
                        f" THEN substr({dob}, 1, 5) || substr({dob}, 9, 2) || '-' || "
                        f"substr({dob}, 6, 2) END"),
        "dob_y": f"CAST(substr({dob}, 1, 4) AS INTEGER)",
        "dob_m": f"CAST(substr({dob}, 6, 2) AS INTEGER)",
        "dob_d": f"CAST(substr({dob}, 9, 2) AS INTEGER)",
    }


def key_exprs(src: str, *, dob: str, first: str, last: str, lk: str, fk: str) -> dict[str, str]:
    """The blocking keys only, for pruning the reference cheaply (``comparisons.BLOCKS``)."""
    d = _dates(dob)
    return {"ssn": f"{src}.ssn", "ssn_head": f"substr({src}.ssn, 1, 4)",
            "ssn_tail": f"substr({src}.ssn, 6, 4)", "dob": dob, "dob_full": d["dob_full"],
            "dob_y": d["dob_y"], "dob_m": d["dob_m"],
            "last_sdx": f"{lk}.sdx", "first_sdx": f"{fk}.sdx", "first_name": first,
            "last_name": last}


def feature_select(src: str, *, uid: str, ssn: str, first: str, middle: str, last: str,
                   dob: str, sex: str, fk: str = "fk", lk: str = "lk",
                   extra: tuple[str, ...] = ()) -> str:
    """``SELECT`` list (and joins) turning ``src`` into :data:`FEATURE_COLUMNS`."""
    cols = {
        "unique_id": f"CAST({uid} AS VARCHAR)",
        "ssn": ssn,
        "ssn_head": f"substr({ssn}, 1, 4)",
        "ssn_tail": f"substr({ssn}, 6, 4)",
        "ssn_sorted": f"array_to_string(list_sort(string_split({ssn}, '')), '')",
        "first_name": first,
        "first_keys": f"{fk}.keys",
        "first_sdx": f"{fk}.sdx",
        "middle_name": middle,
        "last_name": last,
        "last_compact": f"{lk}.compact",
        "last_tokens": f"{lk}.tokens",
        "last_sdx": f"{lk}.sdx",
        **_dates(dob),
        "sex": sex,
    }
    select = ",\n  ".join([*(f"{expr} AS {name}" for name, expr in cols.items()), *extra])
    return (f"SELECT\n  {select}\nFROM {src}\n"
            f"LEFT JOIN first_keys {fk} ON {fk}.name = {first}\n"
            f"LEFT JOIN last_keys {lk} ON {lk}.name = {last}")


def features(uid: str, *, ssn: str | None, first: str | None, middle: str | None,
             last: str | None, dob: str | None, sex: str | None) -> dict[str, Any]:
    """:func:`feature_select` in Python, for one side: the same :data:`FEATURE_COLUMNS`,
    NULL as None. Blank names must already be None (as ``NULLIF`` makes them in SQL)."""
    keys, first_sdx = first_name_facts(first) if first is not None else (None, None)
    compact, tokens, last_sdx = (last_name_facts(last) if last is not None
                                 else (None, None, None))
    out = {
        "unique_id": uid,
        "ssn": ssn,
        "ssn_head": ssn[:4] if ssn is not None else None,
        "ssn_tail": ssn[5:9] if ssn is not None else None,
        "ssn_sorted": "".join(sorted(ssn)) if ssn is not None else None,
        "first_name": first,
        "first_keys": keys,
        "first_sdx": first_sdx,
        "middle_name": middle,
        "last_name": last,
        "last_compact": compact,
        "last_tokens": tokens,
        "last_sdx": last_sdx,
        "dob": dob,
        "dob_full": None, "dob_swapped": None, "dob_y": None, "dob_m": None, "dob_d": None,
        "sex": sex,
    }
    if dob is not None:
        month, day = dob[5:7], dob[8:10]
        if month != "00" and day != "00":
            out["dob_full"] = dob
        if month != "00" and "01" <= day <= "12" and day != month:
            out["dob_swapped"] = f"{dob[:5]}{day}-{month}"
        out["dob_y"], out["dob_m"], out["dob_d"] = int(dob[:4]), int(month), int(day)
    return out
