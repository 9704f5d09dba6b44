"""One condition, one exit code, whichever command meets it (README: 1 a quality gate
failed, 2 bad input or configuration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from tests.flows.test_cli_data import run

TINY = """
[features]
sensors = ["temp"]
windows = ["1d", "2d"]
stats = ["mean", "last"]
baseline_span = "2d"
[labels]
horizon = "2d"
rul_cap = "5d"
[model]
validation_window = "5d"
calibration_window = "5d"
cv_folds = 0
lead_time = "12h"
rul_cap = "5d"
"""


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """40 days of daily readings of three assets, 10 % of them from an unknown asset."""
    root = tmp_path_factory.mktemp("faulty") / "data"
    root.mkdir()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    days = [start + timedelta(days=d) for d in range(40)]
    rows = [(a, t, float(i)) for a in ("A1", "A2", "A3") for i, t in enumerate(days)]
    rows += [("ZZ", t, 1.0) for t in days[:13]]
    pl.DataFrame(rows, schema=["asset_id", "ts", "temp"], orient="row").write_csv(
        root / "telemetry.csv"
    )
    pl.DataFrame({"asset_id": ["A1", "A2", "A3"], "asset_type": ["pump"] * 3}).write_csv(
        root / "assets.csv"
    )
    pl.DataFrame(
        {"asset_id": ["A1"], "ts": [start + timedelta(days=20)], "kind": ["failure"]}
    ).write_csv(root / "events.csv")
    config = root.parent / "tiny.toml"
    config.write_text(TINY)
    return root, config


@pytest.mark.slow
def test_too_many_rejects_exit_one_in_validate_train_and_score(
    faulty: tuple[Path, Path], tmp_path: Path
) -> None:
    data, config = faulty
    home = tmp_path / "home"
    checked = run("validate", str(data), home=home)
    trained = run("train", "--data", str(data), "-c", str(config), home=home)
    scored = run("score", "--data", str(data), "-c", str(config), "--as-of", "2025-02-09",
                 home=home)  # fmt: skip

    for out in (checked, trained, scored):
        assert "of table 'telemetry' was rejected as faulty" in " ".join(out.stderr.split())
    assert [checked.returncode, trained.returncode, scored.returncode] == [1, 1, 1]


def test_a_missing_dataset_exits_two_in_validate_train_and_score(tmp_path: Path) -> None:
    missing, home = str(tmp_path / "nowhere"), tmp_path / "home"
    codes = [
        run("validate", missing, home=home).returncode,
        run("train", "--data", missing, home=home).returncode,
        run("score", "--data", missing, "--as-of", "2025-02-09", home=home).returncode,
    ]
    assert codes == [2, 2, 2]
