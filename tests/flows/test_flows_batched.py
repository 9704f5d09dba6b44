"""Batched feature builds in the flows: one process or a 2-worker Dask cluster, same rows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.dataset import load_dataset
from forewarn.features.snapshots import scoring_snapshot
from forewarn.flows import steps
from forewarn.flows.batched import build_frame, night_inputs, validate_fleet
from forewarn.flows.experiment import load_experiment
from forewarn.flows.scoring import scoring_flow
from forewarn.flows.settings import load_settings
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, NIGHT, TRAIN_UNTIL, Trained

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A real ``distributed.LocalCluster``: 2 single-threaded workers in this process."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local.scheduler_address


def _one_run(fleet: Path, config: Path, out: Path, until: object) -> tuple[dict, pl.DataFrame]:
    built = steps.build_training_frame(str(fleet), load_experiment(str(config)), out, until)
    return built, pl.read_parquet(built["frame"])


@pytest.mark.parametrize("runner", ["local", "dask"])
def test_training_frame_in_batches_equals_one_run(
    runner: str,
    prefect_harness: None,
    small_fleet: Path,
    fast_config: Path,
    cluster: str,
    tmp_path: Path,
) -> None:
    until = TRAIN_UNTIL if runner == "local" else None  # with and without a cut
    one, whole = _one_run(small_fleet, fast_config, tmp_path / "one.parquet", until)
    report, _ = steps.validate_and_quarantine(str(small_fleet), None, tmp_path / "rejects")
    address = cluster if runner == "dask" else None
    settings = load_settings(home=tmp_path, runner=runner, dask_address=address, batch_assets=16)
    exp = load_experiment(str(fast_config))
    built = build_frame(str(small_fleet), exp, tmp_path / "run", until, settings, report)

    assert built["batches"] == 3  # 48 assets, 16 per batch
    parts = sorted(Path(built["frame"]).glob("part-*.parquet"))
    assert len(parts) == 3
    assert not (tmp_path / "run" / "batches").exists()  # spill removed
    frame = pl.read_parquet(built["frame"]).sort("asset_id", "as_of")
    assert frame.equals(whole)  # bit for bit, z_fleet and labels included
    assert built["rows"] == one["rows"] and built["labels"] == one["labels"]
    for key in ("start", "end", "content_hash", "assets"):
        assert built["dataset"][key] == one["dataset"][key]


def test_nightly_scores_on_dask_equal_one_run(trained: Trained, home: Path, cluster: str) -> None:
    args = (str(trained.fleet), NIGHT, str(trained.config), str(home))
    scoring_flow(*args, report=False)
    store = ScoreStore(home / "scores")
    one = store.night(NIGHT).sort("asset_id")
    out = scoring_flow(*args, report=False, runner="dask", dask_address=cluster, batch_assets=16)
    batched = store.night(NIGHT).sort("asset_id")

    assert out["assets"] == FLEET_ASSETS == batched.height
    assert not list((home / "runs").glob("night-*"))  # the batches' files are cleaned up
    # The night's snapshot, built in 3 batches on 2 workers, is the one-run snapshot.
    settings = load_settings(home=home, runner="dask", dask_address=cluster, batch_assets=16)
    exp = load_experiment(str(trained.config))
    since = steps.scoring_since(str(trained.fleet), NIGHT, exp)
    files = night_inputs(str(trained.fleet), NIGHT, exp, settings, since)
    assert files is not None
    night = load_dataset(str(trained.fleet), as_of=NIGHT)
    direct = scoring_snapshot(night.telemetry, night.events, night.assets, NIGHT, exp.features)
    assert pl.read_parquet(files["snapshot"]).equals(direct)
    # Hence the same scores (to float tolerance) and the same statuses and drivers.
    for col in ("p_fail", "rul_hours", "rul_low_hours", "rul_high_hours"):
        a, b = one[col].fill_null(-1.0).to_numpy(), batched[col].fill_null(-1.0).to_numpy()
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12), col
    same = ["asset_id", "status", "status_reason", "data_freshness_hours", "top_drivers"]
    assert batched.select(same).equals(one.select(same))


def _faulty_copy(fleet: Path, root: Path) -> Path:
    """The fleet plus a file of bad rows: unknown and empty ids, a repeat of a known
    asset's reading (in another file than the original), NaN, and a reading after as_of."""
    copy = root / "faulty"
    shutil.copytree(fleet, copy)
    good = pl.read_parquet(copy / "telemetry" / "part-00000.parquet")
    first = good.head(1)
    bad = pl.concat(
        [
            first.with_columns(pl.lit("NO-SUCH-ASSET").alias("asset_id")),
            first.with_columns(pl.lit("  ").alias("asset_id")),
            first,  # duplicate (asset_id, ts) across files
            good.slice(5, 1).with_columns(pl.lit(float("nan")).alias("current_a")),
            first.with_columns(pl.col("ts") + timedelta(days=400)),
        ]
    )
    bad.write_parquet(copy / "telemetry" / "part-99999.parquet")
    return copy


def test_validation_in_batches_gives_the_one_pass_report_and_rejects(
    prefect_harness: None, small_fleet: Path, tmp_path: Path
) -> None:
    data = str(_faulty_copy(small_fleet, tmp_path))
    one, one_path = steps.validate_and_quarantine(data, NIGHT, tmp_path / "one.parquet")
    settings = load_settings(home=tmp_path / "home", batch_assets=16)
    report, path = validate_fleet(data, NIGHT, tmp_path / "batched.parquet", None, settings)

    assert one.total_rejected >= 5 and len(one.rejects_by_reason) >= 4
    assert report == one
    assert one_path is not None and path is not None
    keys = ["table", "file", "row"]
    assert pl.read_parquet(path).sort(keys).equals(pl.read_parquet(one_path).sort(keys))
    assert not list((tmp_path / "home" / "runs").glob("validate-*"))


def test_training_on_the_batched_parts_equals_training_on_the_one_run_frame(
    prefect_harness: None, small_fleet: Path, fast_config: Path, tmp_path: Path
) -> None:
    """The flow trains on a lazy scan of the batches' parts (3 parts of 16 assets): the
    same models, metrics and validation rows as on the one-run frame in memory, with
    negative sampling and cross-validation on."""
    from forewarn.models.slices import FrameSource
    from forewarn.models.training import train_models

    _, whole = _one_run(small_fleet, fast_config, tmp_path / "one.parquet", None)
    report, _ = steps.validate_and_quarantine(str(small_fleet), None, tmp_path / "rejects")
    settings = load_settings(home=tmp_path, runner="local", batch_assets=16)
    exp = load_experiment(str(fast_config))
    built = build_frame(str(small_fleet), exp, tmp_path / "run", None, settings, report)
    assert len(list(Path(built["frame"]).glob("part-*.parquet"))) == 3
    cfg = exp.model.model_copy(
        update={"negative_sample_rate": 0.5, "cv_folds": 2, "cv_window": "10d"}
    )
    features = steps.model_features(whole.columns, exp)
    one = train_models(whole, features, cfg, exp.labels.horizon)
    parts = train_models(FrameSource.parquet(built["frame"]), features, cfg, exp.labels.horizon)

    assert one.risk.to_state() == parts.risk.to_state()
    assert one.rul.to_state() == parts.rul.to_state()
    assert len(one.cv_folds) == 2 and repr(one.cv_folds) == repr(parts.cv_folds)
    timeless = [(k, v) for k, v in sorted(one.metrics.items()) if not k.startswith("time.")]
    assert repr(timeless) == repr(
        [(k, v) for k, v in sorted(parts.metrics.items()) if not k.startswith("time.")]
    )
    assert one.validation.equals(parts.validation)
    assert one.predictions.equals(parts.predictions)
