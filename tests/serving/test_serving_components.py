"""Per-component risk in the store, the CSV, the report and the page."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from serving_frames import NIGHT, night, scores

from forewarn.serving.render import fmt_part
from forewarn.serving.report import planner_table
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.schema import COLUMNS
from forewarn.serving.store import ScoreStore

PARTS = {
    "component_risk": {
        "a": [{"component": "bearing", "p_fail": 0.5}, {"component": "seal", "p_fail": 0.2}]
    },
    "likely_component": {"a": "bearing"},
    "likely_component_share": {"a": 0.5 / 0.8},
}


def test_store_keeps_each_components_probability(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.8, "b": 0.1}, **PARTS))
    back = store.night(NIGHT).filter(pl.col("asset_id") == "a").row(0, named=True)
    assert back["likely_component"] == "bearing"
    assert back["component_risk"] == PARTS["component_risk"]["a"]
    assert abs(back["likely_component_share"] - 0.625) < 1e-12


def test_a_store_written_before_components_gains_the_columns(tmp_path: Path) -> None:
    old = [c for c in COLUMNS if c.name not in {"likely_component", "likely_component_share",
                                                  "component_risk"}]  # fmt: skip
    tmp_path.mkdir(exist_ok=True)
    con = duckdb.connect(str(tmp_path / "scores.duckdb"))
    con.execute(
        "CREATE TABLE scores ("
        + ", ".join(f"{c.name} {c.sql_type}" for c in old)
        + ", PRIMARY KEY (as_of, asset_id))"
    )
    con.close()
    store = ScoreStore(tmp_path)
    store.write_night(scores({"a": 0.8}, as_of=night(-1), **PARTS))
    assert store.night(night(-1))["likely_component"].to_list() == ["bearing"]


def test_the_planners_csv_names_the_part_and_its_share() -> None:
    ranked = build_risk_list(scores({"a": 0.8, "b": 0.1}, **PARTS), None, RiskListConfig())
    table = planner_table(ranked)
    row = table.filter(pl.col("asset_id") == "a").row(0, named=True)
    assert row["likely_component"] == "bearing" and row["likely_component_share"] == 0.62
    assert table.columns.index("likely_component") == table.columns.index("p_fail") + 1


def test_the_part_reads_as_a_share_of_the_risk() -> None:
    assert fmt_part("bearing", 0.62) == "bearing (62 % of the risk)"
    assert fmt_part(None, None) == "—"
