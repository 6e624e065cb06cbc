"""Synthetic people: census name pools, the seeded person factory, dates and SSNs.

Names are drawn with the 1990 US census frequencies shipped by the ``names`` package
(plus a few percent of accented, apostrophe, compound and suffixed names); SSNs are
random but valid; Faker (seeded) supplies ZIP codes and phone numbers.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import NamedTuple

import numpy as np

from vitalstat.domain.identity import SUFFIXES, PartialDate, normalize_name, ssn_problem

LEGACY_CUTOFF = date(2011, 11, 1)  # the public DMF changed (state records removed)

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
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_CENSUS_FLOOR = 0.00012  # weight of names the census lists with frequency 0.000


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
