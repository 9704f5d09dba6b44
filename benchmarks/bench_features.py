"""Benchmark point-in-time features: training frame vs pandas reference vs scan floor; scoring.

Reproduce (about 15 minutes on 2 cores, 24 GB; writes ~1 GB under .forewarn/bench-features):

    .venv/bin/python benchmarks/bench_features.py

Each measurement runs in its own subprocess so its peak RSS is its own. Results go to
``benchmarks/results/features.md``. Smaller runs: ``--assets 200 --days 90 --score-assets 500``.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "default.toml"
START = datetime(2025, 1, 1, tzinfo=UTC)


def _scan(folder: Path) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    return (
        pl.scan_parquet(folder / "telemetry" / "*.parquet"),
        pl.scan_parquet(folder / "events.parquet"),
        pl.scan_parquet(folder / "assets.parquet"),
    )


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def phase_data(args: argparse.Namespace) -> dict:
    from forewarn.synthetic import FleetConfig, write_fleet

    out = {}
    for name, n, days in (
        ("train", args.assets, args.days),
        ("score", args.score_assets, args.score_days),
    ):
        folder = Path(args.work) / name
        if not (folder / "fleet.json").exists():
            t = time.perf_counter()
            write_fleet(FleetConfig(n_assets=n, days=days, freq="1h", seed=11, start=START), folder)
            out[name] = round(time.perf_counter() - t, 1)
    return out


def phase_floor(args: argparse.Namespace) -> dict:
    from forewarn.features.spec import load_specs

    spec, _ = load_specs(CONFIG)
    tel, _, _ = _scan(Path(args.work) / "train")
    cols = ["asset_id", "ts", *spec.sensors, spec.regime_column]
    t = time.perf_counter()
    rows = tel.select(cols).collect().height
    return {"seconds": time.perf_counter() - t, "rows": rows, "peak_gb": _peak_gb()}


def _partials(args: argparse.Namespace, six_stats: bool) -> dict:
    """One group-by of the raw readings into daily partials per (asset, day) and sensor.

    ``six_stats=False`` is the issue's hint as written: sum, sum of squares, min, max,
    count and sum of t*x. ``six_stats=True`` adds what the six basic window statistics also
    need (``last``; sums of t and t^2 over non-null readings, without which the slope of a
    window with dropouts is wrong). Lower bounds for any pipeline that follows the hint,
    measured the same way as the floor.
    """
    from forewarn.features.spec import load_specs

    spec, _ = load_specs(CONFIG)
    tel, _, _ = _scan(Path(args.work) / "train")
    hour = (pl.col("ts").dt.epoch("s") % 86_400).cast(pl.Float64) / 3600.0
    aggs = []
    for s in spec.sensors:
        x = pl.col(s).cast(pl.Float64)
        aggs += [
            x.sum().alias(f"{s}:sum"),
            (x * x).sum().alias(f"{s}:sq"),
            x.min().alias(f"{s}:min"),
            x.max().alias(f"{s}:max"),
            x.count().alias(f"{s}:n"),
            (x * hour).sum().alias(f"{s}:tx"),
        ]
        if six_stats:
            t = pl.when(x.is_not_null()).then(hour)
            aggs += [
                x.drop_nulls().last().alias(f"{s}:last"),
                t.sum().alias(f"{s}:t"),
                (t * t).sum().alias(f"{s}:tt"),
            ]
    t0 = time.perf_counter()
    day = pl.col("ts").dt.truncate("1d").alias("day")
    rows = tel.select("asset_id", "ts", *spec.sensors).group_by("asset_id", day).agg(aggs)
    height = rows.collect().height
    return {"seconds": time.perf_counter() - t0, "rows": height, "peak_gb": _peak_gb()}


def phase_partials(args: argparse.Namespace) -> dict:
    return _partials(args, six_stats=False)


def phase_partials_six(args: argparse.Namespace) -> dict:
    return _partials(args, six_stats=True)


LEAN = {
    "stats": ("mean", "std", "min", "max", "last", "slope"),
    "life_window": False,
    "baseline_span": None,
    "fleet_norm": False,
    "regime_column": None,
    "alarm_codes": (),
    "components": (),
    "freshness": False,
}
"""The issue's minimum on top of the default's 6 sensors, 3 windows and daily snapshots:
six stats, nothing else (the always-on event features and labels stay)."""


def phase_lean(args: argparse.Namespace) -> dict:
    return _training_frame(args, LEAN)


def _training_frame(args: argparse.Namespace, update: dict) -> dict:
    from forewarn.features.snapshots import training_frame
    from forewarn.features.spec import load_specs

    spec, labels = load_specs(CONFIG)
    spec = spec.model_copy(update=update)
    t = time.perf_counter()
    frame, report = training_frame(
        *_scan(Path(args.work) / "train"),
        START + timedelta(days=1),
        START + timedelta(days=args.days),
        spec,
        labels,
    )
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "rows": frame.height,
        "cols": frame.width,
        "report": vars(report),
        "peak_gb": _peak_gb(),
    }


def phase_polars(args: argparse.Namespace) -> dict:
    return _training_frame(args, {})


def phase_pandas(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT))
    from benchmarks.reference_features import reference_labels, reference_snapshots
    from forewarn.features.snapshots import snapshot_times
    from forewarn.features.spec import load_specs

    spec, labels = load_specs(CONFIG)
    tel, ev, assets = _scan(Path(args.work) / "train")
    ids = assets.select("asset_id").collect().to_series().sort().head(args.pandas_assets).to_list()
    pick = pl.col("asset_id").is_in(ids)
    frames = [f.filter(pick).collect().to_pandas() for f in (tel, ev, assets)]
    times = snapshot_times(
        START + timedelta(days=1), START + timedelta(days=args.days), spec.snapshot_every
    )
    t = time.perf_counter()
    snaps = reference_snapshots(frames[0], frames[1], frames[2], times, spec, list(spec.sensors))
    reference_labels(snaps, frames[1], labels, frames[0]["ts"].max())
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "assets": len(ids), "rows": len(snaps), "peak_gb": _peak_gb()}


def _score_as_of(args: argparse.Namespace) -> datetime:
    return START + timedelta(days=args.score_days)


def phase_score_full(args: argparse.Namespace) -> dict:
    from forewarn.features.snapshots import needed_since, scoring_snapshot
    from forewarn.features.spec import load_specs

    spec, _ = load_specs(CONFIG)
    tel, ev, assets = _scan(Path(args.work) / "score")
    as_of = _score_as_of(args)
    t = time.perf_counter()
    out = scoring_snapshot(tel, ev, assets, as_of, spec)
    seconds = time.perf_counter() - t
    out.write_parquet(Path(args.work) / "score_full.parquet")
    since = needed_since(ev, assets, as_of, spec)
    read = (
        tel.filter(pl.col("ts") >= since if since else pl.lit(True))
        .select(pl.len())
        .collect()
        .item()
    )
    return {"seconds": seconds, "rows": out.height, "raw_rows_read": read, "peak_gb": _peak_gb()}


def phase_history(args: argparse.Namespace) -> dict:
    from forewarn.features.history import write_history
    from forewarn.features.snapshots import summarize_history
    from forewarn.features.spec import load_specs

    spec, _ = load_specs(CONFIG)
    until = _score_as_of(args) - timedelta(days=1)
    t = time.perf_counter()
    history = summarize_history(*_scan(Path(args.work) / "score"), until, spec)
    write_history(history, Path(args.work) / "history")
    return {
        "seconds": time.perf_counter() - t,
        "partial_rows": history.partials.height,
        "peak_gb": _peak_gb(),
    }


def phase_score_history(args: argparse.Namespace) -> dict:
    from forewarn.features.history import history_reach, read_history
    from forewarn.features.snapshots import scoring_snapshot
    from forewarn.features.spec import load_specs

    spec, _ = load_specs(CONFIG)
    tel, ev, assets = _scan(Path(args.work) / "score")
    t = time.perf_counter()
    history = read_history(Path(args.work) / "history", spec, _score_as_of(args))
    out = scoring_snapshot(tel, ev, assets, _score_as_of(args), spec, history=history)
    seconds = time.perf_counter() - t
    out.write_parquet(Path(args.work) / "score_history.parquet")
    since = history.until - history_reach(spec)
    read = tel.filter(pl.col("ts") > since).select(pl.len()).collect().item()
    return {"seconds": seconds, "rows": out.height, "raw_rows_read": read, "peak_gb": _peak_gb()}


PHASES = {
    "data": phase_data,
    "floor": phase_floor,
    "partials": phase_partials,
    "partials_six": phase_partials_six,
    "lean": phase_lean,
    "polars": phase_polars,
    "pandas": phase_pandas,
    "score_full": phase_score_full,
    "history": phase_history,
    "score_history": phase_score_history,
}


def _run(name: str, argv: list[str]) -> dict:
    proc = subprocess.run(  # nosec B603  # this interpreter and script, fixed argv, no shell
        [sys.executable, __file__, "--phase", name, *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"phase {name} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(name, result, flush=True)
    return result


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cells(r: dict) -> tuple[str, str]:
    return f"{r['seconds']:.1f}", f"{r['peak_gb']:.1f}"


def _training(args: argparse.Namespace, r: dict) -> list[str]:
    p, f, pd_ = r["polars"], r["floor"], r["pandas"]
    scaled = pd_["seconds"] * args.assets / pd_["assets"]
    return [
        f"## Training frame: {args.assets} assets x {args.days} days hourly"
        f" ({f['rows']:,} readings)",
        "",
        "| what | seconds | peak RSS GB | rows |",
        "|---|---:|---:|---:|",
        _row(
            "floor: Polars scan of the same Parquet columns, once (files already in the page"
            " cache, fresh process, like every phase)",
            *_cells(f),
            f"{f['rows']:,}",
        ),
        _row(
            "stage 1 alone: one group-by into daily partials (sum, squares, min, max, count,"
            " sum t*x per asset, day and sensor)",
            *_cells(r["partials"]),
            f"{r['partials']['rows']:,}",
        ),
        _row(
            "stage 1 with what the six basic stats also need (+ last, sums of t and t^2)",
            *_cells(r["partials_six"]),
            f"{r['partials_six']['rows']:,}",
        ),
        _row(
            f"`training_frame`, the issue's minimum config ({r['lean']['cols']} columns: six stats"
            " x 3 windows x 6 sensors, event features, labels)",
            *_cells(r["lean"]),
            f"{r['lean']['rows']:,}",
        ),
        _row("`training_frame` (features + labels), default config", *_cells(p), f"{p['rows']:,}"),
        _row(
            f"pandas reference, {pd_['assets']} assets, measured", *_cells(pd_), f"{pd_['rows']:,}"
        ),
        _row(
            f"pandas reference, scaled linearly to {args.assets} assets", f"{scaled:,.0f}", "", ""
        ),
        "",
        f"- speed-up vs pandas reference: **{scaled / p['seconds']:,.0f}x** (target >= 10x)",
        f"- ratio to the scan floor: **{p['seconds'] / f['seconds']:.1f}x** (target <= 3x)",
        f"- the hint's first stage alone (daily partials, no windows, baselines, events or"
        f" labels) is already **{r['partials']['seconds'] / f['seconds']:.1f}x** the floor",
        f"- with what the six basic stats need, stage 1 alone is"
        f" **{r['partials_six']['seconds'] / f['seconds']:.1f}x**; the minimum config end to end"
        f" is **{r['lean']['seconds'] / f['seconds']:.1f}x**",
        f"- output: {p['rows']:,} rows x {p['cols']} columns; labels: {p['report']}",
    ]


def _scoring(args: argparse.Namespace, r: dict) -> list[str]:
    full, hist, build = r["score_full"], r["score_history"], r["history"]
    same = pl.read_parquet(Path(args.work) / "score_full.parquet").equals(
        pl.read_parquet(Path(args.work) / "score_history.parquet")
    )
    return [
        f"## Scoring: {args.score_assets} assets, one `as_of` after {args.score_days} days of data",
        "",
        "| what | seconds | peak RSS GB | raw telemetry rows read |",
        "|---|---:|---:|---:|",
        _row(
            "`scoring_snapshot`, no history (reads back to life starts)",
            *_cells(full),
            f"{full['raw_rows_read']:,}",
        ),
        _row(
            "`scoring_snapshot(history=…)`, until = as_of - 1d",
            *_cells(hist),
            f"{hist['raw_rows_read']:,}",
        ),
        _row(
            f"one-off `summarize_history` ({build['partial_rows']:,} partial rows)",
            *_cells(build),
            "all",
        ),
        "",
        f"- both scoring paths give bit-identical rows: **{same}**",
        "- with a history, raw telemetry is read only after `until - baseline_span` (a predicate on"
        " `ts` pushed into the Parquet scan); fixed windows older than `until`, current-life totals"
        " and finished baselines come from the history's daily partials (sums, squares, time"
        " moments, min/max/last and decayed sums per asset, life and day).",
    ]


def _report(args: argparse.Namespace, r: dict) -> str:
    command = (
        f".venv/bin/python benchmarks/bench_features.py --assets {args.assets} --days {args.days}"
        f" --score-assets {args.score_assets} --score-days {args.score_days}"
        f" --pandas-assets {args.pandas_assets}"
    )
    lines = [
        "# Feature benchmark (`benchmarks/bench_features.py`)",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores"
        f" shared with other sessions (1-min load average at the end: {os.getloadavg()[0]:.1f},"
        " so absolute times are pessimistic), polars " + pl.__version__ + ".",
        "",
        f"Reproduce: `{command}`",
        "",
        "Config `experiments/default.toml`: daily snapshots, windows 1d/7d/30d + current life,"
        " 8 stats, 6 sensors, baseline/regime/fleet z-scores, alarm counts, event features.",
        "",
        *_training(args, r),
        "",
        *_scoring(args, r),
        "",
        "pandas is the naive reference (per asset and snapshot, slices of raw readings), timed on"
        " a subset of assets and scaled linearly in assets (its cost is linear in assets).",
        "",
        "Why not within 3x of the floor: the floor only decodes the columns; the hint's first stage"
        " alone (the rows above) is one group-by and already costs about the whole 3x (its"
        " ratio is in the bullets). The pipeline also aggregates every reading into ~80 bucket"
        " partials per (asset, life, day) with order-fixed sums (so training and scoring rows"
        " are bit-identical), builds 3 windows + the current life from them with power-of-two"
        " blocks, and adds baselines, fleet norms, events and labels. Stage 1 (one pass over"
        " the readings) is about a third of the time; stage 2 (windows over 0.8 M asset-days x"
        " ~110 partial columns) about a third. Times on this 2-core VM vary by about 25 % from"
        " run to run (floor 0.7-1.1 s, default frame 15-21 s), so compare ratios of one run.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--score-assets", type=int, default=10000)
    parser.add_argument("--score-days", type=int, default=60)
    parser.add_argument("--pandas-assets", type=int, default=4)
    parser.add_argument("--work", default=str(ROOT / ".forewarn" / "bench-features"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "features.md"))
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args), default=str))
        return
    argv = sys.argv[1:]
    results = {}
    for name in PHASES:
        if name == "floor":
            # A throwaway scan first: with the files still on disk the floor would also
            # time the disk, flattering every ratio to it (1.8 s cold vs 0.8 s warm).
            _run(name, argv)
        results[name] = _run(name, argv)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(_report(args, results))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
