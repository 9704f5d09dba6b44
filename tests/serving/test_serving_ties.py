"""Ties in calibrated probability: raw score first, then the RUL median; older stores."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
from serving_frames import NIGHT, night, scores

from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.schema import COLUMNS
from forewarn.serving.store import ScoreStore


def test_ties_in_p_fail_go_to_the_raw_score_then_the_shorter_rul() -> None:
    # Calibration maps many engines to exactly p_fail = 1.0; the one P1 slot must go to
    # the engine the booster scored highest, and among equal scores to the shorter life.
    p = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0, "e": 0.5}
    frame = scores(
        p,
        p_raw={"a": 0.90, "b": 0.97, "c": 0.95, "d": 0.95, "e": 0.99},
        rul_hours={"a": 7.0, "b": 40.0, "c": 30.0, "d": 16.0, "e": 1.0},
    )
    out = build_risk_list(frame, config=RiskListConfig(budget=0.2))
    assert out.sort("risk_rank")["asset_id"].to_list() == ["b", "d", "c", "a", "e"]
    assert out.filter(pl.col("priority") == "P1")["asset_id"].to_list() == ["b"]


def test_nights_without_a_raw_score_still_rank_by_p_fail_and_id() -> None:
    frame = scores({"b": 0.4, "a": 0.4, "c": 0.9}, p_raw={"a": None, "b": None, "c": None})
    out = build_risk_list(frame, config=RiskListConfig(budget=0.2))
    assert out.sort("risk_rank")["asset_id"].to_list() == ["c", "a", "b"]


def test_a_store_from_before_the_new_columns_takes_tonights_scores(tmp_path: Path) -> None:
    store = ScoreStore(tmp_path)
    new = {"p_raw", "rul_censored", "rul_cap_hours"}
    old_cols = ", ".join(f"{c.name} {c.sql_type}" for c in COLUMNS if c.name not in new)
    tmp_path.mkdir(exist_ok=True)
    con = duckdb.connect(str(store.db_path))
    con.execute(f"CREATE TABLE scores ({old_cols}, PRIMARY KEY (as_of, asset_id))")
    con.close()
    store.write_night(scores({"a": 0.3}, as_of=night(-1)))
    store.write_night(scores({"a": 0.5}, rul_censored={"a": True}))
    back = store.night(NIGHT)
    assert back["rul_censored"].to_list() == [True] and back["p_raw"].to_list() == [0.5]
