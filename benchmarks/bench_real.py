"""Real-data benchmark: NASA C-MAPSS FD001 end to end through the CLI, graded on the truth.

For each seed, in a fresh workspace (its own MLflow registry and score store):

1. ``benchmarks/convert_cmapss.py`` turns the NASA text files into a forewarn dataset
   (one cycle = one hour; train engines run to failure, test engines are right-aligned so
   each one's last cycle falls at the same scoring time);
2. ``forewarn train --data train -c experiments/cmapss.toml`` (the shipped experiment,
   with ``[model] seed`` set to the seed): split by engines, RUL settings chosen by CV
   over engine folds, interval calibrated by cross-conformal, models refit for service;
3. ``forewarn score --data test --as-of <last cycle>``: one row per test engine;
4. grading against ``RUL_FD001.txt``, uncapped, in cycles: RMSE, the PHM08 score (sum
   over the 100 engines, ``d = predicted - true``), and the coverage of the 80 %
   interval (a bound at the cap means "at least the cap", so it covers any longer life).

Nothing here chooses a setting by the test truth: the experiment was fixed before, and
the only in-run choice (the RUL candidate) is made by CV on training engines.

Usage::

    .venv/bin/python benchmarks/bench_real.py                    # 3 seeds, ~5 min each
    .venv/bin/python benchmarks/bench_real.py --seeds 1 --out /tmp/real.md
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import subprocess  # nosec B404  # runs this project's own CLI with fixed arguments
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "real.md"
EXPERIMENT = ROOT / "experiments" / "cmapss.toml"
CMAPSS = ROOT.parent.parent / "shared" / "data" / "cmapss_fd001"
CAP_CYCLES = 125.0
TARGETS = {"rmse": 11.0, "phm08": 190.0, "coverage": (0.72, 0.88)}


def _run(args: list[str], home: Path, log: Path) -> str:
    """Run one CLI command in the workspace ``home``; stop the benchmark if it fails."""
    env = {**os.environ, "FOREWARN_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # nosec B603
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode not in (0, 1):  # 1: a finished run whose quality gate failed
        sys.exit(f"{' '.join(args[:3])} failed ({done.returncode}); see {log}")
    print(f"  {' '.join(Path(a).name for a in args[:3])}: {time.perf_counter() - started:.0f} s")
    return done.stdout


def grade(scores: pl.DataFrame, truth: pl.DataFrame, unit_hours: float = 1.0) -> dict[str, float]:
    """Test metrics in cycles, uncapped: the literature's RMSE and PHM08 and the
    80 % interval's coverage and width, at each engine's last cycle."""
    rows = truth.join(scores, on="asset_id", how="left")
    missing = rows.filter(pl.col("rul_hours").is_null())["asset_id"].to_list()
    if missing:
        raise SystemExit(f"no RUL for test engines {missing[:5]}: they were not scored")
    true = rows["rul_cycles"].cast(pl.Float64).to_numpy()
    pred, low, high = (
        rows[c].to_numpy() / unit_hours for c in ("rul_hours", "rul_low_hours", "rul_high_hours")
    )
    d = pred - true
    at_cap = high >= CAP_CYCLES - 1e-9
    covered = (true >= low) & ((true <= high) | at_cap)
    return {
        "rmse": float(np.sqrt(np.mean(d**2))),
        "mae": float(np.mean(np.abs(d))),
        "phm08": float(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0)).sum()),
        "coverage": float(covered.mean()),
        "width": float(np.mean(high - low)),
        "censored": float(rows["rul_censored"].fill_null(False).sum()),
        "engines": float(rows.height),
    }


def validation_metrics(home: Path) -> dict[str, float]:
    """The held-out fit's validation metrics of the workspace's one training run."""
    from forewarn.flows.settings import load_settings
    from forewarn.models.registry_store import client_for

    client = client_for(load_settings(home=home).tracking_uri)
    runs = [
        r
        for e in client.search_experiments()
        for r in client.search_runs([e.experiment_id])
        if r.data.tags.get("forewarn.kind") != "cv-fold"
    ]
    return dict(runs[0].data.metrics) if runs else {}


def one_seed(seed: int, work: Path, src: Path) -> dict[str, float]:
    """Convert, train, score and grade in a fresh workspace."""
    home = work / f"seed{seed}"
    data = home / "data" / "cmapss"
    exp = home / "cmapss.toml"
    text = EXPERIMENT.read_text(encoding="utf-8")
    exp.parent.mkdir(parents=True, exist_ok=True)
    exp.write_text(re.sub(r"(?m)^seed = \d+", f"seed = {seed}", text, count=1), encoding="utf-8")
    py, cli = sys.executable, str(Path(sys.executable).with_name("forewarn"))
    out = _run(
        [py, str(HERE / "convert_cmapss.py"), str(src), str(data)], home, home / "convert.log"
    )
    as_of = re.search(r"--as-of (\S+)", out).group(1)  # type: ignore[union-attr]
    started = time.perf_counter()
    _run([cli, "train", "--data", str(data / "train"), "-c", str(exp)], home, home / "train.log")
    train_s = time.perf_counter() - started
    _run(
        [
            cli,
            "score",
            "--data",
            str(data / "test"),
            "-c",
            str(exp),
            "--as-of",
            as_of,
            "--no-report",
        ],
        home,
        home / "score.log",
    )
    scores = pl.read_parquet(next((home / "scores").rglob("scores.parquet")))
    metrics = grade(scores, pl.read_csv(data / "test_rul.csv"))
    valid = validation_metrics(home)
    metrics |= {f"valid.{k}": v for k, v in valid.items() if k.startswith("rul.lightgbm.")}
    metrics |= {"train_s": train_s, "candidate": valid.get("data.selected_rul_candidate", math.nan)}
    warned = "WARNING: RUL interval" in (home / "train.log").read_text(encoding="utf-8")
    return metrics | {"coverage_warning": float(warned)}


def _mean_sd(values: list[float], fmt: str) -> str:
    arr = np.array(values, dtype=float)
    sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return f"{fmt.format(arr.mean())} ± {fmt.format(sd)}"


def report(results: dict[int, dict[str, float]]) -> str:
    """The results page: per-seed rows, mean ± sd, targets."""
    seeds = sorted(results)
    rows = [
        ("RMSE (cycles, uncapped truth)", "rmse", "{:.2f}", f"<= {TARGETS['rmse']}"),
        ("PHM08 score (sum over 100 engines)", "phm08", "{:.1f}", f"<= {TARGETS['phm08']}"),
        ("MAE (cycles)", "mae", "{:.2f}", ""),
        ("80 % interval coverage", "coverage", "{:.3f}", "0.72-0.88"),
        ("80 % interval mean width (cycles)", "width", "{:.1f}", ""),
        ("engines shown as 'more than 125'", "censored", "{:.0f}", ""),
        (
            "validation (held-out engines): RMSE capped (cycles)",
            "valid.rul.lightgbm.rmse_capped",
            "{:.2f}",
            "",
        ),
        (
            "validation: 80 % interval coverage",
            "valid.rul.lightgbm.interval_coverage",
            "{:.3f}",
            "",
        ),
        ("validation: PHM08 per row", "valid.rul.lightgbm.phm_score_mean", "{:.3f}", ""),
        ("training run, wall time (s)", "train_s", "{:.0f}", ""),
    ]
    head = "| metric | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± sd | target |"
    lines = [head, "|---" * (len(seeds) + 3) + "|"]
    for label, key, fmt, target in rows:
        values = [results[s].get(key, math.nan) for s in seeds]
        cells = " | ".join(fmt.format(v) for v in values)
        lines.append(f"| {label} | {cells} | {_mean_sd(values, fmt)} | {target} |")
    env = f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores"
    return "\n".join(
        [
            "# Real data: C-MAPSS FD001 through the CLI",
            "",
            "Written by `benchmarks/bench_real.py` (convert → `train -c experiments/cmapss.toml` → "
            "`score` at each test engine's last cycle → graded on `RUL_FD001.txt`, uncapped, in "
            f"cycles). Seeds {seeds}; {env}.",
            "",
            *lines,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--src", type=Path, default=CMAPSS, help="the FD001 text files")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=None, help="workspaces (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-real-"))
    results = {}
    for seed in args.seeds:
        print(f"seed {seed} (workspace {work / f'seed{seed}'})")
        results[seed] = one_seed(seed, work, args.src)
        print({k: round(v, 3) for k, v in results[seed].items() if not k.startswith("valid.")})
    args.out.write_text(report(results), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
