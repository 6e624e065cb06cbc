"""The subscriber file and its answer key, with the data-entry differences (perturbations).

Dead customers carry realistic differences from what the file says about them; twins,
namesakes and living customers must not match.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from nicknames import NickNamer

from vitalstat.synth.people import _Factory, _norm, _Person, _typo
from vitalstat.synth.types import Progress

_PERTURBATIONS: dict[str, int] = {
    "exact": 30, "nickname": 10, "initial-first": 5, "initial-middle": 4,
    "first-middle-swap": 5, "surname-typo": 8, "surname-change": 6, "dob-transposed": 6,
    "ssn-one-digit": 7, "ssn-transposed": 5, "ssn-missing": 8, "combined": 6,
}  # fmt: skip
_NAME_ERRORS = ("nickname", "initial-first", "first-middle-swap", "surname-typo",
                "surname-change")
_ID_ERRORS = ("dob-transposed", "ssn-one-digit", "ssn-transposed", "ssn-missing")


@dataclass(slots=True)
class _Customer:
    ssn: str
    first: str
    middle: str
    last: str
    dob: date
    sex: str
    state: str


@functools.cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def _ssn_variant(f: _Factory, ssn: str, *, transpose: bool) -> str | None:
    """A one-digit error or an adjacent transposition: valid, and nobody else's SSN."""
    r = f.rng
    for _ in range(30):
        digits = list(ssn)
        i = r.randrange(8 if transpose else 9)
        if transpose:
            if digits[i] == digits[i + 1]:
                continue
            digits[i], digits[i + 1] = digits[i + 1], digits[i]
        else:
            digits[i] = r.choice([c for c in "0123456789" if c != digits[i]])
        if f.claim(candidate := "".join(digits)):
            return candidate
    return None


def _perturb(f: _Factory, what: str, c: _Customer) -> bool:
    """Apply one data-entry difference to ``c`` in place; False if it does not apply."""
    r = f.rng
    if what == "nickname":
        nicks = sorted(_nicknamer().nicknames_of(c.first))
        if not nicks:
            return False
        c.first = r.choice(nicks).title()
    elif what == "initial-first":
        c.first = _norm(c.first)[:1]
    elif what in ("initial-middle", "first-middle-swap"):
        if not c.middle:
            return False
        if what == "initial-middle":
            c.middle = _norm(c.middle)[:1]
        else:
            c.first, c.middle = c.middle, c.first
    elif what == "surname-typo":
        c.last = _typo(r, c.last)
    elif what == "surname-change":  # maiden name on one side, married name on the other
        new = f.surname()
        if c.sex != "F" or _norm(new) == _norm(c.last):
            return False
        c.last = new
    elif what == "dob-transposed":
        if c.dob.day > 12 or c.dob.day == c.dob.month:
            return False
        c.dob = date(c.dob.year, c.dob.day, c.dob.month)
    elif what in ("ssn-one-digit", "ssn-transposed"):
        variant = _ssn_variant(f, c.ssn, transpose=what == "ssn-transposed")
        if variant is None:
            return False
        c.ssn = variant
    elif what == "ssn-missing":
        c.ssn = ""
    return True


def _dead_customer(f: _Factory, p: _Person) -> tuple[_Customer, str]:
    r = f.rng
    state = p.state if r.random() < 0.9 else f.state()
    while True:
        what = r.choices(tuple(_PERTURBATIONS), weights=tuple(_PERTURBATIONS.values()))[0]
        steps = [r.choice(_NAME_ERRORS), r.choice(_ID_ERRORS)] if what == "combined" else [what]
        c = _Customer(p.ssn, p.first, p.middle, p.last, p.dob, p.sex, state)
        if all(_perturb(f, step, c) for step in steps):
            return c, "+".join(steps)


def _near_ssn(f: _Factory, ssn: str) -> str:
    """An SSN a few serial numbers away (siblings' SSNs were often issued together)."""
    for _ in range(50):
        serial = int(ssn[5:]) + f.rng.choice((-1, 1)) * f.rng.randint(1, 25)
        if 1 <= serial <= 9999 and f.claim(candidate := f"{ssn[:5]}{serial:04d}"):
            return candidate
    return f.ssn()


def _customers(f: _Factory, on_file: list[_Person], rows: int) -> list[tuple[_Customer, str, str]]:
    """(customer, the SSN they are listed under or "", perturbation label), shuffled."""
    r = f.rng
    n_dead = min(round(rows * 0.4), len(on_file))
    n_twin = min(len(on_file), max(1, round(rows * 0.02)), rows - n_dead)
    n_namesake = min(len(on_file), max(1, round(rows * 0.02)), rows - n_dead - n_twin)
    out: list[tuple[_Customer, str, str]] = []
    for p in r.sample(on_file, n_dead):
        customer, label = _dead_customer(f, p)
        out.append((customer, p.ssn, label))
    for p in r.sample(on_file, n_twin):
        sex = r.choice("MF")
        first = f.other_first(sex, p.first)
        middle = f.other_first(sex, first)
        out.append((_Customer(_near_ssn(f, p.ssn), first, middle, p.last, p.dob, sex, p.state),
                    "", "twin"))
    for p in r.sample(on_file, n_namesake):
        q = f.living()
        if q.dob == p.dob:
            q.dob -= timedelta(days=400)
        out.append((_Customer(q.ssn, p.first, q.middle, p.last, q.dob, p.sex, q.state),
                    "", "namesake"))
    for _ in range(rows - len(out)):
        q = f.living()
        out.append((_Customer(q.ssn, q.first, q.middle, q.last, q.dob, q.sex, q.state),
                    "", "living"))
    r.shuffle(out)
    return out


def _write_subscriber(f: _Factory, out_dir: Path, customers: list[tuple[_Customer, str, str]],
                      progress: Progress | None) -> tuple[Path, Path]:
    r = f.rng
    sub_path, truth_path = out_dir / "subscriber.csv", out_dir / "subscriber-truth.csv"
    with _csv_out(sub_path) as sub_file, _csv_out(truth_path) as truth_file:
        sub, truth = csv.writer(sub_file, lineterminator="\n"), csv.writer(truth_file,
                                                                          lineterminator="\n")
        sub.writerow(("id", "ssn", "first_name", "middle_name", "last_name", "dob", "sex", "state"))
        truth.writerow(("id", "dmf_ssn", "perturbation"))
        for n, (c, dmf_ssn, label) in enumerate(customers, 1):
            ident = f"C{n:07d}"
            ssn = f"{c.ssn[:3]}-{c.ssn[3:5]}-{c.ssn[5:]}" if c.ssn and r.random() < 0.35 else c.ssn
            names = (c.first, c.middle, c.last)
            if r.random() < 0.2:
                names = tuple(s.upper() for s in names)
            sub.writerow((ident, ssn, *names, c.dob.isoformat(), c.sex, c.state))
            truth.writerow((ident, dmf_ssn, label))
            if progress and n % 5000 == 0:
                progress("subscriber", n, len(customers))
    if progress:
        progress("subscriber", len(customers), len(customers))
    return sub_path, truth_path


def _csv_out(path: Path) -> IO[str]:
    return path.open("w", encoding="utf-8", newline="")
