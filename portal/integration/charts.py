"""Accessible bar charts drawn on the server: SVG (no script) followed by the same data as a table.

The SVG is an image with a title and a description; every bar carries its value as text and
each series its own pattern (solid, stripes, dots) named in a legend, so colour is never the only
cue. A suppressed figure draws no bar and reads "fewer than 5". Screen readers get the table.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.integration.reports import Cell

WIDTH = 640
LABEL_WIDTH = 190
BAR_AREA = 300
BAR_HEIGHT = 22
GAP = 12
SOLID = "#1d4f91"
PATTERNS = ("solid", "stripes", "dots")


def display(cell: Cell) -> str:
    """The figure in words and digits of the reader's language."""
    if cell.suppressed:
        return _("fewer than 5")
    if cell.value is None:
        return "–"
    if cell.kind == "percent":
        return format_percent(cell.value, "#,##0.#%")
    if cell.kind == "count":
        return format_decimal(int(cell.value))
    if cell.kind == "hours":
        return _("%(n)s h", n=format_decimal(round(cell.value, 1), "#,##0.#"))
    if cell.kind == "months":
        return _("%(n)s months", n=format_decimal(round(cell.value, 1), "#,##0.#"))
    return format_decimal(round(cell.value, 2), "#,##0.##")


def _defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-stripes" width="8" height="8" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        '<rect width="8" height="8" fill="#ffffff"/>'
        '<rect width="4" height="8" fill="#8a4b08"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="8" height="8" patternUnits="userSpaceOnUse">'
        '<rect width="8" height="8" fill="#ffffff"/>'
        '<circle cx="4" cy="4" r="2.2" fill="#2e6b30"/></pattern>'
        "</defs>"
    )


def _fill(chart_id: str, index: int) -> str:
    pattern = PATTERNS[index % len(PATTERNS)]
    if pattern == "solid":
        return SOLID
    return f"url(#{chart_id}-{pattern})"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[tuple[str, Sequence[Cell]]],
    series: Sequence[str] = ("",),
    row_header: str = "",
) -> Markup:
    """A horizontal bar chart of `rows` (label, one cell per series), then its table.

    Bars of a row share one scale (the largest shown value, or 100% for percentages).
    """
    chart_id = "".join(c for c in chart_id if c.isalnum() or c == "-") or "chart"
    many = len(series) > 1
    shown = [c.value for _label, cells in rows for c in cells if c.shown and c.value is not None]
    percent = all(c.kind == "percent" for _label, cells in rows for c in cells)
    top = 1.0 if percent else max([float(v) for v in shown] + [0.0]) or 1.0
    legend_height = 30 if many else 0
    group_height = len(series) * BAR_HEIGHT + GAP
    height = legend_height + max(1, len(rows)) * group_height + GAP
    parts = [
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" preserveAspectRatio="xMinYMin meet"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        _defs(chart_id),
        '<g font-family="sans-serif" font-size="14" fill="#111111">',
    ]
    if many:
        x = LABEL_WIDTH
        for index, name in enumerate(series):
            parts.append(
                f'<rect x="{x}" y="6" width="18" height="18" fill="{_fill(chart_id, index)}"'
                ' stroke="#111111"/>'
                f'<text x="{x + 24}" y="20">{escape(name)}</text>'
            )
            x += 30 + 9 * len(str(name))
    y = legend_height + GAP
    for label, cells in rows:
        label_y = y + len(series) * BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{label_y:.0f}" text-anchor="end">{escape(label)}</text>'
        )
        for index, cell in enumerate(cells):
            bar_y = y + index * BAR_HEIGHT
            text = display(cell)
            if many:
                text = f"{series[index]}: {text}"
            width = 0.0
            if cell.shown and cell.value:
                width = max(2.0, BAR_AREA * min(float(cell.value), top) / top)
                parts.append(
                    f'<rect x="{LABEL_WIDTH}" y="{bar_y + 2}" width="{width:.1f}"'
                    f' height="{BAR_HEIGHT - 4}" fill="{_fill(chart_id, index)}"'
                    ' stroke="#111111"/>'
                )
            parts.append(
                f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{bar_y + BAR_HEIGHT - 6}">'
                f"{escape(text)}</text>"
            )
        y += group_height
    parts.append("</g></svg>")
    table = [
        f'<table class="chart-data" aria-describedby="{chart_id}-desc">',
        f"<caption>{escape(title)}</caption>",
        f'<thead><tr><th scope="col">{escape(row_header)}</th>',
    ]
    for name in series:
        table.append(f'<th scope="col">{escape(name or _("Number"))}</th>')
    table.append("</tr></thead><tbody>")
    for label, cells in rows:
        table.append(f'<tr><th scope="row">{escape(label)}</th>')
        for cell in cells:
            table.append(f"<td>{escape(display(cell))}</td>")
        table.append("</tr>")
    table.append("</tbody></table>")
    return Markup("".join(parts) + "\n" + "".join(table))  # noqa: S704 - every text escaped
