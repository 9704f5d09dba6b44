"""Monitoring steps of a night: read the workspace's files, call the pure modules, write
and log. (Training's step, the reference, is in ``saving``.)

Nothing here imports prefect; ``flow`` wraps these as tasks.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forewarn.features.atomic import write_parquet_atomic, write_text_atomic
from forewarn.features.dataset import load_dataset
from forewarn.features.durations import hours
from forewarn.features.inputs import resolve_sensors
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.monitoring import gate
from forewarn.flows.monitoring.assess import assess_drift, assess_steps
from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.monitoring.performance import (
    confirm,
    labelled_nights,
    pooled_recall,
    realised_series,
)
from forewarn.flows.monitoring.quality import quality_report
from forewarn.flows.monitoring.report import write_report
from forewarn.flows.monitoring.step import ASSET, LIFE, NIGHT
from forewarn.flows.settings import Settings
from forewarn.models.registry import list_models, log_monitoring_night
from forewarn.serving.outcome_store import read_outcomes
from forewarn.serving.store import ScoreStore


def _model_version(current: pl.DataFrame) -> str | None:
    found = current["risk_model_version"].drop_nulls() if "risk_model_version" in current else None
    if found is None or found.len() == 0:
        return None
    return str(found.mode().sort()[0]).rsplit(" v", 1)[-1]  # stored as "<model> v<version>"


def recent_inputs(paths: MonitoringPaths, as_of: datetime, columns: list[str], nights: int):
    """The previous ``nights`` stored nights' inputs (only ``columns``), within twice that
    many days, so a long gap in scoring never passes for the recent past."""
    found = paths.nights_before(as_of, timedelta(days=2 * nights))[-nights:]
    frames = []
    for path in found:
        lazy = pl.scan_parquet(path)
        names = lazy.collect_schema().names()
        frames.append(lazy.select([c for c in columns if c in names]).collect())
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def drift_of_night(
    current: pl.DataFrame,
    as_of: datetime,
    exp: ExperimentConfig,
    paths: MonitoringPaths,
    out: Path,
) -> tuple[dict, dict | None]:
    """Drift section of the night and the reference meta (``available: False`` without one).

    Both detectors: distribution against the reference, steps against the recent nights;
    the night alarms when either does.
    """
    version = _model_version(current)
    folder = paths.reference_dir(exp.model.risk_model_name, version or "none")
    if version is None or not (folder / "reference.json").exists():
        reason = (
            f"no drift reference for {exp.model.risk_model_name} v{version} (retrain to make one)"
        )
        return {"available": False, "reason": reason, "share": 0.0, "alarm": False}, None
    meta = json.loads((folder / "reference.json").read_text())
    cfg = exp.monitoring
    section = assess_drift(
        pl.read_parquet(folder / "reference.parquet"),
        pl.read_parquet(folder / "thresholds.parquet"),
        meta,
        current,
        cfg.drift,
        out / "drift.html",
    )
    table = (
        pl.read_parquet(folder / "steps.parquet") if (folder / "steps.parquet").exists() else None
    )
    wanted = [ASSET, NIGHT, LIFE, *cfg.drift.groups, cfg.step.center_by or ASSET]
    wanted = list(dict.fromkeys(wanted + meta.get("step_columns", [])))
    recent = recent_inputs(paths, as_of, wanted, cfg.step.recent_nights)
    step = assess_steps(recent, table, current, cfg.drift, cfg.step)
    combined = {
        "alarm": section["alarm"] or step["alarm"],
        "alarm_scopes": list(dict.fromkeys(section["alarm_scopes"] + step["alarm_scopes"])),
        "distribution_alarm": section["alarm"],
        "step": step,
    }
    return {"available": True, "model_version": version, **section, **combined}, meta


def performance_series(
    url: str, as_of: datetime, exp: ExperimentConfig, settings: Settings
) -> tuple[pl.DataFrame, float | None]:
    """Realised metrics of every matured stored night, and of younger ones the technicians
    answered (written to the workspace), and the event recall pooled over the latest
    ``recall_nights`` matured nights (None: too few failures). Confirmed faults count as
    failures; outcomes recorded for inspections after ``as_of`` are not known yet."""
    history = ScoreStore(settings.scores_dir).history_for(as_of + timedelta(seconds=1), 100_000)
    nights = (
        {part["as_of"][0]: part for part in history.partition_by("as_of")} if history.height else {}
    )
    events = load_dataset(url, as_of=as_of).events
    failures = events.filter(pl.col("kind") == "failure").select("asset_id", "ts").collect()
    horizon, lead = hours(exp.labels.horizon), hours(exp.model.lead_time)
    budget, gate_cfg = exp.model.inspection_budget, exp.monitoring.gate
    outcomes = read_outcomes(ScoreStore(settings.scores_dir))
    outcomes = outcomes.filter(pl.col("inspected_at") <= as_of)  # known tonight
    labelled = {
        t: confirm(frame, outcomes)
        for t, frame in labelled_nights(nights, failures, as_of, horizon).items()
    }
    series = realised_series(labelled, horizon, lead, budget, nights, outcomes)
    write_parquet_atomic(series, MonitoringPaths(settings.home).performance)
    recall = pooled_recall(
        labelled, gate_cfg.recall_nights, gate_cfg.min_failures, horizon, lead, budget
    )
    return series, recall


def monitor_night(
    url: str, as_of: datetime, exp: ExperimentConfig, settings: Settings
) -> dict[str, Any]:
    """Drift, data quality and realised performance for one scored night; writes the reports.

    Raises:
        LookupError: the night was not scored (no saved inputs).
    """
    paths = MonitoringPaths(settings.home)
    inputs = paths.night_inputs(as_of)
    if not inputs.exists():
        raise LookupError(f"no scored inputs for {as_of.isoformat()}: run `forewarn score` first")
    current = pl.read_parquet(inputs)
    out = paths.report_dir(as_of)
    drift, meta = drift_of_night(current, as_of, exp, paths, out)
    dataset = load_dataset(url, as_of=as_of)
    assets = dataset.assets.select("asset_id").collect()["asset_id"].to_list()
    sensors = meta["sensors"] if meta else list(resolve_sensors(dataset.telemetry, exp.features))
    quality = quality_report(
        dataset.telemetry,
        assets,
        sensors,
        meta["sensor_ranges"] if meta else {},
        as_of,
        exp.monitoring.quality,
    )
    series, recall = performance_series(url, as_of, exp, settings)
    summary = {
        "as_of": as_of.isoformat(),
        "assets": current.height,
        "drift": drift,
        "quality": quality,
        "performance": series.tail(1).to_dicts()[0] if series.height else None,
        "pooled_recall": recall,
    }
    write_text_atomic(json.dumps(summary, indent=1, default=str), out / "summary.json")
    return {
        "as_of": as_of.isoformat(),
        "drift_share": drift["share"],
        "alarm": drift["alarm"],
        "alarm_scopes": drift.get("alarm_scopes", []),
        "pooled_recall": recall,
        "trained_until": meta["window"][1] if meta else None,
        "quality_alerts": quality["alerts"],
        "summary": str(out / "summary.json"),
        "folder": str(out),
    }


def read_decisions(path: Path) -> list[dict]:
    """Logged decisions, oldest first (the last record of a night wins)."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    latest = {r["as_of"]: r for r in rows}
    return [latest[k] for k in sorted(latest)]


def _champion_created(exp: ExperimentConfig, settings: Settings) -> datetime | None:
    """The end of the champion's training data, as registered with it (data time: a
    back-filled or replayed night is as old as its data, not as the wall clock says);
    its registration time only for a version registered without one."""
    for v in list_models(settings.tracking_uri, (exp.model.risk_model_name,)):
        if "champion" in v.aliases:
            return v.trained_until
    return None


def gate_night(record: dict, exp: ExperimentConfig, settings: Settings) -> dict[str, Any]:
    """Apply the retraining policy to tonight's record and the nights since the last retraining."""
    paths = MonitoringPaths(settings.home)
    past = [d for d in read_decisions(paths.decisions) if d["as_of"] < record["as_of"]]
    last = max((i for i, d in enumerate(past) if d.get("retrained")), default=-1)
    alarms = [bool(d.get("drift_alarm")) for d in past[last + 1 :]] + [record["alarm"]]
    cfg = exp.monitoring.gate
    as_of = datetime.fromisoformat(record["as_of"])
    # Age runs from the newest night the model learned from: registration time is wall-clock
    # and says nothing when nights are back-filled or simulated (the demo's were -450 days).
    until = record.get("trained_until")
    created = datetime.fromisoformat(until) if until else _champion_created(exp, settings)
    retrained = datetime.fromisoformat(past[last]["as_of"]) if last >= 0 else None
    decision = gate.decide(as_of, alarms, record.get("pooled_recall"), created, cfg, retrained)
    return {
        **decision.to_dict(),
        "drift_share": record["drift_share"],
        "drift_alarm": record["alarm"],
        "enabled": cfg.enabled,
    }


def record_decision(
    decision: dict, record: dict, exp: ExperimentConfig, settings: Settings
) -> dict:
    """Append the decision to the workspace log, write the report, log the night to MLflow."""
    paths = MonitoringPaths(settings.home)
    paths.decisions.parent.mkdir(parents=True, exist_ok=True)
    with paths.decisions.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(decision, default=str) + "\n")
    summary = json.loads(Path(record["summary"]).read_text())
    summary["decision"] = decision
    write_text_atomic(json.dumps(summary, indent=1, default=str), record["summary"])
    series = pl.read_parquet(paths.performance) if paths.performance.exists() else None
    report = write_report(summary, series, Path(record["folder"]) / "report.html")
    files = [
        p
        for p in (report, Path(record["summary"]), Path(record["folder"]) / "drift.html")
        if p.exists()
    ]
    perf = summary.get("performance") or {}
    metrics = {
        "drift.share": record["drift_share"],
        "drift.alarm": float(record["alarm"]),
        "quality.alerts": float(len(record["quality_alerts"])),
        "gate.retrain": float(decision["retrain"]),
    }
    metrics |= {f"realised.{k}": float(v) for k, v in perf.items() if isinstance(v, int | float)}
    tags = {"as_of": record["as_of"], "gate.reasons": "; ".join(decision["reasons"])[:4000]}
    run_id = log_monitoring_night(
        settings.tracking_uri,
        f"{exp.name}-monitoring",
        f"monitor-{record['as_of']}",
        metrics,
        tags,
        files,
        artifact_location=settings.artifact_root,
    )
    return {"report": str(report), "mlflow_run": run_id}
