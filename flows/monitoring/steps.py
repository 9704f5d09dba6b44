"""Monitoring steps: read the workspace's files, call the pure modules, write and log.

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
from forewarn.features.naming import label_columns
from forewarn.flows import steps as pipeline
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.monitoring import gate
from forewarn.flows.monitoring.assess import assess_drift
from forewarn.flows.monitoring.drift import calibrate
from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.monitoring.performance import pooled_recall, realised_series
from forewarn.flows.monitoring.quality import quality_report
from forewarn.flows.monitoring.reference import (
    calibration_nights,
    sensor_ranges,
    split_columns,
    stratified_sample,
)
from forewarn.flows.monitoring.report import write_report
from forewarn.flows.settings import Settings
from forewarn.models.champion import ChampionModels
from forewarn.models.registry import (
    CHALLENGER,
    list_models,
    load_champion,
    log_artifacts,
    log_monitoring_night,
)
from forewarn.serving.store import ScoreStore


def with_predictions(frame: pl.DataFrame, models: ChampionModels) -> pl.DataFrame:
    """Add the model's ``p_fail`` and ``rul_hours`` (the prediction columns drift compares)."""
    pred = models.predict(frame, strict=False)
    return frame.with_columns(pred["p_fail"], pred["rul_hours"])


def save_reference(
    frame_path: str,
    url: str,
    until: datetime | None,
    exp: ExperimentConfig,
    settings: Settings,
    run_id: str,
    versions: dict[str, str],
) -> dict[str, Any]:
    """Store the new risk model's drift reference in the workspace and log it to MLflow.

    Raises:
        LookupError: the challenger alias no longer points at the version just trained.
    """
    cfg, risk_name = exp.monitoring, exp.model.risk_model_name
    models = load_champion(
        settings.tracking_uri,
        alias=CHALLENGER,
        risk_name=risk_name,
        rul_name=exp.model.rul_model_name,
    )
    if models.versions.get(risk_name) != versions["risk"]:
        raise LookupError(f"{risk_name}@challenger is not version {versions['risk']} any more")
    frame = pl.read_parquet(frame_path).drop(label_columns(exp.labels), strict=False)
    numeric, categorical = split_columns(frame.columns, cfg.drift.ignore)
    sample = with_predictions(stratified_sample(frame, cfg.reference_rows, cfg.seed), models)
    picked = calibration_nights(frame, cfg.drift.calibration_nights)
    nights = with_predictions(frame.filter(pl.col("as_of").is_in(picked)), models)
    predictions = list(cfg.drift.prediction_columns)
    table = calibrate(sample, nights, numeric + predictions, cfg.drift)
    telemetry = pipeline.cut_at(load_dataset(url), until).telemetry
    sensors = list(resolve_sensors(telemetry, exp.features))
    meta = {
        "model": risk_name,
        "version": versions["risk"],
        "run_id": run_id,
        "window": [str(frame["as_of"].min()), str(frame["as_of"].max())],
        "rows": sample.height,
        "training_rows": frame.height,
        "calibration_nights": len(picked),
        "numeric": numeric,
        "categorical": categorical,
        "predictions": predictions,
        "sensors": sensors,
        "sensor_ranges": sensor_ranges(telemetry, sensors, cfg.quality.range_quantile),
        "config": cfg.model_dump(mode="json"),
    }
    folder = MonitoringPaths(settings.home).reference_dir(risk_name, versions["risk"])
    write_parquet_atomic(sample, folder / "reference.parquet")
    write_parquet_atomic(table, folder / "thresholds.parquet")
    write_text_atomic(json.dumps(meta, indent=1, default=str), folder / "reference.json")
    log_artifacts(settings.tracking_uri, run_id, folder, "monitoring/reference")
    return {"folder": str(folder), "rows": sample.height, "version": versions["risk"]}


def _model_version(current: pl.DataFrame) -> str | None:
    found = current["risk_model_version"].drop_nulls() if "risk_model_version" in current else None
    if found is None or found.len() == 0:
        return None
    return str(found.mode().sort()[0]).rsplit(" v", 1)[-1]  # stored as "<model> v<version>"


def drift_of_night(
    current: pl.DataFrame, exp: ExperimentConfig, paths: MonitoringPaths, out: Path
) -> tuple[dict, dict | None]:
    """Drift section of the night and the reference meta (``available: False`` without one)."""
    version = _model_version(current)
    folder = paths.reference_dir(exp.model.risk_model_name, version or "none")
    if version is None or not (folder / "reference.json").exists():
        reason = (
            f"no drift reference for {exp.model.risk_model_name} v{version} (retrain to make one)"
        )
        return {"available": False, "reason": reason, "share": 0.0, "alarm": False}, None
    meta = json.loads((folder / "reference.json").read_text())
    section = assess_drift(
        pl.read_parquet(folder / "reference.parquet"),
        pl.read_parquet(folder / "thresholds.parquet"),
        meta,
        current,
        exp.monitoring.drift,
        out / "drift.html",
    )
    return {"available": True, "model_version": version, **section}, meta


def performance_series(
    url: str, as_of: datetime, exp: ExperimentConfig, settings: Settings
) -> pl.DataFrame:
    """Realised metrics of every matured stored night, written to the workspace."""
    history = ScoreStore(settings.scores_dir).history_for(as_of + timedelta(seconds=1), 100_000)
    nights = (
        {part["as_of"][0]: part for part in history.partition_by("as_of")} if history.height else {}
    )
    events = load_dataset(url, as_of=as_of).events
    failures = events.filter(pl.col("kind") == "failure").select("asset_id", "ts").collect()
    series = realised_series(
        nights,
        failures,
        as_of,
        hours(exp.labels.horizon),
        hours(exp.model.lead_time),
        exp.model.inspection_budget,
    )
    write_parquet_atomic(series, MonitoringPaths(settings.home).performance)
    return series


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
    drift, meta = drift_of_night(current, exp, paths, out)
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
    series = performance_series(url, as_of, exp, settings)
    summary = {
        "as_of": as_of.isoformat(),
        "assets": current.height,
        "drift": drift,
        "quality": quality,
        "performance": series.tail(1).to_dicts()[0] if series.height else None,
    }
    write_text_atomic(json.dumps(summary, indent=1, default=str), out / "summary.json")
    return {
        "as_of": as_of.isoformat(),
        "drift_share": drift["share"],
        "alarm": drift["alarm"],
        "alarm_scopes": drift.get("alarm_scopes", []),
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
    for v in list_models(settings.tracking_uri, (exp.model.risk_model_name,)):
        if "champion" in v.aliases:
            return v.created_at
    return None


def gate_night(record: dict, exp: ExperimentConfig, settings: Settings) -> dict[str, Any]:
    """Apply the retraining policy to tonight's record and the nights since the last retraining."""
    paths = MonitoringPaths(settings.home)
    past = [d for d in read_decisions(paths.decisions) if d["as_of"] < record["as_of"]]
    last = max((i for i, d in enumerate(past) if d.get("retrained")), default=-1)
    shares = [d["drift_share"] for d in past[last + 1 :]] + [record["drift_share"]]
    series = pl.read_parquet(paths.performance) if paths.performance.exists() else None
    cfg = exp.monitoring.gate
    recall = None if series is None else pooled_recall(series, cfg.recall_nights, cfg.min_failures)
    as_of = datetime.fromisoformat(record["as_of"])
    decision = gate.decide(as_of, shares, recall, _champion_created(exp, settings), cfg)
    return {**decision.to_dict(), "drift_share": record["drift_share"], "enabled": cfg.enabled}


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
