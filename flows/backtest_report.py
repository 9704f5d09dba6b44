"""Write a backtest's results: JSON for tools, Markdown and a small HTML page for people.

The grading is in ``backtest_grade``; this module reads the backtest's score store and
the dataset's recorded events, and writes ``summary.json``, ``summary.md``,
``summary.html``, ``nights.csv`` and ``failures.csv`` into the backtest folder.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forewarn.features.dataset import load_dataset
from forewarn.flows import backtest_grade as grade
from forewarn.flows.experiment import ExperimentConfig
from forewarn.serving.store import ScoreStore

TOTAL_LABELS: dict[str, str] = {
    "nights": "nights replayed",
    "assets": "assets",
    "inspections": "inspections used (P1 on the nightly list)",
    "hits": "inspections that found an asset failing within the horizon",
    "false_alarms": "false alarms (inspected, no failure within the horizon)",
    "pending": "inspections whose outcome is not yet known (horizon past the data)",
    "failures": "failures a list could have warned about in time",
    "caught": "failures caught with at least the lead time",
    "missed": "failures missed",
    "event_recall": "share of failures caught in time",
    "lead_hours_median": "median warning (hours before failure)",
    "precision_of_inspections": "share of inspections that found a failing asset",
    "false_alarms_per_asset_month": "false alarms per asset per month",
    "pr_auc": "PR-AUC of p_fail (all graded nights)",
    "inspections_per_day": "inspections a night the budget allows (mean)",
    "failing_assets_per_day": "machines failing within the horizon, per night (mean)",
    "most_catchable_at_budget": "most failures the budget could have caught (perfect ranking)",
    "caught_at_1_per_night": "failures caught with 1 inspection a night",
    "caught_at_2_per_night": "failures caught with 2 inspections a night",
    "caught_at_5_per_night": "failures caught with 5 inspections a night",
    "caught_at_10_per_night": "failures caught with 10 inspections a night",
}


def grade_backtest(
    url: str, scores_dir: Path, nights: list[datetime], exp: ExperimentConfig, data_end: datetime
) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """Totals, per-night table and per-failure table of the stored backtest nights."""
    store = ScoreStore(scores_dir)
    scores = store.history_for(nights[-1] + timedelta(seconds=1), len(nights))
    events = load_dataset(url).events.collect()
    frame = grade.outcomes(scores, events, exp, data_end)
    failures = grade.name_failures(grade.failure_table(frame, exp), frame, events, exp)
    per_night = grade.night_table(frame, failures, exp.features.snapshot_every)
    totals = grade.totals(frame, failures, exp) | grade.component_totals(failures)
    return totals, per_night, failures


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return "" if value is None else str(value)


def _rows(frame: pl.DataFrame) -> list[list[str]]:
    return [[_cell(v) for v in row] for row in frame.iter_rows()]


def markdown(meta: dict[str, Any], totals: dict, nights: pl.DataFrame, fails: pl.DataFrame) -> str:
    """The summary as Markdown: what planners would have seen, night by night."""
    lines = [f"# Backtest {meta['id']}", "", _describe(meta), "", "| total | value |", "|---|---|"]
    lines += [f"| {TOTAL_LABELS[k]} | {_cell(totals.get(k))} |" for k in TOTAL_LABELS]
    lines += _component_lines(totals)
    for title, frame in (("Nights", nights), ("Failures", fails)):
        lines += ["", f"## {title}", "", "| " + " | ".join(frame.columns) + " |"]
        lines.append("|" + "---|" * len(frame.columns))
        lines += ["| " + " | ".join(row) + " |" for row in _rows(frame)]
    return "\n".join(lines) + "\n"


def _component_lines(totals: dict) -> list[str]:
    """Per-component failures and recall, and how often the list named the right part."""
    per = totals.get("per_component")
    if not per:
        return []
    lines = ["", "## Per component", "", "| component | failures | caught | event recall |"]
    lines.append("|---|---:|---:|---:|")
    lines += [
        f"| {c} | {v['failures']} | {v['caught']} | {_cell(v['event_recall'])} |"
        for c, v in per.items()
    ]
    named = _cell(totals.get("named_correctly"))
    return [*lines, "", f"Caught failures whose failing part the list named: {named}"]


def _describe(meta: dict[str, Any]) -> str:
    models = "; ".join(
        f"{p['first_night'][:10]}–{p['last_night'][:10]}: {p['model']}" for p in meta["periods"]
    )
    return (
        f"Experiment `{meta['experiment']}`, nights {meta['start'][:16]} → {meta['end'][:16]} "
        f"(UTC), dataset `{meta['data']}`. Models: {models}. Each night was scored with the "
        "data known that night only; outcomes come from the events recorded afterwards."
    )


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
        for row in _rows(frame)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(meta: dict[str, Any], totals: dict, nights: pl.DataFrame, fails: pl.DataFrame) -> str:
    """A self-contained page (no scripts, no external assets); every value escaped."""
    summary = pl.DataFrame(
        {
            "total": list(TOTAL_LABELS.values()),
            "value": [_cell(totals.get(k)) for k in TOTAL_LABELS],
        }
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:right}th{background:#f3f3f3}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Backtest {html.escape(meta['id'])}</title><style>{style}</style></head><body>"
        f"<h1>Backtest {html.escape(meta['id'])}</h1><p>{html.escape(_describe(meta))}</p>"
        f"{_table(summary)}<h2>Nights</h2>{_table(nights)}<h2>Failures</h2>{_table(fails)}"
        "</body></html>\n"
    )


def write_backtest_report(
    folder: Path, meta: dict[str, Any], totals: dict, nights: pl.DataFrame, fails: pl.DataFrame
) -> dict[str, str]:
    """Write the summary files; returns their paths by kind."""
    paths = {
        "json": folder / "summary.json",
        "markdown": folder / "summary.md",
        "html": folder / "summary.html",
        "nights_csv": folder / "nights.csv",
        "failures_csv": folder / "failures.csv",
    }
    record = {
        **meta,
        "totals": totals,
        "nights": nights.to_dicts(),
        "failures": fails.to_dicts(),
    }
    paths["json"].write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    paths["markdown"].write_text(markdown(meta, totals, nights, fails), encoding="utf-8")
    paths["html"].write_text(html_page(meta, totals, nights, fails), encoding="utf-8")
    nights.write_csv(paths["nights_csv"])
    fails.write_csv(paths["failures_csv"])
    return {k: str(v) for k, v in paths.items()}
