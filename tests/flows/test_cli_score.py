"""`forewarn score` as a nightly operator runs it: a real process and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, NIGHT, Trained


def test_a_night_with_no_scorable_asset_exits_one(trained: Trained, home: Path) -> None:
    # The extract ends weeks before --as-of (a stale export, or a mistyped date): every
    # asset is unscorable. Forced past the date check, the night is stored, but the run
    # must not pass as a quiet one.
    night = NIGHT + timedelta(days=60)
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "--home", str(home), "score",
         "--data", str(trained.fleet), "--as-of", night.isoformat(),
         "-c", str(trained.config), "--no-report", "--force"],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"none of the {FLEET_ASSETS} assets could be scored" in " ".join(out.stderr.split())
    assert f"unscorable {FLEET_ASSETS}" in out.stdout
    assert ScoreStore(home / "scores").nights() == [night]
