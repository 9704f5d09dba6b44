"""Convert the Azure Predictive Maintenance sample into a forewarn dataset, as a user would.

    python benchmarks/convert_azure.py ../shared/data/azure_pdm_subset .forewarn/data/azure

Telemetry: the hourly ``volt, rotate, pressure, vibration`` of the machines in the
telemetry file (1-20, 2015-01-01 06:00 to 2015-04-01 05:00). Events: errors become
``alarm`` events with their ``code``, replacements ``maintenance`` with their
``component``, failures ``failure`` with their ``component``; only those machines, and
nothing after the last reading. Maintenance before the first reading is kept: it dates
each component's current life. Assets: one per machine, ``asset_type`` = its model,
``age_years`` kept as a descriptive column.

Time: the files hold naive local times and do not say which zone. ``--tz`` names it
(default ``UTC``: taken as UTC unchanged); the times are converted to UTC. With a zone
that has daylight-saving changes, a time that does not exist that day becomes null and
forewarn's validation rejects it with a reason (none is dropped here).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

TELEMETRY = "PdM_telemetry_machines1-20_2015Q1.csv"
SENSORS = ("volt", "rotate", "pressure", "vibration")


def _ts(tz: str) -> pl.Expr:
    local = pl.col("datetime").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")
    return (
        local.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias("ts")
    )


def _asset() -> pl.Expr:
    return pl.format("machine-{}", pl.col("machineID").cast(pl.String).str.zfill(3)).alias(
        "asset_id"
    )


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)  # text: every cast below is explicit


def _events(src: Path, tz: str) -> pl.DataFrame:
    def one(file: str, kind: str, value: str, into: str) -> pl.DataFrame:
        other = "code" if into == "component" else "component"
        return _read(src / file).select(
            _asset(),
            _ts(tz),
            pl.lit(kind).alias("kind"),
            pl.col(value).alias(into),
            pl.lit(None, pl.String).alias(other),
        )

    return pl.concat(
        [
            one("PdM_errors.csv", "alarm", "errorID", "code"),
            one("PdM_maint.csv", "maintenance", "comp", "component"),
            one("PdM_failures.csv", "failure", "failure", "component"),
        ],
        how="diagonal",
    ).select("asset_id", "ts", "kind", "component", "code")


def convert(src: Path, out: Path, tz: str = "UTC") -> dict[str, int]:
    """Write ``out/{telemetry,events,assets}.parquet``; return each table's row count."""
    telemetry = (
        _read(src / TELEMETRY)
        .select(_asset(), _ts(tz), *(pl.col(s).cast(pl.Float64) for s in SENSORS))
        .sort("asset_id", "ts")
    )
    machines = telemetry["asset_id"].unique()
    end = telemetry["ts"].max()
    events = _events(src, tz)
    keep = pl.col("asset_id").is_in(machines.implode()) & (
        (pl.col("ts") <= end) | pl.col("ts").is_null()
    )
    start = telemetry["ts"].min()
    events = events.filter(keep & ((pl.col("kind") == "maintenance") | (pl.col("ts") >= start)))
    assets = (
        _read(src / "PdM_machines.csv")
        .select(
            _asset(),
            pl.col("model").alias("asset_type"),
            pl.col("age").cast(pl.Int64).alias("age_years"),
        )
        .filter(pl.col("asset_id").is_in(machines.implode()))
        .sort("asset_id")
    )
    out.mkdir(parents=True, exist_ok=True)
    tables = {"telemetry": telemetry, "events": events.sort("asset_id", "ts"), "assets": assets}
    for name, frame in tables.items():
        tmp = out / f".{name}.parquet.tmp"
        frame.write_parquet(tmp)
        tmp.replace(out / f"{name}.parquet")
    return {name: frame.height for name, frame in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="folder with the PdM_*.csv files")
    parser.add_argument("out", type=Path, help="output dataset folder")
    parser.add_argument("--tz", default="UTC", help="zone of the naive times (default UTC)")
    args = parser.parse_args()
    counts = convert(args.src, args.out, args.tz)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v:,} rows" for k, v in counts.items()))


if __name__ == "__main__":
    main()
