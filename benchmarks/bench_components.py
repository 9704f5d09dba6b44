"""Per-component risk benchmark: the conditional multi-class model vs one booster per part.

Both approaches get the same labelled frame, the same time split (``train_models``'
split: training, calibration and validation windows) and the same nightly flags (the
overall risk model's, at the configured budget), so only the naming of the part differs:

- **conditional** (what ``forewarn train`` ships, ``models/component_risk.py``): the overall
  calibrated P(fail within H) times a multi-class P(component | failure) fitted on the
  failing training rows;
- **separate**: one calibrated binary LightGBM per component (``fails_within_H__{c}``),
  trained on the same rows with the risk model's settings.

Graded on the validation window: PR-AUC per component, the share of caught failures whose
named component was the failing one, and how often the separate boosters' parts add up
to more than their own P(any) would allow (the conditional model cannot).

Usage::

    .venv/bin/python benchmarks/bench_components.py --assets 300 --days 240
    .venv/bin/python benchmarks/bench_components.py --data /tmp/azure -c /tmp/azure.toml
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_quality import build_frame
from forewarn.features.durations import hours
from forewarn.flows.experiment import load_experiment
from forewarn.flows.steps import model_features
from forewarn.models.component_eval import grade_components, metric_name
from forewarn.models.component_risk import COMPONENT_SCHEMA, UNSPECIFIED, component_label_columns
from forewarn.models.risk import RiskModel
from forewarn.models.training import train_models
from forewarn.synthetic import FleetConfig

RESULTS = Path(__file__).parent / "results" / "components.md"


def _log(message: str) -> None:
    print(f"[bench_components] {message}", file=sys.stderr, flush=True)


def dataset_frame(data: str, exp_path: str) -> pl.DataFrame:
    """Labelled snapshots of a contract dataset, built as ``forewarn features --every``."""
    from forewarn.flows.feature_files import frame_file

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "frame.parquet"
        frame_file(data, load_experiment(exp_path), out, None, None, None)
        return pl.read_parquet(out)


def separate_table(
    train: pl.DataFrame, cal: pl.DataFrame, val: pl.DataFrame, features: list[str], result
) -> tuple[pl.DataFrame, dict[str, float]]:
    """One calibrated binary booster per component; the table in ``component_table`` form."""
    label = result.label_col
    comps = [c.split("__", 1)[1] for c in component_label_columns(train.columns, label)]
    probs: dict[str, np.ndarray] = {}
    for comp in comps:
        col = f"{label}__{comp}"
        y = train[col].fill_null(False).to_numpy()
        if y.sum() < 2:
            continue
        model = RiskModel(features, result.risk.params, result.cfg.calibration, result.cfg.seed)
        keep = train.drop(component_label_columns(train.columns, label))
        model.fit(keep, y)
        yc = cal[col].fill_null(False).to_numpy()
        if yc.any():
            model.calibrate(cal, yc)
        probs[comp] = model.predict_proba(val)
    names = sorted(probs)
    matrix = np.column_stack([probs[c] for c in names])
    p_any = result.risk.predict_proba(val)
    over = float(np.mean(matrix.max(axis=1) > p_any + 1e-9))
    rows = [
        sorted(({"component": c, "p_fail": float(v)} for c, v in zip(names, r, strict=True)),
               key=lambda d: -d["p_fail"])
        for r in matrix
    ]  # fmt: skip
    total = matrix.sum(axis=1)
    table = pl.DataFrame(
        {
            "asset_id": val["asset_id"],
            "component_risk": rows,
            "likely_component": [r[0]["component"] for r in rows],
            "likely_component_share": np.where(total > 0, matrix.max(axis=1) / total, np.nan),
        },
        schema=COMPONENT_SCHEMA,
    )
    return table, {"part_above_any_share": over}


def run(frame: pl.DataFrame, exp) -> dict[str, dict[str, float]]:
    features = [c for c in model_features(frame.columns, exp) if not c.startswith("p_fail_")]
    t0 = time.perf_counter()
    result = train_models(frame, features, exp.model, exp.labels.horizon)
    _log(f"trained in {time.perf_counter() - t0:.0f} s")
    if result.risk.components_ is None:
        raise SystemExit("the frame has no per-component labels: set [labels] components")
    split, label = result.split, result.label_col
    known = pl.col(label).is_not_null()
    train = frame.filter(split.train_filter() & known)
    cal = frame.filter(split.calibration_filter() & known)
    val = result.validation
    names = [c for c in result.risk.components_.classes_ if c != UNSPECIFIED]
    p_any = result.risk.predict_proba(val)
    args = {
        "horizon_h": hours(result.horizon),
        "lead_h": hours(exp.model.lead_time),
        "budget": exp.model.inspection_budget,
    }
    conditional = grade_components(
        val, p_any, result.risk.predict_components(val, p_any), names, label, **args
    )
    conditional["part_above_any_share"] = 0.0
    table, extra = separate_table(train, cal, val, features, result)
    separate = grade_components(val, p_any, table, names, label, **args) | extra
    overall = {
        k.split(".", 2)[2]: v for k, v in result.metrics.items() if k.startswith("risk.lightgbm.")
    }
    return {"conditional": conditional, "separate": separate, "overall": overall}


def report(results: dict[str, dict[str, float]], title: str, exp) -> str:
    cond, sep = results["conditional"], results["separate"]
    comps = sorted({k.split(".")[1] for k in cond if k.startswith("component.")})
    lines = [
        f"# Per-component risk: {title}",
        "",
        f"Run {date.today().isoformat()} on {platform.node()}; horizon {exp.labels.horizon}, "
        f"budget {exp.model.inspection_budget:g} of the fleet a night, lead time "
        f"{exp.model.lead_time}. Validation window only. Overall risk model: PR-AUC "
        f"{results['overall'].get('pr_auc', float('nan')):.3f}, event recall "
        f"{results['overall'].get('event_recall', float('nan')):.3f}.",
        "",
        "| component | failures | PR-AUC conditional | PR-AUC separate | event recall |",
        "|---|---:|---:|---:|---:|",
    ]
    for c in comps:
        k = f"component.{metric_name(c)}"
        cells = (
            f"{cond.get(k + '.events', 0):.0f}",
            f"{cond.get(k + '.pr_auc', np.nan):.3f}",
            f"{sep.get(k + '.pr_auc', np.nan):.3f}",
            f"{cond.get(k + '.event_recall', np.nan):.2f}",
        )
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| | conditional | separate |",
        "|---|---:|---:|",
        f"| caught failures | {cond['component_caught_events']:.0f} "
        f"| {sep['component_caught_events']:.0f} |",
        f"| named the failing part | {cond['component_named_share']:.3f} "
        f"| {sep['component_named_share']:.3f} |",
        f"| snapshots with a part above P(any) | {cond['part_above_any_share']:.3f} "
        f"| {sep['part_above_any_share']:.3f} |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=300)
    parser.add_argument("--days", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", default=None, help="a contract dataset instead of a fleet")
    parser.add_argument("-c", "--config", default="default")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    exp = load_experiment(args.config)
    if args.data:
        frame, title = dataset_frame(args.data, args.config), f"{args.data} ({args.config})"
    else:
        cfg = FleetConfig(n_assets=args.assets, days=args.days, seed=args.seed)
        frame, _ = build_frame(cfg, exp, 250)
        title = f"synthetic fleet {args.assets} x {args.days} d, seed {args.seed}"
    text = report(run(frame, exp), title, exp)
    print(text)
    mode = "a" if args.out.exists() else "w"
    with args.out.open(mode, encoding="utf-8") as fh:
        fh.write(text + "\n")


if __name__ == "__main__":
    main()
