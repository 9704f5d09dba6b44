"""End to end on the session's small fleet: training saved a reference → nights → monitor."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl

from forewarn.flows.monitoring.paths import MonitoringPaths
from tests.flows.conftest import NIGHT, Trained


def test_train_score_monitor_end_to_end(trained: Trained, home: Path) -> None:
    from forewarn.flows.monitoring.flow import monitoring_flow
    from forewarn.flows.scoring import scoring_flow

    paths = MonitoringPaths(home)
    ref = paths.reference_dir("flowtest-risk", trained.out["versions"]["risk"])
    meta = json.loads((ref / "reference.json").read_text())
    sample = pl.read_parquet(ref / "reference.parquet")
    assert 0 < sample.height <= 20_000 and {"p_fail", "rul_hours"} <= set(sample.columns)
    assert meta["sensor_ranges"]["temperature_c"][0] < meta["sensor_ranges"]["temperature_c"][1]
    data, config = str(trained.fleet), str(trained.config)
    for i in (2, 1, 0):
        scoring_flow(data, NIGHT - timedelta(days=i), config, str(home), report=False)
    assert paths.night_inputs(NIGHT).exists()
    out = monitoring_flow(data, NIGHT, config, str(home), retrain=False)
    summary = json.loads(Path(out["summary"]).read_text())
    assert summary["drift"]["available"] is True
    assert summary["drift"]["fleet"]["rows"] == pl.read_parquet(paths.night_inputs(NIGHT)).height
    assert {p["column"] for p in summary["drift"]["predictions"]} == {"p_fail", "rul_hours"}
    assert (paths.report_dir(NIGHT) / "drift.html").stat().st_size > 10_000
    assert "Realised performance" in Path(out["report"]).read_text()
    logged = [json.loads(line) for line in paths.decisions.read_text().splitlines()]
    assert logged[-1]["as_of"] == NIGHT.isoformat() and logged[-1]["reasons"]
    assert out["mlflow_run"]
