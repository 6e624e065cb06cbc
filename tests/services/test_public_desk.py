"""The public desk's rules: a person's own details, the evidence upload rule, and the open
file's answer (both backends)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.domain.identity import OwnDetails, PartialDate, PersonName
from vitalstat.errors import NotFoundError, ValidationError
from vitalstat.services import public
from vitalstat.store import Store
from web_helpers import ANN, OLD, VITAL, _seed

MAGIC = [b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]


# ---------------------------------------------------------------- own details

_names = st.text(alphabet=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1,
                 max_size=12)
_days = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


def _styled(name: str, style: int) -> str:
    """The same name as a person might type it: lower case, padded, with an accent."""
    return [name, name.lower(), f"  {name.title()} ", name.replace("E", "\u00c9")][style]


@given(last=_names, first=_names, born=_days, style=st.integers(0, 3))
def test_a_person_typing_their_own_details_agrees(last: str, first: str, born: date,
                                                  style: int) -> None:
    name = PersonName.parse(last=last, first=first)
    dob = PartialDate(born.year, born.month, born.day)
    given_ = OwnDetails.parse(last_name=_styled(last, style), born=born.isoformat(),
                              first_name=_styled(first, style))
    assert given_.agree(name, dob)
    assert OwnDetails.parse(last_name=last, born=born.isoformat()).agree(name, dob)


@given(last=_names, first=_names, born=_days, shift=st.integers(-4000, 4000).filter(bool),
       other=_names)
def test_any_detail_wrong_disagrees(last: str, first: str, born: date, shift: int,
                                    other: str) -> None:
    name = PersonName.parse(last=last, first=first)
    dob = PartialDate(born.year, born.month, born.day)
    moved = (born + timedelta(days=shift)).isoformat()
    assert not OwnDetails.parse(last_name=last, born=moved, first_name=first).agree(name, dob)
    if other != last:
        assert not OwnDetails.parse(last_name=other, born=born.isoformat()).agree(name, dob)
    if other != first:
        assert not OwnDetails.parse(last_name=last, born=born.isoformat(),
                                    first_name=other).agree(name, dob)


@given(last=_names, born=_days, month_known=st.booleans())
def test_a_partial_date_of_birth_on_the_record_never_agrees(last: str, born: date,
                                                            month_known: bool) -> None:
    partial = PartialDate(born.year, born.month if month_known else 0, 0)
    name = PersonName.parse(last=last)
    assert not OwnDetails.parse(last_name=last, born=born.isoformat()).agree(name, partial)
    assert not OwnDetails.parse(last_name=last, born=partial.iso()).agree(name, partial)


def test_a_blank_surname_agrees_with_nothing() -> None:
    name = PersonName.parse(last="Jones")
    assert not OwnDetails.parse(last_name=" ", born="1938-02-20").agree(
        name, PartialDate(1938, 2, 20))


# ---------------------------------------------------------------- evidence uploads


@given(data=st.binary(max_size=600), limit=st.integers(1, 500))
def test_evidence_is_accepted_exactly_when_its_bytes_are_a_pdf_jpeg_or_png_in_size(
        data: bytes, limit: int) -> None:
    ok = bool(data) and len(data) <= limit and any(data.startswith(m) for m in MAGIC)
    try:
        kind = public.check_evidence(data, limit)
    except ValidationError as exc:
        assert not ok
        assert exc.field == "evidence"
    else:
        assert ok and kind in ("PDF document", "PNG image", "JPEG image")


@given(magic=st.sampled_from(MAGIC), body=st.binary(max_size=300))
def test_the_name_does_not_matter_only_the_bytes(magic: bytes, body: bytes) -> None:
    assert public.check_evidence(magic + body)
    with pytest.raises(ValidationError, match="not accepted"):
        public.check_evidence(b"MZ" + magic + body)  # a program called passport.pdf


class _Chunks(io.RawIOBase):
    """A stream handing out ``data`` in the given chunk sizes (as an upload arrives)."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.pos = data, sizes, 0
        self.reads = 0

    def read(self, n: int = -1) -> bytes:
        self.reads += 1
        size = self.sizes[(self.reads - 1) % len(self.sizes)] if self.sizes else n
        chunk = self.data[self.pos:self.pos + min(n, size)]
        self.pos += len(chunk)
        return chunk


@settings(max_examples=60)
@given(data=st.binary(max_size=3000), limit=st.integers(1, 2500),
       sizes=st.lists(st.integers(1, 700), min_size=1, max_size=5))
def test_read_upload_returns_the_bytes_or_refuses_past_the_limit(
        data: bytes, limit: int, sizes: list[int]) -> None:
    stream = _Chunks(data, sizes)
    if len(data) <= limit:
        assert public.read_upload(stream, limit) == data  # type: ignore[arg-type]
    else:
        with pytest.raises(ValidationError, match="larger than"):
            public.read_upload(stream, limit)  # type: ignore[arg-type]
        assert stream.pos <= limit + max(sizes)  # stopped soon after the limit


def test_staged_evidence_round_trips_and_a_forged_token_is_refused(tmp_path: Path) -> None:
    data = b"%PDF-1.4 synthetic"
    kept = public.stage_evidence(tmp_path, data, "../../etc/passport.pdf")
    again = public.staged_evidence(tmp_path, kept.token)
    assert again.file_name == "passport.pdf" and again.path.read_bytes() == data
    for forged in ("", "../x", "a" * 41, kept.token + "x"):
        with pytest.raises(ValidationError, match="no longer here"):
            public.staged_evidence(tmp_path, forged)
    public.discard_staged(again)
    with pytest.raises(ValidationError):
        public.staged_evidence(tmp_path, kept.token)


# ---------------------------------------------------------------- the open file


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> Store:
    _seed(store, tmp_path)
    return store


TODAY = date(2026, 12, 1)
PEOPLE = {OLD: ("Jones", "Robert", "1938-02-20"), ANN: ("Smith", "Ann", "1950-04-11"),
          VITAL: ("Brown", "Carol", "1940-05-06")}


def _listing(store: Store, ssn: str, last: str, first: str, dob: str
             ) -> public.OpenListing | None:
    return public.open_file_listing(store, ssn, last_name=last, first_name=first,
                                    date_of_birth=dob, today=TODAY)


def test_only_an_open_record_with_every_detail_right_is_listed(seeded: Store) -> None:
    listed = _listing(seeded, OLD, *PEOPLE[OLD])
    assert listed == public.OpenListing("ROBERT LEE JONES", "2010-09-14", "P")
    assert _listing(seeded, ANN, *PEOPLE[ANN]) is None  # inside the embargo
    assert _listing(seeded, VITAL, *PEOPLE[VITAL]) is None  # restricted source
    assert _listing(seeded, "423456789", *PEOPLE[OLD]) is None  # no record
    assert _listing(seeded, OLD, "Jones", "Bob", "1938-02-20") is None
    with pytest.raises(ValidationError, match="date"):
        _listing(seeded, OLD, "Jones", "Robert", "1938-02")  # malformed: said, record or not
    with pytest.raises(ValidationError, match="date"):
        _listing(seeded, "423456789", "Jones", "Robert", "1938-02")


def test_the_case_desk_opens_only_on_agreeing_details(seeded: Store) -> None:
    from vitalstat.domain.integrity import IntegrityRules

    def open_(ssn: str, last: str, dob: str) -> str:
        case, secret = public.open_case_public(
            seeded, ssn=ssn, last_name=last, date_of_birth=dob, kind="erroneous-death",
            opened_by="person", contact="p@example.org", rules=IntegrityRules())
        assert public.public_case_status(seeded, case.number, secret).state == "open"
        return case.number

    answers = []
    for ssn, last, dob in (("423456789", "Jones", "1938-02-20"),
                           (OLD, "Jones", "1938-02-21"), (OLD, "Smith", "1938-02-20")):
        with pytest.raises(NotFoundError) as caught:
            open_(ssn, last, dob)
        answers.append(str(caught.value))
    assert len(set(answers)) == 1 and answers[0] == public.NO_PUBLIC_CASE
    assert open_(VITAL, "Brown", "1940-05-06").startswith("C-")  # not open, yet correctable
