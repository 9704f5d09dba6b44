"""Quality benchmark: risk and RUL models against baselines and the simulator's oracle.

A synthetic fleet is simulated, turned into labelled daily snapshots with the default
experiment's feature spec, and ``train_models`` runs with the default ``[model]``
section: time split (train | gap | calibration | gap | validation = the latest 60 days).
The oracle is the simulator's ``p_fail_{H}`` (true failure probability from the hidden
health state), joined on ``(asset_id, as_of)`` and graded like a model.

Snapshots are built in batches of assets to bound memory (a one-pass build needs about
13 GB per 1,000 assets); ``training_frame_in_batches`` gives the same rows as one run
(fleet norms are pooled over all batches). ``--cache`` keeps the built frame as Parquet
so a rerun with other model settings skips simulation and feature building.

Usage::

    .venv/bin/python benchmarks/bench_quality.py                 # 2,000 assets x 365 days
    .venv/bin/python benchmarks/bench_quality.py --assets 300 --days 240 --out /tmp/q.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import polars as pl

from forewarn.features.batches import training_frame_in_batches
from forewarn.features.durations import hours
from forewarn.flows.experiment import ExperimentConfig, load_experiment
from forewarn.flows.steps import model_features, training_span
from forewarn.models.training import TrainingResult, train_models
from forewarn.synthetic import FleetConfig, simulate_fleet

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
    ("80 % interval coverage, failing before the cap", "interval_coverage_before_cap", "{:.3f}"),
    ("80 % interval mean width (h)", "interval_width_hours", "{:.0f}"),
]


def build_frame(
    fleet_cfg: FleetConfig, exp: ExperimentConfig, batch: int, oracles: tuple[str, ...] = ()
) -> tuple[pl.DataFrame, dict[str, float]]:
    """Labelled snapshots of the whole fleet plus oracle columns (default ``p_fail_{H}``)."""
    oracles = oracles or (f"p_fail_{int(hours(exp.labels.horizon) // 24)}d",)
    t0 = time.perf_counter()
    fleet = simulate_fleet(fleet_cfg)
    t1 = time.perf_counter()
    _log(f"simulated {fleet.telemetry.height:,} readings in {t1 - t0:.0f} s")
    data_end = fleet.telemetry["ts"].max()
    first, last = training_span(fleet.telemetry["ts"].min(), data_end, exp.features.snapshot_every)
    ids = fleet.assets["asset_id"].sort().to_list()
    batches = [ids[i : i + batch] for i in range(0, len(ids), batch)]
    tables = (fleet.telemetry.lazy(), fleet.events.lazy(), fleet.assets.lazy())
    frame, _ = training_frame_in_batches(
        tables, first, last, exp.features, exp.labels, batches, data_end
    )
    truth = fleet.truth.select("asset_id", pl.col("ts").alias("as_of"), *oracles)
    frame = frame.join(truth, on=["asset_id", "as_of"], how="left").sort("as_of", "asset_id")
    _log(f"built {frame.height:,} labelled snapshots in {time.perf_counter() - t1:.0f} s")
    return frame, {"simulate_s": t1 - t0, "features_s": time.perf_counter() - t1}


def _log(message: str) -> None:
    print(f"[bench_quality] {message}", file=sys.stderr, flush=True)


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
        f"Beats its baselines: risk {result.beats_baselines.get('risk')} (on "
        f"{result.cfg.promotion_metric}, tie-break {result.cfg.tie_break_metric}), RUL "
        f"{result.beats_baselines.get('rul')} (on {result.cfg.rul_promotion_metric}).",
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


def fleet_parser(description: str, results: Path) -> argparse.ArgumentParser:
    """The options every model benchmark on a simulated fleet shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=250, help="assets per snapshot build")
    parser.add_argument("--out", type=Path, default=results)
    return parser


def main() -> None:
    parser = fleet_parser(__doc__.splitlines()[0], RESULTS)
    parser.add_argument("--experiment", default="default")
    parser.add_argument("--cache", type=Path, default=None, help="Parquet cache of the frame")
    args = parser.parse_args()
    exp = load_experiment(args.experiment)
    fleet_cfg = FleetConfig(n_assets=args.assets, days=args.days, seed=args.seed)
    if args.cache is not None and args.cache.exists():
        frame, timings = pl.read_parquet(args.cache), {"simulate_s": 0.0, "features_s": 0.0}
        _log(f"read {frame.height:,} snapshots from {args.cache} (build times not measured)")
    else:
        frame, timings = build_frame(fleet_cfg, exp, args.batch)
        if args.cache is not None:
            frame.write_parquet(args.cache)
    oracle = next(c for c in frame.columns if c.startswith("p_fail_"))
    features = [c for c in model_features(frame.columns, exp) if c != oracle]
    _log(f"training on {len(features)} features")
    result = train_models(
        frame, features, exp.model, exp.labels.horizon, oracle_col=oracle, plot_dir=PLOTS
    )
    text = report(result, args, timings, frame, len(features))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
