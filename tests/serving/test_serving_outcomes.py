"""Technicians' outcomes: checked against the store, stored atomically, shown on the list,
and an asset found healthy is not alerted again until its risk rises."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from serving_frames import NIGHT, night, scores

from forewarn.serving.outcome_store import parquet_path, read_outcomes, write_outcomes
from forewarn.serving.outcomes import INSPECTED_AFTER, RawOutcome, check_outcomes, findings
from forewarn.serving.report import write_report
from forewarn.serving.risklist import RiskListConfig, build_risk_list
from forewarn.serving.store import ScoreStore

CFG = RiskListConfig(budget=0.5, recheck_factor=2.0)
RECORDED = NIGHT + timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> ScoreStore:
    s = ScoreStore(tmp_path / "store")
    s.write_night(scores({"a": 0.30, "b": 0.20, "c": 0.01, "=evil": 0.02}, as_of=night(0)))
    s.write_night(scores({"a": 0.35, "b": 0.50, "c": 0.01, "=evil": 0.02}, as_of=night(1)))
    return s


def _check(store: ScoreStore, rows: list[RawOutcome]):
    nights = store.nights()
    pairs = {(t, a) for t in nights for a in store.night(t)["asset_id"].to_list()}
    return check_outcomes(rows, nights, pairs, RECORDED, "test.csv")


def test_every_row_is_accepted_refused_or_blank_and_refusals_name_the_row(
    store: ScoreStore,
) -> None:
    t = night(0).isoformat()
    rows = [
        RawOutcome(2, "a", t, "no_fault"),
        RawOutcome(3, "b", t, " Found_Fault ", component="bearing", note="pitted race"),
        RawOutcome(4, "c", t, ""),  # not filled in: skipped, not refused
        RawOutcome(5, "ghost", t, "no_fault"),
        RawOutcome(6, "a", "2024-01-01T00:00:00Z", "no_fault"),
        RawOutcome(7, "c", t, "broken"),
        RawOutcome(8, "a", t, "found_fault"),  # same asset and night as row 2
        RawOutcome(9, "c", t, "no_fault", inspected_at=(night(0) - timedelta(hours=1)).isoformat()),
        RawOutcome(10, "'=evil", t, "not_inspected"),  # the CSV export's formula guard
    ]
    checked = _check(store, rows)
    assert checked.accepted.height + len(checked.rejected) + checked.blank == len(rows)
    assert checked.blank == 1
    assert sorted(checked.accepted["asset_id"].to_list()) == ["=evil", "a", "b"]
    reasons = dict(checked.rejected)
    assert "row 5: asset 'ghost' has no score on the night" in reasons[5]
    assert "row 6: night '2024-01-01T00:00:00Z' is not in the score store" in reasons[6]
    assert "row 7: outcome 'broken' is not one of found_fault, no_fault" in reasons[7]
    assert "row 8: repeats asset 'a' and night of row 2" in reasons[8]
    assert "row 9: inspected_at" in reasons[9] and "before the night" in reasons[9]
    b = checked.accepted.filter(pl.col("asset_id") == "b").row(0, named=True)
    assert (b["outcome"], b["component"], b["note"]) == ("found_fault", "bearing", "pitted race")
    assert b["inspected_at"] == night(0) + INSPECTED_AFTER and b["source"] == "test.csv"


def test_a_night_may_be_named_by_its_date_and_a_second_record_replaces_the_first(
    store: ScoreStore,
) -> None:
    first = _check(store, [RawOutcome(None, "a", night(0).date().isoformat(), "not_inspected")])
    assert first.rejected == [] and write_outcomes(store, first.accepted) == 1
    again = _check(store, [RawOutcome(None, "a", night(0).isoformat(), "no_fault", note="ok")])
    assert write_outcomes(store, again.accepted) == 1
    stored = read_outcomes(store)
    assert stored.select("asset_id", "outcome", "note", "p_fail_then").rows() == [
        ("a", "no_fault", "ok", 0.30)
    ]
    assert pl.read_parquet(parquet_path(store))["outcome"].to_list() == ["no_fault"]
    # The scores are untouched by outcome writes.
    assert store.nights() == [night(0), night(1)] and store.night(night(1)).height == 4


def _outcome(store: ScoreStore, asset: str, outcome: str, when=None) -> None:
    checked = _check(store, [RawOutcome(None, asset, (when or night(0)).isoformat(), outcome)])
    assert checked.rejected == []
    write_outcomes(store, checked.accepted)


def test_an_asset_found_healthy_is_checked_not_realerted_until_its_risk_doubles(
    store: ScoreStore,
) -> None:
    # Night 0: a (0.30) and b (0.20) are both listed (budget 50 %) and both inspected.
    _outcome(store, "a", "no_fault")
    _outcome(store, "b", "no_fault")
    tonight = build_risk_list(
        store.night(night(1)), store.history_for(night(1), 7), CFG, read_outcomes(store)
    )
    state = dict(tonight.select("asset_id", "alert_state").rows())
    # a rose 0.30 -> 0.35 (< 2x): checked, not "still open"; b rose 0.20 -> 0.50 (>= 2x): new.
    assert state["a"] == "checked" and state["b"] == "new"
    a = tonight.filter(pl.col("asset_id") == "a").row(0, named=True)
    assert a["last_outcome"] == "no_fault" and a["last_outcome_night"] == night(0)
    # Without outcomes both would still be open alerts.
    plain = build_risk_list(store.night(night(1)), store.history_for(night(1), 7), CFG)
    assert dict(plain.select("asset_id", "alert_state").rows())["a"] == "still_open"


def test_a_confirmed_fault_keeps_the_alert_and_becomes_a_finding(store: ScoreStore) -> None:
    _outcome(store, "a", "found_fault")
    tonight = build_risk_list(
        store.night(night(1)), store.history_for(night(1), 7), CFG, read_outcomes(store)
    )
    assert dict(tonight.select("asset_id", "alert_state").rows())["a"] == "still_open"
    events = findings(read_outcomes(store))
    assert events.select("asset_id", "ts", "kind").rows() == [
        ("a", night(0) + INSPECTED_AFTER, "finding")
    ]
    assert findings(read_outcomes(store), until=night(0)).height == 0  # not known yet then


def test_outcomes_of_later_nights_are_not_shown_on_an_earlier_list(store: ScoreStore) -> None:
    _outcome(store, "a", "no_fault", when=night(1))
    earlier = build_risk_list(store.night(night(0)), None, CFG, read_outcomes(store))
    assert earlier["last_outcome"].null_count() == earlier.height


def test_the_csv_has_empty_outcome_columns_and_the_report_shows_outcomes(
    store: ScoreStore, tmp_path: Path
) -> None:
    _outcome(store, "a", "no_fault")
    ranked = build_risk_list(
        store.night(night(1)), store.history_for(night(1), 7), CFG, read_outcomes(store)
    )
    paths = write_report(ranked, store.history_for(night(1), 7), tmp_path / "reports")
    table = pl.read_csv(paths.csv, infer_schema=False)
    for col in ("outcome", "outcome_component", "outcome_note", "last_outcome", "as_of"):
        assert col in table.columns
    assert table["outcome"].null_count() == table.height
    assert dict(table.select("asset_id", "last_outcome").rows())["a"] == "no_fault"
    html = paths.html.read_text()
    assert 'data-outcome="no_fault"' in html and 'data-count="checked">1<' in html
