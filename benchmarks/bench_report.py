"""Benchmark the serving tail for one large night: store write, risk list, report, web page.

A synthetic fleet (``serving.sample``) is scored for several nights; the previous nights
are stored first so the risk list computes real trends and new/still-open alerts. Each
step runs ``--repeat`` times and the median is reported.

Usage::

    .venv/bin/python benchmarks/bench_report.py            # 10,000 assets, 8 nights
    .venv/bin/python benchmarks/bench_report.py --assets 2000 --out /tmp/serving.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from fastapi.testclient import TestClient

from forewarn.serving.report import write_report
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.sample import synthetic_nights, synthetic_sensor_history
from forewarn.serving.store import ScoreStore
from forewarn.serving.web import create_app

LOOPBACK = "http://127.0.0.1"  # the page answers loopback host names only

FIRST_NIGHT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results" / "serving.md"


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds over ``repeat`` runs, and the last run's result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(assets: int, nights: int, repeat: int, work: Path) -> list[tuple[str, float, str]]:
    """Run every step; returns (step, median seconds, note) rows."""
    cfg = RiskListConfig()
    as_ofs = [FIRST_NIGHT + timedelta(days=i) for i in range(nights)]
    rows: list[tuple[str, float, str]] = []
    t, frames = timed(lambda: synthetic_nights(assets, as_ofs, seed=7), 1)
    rows.append(("synthetic score frames (all nights)", t, f"{nights} × {assets:,} rows"))
    store = ScoreStore(work / "store")
    for frame in frames[:-1]:  # type: ignore[index]
        store.write_night(frame)
    tonight = frames[-1]  # type: ignore[index]
    t, _ = timed(lambda: store.write_night(tonight), repeat)
    rows.append(("store.write_night (replace night + Parquet)", t, "transaction + lock + fsync"))
    t, history = timed(lambda: store.history_for(as_ofs[-1], cfg.trend_nights), repeat)
    rows.append(("store.history_for (7 previous nights)", t, f"{history.height:,} rows"))  # type: ignore[union-attr]
    t, night = timed(lambda: store.night(as_ofs[-1]), repeat)
    rows.append(("store.night", t, f"{night.height:,} rows"))  # type: ignore[union-attr]
    t, ranked = timed(lambda: build_risk_list(night, history, cfg), repeat)  # type: ignore[arg-type]
    listed = ranked.filter(pl.col("priority") != "none").height  # type: ignore[union-attr]
    rows.append(("build_risk_list (rank, priority, trend, alerts)", t, f"{listed} listed"))
    top = ranked["asset_id"].head(cfg.top_n).to_list()  # type: ignore[index]
    sensors = synthetic_sensor_history(top, as_ofs[-1], days=14)
    out = work / "reports"
    t, paths = timed(lambda: write_report(ranked, history, out, sensors), repeat)  # type: ignore[arg-type]
    sizes = ", ".join(
        f"{p.suffix[1:]} {p.stat().st_size / 1e6:.1f} MB"
        for p in (paths.html, paths.csv, paths.xlsx)  # type: ignore[union-attr]
        if p is not None
    )
    rows.append(("write_report (CSV + XLSX + HTML, 50 sensor sets)", t, sizes))
    rows += web_steps(store, out, as_ofs[-1], repeat)
    return rows


def web_steps(
    store: ScoreStore, reports: Path, night: datetime, repeat: int
) -> list[tuple[str, float, str]]:
    """First (list built) and cached page loads of the web app, in-process."""
    client = TestClient(create_app(store.path, reports), base_url=LOOPBACK)
    cold, _ = timed(lambda: client.get("/"), 1)
    warm, page = timed(lambda: client.get("/"), repeat)
    api, _ = timed(lambda: client.get("/api/scores", params={"limit": 1000}), repeat)
    size = f"{len(page.content) / 1e3:.0f} kB, 200 rows"  # type: ignore[union-attr]
    return [
        ("web GET / (first: list built from the store)", cold, size),
        ("web GET / (cached list)", warm, size),
        ("web GET /api/scores?limit=1000 (cached list)", api, "JSON"),
    ]


def markdown(rows: list[tuple[str, float, str]], assets: int, nights: int, repeat: int) -> str:
    """The results file: the numbers plus what they were measured on."""
    head = (
        "# Serving benchmark\n\n"
        f"`benchmarks/bench_report.py --assets {assets} --nights {nights} --repeat {repeat}`: "
        f"one night of {assets:,} assets with {nights - 1} stored previous nights; "
        f"median of {repeat} runs.\n\n"
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"polars {pl.__version__}, duckdb {duckdb.__version__}.\n\n"
        "| step | seconds | note |\n|---|---:|---|\n"
    )
    body = "\n".join(f"| {step} | {sec:.3f} | {note} |" for step, sec, note in rows)
    return head + body + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        rows = run(args.assets, args.nights, args.repeat, Path(tmp))
    text = markdown(rows, args.assets, args.nights, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
