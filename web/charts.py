"""Charts drawn on the server as SVG (``templates/_chart.html``): no script, no CDN, readable without
colour (each bar has its figures as a tooltip, and the chart a table of them for screen readers).

``bars`` lays a stacked bar chart out; the template draws it. Each series takes its colour from a CSS
class (web/static/app.css: ``chart-ok``, ``chart-bad``, ``chart-warn``, ``chart-info``).
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 200, 44, 28, 10


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    values: list[float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    tooltip: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str


@dataclass(frozen=True)
class Chart:
    """A chart laid out, for ``_chart.html``."""

    title: str
    ident: str
    width: int
    height: int
    rects: list[Rect]
    labels: list[Text]
    grid: list[float]  # y of each grid line
    axis_y: float
    left: int
    table_labels: list[str]
    series: list[Series]


def bars(title: str, labels: list[str], series: list[Series], *, unit: str = "", every: int = 1) -> Chart:
    """A stacked bar chart of ``series`` over ``labels``; every ``every``-th label is written."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice(max(totals, default=0))
    slot = (WIDTH - LEFT) / max(len(labels), 1)
    base = HEIGHT - BOTTOM
    rects, texts = [], []
    for index, label in enumerate(labels):
        x, y = LEFT + index * slot + slot * 0.15, float(base)
        for each in series:
            value = each.values[index]
            height = (base - TOP) * value / top if top else 0.0
            if height > 0:
                y -= height
                tooltip = f"{label}: {value:g}{unit} {each.name}"
                rects.append(
                    Rect(round(x, 1), round(y, 1), round(slot * 0.7, 1), round(height, 1), each.css, tooltip)
                )
        if index % every == 0:
            texts.append(Text(round(x + slot * 0.35, 1), HEIGHT - 8, label, "middle"))
    grid = []
    for fraction in (0.5, 1.0):
        y = round(base - (base - TOP) * fraction, 1)
        grid.append(y)
        texts.append(Text(LEFT - 6, y + 4, f"{_short(top * fraction)}{unit}", "end"))
    ident = "chart-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
    return Chart(title, ident, WIDTH, HEIGHT, rects, texts, grid, base, LEFT, labels, series)


def _nice(value: float) -> float:
    """A round top for the axis at or above ``value``."""
    if value <= 0:
        return 0.0
    step = 1.0
    while step * 10 < value:
        step *= 10
    return next(step * m for m in (1, 2, 5, 10) if step * m >= value)


def _short(value: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"
