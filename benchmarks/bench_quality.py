"""Quality benchmark: risk and RUL models against baselines and the simulator's oracle.

A synthetic fleet is simulated, turned into labelled daily snapshots with the default
experiment's feature spec, and ``train_models`` runs with the default ``[model]``
section: time split (train | gap | calibration | gap | validation = the latest 60 days).
The oracle is the simulator's ``p_fail_{H}`` (true failure probability from the hidden
health state), joined on ``(asset_id, as_of)`` and graded like a model.

Snapshots are built in batches of assets to bound memory (the whole-fleet build needs
about 13 GB per 1,000 assets on this machine). Each asset's features depend only on its
own data except ``z_fleet`` (deviation from the asset type's pooled readings), which is
pooled within the batch instead of the whole fleet.

Usage::

    .venv/bin/python benchmarks/bench_quality.py                 # 2,000 assets x 365 days
    .venv/bin/python benchmarks/bench_quality.py --assets 300 --days 240 --out /tmp/q.md
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import time
from datetime import timedelta
from pathlib import Path

import polars as pl

from forewarn.features.durations import hours
from forewarn.features.snapshots import training_frame
from forewarn.flows.experiment import ExperimentConfig, load_experiment
from forewarn.flows.steps import model_features, training_span
from forewarn.models.training import TrainingResult, train_models
from forewarn.synthetic import FleetConfig
from forewarn.synthetic.fleet import simulate_batch

RESULTS = Path(__file__).parent / "results" / "quality.md"
PLOTS = Path(__file__).parent / ".out" / "quality"
RISK_MODELS = ("lightgbm", "logistic", "prevalence_age", "oracle")
RISK_ROWS = [
    ("PR-AUC", "pr_auc", "{:.3f}"),
    ("ROC-AUC", "roc_auc", "{:.3f}"),
    ("Brier", "brier", "{:.4f}"),
    ("calibration error (ECE)", "ece", "{:.4f}"),
    ("precision@k (daily top 1 %)", "precision_at_k", "{:.3f}"),
    ("recall@k (daily top 1 %)", "recall_at_k", "{:.3f}"),
    ("event recall, flagged >= 24 h ahead", "event_recall", "{:.3f}"),
    ("median lead of flagged failures (h)", "lead_hours_median", "{:.0f}"),
    ("false alarms per asset-month", "false_alarms_per_asset_month", "{:.3f}"),
]
RUL_ROWS = [
    ("RMSE, capped (h)", "rmse_capped", "{:.1f}"),
    ("MAE, capped (h)", "mae_capped", "{:.1f}"),
    ("RMSE, failed rows uncapped (h)", "rmse_uncapped", "{:.1f}"),
    ("PHM08 score per row (d in days)", "phm_score_mean", "{:.3f}"),
    ("80 % interval coverage", "interval_coverage", "{:.3f}"),
    ("80 % interval mean width (h)", "interval_width_hours", "{:.0f}"),
]


def build_frame(
    fleet_cfg: FleetConfig, exp: ExperimentConfig, batch: int
) -> tuple[pl.DataFrame, list[str], dict[str, float]]:
    """Labelled snapshots of the whole fleet with the oracle column, built batch by batch."""
    horizon_days = int(hours(exp.labels.horizon) // 24)
    oracle = f"p_fail_{horizon_days}d"
    start = fleet_cfg.start
    data_end = start + timedelta(days=fleet_cfg.days) - timedelta(seconds=fleet_cfg.freq_seconds)
    first, last = training_span(start, data_end, exp.features.snapshot_every)
    frames, timings = [], {"simulate_s": 0.0, "features_s": 0.0}
    for lo in range(0, fleet_cfg.n_assets, batch):
        t0 = time.perf_counter()
        tables = simulate_batch(fleet_cfg, range(lo, min(lo + batch, fleet_cfg.n_assets))).fleet
        t1 = time.perf_counter()
        frame, _ = training_frame(
            tables.telemetry.lazy(),
            tables.events.lazy(),
            tables.assets.lazy(),
            first,
            last,
            exp.features,
            exp.labels,
            data_end=data_end,
        )
        truth = tables.truth.select("asset_id", pl.col("ts").alias("as_of"), oracle)
        frames.append(frame.join(truth, on=["asset_id", "as_of"], how="left"))
        timings["simulate_s"] += t1 - t0
        timings["features_s"] += time.perf_counter() - t1
        del tables, frame, truth
        gc.collect()
    frame = pl.concat(frames, how="vertical_relaxed")
    features = [c for c in model_features(frame.columns, exp) if c != oracle]
    return frame, features, timings


def _row(label: str, key: str, fmt: str, metrics: dict[str, float], models: tuple) -> str:
    cells = []
    for m in models:
        value = metrics.get(f"{m}.{key}")
        cells.append("–" if value is None or value != value else fmt.format(value))
    return f"| {label} | " + " | ".join(cells) + " |"


def report(
    result: TrainingResult,
    args: argparse.Namespace,
    timings: dict[str, float],
    frame: pl.DataFrame,
    n_features: int,
) -> str:
    """The Markdown results page."""
    m = result.metrics
    risk = {k.removeprefix("risk."): v for k, v in m.items() if k.startswith("risk.")}
    rul = {k.removeprefix("rul."): v for k, v in m.items() if k.startswith("rul.")}
    ratio = m.get("risk.lightgbm_over_oracle.pr_auc", float("nan"))
    target = "met" if ratio >= 0.9 else "NOT met"
    lines = [
        "# Model quality benchmark",
        "",
        f"`benchmarks/bench_quality.py --assets {args.assets} --days {args.days} "
        f"--seed {args.seed} --batch {args.batch}`: default experiment "
        f"(horizon {result.horizon}, {n_features} features, LightGBM "
        f"{result.cfg.lightgbm.n_estimators} rounds x {result.cfg.lightgbm.num_leaves} leaves, "
        f"{result.cfg.calibration} calibration, {result.cfg.cv_folds}-fold rolling-origin CV).",
        "",
        f"Machine: {os.cpu_count()} cores (shared), Python {platform.python_version()}, "
        f"polars {pl.__version__}.",
        "",
        f"Split: train as_of <= {result.split.train_end:%Y-%m-%d}; calibration "
        f"{result.split.calibration.start:%Y-%m-%d} .. {result.split.calibration.end:%Y-%m-%d}; "
        f"validation {result.split.validation.start:%Y-%m-%d} .. "
        f"{result.split.validation.end:%Y-%m-%d} (gaps = horizon). Rows: "
        f"{frame.height:,} snapshots; train {m['data.train_rows']:,.0f} "
        f"({m['data.train_positives']:,.0f} positive), calibration "
        f"{m['data.calibration_rows']:,.0f} ({m['data.calibration_positives']:,.0f}), "
        f"validation {m['data.validation_rows']:,.0f} ({m['data.validation_positives']:,.0f}); "
        f"{m['risk.lightgbm.events']:,.0f} validation failures could be flagged >= 24 h ahead.",
        "",
        "## Failure risk (validation window)",
        "",
        "| metric | LightGBM | logistic | prevalence/age | oracle |",
        "|---|---:|---:|---:|---:|",
        *[_row(label, key, fmt, risk, RISK_MODELS) for label, key, fmt in RISK_ROWS],
        "",
        f"LightGBM / oracle PR-AUC: **{ratio:.3f}** (target >= 0.9: {target}). "
        f"Beats its baselines on {result.cfg.promotion_metric} "
        f"(tie-break {result.cfg.tie_break_metric}): "
        f"risk {result.beats_baselines.get('risk')}, RUL {result.beats_baselines.get('rul')}.",
        *([""] + [f"- {note}" for note in result.notes] if result.notes else []),
        "",
        "## Remaining useful life (validation window, cap "
        f"{result.cfg.rul_cap}; PHM08 d = predicted - true in days)",
        "",
        "| metric | LightGBM | mean-life baseline |",
        "|---|---:|---:|",
        *[_row(label, key, fmt, rul, ("lightgbm", "mean_life")) for label, key, fmt in RUL_ROWS],
        "",
        "## Time (seconds)",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| simulate fleet | {timings['simulate_s']:.0f} |",
        f"| build labelled snapshots | {timings['features_s']:.0f} |",
        f"| rolling-origin CV | {m.get('time.cv_s', 0):.0f} |",
        f"| risk model fit + calibration | {m['time.risk_fit_s']:.0f} |",
        f"| RUL models fit (point + 2 quantiles) | {m['time.rul_fit_s']:.0f} |",
        f"| baselines fit | {m['time.baselines_fit_s']:.0f} |",
        f"| train_models total (incl. validation) | {m['time.total_s']:.0f} |",
        "",
        f"Plots: `{PLOTS.relative_to(Path(__file__).parent.parent)}/` (not in git).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=500, help="assets per snapshot build")
    parser.add_argument("--experiment", default="default")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    exp = load_experiment(args.experiment)
    fleet_cfg = FleetConfig(n_assets=args.assets, days=args.days, seed=args.seed)
    frame, features, timings = build_frame(fleet_cfg, exp, args.batch)
    oracle = next(c for c in frame.columns if c.startswith("p_fail_"))
    result = train_models(
        frame, features, exp.model, exp.labels.horizon, oracle_col=oracle, plot_dir=PLOTS
    )
    text = report(result, args, timings, frame, len(features))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
