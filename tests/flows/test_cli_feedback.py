"""The technicians' answer back, end to end: score → export CSV → fill outcomes → import →
the next night's list shows them and does not re-alert → training with the opt-in sees
the confirmed fault as a failure."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from forewarn.serving.outcome_store import read_outcomes
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import NIGHT, Trained

pytestmark = pytest.mark.slow


@pytest.fixture
def cli() -> Iterator:
    """Run ``forewarn ...`` in this process; the root callback's environment is undone."""
    from forewarn.flows.cli import app, register

    saved = dict(os.environ)
    register()

    def run(*argv: str) -> Result:
        return CliRunner().invoke(app, list(argv))

    yield run
    from forewarn.flows.logfile import release_library_output

    release_library_output()
    os.environ.clear()
    os.environ.update(saved)


def _score(trained: Trained, home: Path, night) -> pl.DataFrame:
    from forewarn.flows.scoring import scoring_flow

    scoring_flow(str(trained.fleet), night, str(trained.config), str(home))
    return pl.read_csv(home / "reports" / f"risk_list_{night_key(night)}.csv", infer_schema=False)


def _quiet_asset(trained: Trained, listed: list[str]) -> str:
    """An asset with no failure from two days before NIGHT to eight days after: its label
    at NIGHT is negative unless a finding says otherwise."""
    from forewarn.features.dataset import load_dataset

    events = load_dataset(str(trained.fleet)).events.collect()
    near = events.filter(
        (pl.col("kind") == "failure")
        & pl.col("ts").is_between(NIGHT - timedelta(days=2), NIGHT + timedelta(days=8))
    )["asset_id"]
    return next(a for a in listed if a not in set(near.to_list()))


def test_outcomes_flow_from_the_csv_into_the_next_list_and_into_training(
    trained: Trained, home: Path, tmp_path: Path, cli
) -> None:
    tonight = _score(trained, home, NIGHT)
    assert tonight["outcome"].null_count() == tonight.height  # an empty column to fill
    listed = tonight.filter(pl.col("priority") != "none")["asset_id"].to_list()
    healthy = listed[0]
    faulty = _quiet_asset(trained, [a for a in tonight["asset_id"].to_list() if a != healthy])
    filled = tonight.with_columns(
        outcome=pl.when(pl.col("asset_id") == healthy)
        .then(pl.lit("no_fault"))
        .when(pl.col("asset_id") == faulty)
        .then(pl.lit("found_fault")),
        outcome_component=pl.when(pl.col("asset_id") == faulty).then(pl.lit("bearing")),
    )
    path = tmp_path / "filled.csv"
    filled.write_csv(path)

    done = cli("--home", str(home), "feedback", "import", str(path))
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert f"{tonight.height} rows: recorded 2 outcomes (found_fault 1, no_fault 1)" in text
    assert f"{tonight.height - 2} left blank, 0 refused" in text
    assert cli("--home", str(home), "feedback", "import", str(path)).exit_code == 0  # idempotent
    assert read_outcomes(ScoreStore(home / "scores")).height == 2

    nxt = _score(trained, home, NIGHT + timedelta(days=1))
    row = nxt.filter(pl.col("asset_id") == healthy).row(0, named=True)
    assert row["last_outcome"] == "no_fault"
    assert row["last_outcome_night"] == NIGHT.strftime("%Y-%m-%dT%H:%M:%SZ")
    p_then = float(tonight.filter(pl.col("asset_id") == healthy)["p_fail"][0])
    assert float(row["p_fail"]) < 2 * p_then  # the default recheck_factor is not reached
    assert row["alert_state"] in ("checked", None)  # never "new"/"still_open" again
    assert row["priority"] == "none" or row["alert_state"] == "checked"
    html = (home / "reports" / f"report_{night_key(NIGHT + timedelta(days=1))}.html").read_text()
    assert 'data-outcome="no_fault"' in html

    config = tmp_path / "with_findings.toml"
    config.write_text(
        trained.config.read_text().replace("[labels]\n", "[labels]\nuse_findings = true\n")
    )
    from forewarn.flows.training import training_flow

    out = training_flow(str(trained.fleet), str(config), str(home))
    assert out["findings"] == 1
    frame = pl.read_parquet(out["frame"])
    at_night = frame.filter((pl.col("asset_id") == faulty) & (pl.col("as_of") == NIGHT))
    assert at_night["fails_within_7d"].to_list() == [True]  # no failure: only the finding


def test_unknown_asset_or_night_is_refused_naming_the_row(
    trained: Trained, home: Path, tmp_path: Path, cli
) -> None:
    tonight = _score(trained, home, NIGHT)
    asset = tonight["asset_id"][0]
    path = tmp_path / "bad.csv"
    pl.DataFrame(
        {
            "asset_id": [asset, "nobody", asset],
            "as_of": [tonight["as_of"][0], tonight["as_of"][0], "2020-01-01T00:00:00Z"],
            "outcome": ["no_fault", "no_fault", "found_fault"],
        }
    ).write_csv(path)
    done = cli("--home", str(home), "feedback", "import", str(path))
    text = " ".join(done.output.split())
    assert done.exit_code == 2, text
    assert "3 rows: recorded 1 outcomes (no_fault 1), 0 left blank, 2 refused" in text
    assert "row 3: asset 'nobody' has no score on the night" in text
    assert "row 4: night '2020-01-01T00:00:00Z' is not in the score store" in text
    missing = tmp_path / "no_outcome.csv"
    pl.DataFrame({"asset_id": [asset], "as_of": [tonight["as_of"][0]]}).write_csv(missing)
    refused = cli("--home", str(home), "feedback", "import", str(missing))
    assert refused.exit_code == 2 and "no column outcome" in " ".join(refused.output.split())
    one = cli(
        "--home", str(home), "feedback", "record", "--asset", asset,
        "--night", NIGHT.date().isoformat(), "--outcome", "not_inspected",
    )  # fmt: skip
    assert one.exit_code == 0, one.output
    listing = cli("--home", str(home), "feedback", "list", "--asset", asset)
    assert "not_inspected" in listing.output


def test_findings_label_the_same_rows_in_batches_as_in_one_run(
    prefect_harness: None, small_fleet: Path, fast_config: Path, tmp_path: Path
) -> None:
    from forewarn.flows import steps
    from forewarn.flows.batched import build_frame
    from forewarn.flows.experiment import load_experiment
    from forewarn.flows.settings import load_settings

    base = load_experiment(str(fast_config))
    exp = base.model_copy(update={"labels": base.labels.model_copy(update={"use_findings": True})})
    trained = Trained(tmp_path, small_fleet, fast_config, {})
    asset = _quiet_asset(trained, _ids(small_fleet))
    found = pl.DataFrame(
        {"asset_id": [asset], "ts": [NIGHT + timedelta(hours=12)], "kind": ["finding"],
         "component": ["seal"], "code": [None]},
        schema={"asset_id": pl.String, "ts": pl.Datetime("us", "UTC"), "kind": pl.String,
                "component": pl.String, "code": pl.String},
    )  # fmt: skip
    path = tmp_path / "findings.parquet"
    found.write_parquet(path)
    report, _ = steps.validate_and_quarantine(str(small_fleet), None, tmp_path / "rejects")
    one = steps.build_training_frame(
        str(small_fleet), exp, tmp_path / "one.parquet", None, report, str(path)
    )
    whole = pl.read_parquet(one["frame"])
    settings = load_settings(home=tmp_path, batch_assets=16)
    built = build_frame(str(small_fleet), exp, tmp_path / "run", None, settings, report, str(path))
    assert built["batches"] == 3
    assert pl.read_parquet(built["frame"]).sort("asset_id", "as_of").equals(whole)
    assert built["labels"] == one["labels"]
    plain = steps.build_training_frame(str(small_fleet), base, tmp_path / "p.parquet", None, report)
    assert one["labels"]["positives"] > plain["labels"]["positives"]
    row = (pl.col("asset_id") == asset) & (pl.col("as_of") == NIGHT)
    assert whole.filter(row)["fails_within_7d"].to_list() == [True]


def _ids(fleet: Path) -> list[str]:
    from forewarn.features.dataset import load_dataset

    return load_dataset(str(fleet)).assets.select("asset_id").collect()["asset_id"].to_list()
