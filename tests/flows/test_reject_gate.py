"""The reject gate counts faulty rows, not rows a night cannot see yet."""

from __future__ import annotations

import pytest

from forewarn.features.contract import Reason
from forewarn.features.dataset import TableCounts, ValidationReport
from forewarn.flows.training import TooManyRejectsError, reject_gate


def _report(rejects: dict[str, int], rows: int = 1000) -> ValidationReport:
    rejected = sum(rejects.values())
    return ValidationReport(
        url="fleet",
        counts={
            "telemetry": TableCounts(rows, rows - rejected, rejected),
            "assets": TableCounts(10, 10, 0),
        },
        rejects_by_reason={f"telemetry: {r}": n for r, n in rejects.items()},
        n_assets=10,
        sensors=("temperature_c",),
        start=None,
        end=None,
        events_by_kind={},
        asset_types={},
    )


def test_rows_after_as_of_do_not_count() -> None:
    # A backfill: 60 % of the rows lie after the night, 40 of the 400 others are faulty.
    backfill = _report({Reason.FUTURE_TS: 600, Reason.NON_FINITE: 19})
    reject_gate(backfill, 0.05)  # 19 / 400 = 4.75 %
    assert backfill.worst_share() == ("telemetry", pytest.approx(0.619))


def test_faulty_rows_still_stop_the_run_and_share_excludes_the_future() -> None:
    faulty = _report({Reason.FUTURE_TS: 600, Reason.NON_FINITE: 21})
    with pytest.raises(TooManyRejectsError, match=r"5\.25% of table 'telemetry'"):
        reject_gate(faulty, 0.05)


def test_a_night_with_no_telemetry_left_stops_with_the_reason() -> None:
    # Every reading is after the night: not a fault, but nothing to build features from.
    with pytest.raises(TooManyRejectsError, match=r"no accepted row \(1,000 rejected: 'ts after"):
        reject_gate(_report({Reason.FUTURE_TS: 1000}), 0.0)
    with pytest.raises(TooManyRejectsError, match="it read no rows"):
        reject_gate(_report({}, rows=0), 0.0)


def test_future_rows_alone_never_count_against_the_threshold() -> None:
    reject_gate(_report({Reason.FUTURE_TS: 999}), 0.0)
