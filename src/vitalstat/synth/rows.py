"""Statements as file rows: legacy DMF entries and tabular report rows with their reporters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from vitalstat.formats.dmf import DmfEntry
from vitalstat.synth.people import _STATES, _Factory, _norm, _Person, _Report

_Key = tuple[str, str]  # (kind, source id within the kind: state code, funeral home)
_RELATIONSHIPS = ("spouse", "spouse", "child", "child", "child", "sibling", "grandchild",
                  "parent", "niece/nephew")


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
