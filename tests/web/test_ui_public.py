"""The public pages without a browser: who may see them, CSRF, answers that never tell
whether an SSN is on the registry, bad input named by field, and what each action changes
in the store (both backends)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from httpx import Response
from hypothesis import given
from hypothesis import strategies as st

from disclosure_helpers import disclosure_request
from vitalstat.domain.access import Permission
from vitalstat.services import cases
from vitalstat.services.cases import verify_letter
from vitalstat.services.public import PUBLIC_ACTOR
from vitalstat.web.ui.base import CSRF_COOKIE, page_permissions
from vitalstat.web.ui.public_words import check_person
from web_helpers import ANN, OLD, VITAL, World

UNKNOWN = "423456789"
ROBERT = {"ssn": "223-45-6789", "last_name": "Jones", "first_name": "Robert",
          "date_of_birth": "1938-02-20"}
PDF = b"%PDF-1.4\n% synthetic evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PAGES = ["/ui/public/listed", "/ui/public/correction", "/ui/public/case",
         "/ui/public/accounting"]


def _csrf(world: World) -> str:
    world.client.get("/ui/public/listed")
    return world.client.cookies[CSRF_COOKIE]


def _post(world: World, path: str, data: dict[str, str],
          files: dict[str, Any] | None = None) -> Response:
    return world.client.post(path, data={**data, "csrf": _csrf(world)}, files=files,
                             follow_redirects=False)


_ECHO = re.compile(r'<input type="hidden" name="(ssn|last_name|first_name|date_of_birth|'
                   r'contact|by)" value="[^"]*">')


def _without_echo(html: str) -> str:
    """The page minus the values it echoes back in hidden fields (they are the input)."""
    html = _ECHO.sub("", html)
    return re.sub(r'(id="f-[a-z_]+" name="[a-z_]+" type="[a-z]+" value=")[^"]*"', r'\1"',
                  html)


# ---------------------------------------------------------------- access, CSRF


def test_every_public_page_is_public_and_in_the_header(sqlite_world: World) -> None:
    declared = {(m, p): perm for m, p, perm in page_permissions(sqlite_world.app)}
    for path in PAGES:
        assert declared[("GET", path)] is Permission.PUBLIC
        assert declared[("POST", path)] is Permission.PUBLIC
        r = sqlite_world.client.get(path)  # nobody signed in: no redirect
        assert r.status_code == 200, path
        assert f'href="{path}"' in r.text  # the header links to every public page
    for label in ("Am I listed?", "Ask for a correction", "Check a case",
                  "Who saw my record"):
        assert label in sqlite_world.client.get("/ui/").text


@pytest.mark.parametrize("path", [*PAGES, "/ui/public/case/evidence",
                                  "/ui/public/case/letter"])
def test_a_post_without_the_csrf_value_is_refused_and_changes_nothing(
        sqlite_world: World, path: str) -> None:
    _csrf(sqlite_world)
    r = sqlite_world.client.post(path, data={**ROBERT, "step": "review", "by": "person",
                                             "contact": "rob@example.org",
                                             "kind": "erroneous-death"})
    assert r.status_code == 403
    assert "expired or came from another site" in r.text
    assert cases.list_cases(sqlite_world.store) == []


def test_no_page_puts_an_ssn_in_an_address(sqlite_world: World) -> None:
    for path in PAGES:
        html = sqlite_world.client.get(path).text
        for form in re.findall(r"<form[^>]*>", html):
            assert 'method="post"' in form, (path, form)
            assert "?" not in form


# ---------------------------------------------------------------- am I listed?


def test_listed_only_when_the_open_tier_may_have_it_and_every_detail_agrees(
        sqlite_world: World) -> None:
    r = _post(sqlite_world, "/ui/public/listed", ROBERT)
    assert r.status_code == 200
    assert "The open file lists a death for these details" in r.text
    assert "14 September 2010" in r.text and "XXX-XX-6789" in r.text
    assert "Ask for a correction" in r.text
    assert r.headers["cache-control"] == "no-store"


def test_every_other_case_gets_one_identical_answer(world: World) -> None:
    """Unknown SSN, embargoed (Ann), restricted (Carol), wrong date of birth, wrong
    first name, wrong surname: the same page, word for word, but for the echoed input."""
    tries = [
        {**ROBERT, "ssn": UNKNOWN},
        {"ssn": ANN, "last_name": "Smith", "first_name": "Ann",
         "date_of_birth": "1950-04-11"},
        {"ssn": VITAL, "last_name": "Brown", "first_name": "Carol",
         "date_of_birth": "1940-05-06"},
        {**ROBERT, "date_of_birth": "1938-02-21"},
        {**ROBERT, "first_name": "Bob"},
        {**ROBERT, "last_name": "Jonas"},
    ]
    answers = [_post(world, "/ui/public/listed", t) for t in tries]
    assert {a.status_code for a in answers} == {200}
    pages = {_without_echo(a.text) for a in answers}
    assert len(pages) == 1, "the answers differ"
    page = pages.pop()
    assert "We found no listing on the open file for these details." in page
    assert "open a case" in page and "lists a death" not in page
    for t in tries:  # no detail of any record comes back
        assert "2025" not in page and "2012" not in page and "2010" not in page
        assert t["ssn"] not in page


def test_a_held_record_is_not_listed_once_its_case_is_open(sqlite_world: World) -> None:
    _open_case(sqlite_world)
    r = _post(sqlite_world, "/ui/public/listed", ROBERT)
    assert "We found no listing on the open file" in r.text


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"ssn": "666-12-3456"}, "Social Security number", "never issued"),
    ({"ssn": ""}, "Social Security number", "Enter your 9-digit"),
    ({"date_of_birth": "1950-13-40"}, "Date of birth", "year-month-day"),
    ({"date_of_birth": ""}, "Date of birth", "full date of birth"),
    ({"last_name": "123"}, "Last name", "in letters"),
    ({"first_name": ""}, "First name", "Enter your first name"),
])
def test_bad_input_is_a_422_page_naming_the_field(sqlite_world: World,
                                                  change: dict[str, str], field: str,
                                                  words: str) -> None:
    r = _post(sqlite_world, "/ui/public/listed", {**ROBERT, **change})
    assert r.status_code == 422
    assert "There is a problem" in r.text
    summary = re.search(r'<div class="notice notice-error error-summary".*?</div>', r.text,
                        re.S)
    assert summary and field in summary.group(0) and words in summary.group(0)
    assert 'aria-invalid="true"' in r.text


# ---------------------------------------------------------------- ask for a correction


def _step(world: World, step: str, values: dict[str, str],
          files: dict[str, Any] | None = None) -> Response:
    return _post(world, "/ui/public/correction", {**values, "step": step}, files=files)


def _open_case(world: World, *, evidence: bytes | None = PDF) -> tuple[str, str]:
    values = {**ROBERT, "by": "person", "contact": "rob@example.org"}
    assert _step(world, "about", values).status_code == 200
    values["kind"] = "erroneous-death"
    r = _step(world, "wrong", values)
    assert "Step 3 of 4" in r.text
    files = {"evidence": ("passport.pdf", evidence, "application/pdf")} if evidence else None
    r = _step(world, "evidence", {**values, "evidence_type": "identity-document"}, files)
    assert r.status_code == 200, r.text
    assert "Step 4 of 4" in r.text
    token = re.search(r'name="evidence_token" value="([^"]+)"', r.text)
    if evidence:
        assert token and "passport.pdf" in r.text
        values.update(evidence_token=token.group(1), evidence_type="identity-document")
    r = _step(world, "review", values)
    assert r.status_code == 201, r.text
    number = re.search(r'id="case-number">([^<]+)<', r.text)
    secret = re.search(r'id="case-secret">([^<]+)<', r.text)
    assert number and secret
    assert r.headers["cache-control"] == "no-store"
    return number.group(1), secret.group(1)


def test_opening_a_case_in_four_steps_holds_the_record_and_files_the_evidence(
        world: World) -> None:
    number, secret = _open_case(world)
    view = cases.show_case(world.store, number)
    assert view.case.state.value == "open" and view.case.opened_by.value == "person"
    assert view.case.contact == "rob@example.org"
    assert [e["file_name"] for e in view.evidence] == ["passport.pdf"]
    assert [e["type"] for e in view.evidence] == ["identity-document"]
    assert {s.actor for s in view.case.timeline} == {PUBLIC_ACTOR}
    with world.store.transaction(write=False) as tx:
        record = tx.get_record(OLD)
        stored = tx.case_secret_hash(view.case_id)
    assert record is not None and record.status.value == "held"
    assert "open-case" in {r.value for r in record.review_reasons}
    assert stored and secret not in stored  # only the hash is kept
    assert not list((world.config.cases_dir / "staging").glob("*.bin"))  # staged file gone


def test_details_that_do_not_fit_get_one_answer_and_open_nothing(world: World) -> None:
    base = {**ROBERT, "by": "person", "contact": "x@example.org"}
    tries = [{**base, "ssn": UNKNOWN}, {**base, "date_of_birth": "1938-02-21"},
             {**base, "ssn": VITAL}]
    answers = [_step(world, "about", t) for t in tries]
    assert {a.status_code for a in answers} == {404}
    assert len({_without_echo(a.text) for a in answers}) == 1
    assert "we found no record that matches" in answers[0].text.lower()
    # the last step refuses the same way (a form sent around the first step)
    sent = _step(world, "review", {**tries[0], "kind": "erroneous-death"})
    assert sent.status_code == 404 and "no case was opened" in sent.text
    assert cases.list_cases(world.store) == []


def test_a_restricted_record_can_be_corrected_by_the_person_with_all_details(
        sqlite_world: World) -> None:
    """Not on the open file, yet the person (who knows every detail) may open a case."""
    values = {"ssn": VITAL, "last_name": "Brown", "first_name": "Carol",
              "date_of_birth": "1940-05-06", "by": "person", "contact": "c@example.org",
              "kind": "erroneous-death"}
    assert _step(sqlite_world, "about", values).status_code == 200
    assert _step(sqlite_world, "review", values).status_code == 201
    assert cases.list_cases(sqlite_world.store, ssn=VITAL)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("notes.txt", b"hello, I am alive", "not accepted"),
    ("empty.pdf", b"", "the file is empty"),
    ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "larger than 10 MB"),
])
def test_evidence_of_the_wrong_kind_or_size_is_refused_by_name(
        sqlite_world: World, name: str, data: bytes, words: str) -> None:
    values = {**ROBERT, "by": "person", "contact": "r@example.org",
              "kind": "erroneous-death", "evidence_type": "identity-document"}
    r = _step(sqlite_world, "evidence", values, {"evidence": (name, data, "text/plain")})
    assert r.status_code == 422
    assert "Evidence file" in r.text and words in r.text
    assert not (sqlite_world.config.cases_dir / "staging").exists() or not list(
        (sqlite_world.config.cases_dir / "staging").glob("*.bin"))


def test_back_keeps_the_answers_and_checks_nothing(sqlite_world: World) -> None:
    values = {**ROBERT, "by": "person", "contact": "r@example.org", "kind": ""}
    r = _post(sqlite_world, "/ui/public/correction", {**values, "step": "wrong",
                                                      "goto": "about"})
    assert r.status_code == 200 and "Step 1 of 4" in r.text
    assert 'value="rob' not in r.text and 'value="r@example.org"' in r.text


def test_carried_over_from_am_i_listed(sqlite_world: World) -> None:
    r = _post(sqlite_world, "/ui/public/correction", ROBERT)  # no step: the start
    assert r.status_code == 200 and "Step 1 of 4" in r.text
    assert 'value="Jones"' in r.text and 'value="1938-02-20"' in r.text


# ---------------------------------------------------------------- check a case


def test_a_wrong_secret_and_an_unknown_number_answer_alike(sqlite_world: World) -> None:
    number, secret = _open_case(sqlite_world)
    wrong = _post(sqlite_world, "/ui/public/case", {"number": number, "secret": "x" * 32})
    nobody = _post(sqlite_world, "/ui/public/case", {"number": "C-999999", "secret": secret})
    assert wrong.status_code == nobody.status_code == 404
    typed = re.compile(r'name="number" type="text" value="[^"]*"')
    assert typed.sub("", wrong.text) == typed.sub("", nobody.text)
    missing = _post(sqlite_world, "/ui/public/case", {"number": number, "secret": ""})
    assert missing.status_code == 422 and "Case secret" in missing.text


def test_the_status_page_then_more_evidence_then_the_letter(world: World) -> None:
    number, secret = _open_case(world, evidence=None)
    r = _post(world, "/ui/public/case", {"number": number, "secret": secret})
    assert r.status_code == 200
    assert "Open: we are reviewing it" in r.text and "Case opened by you" in r.text
    assert OLD not in r.text and "rob@example.org" not in r.text
    more = _post(world, "/ui/public/case/evidence", {
        "number": number, "secret": secret, "evidence_type": "evidence-of-life",
        "alive_on": "2026-11-20"}, files={"evidence": ("payslip.png",
                                                       b"\x89PNG\r\n\x1a\nxx", "image/png")})
    assert more.status_code == 200, more.text
    assert "your file was received" in more.text and "payslip.png" in more.text
    view = cases.show_case(world.store, number)
    assert [e["type"] for e in view.evidence] == ["evidence-of-life"]
    # staff decide (a caseworker; the record is not from state vital records)
    cfg = world.config
    cases.decide_case(world.store, number, "reinstate", reason="identity seen in person",
                      actor="caseworker-1", cases_dir=cfg.cases_dir, rules=cfg.rules)
    r = _post(world, "/ui/public/case", {"number": number, "secret": secret})
    assert "Corrected" in r.text and "Decided: the listing was taken off the file" in r.text
    assert "No bank or agency had received the listing" in r.text  # closed at once
    code = re.search(r'id="letter-code">([^<]+)<', r.text)
    assert code
    assert "Send more evidence" not in r.text  # decided: no more uploads
    letter = _post(world, "/ui/public/case/letter", {"number": number, "secret": secret})
    assert letter.status_code == 200
    assert "attachment" in letter.headers["content-disposition"]
    assert code.group(1) in letter.text and "Notice of correction" in letter.text
    kept = world.tmp / "letter.html"
    kept.write_bytes(letter.content)
    check = verify_letter(world.store, code.group(1), kept)
    assert check.number == number and check.file_matches is True
    refused = _post(world, "/ui/public/case/letter", {"number": number, "secret": "nope"})
    assert refused.status_code == 404 and "Notice of correction" not in refused.text


def test_a_letter_altered_on_the_server_is_not_handed_out(sqlite_world: World) -> None:
    number, secret = _open_case(sqlite_world)
    cfg = sqlite_world.config
    cases.decide_case(sqlite_world.store, number, "reinstate", reason="seen",
                      actor="caseworker-1", cases_dir=cfg.cases_dir, rules=cfg.rules)
    path = cfg.cases_dir / "letters" / f"{number}.html"
    path.write_text(path.read_text() + "<!-- edited -->")
    r = _post(sqlite_world, "/ui/public/case/letter", {"number": number, "secret": secret})
    assert r.status_code == 404 and "not the one written at the decision" in r.text


def test_no_evidence_once_a_decision_waits_for_approval(sqlite_world: World) -> None:
    number, secret = _open_case(sqlite_world)
    cfg = sqlite_world.config
    cases.decide_case(sqlite_world.store, number, "reject", reason="the death is real",
                      actor="caseworker-1", cases_dir=cfg.cases_dir, rules=cfg.rules)
    r = _post(sqlite_world, "/ui/public/case", {"number": number, "secret": secret})
    assert "Decision being checked" in r.text and "Send more evidence" not in r.text
    late = _post(sqlite_world, "/ui/public/case/evidence", {
        "number": number, "secret": secret, "evidence_type": "other"},
        files={"evidence": ("a.pdf", PDF, "application/pdf")})
    assert late.status_code == 422 and "no longer takes evidence" in late.text
    assert len(cases.show_case(sqlite_world.store, number).evidence) == 1


# ---------------------------------------------------------------- who saw my record


def test_who_saw_my_record_lists_the_persons_entries_only_when_details_agree(
        world: World) -> None:
    c = world.client
    body = disclosure_request("routine-use")
    made = c.post("/disclosures", json=body, headers=world.auth("agency"))
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert c.post(f"/disclosures/{number}/approve",
                  headers=world.auth("approver")).status_code == 200
    assert c.post(f"/disclosures/{number}/answer",
                  headers=world.auth("agency")).status_code == 200
    ann = {"ssn": ANN, "last_name": "Smith", "date_of_birth": "1950-04-11"}
    r = _post(world, "/ui/public/accounting", ann)
    assert r.status_code == 200
    assert "Office of the Inspector General" in r.text and number in r.text
    assert "benefit fraud case 2026-017" in r.text and "XXX-XX-6789" in r.text
    assert "Routine use: confirm a death on file" in r.text  # the basis in words
    assert "date of death" in r.text and "date_of_death" not in r.text
    wrong = _post(world, "/ui/public/accounting", {**ann, "date_of_birth": "1950-04-12"})
    nobody = _post(world, "/ui/public/accounting", {**ann, "ssn": UNKNOWN})
    assert wrong.status_code == nobody.status_code == 404
    assert _without_echo(wrong.text) == _without_echo(nobody.text)
    assert "Office of the Inspector General" not in wrong.text
    bad = _post(world, "/ui/public/accounting", {**ann, "ssn": "000-12-3456"})
    assert bad.status_code == 422 and "Social Security number" in bad.text


def test_nobody_saw_it_says_so(sqlite_world: World) -> None:
    r = _post(sqlite_world, "/ui/public/accounting",
              {"ssn": OLD, "last_name": "Jones", "date_of_birth": "1938-02-20"})
    assert r.status_code == 200 and "Nobody has been given your record" in r.text


def test_a_state_vital_record_is_corrected_by_two_staff_and_the_person_follows_it(
        sqlite_world: World) -> None:
    """Carol's record comes from state vital records: not on the open file, and
    reinstating it needs a caseworker's proposal and a second person's approval."""
    w, cfg = sqlite_world, sqlite_world.config
    carol = {"ssn": VITAL, "last_name": "Brown", "first_name": "Carol",
             "date_of_birth": "1940-05-06"}
    assert "We found no listing" in _post(w, "/ui/public/listed", carol).text
    values = {**carol, "by": "person", "contact": "carol@example.org",
              "kind": "erroneous-death"}
    r = _step(w, "evidence", {**values, "evidence_type": "evidence-of-life",
                              "alive_on": "2026-11-20"},
              {"evidence": ("letter.jpg", b"\xff\xd8\xff\xe0 synthetic", "image/jpeg")})
    token = re.search(r'name="evidence_token" value="([^"]+)"', r.text)
    assert r.status_code == 200 and token
    sent = _step(w, "review", {**values, "evidence_token": token.group(1),
                               "evidence_type": "evidence-of-life", "alive_on": "2026-11-20"})
    assert sent.status_code == 201
    number = re.search(r'id="case-number">([^<]+)<', sent.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="case-secret">([^<]+)<', sent.text).group(1)  # type: ignore[union-attr]
    with w.store.transaction(write=False) as tx:  # the dated evidence of life is kept
        assert tx.get_record(VITAL).status.value == "held"  # type: ignore[union-attr]
    cases.decide_case(w.store, number, "reinstate", reason="seen at the field office",
                      actor="caseworker-1", cases_dir=cfg.cases_dir, rules=cfg.rules)
    status = _post(w, "/ui/public/case", {"number": number, "secret": secret})
    assert "Decision being checked" in status.text
    assert "A decision to take the listing off was proposed" in status.text
    assert "caseworker-1" not in status.text  # no staff names
    cases.approve_case(w.store, number, actor="approver-2", cases_dir=cfg.cases_dir,
                       rules=cfg.rules)
    status = _post(w, "/ui/public/case", {"number": number, "secret": secret})
    assert "Corrected" in status.text and "approver-2" not in status.text
    letter = _post(w, "/ui/public/case/letter", {"number": number, "secret": secret})
    code = re.search(r'class="code">([0-9A-F-]+)<', letter.text)
    assert letter.status_code == 200 and code
    kept = w.tmp / "carol-letter.html"
    kept.write_bytes(letter.content)
    assert verify_letter(w.store, code.group(1), kept).file_matches is True


# ---------------------------------------------------------------- the form reader

_typed = st.text(st.characters(codec="utf-8"), max_size=40)


@given(ssn=_typed, last=_typed, first=_typed, born=_typed)
def test_checking_a_persons_details_never_fails_and_names_only_its_fields(
        ssn: str, last: str, first: str, born: str) -> None:
    errors: dict[str, str] = {}
    check_person({"ssn": ssn, "last_name": last, "first_name": first,
                  "date_of_birth": born}, errors)
    assert set(errors) <= {"ssn", "last_name", "first_name", "date_of_birth"}
    assert all(message.strip() for message in errors.values())


@given(area=st.integers(1, 899).filter(lambda a: a != 666), group=st.integers(1, 99),
       serial=st.integers(1, 9999), last=st.from_regex(r"[A-Za-z][A-Za-z' -]{0,20}",
                                                        fullmatch=True),
       born=st.dates(min_value=date(1890, 1, 1), max_value=date(2025, 12, 31)),
       dashes=st.booleans())
def test_well_formed_details_pass_the_form_check(area: int, group: int, serial: int,
                                                 last: str, born: date,
                                                 dashes: bool) -> None:
    sep = "-" if dashes else ""
    ssn = f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"
    errors: dict[str, str] = {}
    check_person({"ssn": ssn, "last_name": last, "first_name": last,
                  "date_of_birth": born.isoformat()}, errors)
    assert errors == {}
