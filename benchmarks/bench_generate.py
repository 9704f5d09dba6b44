"""Benchmark fleet generation: telemetry rows per second and peak memory of ``write_fleet``.

Each fleet size runs in its own subprocess so its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own, not the largest run's. The
generated data goes to a scratch folder (removed afterwards unless ``--keep``);
results go to ``benchmarks/results/generate.md`` and stdout.

Usage::

    .venv/bin/python benchmarks/bench_generate.py                    # 1,000 and 10,000 assets
    .venv/bin/python benchmarks/bench_generate.py --assets 200 --days 30 --out /tmp/gen.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from forewarn.synthetic import FleetConfig, write_fleet

RESULTS = Path(__file__).parent / "results" / "generate.md"


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def child(assets: int, days: int, freq: str, batch: int, out: Path) -> dict[str, Any]:
    """Generate one fleet in this process; return timings, sizes, rates and peak RSS."""
    cfg = FleetConfig(n_assets=assets, days=days, freq=freq, seed=7)
    start = time.perf_counter()
    summary = write_fleet(cfg, out, batch_assets=batch, overwrite=True)
    seconds = time.perf_counter() - start
    rows = summary["counts"]["telemetry_rows"]
    return {
        "assets": assets,
        "days": days,
        "freq": freq,
        "batch_assets": batch,
        "telemetry_rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_1m": round(os.getloadavg()[0], 1),  # the machine may be shared
        "output_mb": round(_folder_bytes(out) / 2**20),
        "counts": summary["counts"],
        "rates": {k: round(v, 4) for k, v in summary["rates"].items()},
    }


def run_one(args: argparse.Namespace, assets: int, work: Path) -> dict[str, Any]:
    """Run ``child`` in a fresh interpreter and parse its JSON line."""
    out = work / f"fleet-{assets}"
    cmd = [sys.executable, __file__, "--child", "--assets", str(assets), "--days", str(args.days)]
    cmd += ["--freq", args.freq, "--batch", str(args.batch), "--workdir", str(out)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)  # nosec B603  # own argv
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    """The results page: a table, the machine, and the raw JSON."""
    lines = [
        "# Fleet generation benchmark",
        "",
        "`write_fleet` end to end (simulate, build frames, write zstd Parquet), one",
        "subprocess per fleet size; peak memory is that process's max RSS.",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs.",
        "",
        "| assets | days | freq | telemetry rows | seconds | rows/s | peak RSS (MB) | output (MB) "
        "| load (1 min) | failing share | failures/asset-year | 7-day prevalence |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rates = r["rates"]
        lines.append(
            f"| {r['assets']:,} | {r['days']} | {r['freq']} | {r['telemetry_rows']:,} "
            f"| {r['seconds']} | {r['rows_per_second']:,} | {r['peak_rss_mb']:,} "
            f"| {r['output_mb']:,} | {r.get('load_average_1m', '')} "
            f"| {rates['failing_asset_share']:.3f} "
            f"| {rates['failures_per_asset_year']:.3f} | {rates['prevalence_7d']:.4f} |"
        )
    lines += ["", "```json", json.dumps(results, indent=2), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--freq", default="1h")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workdir", type=Path, default=None, help="scratch folder (default: /tmp)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the generated fleets")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.assets[0], args.days, args.freq, args.batch, args.workdir)))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="forewarn-bench-gen-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.assets:
        results.append(run_one(args, n, work))
        print(json.dumps(results[-1]), flush=True)
    if args.workdir is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    page = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(page)


if __name__ == "__main__":
    main()
