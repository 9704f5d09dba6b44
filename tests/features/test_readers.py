"""Where a dataset is: the path a user passes, and what the error says when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from forewarn.features.dataset import load_dataset
from forewarn.features.readers import DatasetError
from tests.conftest import write_csv_dataset


def test_a_table_file_passed_as_the_dataset_says_pass_its_folder(tmp_path: Path) -> None:
    root = write_csv_dataset(
        tmp_path / "d",
        assets="asset_id,asset_type\nA1,press",
        telemetry="asset_id,ts,temp\nA1,2025-01-01T00:00:00Z,1",
    )
    table = next(root.glob("telemetry*"))
    with pytest.raises(DatasetError) as info:
        load_dataset(str(table))
    message = str(info.value)
    assert "is a file, not a dataset folder" in message and str(root) in message
    assert "not found" not in message
