"""The backtest flow: replay the nightly job over a past period and grade what it would
have told the planners.

validate once → for each model period: (retrain on data known then →) score each night
with the data known that night → grade against the events recorded afterwards → write
``summary.json`` / ``summary.md`` / ``summary.html`` in ``<home>/backtests/<id>/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow

from forewarn.flows import backtest_steps as bt
from forewarn.flows import progress
from forewarn.flows.backtest_report import grade_backtest, write_backtest_report
from forewarn.flows.experiment import ExperimentConfig, load_experiment
from forewarn.flows.settings import Settings, load_settings
from forewarn.flows.steps import champion_experiment
from forewarn.flows.tasks import build_training_frame, io_task, run_step, train_and_register
from forewarn.flows.training import validated

prepare_folder = io_task(bt.prepare_folder, "prepare backtest folder")
score_period = io_task(bt.score_period, "score backtest nights")


def summarise(
    url: str,
    folder: Path,
    nights: list[datetime],
    exp: ExperimentConfig,
    data_end: datetime,
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Grade the stored nights and write the summary files (one task: pure + small I/O)."""
    totals, per_night, failures = grade_backtest(url, folder / "scores", nights, exp, data_end)
    paths = write_backtest_report(folder, meta, totals, per_night, failures)
    return {"totals": totals, "paths": paths}


grade_and_write = io_task(summarise, "grade backtest and write summary")


def retrain(
    data: str, exp: ExperimentConfig, settings: Settings, until: datetime, folder: Path
) -> dict[str, Any]:
    """Train and register (in the backtest's own registry) on data known at ``until``."""
    run_dir = folder / "runs" / f"{until:%Y%m%dT%H%M}"
    label = f"(backtest, data until {until:%Y-%m-%d %H:%M})"
    built = run_step(
        f"build training frame {label}",
        build_training_frame,
        data,
        exp,
        run_dir / "training_frame.parquet",
        until,
    )
    info = {**built["dataset"], "labels": built["labels"], "until": until.isoformat()}
    return run_step(
        f"train, evaluate and register {label}",
        train_and_register,
        built["frame"],
        exp,
        settings,
        info,
        run_dir / "plots",
    )


def _period_record(period: bt.Period, nights: list[dict], trained: dict | None) -> dict:
    versions = nights[0]["versions"] if nights else {}
    return {
        "first_night": period.nights[0].isoformat(),
        "last_night": period.nights[-1].isoformat(),
        "trained_until": period.train_until and period.train_until.isoformat(),
        "run_id": trained and trained["run_id"],
        "promoted": trained and trained["promoted"],
        "model": ", ".join(f"{k} v{v}" for k, v in versions.items()),
    }


@flow(name="forewarn-backtest", log_prints=False, validate_parameters=False)
def backtest_flow(
    data: str,
    start: datetime,
    end: datetime,
    experiment: str | None = None,
    home: str | None = None,
    retrain_every: str | None = "30d",
    max_reject_share: float | None = None,
) -> dict[str, Any]:
    """Replay nightly scoring for every night in ``[start, end]`` and grade it.

    Args:
        data: dataset folder or fsspec URL holding the period and what came after it.
        start: first night (UTC).
        end: last night (UTC).
        experiment: experiment name or path.
        home: workspace folder (the backtest writes to ``<home>/backtests/<id>/``).
        retrain_every: retrain cadence (``"30d"``), or None to score every night with
            the current champion of the real registry (``--model fixed``).
        max_reject_share: reject gate for the one validation of the dataset.

    Returns:
        The backtest id and folder, model periods, headline totals and summary paths.
    """
    progress.expect(5 if retrain_every else 6)
    settings = load_settings(home=home)
    exp = run_step("load experiment config", load_experiment, experiment)
    if retrain_every is None:  # today's champion: build and grade nights as it was trained
        exp = run_step("load the champion's config", champion_experiment, exp, settings)
    nights = run_step("plan backtest", bt.backtest_nights, start, end, exp.features.snapshot_every)
    periods = run_step("plan backtest", bt.plan_periods, nights, retrain_every)
    progress.expect(sum(3 if p.train_until is not None else 1 for p in periods))
    report = validated(data, settings, None, max_reject_share)
    ident = bt.backtest_id(exp.name, start, end, retrain_every)
    folder = run_step(
        "prepare backtest folder", prepare_folder, settings.home / "backtests" / ident
    )
    bt_settings = bt.backtest_settings(settings, folder)
    scored_at = datetime.now(UTC)
    records = []
    for period in periods:
        source, uri, trained = exp, settings.tracking_uri, None
        if period.train_until is not None:
            source, uri = bt.backtest_experiment(exp), bt_settings.tracking_uri
            trained = retrain(data, source, bt_settings, period.train_until, folder)
        scored = run_step(
            "score backtest nights",
            score_period,
            data,
            period.nights,
            source,
            bt_settings,
            uri,
            scored_at,
        )
        records.append(_period_record(period, scored, trained))
    meta = {
        "id": ident,
        "data": data,
        "experiment": exp.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "retrain_every": retrain_every,
        "mlflow": bt_settings.tracking_uri if retrain_every else settings.tracking_uri,
        "periods": records,
    }
    graded = run_step(
        "grade backtest", grade_and_write, data, folder, nights, exp, report.end, meta
    )
    return {"id": ident, "folder": str(folder), "periods": records, **graded}
