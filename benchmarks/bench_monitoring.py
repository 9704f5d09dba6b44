"""Benchmark one night of monitoring on a large fleet: drift (Evidently report and groups),
the step detector, data quality, realised performance, the gate and the report page.

The frames have the shapes monitoring sees in production, built directly (building real
snapshots for 10,000 assets is the features benchmark's job): tonight's snapshot with 120
features and 2 predictions, the previous 7 nights, a 20,000-row reference sampled from 30
training nights, two days of hourly telemetry for the quality checks, and 60 stored nights
of scores with their failures for realised performance. Levels differ by asset type and
asset; every night adds noise, so the drift statistics do real work. Training-time
calibration (thresholds and step limits) is timed too, as it runs once per model.

Usage::

    .venv/bin/python benchmarks/bench_monitoring.py                 # 10,000 assets
    .venv/bin/python benchmarks/bench_monitoring.py --assets 2000 --out /tmp/monitoring.md
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from forewarn.flows.monitoring.assess import assess_drift, assess_steps
from forewarn.flows.monitoring.config import MonitoringConfig
from forewarn.flows.monitoring.drift import calibrate
from forewarn.flows.monitoring.gate import decide
from forewarn.flows.monitoring.performance import labelled_nights, pooled_recall, realised_series
from forewarn.flows.monitoring.quality import quality_report
from forewarn.flows.monitoring.reference import calibration_nights, split_columns, stratified_sample
from forewarn.flows.monitoring.report import write_report
from forewarn.flows.monitoring.step import calibrate_steps, step_columns

RESULTS = Path(__file__).parent / "results" / "monitoring.md"
TONIGHT = datetime(2025, 6, 1, tzinfo=UTC)
SENSORS = (
    "temperature_c",
    "vibration_mm_s",
    "current_a",
    "pressure_bar",
    "acoustic_db",
    "power_kw",
)
TYPES = (
    "welding_robot",
    "stamping_press",
    "cnc_spindle",
    "conveyor_drive",
    "paint_pump",
    "air_compressor",
)
PLANTS = ("Lingang", "Pudong", "Jiading", "Baoshan", "Songjiang")
FEATURES = [
    f"{s}__{stat}_{w}"
    for s in SENSORS
    for w in ("1d", "7d", "30d")
    for stat in ("mean", "std", "min", "max", "last", "slope")
] + [f"{s}__z_regime_{w}" for s in SENSORS for w in ("1d", "7d")]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds of one run, and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fleet(assets: int, seed: int) -> tuple[pl.DataFrame, np.ndarray]:
    """Asset ids with type and plant, and each asset's own level per feature."""
    rng = np.random.default_rng(seed)
    kinds = rng.integers(0, len(TYPES), assets)
    ids = pl.DataFrame(
        {
            "asset_id": [f"A{i:05d}" for i in range(assets)],
            "asset_type": [TYPES[k] for k in kinds],
            "plant": [PLANTS[p] for p in rng.integers(0, len(PLANTS), assets)],
        }
    )
    by_type = rng.normal(0, 3, (len(TYPES), len(FEATURES)))
    return ids, by_type[kinds] + rng.normal(0, 1, (assets, len(FEATURES)))


def nights(ids: pl.DataFrame, level: np.ndarray, when: list[datetime], seed: int) -> pl.DataFrame:
    """One snapshot row per asset and night, with predictions and a settled life."""
    rng = np.random.default_rng(seed)
    parts = []
    for t in when:
        values = level + rng.normal(0, 0.3, level.shape)
        frame = pl.DataFrame(values, schema=FEATURES, orient="row")
        parts.append(
            pl.concat([ids, frame], how="horizontal").with_columns(
                pl.lit(t).alias("as_of"),
                pl.lit(5000.0).alias("life_hours"),
                pl.Series("p_fail", rng.beta(1, 60, ids.height)),
                pl.Series("rul_hours", rng.gamma(4, 300, ids.height)),
            )
        )
    return pl.concat(parts)


def telemetry(ids: pl.DataFrame, seed: int) -> pl.LazyFrame:
    """Two days of hourly readings of every sensor (what the quality checks scan)."""
    rng = np.random.default_rng(seed)
    hours = [TONIGHT - timedelta(hours=h) for h in range(48)]
    n = ids.height * len(hours)
    data = {
        "asset_id": np.repeat(ids["asset_id"].to_numpy(), len(hours)),
        "ts": np.tile(
            np.array([h.replace(tzinfo=None) for h in hours], dtype="datetime64[us]"), ids.height
        ),
    }
    data |= {s: rng.normal(50, 5, n) for s in SENSORS}
    return pl.DataFrame(data).with_columns(pl.col("ts").dt.replace_time_zone("UTC")).lazy()


def score_history(ids: pl.DataFrame, count: int, seed: int) -> tuple[dict, pl.DataFrame]:
    """``count`` stored nights of scores before tonight, and failures among them."""
    rng = np.random.default_rng(seed)
    stored = {}
    for k in range(count, 0, -1):
        t = TONIGHT - timedelta(days=k)
        stored[t] = pl.DataFrame(
            {
                "asset_id": ids["asset_id"],
                "as_of": [t] * ids.height,
                "p_fail": rng.beta(1, 60, ids.height),
            }
        )
    failed = rng.choice(ids.height, size=max(ids.height // 12, 1), replace=False)
    ts = [TONIGHT - timedelta(hours=float(h)) for h in rng.uniform(0, 24 * count, failed.size)]
    return stored, pl.DataFrame({"asset_id": ids["asset_id"].gather(failed), "ts": ts})


def run(assets: int, work: Path) -> list[tuple[str, float, str]]:
    """Every step; (step, seconds, note) rows."""
    cfg = MonitoringConfig()
    rows: list[tuple[str, float, str]] = []
    ids, level = fleet(assets, 1)
    train_nights = [TONIGHT - timedelta(days=k) for k in range(38, 8, -1)]
    recent_nights = [TONIGHT - timedelta(days=k) for k in range(7, 0, -1)]
    t, train = timed(lambda: nights(ids, level, train_nights, 2))
    recent = nights(ids, level, recent_nights, 3)
    current = nights(ids, level, [TONIGHT], 4)
    rows.append(
        ("synthetic frames", t, f"{train.height:,} training rows x {len(FEATURES)} features")
    )
    numeric, categorical = split_columns(train.columns, cfg.drift.ignore, ("p_fail", "rul_hours"))
    predictions = ["p_fail", "rul_hours"]
    reference = stratified_sample(train, cfg.reference_rows, cfg.seed)
    picked = train.filter(
        pl.col("as_of").is_in(calibration_nights(train, cfg.drift.calibration_nights))
    )
    t, table = timed(lambda: calibrate(reference, picked, numeric + predictions, cfg.drift))
    rows.append(
        ("training: distribution thresholds (calibrate)", t, f"{picked['as_of'].n_unique()} nights")
    )
    stepped = step_columns(train.columns, cfg.step.features)
    t, steps = timed(lambda: calibrate_steps(train, stepped, cfg.drift.groups, cfg.step))
    rows.append(("training: step limits (calibrate_steps)", t, f"{len(stepped)} step features"))
    night: list[tuple[str, float, str]] = []
    meta = {"numeric": numeric, "predictions": predictions, "categorical": categorical}
    t, _ = timed(lambda: assess_drift(reference, table, meta, current, cfg.drift, None))
    rows.append(("(drift verdicts alone: fleet, groups, predictions)", t, "no report"))
    html = work / "drift.html"
    t, drift = timed(lambda: assess_drift(reference, table, meta, current, cfg.drift, html))
    shown = len(drift["report"]["columns"])  # type: ignore[index]
    size = html.stat().st_size / 1e6
    night.append(
        (
            "drift: verdicts + Evidently DataDriftPreset report",
            t,
            f"{shown} columns shown, {size:.1f} MB",
        )
    )
    t, step = timed(lambda: assess_steps(recent, steps, current, cfg.drift, cfg.step))
    night.append(("steps: tonight vs 7 recent nights", t, f"alarm: {step['alarm']}"))  # type: ignore[index]
    tele = telemetry(ids, 5)
    ranges = {s: [30.0, 70.0] for s in SENSORS}
    names = ids["asset_id"].to_list()
    t, quality = timed(
        lambda: quality_report(tele, names, list(SENSORS), ranges, TONIGHT, cfg.quality)
    )
    night.append(
        (
            "data quality (missing, frozen, range, silent)",
            t,
            f"{assets * 48 * len(SENSORS):,} readings scanned",
        )
    )
    stored, failures = score_history(ids, 60, 6)
    horizon, lead, budget = 168.0, 24.0, 0.01

    def performance():
        labelled = labelled_nights(stored, failures, TONIGHT, horizon)
        series = realised_series(labelled, horizon, lead, budget)
        return series, pooled_recall(labelled, 14, 5, horizon, lead, budget)

    t, (series, recall) = timed(performance)  # type: ignore[misc]
    night.append(
        (
            "realised performance (60 stored nights) + pooled recall",
            t,
            f"{series.height} matured nights",
        )
    )
    alarm = drift["alarm"] or step["alarm"]  # type: ignore[index]
    t, decision = timed(
        lambda: decide(
            TONIGHT, [False, False, alarm], recall, TONIGHT - timedelta(days=20), cfg.gate
        )
    )
    night.append(("gate", t, "; ".join(decision.reasons)))  # type: ignore[union-attr]
    summary = {
        "as_of": TONIGHT.isoformat(),
        "drift": {"available": True, **drift, "alarm": alarm, "step": step},  # type: ignore[dict-item]
        "quality": quality,
        "decision": decision.to_dict(),  # type: ignore[union-attr]
    }
    t, _ = timed(lambda: write_report(summary, series, work / "report.html"))
    night.append(("monitoring report page", t, ""))
    total = sum(sec for _, sec, _ in night)
    return rows + night + [("**one night, all monitoring steps**", total, f"{assets:,} assets")]


def markdown(rows: list[tuple[str, float, str]], assets: int) -> str:
    """The results file: the numbers plus what they were measured on."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    head = (
        "# Monitoring benchmark\n\n"
        f"`benchmarks/bench_monitoring.py --assets {assets}`: one night of {assets:,} assets, "
        f"{len(FEATURES)} features + 2 predictions, a {MonitoringConfig().reference_rows:,}-row "
        "reference, 7 recent nights, 60 stored score nights; one run each.\n\n"
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"polars {pl.__version__}; load average {load:.1f} at the end (shared machine).\n\n"
        "| step | seconds | note |\n|---|---:|---|\n"
    )
    return head + "\n".join(f"| {s} | {sec:.2f} | {note} |" for s, sec, note in rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as tmp:
        rows = run(args.assets, Path(tmp))
    text = markdown(rows, args.assets)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
