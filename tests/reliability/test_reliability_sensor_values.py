"""A night on data whose rows arrive without the values the model reads (issue 18, 4 and 6).

Two assets behind a live gateway send rows with every sensor null for 30 days, and one
asset's telemetry file lacks a sensor the champion reads (the other file has it, so the
extract as a whole passes the champion-column check). Before, all three were ``scored``
with fresh-looking data and made-up probabilities; now each is ``unscorable`` with the
reason, and every other asset is scored as before.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import polars as pl

from forewarn.flows.scoring import scoring_flow
from forewarn.serving.store import ScoreStore
from tests.reliability.workspace import NIGHT, Trained


def _fleet_with_silent_sensors(source: Path, target: Path) -> tuple[list[str], str]:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("truth"))
    parts = sorted((target / "telemetry").glob("*.parquet"))
    telemetry = pl.concat([pl.read_parquet(p) for p in parts], how="diagonal_relaxed")
    for part in parts:
        part.unlink()
    ids = sorted(telemetry["asset_id"].unique().to_list())
    dead, lacking = ids[:2], ids[2]
    sensors = [c for c in telemetry.columns if c not in ("asset_id", "ts", "operating_mode")]
    silent = pl.col("asset_id").is_in(dead) & (pl.col("ts") > NIGHT - timedelta(days=30))
    telemetry = telemetry.with_columns(
        pl.when(silent).then(None).otherwise(pl.col(c)).alias(c) for c in sensors
    )
    others = telemetry.filter(pl.col("asset_id") != lacking)
    others.write_parquet(target / "telemetry" / "part-a.parquet")
    one = telemetry.filter(pl.col("asset_id") == lacking).drop("vibration_mm_s")
    one.write_parquet(target / "telemetry" / "part-b.parquet")
    return dead, lacking


def test_assets_without_sensor_values_are_unscorable_with_the_reason(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    fleet = tmp_path / "silent-fleet"
    dead, lacking = _fleet_with_silent_sensors(trained.fleet, fleet)
    scoring_flow(str(fleet), NIGHT, str(trained.config), str(home), 1.0, report=False)
    night = {
        r["asset_id"]: r for r in ScoreStore(home / "scores").night(NIGHT).iter_rows(named=True)
    }
    for asset in dead:
        row = night[asset]
        assert row["status"] == "unscorable", row
        assert "no sensor the model reads has a value" in row["status_reason"]
        assert row["p_fail"] is None and row["data_freshness_hours"] is None
    row = night[lacking]
    assert row["status"] == "unscorable" and row["p_fail"] is None, row
    assert "no value of vibration_mm_s" in row["status_reason"]
    reference = {r["asset_id"]: r for r in trained.reference.iter_rows(named=True)}
    for asset, row in night.items():
        if asset not in (*dead, lacking):
            assert row["status"] == reference[asset]["status"], asset
            assert row["p_fail"] == reference[asset]["p_fail"], asset
