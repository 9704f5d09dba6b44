"""`forewarn features` as a data scientist runs it: a real process, files, exit codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.dataset import load_dataset
from forewarn.features.snapshots import label_columns, scoring_snapshot, training_frame
from forewarn.flows.experiment import load_experiment
from tests.flows.test_cli_data import run

START = datetime(2025, 1, 1, tzinfo=UTC)
AS_OF = datetime(2025, 2, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forewarn.synthetic import FleetConfig, write_fleet

    root = tmp_path_factory.mktemp("features-cli") / "fleet"
    write_fleet(FleetConfig(n_assets=8, days=45, freq="1h", seed=5, start=START), root)
    return root


def test_as_of_writes_tonights_snapshot_bit_for_bit(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "tonight.parquet"
    done = run("features", "--data", str(fleet), "--as-of", "2025-02-01", "--out", str(out),
               home=tmp_path / "home")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "8 rows" in done.stdout and "rows after --as-of left out" in done.stdout
    written = pl.read_parquet(out)
    ds = load_dataset(str(fleet), as_of=AS_OF)
    expected = scoring_snapshot(
        ds.telemetry, ds.events, ds.assets, AS_OF, load_experiment(None).features
    )
    assert written.equals(expected)
    assert written["asset_id"].n_unique() == 8 and (written["as_of"] == AS_OF).all()


def test_every_writes_a_labelled_frame_between_start_and_end(fleet: Path, tmp_path: Path) -> None:
    out = tmp_path / "frame.csv"
    done = run("features", "--data", str(fleet), "--every", "1d", "--start", "2025-01-10",
               "--end", "2025-01-20", "--out", str(out), home=tmp_path / "home")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kept of" in done.stdout and "labels: unknown_label" in done.stdout
    exp = load_experiment(None)
    written = pl.read_csv(out, try_parse_dates=True)
    ds = load_dataset(str(fleet))
    end = ds.telemetry.select(pl.col("ts").max()).collect().item()
    first, last = datetime(2025, 1, 10, tzinfo=UTC), datetime(2025, 1, 20, tzinfo=UTC)
    expected, _ = training_frame(
        ds.telemetry, ds.events, ds.assets, first, last, exp.features, exp.labels, data_end=end
    )
    assert written.height == expected.height > 0
    assert set(label_columns(exp.labels)) <= set(written.columns)
    assert written.columns == expected.columns
    days = written["as_of"].dt.date().unique().sort().to_list()
    assert str(days[0]) == "2025-01-10" and str(days[-1]) == "2025-01-20" and len(days) == 11


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--as-of", "2025-02-01", "--every", "1d"], "not both"),
        ([], "not neither"),
        (["--every", "3x"], "--every '3x'"),
        (["--as-of", "2025-02-01", "--start", "2025-01-01"], "--start and --end go with --every"),
        (["--every", "1d", "--start", "2025-02-01", "--end", "2025-01-01"], "is after --end"),
    ],
)
def test_bad_options_exit_two_saying_why(
    fleet: Path, tmp_path: Path, args: list[str], needle: str
) -> None:
    out = tmp_path / "x.parquet"
    done = run("features", "--data", str(fleet), "--out", str(out), *args, home=tmp_path)
    assert done.returncode == 2
    assert needle in done.stderr.replace("\n", " ")
    assert not out.exists()


def test_unknown_output_format_is_refused_before_any_work(fleet: Path, tmp_path: Path) -> None:
    done = run("features", "--data", str(fleet), "--every", "1d", "--out", str(tmp_path / "x.json"),
               home=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "use a .parquet or .csv" in done.stderr
