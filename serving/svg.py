"""Small inline-SVG charts for the report and the web page.

Inline SVG keeps the HTML report one self-contained file that opens offline, prints
sharply and costs microseconds per chart (a matplotlib PNG costs tens of ms, and a
report draws hundreds). Every number is formatted by this module and every label goes
through ``escape``, so the returned ``Markup`` is safe to place in an autoescaped page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from markupsafe import Markup, escape

_AXIS = "#667085"
_LINE = "#1d4ed8"
_PALETTE = ("#1d4ed8", "#c2410c", "#15803d", "#7e22ce", "#0e7490", "#a16207")


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Split a series at missing values so gaps are drawn as gaps, not as straight lines."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if _finite(y):
            runs[-1].append((x, y))  # type: ignore[arg-type]
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _path(run: list[tuple[float, float]], color: str, width: float = 1.5) -> str:
    if len(run) == 1:
        x, y = run[0]
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="{color}"/>'
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
    return f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"/>'


def _scale(lo: float, hi: float, out_lo: float, out_hi: float) -> Callable[[float], float]:
    span = (hi - lo) or 1.0
    return lambda v: out_lo + (v - lo) / span * (out_hi - out_lo)


def sparkline(values: Sequence[float | None], width: int = 96, height: int = 22) -> Markup:
    """A tiny line of recent nights' probabilities on a fixed 0–1 scale (comparable rows).

    The last value gets a dot: it is tonight's.
    """
    if not any(_finite(v) for v in values):
        return Markup("")
    step = (width - 4) / max(len(values) - 1, 1)
    y = _scale(0.0, 1.0, height - 2, 2)
    pts = [(2 + i * step, None if not _finite(v) else y(v)) for i, v in enumerate(values)]  # type: ignore[arg-type]
    body = "".join(_path(run, _LINE) for run in _segments(pts))
    last = pts[-1]
    if last[1] is not None:
        body += f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2.2" fill="#b42318"/>'
    return Markup(  # nosec B704  # numbers formatted here, labels escape()d
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="probability over recent nights">{body}</svg>'
    )


def histogram(
    values: Sequence[float], bins: int = 20, width: int = 480, height: int = 160
) -> Markup:
    """Bars of how many assets fall in each probability band (0–1), log-free and labelled."""
    counts = [0] * bins
    for v in values:
        counts[min(int(v * bins), bins - 1)] += 1
    top = max(counts) or 1
    left, bottom, plot_h = 36, height - 22, height - 34
    bar_w = (width - left - 8) / bins
    bars = []
    for i, c in enumerate(counts):
        h = c / top * plot_h
        x = left + i * bar_w
        lo, hi = i / bins, (i + 1) / bins
        bars.append(
            f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
            f'fill="{_LINE}"><title>{lo:.0%}–{hi:.0%}: {c} assets</title></rect>'
        )
    anchor = {0: "start", 1: "end"}
    ticks = "".join(
        f'<text x="{left + t * (width - left - 8):.1f}" y="{height - 6}" '
        f'text-anchor="{anchor.get(t, "middle")}">{t:.0%}</text>'
        for t in (0, 0.25, 0.5, 0.75, 1)
    )
    axis = (
        f'<text x="{left - 4}" y="{bottom - plot_h + 4:.1f}" text-anchor="end">{top}</text>'
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end">0</text>'
        f'<line x1="{left}" y1="{bottom}" x2="{width - 8}" y2="{bottom}" stroke="{_AXIS}"/>'
    )
    return Markup(  # nosec B704  # numbers formatted here, labels escape()d
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="risk distribution" font-size="10" fill="{_AXIS}">'
        f"{''.join(bars)}{ticks}{axis}</svg>"
    )


def line_chart(
    xs: Sequence[datetime],
    series: dict[str, Sequence[float | None]],
    title: str,
    width: int = 420,
    height: int = 140,
    y_range: tuple[float, float] | None = None,
) -> Markup:
    """Lines over time with min/max and first/last labels; titles and names are escaped.

    Args:
        xs: time of each point, ascending.
        series: name -> values aligned with ``xs`` (None marks a gap).
        title: chart caption.
        width: pixel width.
        height: pixel height.
        y_range: fixed y-axis limits (e.g. 0–1 for probabilities); default the data's.
    """
    ys = [v for vals in series.values() for v in vals if _finite(v)]
    if not xs or not ys:
        return Markup(f'<p class="muted">{escape(title)}: no data</p>')  # nosec B704  # escaped
    lo, hi = y_range or (min(ys), max(ys))
    left, right, top, bottom = 44, width - 8, 18, height - 20
    t0, t1 = xs[0].timestamp(), xs[-1].timestamp()
    fx, fy = _scale(t0, t1, left, right), _scale(lo, hi, bottom, top)
    lines, legend = [], []
    for i, (name, vals) in enumerate(series.items()):
        color = _PALETTE[i % len(_PALETTE)]
        pts = [
            (fx(x.timestamp()), fy(v) if _finite(v) else None)  # type: ignore[arg-type]
            for x, v in zip(xs, vals, strict=True)
        ]
        lines += [_path(run, color) for run in _segments(pts)]
        if len(series) > 1:
            legend.append(f'<tspan fill="{color}">■ {escape(name)}</tspan> ')
    labels = (
        f'<text x="{left}" y="12" fill="#101828">{escape(title)} {"".join(legend)}</text>'
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{_num(hi)}</text>'
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end">{_num(lo)}</text>'
        f'<text x="{left}" y="{height - 4}">{xs[0]:%Y-%m-%d %H:%M}</text>'
        f'<text x="{right}" y="{height - 4}" text-anchor="end">{xs[-1]:%Y-%m-%d %H:%M}</text>'
        f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
        f'fill="none" stroke="#eaecf0"/>'
    )
    return Markup(  # nosec B704  # numbers formatted here, labels escape()d
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-size="10" fill="{_AXIS}">'
        f"{labels}{''.join(lines)}</svg>"
    )


def _num(value: float) -> str:
    return f"{value:.3g}"
