"""Backtest steps: replay the nightly scoring over a past period, as it would have run.

Each night is scored by ``steps.score_night`` — the nightly job's own step — with only the
data known that night (it loads the dataset with ``as_of`` = the night, so later rows are
left out) and with the model that would have been champion then: retrained on data known
at the retrain night, on a cadence, or one fixed model. Nothing here imports prefect.

A backtest lives in its own folder (``<home>/backtests/<id>/``) with its own score store
and, when it retrains, its own MLflow store and ``-backtest`` model names, so neither the
real champion nor tonight's scores can be touched by a replay of the past.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from forewarn.features.durations import parse_duration
from forewarn.features.snapshots import snapshot_times
from forewarn.flows import progress, steps
from forewarn.flows.experiment import ExperimentConfig
from forewarn.flows.settings import Settings
from forewarn.models.registry import load_champion

SUFFIX = "-backtest"


@dataclass(frozen=True)
class Period:
    """Consecutive nights scored with one model.

    Attributes:
        train_until: the retrain night (train on data known then), or None for a fixed model.
        nights: the nights this model scores, oldest first.
    """

    train_until: datetime | None
    nights: tuple[datetime, ...]


def backtest_nights(start: datetime, end: datetime, every: str) -> list[datetime]:
    """The nights to replay: ``start``, ``start + every``, … up to ``end`` inclusive.

    Raises:
        ValueError: ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"--end {end.isoformat()} is before --start {start.isoformat()}")
    return snapshot_times(start, end, every)


def plan_periods(nights: list[datetime], retrain_every: str | None) -> list[Period]:
    """Split the nights into model periods: a retrain on the first night of each period.

    A period starts at the first night at least ``retrain_every`` after the previous
    retrain, so the cadence holds whatever the night spacing. ``None`` keeps one model
    (the current champion) for every night.
    """
    if retrain_every is None or not nights:
        return [Period(None, tuple(nights))]
    step = parse_duration(retrain_every)
    periods: list[Period] = []
    current: list[datetime] = []
    for night in nights:
        if current and night >= current[0] + step:
            periods.append(Period(current[0], tuple(current)))
            current = []
        current.append(night)
    periods.append(Period(current[0], tuple(current)))
    return periods


def backtest_id(exp_name: str, start: datetime, end: datetime, retrain_every: str | None) -> str:
    """A readable, stable folder name: the same backtest re-run replaces its results."""
    mode = f"retrain{retrain_every}" if retrain_every else "fixed"
    return f"{exp_name}-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}-{mode}"


def backtest_experiment(exp: ExperimentConfig) -> ExperimentConfig:
    """The experiment with ``-backtest`` MLflow experiment and model names.

    Features, labels and model settings stay identical: only where results are
    registered changes, so a retrained backtest model never becomes the real champion.
    """
    model = exp.model.model_copy(
        update={
            "risk_model_name": exp.model.risk_model_name + SUFFIX,
            "rul_model_name": exp.model.rul_model_name + SUFFIX,
        }
    )
    return exp.model_copy(update={"name": exp.name + SUFFIX, "model": model})


def backtest_settings(settings: Settings, folder: Path) -> Settings:
    """Settings whose workspace (score store, reports) and MLflow store are the backtest's.

    The MLflow store is a SQLite file in the backtest folder even when the real one is a
    server: each backtest starts with an empty registry, so its first retrain cannot be
    compared with (or lose to) a champion trained on later data by another backtest.
    """
    folder = folder.resolve()
    uri = f"sqlite:///{folder / 'mlflow' / 'mlflow.db'}"
    return settings.model_copy(update={"home": folder, "mlflow_tracking_uri": uri})


def prepare_folder(folder: Path) -> Path:
    """Empty the backtest folder: a re-run must not inherit the last run's registry."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "mlflow").mkdir(parents=True)
    return folder


def score_period(
    url: str,
    nights: tuple[datetime, ...],
    exp: ExperimentConfig,
    settings: Settings,
    tracking_uri: str,
    scored_at: datetime,
) -> list[dict[str, Any]]:
    """Score each night of a period with one champion, loaded once.

    Args:
        url: dataset; each night reads it as known at that night.
        nights: the nights to score.
        exp: experiment whose model names say which champion to load.
        settings: the backtest settings (its score store receives the nights).
        tracking_uri: the MLflow store holding that champion.
        scored_at: provenance stamp of this backtest run.

    Returns:
        One record per night, as the nightly scoring step returns it.
    """
    models = load_champion(
        tracking_uri, risk_name=exp.model.risk_model_name, rul_name=exp.model.rul_model_name
    )
    done = []
    for night in nights:
        done.append(steps.score_night(url, night, exp, settings, scored_at, models))
        progress.advance("nights", len(done), len(nights))
    return done
