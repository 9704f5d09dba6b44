"""Scale benchmark: a 10,000-asset year of hourly telemetry, on one machine and on Dask.

Steps (each in its own subprocess): generate the fleet, validate it, build the training
frame in asset batches (local runner), train a bounded model on a sample of assets,
build and score tonight's snapshot; then the frame, the night and the training again on
a 2-worker ``distributed.LocalCluster``; finally check the Dask outputs equal the local
ones. Peak memory is sampled every 0.5 s over the step's whole process tree (the step,
Prefect's local API server, Dask scheduler and workers): the sum, and the largest process.

Usage (about an hour on 2 cores; ~8 GB of scratch data under ``--work``)::

    .venv/bin/python benchmarks/bench_scale.py --work /tmp/forewarn-scale
    .venv/bin/python benchmarks/bench_scale.py --assets 60 --days 60 --work /tmp/s --out /tmp/s.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).parent / "results" / "scale.md"
STEPS = (
    "generate",
    "validate",
    "validate:batched",
    "frame:local",
    "train:local",
    "night:local",
    "frame:dask",
    "night:dask",
    "train:dask",
    "compare",
    "fulltrain:local",
    "fulltrain:dask",
)


def _gb(n: float) -> float:
    return round(n / 1e9, 2)


def _disk_gb(root: Path) -> float:
    return _gb(sum(p.stat().st_size for p in root.rglob("*") if p.is_file()))


def _load(work: Path, step: str) -> dict[str, Any]:
    return json.loads((work / "results" / f"{step.replace(':', '-')}.json").read_text())


def _span(work: Path) -> dict[str, Any]:
    """The data's span from whichever validation step ran (both report the same span)."""
    done = [
        s
        for s in ("validate", "validate:batched")
        if (work / "results").joinpath(f"{s.replace(':', '-')}.json").exists()
    ]
    return _load(work, done[0])


def _settings(work: Path, runner: str) -> Any:
    from forewarn.flows.settings import load_settings, prepare_environment

    settings = load_settings(home=work / "home", runner=runner, dask_workers=2)
    prepare_environment(settings)  # before prefect is imported
    return settings


def step_generate(a: argparse.Namespace) -> dict[str, Any]:
    from forewarn.synthetic import FleetConfig, write_fleet

    cfg = FleetConfig(n_assets=a.assets, days=a.days, freq="1h", seed=7)
    summary = write_fleet(cfg, a.work / "fleet", batch_assets=500, overwrite=True)
    return {"readings": summary["counts"]["telemetry_rows"], "disk_gb": _disk_gb(a.work / "fleet")}


def step_validate(a: argparse.Namespace, runner: str = "") -> dict[str, Any]:
    """One pass over the whole dataset, or (``batched``) the flows' batched validation."""
    if runner == "batched":
        settings = _settings(a.work, "local")
        from forewarn.flows.batched import validate_fleet

        rejects = a.work / "home" / "rejects"
        report, _ = validate_fleet(str(a.work / "fleet"), None, rejects, None, settings)
    else:
        from forewarn.features.dataset import load_dataset, summarize

        report = summarize(load_dataset(str(a.work / "fleet")))
    tel = report.counts["telemetry"]
    assert report.start is not None and report.end is not None
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "accepted": tel.accepted,
        "rejected": tel.rejected,
    }


def step_frame(a: argparse.Namespace, runner: str) -> dict[str, Any]:
    settings = _settings(a.work, runner)
    from forewarn.flows.batch_steps import plan_feature_batches
    from forewarn.flows.batched import training_batches
    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.runners import task_runner

    valid = _span(a.work)
    span = (datetime.fromisoformat(valid["start"]), datetime.fromisoformat(valid["end"]))
    url, t = str(a.work / "fleet"), time.perf_counter()
    plan = plan_feature_batches(url, settings)
    planned = time.perf_counter() - t
    run = a.work / "runs" / runner
    flow = training_batches.with_options(task_runner=task_runner(settings))
    out = flow(url, plan, load_experiment("default"), str(run), None, span)
    return {
        "batches": len(plan),
        "plan_s": round(planned, 1),
        "rows": out["rows"],
        "labels": out["labels"],
        "disk_gb": _disk_gb(run / "training_frame"),
    }


def step_train(a: argparse.Namespace, runner: str) -> dict[str, Any]:
    import numpy as np
    import polars as pl

    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.steps import model_features
    from forewarn.models.bundle import save_bundle
    from forewarn.models.training import train_models

    settings = _settings(a.work, runner)
    exp = load_experiment("default")
    ids = pl.read_parquet(a.work / "fleet" / "assets.parquet")["asset_id"].sort()
    sample = np.random.default_rng(7).choice(ids.to_numpy(), a.train_assets, replace=False)
    frame = (
        pl.scan_parquet(a.work / "runs" / "local" / "training_frame")
        .filter(pl.col("asset_id").is_in(sample.tolist()))
        .collect()
    )
    cfg = exp.model.model_copy(update={"cv_folds": 0})  # bounded: no candidate search
    with ExitStack() as stack:
        if runner == "dask":  # every booster on the 2-worker cluster (lightgbm.dask)
            from forewarn.flows.cluster import dask_client
            from forewarn.models.distributed import boosting_on

            stack.enter_context(boosting_on(stack.enter_context(dask_client(settings))))
        result = train_models(frame, model_features(frame.columns, exp), cfg, exp.labels.horizon)
    for name, model in (("risk", result.risk), ("rul", result.rul)):
        save_bundle(model, a.work / "models" / runner / name)
    risk, rul = result.model_metrics("risk"), result.model_metrics("rul")
    return {
        "assets": a.train_assets,
        "rows": frame.height,
        "features": len(result.feature_cols),
        "pr_auc": round(risk["pr_auc"], 4),
        "event_recall": round(risk["event_recall"], 4),
        "rul_mae_capped_h": round(rul["mae_capped"], 1),
        "fit_s": {k: round(v, 1) for k, v in result.metrics.items() if k.startswith("time.")},
    }


def step_fulltrain(a: argparse.Namespace, runner: str) -> dict[str, Any]:
    """What ``forewarn train`` runs after the frame is built, on the whole frame: train,
    grade and register (``train_and_register``: a lazy scan of the parts, LightGBM on the
    Dask cluster when the runner is ``dask``), then the drift reference."""
    settings = _settings(a.work, runner)
    import polars as pl

    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.monitoring.saving import save_reference
    from forewarn.flows.steps import train_and_register

    exp = load_experiment("default")
    if a.cv_folds is not None:
        exp = exp.model_copy(
            update={"model": exp.model.model_copy(update={"cv_folds": a.cv_folds})}
        )
    frame = str(a.work / "runs" / "local" / "training_frame")
    from forewarn.flows.cluster import trains_on_dask
    from forewarn.models.slices import FrameSource

    rows = FrameSource.parquet(frame).rows.select(pl.len()).collect().item()
    t = time.perf_counter()
    out = train_and_register(frame, exp, settings, {"bench": "scale"}, a.work / "plots" / runner)
    trained = time.perf_counter() - t
    # This process's peak so far: training alone (Prefect is not started by it; on Dask
    # the workers are separate processes, counted in the step's peaks only).
    train_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ref = save_reference(
        frame, str(a.work / "fleet"), None, exp, settings, out["run_id"], out["versions"]
    )
    m = out["metrics"]
    return {
        "rows": int(m["data.train_rows"] + m["data.calibration_rows"] + m["data.validation_rows"]),
        "train_rows": int(m["data.train_rows"]),
        "rul_train_rows": int(m["data.rul_train_rows"]),
        "cv_folds": exp.model.cv_folds,
        "frame_rows": rows,
        "on_dask": trains_on_dask(settings, rows),
        "train_s": round(trained, 1),
        "train_peak_gb": _gb(train_peak),
        "reference_s": round(time.perf_counter() - t - trained, 1),
        "reference_rows": ref["rows"],
        "pr_auc": round(m["risk.lightgbm.pr_auc"], 4),
        "event_recall": round(m["risk.lightgbm.event_recall"], 4),
        "rul_mae_capped_h": round(m["rul.lightgbm.mae_capped"], 1),
        "fit_s": {k: round(v, 1) for k, v in m.items() if k.startswith("time.")},
    }


def step_night(a: argparse.Namespace, runner: str) -> dict[str, Any]:
    settings = _settings(a.work, runner)
    import polars as pl

    from forewarn.flows.batch_steps import plan_feature_batches
    from forewarn.flows.batched import night_batches
    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.runners import task_runner
    from forewarn.flows.steps import longest_window, scoring_since
    from forewarn.models.bundle import load_bundle
    from forewarn.models.champion import ChampionModels
    from forewarn.serving.score import ScoringRules, score_snapshot

    exp, url = load_experiment("default"), str(a.work / "fleet")
    end = datetime.fromisoformat(_span(a.work)["end"])
    as_of = end.replace(hour=0, minute=0, second=0, microsecond=0)
    t = time.perf_counter()
    since = scoring_since(url, as_of, exp)
    plan = plan_feature_batches(url, settings)
    out = str(a.work / "nights" / runner)
    inputs = night_batches.with_options(task_runner=task_runner(settings))(
        url, plan, exp, as_of, since, out
    )
    built = time.perf_counter() - t
    folder = a.work / "models" / "local"
    models = ChampionModels(load_bundle(folder / "risk"), load_bundle(folder / "rul"))
    snapshot, stats = pl.read_parquet(inputs["snapshot"]), pl.read_parquet(inputs["stats"])
    rules = ScoringRules.from_config(exp.risk_list, longest_window(exp))
    t = time.perf_counter()
    scores = score_snapshot(snapshot, stats, models, datetime.now(UTC), rules)
    return {
        "as_of": as_of.isoformat(),
        "since": since and since.isoformat(),
        "batches": len(plan),
        "snapshot_s": round(built, 1),
        "score_s": round(time.perf_counter() - t, 1),
        "assets": scores.height,
        "status": dict(scores.group_by("status").len().iter_rows()),
    }


def step_compare(a: argparse.Namespace) -> dict[str, Any]:
    import polars as pl

    nights = [
        pl.read_parquet(a.work / "nights" / r / "snapshot.parquet") for r in ("local", "dask")
    ]
    local = sorted((a.work / "runs" / "local" / "training_frame").glob("part-*.parquet"))
    same = all(
        pl.read_parquet(p).equals(pl.read_parquet(str(p).replace("local", "dask"))) for p in local
    )
    return {
        "night_snapshots_identical": nights[0].equals(nights[1]),
        "training_parts_identical": same,
        "parts": len(local),
    }


def child(a: argparse.Namespace) -> dict[str, Any]:
    kind, _, runner = a.step.partition(":")
    fn = globals()[f"step_{kind}"]
    return fn(a, runner) if runner else fn(a)


def run(a: argparse.Namespace, step: str) -> dict[str, Any]:
    """Run one step in a subprocess, sampling its process tree's memory."""
    (a.work / "logs").mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--step", step, "--work", str(a.work)]
    cmd += ["--assets", str(a.assets), "--days", str(a.days), "--train-assets", str(a.train_assets)]
    if a.cv_folds is not None:
        cmd += ["--cv-folds", str(a.cv_folds)]
    log = (a.work / "logs" / f"{step.replace(':', '-')}.log").open("w")
    start, tree, largest = time.perf_counter(), 0, 0
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)  # nosec B603  # own argv
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        rss = []
        for p in [root, *root.children(recursive=True)]:
            try:
                rss.append(p.memory_info().rss)
            except psutil.Error:
                continue
        tree, largest = max(tree, sum(rss)), max(largest, max(rss, default=0))
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"step {step} failed: see {log.name}")
    out = _load(a.work, step)
    load = round(os.getloadavg()[0], 1)
    return {
        "step": step,
        "seconds": round(seconds, 1),
        "peak_gb_sum": _gb(tree),
        "peak_gb_largest": _gb(largest),
        "load_1m": load,
        **out,
    }


def _projection(results: list[dict[str, Any]], assets: int, target: int) -> list[str]:
    rows = [
        f"| step | measured s per {assets:,} assets | s per asset | projected at "
        f"{target:,} assets |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        if r["step"] in ("compare", "train:local", "train:dask") or r["step"].startswith("full"):
            continue
        per = r["seconds"] / assets
        rows.append(f"| {r['step']} | {r['seconds']:,} | {per:.4f} | {per * target / 3600:.1f} h |")
    return rows


NOTES = """Steps: `validate` is one pass over the whole dataset (`summarize(load_dataset())`, what
flows ran before batching); `validate:batched` is what the flows run now (`validate_fleet`:
one task per asset batch plus one pass for rows of no known asset). `frame:*` is the
labelled training frame (`training_batches`: build, pool fleet norms, finish + label),
written as one Parquet part per batch. `train:*` is **bounded**: `train_models` on the frame
rows of a seeded sample of assets, cross-validation off; `train:dask` trains
every booster with `lightgbm.dask` on a 2-worker `LocalCluster`. `fulltrain:*` is what
`forewarn train` runs after the frame is built, on the whole 3.6M-row frame (about 8.7 GB
if read whole): `train_and_register` (a lazy scan of the parts: each slice is read with
its filter and negative sampling pushed into the scan, one wide slice at a time; the RUL
matrix is encoded in asset chunks; boosters train on float32; the experiment's own
cross-validation) and the drift reference (`save_reference`, also from the scan). On
`fulltrain:dask` the frame is above `local_training_rows`, so the boosters train with
`lightgbm.dask` and the workers read the risk and RUL boosters' rows from the parts.
`train_peak_gb` is the step process's own peak right after `train_and_register` (training,
grading and registering); the step's larger peak comes after it, from the drift reference's
sensor ranges (`sensor_ranges`: quantiles over the whole validated telemetry, 87.5M
readings, 9.7 GB when measured alone), not from the training frame.
`night:*` builds tonight's snapshot (`night_batches`, reading back to the oldest current
life) and scores it with the `train:local` models (`score_snapshot`: predictions, statuses,
drivers of the top 50).
`compare` checks that the Dask outputs equal the local ones, part by part.
Each step's time includes starting Prefect's local API (about 10-20 s) and, on Dask, the
cluster. On 2 cores Dask gains nothing: the local runner already keeps both cores busy (Polars
and LightGBM threads); the Dask runs show the same work spread over worker processes, with
memory per worker bounded by one batch."""

PROJECTION = """Per-asset cost of each step at this fleet size times 100,000 assets, on this machine
(2 shared cores), one batch at a time. Memory stays bounded by one batch (about 8M
readings) except the fleet-norm pooling chunk (2M rows at a time) and the assembled night
snapshot (about 100,000 x 280 floats, 0.25 GB); on a Dask cluster divide the time by the
number of busy cores. The one-pass `validate` grows with the fleet instead (5.5 GB here,
about 55 GB projected), which is why the flows validate in batches."""


def markdown(a: argparse.Namespace, results: list[dict[str, Any]]) -> str:
    lines = [
        "# Scale benchmark (`benchmarks/bench_scale.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, "
        f"{os.cpu_count()} cores, {_gb(psutil.virtual_memory().total)} GB RAM, shared with "
        "other sessions (the load column is the 1-min load average at each step's end).",
        "",
        f"Fleet: {a.assets:,} assets x {a.days} days hourly, experiment `default` "
        "(6 sensors, 1/7/30-day windows + life, baselines, regimes, fleet norms, events).",
        "",
        "| step | seconds | peak GB (all processes) | peak GB (largest process) | load | detail |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        skip = {"step", "seconds", "peak_gb_sum", "peak_gb_largest", "load_1m", "labels"}
        detail = ", ".join(f"{k}={v}" for k, v in r.items() if k not in skip)
        lines.append(
            f"| {r['step']} | {r['seconds']:,} | {r['peak_gb_sum']} | "
            f"{r['peak_gb_largest']} | {r['load_1m']} | {detail} |"
        )
    lines += ["", NOTES, "", "## Projection to 100,000 assets (linear in assets; not measured)"]
    lines += ["", PROJECTION, "", *_projection(results, a.assets, 100_000)]
    lines += ["", "```json", json.dumps(results, indent=1, default=str), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--train-assets", type=int, default=1_000)
    parser.add_argument(
        "--cv-folds", type=int, help="fulltrain: override the experiment's cv_folds"
    )
    parser.add_argument("--work", type=Path, required=True, help="scratch folder")
    parser.add_argument(
        "--steps",
        nargs="*",
        default=list(STEPS),
        choices=STEPS,
        help="steps to (re)run; none: rewrite the page from summary.json",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    a = parser.parse_args(argv)
    if a.step:
        out = a.work / "results" / f"{a.step.replace(':', '-')}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(child(a), default=str))
        return
    summary = a.work / "summary.json"  # steps re-run replace their earlier results
    done = {r["step"]: r for r in json.loads(summary.read_text())} if summary.exists() else {}
    for step in a.steps:
        done[step] = run(a, step)
        print(json.dumps(done[step], default=str), flush=True)
        summary.write_text(json.dumps([done[s] for s in STEPS if s in done], default=str))
    results = [done[s] for s in STEPS if s in done]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(markdown(a, results), encoding="utf-8")


if __name__ == "__main__":
    main()
