"""Batched snapshots equal one in-memory run bit for bit, fleet norms included."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.batches import (
    asset_placement,
    fixed_sensors,
    fleet_inputs,
    plan_batches,
    pool_norms,
    snapshots_in_batches,
    training_frame_in_batches,
)
from forewarn.features.dataset import Dataset, load_dataset, summarize
from forewarn.features.snapshots import build_snapshots, scoring_snapshot, training_frame
from forewarn.features.spec import FeatureSpec, LabelSpec
from forewarn.flows.experiment import load_experiment
from forewarn.flows.steps import training_span

SPEC = load_experiment("default").features
LABELS = LabelSpec(horizon="7d")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """36 assets x 45 days hourly in 5 telemetry files (8 assets each), failures frequent."""
    from forewarn.synthetic import FleetConfig, write_fleet

    root = tmp_path_factory.mktemp("batches") / "fleet"
    cfg = FleetConfig(
        n_assets=36,
        days=45,
        freq="1h",
        seed=11,
        start=datetime(2025, 1, 1, tzinfo=UTC),
        failures_per_asset_year=5.0,
    )
    write_fleet(cfg, root, batch_assets=8)
    return root


@pytest.fixture(scope="module")
def dataset(fleet: Path) -> Dataset:
    return load_dataset(str(fleet))


def _plan(fleet: Path, dataset: Dataset, budget: int) -> list[tuple[str, ...]]:
    ids = dataset.assets.select("asset_id").collect()["asset_id"].to_list()
    return [b.assets for b in plan_batches(ids, asset_placement(str(fleet)), budget)]


def test_training_frame_in_tiny_batches_equals_one_run(fleet: Path, dataset: Dataset) -> None:
    report = summarize(dataset)
    first, last = training_span(report.start, report.end, SPEC.snapshot_every)
    tables = (dataset.telemetry, dataset.events, dataset.assets)
    whole, whole_report = training_frame(*tables, first, last, SPEC, LABELS, report.end)
    batches = _plan(fleet, dataset, budget=3_000)  # about 3 assets per batch
    assert len(batches) >= 10
    frame, labels = training_frame_in_batches(
        tables, first, last, SPEC, LABELS, batches, report.end
    )
    assert labels == whole_report
    assert frame.columns == whole.columns
    assert any("z_fleet" in c for c in frame.columns)
    assert frame.equals(whole)  # bit for bit, nulls and NaN included


def test_scoring_snapshot_in_batches_equals_one_run(fleet: Path, dataset: Dataset) -> None:
    as_of = datetime(2025, 2, 10, tzinfo=UTC)
    tables = (dataset.telemetry, dataset.events, dataset.assets)
    whole = scoring_snapshot(*tables, as_of, SPEC)
    assert whole.height == 36
    batched = snapshots_in_batches(tables, as_of, as_of, SPEC, _plan(fleet, dataset, 5_000))
    assert batched.equals(whole)


def test_every_asset_lands_in_one_batch_that_reads_its_files(fleet: Path) -> None:
    placement = asset_placement(str(fleet))
    ids = [*placement["asset_id"].unique().to_list(), "NO-READINGS"]
    plan = plan_batches(ids, placement, max_readings=4_000)
    seen = [a for b in plan for a in b.assets]
    assert sorted(seen) == sorted(ids)
    for batch in plan:
        held = placement.filter(pl.col("asset_id").is_in(batch.assets))
        assert set(held["file"]) <= set(batch.files or ())
        assert batch.readings == held["readings"].sum()
        assert batch.readings <= 4_000 or len(batch.assets) == 1
    # Assets follow the files: no batch reads more than two of the five files.
    assert max(len(b.files or ()) for b in plan) <= 2
    lone = next(b for b in plan if "NO-READINGS" in b.assets)
    assert lone.files  # still one file to read the schema from


def test_fixed_batch_size_and_bad_budgets() -> None:
    placement = pl.DataFrame(
        {"asset_id": ["a", "b", "c"], "readings": [5, 5, 5], "rank": [0, 0, 1], "file": ["x"] * 3}
    )
    plan = plan_batches(["a", "b", "c"], placement, max_readings=10**9, max_assets=2)
    assert [b.assets for b in plan] == [("a", "b"), ("c",)]
    assert [b.readings for b in plan] == [10, 5]
    with pytest.raises(ValueError, match="at least 1"):
        plan_batches(["a"], placement, max_readings=0)


def test_fleet_norms_pooled_in_small_chunks_are_identical(dataset: Dataset) -> None:
    spec = fixed_sensors(SPEC, dataset.telemetry)
    start, end = datetime(2025, 1, 20, tzinfo=UTC), datetime(2025, 2, 14, tzinfo=UTC)
    tables = (dataset.telemetry, dataset.events, dataset.assets)
    frame = build_snapshots(*tables, start, end, spec, fleet_parts=True)
    inputs = fleet_inputs(frame, spec).lazy()
    one = pool_norms(inputs, spec)
    chunked = pool_norms(inputs, spec, max_rows=50)  # one as_of (36 rows) per chunk
    assert chunked.height == one.height > 0
    assert chunked.sort("as_of", "asset_type").equals(one.sort("as_of", "asset_type"))


def test_a_sensor_missing_from_a_batchs_files_keeps_its_columns(
    fleet: Path, tmp_path: Path
) -> None:
    """Sensors left unset are resolved on every file, not on the few a batch reads."""
    copy = tmp_path / "fleet"
    shutil.copytree(fleet, copy)
    part = copy / "telemetry" / "part-00000.parquet"
    pl.read_parquet(part).drop("ambient_temp_c").write_parquet(part)
    spec = FeatureSpec(windows=("1d", "7d"), regime_column="operating_mode")
    data = load_dataset(str(copy))
    tables = (data.telemetry, data.events, data.assets)
    as_of = datetime(2025, 2, 1, tzinfo=UTC)
    whole = scoring_snapshot(*tables, as_of, spec)
    batches = _plan(copy, data, 2_000)
    assert any("ambient_temp_c__mean_1d" in c for c in whole.columns)
    assert snapshots_in_batches(tables, as_of, as_of, spec, batches).equals(whole)
