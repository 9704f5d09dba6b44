"""End to end on the session's small fleet: training saved a reference → a scored night →
monitor (both drift detectors, quality, realised performance, gate, report, MLflow)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl

from forewarn.flows.monitoring.paths import MonitoringPaths
from tests.flows.conftest import NIGHT, Trained


def keep_earlier_nights(paths: MonitoringPaths, nights: int) -> None:
    """Store tonight's inputs again as the previous ``nights`` nights (what scoring would
    have kept), so the step detector has a recent past without scoring each night."""
    tonight = pl.read_parquet(paths.night_inputs(NIGHT))
    for k in range(1, nights + 1):
        earlier = NIGHT - timedelta(days=k)
        frame = tonight.with_columns(pl.lit(earlier).cast(tonight["as_of"].dtype).alias("as_of"))
        target = paths.night_inputs(earlier)
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target)


def test_train_score_monitor_end_to_end(trained: Trained, home: Path) -> None:
    from forewarn.flows.monitoring.flow import monitoring_flow
    from forewarn.flows.scoring import scoring_flow

    paths = MonitoringPaths(home)
    ref = paths.reference_dir("flowtest-risk", trained.out["versions"]["risk"])
    meta = json.loads((ref / "reference.json").read_text())
    sample = pl.read_parquet(ref / "reference.parquet")
    assert 0 < sample.height <= 20_000 and {"p_fail", "rul_hours"} <= set(sample.columns)
    assert meta["sensor_ranges"]["temperature_c"][0] < meta["sensor_ranges"]["temperature_c"][1]
    assert "temperature_c__z_regime_1d" in meta["step_columns"]
    assert pl.read_parquet(ref / "steps.parquet")["sigma"].min() > 0
    data, config = str(trained.fleet), str(trained.config)
    scoring_flow(data, NIGHT, config, str(home), report=False)
    assert paths.night_inputs(NIGHT).exists()
    keep_earlier_nights(paths, 3)
    out = monitoring_flow(data, NIGHT, config, str(home), retrain=False)
    summary = json.loads(Path(out["summary"]).read_text())
    drift = summary["drift"]
    assert drift["available"] is True
    assert drift["fleet"]["rows"] == pl.read_parquet(paths.night_inputs(NIGHT)).height
    assert {p["column"] for p in drift["predictions"]} == {"p_fail", "rul_hours"}
    assert drift["step"]["available"] is True and drift["step"]["recent_nights"] == 3
    assert drift["step"]["alarm"] is False  # the same readings again: nothing stepped
    assert (paths.report_dir(NIGHT) / "drift.html").stat().st_size > 10_000
    page = Path(out["report"]).read_text()
    assert "Realised performance" in page and "Against the recent nights" in page
    logged = [json.loads(line) for line in paths.decisions.read_text().splitlines()]
    assert logged[-1]["as_of"] == NIGHT.isoformat() and logged[-1]["reasons"]
    assert logged[-1]["drift_alarm"] == drift["alarm"]
    assert out["mlflow_run"]
