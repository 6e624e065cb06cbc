"""Subscriber rows with ground truth, built on any set of death records (a registry's).

``generate`` makes a subscriber file for its own scenario; this builds one for records
that already exist (a 10-million-record benchmark registry, or the registry a model is
retrained on). Dead customers carry the same data-entry differences as in
``subscriber.py``; on top come the hard cases that must never ``match``: twins,
namesakes, living people keyed with a dead person's SSN, and living people whose SSN is
one digit from a dead person's.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from vitalstat.domain.identity import PartialDate
from vitalstat.synth.people import _census, _Factory, _Person
from vitalstat.synth.subscriber import _Customer, _dead_customer, _near_ssn, _ssn_variant

__all__ = ["SUBSCRIBER_COLUMNS", "TRUTH_COLUMNS", "subscriber_rows"]

SUBSCRIBER_COLUMNS = ("id", "ssn", "first_name", "middle_name", "last_name", "dob", "sex",
                      "state")
TRUTH_COLUMNS = ("id", "dmf_ssn", "perturbation")

#: Shares of the rows (the rest are ordinary living customers).
_SHARES = {"dead": 0.40, "twin": 0.02, "namesake": 0.02, "living-dead-ssn": 0.01,
           "near-ssn": 0.01}


def _full_date(f: _Factory, text: str | None) -> date:
    """A full date consistent with a partial one (subscribers know their customers')."""
    r = f.rng
    d = PartialDate.parse(text) if text else None
    if d is None:
        return f.day_between(date(1900, 1, 1), date(1990, 12, 31))
    month = d.month or r.randint(1, 12)
    day = d.day or r.randint(1, 28)
    return date(d.year, month, day)


def _person(f: _Factory, rec: Mapping[str, str | None], male: frozenset[str]) -> _Person:
    first = rec.get("first_name") or ""
    sex = "M" if first.split(" ")[0] in male else "F"
    state = f.state()
    return _Person(str(rec["ssn"]), sex, first.title(), (rec.get("middle_name") or "").title(),
                   (rec.get("last_name") or "").title(), "", _full_date(
                       f, rec.get("date_of_birth")), None, state, "")


def subscriber_rows(records: Iterable[Mapping[str, str | None]], rows: int, *, seed: int = 0
                    ) -> tuple[list[tuple[str, ...]], list[tuple[str, str, str]]]:
    """``rows`` subscriber rows (``SUBSCRIBER_COLUMNS``) and their truth (``TRUTH_COLUMNS``).

    ``records`` are death records (registry columns: ssn, first_name, middle_name,
    last_name, date_of_birth); 40% of the rows are perturbed copies of a sample of them.
    Deterministic for the same records, rows and seed.
    """
    f = _Factory(random.Random(seed), seed, date(2026, 11, 1))
    r = f.rng
    pool = list(records)
    male = frozenset(_census()["M"].names)
    n = {k: min(len(pool), round(rows * share)) for k, share in _SHARES.items()}
    while sum(n.values()) > len(pool):  # a small registry: fewer of each, dead ones first
        for key in reversed(tuple(n)):
            if n[key] and sum(n.values()) > len(pool):
                n[key] -= 1
    picked = r.sample(pool, sum(n.values()))
    for rec in picked:
        f.used.add(str(rec["ssn"]))
    out: list[tuple[_Customer, str, str]] = []
    it = iter(picked)
    for _ in range(n["dead"]):
        p = _person(f, next(it), male)
        customer, label = _dead_customer(f, p)
        out.append((customer, p.ssn, label))
    for _ in range(n["twin"]):
        p = _person(f, next(it), male)
        sex = r.choice("MF")
        first = f.other_first(sex, p.first)
        out.append((_Customer(_near_ssn(f, p.ssn), first, f.other_first(sex, first), p.last,
                              p.dob, sex, p.state), "", "twin"))
    for _ in range(n["namesake"]):
        p = _person(f, next(it), male)
        q = f.living()
        dob = q.dob if q.dob != p.dob else q.dob - timedelta(days=400)
        out.append((_Customer(q.ssn, p.first, q.middle, p.last, dob, p.sex, q.state), "",
                    "namesake"))
    for _ in range(n["living-dead-ssn"]):
        p = _person(f, next(it), male)
        q = f.living()
        out.append((_Customer(p.ssn, q.first, q.middle, q.last, q.dob, q.sex, q.state), "",
                    "living-dead-ssn"))
    for _ in range(n["near-ssn"]):
        p = _person(f, next(it), male)
        q = f.living()
        ssn = _ssn_variant(f, p.ssn, transpose=False) or q.ssn
        out.append((_Customer(ssn, q.first, q.middle, q.last, q.dob, q.sex, q.state), "",
                    "near-ssn"))
    while len(out) < rows:
        q = f.living()
        out.append((_Customer(q.ssn, q.first, q.middle, q.last, q.dob, q.sex, q.state), "",
                    "living"))
    r.shuffle(out)
    table: list[tuple[str, ...]] = []
    truth: list[tuple[str, str, str]] = []
    for i, (c, dmf_ssn, label) in enumerate(out, 1):
        ident = f"S{i:07d}"
        ssn = f"{c.ssn[:3]}-{c.ssn[3:5]}-{c.ssn[5:]}" if c.ssn and r.random() < 0.35 else c.ssn
        names = (c.first, c.middle, c.last)
        if r.random() < 0.2:
            names = (c.first.upper(), c.middle.upper(), c.last.upper())
        table.append((ident, ssn, *names, c.dob.isoformat(), c.sex, c.state))
        truth.append((ident, dmf_ssn, label))
    return table, truth
