"""Everything the HTML report shows, computed from frames into plain values (pure).

Kept apart from the file writing so it can be tested without touching disk, and so
the template only lays out numbers that were decided here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import polars as pl
from markupsafe import Markup

from forewarn.serving import svg
from forewarn.serving.risklist import PRIORITIES, RiskListConfig, prioritise
from forewarn.serving.schema import SCORE_SCHEMA, STATUSES

if TYPE_CHECKING:
    from forewarn.serving.report import ReportMeta

MAX_SENSOR_CHARTS = 4
MAX_POINTS = 400
_STATUS_ORDER = ("scored", "stale", "short_history", "unscorable")
assert set(_STATUS_ORDER) == STATUSES


def report_context(
    ranked: pl.DataFrame,
    history: pl.DataFrame | None,
    sensor_history: pl.DataFrame | None,
    meta: ReportMeta,
) -> dict[str, Any]:
    """Values for ``templates/report.html.j2`` (see ``report.write_report`` for the args)."""
    cfg = meta.config
    history = _scores_only(history)
    top = ranked.filter(pl.col("risk_rank").is_not_null()).sort("risk_rank").head(cfg.top_n)
    ids = top["asset_id"]
    nights = _asset_nights(history, ranked, ids)
    sensors = _sensor_frames(sensor_history, ids)
    # One scale for every sparkline and history chart: comparable rows, never flat.
    top_p = svg.scale_top([v for h in top["p_fail_history"].to_list() for v in h or []])
    rows = [
        asset_row(r, nights.get(r["asset_id"]), sensors.get(r["asset_id"]), top_p)
        for r in top.iter_rows(named=True)
    ]
    return {
        "title": meta.title,
        "meta": meta,
        "config": cfg,
        "as_of": ranked["as_of"][0],
        "fleet_size": ranked.height,
        "rows": rows,
        "filters": {c: sorted({r[c] for r in rows if r[c] is not None}) for c in _FILTERS},
        "summary": summary(ranked),
        "histogram": svg.histogram(ranked["p_fail"].drop_nulls().to_list(), tier_starts(ranked)),
        "rul_cap": meta.rul_cap_hours,
        "tiers": tier_rules(cfg),
        "fleet_chart": fleet_chart(ranked, history, cfg),
        "models": models(ranked),
        "span": data_span(ranked, history),
    }


_FILTERS = ("plant", "line", "asset_type")


def _scores_only(history: pl.DataFrame | None) -> pl.DataFrame:
    if history is None or history.height == 0:
        return SCORE_SCHEMA.to_frame()
    return history.select(SCORE_SCHEMA.names())


def summary(ranked: pl.DataFrame) -> dict[str, Any]:
    """Counts by priority, status and alert state, in a fixed, readable order."""

    def counts(col: str, order: tuple[str, ...]) -> list[tuple[str, int]]:
        found = dict(ranked.group_by(col).len().iter_rows())
        return [(k, found.get(k, 0)) for k in order]

    alerts = dict(ranked.group_by("alert_state").len().iter_rows())
    return {
        # Calibrated probabilities add up: the failures to expect within the horizon.
        "expected_failures": float(ranked["p_fail"].drop_nulls().sum()),
        "priority": counts("priority", PRIORITIES),
        "status": counts("status", _STATUS_ORDER),
        "new": alerts.get("new", 0),
        "still_open": alerts.get("still_open", 0),
        "checked": alerts.get("checked", 0),
        "stale": int(ranked["is_stale"].sum()),
    }


def tier_starts(ranked: pl.DataFrame) -> dict[str, float]:
    """The lowest probability in each listed tier tonight (where the tier starts)."""
    found = (
        ranked.filter(pl.col("p_fail").is_not_null())
        .group_by("priority")
        .agg(pl.col("p_fail").min())
    )
    starts = dict(found.iter_rows())
    return {p: starts[p] for p in PRIORITIES[:3] if p in starts}


def tier_rules(cfg: RiskListConfig) -> dict[str, str]:
    """How each tier is chosen, in words (footer of the report)."""

    def rule(threshold: float | None, share: float) -> str:
        if threshold is not None:
            return f"probability ≥ {threshold:.1%}"
        return f"the top {share * 100:g} % of tonight's scored assets"

    p1 = f"the top {cfg.budget * 100:g} % of the fleet (the daily inspection budget)"
    if cfg.p1_min > 0:
        p1 += f" with probability ≥ {cfg.p1_min:.1%}"
    return {
        "P1": p1,
        "P2": rule(cfg.p2_threshold, cfg.p2_share),
        "P3": rule(cfg.p3_threshold, cfg.p3_share),
    }


def fleet_chart(ranked: pl.DataFrame, history: pl.DataFrame, cfg: RiskListConfig) -> Markup:
    """Assets per priority on each recent night, rebuilt with tonight's rules."""
    both = pl.concat([history, ranked.select(SCORE_SCHEMA.names())])
    per_night = (
        prioritise(both.lazy(), cfg)
        .group_by("as_of")
        .agg(**{p: (pl.col("priority") == p).sum() for p in PRIORITIES[:3]})
        .sort("as_of")
        .collect()
    )
    series = {p: per_night[p].cast(pl.Float64).to_list() for p in PRIORITIES[:3]}
    top = max([1.0, *(v for vals in series.values() for v in vals)])
    xs = per_night["as_of"].to_list()
    return svg.line_chart(xs, series, "assets per priority:", y_range=(0.0, top))


def models(ranked: pl.DataFrame) -> list[dict[str, Any]]:
    """Model versions and horizons behind tonight's scores, with how many rows each made."""
    keys = ["risk_model_version", "rul_model_version", "horizon_hours"]
    return (
        ranked.filter(pl.col("p_fail").is_not_null())
        .group_by(keys)
        .len()
        .sort(keys, nulls_last=True)
        .to_dicts()
    )


def data_span(ranked: pl.DataFrame, history: pl.DataFrame) -> dict[str, Any]:
    """When the data behind the list was read: newest and oldest last readings, nights."""
    as_of = ranked["as_of"][0]
    fresh = ranked["data_freshness_hours"].drop_nulls()
    return {
        "newest_reading": None if fresh.is_empty() else as_of - timedelta(hours=fresh.min()),
        "oldest_last_reading": None if fresh.is_empty() else as_of - timedelta(hours=fresh.max()),
        "first_night": history["as_of"].min() if history.height else as_of,
        "nights": history["as_of"].n_unique() + 1,
        "scored_from": ranked["scored_at"].min(),
        "scored_to": ranked["scored_at"].max(),
    }


def asset_row(
    row: dict[str, Any],
    nights: pl.DataFrame | None,
    sensors: pl.DataFrame | None,
    top_p: float = 1.0,
) -> dict[str, Any]:
    """One top-list asset with its sparkline and detail charts ready to place.

    ``top_p``: the probability axis' upper limit shared by the rows of the table.
    """
    drivers = row["top_drivers"] or []
    charts = _sensor_charts(sensors, drivers) if sensors is not None else []
    history_chart = None
    if nights is not None and nights.height > 1:
        history_chart = svg.line_chart(
            nights["as_of"].to_list(),
            {"probability": nights["p_fail"].to_list()},
            "Probability of failure by night",
            y_range=(0.0, svg.scale_top(nights["p_fail"].to_list())),
        )
    return {
        **row,
        "drivers": drivers,
        "detail_id": f"asset-{row['risk_rank']}",
        "spark": svg.sparkline(row.get("p_fail_history") or [row["p_fail"]], top=top_p),
        "history_chart": history_chart,
        "sensor_charts": charts,
    }


def _asset_nights(history: pl.DataFrame, ranked: pl.DataFrame, ids: pl.Series) -> dict[str, Any]:
    cols = ["as_of", "asset_id", "p_fail"]
    both = pl.concat([history.select(cols), ranked.select(cols)])
    mine = both.filter(pl.col("asset_id").is_in(ids.implode())).sort("asset_id", "as_of")
    return {k[0]: v for k, v in mine.partition_by("asset_id", as_dict=True).items()}


def _sensor_frames(sensor_history: pl.DataFrame | None, ids: pl.Series) -> dict[str, Any]:
    if sensor_history is None or sensor_history.height == 0 or ids.is_empty():
        return {}
    mine = sensor_history.filter(pl.col("asset_id").is_in(ids.implode())).sort("asset_id", "ts")
    return {k[0]: v for k, v in mine.partition_by("asset_id", as_dict=True).items()}


def sensors_for(columns: list[str], drivers: list[str]) -> list[tuple[str, bool]]:
    """Sensors to draw, those the drivers mention first: ``(name, mentioned)`` pairs."""
    text = " ".join(drivers).lower()

    def mentioned(name: str) -> bool:
        return name.lower() in text or name.lower().replace("_", " ") in text

    ordered = sorted(columns, key=lambda c: (not mentioned(c), columns.index(c)))
    return [(c, mentioned(c)) for c in ordered[:MAX_SENSOR_CHARTS]]


def _sensor_charts(frame: pl.DataFrame, drivers: list[str]) -> list[dict[str, Any]]:
    numeric = [c for c, t in frame.schema.items() if t.is_numeric() and c != "asset_id"]
    step = max(1, frame.height // MAX_POINTS)
    thin = frame.gather_every(step)
    ts = thin["ts"].to_list()
    return [
        {
            "sensor": name,
            "mentioned": flag,
            "svg": svg.line_chart(ts, {name: thin[name].cast(pl.Float64).to_list()}, name),
        }
        for name, flag in sensors_for(numeric, drivers)
    ]
