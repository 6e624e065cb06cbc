"""Synthetic people, death reports and a subscriber file: realistic, deterministic, offline.

Everything here is invented. Names are drawn with the 1990 US census frequencies shipped
by the ``names`` package (plus a few percent of accented, apostrophe, compound and
suffixed names); SSNs are random but valid; Faker (seeded) supplies ZIP codes and phone
numbers. The same seed and arguments always give byte-identical files.

``generate`` writes a whole scenario (legacy DMF full and update files, per-source
CSV/Parquet report files, a subscriber file with its answer key and ``manifest.tsv``);
``write_dmf_full_file`` streams a large DMF full file quickly for benchmarks.
"""

from __future__ import annotations

import csv
import functools
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
from nicknames import NickNamer

from vitalstat.domain.identity import SUFFIXES, PartialDate, normalize_name, ssn_problem
from vitalstat.domain.reports import SourceKind
from vitalstat.formats.dmf import DmfEntry, write_dmf

__all__ = ["Manifest", "Progress", "ReportFile", "generate", "write_dmf_full_file"]

#: ``progress(stage, done, total)``: called now and then so a CLI can draw a bar.
Progress = Callable[[str, int, int], None]

LEGACY_CUTOFF = date(2011, 11, 1)  # the public DMF changed (state records removed)
LEGACY_SOURCE_ID = "ntis"

# 2020 census populations (millions, rounded): where people live and die.
_STATES: dict[str, float] = {
    "CA": 39.5, "TX": 29.1, "FL": 21.5, "NY": 20.2, "PA": 13.0, "IL": 12.8, "OH": 11.8,
    "GA": 10.7, "NC": 10.4, "MI": 10.1, "NJ": 9.3, "VA": 8.6, "WA": 7.7, "AZ": 7.2,
    "MA": 7.0, "TN": 6.9, "IN": 6.8, "MD": 6.2, "MO": 6.2, "WI": 5.9, "CO": 5.8, "MN": 5.7,
    "SC": 5.1, "AL": 5.0, "LA": 4.7, "KY": 4.5, "OR": 4.2, "OK": 4.0, "CT": 3.6, "UT": 3.3,
    "IA": 3.2, "NV": 3.1, "AR": 3.0, "MS": 3.0, "KS": 2.9, "NM": 2.1, "NE": 2.0, "ID": 1.8,
    "WV": 1.8, "HI": 1.5, "NH": 1.4, "ME": 1.4, "RI": 1.1, "MT": 1.1, "DE": 1.0, "SD": 0.9,
    "ND": 0.8, "AK": 0.7, "DC": 0.7, "VT": 0.6, "WY": 0.6,
}  # fmt: skip

_ACCENTED_FIRST = {
    "M": ("José", "Jesús", "André", "Ramón", "Joaquín", "Björn", "Søren", "Noël", "Rubén"),
    "F": ("Zoë", "Renée", "María", "Chloé", "Inés", "Béatrice", "Françoise", "Mónica", "Noémie"),
}
_COMPOUND_FIRST = {
    "M": ("Jean-Paul", "Billy Joe", "John Paul", "Juan Carlos"),
    "F": ("Mary Ann", "Anna-Maria", "Mary Beth", "Sarah Jane"),
}
_APOSTROPHE_LAST = ("O'Brien", "D'Angelo", "O'Connor", "O'Neil", "D'Amico", "O'Malley",
                    "D'Souza", "O'Hara", "Dell'Orto", "N'Diaye")
_ACCENTED_LAST = ("Muñoz", "Peña", "Núñez", "Ibáñez", "Gómez", "Müller", "Ødegaard",
                  "Lefèvre", "Østergaard", "Señor")
_PARTICLE_LAST = ("De La Cruz", "Van Buren", "Del Rio", "St. John", "Mac Donald", "Le Blanc")
_RELATIONSHIPS = ("spouse", "spouse", "child", "child", "child", "sibling", "grandchild",
                  "parent", "niece/nephew")
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_CENSUS_FLOOR = 0.00012  # weight of names the census lists with frequency 0.000


# ------------------------------------------------------------------------ public types


class ReportFile(NamedTuple):
    """One report file, as listed in ``manifest.tsv``."""

    path: Path
    format: str  # "dmf", "csv" or "parquet"
    source_kind: str
    source_id: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What :func:`generate` wrote. ``files`` are in ingest order."""

    out_dir: Path
    files: list[ReportFile]
    people: int
    subscriber: Path
    truth: Path


# ----------------------------------------------------------------------- census names


class _Pool(NamedTuple):
    names: tuple[str, ...]
    cum: tuple[float, ...]


def _read_census(filename: str) -> _Pool:
    text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
    names: list[str] = []
    cum: list[float] = []
    total = 0.0
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            total += max(float(parts[1]), _CENSUS_FLOOR)
            names.append(parts[0])
            cum.append(total)
    return _Pool(tuple(names), tuple(cum))


@functools.cache
def _census() -> dict[str, _Pool]:
    """The census lists, loaded once: ``M`` and ``F`` first names, ``L`` surnames."""
    return {
        "M": _read_census("dist.male.first"),
        "F": _read_census("dist.female.first"),
        "L": _read_census("dist.all.last"),
    }


#: ``normalize_name``, memoised: the same few thousand names come back all the time.
_norm = functools.lru_cache(maxsize=1 << 16)(normalize_name)


def _title(upper: str) -> str:
    return upper.capitalize() if not upper.startswith("MC") else "Mc" + upper[2:].capitalize()


# ---------------------------------------------------------------------------- people


@dataclass(slots=True)
class _Person:
    ssn: str
    sex: str
    first: str
    middle: str
    last: str
    suffix: str
    dob: date
    dod: date | None
    state: str
    zip: str
    proof: str = ""  # as the legacy DMF has it


@dataclass(slots=True)
class _Report:
    """One source's statement about a person; may differ from the truth on purpose."""

    person: _Person
    dod: PartialDate
    dob: PartialDate | None
    first: str
    last: str
    proof: str | None = None  # None: the source kind's usual proof level


def _pdate(d: date) -> PartialDate:
    return PartialDate(d.year, d.month, d.day)


class _Factory:
    """Random people and their attributes, from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random, seed: int, today: date) -> None:
        from faker import Faker

        self.rng = rng
        self.today = today
        self.pools = _census()
        self.used: set[str] = set()
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.state_codes = tuple(_STATES)
        self.state_cum = tuple(np.cumsum(list(_STATES.values())).tolist())
        self.zips = {st: [fake.zipcode_in_state(st) for _ in range(12)] for st in _STATES}
        self.phones = [fake.basic_phone_number() for _ in range(600)]
        self.funeral_ids: tuple[str, ...] = ()
        self.bank_id = ""

    def organisations(self, people: int) -> None:
        """Name the funeral homes (more for more people) and the bank that report."""
        ids: list[str] = []
        while len(ids) < max(2, min(12, 2 + people // 15_000)):
            slug = f"{_norm(self.surname()).lower().replace(' ', '-')}-"
            slug += self.state().lower()
            if slug not in ids:
                ids.append(slug)
        self.funeral_ids = tuple(ids)
        self.bank_id = f"{_norm(self.surname()).lower().replace(' ', '-')}-national-bank"

    # -- names
    def _draw(self, pool: str) -> str:
        p = self.pools[pool]
        return self.rng.choices(p.names, cum_weights=p.cum)[0]

    def first_name(self, sex: str) -> str:
        u = self.rng.random()
        if u < 0.025:
            return self.rng.choice(_ACCENTED_FIRST[sex])
        if u < 0.035:
            return self.rng.choice(_COMPOUND_FIRST[sex])
        return _title(self._draw(sex))

    def surname(self) -> str:
        r = self.rng
        u = r.random()
        if u < 0.015:
            return r.choice(_APOSTROPHE_LAST)
        if u < 0.03:
            return r.choice(_ACCENTED_LAST)
        if u < 0.035:
            return r.choice(_PARTICLE_LAST)
        if u < 0.055:
            compound = f"{_title(self._draw('L'))}-{_title(self._draw('L'))}"
            norm = _norm(compound)
            if len(norm) <= 20 and not SUFFIXES.intersection(norm.split()):
                return compound
        return _title(self._draw("L"))

    def other_first(self, sex: str, avoid: str) -> str:
        while True:
            name = self.first_name(sex)
            if _norm(name) != _norm(avoid):
                return name

    def phone(self) -> str:
        return self.rng.choice(self.phones)

    def email(self, first: str, last: str) -> str:
        local = (_norm(first)[:1] + _norm(last).replace(" ", "")).lower()
        return f"{local}{self.rng.randint(1, 999)}@{self.rng.choice(_EMAIL_DOMAINS)}"

    # -- numbers and places
    def ssn(self) -> str:
        r = self.rng
        while True:
            area = r.randint(1, 898)
            area += area >= 666  # skip 666; 900-999 never drawn
            ssn = f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"
            if ssn not in self.used:
                self.used.add(ssn)
                return ssn

    def claim(self, ssn: str) -> bool:
        """Reserve a derived SSN (variant, twin) if valid and unused."""
        if ssn_problem(ssn) is not None or ssn in self.used:
            return False
        self.used.add(ssn)
        return True

    def state(self) -> str:
        return self.rng.choices(self.state_codes, cum_weights=self.state_cum)[0]

    def zip(self, state: str) -> str:
        return self.rng.choice(self.zips[state])

    def day_between(self, lo: date, hi: date) -> date:
        return date.fromordinal(self.rng.randint(lo.toordinal(), hi.toordinal()))

    # -- people
    def age_at_death(self) -> int:
        r = self.rng
        u = r.random()
        if u < 0.02:
            return r.randint(0, 17)
        if u < 0.12:
            return r.randint(18, 49)
        return min(106, max(50, round(r.gauss(79, 10))))

    def person(self, *, dod: date | None, dob: date | None = None) -> _Person:
        r = self.rng
        sex = "M" if r.random() < 0.5 else "F"
        first = self.first_name(sex)
        middle = "" if r.random() < 0.15 else self.other_first(sex, first)
        if len(_norm(middle)) > 15:
            middle = ""
        suffix = ""
        if sex == "M" and r.random() < 0.05:
            suffix = r.choice(("JR", "JR", "JR", "SR", "III", "II"))
        if dob is None:
            assert dod is not None
            days = self.age_at_death() * 365 + r.randint(0, 364)
            dob = max(dod - timedelta(days=days), date(1850, 1, 1))
        state = self.state()
        return _Person(self.ssn(), sex, first, middle, self.surname(), suffix, dob, dod,
                       state, self.zip(state))

    def dead(self, historic: bool) -> _Person:
        r = self.rng
        last_day = self.today - timedelta(days=1)
        if historic:
            lo, hi = date(1962, 1, 1).toordinal(), LEGACY_CUTOFF.toordinal() - 1
            dod = date.fromordinal(int(r.triangular(lo, hi, hi)))
        elif r.random() < 0.4:
            dod = self.day_between(max(LEGACY_CUTOFF, last_day - timedelta(days=3 * 365)),
                                   last_day)
        else:
            dod = self.day_between(LEGACY_CUTOFF, last_day)
        return self.person(dod=dod)

    def living(self) -> _Person:
        return self.person(dod=None, dob=self.day_between(date(1930, 1, 1), date(2006, 12, 31)))

    def partial(self, d: date, *, month_too: float = 0.1) -> PartialDate:
        if self.rng.random() < month_too:
            return PartialDate(d.year)
        return PartialDate(d.year, d.month)


# ------------------------------------------------------------------------- scenario

_RECENT_KINDS = ("state", "funeral", "family", "federal", "financial")
_RECENT_WEIGHTS = (50, 20, 10, 10, 10)
_HISTORIC_EXTRA = ("state", "federal", "financial")  # who still reports a pre-2011 death

_Key = tuple[str, str]  # (kind, source id within the kind: state code, funeral home)


@dataclass(slots=True)
class _Scenario:
    full: list[_Report] = field(default_factory=list)  # the legacy full file
    update: list[tuple[str, _Report]] = field(default_factory=list)  # (A/C/D, statement)
    reports: dict[_Key, list[_Report]] = field(default_factory=dict)  # the other sources
    on_file: list[_Person] = field(default_factory=list)  # dead people, not withdrawn


def _statement(p: _Person) -> _Report:
    """What a source that has it all right says about ``p``."""
    assert p.dod is not None
    return _Report(p, _pdate(p.dod), _pdate(p.dob), p.first, p.last)


def _typo(rng: random.Random, name: str) -> str:
    """One keying error (substitution, deletion, transposition) that changes the name."""
    for _ in range(20):
        chars = list(name)
        letters = [i for i, c in enumerate(chars) if c.isalpha()][1:]
        if len(letters) < 2:
            break
        i = rng.choice(letters)
        op = rng.randrange(3)
        if op == 0:
            new = rng.choice("aeioulnrst")
            chars[i] = new.upper() if chars[i].isupper() else new
        elif op == 1:
            del chars[i]
        elif chars[i - 1].isalpha():
            chars[i - 1], chars[i] = chars[i], chars[i - 1]
        out = "".join(chars)
        if _norm(out) and _norm(out) != _norm(name):
            return out
    return name + "s"


def _build_scenario(f: _Factory, people: int, progress: Progress | None) -> _Scenario:
    r = f.rng
    sc = _Scenario()
    persons: list[_Person] = []
    for i in range(people):
        persons.append(f.dead(historic=r.random() < 0.5))
        if progress and ((i + 1) % 5000 == 0 or i + 1 == people):
            progress("people", i + 1, people)
    historic = [p for p in persons if p.dod is not None and p.dod < LEGACY_CUTOFF]
    in_full: list[_Person] = []
    in_update: set[str] = set()
    for p in historic:
        p.proof = r.choices(("P", "V", ""), weights=(40, 35, 25))[0]
        if r.random() < 0.04:
            in_update.add(p.ssn)
        else:
            in_full.append(p)

    # Legacy corrections: a few withdrawn (D), some with a detail fixed (C).
    order = list(in_full)
    r.shuffle(order)
    n_d = min(len(order), max(1, round(len(order) * 0.005)))
    n_c = min(len(order) - n_d, max(1, round(len(order) * 0.02)))
    withdrawn, changed = order[:n_d], order[n_d : n_d + n_c]
    special = {p.ssn for p in withdrawn} | {p.ssn for p in changed}

    # Multi-source people (~15%): a few conflicting, a few with a coarser date somewhere.
    candidates = [p for p in persons if p.ssn not in special]
    r.shuffle(candidates)
    multi = candidates[: round(people * 0.15)]
    n_conflict = min(len(multi), max(1, round(len(multi) * 0.01)))
    n_coarse = min(len(multi) - n_conflict, max(1, round(len(multi) * 0.03)))
    conflict = {p.ssn for p in multi[:n_conflict]}
    multi_ssns = {p.ssn for p in multi}

    def add(key: _Key, rep: _Report) -> None:
        sc.reports.setdefault(key, []).append(rep)

    def key_for(kind: str, p: _Person) -> _Key:
        if kind == "state":
            return ("state", p.state)
        if kind == "funeral":  # a home in the person's state, if there is one
            local = [fid for fid in f.funeral_ids if fid.endswith(f"-{p.state.lower()}")]
            return ("funeral", r.choice(local or f.funeral_ids))
        return (kind, "")

    primary_kind: dict[str, str] = {}
    for p in persons:
        assert p.dod is not None
        rep = _statement(p)
        if p.ssn not in conflict and r.random() < 0.03:
            rep.dod = f.partial(p.dod)
        if p.dod < LEGACY_CUTOFF:
            rep.proof = p.proof
            if p.ssn not in multi_ssns and r.random() < 0.02:
                rep.dob = None if r.random() < 0.5 else PartialDate(p.dob.year, p.dob.month)
            primary_kind[p.ssn] = "legacy"
            if p.ssn in in_update:
                sc.update.append(("A", rep))
            else:
                sc.full.append(rep)
        else:
            kind = r.choices(_RECENT_KINDS, weights=_RECENT_WEIGHTS)[0]
            primary_kind[p.ssn] = kind
            add(key_for(kind, p), rep)

    position = {rep.person.ssn: i for i, rep in enumerate(sc.full)}
    for p in withdrawn:
        sc.update.append(("D", sc.full[position[p.ssn]]))
    for p in changed:
        right = sc.full[position[p.ssn]]
        sc.full[position[p.ssn]] = _corrupt(f, right)
        sc.update.append(("C", right))

    for i, p in enumerate(multi):
        assert p.dod is not None
        pool = _HISTORIC_EXTRA if p.dod < LEGACY_CUTOFF else _RECENT_KINDS
        kinds = [k for k in pool if k != primary_kind[p.ssn]]
        extra = r.sample(kinds, 2 if r.random() < 0.2 else 1)
        for j, kind in enumerate(extra):
            rep = _statement(p)
            if j == 0 and i < n_conflict:
                if (p.dod - p.dob).days > 90 and r.random() < 0.5:
                    rep.dod = _pdate(p.dod - timedelta(days=r.randint(1, 60)))
                else:
                    rep.first = f.other_first(p.sex, p.first)
            elif j == 0 and i < n_conflict + n_coarse:
                rep.dod = f.partial(p.dod, month_too=0.2)
            add(key_for(kind, p), rep)

    sc.full.sort(key=lambda rep: rep.person.ssn)
    sc.update.sort(key=lambda t: t[1].person.ssn)
    gone = {p.ssn for p in withdrawn}
    sc.on_file = [p for p in persons if p.ssn not in gone]
    return sc


def _corrupt(f: _Factory, right: _Report) -> _Report:
    """The full file's wrong version of a statement the update file corrects (``C``)."""
    p = right.person
    assert p.dod is not None
    wrong = _Report(p, right.dod, right.dob, right.first, right.last, right.proof)
    what = f.rng.choice(("first", "last", "dob", "proof", "dod"))
    if what == "first":
        wrong.first = _typo(f.rng, right.first)
    elif what == "last":
        wrong.last = _typo(f.rng, right.last)
    elif what == "dob" or (what == "dod" and (p.dod - p.dob).days < 400):
        wrong.dob = _pdate(p.dob - timedelta(days=365))
    elif what == "proof":
        wrong.proof, right.proof = "", "P"
    else:
        wrong.dod = _pdate(p.dod - timedelta(days=f.rng.randint(1, 30)))
    return wrong


# ------------------------------------------------------------------------ reporters


@dataclass(frozen=True, slots=True)
class _Office:
    """A reporting organisation: its staff names and phone."""

    name: str
    staff: tuple[str, ...]
    phone: str


def _office(f: _Factory, name: str, staff: int) -> _Office:
    people = tuple(f"{f.first_name(f.rng.choice('MF'))} {f.surname()}" for _ in range(staff))
    return _Office(name, people, f.phone())


# ---------------------------------------------------------------------------- files

def _dmf_entries(reps: Iterable[tuple[str, _Report]]) -> Iterator[DmfEntry]:
    for action, rep in reps:
        p = rep.person
        yield DmfEntry(
            action=action,
            ssn=p.ssn,
            last_name=_norm(rep.last)[:20],
            suffix=p.suffix,
            first_name=_norm(rep.first)[:15],
            middle_name=_norm(p.middle)[:15],
            proof=rep.proof or "",
            date_of_death=rep.dod,
            date_of_birth=rep.dob,
            state=p.state,
            zip_residence=p.zip,
            zip_payment=p.zip if int(p.ssn[-1]) < 7 else "",
        )


class _RowMaker:
    """Turns statements into tabular rows (``vitalstat.formats.tabular.COLUMNS``)."""

    def __init__(self, f: _Factory) -> None:
        self.f = f
        self.funeral = {fid: _office(f, fid, f.rng.randint(1, 3)) for fid in f.funeral_ids}
        self.federal = _office(f, "va", 4)
        self.bank = _office(f, f.bank_id, 6)
        self.registrar = {st: f.phone() for st in _STATES}

    def rows(self, key: _Key, reps: list[_Report]) -> list[dict[str, str]]:
        kind, ident = key
        prefix = {"state": ident, "funeral": "FH", "family": "FAM", "federal": "VA",
                  "financial": "FI"}[kind]
        return [self.row(kind, ident, f"{prefix}-{n:07d}", rep) for n, rep in enumerate(reps, 1)]

    def row(self, kind: str, ident: str, report_id: str, rep: _Report) -> dict[str, str]:
        r, p = self.f.rng, rep.person
        first, middle, last = rep.first, p.middle, rep.last
        if kind == "state":  # registries send capitals
            first, middle, last = first.upper(), middle.upper(), last.upper()
        ssn = p.ssn
        if kind in ("family", "financial") and r.random() < 0.3:
            ssn = f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"
        name, relationship, contact, proof = self.reporter(kind, ident, p)
        return {
            "action": "A", "ssn": ssn, "last_name": last, "first_name": first,
            "middle_name": middle, "suffix": p.suffix, "date_of_death": rep.dod.iso(),
            "date_of_birth": rep.dob.iso() if rep.dob else "",
            "proof": rep.proof if rep.proof is not None else proof,
            "sex": p.sex, "state": p.state, "zip_residence": p.zip, "zip_payment": "",
            "source_report_id": report_id, "reporter_name": name,
            "reporter_relationship": relationship, "reporter_contact": contact,
        }  # fmt: skip

    def reporter(self, kind: str, ident: str, p: _Person) -> tuple[str, str, str, str]:
        """(name, relationship, contact, proof) of the person making the report."""
        f, r = self.f, self.f.rng
        if kind == "state":
            office = f"Office of Vital Records ({ident})"
            return office, "state registrar", self.registrar[ident], "P"
        if kind == "funeral":
            home = self.funeral[ident]
            proof = "P" if r.random() < 0.3 else "V"
            return r.choice(home.staff), "funeral director", home.phone, proof
        if kind == "federal":
            officer = r.choice(self.federal.staff)
            return officer, "records officer", f.email(*officer.split(" ", 1)), r.choice("PV")
        if kind == "financial":
            proof = "V" if r.random() < 0.6 else ""
            return r.choice(self.bank.staff), "bank officer", self.bank.phone, proof
        relationship = r.choice(_RELATIONSHIPS)
        age = (p.dod or self.f.today).year - p.dob.year
        if (relationship == "parent" and age >= 60) or (relationship == "grandchild" and age < 45):
            relationship = "child" if age >= 30 else "sibling"
        same_name = relationship in ("spouse", "child", "sibling", "parent")
        last = p.last if same_name and r.random() < 0.75 else f.surname()
        sex = r.choice("MF")
        if relationship == "spouse":
            sex = "F" if p.sex == "M" else "M"
        first = f.first_name(sex)
        contact = f.phone() if r.random() < 0.7 else f.email(first, last)
        return f"{first} {last}", relationship, contact, "V"


# ------------------------------------------------------------------------ subscriber

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


# ------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    *,
    people: int = 100_000,
    seed: int = 0,
    subscriber_rows: int | None = None,
    today: date = date(2026, 11, 1),
    progress: Progress | None = None,
) -> Manifest:
    """Write a synthetic scenario of ``people`` dead people into ``out_dir``.

    Files: ``legacy-dmf.dmf`` (full file, deaths before Nov 2011), ``legacy-dmf-update.dmf``
    (A/C/D), ``state-vital-records-XX.csv``, ``funeral-home-*.csv``, ``family.csv``,
    ``federal-agency.parquet``, ``financial-institution.csv``, ``manifest.tsv`` (the report
    files in ingest order) and ``subscriber.csv`` with its answer key
    ``subscriber-truth.csv`` (living customers are generated on top of ``people``).
    Identical arguments give byte-identical files; nothing depends on the clock.
    """
    from vitalstat.formats.tabular import write_csv, write_parquet

    if people < 1:
        raise ValueError("people must be at least 1")
    if today <= LEGACY_CUTOFF + timedelta(days=365):
        raise ValueError(f"today must be after {LEGACY_CUTOFF.year + 1}-11-01")
    out_dir.mkdir(parents=True, exist_ok=True)
    f = _Factory(random.Random(seed), seed, today)
    f.organisations(people)
    sc = _build_scenario(f, people, progress)
    maker = _RowMaker(f)

    legacy = SourceKind.LEGACY_DMF.value
    plan: list[tuple[_Key, str, str, str]] = []  # key, file name, kind, source id
    for key in sorted(sc.reports):
        kind, ident = key
        plan.append({
            "state": (key, f"state-vital-records-{ident}.csv",
                      SourceKind.STATE_VITAL_RECORDS.value, ident),
            "funeral": (key, f"funeral-home-{ident}.csv", SourceKind.FUNERAL_HOME.value, ident),
            "family": (key, "family.csv", SourceKind.FAMILY.value, "family"),
            "federal": (key, "federal-agency.parquet", SourceKind.FEDERAL_AGENCY.value, "va"),
            "financial": (key, "financial-institution.csv",
                          SourceKind.FINANCIAL_INSTITUTION.value, f.bank_id),
        }[kind])  # fmt: skip
    plan.sort(key=lambda t: (_RECENT_KINDS.index(t[0][0]), t[1]))
    total = len(plan) + 2
    files = [
        ReportFile(out_dir / "legacy-dmf.dmf", "dmf", legacy, LEGACY_SOURCE_ID),
        ReportFile(out_dir / "legacy-dmf-update.dmf", "dmf", legacy, LEGACY_SOURCE_ID),
    ]
    write_dmf(files[0].path, _dmf_entries((" ", rep) for rep in sc.full))
    if progress:
        progress("files", 1, total)
    write_dmf(files[1].path, _dmf_entries(sc.update), update=True)
    if progress:
        progress("files", 2, total)
    for n, (key, name, kind, ident) in enumerate(plan, 3):
        path = out_dir / name
        rows = maker.rows(key, sc.reports[key])
        if path.suffix == ".parquet":
            write_parquet(path, rows)
        else:
            write_csv(path, rows)
        files.append(ReportFile(path, path.suffix.lstrip("."), kind, ident))
        if progress:
            progress("files", n, total)

    with (out_dir / "manifest.tsv").open("w", encoding="utf-8", newline="\n") as out:
        out.write("file\tformat\tsource_kind\tsource_id\n")
        for rf in files:
            out.write(f"{rf.path.name}\t{rf.format}\t{rf.source_kind}\t{rf.source_id}\n")

    rows_wanted = min(people, 20_000) if subscriber_rows is None else subscriber_rows
    customers = _customers(f, sc.on_file, rows_wanted)
    sub_path, truth_path = _write_subscriber(f, out_dir, customers, progress)
    return Manifest(out_dir, files, people, sub_path, truth_path)


# ---------------------------------------------------------------- fast DMF full file

_PER_AREA = 99 * 9999  # valid (group, serial) pairs per area number
_SSN_SPACE = 898 * _PER_AREA  # areas 001-899 without 666
_CHUNK = 1 << 16
_GRID = 1 << 20  # resolution of the name samplers


def _ascii_table(names: Iterable[str], width: int) -> np.ndarray:
    padded = [n[:width].ljust(width).encode("ascii") for n in names]
    return np.array(padded, dtype=f"S{width}").view(np.uint8).reshape(len(padded), width)


def _digit_table(width: int) -> np.ndarray:
    """Row ``n`` is ``n`` as ``width`` ASCII digits (zero-padded)."""
    return _ascii_table([f"{n:0{width}d}" for n in range(10**width)], width)


def _sampler(cum: tuple[float, ...]) -> np.ndarray:
    """An inverse-CDF grid: ``grid[random cell]`` draws an index with the given weights."""
    c = np.asarray(cum)
    cells = (np.arange(_GRID) + 0.5) * (c[-1] / _GRID)
    return np.minimum(np.searchsorted(c, cells, side="right"), len(c) - 1).astype(np.int32)


@functools.cache
def _fast_tables() -> dict[str, np.ndarray]:
    pools = _census()
    male, female = pools["M"], pools["F"]
    days = np.zeros((400, 13), dtype=np.int64)  # days[year - 1800, month]
    for year in range(1800, 2200):
        for month in range(1, 13):
            days[year - 1800, month] = (date(year + month // 12, month % 12 + 1, 1)
                                        - date(year, month, 1)).days
    return {
        "last": _ascii_table(pools["L"].names, 20),
        "last_grid": _sampler(pools["L"].cum),
        # male names, then female names, then one blank row (no middle name)
        "first": _ascii_table([*male.names, *female.names, ""], 15),
        "male_grid": _sampler(male.cum),
        "female_grid": _sampler(female.cum) + len(male.names),
        "suffix": _ascii_table(["", "JR", "SR", "III", "II"], 4),
        "suffix_grid": np.repeat(np.arange(5), [9500, 300, 100, 70, 30]),
        "proof": np.frombuffer(b"PV ", dtype=np.uint8),
        "proof_grid": np.repeat(np.arange(3), [40, 35, 25]),
        "days": days,
        "d2": _digit_table(2),
        "d3": _digit_table(3),
        "d4": _digit_table(4),
    }


def _put_dates(buf: np.ndarray, col: int, t: dict[str, np.ndarray], months: np.ndarray,
               days: np.ndarray, years: np.ndarray) -> None:
    """Write ``MMDDCCYY`` at ``buf[:, col:col + 8]``."""
    buf[:, col : col + 2] = t["d2"][months]
    buf[:, col + 2 : col + 4] = t["d2"][days]
    buf[:, col + 4 : col + 8] = t["d4"][years]


def write_dmf_full_file(path: Path, lines: int, *, seed: int = 0) -> int:
    """Stream ``lines`` synthetic DMF full-file records (100 bytes + ``\\n``) to ``path``.

    SSNs are valid, unique and ascending (one random pick in each of ``lines`` equal
    slices of the valid SSN space); names follow census frequencies; deaths fall between
    1962 and October 2011, with a few unknown days or months. Memory stays bounded (one
    chunk of about 130,000 lines at a time). Returns the number of lines written.
    """
    if not 0 <= lines <= _SSN_SPACE:
        raise ValueError(f"lines must be between 0 and {_SSN_SPACE}")
    t = _fast_tables()
    rng = np.random.default_rng(seed)
    step = _SSN_SPACE // max(lines, 1)
    blank_first = len(t["first"]) - 1
    days_in = t["days"]
    with path.open("wb") as out:
        for start in range(0, lines, _CHUNK):
            k = min(_CHUNK, lines - start)
            buf = np.full((k, 101), 32, dtype=np.uint8)
            buf[:, 100] = 10
            index = np.arange(start, start + k, dtype=np.int64) * step + rng.integers(0, step, k)
            area = index // _PER_AREA + 1
            area += area >= 666
            rest = index % _PER_AREA
            buf[:, 1:4] = t["d3"][area]
            buf[:, 4:6] = t["d2"][rest // 9999 + 1]
            buf[:, 6:10] = t["d4"][rest % 9999 + 1]
            cells = rng.integers(0, _GRID, (4, k), dtype=np.int32)
            buf[:, 10:30] = t["last"][t["last_grid"][cells[0]]]
            male = rng.random(k) < 0.5
            firsts = np.where(male, t["male_grid"][cells[1]], t["female_grid"][cells[1]])
            middles = np.where(male, t["male_grid"][cells[2]], t["female_grid"][cells[2]])
            middles[cells[3] < _GRID // 5] = blank_first
            buf[:, 34:49] = t["first"][firsts]
            buf[:, 49:64] = t["first"][middles]
            small = rng.integers(0, 10_000, (2, k))
            buf[:, 30:34] = t["suffix"][np.where(male, t["suffix_grid"][small[0]], 0)]
            buf[:, 64] = t["proof"][t["proof_grid"][small[1] % 100]]
            # dates of death: more recent years more common; none after October 2011
            year = rng.triangular(1962, 2012, 2012, k).astype(np.int64)
            month = rng.integers(1, 13, k)
            month[(year == 2011) & (month > 10)] -= 2
            day = 1 + (rng.random(k) * days_in[year - 1800, month]).astype(np.int64)
            unknown = rng.random(k)
            day[unknown < 0.02] = 0
            month[unknown < 0.003] = 0
            _put_dates(buf, 65, t, month, day, year)
            age = np.where(rng.random(k) < 0.12, rng.integers(1, 50, k),
                           np.clip(rng.normal(79, 10, k), 50, 106).astype(np.int64))
            year -= age
            month = rng.integers(1, 13, k)
            day = 1 + (rng.random(k) * days_in[year - 1800, month]).astype(np.int64)
            _put_dates(buf, 73, t, month, day, year)
            buf[rng.random(k) < 0.01, 73:81] = 48  # date of birth unknown
            out.write(buf.data)
    return lines
