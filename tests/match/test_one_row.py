"""The Python one-row scorer (the API's one-row match) decides exactly as the engine.

The oracle is ``match_rows`` with the ``sql`` engine, which ``test_sql_engine`` holds to
Splink itself. Hypothesis builds records around one person with every variation a level
or a blocking rule looks at (nicknames, initials, interchanged names, compound
surnames, typos, sound-alikes, partial, swapped and missing dates, one-digit and
transposed SSNs, held and withdrawn records), and a row that is another variation.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.match import PROFILES, Reference, load_model, match_rows
from vitalstat.match.comparisons import BLOCKS, COMPARISONS
from vitalstat.match.engine import connect
from vitalstat.match.features import FEATURE_COLUMNS, feature_select, features
from vitalstat.match.normalise import first_name_keys, last_name_keys, normalise_input
from vitalstat.match.one_row import decide_row
from vitalstat.match.reference_index import ReferenceIndex

MODEL = load_model()

ssns = st.sampled_from(["123456789", "123456780", "124356789", "123459876", "923456789",
                        "123400000", "000056789", "555667777"])
firsts = st.sampled_from(["WILLIAM", "BILL", "W", "WILLIAN", "WILHELM", "HENRY", "MARY ANN",
                          "MARY", "MARIE", "ANN", "A", "", "JOHNATHAN", "JONATHON"])
middles = st.sampled_from(["HENRY", "H", "WILLIAM", "ANN", "", "J"])
lasts = st.sampled_from(["SMITH", "SMYTH", "SMYTHE", "SMITH JONES", "JONES", "DE LA CRUZ",
                         "DELACRUZ", "SCHMIDT", "SMITHSON", "BROWN", ""])
dobs = st.sampled_from(["1950-04-11", "1950-11-04", "1950-04-00", "1950-00-00", "1951-04-11",
                        "1960-04-11", "1950-04-12", "1950-04-04", ""])
sexes = st.sampled_from(["M", "F", ""])
statuses = st.sampled_from(["published", "published", "published", "held", "withdrawn"])


@st.composite
def records(draw: st.DrawFn) -> pa.Table:
    chosen = draw(st.lists(ssns, min_size=1, max_size=8, unique=True))
    rows = [{"ssn": s, "first_name": draw(firsts), "middle_name": draw(middles),
             "last_name": draw(lasts), "date_of_birth": draw(dobs) or None,
             "date_of_death": "2020-01-0" + str(n % 9 + 1), "status": draw(statuses)}
            for n, s in enumerate(chosen)]
    return pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.string()) for c in ("ssn", "first_name", "middle_name", "last_name",
                                    "date_of_birth", "date_of_death", "status")]))


@st.composite
def subscriber_rows(draw: st.DrawFn, table: pa.Table | None = None) -> dict[str, str]:
    """A row of any values, or (mostly, given ``table``) one of its records with some
    values changed: another SSN, name or date, month and day swapped, a blank."""
    row = {"id": "r1", "ssn": draw(ssns | st.just("") | st.just("12345678X")),
           "first_name": draw(firsts), "middle_name": draw(middles),
           "last_name": draw(lasts), "dob": draw(dobs | st.just("1950-02-30")),
           "sex": draw(sexes)}
    if table is None or not draw(st.integers(0, 4)):
        return row
    rec = draw(st.sampled_from(table.to_pylist()))
    dob = rec["date_of_birth"] or ""
    if dob and draw(st.booleans()):
        dob = f"{dob[:5]}{dob[8:10]}-{dob[5:7]}"  # swapped (if that is a date at all)
    like = {"ssn": rec["ssn"], "first_name": rec["first_name"],
            "middle_name": rec["middle_name"], "last_name": rec["last_name"], "dob": dob}
    for name, value in like.items():  # keep each of the record's values, or not
        if draw(st.integers(0, 2)):
            row[name] = value
    return row


def _engine(row: dict[str, str], table: pa.Table, held: frozenset[str], profile: str
            ) -> Any:
    subscriber = pa.table({k: [v] for k, v in row.items()})
    return match_rows(subscriber, Reference("r", table=table, held_now=held), model=MODEL,
                      profile=PROFILES[profile], engine="sql").rows[0]


def _python(row: dict[str, str], table: pa.Table, held: frozenset[str], profile: str,
            *, narrowed: bool = False) -> Any:
    """``decide_row`` against all of ``table`` or (``narrowed``) against what the
    release index narrows it to for the row, as the API does."""
    clean, problems = normalise_input(pa.table({k: [v] for k, v in row.items()}))
    cleaned = {k: v[0] for k, v in clean.to_pydict().items()}
    if narrowed:
        kept = ReferenceIndex(table).candidates(ssn=cleaned["ssn"], dob=cleaned["dob"],
                                                first=cleaned["first_name"],
                                                last=cleaned["last_name"])
        mine = features("0", ssn=cleaned["ssn"], first=cleaned["first_name"],
                        middle=cleaned["middle_name"], last=cleaned["last_name"],
                        dob=cleaned["dob"], sex=cleaned["sex"])
        paired = {r["ssn"] for r in table.to_pylist() if any(block.pairs(mine, features(
            r["ssn"], ssn=r["ssn"], first=r["first_name"] or None,
            middle=r["middle_name"] or None, last=r["last_name"] or None,
            dob=r["date_of_birth"], sex=None)) for block in BLOCKS)}
        assert paired <= set(kept.column("ssn").to_pylist())
        table = kept
    return decide_row(cleaned, problems[0], table, held_now=held, model=MODEL,
                      profile=PROFILES[profile])


def _same(a: Any, b: Any) -> None:
    assert a.decision == b.decision
    assert a.rules == b.rules
    assert a.reasons == b.reasons
    assert a.problems == b.problems
    assert (a.candidate is None) == (b.candidate is None)
    if a.candidate is not None:
        assert a.candidate.ssn == b.candidate.ssn
        assert dict(a.candidate.levels) == dict(b.candidate.levels)
        assert a.candidate.held == b.candidate.held
        assert a.candidate.date_of_death == b.candidate.date_of_death
        assert a.candidate.weight == pytest.approx(b.candidate.weight, abs=1e-9)


@given(records(), st.sampled_from(["insurer", "bank", "research"]), st.data())
@settings(max_examples=200, deadline=None)
def test_python_scorer_decides_as_the_engine(table, profile, data) -> None:
    row = data.draw(subscriber_rows(table))
    held = frozenset(data.draw(st.lists(st.sampled_from(table.column("ssn").to_pylist()),
                                        max_size=2)))
    engine = _engine(row, table, held, profile)
    _same(_python(row, table, held, profile), engine)
    # the release index's narrowing keeps every record a blocking rule could pair
    _same(_python(row, table, held, profile, narrowed=True), engine)


@pytest.mark.parametrize("profile", ["insurer", "bank", "research"])
def test_python_scorer_decides_the_fixture_as_the_engine(reference, subscriber,
                                                         profile) -> None:
    """Every hard case of the hand-written fixture, one row at a time, against all 21
    records (rules across rows, such as one record claimed twice, are the file's)."""
    assert reference.table is not None
    whole = match_rows(subscriber, reference, model=MODEL, profile=PROFILES[profile],
                       engine="sql")
    clean, problems = normalise_input(subscriber)
    decided = {"match": 0, "review": 0, "none": 0}
    for i in range(subscriber.num_rows):
        one = decide_row({k: v[0] for k, v in clean.slice(i, 1).to_pydict().items()},
                         problems[i], reference.table, held_now=frozenset(), model=MODEL,
                         profile=PROFILES[profile])
        full = whole.rows[i]
        decided[one.decision.label] += 1
        if "claimed by rows" in " ".join(full.rules):
            continue
        _same(one, full)
    assert decided["match"] > 10 and decided["review"] >= 2 and decided["none"] >= 2


def _sql_features(side: dict[str, Any]) -> dict[str, Any]:
    con = connect(threads=1)
    try:
        con.register("fk_arrow", first_name_keys([side["first"], side["middle"]]))
        con.register("lk_arrow", last_name_keys([side["last"]]))
        con.execute("CREATE TABLE first_keys AS SELECT * FROM fk_arrow")
        con.execute("CREATE TABLE last_keys AS SELECT * FROM lk_arrow")
        con.execute("CREATE TABLE s (ssn VARCHAR, f VARCHAR, m VARCHAR, l VARCHAR, "
                    "d VARCHAR, x VARCHAR)")
        con.execute("INSERT INTO s VALUES (?, ?, ?, ?, ?, ?)",
                    [side["ssn"], side["first"], side["middle"], side["last"], side["dob"],
                     side["sex"]])
        cur = con.execute(feature_select("s", uid="'u'", ssn="s.ssn", first="s.f",
                                         middle="s.m", last="s.l", dob="s.d", sex="s.x"))
        names = [d[0] for d in cur.description or ()]
        return dict(zip(names, cur.fetchone() or (), strict=True))
    finally:
        con.close()


names = st.sampled_from(["WILLIAM", "BILL", "MARY ANN", "DE LA CRUZ", "O", "X"]) | st.none()


@given(st.fixed_dictionaries({
    "ssn": ssns | st.none(), "first": names, "middle": names, "last": names,
    "dob": dobs.map(lambda d: d or None) | st.sampled_from(["2001-12-01", "2001-01-13"]),
    "sex": st.sampled_from(["M", "F", None])}))
@settings(max_examples=80, deadline=None)
def test_python_features_are_the_sql_features(side) -> None:
    got = features("u", ssn=side["ssn"], first=side["first"], middle=side["middle"],
                   last=side["last"], dob=side["dob"], sex=side["sex"])
    assert set(got) == set(FEATURE_COLUMNS)
    assert got == _sql_features(side)


def _pair_sql(conditions: list[str], left: dict[str, Any], right: dict[str, Any]
              ) -> list[bool]:
    """Each condition over a pair, evaluated by DuckDB in one query (NULL counts as
    false), over columns ``x_l``/``x_r`` and ``l.x``/``r.x`` (Splink's blocking rules)."""
    params: list[Any] = []

    def side(values: dict[str, Any]) -> str:
        cols = []
        for name in FEATURE_COLUMNS:
            cols.append(f"${len(params) + 1} AS {name}")
            params.append(values[name])
        return "SELECT " + ", ".join(cols)

    pair = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in FEATURE_COLUMNS)
    tests = ", ".join(f"coalesce(({c}), false)" for c in conditions)
    query = (f"WITH l AS ({side(left)}), r AS ({side(right)}), "
             f"t AS (SELECT {pair} FROM l, r) SELECT {tests} FROM t, l, r")
    con = connect(threads=1)
    try:
        got = con.execute(query, params).fetchone()
    finally:
        con.close()
    assert got is not None
    return [bool(v) for v in got]


side_values = st.fixed_dictionaries({
    "ssn": ssns | st.none(), "first": firsts.map(lambda n: n or None),
    "middle": middles.map(lambda n: n or None), "last": lasts.map(lambda n: n or None),
    "dob": dobs.map(lambda d: d or None), "sex": sexes.map(lambda s: s or None)})


def _side(v: dict[str, Any]) -> dict[str, Any]:
    return features("u", ssn=v["ssn"], first=v["first"], middle=v["middle"], last=v["last"],
                    dob=v["dob"], sex=v["sex"])


@given(side_values, side_values)
@settings(max_examples=150, deadline=None)
def test_every_level_and_block_in_python_is_its_sql(a, b) -> None:
    """Each level's Python condition and each blocking rule's, one by one, against the
    SQL beside it (so a wrong one is named, not just a wrong decision)."""
    left, right = _side(a), _side(b)
    named: list[tuple[str, str, bool]] = []  # (what, SQL, the Python answer)
    for comp in COMPARISONS:
        named.append((f"{comp.name} missing", comp.null_sql,
                      comp.level_of(left, right) == "missing"))
        for lv in comp.levels:
            if lv.is_else:
                continue
            parts = [f"({lv.sql})"] if lv.sql else []
            if lv.array:
                parts.append(f"(array_length(list_intersect({lv.array}_l, "
                             f"{lv.array}_r)) >= 1)")
            # a level is only asked once the comparison is known not to be missing
            named.append((f"{comp.name} {lv.key}",
                          f"NOT ({comp.null_sql}) AND ({' OR '.join(parts)})",
                          comp.level_of(left, right) != "missing" and lv.holds(left, right)))
    for n, block in enumerate(BLOCKS):
        test = block.pairs_with(left)
        assert block.pairs(left, right) == (test is not None and test(right))
        named.append((f"block {n + 1}", block.splink_sql(), block.pairs(left, right)))
    sql_answers = _pair_sql([sql for _, sql, _ in named], left, right)
    assert {what: py for what, _, py in named} == dict(
        zip([what for what, _, _ in named], sql_answers, strict=True))


def test_a_level_without_its_python_form_is_refused() -> None:
    from vitalstat.match.comparisons import Level

    with pytest.raises(ValueError, match="in SQL and in Python"):
        Level("exact", "agrees", "a_l = a_r")
