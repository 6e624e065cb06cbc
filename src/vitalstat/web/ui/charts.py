"""Charts as inline SVG, drawn on the server: no script, no external font, works offline.

Pure functions from numbers to markup. Every chart is a ``<figure>`` holding an SVG
(``role="img"``, named by its ``<title>`` through ``aria-labelledby``) and, under it, a
``<table>`` of the very same numbers for screen readers and for whoever wants the
figures. Every label is escaped, and characters XML cannot carry are dropped, so the
markup always parses as XML. Bar lengths are exactly proportional to the values (the
axis starts at zero); a zero draws no bar.

- :func:`stacked_columns`: a column per category (months), stacked by series (source kinds).
- :func:`horizontal_bars`: a bar per row, stacked by series (holds by reason; disclosure
  requests by legal basis and outcome).
- :func:`histogram`: counts in equal-width bins (see :func:`day_bins`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["PALETTE", "Bin", "day_bins", "histogram", "horizontal_bars", "nice_step",
           "stacked_columns", "xml_text"]

#: Series colours: dark enough for 3:1 against white (WCAG 1.4.11), told apart by hue.
PALETTE = ("#0b4f8a", "#b35900", "#1d6b2f", "#7b3294", "#a4161a", "#006d77", "#5c5c5c",
           "#8c6d00")
_FONT = 'font-family="system-ui, sans-serif"'
LEGEND_LINE = 18.0
_LINE_BREAKS = re.compile("[\t\n\r]")
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """``value`` as text safe inside an XML element or a quoted attribute: characters
    XML cannot carry dropped, tabs and line breaks made spaces (a label is one line)."""
    return escape(_LINE_BREAKS.sub(" ", _INVALID_XML.sub("", str(value))), quote=True)


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _num(value: int) -> str:
    return f"{value:,}"


def _f(x: float) -> str:
    """A coordinate: at most 3 decimals, no trailing zeros."""
    text = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def nice_step(top: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines."""
    if top <= 0:
        return 1
    raw = top / ticks
    power = 10 ** max(0, math.floor(math.log10(raw))) if raw >= 1 else 1
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return int(m * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"


def _series_checked(categories: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]]) -> None:
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for "
                             f"{len(categories)} categories")
        if any(v < 0 for v in values):
            raise ValueError(f"series {name!r} has a negative count")


def _table(caption: str, head: str, categories: Sequence[str],
           series: Sequence[tuple[str, Sequence[int]]]) -> str:
    cols = "".join(f'<th scope="col">{xml_text(name)}</th>' for name, _ in series)
    total = '<th scope="col">Total</th>' if len(series) > 1 else ""
    rows = []
    for i, cat in enumerate(categories):
        cells = "".join(f"<td>{_num(values[i])}</td>" for _, values in series)
        if len(series) > 1:
            cells += f"<td>{_num(sum(values[i] for _, values in series))}</td>"
        rows.append(f'<tr><th scope="row">{xml_text(cat)}</th>{cells}</tr>')
    if not rows:
        span = len(series) + (2 if len(series) > 1 else 1)
        rows.append(f'<tr><td colspan="{span}">No data yet.</td></tr>')
    return (f'<div class="table-wrap"><table class="chart-data"><caption>{xml_text(caption)}'
            f' (the numbers)</caption><thead><tr><th scope="col">{xml_text(head)}</th>'
            f'{cols}{total}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _legend(series: Sequence[tuple[str, Sequence[int]]], x: float, y: float) -> list[str]:
    """A key of the series' colours, one per line from (x, y); none for a single series."""
    if len(series) < 2:
        return []
    out = []
    for n, (name, _) in enumerate(series):
        yy = y + n * LEGEND_LINE
        out.append(f'<rect x="{_f(x)}" y="{_f(yy)}" width="12" height="12" '
                   f'fill="{PALETTE[n % len(PALETTE)]}"/>'
                   f'<text x="{_f(x + 17)}" y="{_f(yy + 10)}" font-size="12" '
                   f'fill="#1b1b1b">{xml_text(_short(name, 40))}</text>')
    return out


def _legend_height(series: Sequence[tuple[str, Sequence[int]]]) -> float:
    return LEGEND_LINE * len(series) + 8 if len(series) > 1 else 0.0


def _figure(chart_id: str, title: str, svg_body: list[str], width: float, height: float,
            table: str, empty: bool, *, newest_right: bool = False) -> Markup:
    note = ('<p class="hint">Nothing to draw yet: every count is zero.</p>' if empty else "")
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-labelledby="{chart_id}-title" viewBox="0 0 {_f(width)} {_f(height)}" '
           f'width="{_f(width)}" height="{_f(height)}" {_FONT}>'
           f'<title id="{chart_id}-title">{xml_text(title)}</title>{"".join(svg_body)}</svg>')
    # drawn at its own size; a screen narrower than the chart scrolls it sideways (the
    # wrapper takes the keyboard focus for that), so its text never shrinks unreadably
    # (``newest_right``: a time axis; a narrow screen opens on its newest, right end)
    kind = "chart-scroll newest-right" if newest_right else "chart-scroll"
    scroll = (f'<div class="{kind}" tabindex="0" role="group" '
              f'aria-label="{xml_text(title)}: chart">{svg}</div>')
    return Markup(f'<figure class="chart" id="{chart_id}"><figcaption>{xml_text(title)}'
                  f'</figcaption>{note}{scroll}{table}</figure>')


def _y_gridlines(top: int, step: int, *, left: float, base: float, plot_w: float,
                 plot_h: float) -> list[str]:
    """Horizontal gridlines, labelled on the left, from 0 (``base``) to ``top``."""
    out = []
    for value in range(0, top + 1, step):
        y = base - value / top * plot_h
        out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + plot_w)}" '
                   f'y2="{_f(y)}" stroke="#c9c9c9" stroke-width="1"/>'
                   f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" font-size="11" '
                   f'text-anchor="end" fill="#4a4a4a">{_num(value)}</text>')
    return out


def _x_gridlines(top: int, step: int, *, left: float, y0: float, plot_w: float,
                 plot_h: float) -> list[str]:
    """Vertical gridlines, labelled underneath, from 0 (``left``) to ``top``."""
    out = []
    for value in range(0, top + 1, step):
        x = left + value / top * plot_w
        out.append(f'<line x1="{_f(x)}" y1="{_f(y0)}" x2="{_f(x)}" '
                   f'y2="{_f(y0 + plot_h)}" stroke="#c9c9c9" stroke-width="1"/>'
                   f'<text x="{_f(x)}" y="{_f(y0 + plot_h + 14)}" font-size="11" '
                   f'text-anchor="middle" fill="#4a4a4a">{_num(value)}</text>')
    return out


def _scale(biggest: int) -> tuple[int, int]:
    """(axis top, gridline step): the top is the first step at or above ``biggest``."""
    step = nice_step(biggest)
    return (-(-biggest // step) * step if biggest else 0), step


def stacked_columns(title: str, categories: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]], *, axis: str = "",
                    chart_id: str | None = None) -> Markup:
    """A column per category, its series stacked (first at the bottom). A category label
    may hold one space-separated second line (``"Jan 2026"``: month over year)."""
    _series_checked(categories, series)
    cid = chart_id or _slug(title)
    left, top_pad, plot_h, col_w = 56.0, 12.0, 200.0, 46.0
    plot_w = max(1, len(categories)) * col_w
    width = left + plot_w + 16
    below = top_pad + plot_h + 44 + (16 if axis else 0)
    height = below + _legend_height(series)
    totals = [sum(v[i] for _, v in series) for i in range(len(categories))]
    biggest = max(totals, default=0)
    top, step = _scale(biggest)
    base = top_pad + plot_h
    body = _y_gridlines(top, step, left=left, base=base, plot_w=plot_w,
                        plot_h=plot_h) if top else []
    for i, cat in enumerate(categories):
        x = left + i * col_w + 8
        y = base
        for n, (name, values) in enumerate(series):
            v = values[i]
            if v == 0:
                continue
            h = v / top * plot_h
            y -= h
            body.append(f'<rect class="bar" x="{_f(x)}" y="{_f(y)}" width="{_f(col_w - 16)}" '
                        f'height="{_f(h)}" fill="{PALETTE[n % len(PALETTE)]}" '
                        f'data-value="{v}"><title>{xml_text(cat)}, {xml_text(name)}: '
                        f'{_num(v)}</title></rect>')
        first, _, second = cat.partition(" ")
        cx = left + i * col_w + col_w / 2
        body.append(f'<text x="{_f(cx)}" y="{_f(base + 16)}" font-size="11" '
                    f'text-anchor="middle" fill="#1b1b1b">{xml_text(_short(first, 9))}'
                    + (f'<tspan x="{_f(cx)}" dy="13">{xml_text(_short(second, 9))}</tspan>'
                       if second else "") + "</text>")
    body.append(f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" '
                f'y2="{_f(base)}" stroke="#1b1b1b" stroke-width="1.5"/>')
    if axis:
        body.append(f'<text x="{_f(left)}" y="{_f(below - 4)}" font-size="11" '
                    f'fill="#4a4a4a">{xml_text(axis)}</text>')
    body += _legend(series, left, below + 4)
    table = _table(title, "Month" if axis == "" else axis, categories, series)
    return _figure(cid, title, body, width, height, table, biggest == 0, newest_right=True)


def horizontal_bars(title: str, rows: Sequence[str],
                    series: Sequence[tuple[str, Sequence[int]]], *, head: str = "",
                    chart_id: str | None = None) -> Markup:
    """A bar per row under its label, its series stacked left to right, its total after
    it. Narrow enough (about 350 wide) for a phone."""
    _series_checked(rows, series)
    cid = chart_id or _slug(title)
    left, plot_w, top_pad, label_h, bar_h, gap = 8.0, 270.0, 6.0, 16.0, 18.0, 10.0
    row_h = label_h + bar_h + gap
    plot_h = max(1, len(rows)) * row_h
    width = left + plot_w + 72
    below = top_pad + plot_h + 22
    height = below + _legend_height(series)
    totals = [sum(v[i] for _, v in series) for i in range(len(rows))]
    biggest = max(totals, default=0)
    top, step = _scale(biggest)
    body = _x_gridlines(top, step, left=left, y0=top_pad, plot_w=plot_w,
                        plot_h=plot_h) if top else []
    for i, row in enumerate(rows):
        y = top_pad + i * row_h
        body.append(f'<text x="{_f(left)}" y="{_f(y + 12)}" font-size="12" '
                    f'fill="#1b1b1b">{xml_text(_short(row, 48))}</text>')
        x, bar_y = left, y + label_h
        for n, (name, values) in enumerate(series):
            v = values[i]
            if v == 0:
                continue
            w = v / top * plot_w
            body.append(f'<rect class="bar" x="{_f(x)}" y="{_f(bar_y)}" width="{_f(w)}" '
                        f'height="{_f(bar_h)}" fill="{PALETTE[n % len(PALETTE)]}" '
                        f'data-value="{v}"><title>{xml_text(row)}'
                        + (f", {xml_text(name)}" if len(series) > 1 else "")
                        + f": {_num(v)}</title></rect>")
            x += w
        body.append(f'<text x="{_f(x + 5)}" y="{_f(bar_y + 13)}" font-size="12" '
                    f'fill="#1b1b1b">{_num(totals[i])}</text>')
    body.append(f'<line x1="{_f(left)}" y1="{_f(top_pad)}" x2="{_f(left)}" '
                f'y2="{_f(top_pad + plot_h)}" stroke="#1b1b1b" stroke-width="1.5"/>')
    body += _legend(series, left, below + 4)
    table = _table(title, head or "What", rows, series)
    return _figure(cid, title, body, width, height, table, biggest == 0)


@dataclass(frozen=True, slots=True)
class Bin:
    """``count`` values in ``[low, high)`` (the last bin also holds ``high``)."""

    low: float
    high: float
    count: int

    @property
    def label(self) -> str:
        return f"{_f(self.low)}–{_f(self.high)}"


#: Bin widths :func:`day_bins` chooses from, in days.
_DAY_WIDTHS = (1, 2, 5, 7, 14, 30, 60, 90, 180, 365, 730, 1825, 3650, 36500)


def day_bins(days: Sequence[float], *, max_bins: int = 12) -> list[Bin]:
    """Equal-width bins from 0 covering every value (in days), the narrowest width of
    :data:`_DAY_WIDTHS` needing at most ``max_bins`` bins. Negative values count in the
    first bin (a clock step backwards is not a negative duration). No values: none."""
    if not days:
        return []
    top = max(max(days), 0.0)
    width: float = next((w for w in _DAY_WIDTHS if top < w * max_bins), 0.0)
    if not width:
        width = float(math.ceil((top + 1) / max_bins))
    n = max(1, min(max_bins, math.floor(top / width) + 1))
    counts = [0] * n
    for d in days:
        counts[min(n - 1, max(0, math.floor(d / width)))] += 1
    return [Bin(i * width, (i + 1) * width, c) for i, c in enumerate(counts)]


def histogram(title: str, bins: Sequence[Bin], *, unit: str = "days",
              chart_id: str | None = None) -> Markup:
    """Touching columns, one per bin, heights proportional to the counts."""
    cid = chart_id or _slug(title)
    labels = [f"{b.label} {unit}" for b in bins]
    counts = [b.count for b in bins]
    if any(c < 0 for c in counts):
        raise ValueError("a bin has a negative count")
    left, top_pad, plot_h = 56.0, 12.0, 200.0
    col_w = 40.0 if len(bins) <= 7 else 28.0
    plot_w = max(1, len(bins)) * col_w
    width, height = left + plot_w + 24, top_pad + plot_h + 48
    biggest = max(counts, default=0)
    top, step = _scale(biggest)
    base = top_pad + plot_h
    body = _y_gridlines(top, step, left=left, base=base, plot_w=plot_w,
                        plot_h=plot_h) if top else []
    for i, (b, label) in enumerate(zip(bins, labels, strict=True)):
        x = left + i * col_w
        if b.count:
            h = b.count / top * plot_h
            body.append(f'<rect class="bar" x="{_f(x)}" y="{_f(base - h)}" '
                        f'width="{_f(col_w)}" height="{_f(h)}" fill="{PALETTE[0]}" '
                        f'stroke="#ffffff" stroke-width="1" data-value="{b.count}">'
                        f'<title>{xml_text(label)}: {_num(b.count)}</title></rect>')
        body.append(f'<text x="{_f(x)}" y="{_f(base + 14)}" font-size="11" '
                    f'text-anchor="middle" fill="#1b1b1b">{_f(b.low)}</text>')
    if bins:
        body.append(f'<text x="{_f(left + plot_w)}" y="{_f(base + 14)}" font-size="11" '
                    f'text-anchor="middle" fill="#1b1b1b">{_f(bins[-1].high)}</text>')
    body.append(f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(left + plot_w)}" '
                f'y2="{_f(base)}" stroke="#1b1b1b" stroke-width="1.5"/>'
                f'<text x="{_f(left)}" y="{_f(height - 6)}" font-size="11" '
                f'fill="#4a4a4a">{xml_text(unit)}</text>')
    table = _table(title, unit.capitalize(), labels, [("Cases", counts)])
    return _figure(cid, title, body, width, height, table, biggest == 0)
