"""Faults in the nightly run: every failure leaves last night, the store and the registry
intact, and a re-run completes tonight exactly once.

Failures are injected at each step (``flows.faults``: ``FOREWARN_FAULT=<point>=raise``),
as real SIGKILLs of a ``forewarn score`` process (``=kill``, or a wrapper that kills
inside the store's transaction), as two runs of one night at once, and as a workspace
that is full or read-only. MLflow being down lives in test_reliability_mlflow.py.
"""

from __future__ import annotations

import errno
import shutil
import signal
import subprocess
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from forewarn.flows.faults import FAULT_ENV
from forewarn.flows.monitoring.paths import MonitoringPaths
from forewarn.flows.scoring import scoring_flow
from forewarn.flows.steps import claim_night
from forewarn.flows.tasks import StepFailedError
from forewarn.serving.schema import night_key
from forewarn.serving.store import ScoreStore
from tests.reliability.workspace import (
    NIGHT,
    Snapshot,
    Trained,
    assert_night_done,
    forewarn_score,
    leftovers,
)


def score(trained: Trained, home: Path, report: bool = True) -> dict:
    return scoring_flow(str(trained.fleet), NIGHT, str(trained.config), str(home), 1.0, report)


def rerun_completes(trained: Trained, home: Path) -> None:
    out = score(trained, home)
    assert out["assets"] == trained.reference.height
    assert_night_done(home, trained.reference)


@pytest.mark.parametrize(
    "point",
    [
        "before:validate data",
        "before:score the fleet",
        "after:score the fleet",
        "after:write risk list and report",
    ],
)
def test_an_exception_at_each_step_loses_nothing(
    trained: Trained, home: Path, point: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Snapshot.take(home)
    monkeypatch.setenv(FAULT_ENV, f"{point}=raise")
    with pytest.raises(StepFailedError) as info:
        score(trained, home)
    assert info.value.step == point.split(":", 1)[1]
    assert "fault injected" in str(info.value)
    before.assert_intact(home)
    stored = ScoreStore(home / "scores").nights()
    # The night is whole or absent: a failed run (even after its last step) stores nothing.
    assert NIGHT not in stored
    assert point.startswith("before:") or "removed again" in str(info.value)
    assert leftovers(home) == []
    monkeypatch.delenv(FAULT_ENV)
    rerun_completes(trained, home)


KILL_MID_TRANSACTION = """
import os, signal, sys
from forewarn.serving import store

def dying_replace(con, scores, as_of):
    # Last night is re-scored: its old rows are deleted, the new ones not yet inserted.
    con.execute("BEGIN")
    con.execute("DELETE FROM scores WHERE as_of = $1", [as_of])
    os.kill(os.getpid(), signal.SIGKILL)

store._replace_night = dying_replace
from forewarn.flows.cli import main
sys.argv = ["forewarn", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    ("label", "env", "wrapper"),
    [
        ("after storing, before the report", {FAULT_ENV: "after:score the fleet=kill"}, None),
        ("inside the store transaction", {}, KILL_MID_TRANSACTION),
    ],
)
def test_sigkill_of_forewarn_score_loses_nothing(
    trained: Trained, home: Path, label: str, env: dict[str, str], wrapper: str | None
) -> None:
    before = Snapshot.take(home)
    proc = forewarn_score(trained, home, env=env, wrapper=wrapper)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, err
    before.assert_intact(home)
    store = ScoreStore(home / "scores")
    night = store.night(NIGHT)
    assert night.height in (0, trained.reference.height)  # never a partial night
    rerun_completes(trained, home)


def test_a_second_run_of_the_same_night_fails_at_once_and_changes_nothing(
    trained: Trained, home: Path
) -> None:
    before = Snapshot.take(home)
    with claim_night(home / "scores", NIGHT):  # another run holds tonight
        busy = r"another scoring run for .* in progress"
        with pytest.raises(StepFailedError, match=busy) as info:
            score(trained, home)
        assert info.value.step == "claim the night"
    before.assert_intact(home)
    assert NIGHT not in ScoreStore(home / "scores").nights()
    rerun_completes(trained, home)


def test_two_forewarn_score_processes_at_once_leave_one_whole_night(
    trained: Trained, home: Path
) -> None:
    before = Snapshot.take(home)
    procs = [forewarn_score(trained, home) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert 0 in [code for code, _ in results], results
    for code, err in results:  # the loser, if they overlapped, says why and did nothing
        assert code == 0 or (code == 1 and "in progress" in " ".join(err.split())), err
    before.assert_intact(home)
    assert_night_done(home, trained.reference)


def enospc(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("owner", "name", "step"),
    [
        (pl.DataFrame, "write_parquet", "validate data"),  # tonight's rejects file
        ("forewarn.serving.store._write_synced", None, "score the fleet"),  # the night's export
        ("forewarn.flows.steps.save_night_inputs", None, "score the fleet"),  # monitoring's
        (pl.DataFrame, "write_csv", "write risk list and report"),  # the planners' CSV
    ],
    ids=["rejects", "score store", "monitoring inputs", "report"],
)
def test_disk_full_is_a_clear_error_and_nothing_is_half_written(
    trained: Trained,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    owner: object,
    name: str | None,
    step: str,
) -> None:
    before = Snapshot.take(home)
    if name is None:
        monkeypatch.setattr(str(owner), enospc)
    else:
        monkeypatch.setattr(owner, name, enospc)
    with pytest.raises(StepFailedError) as info:
        score(trained, home)
    assert info.value.step == step
    assert isinstance(info.value.error, OSError) and info.value.error.errno == errno.ENOSPC
    before.assert_intact(home)
    assert leftovers(home) == []
    assert ScoreStore(home / "scores").night(NIGHT).height == 0  # whole or not at all
    assert not list((home / "reports").glob(f"*{night_key(NIGHT)}*"))
    assert not MonitoringPaths(home).night_inputs(NIGHT).exists()
    monkeypatch.undo()
    rerun_completes(trained, home)


DISK_FULL_AT_THE_REPORT = """
import sys
import polars as pl

def full(*_args, **_kwargs):
    # What a Rust writer says on a full disk: not an OSError, no file name.
    raise pl.exceptions.ComputeError("failed to write: No space left on device (os error 28)")

pl.DataFrame.write_csv = full
from forewarn.flows.cli import main
sys.argv = ["forewarn", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_a_full_disk_says_so_and_where_and_stores_no_half_night(
    trained: Trained, home: Path
) -> None:
    before = Snapshot.take(home)
    proc = forewarn_score(trained, home, env={"COLUMNS": "200"}, wrapper=DISK_FULL_AT_THE_REPORT)
    _, err = proc.communicate(timeout=300)
    message = " ".join(err.split())
    assert proc.returncode == 1, message
    assert "step 'write risk list and report' failed" in message
    assert f"the disk holding {home}" in message and "is full" in message, message
    assert "MB free" in message and "removed again" in message
    for noise in ("nanobind", "Invalid thrift", "Traceback"):
        assert noise not in message, message
    assert NIGHT not in ScoreStore(home / "scores").nights()
    before.assert_intact(home)
    rerun_completes(trained, home)


FREEZERS = (
    (["chattr", "-R", "+i"], ["chattr", "-R", "-i"]),  # read-only even for root
    (["chmod", "-R", "a-w"], ["chmod", "-R", "u+w"]),  # read-only for anyone else
)


def read_only_commands(tmp: Path) -> tuple[list[str], list[str]] | None:
    """(freeze, thaw) commands that really make a folder read-only here, or None."""
    probe = tmp / "probe"
    probe.mkdir()
    for freeze, thaw in FREEZERS:
        if shutil.which(freeze[0]) is None:
            continue
        if subprocess.run([*freeze, str(probe)], capture_output=True, check=False).returncode:
            continue
        try:
            (probe / "x").touch()
            works = False
        except OSError:
            works = True
        subprocess.run([*thaw, str(probe)], check=True)
        if works:
            return freeze, thaw
    return None


def test_a_read_only_workspace_is_a_clear_error_and_stays_readable(
    trained: Trained, home: Path, tmp_path: Path, restore_environ: None
) -> None:
    from typer.testing import CliRunner

    from forewarn.flows.cli import app, register
    from forewarn.serving.web import create_app

    commands = read_only_commands(tmp_path)
    if commands is None:
        pytest.skip("neither chattr nor chmod can make a folder read-only for this user")
    freeze, thaw = commands
    before = Snapshot.take(home)
    register()
    argv = ["--home", str(home), "score", "--data", str(trained.fleet), "--as-of"]
    argv += [NIGHT.isoformat(), "-c", str(trained.config), "--max-reject-share", "1"]
    subprocess.run([*freeze, str(home)], check=True)
    try:
        refused = CliRunner().invoke(app, argv)  # the CLI stops before Prefect starts
        with pytest.raises(StepFailedError) as info:  # a flow started anyway stops at once
            score(trained, home)
        listing = CliRunner().invoke(app, ["--home", str(home), "models"])  # reads still work
        web = create_app(home / "scores", home / "reports")
        page = TestClient(web, base_url="http://127.0.0.1").get("/api/nights")
    finally:
        subprocess.run([*thaw, str(home)], check=True)
    output = " ".join(refused.output.split())
    assert refused.exit_code == 2, (output, refused.exception)
    assert f"the workspace {home} is not writable" in output and "fix its permissions" in output
    assert info.value.step == "claim the night" and isinstance(info.value.error, PermissionError)
    assert str(home) in str(info.value)  # the error names the path
    assert listing.exit_code == 0, (listing.output, listing.exception)
    assert page.status_code == 200 and len(page.json()) == 1
    before.assert_intact(home)
    assert leftovers(home) == []
    rerun_completes(trained, home)
