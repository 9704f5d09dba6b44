"""The risk list: ranks, priorities, trends and new vs still-open alerts."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from serving_frames import night, scores

from forewarn.serving.risklist import (
    RISK_COLUMNS,
    RiskListConfig,
    build_risk_list,
    on_list,
)
from forewarn.serving.schema import SCORE_SCHEMA

CFG = RiskListConfig(budget=0.1, p2_threshold=0.5, p3_threshold=0.2, trend_tolerance=0.05)


def _by_asset(frame: pl.DataFrame, column: str) -> dict[str, object]:
    return dict(zip(frame["asset_id"].to_list(), frame[column].to_list(), strict=True))


def test_ranks_priorities_and_unscorable_rows() -> None:
    p = {f"a{i}": v for i, v in enumerate([0.9, 0.7, 0.6, 0.3, 0.25, 0.1, 0.05, 0.01, 0.0])}
    p["u"] = None
    out = build_risk_list(scores(p), config=CFG)
    # Fleet of 10 with budget 0.1 -> one P1 slot.
    assert _by_asset(out, "priority") == {
        "a0": "P1", "a1": "P2", "a2": "P2", "a3": "P3", "a4": "P3",
        "a5": "none", "a6": "none", "a7": "none", "a8": "none", "u": "none",
    }  # fmt: skip
    assert out["asset_id"].to_list()[0] == "a0"
    assert out["risk_rank"].to_list() == [1, 2, 3, 4, 5, 6, 7, 8, 9, None]
    assert out.filter(pl.col("asset_id") == "u")["status"].item() == "unscorable"
    assert out.columns == [*SCORE_SCHEMA.names(), *RISK_COLUMNS]


def test_budget_slots_round_up_and_ties_go_to_the_smaller_id() -> None:
    p = {f"x{i:03d}": 0.9 for i in range(250)}
    out = build_risk_list(scores(p), config=RiskListConfig(budget=0.01))
    p1 = out.filter(pl.col("priority") == "P1")["asset_id"].to_list()
    assert p1 == ["x000", "x001", "x002"]  # ceil(0.01 * 250) = 3


def test_budget_is_always_used_unless_a_p1_floor_is_set() -> None:
    quiet = scores({"a": 0.1, "b": 0.05})
    out = build_risk_list(quiet, config=CFG)  # budget 0.1 of 2 assets: one slot
    assert out["priority"].to_list() == ["P1", "none"]
    assert out["alert_state"].to_list() == ["new", None]
    floored = build_risk_list(quiet, config=CFG.model_copy(update={"p1_min": 0.2}))
    assert floored["priority"].to_list() == ["none", "none"]
    assert floored["alert_state"].to_list() == [None, None]


def test_stale_and_short_history_rows_are_ranked_but_flagged() -> None:
    frame = scores(
        {"a": 0.8, "b": 0.4, "c": 0.3, "d": None},
        status={"b": "stale", "c": "short_history", "d": "short_history"},
        data_freshness_hours={"a": 72.0},
    )
    out = build_risk_list(frame, config=CFG)
    assert _by_asset(out, "risk_rank") == {"a": 1, "b": 2, "c": 3, "d": None}
    assert _by_asset(out, "is_stale") == {"a": True, "b": True, "c": False, "d": False}


def test_new_then_still_open_then_dropped() -> None:
    n1 = scores({"a": 0.6, "b": 0.6, "c": 0.1}, as_of=night(-2))
    n2 = scores({"a": 0.1, "b": 0.7, "c": 0.6}, as_of=night(-1))
    n3 = scores({"a": 0.1, "b": 0.7, "c": 0.65})
    out = build_risk_list(n3, pl.concat([n1, n2]), CFG)
    assert _by_asset(out, "alert_state") == {"b": "still_open", "c": "still_open", "a": None}
    assert _by_asset(out, "nights_on_list") == {"b": 3, "c": 2, "a": 0}
    second = build_risk_list(n2, n1, CFG)
    assert _by_asset(second, "alert_state") == {"b": "still_open", "c": "new", "a": None}
    assert _by_asset(second, "priority_prev") == {"a": "P1", "b": "P2", "c": "none"}


def test_previous_night_is_the_previous_stored_night_even_after_a_gap() -> None:
    before_gap = scores({"a": 0.6}, as_of=night(-5))
    out = build_risk_list(scores({"a": 0.6}), before_gap, CFG)
    assert out["alert_state"].item() == "still_open"


def test_previous_list_is_rebuilt_with_that_nights_fleet_and_budget() -> None:
    # Yesterday "a" was second of 10: past the single P1 slot, below p2, so P3.
    yesterday = {"a": 0.3, "b": 0.9, **{f"z{i}": 0.01 for i in range(8)}}
    tonight = {"a": 0.95, "b": 0.1, **{f"z{i}": 0.01 for i in range(8)}}
    out = build_risk_list(scores(tonight), scores(yesterday, as_of=night(-1)), CFG)
    assert _by_asset(out, "priority_prev")["a"] == "P3"
    assert _by_asset(out, "priority")["a"] == "P1"
    assert _by_asset(out, "alert_state")["a"] == "still_open"


def test_everything_is_new_without_history() -> None:
    out = build_risk_list(scores({"a": 0.6, "b": 0.3}), None, CFG)
    assert out["alert_state"].to_list() == ["new", "new"]
    assert out["trend"].to_list() == [None, None]
    assert out["p_fail_history"].to_list() == [[0.6], [0.3]]


def test_trend_against_the_mean_of_previous_nights() -> None:
    hist = pl.concat(
        [
            scores({"up": 0.2, "down": 0.6, "flat": 0.3}, as_of=night(-2)),
            scores({"up": 0.3, "down": 0.5, "flat": 0.32, "late": 0.4}, as_of=night(-1)),
        ]
    )
    out = build_risk_list(scores({"up": 0.5, "down": 0.3, "flat": 0.33, "late": 0.4}), hist, CFG)
    assert _by_asset(out, "trend") == {
        "up": "rising", "down": "falling", "flat": "steady", "late": "steady"
    }  # fmt: skip
    assert _by_asset(out, "p_fail_change")["up"] == pytest.approx(0.25)
    assert _by_asset(out, "p_fail_prev")["down"] == 0.5
    assert _by_asset(out, "p_fail_history")["late"] == [None, 0.4, 0.4]


def test_only_the_last_trend_nights_before_tonight_are_used() -> None:
    hist = pl.concat(
        [
            scores({"a": 0.9}, as_of=night(-3)),
            scores({"a": 0.1}, as_of=night(-2)),
            scores({"a": 0.2}, as_of=night(-1)),
            scores({"a": 0.99}, as_of=night(1)),  # the future must not leak in
        ]
    )
    out = build_risk_list(scores({"a": 0.3}), hist, CFG.model_copy(update={"trend_nights": 2}))
    assert out["p_fail_history"].to_list()[0] == [0.1, 0.2, 0.3]
    assert out["p_fail_change"].item() == pytest.approx(0.15)


def test_on_list_keeps_p1_to_p3_in_rank_order() -> None:
    out = build_risk_list(scores({"a": 0.25, "b": 0.9, "c": 0.01, "d": 0.6}), config=CFG)
    assert on_list(out)["asset_id"].to_list() == ["b", "d", "a"]


def test_config_is_frozen_strict_and_ordered() -> None:
    with pytest.raises(ValidationError):
        RiskListConfig(budgett=0.1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="p3_threshold"):
        RiskListConfig(p2_threshold=0.2, p3_threshold=0.5)
    with pytest.raises(ValidationError):
        RiskListConfig(budget=0)
    with pytest.raises(ValidationError):
        CFG.budget = 0.5  # type: ignore[misc]


def _naive_priorities(p: dict[str, float | None], cfg: RiskListConfig) -> dict[str, str]:
    """Reference: sort by hand, hand out the budget slots, then apply the thresholds."""
    ranked = sorted((a for a in p if p[a] is not None), key=lambda a: (-p[a], a))  # type: ignore[operator]
    slots = math.ceil(cfg.budget * len(p))
    out = {}
    for a in p:
        v = p[a]
        if v is None:
            out[a] = "none"
        elif ranked.index(a) < slots and v >= cfg.p1_min:
            out[a] = "P1"
        elif v >= cfg.p2_threshold:
            out[a] = "P2"
        else:
            out[a] = "P3" if v >= cfg.p3_threshold else "none"
    return out


probabilities = st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.2, 0.5, 0.7]))


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(probabilities, min_size=1, max_size=40),
    budget=st.sampled_from([0.01, 0.05, 0.2, 1.0]),
    p1_min=st.sampled_from([0.0, 0.2, 0.6]),
)
def test_priorities_match_a_naive_reference(
    values: list[float | None], budget: float, p1_min: float
) -> None:
    p = {f"m{i:02d}": v for i, v in enumerate(values)}
    cfg = RiskListConfig(budget=budget, p2_threshold=0.5, p3_threshold=0.2, p1_min=p1_min)
    out = build_risk_list(scores(p), config=cfg)
    assert _by_asset(out, "priority") == _naive_priorities(p, cfg)
    ranked = out.filter(pl.col("risk_rank").is_not_null())
    assert ranked["risk_rank"].to_list() == list(range(1, ranked.height + 1))
    assert ranked["p_fail"].is_sorted(descending=True)
