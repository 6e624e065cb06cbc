"""The inline-SVG charts: always well-formed XML whatever the labels, one bar per non-zero
value, bar lengths proportional to the values, the same numbers in the table, and one
chart pinned byte for byte (regenerate with ``VITALSTAT_REGEN_GOLDEN=1``, then review
the diff by hand)."""

from __future__ import annotations

import itertools
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vitalstat.web.ui import charts

SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).parent / "golden" / "chart_reports.html"
_BREAKS = re.compile("[\t\n\r]")
_BAD_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

labels = st.text(max_size=40) | st.sampled_from(["<&\">", "a & b", "]]>", "'\"", "\x00\x1f"])
counts = st.integers(min_value=0, max_value=10**18) | st.integers(min_value=0, max_value=50)


def _shown(label: str) -> str:
    """A label as the table shows it: XML-invalid characters dropped, one line."""
    return _BREAKS.sub(" ", _BAD_XML.sub("", label))


def _parse(markup: object) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def _proportional(bars: list[ET.Element], attr: str) -> None:
    """Every bar's length is value × one common scale (to the 3 decimals written)."""
    if not bars:
        return
    values = [int(b.get("data-value", "0")) for b in bars]
    lengths = [float(b.get(attr, "nan")) for b in bars]
    biggest = max(range(len(values)), key=values.__getitem__)
    scale = lengths[biggest] / values[biggest]
    for v, length in zip(values, lengths, strict=True):
        assert math.isclose(length, v * scale, abs_tol=0.002), (v, length, scale)


def _accessible(root: ET.Element) -> None:
    svg = root.find(f".//{SVG}svg")
    assert svg is not None and svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title is not None and svg.get("aria-labelledby") == title.get("id")
    assert root.find(".//table") is not None


def _table_rows(root: ET.Element) -> list[list[str]]:
    body = root.find(".//table/tbody")
    assert body is not None
    return [["".join(c.itertext()) for c in row] for row in body]


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, list[int]]]]:
    cats = draw(st.lists(labels, max_size=14))
    series = draw(st.lists(st.tuples(labels, st.lists(counts, min_size=len(cats),
                                                       max_size=len(cats))), max_size=6))
    return cats, series


@settings(max_examples=150, deadline=None)
@given(grids(), labels)
def test_stacked_columns_parse_and_draw_each_count_in_proportion(grid, title) -> None:
    cats, series = grid
    root = _parse(charts.stacked_columns(title, cats, series))
    _accessible(root)
    bars = _bars(root)
    nonzero = [v for _, values in series for v in values if v]
    assert sorted(int(b.get("data-value", "")) for b in bars) == sorted(nonzero)
    _proportional(bars, "height")
    for b in bars:  # a stack never leaves the plot (220 high, from y=12)
        assert float(b.get("y", "")) >= 12 - 0.01
    if cats:
        assert [row[0] for row in _table_rows(root)] == [_shown(c) for c in cats]
        if series:
            assert [row[1] for row in _table_rows(root)] == [f"{v:,}" for v in series[0][1]]


@settings(max_examples=150, deadline=None)
@given(grids(), labels)
def test_horizontal_bars_parse_and_draw_each_count_in_proportion(grid, title) -> None:
    rows, series = grid
    root = _parse(charts.horizontal_bars(title, rows, series, head="Reason"))
    _accessible(root)
    bars = _bars(root)
    assert len(bars) == sum(1 for _, values in series for v in values if v)
    _proportional(bars, "width")
    for b in bars:  # the stacked bars of a row never pass the plot's right edge
        assert float(b.get("x", "")) + float(b.get("width", "")) <= 8 + 270 + 0.01


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=-5, max_value=10**6, allow_nan=False), max_size=60),
       st.integers(min_value=1, max_value=20))
def test_day_bins_are_equal_width_from_zero_and_hold_every_value(days, max_bins) -> None:
    bins = charts.day_bins(days, max_bins=max_bins)
    if not days:
        assert bins == []
        return
    assert 1 <= len(bins) <= max_bins
    assert bins[0].low == 0 and sum(b.count for b in bins) == len(days)
    width = bins[0].high - bins[0].low
    assert all(math.isclose(b.high - b.low, width) for b in bins)
    assert all(a.high == b.low for a, b in itertools.pairwise(bins))
    assert max(days) <= bins[-1].high
    for d in days:  # each value in its own bin: [low, high), the last one closed
        i = min(len(bins) - 1, max(0, math.floor(d / width)))
        assert bins[i].low <= max(d, 0) <= bins[i].high


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=4000, allow_nan=False), max_size=40),
       labels)
def test_histogram_draws_one_bar_per_non_empty_bin(days, unit) -> None:
    bins = charts.day_bins(days)
    root = _parse(charts.histogram("Time to correction", bins, unit=unit))
    _accessible(root)
    bars = _bars(root)
    assert [int(b.get("data-value", "")) for b in bars] == [b.count for b in bins if b.count]
    _proportional(bars, "height")


def test_nothing_to_draw_says_so_and_still_parses() -> None:
    for markup in (charts.stacked_columns("Empty", [], []),
                   charts.stacked_columns("Zeros", ["Jan 2026"], [("family", [0])]),
                   charts.horizontal_bars("Empty", [], []),
                   charts.histogram("Empty", [])):
        root = _parse(markup)
        assert _bars(root) == []
        assert "Nothing to draw yet" in "".join(root.itertext())


def test_labels_are_escaped_not_interpreted() -> None:
    markup = str(charts.horizontal_bars("<script>alert(1)</script>", ['<img src=x>&"'],
                                        [("x", [3])]))
    assert "<script>" not in markup and "<img" not in markup
    assert "&lt;img src=x&gt;&amp;&quot;" in markup


def test_mismatched_or_negative_series_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 1 categories"):
        charts.stacked_columns("t", ["a"], [("s", [1, 2])])
    with pytest.raises(ValueError, match="negative"):
        charts.horizontal_bars("t", ["a"], [("s", [-1])])


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten() -> None:
    assert [charts.nice_step(n) for n in (0, 1, 4, 7, 10, 37, 100, 999, 10**18)] == [
        1, 1, 1, 2, 5, 10, 50, 500, 5 * 10**17]
    for n in range(1, 2000, 7):
        step = charts.nice_step(n)
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert mantissa in (1, 2, 5) and n / step <= 4


def _golden_chart() -> str:
    return str(charts.stacked_columns(
        "Deaths reported per month, by source kind",
        ["Oct 2026", "Nov 2026", "Dec 2026"],
        [("State vital records", [4, 0, 7]), ("Funeral homes", [2, 5, 1]),
         ("Family & friends <1>", [0, 1, 0])],
        axis="Month received", chart_id="chart-reports")) + "\n"


def test_one_chart_is_pinned_byte_for_byte() -> None:
    if os.environ.get("VITALSTAT_REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(_golden_chart(), encoding="utf-8")
    assert _golden_chart() == GOLDEN.read_text(encoding="utf-8")
