"""The reliability suite's fleet, experiment and the checks every fault test shares.

``Snapshot`` records what must survive any failure tonight (last night's scores, its
Parquet export and report, the registry's versions and aliases); ``assert_night_done``
says a re-run completed tonight exactly once, identical to an undisturbed run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from forewarn.flows.settings import load_settings
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from forewarn.synthetic import FleetConfig

FLEET = FleetConfig(
    n_assets=16,
    days=90,
    freq="2h",
    seed=3,
    start=datetime(2025, 1, 1, tzinfo=UTC),
    failures_per_asset_year=5.0,
)
TRAIN_UNTIL = datetime(2025, 3, 20, tzinfo=UTC)
PREV = datetime(2025, 3, 30, tzinfo=UTC)
NIGHT = datetime(2025, 3, 31, tzinfo=UTC)
RISK, RUL = "reltest-risk", "reltest-rul"

FAST_EXPERIMENT = f"""
name = "reltest"

[features]
sensors = ["temperature_c", "vibration_mm_s"]
windows = ["1d", "7d"]
stats = ["mean", "max", "last"]
snapshot_every = "1d"
life_window = false
baseline_span = "3d"
fleet_norm = false
alarm_codes = []
components = []

[labels]
horizon = "7d"

[model]
calibration = "platt"
validation_window = "15d"
calibration_window = "15d"
cv_folds = 0
rul_cap = "30d"
risk_model_name = "{RISK}"
rul_model_name = "{RUL}"

[model.lightgbm]
n_estimators = 10
num_leaves = 7
min_child_samples = 5
num_threads = 1

[risk_list]
budget = 0.2
"""


@dataclass(frozen=True)
class Trained:
    """The session's trained workspace and tonight's reference scores."""

    fleet: Path
    config: Path
    home: Path
    api: str
    reference: pl.DataFrame


def tracking_uri(home: Path) -> str:
    return load_settings(home=home).tracking_uri


def registry_state(home: Path) -> list[tuple[str, str, tuple[str, ...], str | None]]:
    from forewarn.models.registry import list_models

    return [
        (m.name, m.version, m.aliases, m.run_id)
        for m in list_models(tracking_uri(home), (RISK, RUL))
    ]


def report_files(home: Path, night: datetime) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes() for p in sorted((home / "reports").glob(f"*{night_key(night)}*"))
    }


def leftovers(home: Path) -> list[Path]:
    """Temp files a writer left behind (hidden ``.name.tmp...`` files)."""
    return [p for p in home.rglob(".*") if "tmp" in p.name and "prefect" not in p.parts]


@dataclass(frozen=True)
class Snapshot:
    """What must survive any failure of tonight's run."""

    prev_scores: pl.DataFrame
    prev_export: bytes
    prev_report: dict[str, bytes]
    registry: list[tuple[str, str, tuple[str, ...], str | None]]

    @classmethod
    def take(cls, home: Path) -> Snapshot:
        store = ScoreStore(home / "scores")
        return cls(
            prev_scores=store.night(PREV),
            prev_export=store.parquet_path(PREV).read_bytes(),
            prev_report=report_files(home, PREV),
            registry=registry_state(home),
        )

    def assert_intact(self, home: Path) -> None:
        """Last night, its export and report, and the registry are as they were."""
        from forewarn.models.registry import load_champion

        store = ScoreStore(home / "scores")
        assert store.night(PREV).equals(self.prev_scores)
        assert store.parquet_path(PREV).read_bytes() == self.prev_export
        assert report_files(home, PREV) == self.prev_report
        assert registry_state(home) == self.registry
        champion = load_champion(tracking_uri(home), risk_name=RISK, rul_name=RUL)
        assert champion.versions == {RISK: "1", RUL: "1"}


def assert_night_done(home: Path, reference: pl.DataFrame, *, report: bool = True) -> None:
    """Tonight is stored exactly once, identical to an undisturbed run, nothing left over."""
    store = ScoreStore(home / "scores")
    assert store.nights() == [PREV, NIGHT]
    night = store.night(NIGHT)
    assert night.height == FLEET.n_assets and night["asset_id"].is_unique().all()
    assert night["scored_at"].n_unique() == 1  # one run's rows, never a mix
    assert night.drop("scored_at").equals(reference.drop("scored_at"))
    export = pl.read_parquet(store.parquet_path(NIGHT))
    assert export.drop("scored_at").equals(night.drop("scored_at"))
    if report:
        names = set(report_files(home, NIGHT))
        assert {f"report_{night_key(NIGHT)}.html", f"risk_list_{night_key(NIGHT)}.csv"} <= names
        rows = pl.read_csv(home / "reports" / f"risk_list_{night_key(NIGHT)}.csv")
        assert rows.height == FLEET.n_assets
    assert leftovers(home) == []


def forewarn_score(
    trained: Trained, home: Path, *, env: dict[str, str] | None = None, wrapper: str | None = None
) -> subprocess.Popen[str]:
    """Start ``forewarn score`` for tonight as a user would (or through a test wrapper that
    patches one function first), against the session's Prefect API."""
    argv = ["score", "--data", str(trained.fleet), "--as-of", NIGHT.isoformat()]
    argv += ["-c", str(trained.config), "--max-reject-share", "1"]
    command = (
        [sys.executable, "-c", wrapper] if wrapper else [sys.executable, "-m", "forewarn.flows"]
    )
    full_env = {
        **os.environ,
        "FOREWARN_HOME": str(home),
        "PREFECT_API_URL": trained.api,
        **(env or {}),
    }
    full_env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.Popen(
        [*command, *argv], env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
