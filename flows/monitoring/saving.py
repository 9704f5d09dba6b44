"""Training's monitoring step: store the new model's drift reference and its limits.

Read the training frame, call the pure calibration functions, write and log. Nothing here
imports prefect; ``tasks`` wraps it for the training flow.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl

from forewarn.features.atomic import write_parquet_atomic, write_text_atomic
from forewarn.features.batches import restrict
from forewarn.features.dataset import load_dataset
from forewarn.features.inputs import resolve_sensors
from forewarn.features.naming import label_columns
from forewarn.flows import steps as pipeline
from forewarn.flows.batch_steps import plan_feature_batches
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.monitoring.drift import calibrate
from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.monitoring.reference import (
    calibration_nights,
    sensor_ranges,
    split_columns,
    stratified_sample,
)
from forewarn.flows.monitoring.step import calibrate_steps, step_columns, step_inputs
from forewarn.flows.settings import Settings
from forewarn.models.champion import ChampionModels
from forewarn.models.registry import CHALLENGER, load_champion, log_artifacts


def with_predictions(frame: pl.DataFrame, models: ChampionModels) -> pl.DataFrame:
    """Add the model's ``p_fail`` and ``rul_hours`` (the prediction columns drift compares)."""
    pred = models.predict(frame, strict=False)
    return frame.with_columns(pred["p_fail"], pred["rul_hours"])


def _challenger(exp: ExperimentConfig, settings: Settings, version: str) -> ChampionModels:
    """The models just trained (``challenger``), refusing a moved alias."""
    risk_name = exp.model.risk_model_name
    models = load_champion(
        settings.tracking_uri,
        alias=CHALLENGER,
        risk_name=risk_name,
        rul_name=exp.model.rul_model_name,
    )
    if models.versions.get(risk_name) != version:
        raise LookupError(f"{risk_name}@challenger is not version {version} any more")
    return models


RANGE_SAMPLE_ROWS = 5_000_000
"""Readings the sensor ranges of a fleet bigger than one batch are estimated from."""


def training_ranges(
    url: str, until: datetime | None, sensors: list[str], quantile: float, settings: Settings
) -> dict[str, list[float | None]]:
    """Each sensor's central range over the training readings, in bounded memory.

    A fleet that fits one feature batch gets exact quantiles. A bigger one is read batch by
    batch (each validated as the flows validate it) and each batch contributes the same
    share of its readings, up to ``RANGE_SAMPLE_ROWS`` in all: quantiles over the whole
    telemetry at once held every sensor column of every reading (9.7 GB at 87.5M readings).
    """
    plan = plan_feature_batches(url, settings)
    if len(plan) == 1:
        return sensor_ranges(pipeline.cut_at(load_dataset(url), until).telemetry, sensors, quantile)
    share = min(1.0, RANGE_SAMPLE_ROWS / max(1, sum(b.readings for b in plan)))
    samples = []
    for batch in plan:
        data = pipeline.cut_at(load_dataset(url, telemetry_files=batch.files), until)
        telemetry = restrict(data.telemetry, batch.assets)
        present = [s for s in sensors if s in telemetry.collect_schema().names()]
        rows = telemetry.select(present).collect(engine="streaming")
        samples.append(rows.sample(fraction=share, seed=batch.index) if share < 1 else rows)
    return sensor_ranges(pl.concat(samples, how="diagonal").lazy(), sensors, quantile)


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

    Writes ``reference.parquet`` (the sample), ``thresholds.parquet`` (distribution
    limits), ``steps.parquet`` (step limits) and ``reference.json`` (columns, sensor
    ranges, config).

    Raises:
        LookupError: the challenger alias no longer points at the version just trained.
    """
    cfg, risk_name = exp.monitoring, exp.model.risk_model_name
    models = _challenger(exp, settings, versions["risk"])
    # A lazy scan: the frame can be bigger than memory; each input below is read narrow
    # (a column or two) or small (the sample, a few nights).
    frame = pl.scan_parquet(frame_path).drop(label_columns(exp.labels), strict=False)
    columns = frame.collect_schema().names()
    numeric, categorical = split_columns(columns, cfg.drift.ignore)
    sample = with_predictions(stratified_sample(frame, cfg.reference_rows, cfg.seed), models)
    picked = calibration_nights(frame, cfg.drift.calibration_nights)
    picked_rows = frame.filter(pl.col("as_of").is_in(picked)).collect(engine="streaming")
    nights = with_predictions(picked_rows, models)
    predictions = list(cfg.drift.prediction_columns)
    table = calibrate(sample, nights, numeric + predictions, cfg.drift)
    stepped = step_columns(columns, cfg.step.features)
    steps = calibrate_steps(
        frame.select(step_inputs(columns, stepped, cfg.drift.groups, cfg.step)).collect(
            engine="streaming"
        ),
        stepped,
        cfg.drift.groups,
        cfg.step,
    )
    span = frame.select(
        pl.col("as_of").min().alias("first"), pl.col("as_of").max().alias("last"), pl.len()
    ).collect()
    sensors = list(resolve_sensors(load_dataset(url).telemetry, exp.features))
    meta = {
        "model": risk_name,
        "version": versions["risk"],
        "run_id": run_id,
        "window": [str(span["first"].item()), str(span["last"].item())],
        "rows": sample.height,
        "training_rows": span["len"].item(),
        "calibration_nights": len(picked),
        "numeric": numeric,
        "categorical": categorical,
        "predictions": predictions,
        "step_columns": stepped,
        "sensors": sensors,
        "sensor_ranges": training_ranges(url, until, sensors, cfg.quality.range_quantile, settings),
        "config": cfg.model_dump(mode="json"),
    }
    folder = MonitoringPaths(settings.home).reference_dir(risk_name, versions["risk"])
    write_parquet_atomic(sample, folder / "reference.parquet")
    write_parquet_atomic(table, folder / "thresholds.parquet")
    write_parquet_atomic(steps, folder / "steps.parquet")
    write_text_atomic(json.dumps(meta, indent=1, default=str), folder / "reference.json")
    log_artifacts(settings.tracking_uri, run_id, folder, "monitoring/reference")
    return {"folder": str(folder), "rows": sample.height, "version": versions["risk"]}
