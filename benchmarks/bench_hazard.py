"""Hazard benchmark: one discrete-time hazard model vs one classifier per horizon vs the oracle.

The same simulated fleet, feature spec and booster settings as ``bench_quality.py``. For
each horizon h in 1, 3, 7 and 14 days, P(fail within h) on the validation window (the
last 60 days, after a gap of the longest horizon) from:

- the discrete-time hazard model (``forewarn.models.hazard``: one booster for all h);
- a LightGBM classifier trained for that h alone (what the risk model is for h = 7 d);
- the RUL model's median, shortest first (``forewarn.models.rul``, trained on snapshots
  whose capped RUL is known before the validation window: the same rows training uses);
- the oracle, the simulator's ``p_fail_{h}`` from the hidden health.

Rankings are graded (PR-AUC, ROC-AUC), so neither model is calibrated here. Also counted:
how often the four separate classifiers contradict each other (P(within 1 d) above
P(within 3 d) for the same snapshot, and so on), which the hazard model cannot do.

Usage::

    .venv/bin/python benchmarks/bench_hazard.py                 # 2,000 assets x 365 days
    .venv/bin/python benchmarks/bench_hazard.py --assets 300 --days 240 --out /tmp/h.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_quality import build_frame, fleet_parser
from forewarn.features.durations import hours
from forewarn.flows.experiment import load_experiment
from forewarn.flows.steps import model_features
from forewarn.models.hazard import HazardModel
from forewarn.models.risk import RiskModel
from forewarn.models.rul import RulModel, rul_training_rows
from forewarn.models.splits import sample_negatives
from forewarn.synthetic import FleetConfig

RESULTS = Path(__file__).parent / "results" / "hazard.md"
HORIZONS_D = (1, 3, 7, 14)
VALIDATION_DAYS = 60


def horizon_labels(frame: pl.DataFrame, h_hours: float) -> tuple[np.ndarray, np.ndarray]:
    """(known, fails within h) per row, from the frame's RUL target and censoring flag."""
    rul = frame.get_column("rul_hours").to_numpy()
    censored = frame.get_column("rul_censored").to_numpy()
    known = ~censored | (rul >= h_hours)
    return known, ~censored & (rul <= h_hours)


def split(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Train on snapshots ending a longest horizon before the last 60 days; validate on those."""
    last = frame.get_column("as_of").max()
    start = last - timedelta(days=VALIDATION_DAYS)  # type: ignore[operator]
    train_end = start - timedelta(days=max(HORIZONS_D))
    return frame.filter(pl.col("as_of") <= train_end), frame.filter(pl.col("as_of") > start)


def direct_models(
    train: pl.DataFrame, valid: pl.DataFrame, features: list[str], exp, seed: int
) -> np.ndarray:
    """One classifier per horizon, its raw probabilities on ``valid`` (rows x horizons)."""
    out = []
    for d in HORIZONS_D:
        known, y = horizon_labels(train, d * 24.0)
        rows = train.filter(pl.Series(known)).with_columns(_y=pl.Series(y[known]))
        rows = sample_negatives(rows, "_y", exp.model.negative_sample_rate, seed)
        model = RiskModel(features, exp.model.lightgbm, seed=seed, horizon=f"{d}d")
        out.append(model.fit(rows, rows.get_column("_y").to_numpy()).predict_raw(valid))
    return np.column_stack(out)


def rul_scores(
    train: pl.DataFrame, valid: pl.DataFrame, features: list[str], exp, seed: int
) -> np.ndarray:
    """Minus the RUL model's median on ``valid``, as a score for every horizon."""
    cap = hours(exp.model.rul_cap)
    start = valid.get_column("as_of").min()
    rows, target = rul_training_rows(train, start, cap)
    model = RulModel(features, exp.model.rul_lightgbm, exp.model.rul_quantiles, cap, seed)
    median = model.fit(rows, target).predict(valid)[0]
    return np.repeat(-median[:, None], len(HORIZONS_D), axis=1)


def grade(valid: pl.DataFrame, scores: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """PR-AUC and ROC-AUC of every model at every horizon, on rows with a known label."""
    rows = []
    for k, d in enumerate(HORIZONS_D):
        known, y = horizon_labels(valid, d * 24.0)
        row: dict[str, float] = {
            "days": d,
            "rows": int(known.sum()),
            "positives": int(y[known].sum()),
        }
        for name, p in scores.items():
            row[f"{name}.pr_auc"] = float(average_precision_score(y[known], p[known, k]))
            row[f"{name}.roc_auc"] = float(roc_auc_score(y[known], p[known, k]))
        rows.append(row)
    return rows


def crossings(p: np.ndarray) -> float:
    """Share of rows whose probabilities fall somewhere as the horizon grows."""
    return float((np.diff(p, axis=1) < 0).any(axis=1).mean())


def report(args: argparse.Namespace, rows: list[dict], facts: dict[str, float]) -> str:
    lines = [
        "# Hazard benchmark (`benchmarks/bench_hazard.py`)",
        "",
        f"`benchmarks/bench_hazard.py --assets {args.assets} --days {args.days} --seed "
        f"{args.seed}`: default experiment's features and `[model.lightgbm]` settings, "
        f"negatives sampled at {facts['rate']:.2f}; validation = the last {VALIDATION_DAYS} "
        f"days ({facts['valid_rows']:,} snapshots), training ends {max(HORIZONS_D)} days "
        f"before it ({facts['train_rows']:,} snapshots). Machine: {os.cpu_count()} cores "
        f"(shared), Python {platform.python_version()}, polars {pl.__version__}.",
        "",
        "| horizon | rows (failing) | PR-AUC hazard | PR-AUC per-horizon | PR-AUC RUL median |"
        " PR-AUC oracle | hazard / oracle | per-horizon / oracle | ROC-AUC hazard |"
        " ROC-AUC per-horizon | ROC-AUC RUL median | ROC-AUC oracle |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['days']} d | {r['rows']:,} ({r['positives']:,}) | {r['hazard.pr_auc']:.3f} | "
            f"{r['direct.pr_auc']:.3f} | {r['rul.pr_auc']:.3f} | {r['oracle.pr_auc']:.3f} | "
            f"{r['hazard.pr_auc'] / r['oracle.pr_auc']:.2f} | "
            f"{r['direct.pr_auc'] / r['oracle.pr_auc']:.2f} | {r['hazard.roc_auc']:.3f} | "
            f"{r['direct.roc_auc']:.3f} | {r['rul.roc_auc']:.3f} | {r['oracle.roc_auc']:.3f} |"
        )
    lines += [
        "",
        f"- validation snapshots where the four per-horizon classifiers contradict each other "
        f"(a shorter horizon scored above a longer one): **{100 * facts['crossings']:.1f} %**; "
        "the hazard model: 0 by construction",
        f"- training: hazard model {facts['hazard_s']:.0f} s (one booster on "
        f"{facts['hazard_rows']:,} snapshot-interval rows); four per-horizon classifiers "
        f"{facts['direct_s']:.0f} s; RUL model (3 boosters) {facts['rul_s']:.0f} s",
        f"- simulate {facts['simulate_s']:.0f} s, build labelled snapshots "
        f"{facts['features_s']:.0f} s",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    args = fleet_parser(__doc__.splitlines()[0], RESULTS).parse_args()
    exp = load_experiment("default")
    oracles = tuple(f"p_fail_{d}d" for d in HORIZONS_D)
    fleet = FleetConfig(n_assets=args.assets, days=args.days, seed=args.seed)
    frame, timings = build_frame(fleet, exp, args.batch, oracles)
    features = [c for c in model_features(frame.columns, exp) if c not in oracles]
    train, valid = split(frame)
    seed, rate = exp.model.seed, exp.model.negative_sample_rate
    t0 = time.perf_counter()
    hazard = HazardModel(
        features, tuple(d * 24.0 for d in HORIZONS_D), exp.model.lightgbm, seed, rate
    )
    p_hazard = hazard.fit(train).predict_proba(valid)
    t1 = time.perf_counter()
    p_direct = direct_models(train, valid, features, exp, seed)
    t2 = time.perf_counter()
    p_rul = rul_scores(train, valid, features, exp, seed)
    t3 = time.perf_counter()
    p_oracle = valid.select(oracles).to_numpy()
    scores = {"hazard": p_hazard, "direct": p_direct, "rul": p_rul, "oracle": p_oracle}
    rows = grade(valid, scores)
    facts = {
        **timings,
        "rate": rate,
        "train_rows": train.height,
        "valid_rows": valid.height,
        "hazard_rows": hazard.training_rows_,
        "hazard_s": t1 - t0,
        "direct_s": t2 - t1,
        "rul_s": t3 - t2,
        "crossings": crossings(p_direct),
    }
    text = report(args, rows, facts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
