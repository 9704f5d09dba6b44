"""`forewarn train` as a data scientist runs it: a model that cannot rank is registered,
stays challenger, and the run exits 1 saying why and how to promote it by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from forewarn.models.registry import NoChampionError, load_champion
from tests.flows.conftest import FAST_EXPERIMENT, TRAIN_UNTIL
from tests.flows.test_cli_data import run

# Leaves bigger than the training frame: one leaf, the same probability for every asset
# (LightGBM's min_child_samples = 200/500 on 602 rows did it to a real first model).
CONSTANT = FAST_EXPERIMENT.replace("min_child_samples = 10", "min_child_samples = 100000")


@pytest.mark.slow
def test_train_exits_one_and_keeps_a_constant_model_challenger(
    flow_env: None, small_fleet: Path, tmp_path: Path
) -> None:
    assert CONSTANT != FAST_EXPERIMENT
    config = tmp_path / "constant.toml"
    config.write_text(CONSTANT, encoding="utf-8")
    home = tmp_path / "home"
    args = ("--data", str(small_fleet), "-c", str(config), "--until", TRAIN_UNTIL.isoformat())
    out = run("train", *args, home=home)
    err, text = " ".join(out.stderr.split()), " ".join(out.stdout.split())
    assert out.returncode == 1, out.stdout + out.stderr
    assert "quality gate failed" in err and "risk v1: it cannot rank assets" in err
    assert "validation ROC-AUC 0.500 is within 0.02 of 0.5" in err
    assert "rul v1: it predicts the same RUL" in err
    assert f"forewarn promote --risk 1 --rul 1 -c {config}" in err
    assert "risk model graded on" in text and "failures) from" in text
    assert "risk: version 1 → challenger (quality gate failed" in text
    assert "snapshots:" in text and "kept of" in text

    uri = f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    (logged,) = client.search_runs(
        [client.get_experiment_by_name("flowtest").experiment_id], "tags.forewarn.kind = 'training'"
    )
    assert logged.data.tags["promotion.risk.decision"] == "quality gate failed"
    metrics = logged.data.metrics  # what became of the snapshot rows, with the run
    assert (
        metrics["data.snapshots_kept"]
        + metrics["data.snapshots_excluded_downtime"]
        + metrics["data.snapshots_excluded_after_last_reading"]
        + metrics["data.snapshots_excluded_before_first_reading"]
        == metrics["data.snapshots"]
    )
    names = {"risk_name": "flowtest-risk", "rul_name": "flowtest-rul"}
    with pytest.raises(NoChampionError):  # registered, never put in service
        load_champion(uri, **names)
    promoted = run("promote", "--risk", "1", "--rul", "1", "-c", str(config), home=home)
    assert promoted.returncode == 0, promoted.stderr
    assert "flowtest-risk: version 1 → champion" in promoted.stdout
    assert load_champion(uri, **names).versions == {"flowtest-risk": "1", "flowtest-rul": "1"}
    missing = run("promote", "--risk", "9", "-c", str(config), home=home)
    assert missing.returncode == 2 and "no version 9 of model 'flowtest-risk'" in missing.stderr
