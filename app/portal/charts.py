"""Small server-rendered SVG charts (no script, readable by screen readers via <title>
and the data table each page prints beside them)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BAR_HEIGHT = 22
LABEL_WIDTH = 140
CHART_WIDTH = 520


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    total: int


def bars_svg(bars: list[Bar], *, title: str) -> str:
    """Horizontal bars of value/total, one per row."""
    height = BAR_HEIGHT * max(len(bars), 1) + 10
    span = CHART_WIDTH - LABEL_WIDTH - 70
    rows = []
    for index, bar in enumerate(bars):
        y = 5 + index * BAR_HEIGHT
        share = bar.value / bar.total if bar.total else 0.0
        rows.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" class="chart-label" '
            f'text-anchor="end">{escape(bar.label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{span}" height="{BAR_HEIGHT - 6}" '
            'class="chart-track"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{span * share:.1f}" '
            f'height="{BAR_HEIGHT - 6}" class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + span + 6}" y="{y + 15}" class="chart-label">'
            f"{bar.value}/{bar.total}</text>"
        )
    return (
        f'<svg role="img" aria-labelledby="chart-title" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="{CHART_WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(title)}</title>{"".join(rows)}</svg>'
    )
