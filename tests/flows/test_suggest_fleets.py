"""`config suggest` then `train` then `score`, with no edit, on fleets of every shape.

Synthetic fleets of 60, 120 and 365 days (the default experiment needs about 200) and
the two real datasets in ``../shared/data`` converted by the converters in
``benchmarks/`` (issue #14). The hand-written CSV fleet goes through the CLI itself
(tests/flows/test_cli_suggest.py).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from forewarn.flows.commands_suggest import suggestion_text
from forewarn.flows.experiment import load_experiment

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path | None:
    """``../shared/data`` of the main checkout (worktrees sit one level deeper)."""
    env = os.environ.get("FOREWARN_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data", REPO.parent.parent / "shared" / "data"]
    return next((c for c in candidates if (c / "cmapss_fd001").is_dir()), None)


def suggest_train_score(data: Path, tmp: Path, as_of: datetime) -> tuple[dict, dict, Any]:
    """The user's three commands, as the CLI runs them, with the suggestion unedited."""
    from forewarn.flows.scoring import scoring_flow
    from forewarn.flows.training import training_flow

    config = tmp / "mine.toml"
    config.write_text(suggestion_text(str(data)), encoding="utf-8")
    exp = load_experiment(config)
    home = tmp / "home"
    trained = training_flow(str(data), str(config), str(home))
    scored = scoring_flow(str(data), as_of, str(config), str(home))
    return trained, scored, exp


def _check(trained: dict, scored: dict, assets: int) -> None:
    assert trained["versions"]["risk"] and trained["versions"]["rul"]
    assert trained["promoted"]["risk"], trained["decisions"]
    assert scored["assets"] == assets
    assert scored["status"].get("scored", 0) >= assets // 2, scored["status"]
    assert Path(scored["report"]["html"]).is_file()


def _end(data: Path) -> datetime:
    files = sorted(str(p) for p in data.glob("telemetry*")) or [str(data / "telemetry")]
    pattern = files[0] if files[0].endswith((".parquet", ".csv")) else files[0] + "/**/*.parquet"
    scan = pl.scan_csv(pattern) if pattern.endswith(".csv") else pl.scan_parquet(pattern)
    end = scan.select(pl.col("ts").max()).collect().item()
    end = datetime.fromisoformat(end.replace("Z", "+00:00")) if isinstance(end, str) else end
    return end.astimezone(UTC)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("days", "assets", "freq"), [(60, 20, "1h"), (120, 20, "1h"), (365, 10, "6h")]
)
def test_synthetic_fleets_shorter_or_longer_than_the_default_needs(
    prefect_harness: None, tmp_path: Path, days: int, assets: int, freq: str
) -> None:
    from forewarn.synthetic import FleetConfig, write_fleet

    fleet = tmp_path / "fleet"
    write_fleet(
        FleetConfig(n_assets=assets, days=days, freq=freq, seed=5, failures_per_asset_year=5.0),
        fleet,
    )
    trained, scored, exp = suggest_train_score(fleet, tmp_path, _end(fleet))
    _check(trained, scored, assets)
    assert exp.features.regime_column == "operating_mode"


@pytest.mark.slow
def test_azure_pdm_converted_by_the_benchmark_converter(
    prefect_harness: None, tmp_path: Path
) -> None:
    from benchmarks.convert_azure import convert

    shared = shared_data()
    if shared is None:
        pytest.skip("../shared/data not found (set FOREWARN_SHARED_DATA)")
    counts = convert(shared / "azure_pdm_subset", tmp_path / "azure")
    assert counts["telemetry"] == 43_200 and counts["assets"] == 20
    trained, scored, exp = suggest_train_score(
        tmp_path / "azure", tmp_path, datetime(2015, 4, 1, 5, tzinfo=UTC)
    )
    _check(trained, scored, 20)
    assert exp.features.sensors == ("volt", "rotate", "pressure", "vibration")
    assert exp.features.alarm_codes == ("error1", "error2", "error3", "error4", "error5")
    assert exp.labels.components == ("comp1", "comp2", "comp3", "comp4")


@pytest.mark.slow
def test_cmapss_trains_on_run_to_failure_engines_and_scores_the_censored_ones(
    prefect_harness: None, tmp_path: Path
) -> None:
    from benchmarks.convert_cmapss import convert

    shared = shared_data()
    if shared is None:
        pytest.skip("../shared/data not found (set FOREWARN_SHARED_DATA)")
    out = tmp_path / "cmapss"
    as_of = convert(shared / "cmapss_fd001", out, timedelta(hours=1), engines=50)
    from forewarn.flows.scoring import scoring_flow
    from forewarn.flows.training import training_flow

    config = tmp_path / "cmapss.toml"
    config.write_text(suggestion_text(str(out / "train")), encoding="utf-8")
    exp = load_experiment(config)
    assert "s1" not in (exp.features.sensors or ()) and "s2" in (exp.features.sensors or ())
    assert exp.features.fleet_norm is False  # every engine ends at its failure
    home = tmp_path / "home"
    trained = training_flow(str(out / "train"), str(config), str(home))
    scored = scoring_flow(str(out / "test"), as_of, str(config), str(home))
    _check(trained, scored, 50)
    # Run to failure: no snapshot of an engine after it died (issue #14, observation 2).
    readings = pl.read_parquet(out / "train" / "telemetry.parquet").height
    assert trained["labels"]["kept"] <= readings + 50  # one per cycle (1h) + one per engine
    rul = pl.read_csv(out / "test_rul.csv")
    assert rul.height == 50 and rul["rul_cycles"][0] == 112
