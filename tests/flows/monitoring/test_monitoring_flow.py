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


def monitoring_config(trained: Trained, folder: Path) -> str:
    """The session's fast experiment with a small Evidently report (its cost grows with the
    columns shown; which ones does not matter here)."""
    path = folder / "flowtest.toml"
    text = trained.config.read_text(encoding="utf-8")
    path.write_text(text + "\n[monitoring.drift]\nreport_columns = 8\n", encoding="utf-8")
    return str(path)


def test_train_score_monitor_end_to_end(trained: Trained, home: Path, tmp_path: Path) -> None:
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
    out = monitoring_flow(
        data, NIGHT, monitoring_config(trained, tmp_path), str(home), retrain=False
    )
    summary = json.loads(Path(out["summary"]).read_text())
    drift = summary["drift"]
    assert drift["available"] is True
    assert drift["fleet"]["rows"] == pl.read_parquet(paths.night_inputs(NIGHT)).height
    assert {p["column"] for p in drift["predictions"]} == {"p_fail", "rul_hours"}
    assert drift["step"]["available"] is True and drift["step"]["recent_nights"] == 3
    assert drift["step"]["alarm"] is False  # the same readings again: nothing stepped
    assert (paths.report_dir(NIGHT) / "drift.html").stat().st_size > 10_000
    shown = set(drift["report"]["columns"])
    categorical = {c["column"] for c in drift["categorical"]}
    assert {"p_fail", "rul_hours", "asset_type"} <= shown
    assert 0 < len(shown - {"p_fail", "rul_hours"} - categorical) <= 8
    page = Path(out["report"]).read_text()
    assert "Realised performance" in page and "Against the recent nights" in page
    logged = [json.loads(line) for line in paths.decisions.read_text().splitlines()]
    assert logged[-1]["as_of"] == NIGHT.isoformat() and logged[-1]["reasons"]
    assert logged[-1]["drift_alarm"] == drift["alarm"]
    assert out["mlflow_run"]
