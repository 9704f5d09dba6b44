"""Convert NASA C-MAPSS FD001 into two forewarn datasets, as a user would write it.

    python benchmarks/convert_cmapss.py ../shared/data/cmapss_fd001 .forewarn/data/cmapss

writes ``<out>/train`` (run-to-failure engines: telemetry, a failure at each engine's last
cycle, assets), ``<out>/test`` (censored engines to score, no events) and
``<out>/test_rul.csv`` (the published remaining cycles of each test engine, for grading).

Cycles become time: cycle ``c`` is read at ``start + c x cycle`` (default one cycle = 1 h;
results in cycles do not depend on it). Training engines all start at ``--start`` (a test
rig); test engines are aligned so that every one's last cycle falls at the same moment,
``<out>/test``'s ``as_of`` (printed), so one nightly scoring run sees every engine at its
last cycle, as a fleet's extract would.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

SETTINGS = ("setting1", "setting2", "setting3")
SENSORS = tuple(f"s{i}" for i in range(1, 22))
COLUMNS = ("unit", "cycle", *SETTINGS, *SENSORS)
START = datetime(2020, 1, 1, tzinfo=UTC)


def read_cycles(path: Path) -> pl.DataFrame:
    """One C-MAPSS text file (whitespace-separated, no header) as typed columns."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    bad = [i + 1 for i, r in enumerate(rows) if len(r) != len(COLUMNS)]
    if bad:
        raise SystemExit(f"{path}: line {bad[0]} has not {len(COLUMNS)} columns")
    frame = pl.DataFrame(rows, schema=list(COLUMNS), orient="row")
    return frame.with_columns(
        pl.col("unit", "cycle").cast(pl.Int64), pl.col(*SETTINGS, *SENSORS).cast(pl.Float64)
    )


def _asset(prefix: str) -> pl.Expr:
    return pl.format("{}-{}", pl.lit(prefix), pl.col("unit").cast(pl.String).str.zfill(3))


def to_telemetry(
    cycles: pl.DataFrame, prefix: str, first: pl.Expr, cycle: timedelta
) -> pl.DataFrame:
    """Readings at ``first + cycle x cycle_length`` (``first`` may differ per engine)."""
    ts = first + pl.duration(seconds=pl.col("cycle") * int(cycle.total_seconds()))
    return cycles.select(
        _asset(prefix).alias("asset_id"), ts.alias("ts"), *SETTINGS, *SENSORS
    ).sort("asset_id", "ts")


def assets_of(telemetry: pl.DataFrame, cycle: timedelta) -> pl.DataFrame:
    """One turbofan per engine, installed one cycle before its first reading."""
    return (
        telemetry.group_by("asset_id")
        .agg((pl.col("ts").min() - cycle).alias("installed_at"))
        .with_columns(asset_type=pl.lit("turbofan"), plant=pl.lit("FD001"))
        .select("asset_id", "asset_type", "plant", "installed_at")
        .sort("asset_id")
    )


def failures_of(telemetry: pl.DataFrame) -> pl.DataFrame:
    """A failure at each training engine's last cycle (FD001 has one fault mode, HPC
    degradation, so the component is left empty: one risk model answers it)."""
    return (
        telemetry.group_by("asset_id")
        .agg(pl.col("ts").max())
        .with_columns(
            kind=pl.lit("failure"),
            component=pl.lit(None, pl.String),
            code=pl.lit(None, pl.String),
        )
        .sort("asset_id")
    )


def _write(frames: dict[str, pl.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        tmp = folder / f".{name}.parquet.tmp"
        frame.write_parquet(tmp)
        tmp.replace(folder / f"{name}.parquet")


def convert(src: Path, out: Path, cycle: timedelta, engines: int | None = None) -> datetime:
    """Write ``out/train``, ``out/test`` and ``out/test_rul.csv``; return the test as_of."""
    train = read_cycles(src / "train_FD001.txt")
    test = read_cycles(src / "test_FD001.txt")
    truth = [int(x) for x in (src / "RUL_FD001.txt").read_text().split()]
    if engines is not None:
        train = train.filter(pl.col("unit") <= engines)
        test = test.filter(pl.col("unit") <= engines)
        truth = truth[:engines]
    train_tel = to_telemetry(train, "train", pl.lit(START), cycle)
    events = failures_of(train_tel)
    _write(
        {"telemetry": train_tel, "events": events, "assets": assets_of(train_tel, cycle)},
        out / "train",
    )
    # Right-align the test engines: each one's last cycle at the same scoring time.
    longest = test["cycle"].max()
    as_of = START + longest * cycle
    last = pl.col("cycle").max().over("unit")
    first = pl.lit(START) + pl.duration(seconds=(longest - last) * int(cycle.total_seconds()))
    test_tel = to_telemetry(test, "test", first, cycle)
    empty = events.clear()
    _write(
        {"telemetry": test_tel, "events": empty, "assets": assets_of(test_tel, cycle)}, out / "test"
    )
    units = test.group_by("unit").agg(pl.col("cycle").max().alias("last_cycle")).sort("unit")
    rul = units.with_columns(
        _asset("test").alias("asset_id"), pl.Series("rul_cycles", truth[: units.height])
    ).select("asset_id", "last_cycle", "rul_cycles")
    rul.write_csv(out / "test_rul.csv")
    return as_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "src", type=Path, help="folder with train_FD001.txt, test_FD001.txt, RUL_FD001.txt"
    )
    parser.add_argument("out", type=Path, help="output folder (train/, test/, test_rul.csv)")
    parser.add_argument("--cycle-hours", type=float, default=1.0, help="one cycle, in hours")
    parser.add_argument("--engines", type=int, default=None, help="only units 1..N (a quick try)")
    args = parser.parse_args()
    as_of = convert(args.src, args.out, timedelta(hours=args.cycle_hours), args.engines)
    print(f"wrote {args.out}/train, {args.out}/test and {args.out}/test_rul.csv")
    print(f"score the test engines at their last cycle: --as-of {as_of:%Y-%m-%dT%H:%M}Z")


if __name__ == "__main__":
    main()
