"""The monitoring report: one self-contained HTML page per night.

Headline verdicts first (drift, data quality, the retraining decision), then the realised
performance series as inline SVG, then the drifting scopes and features. Evidently's own
full report sits beside it (``drift.html``).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import polars as pl

from forewarn.features.atomic import write_text_atomic
from forewarn.serving.svg import line_chart

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#101828}"
    "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #eaecf0;"
    "text-align:left}.bad{color:#b42318}.ok{color:#067647}.muted{color:#667085}"
)


def _row(cells: list[object]) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"


def _drift(drift: dict) -> str:
    if not drift.get("available"):
        return f"<p class='muted'>{escape(drift.get('reason', 'no drift reference'))}</p>"
    scopes = [drift["fleet"], *drift["groups"]]
    rows = "".join(
        _row(
            [
                s["scope"],
                s["rows"],
                "yes" if s["judged"] else "too few rows",
                f"{s['share']:.3f}",
                "ALARM" if s["alarm"] else "",
                ", ".join(s["sensors"]),
                ", ".join(d["column"] for d in s["drifted"][:5]),
            ]
        )
        for s in scopes
    )
    preds = "".join(
        _row([p["column"], p["score"], p["threshold"], "drift" if p["drifted"] else ""])
        for p in drift["predictions"]
    )
    return (
        "<h3>Against the training reference (distribution)</h3>"
        "<table><tr><th>scope</th><th>rows</th><th>judged</th><th>drift share</th><th></th>"
        f"<th>drifting sensors</th><th>strongest features</th></tr>{rows}</table>"
        "<h3>Prediction drift</h3><table><tr><th>column</th><th>score</th><th>threshold</th>"
        f"<th></th></tr>{preds}</table>"
        "<p><a href='drift.html'>Evidently report (fleet, every column)</a></p>"
        + _steps(drift.get("step", {}))
    )


def _steps(step: dict) -> str:
    head = "<h3>Against the recent nights (steps)</h3>"
    if not step.get("available"):
        return head + f"<p class='muted'>{escape(step.get('reason', 'not run'))}</p>"
    rows = "".join(
        _row(
            [
                s["scope"],
                s["rows"],
                "yes" if s["judged"] else "too few assets",
                "ALARM" if s["alarm"] else "",
                ", ".join(s["sensors"]),
                ", ".join(
                    f"{d['column']} ({100 * d['share']:.0f}% of assets, "
                    f"median change {d['median_change']:+.2f})"
                    for d in s["stepped"][:3]
                ),
            ]
        )
        for s in step["scopes"]
    )
    return (
        f"{head}<table><tr><th>scope</th><th>assets</th><th>judged</th><th></th>"
        f"<th>stepped sensors</th><th>strongest features</th></tr>{rows}</table>"
    )


def _performance(series: pl.DataFrame | None) -> str:
    if series is None or series.height == 0:
        return "<p class='muted'>no night has matured yet (labels arrive after the horizon)</p>"
    xs = series["as_of"].to_list()
    chart = line_chart(
        xs,
        {k: series[k].fill_nan(None).to_list() for k in ("precision_at_k", "event_recall")},
        "realised precision@k and event recall per scored night",
        width=640,
        y_range=(0.0, 1.0),
    )
    alarms = line_chart(
        xs, {"false alarms": series["false_alarms"].to_list()}, "false alarms", width=640
    )
    return f"{chart}<br>{alarms}"


def write_report(summary: dict, series: pl.DataFrame | None, path: Path) -> Path:
    """Write the night's monitoring page (every value escaped; no external resources)."""
    decision = summary.get("decision", {})
    verdict = "retrain" if decision.get("retrain") else "keep the champion"
    if decision.get("retrain_suppressed"):
        verdict = "retrain (not run: --no-retrain)"
    quality = summary["quality"]["alerts"]
    body = (
        f"<h1>Monitoring {escape(summary['as_of'])}</h1>"
        f"<p>Drift share (worst scope): <b>{summary['drift']['share']:.3f}</b> "
        f"<span class='{'bad' if summary['drift']['alarm'] else 'ok'}'>"
        f"{'ALARM' if summary['drift']['alarm'] else 'no alarm'}</span></p>"
        f"<p>Decision: <b>{verdict}</b> — {escape('; '.join(decision.get('reasons', [])))}</p>"
        "<h2>Data quality</h2>"
        + (
            "<ul>" + "".join(f"<li>{escape(a)}</li>" for a in quality) + "</ul>"
            if quality
            else "<p class='ok'>no data-quality alert</p>"
        )
        + "<h2>Realised performance</h2>"
        + _performance(series)
        + "<h2>Drift</h2>"
        + _drift(summary["drift"])
    )
    head = f"<head><meta charset='utf-8'><style>{_STYLE}</style></head>"
    html = f"<!doctype html><html>{head}<body>{body}</body></html>"
    return write_text_atomic(html, path)
