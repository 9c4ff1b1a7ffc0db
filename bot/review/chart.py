"""A stacked bar chart of messages per day by how they ended (or by what users said of
the answers), drawn on the server as SVG:
no script, nothing fetched from elsewhere (the console's Content-Security-Policy allows
neither)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

# Colours by outcome, the answered ones at the bottom of each bar; then by feedback.
COLOURS = {"answered": "#2e7d32", "hedged": "#f9a825", "unlisted": "#1565c0", "not_covered": "#6a1b9a",
           "declined": "#757575", "fallback": "#c62828", "conversation": "#90a4ae", "lookup": "#00838f",
           "helpful": "#2e7d32", "not_helpful": "#c62828"}
WIDTH, HEIGHT, MARGIN, LEGEND = 720, 220, 30, 130


def stacked_bars(days: Sequence[tuple[str, Mapping[str, int]]], labels: Mapping[str, str], title: str) -> str:
    """SVG bars, oldest day on the left, of the series `labels` names in the page's language."""
    series = [(name, colour) for name, colour in COLOURS.items() if name in labels]
    peak = max([sum(counts.get(name, 0) for name in labels) for _, counts in days] + [1])
    plot = WIDTH - LEGEND - MARGIN
    step = plot / max(len(days), 1)
    bar = max(step * 0.7, 2)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + MARGIN}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
             f'<text x="{MARGIN}" y="14" font-size="11" fill="#5a6472">{peak}</text>',
             f'<line x1="{MARGIN}" y1="{HEIGHT}" x2="{MARGIN + plot}" y2="{HEIGHT}" stroke="#5a6472"/>']
    for index, (day, counts) in enumerate(days):
        x = MARGIN + index * step + (step - bar) / 2
        y = float(HEIGHT)
        for outcome, colour in series:
            height = (HEIGHT - 20) * counts.get(outcome, 0) / peak
            if height:
                y -= height
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                             f'fill="{colour}"><title>{escape(day)} {escape(labels[outcome])}: '
                             f'{counts[outcome]}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT + 14}" font-size="10" text-anchor="middle" '
                     f'fill="#5a6472">{escape(day[5:])}</text>')
    for index, (outcome, colour) in enumerate(series):
        y = 20 + index * 18
        parts.append(f'<rect x="{WIDTH - LEGEND + 10}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{WIDTH - LEGEND + 28}" y="{y}" font-size="11" fill="#1d2430">'
                     f'{escape(labels[outcome])}</text>')
    parts.append("</svg>")
    return "".join(parts)
