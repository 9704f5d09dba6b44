"""Backtest: planning, grading on a hand-built case, and the flow end to end (fixed and
retrained models) on the small synthetic fleet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.labels import LabelSpec
from forewarn.flows import backtest_grade as grade
from forewarn.flows import steps
from forewarn.flows.backtest import backtest_flow
from forewarn.flows.backtest_report import markdown
from forewarn.flows.backtest_steps import backtest_experiment, backtest_nights, plan_periods
from forewarn.flows.experiment import ExperimentConfig, load_experiment
from forewarn.flows.scoring import scoring_flow
from forewarn.flows.settings import load_settings
from forewarn.models.config import ModelConfig
from forewarn.models.registry import list_models, load_champion
from forewarn.serving.risklist import RiskListConfig
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, NIGHT, Trained

D1 = datetime(2025, 3, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")


def test_periods_retrain_on_the_cadence() -> None:
    nights = backtest_nights(D1, D1 + timedelta(days=9), "1d")
    periods = plan_periods(nights, "4d")
    assert [p.train_until for p in periods] == [D1, D1 + timedelta(days=4), D1 + timedelta(days=8)]
    assert [len(p.nights) for p in periods] == [4, 4, 2]
    assert [n for p in periods for n in p.nights] == nights
    (fixed,) = plan_periods(nights, None)
    assert fixed.train_until is None and list(fixed.nights) == nights
    with pytest.raises(ValueError, match="before --start"):
        backtest_nights(D1, D1 - timedelta(days=1), "1d")


def test_backtest_experiment_changes_only_where_models_are_registered() -> None:
    exp = load_experiment("default")
    bt = backtest_experiment(exp)
    assert (bt.name, bt.model.risk_model_name, bt.model.rul_model_name) == (
        "default-backtest",
        "forewarn-risk-backtest",
        "forewarn-rul-backtest",
    )
    assert bt.features == exp.features and bt.labels == exp.labels
    assert bt.model.model_dump(
        exclude={"risk_model_name", "rul_model_name"}
    ) == exp.model.model_dump(exclude={"risk_model_name", "rul_model_name"})


def _scores(rows: list[tuple[datetime, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "as_of": [r[0] for r in rows],
            "asset_id": [r[1] for r in rows],
            "p_fail": [r[2] for r in rows],
            "status": ["scored"] * len(rows),
            "data_freshness_hours": [1.0] * len(rows),
            "risk_model_version": ["risk v1"] * len(rows),
        },
        schema_overrides={"as_of": UTC_US},
    )


def test_grading_counts_what_the_planners_list_caught() -> None:
    """One inspection slot per night; A fails 36 h after night 1 and is on night 1's list."""
    d2 = D1 + timedelta(days=1)
    exp = ExperimentConfig(
        name="t",
        labels=LabelSpec(horizon="2d", downtime="1h"),
        model=ModelConfig(lead_time="24h", rul_cap=None),
        risk_list=RiskListConfig(budget=0.3, p3_threshold=0.1, p2_threshold=0.5),
    )
    scores = _scores(
        [
            *[(D1, "A", 0.9), (D1, "B", 0.6), (D1, "C", 0.01)],
            *[(d2, "A", 0.2), (d2, "B", 0.7), (d2, "C", 0.01)],
        ]
    )
    events = pl.DataFrame(
        {"asset_id": ["A"], "ts": [d2 + timedelta(hours=12)], "kind": ["failure"]},
        schema_overrides={"ts": UTC_US},
    )
    frame = grade.outcomes(scores, events, exp, data_end=D1 + timedelta(days=10))
    failures = grade.failure_table(frame, exp)
    nights = grade.night_table(frame, failures, "1d")
    totals = grade.totals(frame, failures, exp)

    assert frame.filter(pl.col("inspected"))[["as_of", "asset_id"]].rows() == [(D1, "A"), (d2, "B")]
    assert failures.select("asset_id", "lead_hours", "caught").rows() == [("A", 36.0, True)]
    assert nights.select(
        "inspections", "hits", "false_alarms", "at_risk", "failures", "caught"
    ).rows() == [
        (1, 1, 0, 1, 0, 0),
        (1, 0, 1, 1, 1, 1),
    ]
    assert {
        k: totals[k] for k in ("inspections", "hits", "false_alarms", "failures", "caught")
    } == {
        "inspections": 2,
        "hits": 1,
        "false_alarms": 1,
        "failures": 1,
        "caught": 1,
    }
    assert totals["event_recall"] == 1.0 and totals["precision_of_inspections"] == 0.5


def test_backtest_says_what_the_budget_could_have_caught() -> None:
    """Two machines fail at once but the budget allows one inspection a night: the
    summary must say the budget, not the model, capped the catch."""
    d2 = D1 + timedelta(days=1)
    exp = ExperimentConfig(
        name="t",
        labels=LabelSpec(horizon="2d", downtime="1h"),
        model=ModelConfig(lead_time="24h", rul_cap=None),
        risk_list=RiskListConfig(budget=0.3),
    )
    scores = _scores(
        [
            *[(D1, "A", 0.9), (D1, "B", 0.6), (D1, "C", 0.01)],
            *[(d2, "A", 0.2), (d2, "B", 0.7), (d2, "C", 0.01)],
        ]
    )
    fail_at = d2 + timedelta(hours=12)
    events = pl.DataFrame(
        {"asset_id": ["A", "B"], "ts": [fail_at, fail_at], "kind": ["failure"] * 2},
        schema_overrides={"ts": UTC_US},
    )
    frame = grade.outcomes(scores, events, exp, data_end=D1 + timedelta(days=10))
    totals = grade.totals(frame, grade.failure_table(frame, exp), exp)

    assert (totals["failures"], totals["caught"]) == (2, 1)
    assert totals["most_catchable_at_budget"] == 1  # one slot on the one night that counts
    assert totals["inspections_per_day"] == 1.0 and totals["failing_assets_per_day"] == 2.0
    assert [totals[f"caught_at_{n}_per_night"] for n in (1, 2, 5, 10)] == [1, 2, 2, 2]
    text = markdown(
        {"id": "x", "experiment": "t", "start": "2025", "end": "2025", "data": "d", "periods": []},
        totals,
        pl.DataFrame({"as_of": [D1]}),
        pl.DataFrame({"asset_id": ["A"]}),
    )
    assert "| most failures the budget could have caught (perfect ranking) | 1 |" in text
    assert "| failures caught with 2 inspections a night | 2 |" in text


def _truncated_copy(fleet: Path, until: datetime, out: Path) -> Path:
    """The dataset as it physically existed at ``until`` (nothing later on disk)."""
    out.mkdir()
    for table in ("telemetry", "events"):
        single = fleet / f"{table}.parquet"
        frame = pl.read_parquet(single if single.exists() else fleet / table / "*.parquet")
        frame.filter(pl.col("ts") <= until).write_parquet(out / f"{table}.parquet")
    pl.read_parquet(fleet / "assets.parquet").write_parquet(out / "assets.parquet")
    return out


def test_fixed_model_backtest_replays_the_nightly_scores_with_only_past_data(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    start = NIGHT - timedelta(days=4)
    out = backtest_flow(str(trained.fleet), start, NIGHT, str(trained.config), str(home), None)
    folder = Path(out["folder"])
    replay = ScoreStore(folder / "scores")
    assert replay.nights() == [start + timedelta(days=i) for i in range(5)]
    assert ScoreStore(home / "scores").nights() == []  # tonight's store untouched

    # the same night scored by the nightly flow gives the same numbers
    scoring_flow(str(trained.fleet), NIGHT, str(trained.config), str(home), report=False)
    nightly = ScoreStore(home / "scores").night(NIGHT)
    assert replay.night(NIGHT)["p_fail"].to_list() == nightly["p_fail"].to_list()

    # and a night replayed from the full dataset equals scoring a dataset that ends that night
    exp = load_experiment(trained.config)
    settings = load_settings(home=home).model_copy(update={"home": tmp_path / "cut"})
    models = load_champion(
        load_settings(home=home).tracking_uri, risk_name="flowtest-risk", rul_name="flowtest-rul"
    )
    cut = _truncated_copy(trained.fleet, start, tmp_path / "cut-data")
    steps.score_night(str(cut), start, exp, settings, NIGHT, models)
    alone = ScoreStore(tmp_path / "cut" / "scores").night(start)
    assert replay.night(start)["p_fail"].to_list() == alone["p_fail"].to_list()

    summary = json.loads(Path(out["paths"]["json"]).read_text())
    per_night = summary["nights"]
    assert len(per_night) == 5 and all(n["assets"] == FLEET_ASSETS for n in per_night)
    assert summary["totals"]["inspections"] == sum(n["inspections"] for n in per_night)
    assert all(n["inspections"] <= 5 for n in per_night)  # ceil(10 % of 48)
    totals = summary["totals"]
    assert totals["caught"] + totals["missed"] == totals["failures"]
    assert summary["periods"][0]["trained_until"] is None
    assert summary["periods"][0]["model"] == "flowtest-risk v1, flowtest-rul v1"
    assert "<h1>Backtest" in Path(out["paths"]["html"]).read_text()
    assert "| nights replayed | 5 |" in Path(out["paths"]["markdown"]).read_text()


def test_retraining_backtest_registers_apart_from_the_real_champion(
    trained: Trained, home: Path
) -> None:
    start = NIGHT - timedelta(days=1)
    out = backtest_flow(str(trained.fleet), start, NIGHT, str(trained.config), str(home), "30d")
    (period,) = out["periods"]
    assert period["trained_until"] == start.isoformat()
    assert period["promoted"] == {"risk": True, "rul": True}
    assert period["model"] == "flowtest-risk-backtest v1, flowtest-rul-backtest v1"

    real = load_settings(home=home).tracking_uri
    names = ("flowtest-risk", "flowtest-risk-backtest")
    assert [(v.name, v.version) for v in list_models(real, names)] == [("flowtest-risk", "1")]
    replay_registry = f"sqlite:///{Path(out['folder']).resolve() / 'mlflow' / 'mlflow.db'}"
    (replayed,) = list_models(replay_registry, names)
    assert replayed.name == "flowtest-risk-backtest" and "champion" in replayed.aliases
    assert ScoreStore(Path(out["folder"]) / "scores").nights() == [start, NIGHT]


def test_backtest_command_refuses_a_bad_cadence_before_any_work(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "--home", str(tmp_path), "backtest",
         "--data", str(tmp_path), "--start", "2025-03-01", "--end", "2025-03-10",
         "--retrain-every", "monthly"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 2
    assert "--retrain-every" in out.stderr
    assert not (tmp_path / "backtests").exists()
