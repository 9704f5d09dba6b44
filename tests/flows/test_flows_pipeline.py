"""Training and nightly scoring flows end to end on a small synthetic fleet (Prefect harness)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.flows import steps
from forewarn.flows.scoring import scoring_flow
from forewarn.flows.settings import load_settings
from forewarn.flows.tasks import StepFailedError
from forewarn.flows.training import training_flow
from forewarn.models.registry import list_models
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, NIGHT, Trained


def test_training_flow_registers_a_champion_pair(trained: Trained) -> None:
    out = trained.out
    assert out["experiment"] == "flowtest"
    assert out["versions"] == {"risk": "1", "rul": "1"}
    assert out["promoted"] == {"risk": True, "rul": True}  # first model: no champion to beat
    assert out["labels"]["positives"] > 0
    assert Path(out["frame"]).is_file()
    uri = load_settings(home=trained.home).tracking_uri
    versions = {(v.name, v.version): v.aliases for v in list_models(uri, ("flowtest-risk",))}
    assert "champion" in versions[("flowtest-risk", "1")]


def test_scoring_twice_for_one_night_leaves_one_set_of_scores(trained: Trained, home: Path) -> None:
    args = (str(trained.fleet), NIGHT, str(trained.config), str(home))
    first = scoring_flow(*args)
    store = ScoreStore(home / "scores")
    before = store.night(NIGHT)
    second = scoring_flow(*args, report=False)
    after = store.night(NIGHT)

    assert first["assets"] == second["assets"] == FLEET_ASSETS
    assert store.nights() == [NIGHT]
    assert after.height == FLEET_ASSETS and after["asset_id"].n_unique() == FLEET_ASSETS
    assert (after["scored_at"] > before["scored_at"]).all()  # replaced, not appended
    assert after["p_fail"].to_list() == before["p_fail"].to_list()  # same data, same model
    assert {"html", "csv"} <= set(first["report"])
    assert all(Path(p).is_file() for p in first["report"].values())


def test_backfill_of_a_past_night_is_not_stopped_by_later_rows(
    trained: Trained, home: Path
) -> None:
    # Six weeks before the data ends: ~40 % of the readings lie after this night. They are
    # quarantined (the night must not see them) but are not faults, so the 5 % gate passes.
    past = NIGHT - timedelta(days=38)
    out = scoring_flow(str(trained.fleet), past, str(trained.config), str(home), report=False)
    assert out["assets"] == FLEET_ASSETS
    assert ScoreStore(home / "scores").nights() == [past]


def test_failing_step_names_it_and_keeps_earlier_scores(
    trained: Trained, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = (str(trained.fleet), NIGHT, str(trained.config), str(home))
    scoring_flow(*args, report=False)
    store = ScoreStore(home / "scores")
    kept = store.night(NIGHT)

    def broken(*_a: object, **_k: object) -> pl.DataFrame:
        raise ValueError("injected fault in the model")

    monkeypatch.setattr(steps, "score_snapshot", broken)
    with pytest.raises(StepFailedError) as info:
        scoring_flow(*args, report=False)

    assert info.value.step == "score the fleet"
    assert str(info.value) == "step 'score the fleet' failed: injected fault in the model"
    assert store.night(NIGHT).equals(kept)  # the failed re-run changed nothing


def test_transient_error_is_retried_bad_input_is_not(
    trained: Trained, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forewarn.flows import scoring

    real = steps.score_snapshot
    calls: list[str] = []

    def flaky(*a: object, **k: object) -> pl.DataFrame:
        calls.append("call")
        if len(calls) == 1:
            raise OSError("network share hiccup")
        return real(*a, **k)

    monkeypatch.setattr(steps, "score_snapshot", flaky)
    monkeypatch.setattr(
        scoring, "score_night", scoring.score_night.with_options(retry_delay_seconds=0)
    )
    out = scoring_flow(str(trained.fleet), NIGHT, str(trained.config), str(home), report=False)
    assert out["assets"] == FLEET_ASSETS and len(calls) == 2

    calls.clear()
    with pytest.raises(StepFailedError, match="validate data"):
        scoring_flow(str(home / "no-such-dataset"), NIGHT, str(trained.config), str(home))


def test_scoring_builds_features_with_the_champions_spec(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    # A data scientist edits the experiment after training: tonight's snapshot must still
    # be built the way the champion's training snapshots were, not with the new windows.
    edited = tmp_path / "edited.toml"
    text = trained.config.read_text()
    assert "windows = " in text
    lines = [
        'windows = ["2d"]' if line.startswith("windows = ") else line for line in text.splitlines()
    ]
    edited.write_text("\n".join(lines) + "\n")
    out = scoring_flow(str(trained.fleet), NIGHT, str(edited), str(home), report=False)
    assert out["assets"] == FLEET_ASSETS
    night = ScoreStore(home / "scores").night(NIGHT)
    assert night.filter(pl.col("status") != "unscorable")["p_fail"].null_count() == 0


def test_scoring_refuses_an_extract_without_a_sensor_the_champion_reads(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    # Tonight's export lost a column: snapshots would fill it with nulls and every asset
    # would be scored without it, as "scored". The night must stop and keep its scores.
    args = (NIGHT, str(trained.config), str(home))
    scoring_flow(str(trained.fleet), *args, report=False)
    store = ScoreStore(home / "scores")
    kept = store.night(NIGHT)
    extract = tmp_path / "extract"
    shutil.copytree(trained.fleet, extract, ignore=shutil.ignore_patterns("telemetry"))
    (extract / "telemetry").mkdir()
    for part in sorted((trained.fleet / "telemetry").glob("*.parquet")):
        frame = pl.read_parquet(part).drop("vibration_mm_s")
        frame.write_parquet(extract / "telemetry" / part.name)

    with pytest.raises(StepFailedError) as info:
        scoring_flow(str(extract), *args, report=False)

    assert info.value.step == "validate data"
    assert "has no column vibration_mm_s" in str(info.value)
    assert str(extract / "telemetry") in str(info.value)  # names the files to fix
    assert store.night(NIGHT).equals(kept)


def test_training_refuses_a_window_longer_than_the_data_before_building_features(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    # The fleet holds 100 days; a data scientist tries a 200-day window. No snapshot would
    # ever see it whole: stop naming the key, before the frame is built or a model logged.
    config = tmp_path / "too_long.toml"
    text = trained.config.read_text().replace('windows = ["1d", "7d"]', 'windows = ["1d", "200d"]')
    assert '"200d"' in text
    config.write_text(text)

    with pytest.raises(StepFailedError) as info:
        training_flow(str(trained.fleet), str(config), str(home))

    assert info.value.step == "prepare the run"  # before Prefect builds anything
    assert isinstance(info.value.error, ValueError)  # the CLI exits 2
    assert "[features] windows" in str(info.value) and "200d is longer" in str(info.value)
    assert not list((home / "runs").glob("too_long-*/training_frame*"))
    uri = load_settings(home=home).tracking_uri
    assert [v.version for v in list_models(uri, ("flowtest-risk",))] == ["1"]
