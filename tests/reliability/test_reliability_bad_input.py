"""The bad-input corpus (tests/corpus): every malformed or hostile dataset gets its outcome.

A structural fault is one ``DatasetError`` naming the file (and column or line) and what
to do; anything else is used, with each bad row quarantined under its reason and
accepted + rejected = input for every table. A few cases also run through
``forewarn validate`` as a user runs it (exit code 2 for a refused dataset).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.dataset import load_dataset, summarize
from forewarn.features.readers import DatasetError
from tests.corpus.cases import CASES
from tests.corpus.datasets import AS_OF, Accepted, Case, Refused

BY_NAME = {case.name: case for case in CASES}
DATASET_KINDS = {
    "empty files",
    "header only",
    "missing/renamed columns",
    "wrong types",
    "mixed types",
    "non-UTF-8 CSV",
    "CSV quoting",
    "duplicate rows",
    "out-of-order rows",
    "future timestamps",
    "timestamps before 1970",
    "naive timestamps",
    "mixed time zones",
    "NaN/inf sensor values",
    "1e308 sensor values",
    "events for unknown assets",
    "failure events with no telemetry",
    "single reading",
    "10,000 sensors",
    "truncated Parquet",
    "dataset path does not exist",
    "hostile asset ids",
    # issue 18
    "symlinked partitions",
    "epoch timestamps",
    "descriptive text columns",
    "sensors without values",
    "NUL-filled and binary files",
}
"""The dataset families the issues list (config families: test_reliability_config)."""


def test_the_corpus_covers_every_kind_the_issue_lists() -> None:
    assert {case.kind for case in CASES} >= DATASET_KINDS
    assert len(CASES) >= 25
    assert len(CASES) == len(BY_NAME)  # names are unique: they are the test ids


def check_refused(url: str, outcome: Refused) -> None:
    with pytest.raises(DatasetError) as info:
        summarize(load_dataset(url, as_of=AS_OF))
    message = str(info.value)
    for fragment in outcome.mentions:
        assert fragment in message, message
    assert re.search(outcome.remedy, message), message


def check_accepted(url: str, outcome: Accepted) -> None:
    ds = load_dataset(url, as_of=AS_OF)
    report = summarize(ds)
    assert report.rejects_by_reason == outcome.rejected
    assert {t: c.input for t, c in report.counts.items()} == outcome.inputs
    for table, counts in report.counts.items():
        assert counts.accepted + counts.rejected == counts.input, table
    rejects = ds.rejects.collect()
    assert rejects.height == report.total_rejected
    assert rejects.select("file", "row", "reason").null_count().row(0) == (0, 0, 0)
    accepted = {"telemetry": ds.telemetry, "events": ds.events, "assets": ds.assets}
    for table, counts in report.counts.items():
        assert accepted[table].select(pl.len()).collect().item() == counts.accepted, table
    if outcome.check is not None:
        outcome.check(ds)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gets_its_outcome(case: Case, tmp_path: Path) -> None:
    url = case.build(tmp_path / "data")
    if isinstance(case.outcome, Refused):
        check_refused(url, case.outcome)
    else:
        check_accepted(url, case.outcome)


def forewarn_validate(url: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOREWARN_HOME": str(home), "COLUMNS": "250"}
    argv = [sys.executable, "-m", "forewarn.flows", "validate", url, "--as-of", "2025-06-01"]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.mark.parametrize(
    ("name", "exit_code"),
    [
        ("latin-1 CSV", 2),
        ("hostile asset ids", 0),  # printed verbatim: "[/bold]" once crashed Rich
        ("events for unknown assets", 1),
        ("a shift column of words", 0),  # once every row was rejected: exit 1
    ],
)
def test_forewarn_validate_as_a_user_runs_it(name: str, exit_code: int, tmp_path: Path) -> None:
    case = BY_NAME[name]
    out = forewarn_validate(case.build(tmp_path / "data"), tmp_path / "home")
    assert out.returncode == exit_code, out.stderr
    assert "Traceback" not in out.stderr
    if isinstance(case.outcome, Refused):
        message = " ".join(out.stderr.split())  # Rich wraps long lines
        for fragment in case.outcome.mentions:
            assert " ".join(fragment.split()) in message, message
    else:
        assert "rejected" in out.stdout
    if name == "hostile asset ids":  # asset types are printed verbatim, never as markup
        assert "[/bold]" in out.stdout and '<script>alert("x")</script>' in out.stdout
        # ... and control characters are shown as text, never sent to the terminal
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout
        assert "\\x1b[2J\\x1b[31mred" in out.stdout and "bell\\x07pump" in out.stdout
    if name == "a shift column of words":  # a notice, not a reject
        assert "text columns kept as descriptive, not sensors: shift" in out.stdout
    if exit_code == 1:  # the quarantined rows are on disk with their reasons
        rejects = pl.read_parquet(tmp_path / "home" / "rejects" / "data.parquet")
        assert set(rejects["reason"]) == {"unknown asset_id (not in assets table)"}
