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


def sparkline(
    values: Sequence[float | None], width: int = 96, height: int = 22, top: float = 1.0
) -> Markup:
    """A tiny line of recent nights' probabilities on a fixed 0–``top`` scale.

    Pass one ``top`` for every row of a table (e.g. the highest probability shown) so
    rows stay comparable while a fleet whose risks are all below 20 % is not drawn flat.
    The last value gets a dot: it is tonight's.
    """
    if not any(_finite(v) for v in values):
        return Markup("")
    step = (width - 4) / max(len(values) - 1, 1)
    y = _scale(0.0, top if top > 0 else 1.0, height - 2, 2)
    pts = [(2 + i * step, None if not _finite(v) else y(v)) for i, v in enumerate(values)]  # type: ignore[arg-type]
    body = "".join(_path(run, _LINE) for run in _segments(pts))
    last = pts[-1]
    if last[1] is not None:
        body += f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2.2" fill="#b42318"/>'
    return Markup(  # nosec B704  # numbers formatted here, labels escape()d
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="probability over recent nights">{body}</svg>'
    )


def scale_top(values: Sequence[float | None], floor: float = 0.01) -> float:
    """An upper axis limit a little above the largest value (never above 1, at least ``floor``)."""
    finite = [v for v in values if _finite(v)]
    return min(1.0, max([floor, *finite]) * 1.15)


def _log_bins(values: Sequence[float], per_decade: int) -> tuple[float, list[float]]:
    """Bin edges from the decade below the smallest positive value (≥ 0.01 %) up to 1."""
    positive = [v for v in values if v > 0]
    low = max(min(positive, default=1e-4), 1e-4)
    start = math.floor(math.log10(low))
    edges = [10 ** (start + i / per_decade) for i in range(-start * per_decade + 1)]
    return start, edges


def _pct_label(p: float) -> str:
    return f"{p:.0%}" if p >= 0.01 else f"{p * 100:.2g}%"


def _mark(x: float, bottom: float, plot_h: float, name: str, p: float) -> str:
    top = bottom - plot_h - 6
    return (
        f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom}" stroke="#b42318" '
        f'stroke-dasharray="3,2"/><text x="{x + 2:.1f}" y="{top - 2:.1f}" fill="#b42318">'
        f"{escape(name)} ≥ {_pct_label(p)}</text>"
    )


def histogram(
    values: Sequence[float],
    marks: dict[str, float] | None = None,
    width: int = 480,
    height: int = 170,
    per_decade: int = 4,
) -> Markup:
    """How many assets fall in each probability band, on a log-probability axis.

    Probabilities over a short horizon crowd near zero: on a linear 0–100 % axis the
    whole fleet is one bar and the tail (the machines to inspect) is invisible. Bands
    are log-spaced (``per_decade`` per factor of ten) and bar heights grow with
    log(1 + count), so a single asset in the tail still shows; exact counts are in each
    bar's tooltip. ``marks``: labelled cut-offs (e.g. where P1 starts) drawn as lines.
    """
    start, edges = _log_bins(values, per_decade)
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = 0 if v <= edges[0] else int((math.log10(v) - start) * per_decade)
        counts[min(max(i, 0), len(counts) - 1)] += 1
    top = max(counts) or 1
    left, right, bottom, plot_h = 36, width - 8, height - 22, height - 44
    fx = _scale(start, 0.0, left, right)
    bars = []
    for i, c in enumerate(counts):
        h = math.log1p(c) / math.log1p(top) * plot_h
        x0, x1 = fx(math.log10(edges[i])), fx(math.log10(edges[i + 1]))
        band = f"{_pct_label(edges[i])}–{_pct_label(edges[i + 1])}"
        bars.append(
            f'<rect x="{x0:.1f}" y="{bottom - h:.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{_LINE}"><title>{band}: {c} assets</title></rect>'
        )
    ticks = "".join(
        f'<text x="{fx(d):.1f}" y="{height - 6}" text-anchor="middle">{_pct_label(10.0**d)}</text>'
        for d in range(start, 1)
    )
    lines = "".join(
        _mark(fx(math.log10(p)), bottom, plot_h, name, p)
        for name, p in (marks or {}).items()
        if p > 0
    )
    axis = (
        f'<text x="{left - 4}" y="{bottom - plot_h + 4:.1f}" text-anchor="end">{top}</text>'
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end">0</text>'
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{_AXIS}"/>'
    )
    return Markup(  # nosec B704  # numbers formatted here, labels escape()d
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="risk distribution (log scale)" font-size="10" fill="{_AXIS}">'
        f"{''.join(bars)}{lines}{ticks}{axis}</svg>"
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
