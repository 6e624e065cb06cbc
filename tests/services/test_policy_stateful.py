"""Stateful property test (issue 4, point 4): no channel leaks a record to a recipient
not entitled to it.

Hypothesis drives a registry through death reports (open and restricted sources, dates
of death near the moving clock), withdrawals, release builds, subscribers gaining and
losing certification or a matching agreement, suspensions, the clock moving forward,
deliveries and exports. After every delivery and export:

* every record sent is one the policy allows the recipient *on that day*, and, checked
  independently of the policy code, an open-tier recipient never gets a restricted
  record or one inside the default embargo (through 31 December of death year + 3);
* every ``D`` is for an SSN the recipient held, carrying exactly what it was sent;
* applying the deliveries in order gives exactly the records the recipient may hold now
  (nothing missing, nothing extra);
* counts in the results equal what was written, and refusals name no record.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from release_helpers import ssn

from registered import ensure_source
from vitalstat.domain.policy import Agreement, RecordFacts, Standing, Tier, may_receive
from vitalstat.errors import RefusedError
from vitalstat.formats.dmf import parse_line
from vitalstat.formats.dmf_columnar import dmf_lines
from vitalstat.services import keys as signing
from vitalstat.services.distribution import deliver, export_release
from vitalstat.services.ingest import ingest_file
from vitalstat.services.releases import Release, build_release, get_release, latest_release
from vitalstat.services.subscribers import (
    add_subscriber,
    resume_subscriber,
    suspend_subscriber,
    update_subscriber,
)
from vitalstat.store import Store

START = date(2026, 12, 1)
PEOPLE = 6
SUBSCRIBERS = ("o", "c", "b")
SOURCES = {"family": "fam-1", "state-vital-records": "OH"}
EXAMPLES = int(os.environ.get("VITALSTAT_STATEFUL_EXAMPLES", "20"))


def release_lines(release: Release) -> dict[str, tuple[RecordFacts, str]]:
    """SSN -> (policy facts, its DMF line without the action) for a release."""
    table = pq.read_table(release.records_parquet)
    lines = dmf_lines(table).decode().splitlines()
    out = {}
    for row, line in zip(table.to_pylist(), lines, strict=True):
        facts = RecordFacts.of(row["date_of_death"], row["restricted"], row["status"])
        out[row["ssn"]] = (facts, line[1:])
    return out


class Distribution(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="vs-stateful-"))
        self.store = Store.open(f"sqlite:///{self.tmp / 'r.db'}")
        self.store.migrate()
        self.keys = self.tmp / "keys"
        signing.generate_key(self.store, self.keys, actor="keeper")
        self.today = START
        self.files = 0
        self.deaths: dict[int, str] = {}  # person -> date of death as reported first
        year = timedelta(days=365)
        self.standing = {"o": Standing(Tier.OPEN),
                         "c": Standing(Tier.CERTIFIED, certified_until=START + year),
                         "b": Standing(Tier.BENEFITS_AGENCY,
                                       agreement=Agreement("CMA", START, START + 2 * year))}
        for name, s in self.standing.items():
            add_subscriber(self.store, name, tier=s.tier.value, actor="clerk",
                           certified_until=s.certified_until,
                           agreement_id=s.agreement.agreement_id if s.agreement else None,
                           agreement_start=s.agreement.start if s.agreement else None,
                           agreement_end=s.agreement.end if s.agreement else None)
        self.held: dict[str, dict[str, str]] = {n: {} for n in SUBSCRIBERS}  # ssn -> line

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ the registry
    def _ingest(self, kind: str, action: str, person: int, dod: str) -> None:
        self.files += 1
        path = self.tmp / f"r{self.files}.csv"
        # proof V: a lone unverified report would only wait out the grace period
        path.write_text("action,ssn,last_name,first_name,date_of_death,source_report_id,"
                        f"proof\n{action},{ssn(person)},Name{person},First,{dod},"
                        f"{self.files},V\n")
        ensure_source(self.store, kind, SOURCES[kind])
        ingest_file(self.store, path, source_kind=kind, source_id=SOURCES[kind], actor="loader")

    @initialize(first=st.lists(st.tuples(st.integers(0, PEOPLE - 1),
                                          st.sampled_from(sorted(SOURCES)),
                                          st.integers(0, 7), st.integers(0, 11),
                                          st.integers(0, 28)), min_size=1, max_size=8))
    def first_release(self, first: list[tuple[int, str, int, int, int]]) -> None:
        for person, kind, years_back, month, day in first:
            self.report(person, kind, years_back, month, day)
        self.build()

    @rule(person=st.integers(0, PEOPLE - 1), kind=st.sampled_from(sorted(SOURCES)),
          years_back=st.integers(0, 7), month=st.integers(0, 11), day=st.integers(0, 28))
    def report(self, person: int, kind: str, years_back: int, month: int, day: int) -> None:
        if person not in self.deaths:
            self.deaths[person] = (f"{START.year - years_back:04d}-{month:02d}-"
                                   f"{day if month else 0:02d}")
        self._ingest(kind, "A", person, self.deaths[person])

    @rule(person=st.integers(0, PEOPLE - 1), kind=st.sampled_from(sorted(SOURCES)))
    def withdraw(self, person: int, kind: str) -> None:
        if person in self.deaths:
            self._ingest(kind, "D", person, "")

    @rule()
    def build(self) -> None:
        build_release(self.store, actor="builder", releases=self.tmp / "releases",
                      keys=self.keys)

    @rule()
    def build_and_deliver_to_all(self) -> None:
        self.build()
        for name in SUBSCRIBERS:
            self.deliver_to(name)

    @rule(days=st.integers(1, 800))
    def advance(self, days: int) -> None:
        self.today += timedelta(days=days)

    # ------------------------------------------------------------- recipients
    @rule(name=st.sampled_from(SUBSCRIBERS), tier=st.sampled_from(list(Tier)),
          valid_for=st.integers(-30, 400), starts_in=st.integers(-200, 60))
    def papers(self, name: str, tier: Tier, valid_for: int, starts_in: int) -> None:
        until = self.today + timedelta(days=valid_for)
        start = self.today + timedelta(days=starts_in)
        agreement = Agreement("CMA", start, start + timedelta(days=abs(valid_for)))
        update_subscriber(self.store, name, tier=tier.value, certified_until=until,
                          agreement_id="CMA", agreement_start=agreement.start,
                          agreement_end=agreement.end, actor="clerk")
        old = self.standing[name]
        self.standing[name] = Standing(tier, until, agreement, old.suspended)

    @rule(name=st.sampled_from(SUBSCRIBERS), suspended=st.booleans())
    def suspension(self, name: str, suspended: bool) -> None:
        (suspend_subscriber if suspended else resume_subscriber)(self.store, name, actor="c")
        s = self.standing[name]
        self.standing[name] = Standing(s.tier, s.certified_until, s.agreement, suspended)

    # -------------------------------------------------------------- channels
    def _effective(self, standing: Standing, cap: Tier | None) -> Tier | None:
        """The tier the law gives, worked out here without the policy module."""
        if standing.suspended:
            return None
        tier = standing.tier
        if tier is Tier.CERTIFIED and (standing.certified_until or date.min) < self.today:
            tier = Tier.OPEN
        if tier is Tier.BENEFITS_AGENCY and not (
                standing.agreement and standing.agreement.start <= self.today
                <= standing.agreement.end):
            tier = Tier.OPEN
        order = [Tier.OPEN, Tier.CERTIFIED, Tier.BENEFITS_AGENCY]
        if cap is not None and order.index(cap) < order.index(tier):
            tier = cap
        return tier

    def _allowed(self, standing: Standing, facts: RecordFacts, cap: Tier | None = None
                 ) -> bool:
        allowed = may_receive(standing, facts, self.today, at_most=cap).allowed
        tier = self._effective(standing, cap)
        if allowed:  # the law, checked independently of the policy's code
            assert tier is not None and facts.published
            if tier is not Tier.BENEFITS_AGENCY:
                assert not facts.restricted, "restricted record outside a benefits agency"
            if tier is Tier.OPEN:
                dod = facts.date_of_death
                assert dod is not None and self.today > date(dod.year + 3, 12, 31), "embargoed"
        return allowed

    @rule(name=st.sampled_from(SUBSCRIBERS))
    def deliver_to(self, name: str) -> None:
        standing = self.standing[name]
        release = latest_release(self.store)
        assert release is not None
        try:
            result = deliver(self.store, name, out=self.tmp / "out" / name, actor="clerk",
                             keys=self.keys, today=self.today)
        except RefusedError as exc:
            assert standing.suspended
            assert not any(ssn(p) in str(exc) for p in range(PEOPLE))
            return
        assert not standing.suspended
        records = release_lines(release)
        lines = (result.directory / f"{result.kind}.dmf").read_text().splitlines()
        assert result.records == len(lines)
        held = self.held[name]
        if result.kind == "full":
            assert not held
        for line in lines:
            action, number = line[0], parse_line(line).ssn
            if action == "D":
                assert held.pop(number) == line[1:], "a D must carry what was sent"
                continue
            assert action in (" ", "A", "C")
            facts, body = records[number]
            assert self._allowed(standing, facts), f"{number} sent to {name}"
            assert body == line[1:]
            held[number] = body
        expected = {n: body for n, (facts, body) in records.items()
                    if self._allowed(standing, facts)}
        assert held == expected, "the subscriber's file must be exactly what it may hold"
        assert sum(result.counts.values()) == (0 if result.kind == "full" else len(lines))
        event(f"delivery: {result.kind}, {result.tier.value} tier")
        for code in sorted({line[0] for line in lines}):
            event(f"delivery line {code!r}")

    @rule(name=st.none() | st.sampled_from(SUBSCRIBERS), tier=st.sampled_from(list(Tier)))
    def export(self, name: str | None, tier: Tier) -> None:
        release = latest_release(self.store)
        assert release is not None
        out = self.tmp / "export.dmf"
        try:
            result = export_release(self.store, release_id=release.id, tier=tier.value,
                                    fmt="dmf", out=out, subscriber=name, actor="clerk",
                                    today=self.today)
        except RefusedError as exc:
            assert (name is None and tier is not Tier.OPEN) or (
                name is not None and self.standing[name].suspended)
            assert not any(ssn(p) in str(exc) for p in range(PEOPLE))
            return
        standing = self.standing[name] if name else Standing(Tier.OPEN)
        records = release_lines(release)
        lines = out.read_text().splitlines()
        assert result.records == len(lines)
        sent = {parse_line(x).ssn for x in lines}
        for number in sent:
            assert self._allowed(standing, records[number][0], tier)
        assert sent == {n for n, (f, _) in records.items() if self._allowed(standing, f, tier)}
        event(f"export: {result.tier.value} tier, {'some' if lines else 'no'} records")
        if name is not None:  # an export to a subscriber is held by it
            self.held[name].update({n: records[n][1] for n in sent})

    @rule(name=st.none() | st.sampled_from(SUBSCRIBERS), tier=st.sampled_from(list(Tier)),
          back=st.integers(1, 3))
    def export_since(self, name: str | None, tier: Tier, back: int) -> None:
        release = latest_release(self.store)
        assert release is not None
        if release.id - back < 1:
            return
        base = get_release(self.store, release.id - back)
        out = self.tmp / "since.dmf"
        try:
            result = export_release(self.store, release_id=release.id, since=base.id,
                                    tier=tier.value, fmt="dmf", out=out, subscriber=name,
                                    actor="clerk", today=self.today)
        except RefusedError as exc:
            assert not any(ssn(p) in str(exc) for p in range(PEOPLE))
            return
        standing = self.standing[name] if name else Standing(Tier.OPEN)
        now, then = release_lines(release), release_lines(base)
        lines = out.read_text().splitlines()
        assert result.records == len(lines) == sum(result.counts.values())
        for line in lines:
            action, number = line[0], parse_line(line).ssn
            facts, body = (then if action == "D" else now)[number]
            # whatever it says, A, C or D, is something the recipient may have today
            assert self._allowed(standing, facts, tier), f"{action} {number} to {name}"
            assert body == line[1:]
            if name is not None:  # the ledger now says it holds this (or, for D, not)
                if action == "D":
                    self.held[name].pop(number, None)
                else:
                    self.held[name][number] = body
        event(f"export since: {len(lines)} lines")

    @invariant()
    def ledger_matches_model(self) -> None:
        with self.store.transaction(write=False) as tx:
            for name in SUBSCRIBERS:
                row = tx.subscriber_row(name)
                assert row is not None
                holdings = set(tx.holdings(row["id"]).column("ssn").to_pylist())
                assert holdings == set(self.held[name])


Distribution.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_no_channel_leaks = Distribution.TestCase
