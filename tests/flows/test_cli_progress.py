"""Long commands say what they are doing: one line per step when piped, library warnings
kept in the workspace log, and tables never wrapped at 80 columns."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from forewarn.flows import progress
from forewarn.flows.console_progress import STARTUP_STEP, LineReporter
from forewarn.flows.logfile import capture_library_output, log_path
from tests.flows.conftest import NIGHT, Trained


def _piped(home: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    return subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "--home", str(home), *argv],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_piped_train_prints_each_step_once_no_library_noise_and_unwrapped_tables(
    trained: Trained, home: Path
) -> None:
    out = _piped(home, "train", "--data", str(trained.fleet), "-c", str(trained.config))
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    steps = [line for line in lines if line.startswith("[")]
    assert steps[0].startswith(f"[1/7] {STARTUP_STEP}")
    names = [s.split("] ", 1)[1].rsplit(" (", 1)[0] for s in steps]
    assert names[1:] == [
        "load experiment config", "connect to MLflow", "validate data", "build training frame",
        "train, evaluate and register", "save drift reference",
    ]  # fmt: skip
    assert [s.split("]")[0] for s in steps] == [f"[{i}/7" for i in range(1, 8)]
    assert "forewarn train: done after 7/7 steps in" in out.stderr
    ours = ("forewarn train: done", "library warning")
    noise = [line for line in lines if line not in steps and not any(o in line for o in ours)]
    assert noise == []  # no "INFO mlflow...", no UserWarning, no Prefect log line
    header = next(line for line in out.stdout.splitlines() if "pr auc" in line)
    for column in ("model", "pr auc", "roc auc", "brier", "event recall", "lead hours median"):
        assert column in header  # one header line: the table was not wrapped
    assert max(len(line) for line in out.stdout.splitlines()) > 80


@pytest.mark.slow
def test_piped_score_counts_its_steps_to_the_end(trained: Trained, home: Path) -> None:
    out = _piped(
        home, "score", "--data", str(trained.fleet), "--as-of", NIGHT.isoformat(),
        "-c", str(trained.config),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    steps = [line for line in out.stderr.splitlines() if line.startswith("[")]
    assert [s.split("]")[0] for s in steps] == [f"[{i}/8" for i in range(1, 9)]
    assert "write risk list and report" in steps[-1]
    assert "forewarn score: done after 8/8 steps" in out.stderr


def test_library_warnings_and_log_records_go_to_the_workspace_log(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    loggers = {n: logging.getLogger(n) for n in ("mlflow", "prefect", "py.warnings", "")}
    saved = {n: (lg.handlers[:], lg.propagate) for n, lg in loggers.items()}
    try:
        handler = capture_library_output(tmp_path)
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.warn("numpy says something", RuntimeWarning, stacklevel=1)
        logging.getLogger("mlflow.store").warning("MLflow says something")
        logging.getLogger("prefect.engine").error("Prefect says something")
        handler.flush()
    finally:
        logging.captureWarnings(False)
        for n, (handlers, propagate) in saved.items():
            loggers[n].handlers[:] = handlers
            loggers[n].propagate = propagate
    seen = capfd.readouterr()
    assert "says something" not in seen.err + seen.out
    text = log_path(tmp_path).read_text()
    for source in ("numpy", "MLflow", "Prefect"):
        assert f"{source} says something" in text
    assert handler.count == 3


class _Lines:
    def __init__(self) -> None:
        self.printed: list[str] = []

    def print(self, text: str, **_: object) -> None:
        self.printed.append(text)


def test_repeated_step_names_are_one_step_and_the_total_never_lags() -> None:
    out = _Lines()
    with progress.reporting(LineReporter(out, "forewarn x")):  # type: ignore[arg-type]
        progress.expect(2)
        for name in ("load", "validate data", "validate data", "write", "one more"):
            progress.step(name)
        progress.advance("batches", 1, 3)  # inside a step: not a line of its own
    assert [p.split(" (")[0] for p in out.printed[:-1]] == [
        "[1/2] load", "[2/2] validate data", "[3/3] write", "[4/4] one more"
    ]  # fmt: skip
    assert out.printed[-1].startswith("forewarn x: done after 4/4 steps")
