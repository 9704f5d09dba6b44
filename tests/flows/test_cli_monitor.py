"""`forewarn monitor` as an operator runs it: what it prints agrees with what it records,
and the model's age is counted in data time."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.settings import load_settings
from forewarn.models.registry import list_models
from tests.flows.conftest import NIGHT, TRAIN_UNTIL, Trained
from tests.flows.test_cli_nights import forewarn


@pytest.mark.slow
def test_no_retrain_says_retraining_was_due_as_the_decision_file_does(
    trained: Trained, home: Path, tmp_path: Path
) -> None:
    # The champion learned from data up to 1 April; the gate allows 2 days: retrain due.
    config = tmp_path / "strict.toml"
    text = trained.config.read_text(encoding="utf-8")
    config.write_text(
        text
        + '\n[monitoring.gate]\nmax_model_age = "2d"\n\n[monitoring.drift]\nreport_columns = 5\n'
    )
    data = str(trained.fleet)
    scored = forewarn(
        "--home", str(home), "score", "--data", data, "--as-of", NIGHT.isoformat(),
        "-c", str(config), "--no-report",
    )  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    out = forewarn(
        "--home", str(home), "monitor", "--data", data, "--as-of", NIGHT.isoformat(),
        "-c", str(config), "--no-retrain",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    record = json.loads(MonitoringPaths(home).decisions.read_text().splitlines()[-1])
    assert record["retrain"] is True and record["retrained"] is False
    assert record["retrain_suppressed"] is True
    assert "no retraining" not in out.stdout
    assert "gate: retraining due but not run (--no-retrain)" in " ".join(out.stdout.split())
    # Age in data time: the night minus the training data's end, not the wall clock.
    assert 7 <= record["model_age_days"] <= 8.1


def test_the_registry_keeps_the_training_datas_end_for_the_models_age(trained: Trained) -> None:
    uri = load_settings(home=trained.home).tracking_uri
    champion = next(v for v in list_models(uri, ("flowtest-risk",)) if "champion" in v.aliases)
    # Without a drift reference the gate falls back to this, never to the registration time.
    assert TRAIN_UNTIL - timedelta(days=1) <= champion.trained_until <= TRAIN_UNTIL
