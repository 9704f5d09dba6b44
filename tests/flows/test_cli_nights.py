"""Nights are managed, as an operator runs the commands: the default night, the refusal of a
night past the data, `scores list` / `scores delete`, and `--home` after the subcommand."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from tests.flows.conftest import FLEET_ASSETS, FLEET_DAYS, FLEET_START, NIGHT, Trained

LAST_NIGHT = FLEET_START + timedelta(days=FLEET_DAYS - 1)
"""Hourly readings end at 23:00 of the fleet's last day: its midnight is the last night."""


def forewarn(*args: str, env_home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("FOREWARN_HOME", None)
    if env_home is not None:
        env["FOREWARN_HOME"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "forewarn.flows", *args],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip


def score(home: Path, trained: Trained, *extra: str) -> subprocess.CompletedProcess[str]:
    return forewarn(
        "--home", str(home), "score", "--data", str(trained.fleet), "-c", str(trained.config),
        "--no-report", *extra,
    )  # fmt: skip


def test_score_without_as_of_scores_the_last_night_the_data_covers(
    trained: Trained, home: Path
) -> None:
    out = score(home, trained)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ScoreStore(home / "scores").nights() == [LAST_NIGHT]
    assert f"scored {FLEET_ASSETS} assets at {LAST_NIGHT.isoformat()}" in out.stdout


def test_score_refuses_a_night_past_the_data_unless_forced(trained: Trained, home: Path) -> None:
    late = LAST_NIGHT + timedelta(days=30)
    out = score(home, trained, "--as-of", late.isoformat())
    text = " ".join(out.stderr.split())
    assert out.returncode == 2, out.stdout + out.stderr
    assert "is past the data: its newest reading is 2025-04-10 23:00 UTC" in text
    assert "--force" in text
    assert ScoreStore(home / "scores").nights() == []  # nothing stored
    # Within the stale limit (48 h) is a normal late night; --force scores any night.
    assert (
        score(home, trained, "--as-of", (LAST_NIGHT + timedelta(days=2)).isoformat()).returncode
        == 0
    )
    forced = score(home, trained, "--as-of", late.isoformat(), "--force")
    assert forced.returncode == 1  # stored, but every asset is unscorable: flagged loudly
    assert late in ScoreStore(home / "scores").nights()


def test_scores_list_and_delete_keep_the_other_nights(trained: Trained, home: Path) -> None:
    earlier = NIGHT - timedelta(days=1)
    for night in (earlier, NIGHT):
        out = forewarn(
            "--home", str(home), "score", "--data", str(trained.fleet), "--as-of",
            night.isoformat(), "-c", str(trained.config),
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
    store = ScoreStore(home / "scores")
    kept = store.night(earlier)
    report = home / "reports" / f"report_{night_key(NIGHT)}.html"
    assert report.is_file() and store.parquet_path(NIGHT).is_file()

    listed = forewarn("--home", str(home), "scores", "list")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if "2025-04-0" in line]
    assert [line.strip("│ ").split()[0] for line in lines] == ["2025-04-08", "2025-04-07"]
    assert "(latest)" in lines[0] and night_key(NIGHT) in lines[0]

    gone = forewarn("--home", str(home), "scores", "delete", "--night", "2025-04-08")
    assert gone.returncode == 0, gone.stderr
    assert "deleted the night 2025-04-08 00:00 UTC" in gone.stdout
    assert store.nights() == [earlier]
    assert store.night(earlier).equals(kept)  # the other night is intact
    assert not store.parquet_path(NIGHT).parent.exists() and not report.exists()
    assert store.latest() == earlier  # serve, report and monitor now see the earlier night

    missing = forewarn("--home", str(home), "scores", "delete", "--night", "2025-04-08")
    assert missing.returncode == 2
    assert "no night '2025-04-08'" in missing.stderr and "scores list" in missing.stderr


def test_home_works_after_the_subcommand(trained: Trained, home: Path, tmp_path: Path) -> None:
    assert score(home, trained, "--as-of", NIGHT.isoformat()).returncode == 0
    elsewhere = tmp_path / "empty"  # FOREWARN_HOME points elsewhere: --home must win
    out = forewarn("scores", "list", "--home", str(home), env_home=elsewhere)
    assert out.returncode == 0, out.stderr
    assert night_key(NIGHT) in out.stdout
    models = forewarn("models", f"--home={home}", env_home=elsewhere)
    assert models.returncode == 0 and str(home / "mlflow" / "mlflow.db") in models.stdout


@pytest.mark.slow
def test_score_without_config_keeps_the_champions_list_rules(
    trained: Trained, tmp_path: Path
) -> None:
    # Trained with a 25 % budget under the default model names; `score` without -c must
    # use that budget (12 of 48 assets on P1), not the default 1 % (one asset).
    from forewarn.flows.training import training_flow
    from tests.flows.conftest import TRAIN_UNTIL

    text = trained.config.read_text(encoding="utf-8")
    lines = [
        ln for ln in text.splitlines() if not ln.startswith(("risk_model_name", "rul_model_name"))
    ]
    config = tmp_path / "wide_budget.toml"
    config.write_text("\n".join(lines).replace("budget = 0.1", "budget = 0.25") + "\n")
    home = tmp_path / "home"
    training_flow(str(trained.fleet), str(config), str(home), until=TRAIN_UNTIL)

    out = forewarn(
        "--home", str(home), "score", "--data", str(trained.fleet), "--as-of", NIGHT.isoformat()
    )
    assert out.returncode == 0, out.stdout + out.stderr
    csv = home / "reports" / f"risk_list_{night_key(NIGHT)}.csv"
    ranked = pl.read_csv(csv)
    assert ranked.filter(pl.col("priority") == "P1").height == 12
