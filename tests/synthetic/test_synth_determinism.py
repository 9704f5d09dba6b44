"""Same config, same bytes; assets do not depend on batching, fleet size or telemetry grid."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from forewarn.synthetic import FleetConfig, simulate_fleet, write_fleet

CFG = FleetConfig(n_assets=9, days=21, freq="1h", seed=42, scenario="supplier", drift_share=1.0)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _parts(root: Path, table: str) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p) for p in sorted((root / table).glob("part-*.parquet"))])


def test_two_writes_are_byte_identical(tmp_path: Path) -> None:
    write_fleet(CFG, tmp_path / "a", batch_assets=4)
    write_fleet(CFG, tmp_path / "b", batch_assets=4)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b and "telemetry/part-00002.parquet" in a


def test_output_does_not_depend_on_batch_size(tmp_path: Path) -> None:
    write_fleet(CFG, tmp_path / "small", batch_assets=2)
    write_fleet(CFG, tmp_path / "large", batch_assets=100)
    small, large = _digests(tmp_path / "small"), _digests(tmp_path / "large")
    for name in ("assets.parquet", "events.parquet", "fleet.json"):
        assert small[name] == large[name], name
    for table in ("telemetry", "truth"):
        assert_frame_equal(_parts(tmp_path / "small", table), _parts(tmp_path / "large", table))


def test_written_tables_equal_the_in_memory_fleet(tmp_path: Path) -> None:
    fleet = simulate_fleet(CFG)
    write_fleet(CFG, tmp_path / "f", batch_assets=5)
    assert_frame_equal(_parts(tmp_path / "f", "telemetry"), fleet.telemetry)
    assert_frame_equal(_parts(tmp_path / "f", "truth"), fleet.truth)
    assert_frame_equal(pl.read_parquet(tmp_path / "f" / "events.parquet"), fleet.events)
    assert_frame_equal(pl.read_parquet(tmp_path / "f" / "assets.parquet"), fleet.assets)


def test_an_asset_is_the_same_in_a_larger_fleet() -> None:
    small = simulate_fleet(CFG.model_copy(update={"n_assets": 4}))
    large = simulate_fleet(CFG)
    ids = small.assets["asset_id"]
    for table in ("telemetry", "events", "assets", "truth"):
        got = getattr(large, table).filter(pl.col("asset_id").is_in(ids.implode()))
        assert_frame_equal(got, getattr(small, table))


def test_failures_and_truth_do_not_depend_on_the_telemetry_grid() -> None:
    hourly = simulate_fleet(CFG)
    daily = simulate_fleet(CFG.model_copy(update={"freq": "1d"}))
    fine = simulate_fleet(CFG.model_copy(update={"freq": "15m"}))
    assert_frame_equal(hourly.truth, daily.truth)
    assert_frame_equal(hourly.truth, fine.truth)
    for other in (daily, fine):
        assert_frame_equal(hourly.events, other.events)
    assert fine.telemetry.height > 3.5 * hourly.telemetry.height


def test_another_seed_gives_another_fleet() -> None:
    a = simulate_fleet(CFG)
    b = simulate_fleet(CFG.model_copy(update={"seed": 43}))
    assert not a.telemetry.equals(b.telemetry)
