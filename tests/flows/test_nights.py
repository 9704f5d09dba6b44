"""Choosing the night to score: the last night covered, and the refusal past the data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from forewarn.flows.nights import NightOutOfRangeError, check_night, covered_night, pick_night

T = datetime(2025, 4, 10, 23, 0, tzinfo=UTC)


def test_the_last_night_covered_is_the_snapshot_instant_before_the_newest_reading() -> None:
    assert covered_night(T, "1d") == datetime(2025, 4, 10, tzinfo=UTC)
    assert covered_night(T, "6h") == datetime(2025, 4, 10, 18, tzinfo=UTC)


def test_a_night_past_the_newest_reading_and_the_stale_limit_is_refused() -> None:
    check_night(datetime(2025, 4, 12, 23, tzinfo=UTC), T, 48.0)  # exactly at the limit
    with pytest.raises(NightOutOfRangeError, match="newest reading is 2025-04-10 23:00 UTC"):
        check_night(datetime(2025, 4, 13, tzinfo=UTC), T, 48.0)
    check_night(datetime(2030, 1, 1, tzinfo=UTC), None, 48.0)  # no telemetry: validation says


def test_pick_night_reads_the_newest_reading_of_a_csv_dataset(tmp_path: Path) -> None:
    (tmp_path / "assets.csv").write_text("asset_id,asset_type\nA1,press\n")
    (tmp_path / "telemetry.csv").write_text(
        "asset_id,ts,temp\nA1,2025-04-09T10:00:00Z,1\nA1,2025-04-10T23:00:00+00:00,2\n"
    )
    assert pick_night(str(tmp_path), None, "1d", 48.0, False) == datetime(2025, 4, 10, tzinfo=UTC)
    late = datetime(2025, 5, 1, tzinfo=UTC)
    with pytest.raises(NightOutOfRangeError, match="--force"):
        pick_night(str(tmp_path), late, "1d", 48.0, False)
    assert pick_night(str(tmp_path), late, "1d", 48.0, True) == late
    # A dataset that cannot be read: the validation step names the problem, not this one.
    assert pick_night(str(tmp_path / "missing"), late, "1d", 48.0, False) == late
