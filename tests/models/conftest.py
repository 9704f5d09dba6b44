"""Small labelled snapshot frames with a learnable failure signal, and shared fits.

The generator mimics what ``forewarn.features.snapshots.training_frame`` produces
(one row per asset and day, predictable feature names, labels with censoring) so the
model layer can be tested without the feature pipeline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from forewarn.models.config import LightGBMParams, ModelConfig
from forewarn.models.training import TrainingResult, train_models

START = datetime(2024, 1, 1, tzinfo=UTC)
FEATURES = [
    "asset_type",
    "plant",
    "vibration_rms__mean_7d",
    "vibration_rms__z_baseline_7d",
    "temperature__mean_7d",
    "alarms__E101_7d",
    "hours_since_failure",
]
TYPES = ("pump", "fan", "press")


def _failure_days(rng: np.random.Generator, n_days: int, mean_life: float) -> list[float]:
    days = [rng.uniform(5, mean_life)]
    while days[-1] <= n_days:  # one failure beyond the data, so every day has a next one
        days.append(days[-1] + rng.uniform(0.5, 1.5) * mean_life)
    return days


def _asset_rows(rng: np.random.Generator, asset: int, n_days: int, horizon: float) -> dict:
    kind = TYPES[asset % 3]
    failures = np.array(_failure_days(rng, n_days, {"pump": 60, "fan": 80, "press": 100}[kind]))
    t = np.arange(n_days, dtype=float)
    nxt_idx = np.searchsorted(failures, t, side="right")
    nxt = failures[nxt_idx]
    prev = np.where(nxt_idx > 0, failures[np.maximum(nxt_idx - 1, 0)], np.nan)
    rul_days = nxt - t
    observed = nxt <= n_days
    health = np.clip(1 - rul_days / 20, 0, 1) ** 2
    # Presses fail with their vibration falling (a seizing drive), the others rising: a
    # signature that depends on the asset type, which the numeric logistic baseline
    # cannot use and LightGBM can, so a good model beats its baselines.
    vib = 2 + (-1.5 if kind == "press" else 3) * health + rng.normal(0, 0.3, n_days)
    vib[rng.random(n_days) < 0.05] = np.nan
    label = np.where(rul_days <= horizon, True, np.where(t + horizon <= n_days, False, None))
    return {
        "asset_id": [f"A{asset:03d}"] * n_days,
        "as_of": [START + timedelta(days=int(d)) for d in t],
        "asset_type": [kind] * n_days,
        "plant": ["P1" if asset % 2 else "P2"] * n_days,
        "vibration_rms__mean_7d": vib,
        "vibration_rms__z_baseline_7d": (vib - 2) / 0.3 + rng.normal(0, 0.5, n_days),
        "temperature__mean_7d": rng.normal(60, 5, n_days),
        "alarms__E101_7d": rng.poisson(0.2 + 2 * health).astype(float),
        "hours_since_failure": (t - prev) * 24,
        "fails_within_7d": label.tolist(),
        "rul_hours": np.where(observed, rul_days, n_days - t) * 24,
        "rul_censored": ~observed,
        "p_true_7d": np.clip(0.02 + 0.9 * health, 0, 1),
    }


def make_snapshots(n_assets: int = 60, n_days: int = 240, seed: int = 0) -> pl.DataFrame:
    """Daily snapshots of ``n_assets`` assets whose vibration rises before failures."""
    rng = np.random.default_rng(seed)
    frames = [pl.DataFrame(_asset_rows(rng, a, n_days, 7.0)) for a in range(n_assets)]
    frame = pl.concat(frames)
    return frame.with_columns(
        pl.col("as_of").dt.cast_time_unit("us"),
        pl.col("fails_within_7d").cast(pl.Boolean),
    )


def small_config(**overrides: object) -> ModelConfig:
    """A config that trains in about a second on ``make_snapshots()``."""
    base = {
        "lightgbm": LightGBMParams(
            n_estimators=40, num_leaves=15, min_child_samples=20, num_threads=1
        ),
        "validation_window": "40d",
        "calibration_window": "40d",
        "cv_folds": 2,
        "cv_window": "30d",
        "inspection_budget": 0.1,
        "rul_cap": "30d",
        "calibration": "platt",
    }
    return ModelConfig(**(base | overrides))


@pytest.fixture(scope="session")
def snapshots() -> pl.DataFrame:
    return make_snapshots()


@pytest.fixture(scope="session")
def trained(snapshots: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    plot_dir = tmp_path_factory.mktemp("plots")
    return train_models(
        snapshots, FEATURES, small_config(), "7d", oracle_col="p_true_7d", plot_dir=plot_dir
    )
