"""Which files a table is read from, and what is refused before any parser sees it.

Issue 18: a symlinked partition folder was skipped silently (a month of readings lost);
a 2 GB file of NUL bytes named telemetry.csv was read whole as one header line (53 s,
6.6 GB) and then called UTF-16.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from forewarn.features import readers, sniff
from forewarn.features.dataset import load_dataset, summarize
from forewarn.features.readers import DatasetError, locate_tables

ASSETS = "asset_id,asset_type\nA1,press\n"


def _table(root: Path, rel: str, rows: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("asset_id,ts,t\n" + rows, encoding="utf-8")


def test_a_symlinked_partition_folder_is_read(tmp_path: Path) -> None:
    data, archive = tmp_path / "data", tmp_path / "archive"
    (data).mkdir()
    (data / "assets.csv").write_text(ASSETS, encoding="utf-8")
    _table(data, "telemetry/month=01/p.csv", "A1,2025-01-01,1\n")
    _table(archive, "03/p.csv", "A1,2025-03-01,3\nA1,2025-03-02,4\n")
    (data / "telemetry" / "month=03").symlink_to(archive / "03", target_is_directory=True)
    files = locate_tables(str(data))["telemetry"].files
    assert files == (
        f"{data}/telemetry/month=01/p.csv",
        f"{data}/telemetry/month=03/p.csv",  # named as the dataset shows it
    )
    report = summarize(load_dataset(str(data)))
    assert report.counts["telemetry"].input == 3
    assert report.end is not None and report.end.month == 3


def test_link_loops_and_two_links_to_one_folder_read_each_file_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _table(data, "telemetry/a/p.csv", "A1,2025-01-01,1\n")
    (data / "assets.csv").write_text(ASSETS, encoding="utf-8")
    (data / "telemetry" / "a" / "loop").symlink_to(data / "telemetry", target_is_directory=True)
    (data / "telemetry" / "b").symlink_to(data / "telemetry" / "a", target_is_directory=True)
    assert locate_tables(str(data))["telemetry"].files == (f"{data}/telemetry/a/p.csv",)


def test_a_nul_filled_csv_is_refused_from_a_bounded_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "assets.csv").write_text(ASSETS, encoding="utf-8")
    with (data / "telemetry.csv").open("wb") as handle:  # 16 sniff limits of zeros, sparse
        handle.truncate(16 * sniff.SNIFF_BYTES)
    reads: list[int] = []
    real_prefix = sniff.read_prefix

    def counted(path: str, limit: int = sniff.SNIFF_BYTES) -> bytes:
        out = real_prefix(path, limit)
        reads.append(len(out))
        return out

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the CSV parser was handed a file the sniff should refuse")

    monkeypatch.setattr(readers, "read_prefix", counted)
    monkeypatch.setattr(pl, "scan_csv", no_parse)
    started = time.perf_counter()
    with pytest.raises(DatasetError, match="only NUL bytes") as info:
        load_dataset(str(data))
    assert time.perf_counter() - started < 5
    assert "telemetry.csv" in str(info.value) and "UTF-16" not in str(info.value)
    assert reads and max(reads) <= sniff.SNIFF_BYTES


@pytest.mark.parametrize(
    ("prefix", "verdict"),
    [
        (bytes(10), "only NUL bytes"),
        ("asset_id,ts\n".encode("utf-16-le"), "UTF-16"),  # no BOM: every other byte NUL
        ("asset_id,ts\n".encode("utf-16"), "UTF-16"),
        (b"PAR1" + bytes(100), "Parquet file"),
        (b"\x00\x01\x02" * 100 + b"abc", "binary data"),
        (b"asset_id,ts,t\nA1,2025-01-01,1\x002\n", None),  # a stray NUL: a row reject
        (b"\x1f\x8b\x08\x00" + bytes(100), None),  # gzip: the parser decompresses it
        (b"", None),
    ],
)
def test_describe_csv_names_what_a_file_is(prefix: bytes, verdict: str | None) -> None:
    got = sniff.describe_csv(prefix)
    assert (got is None) if verdict is None else (verdict in (got or "")), got


def test_a_partition_folder_that_cannot_be_listed_is_a_structural_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    data = tmp_path / "data"
    _table(data, "telemetry/a/p.csv", "A1,2025-01-01,1\n")
    _table(data, "telemetry/b/p.csv", "A1,2025-01-02,1\n")
    (data / "assets.csv").write_text(ASSETS, encoding="utf-8")
    locked, real_scandir = str(data / "telemetry" / "b"), os.scandir

    def scandir(path: str = ".") -> object:  # as for a folder without read permission
        if str(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DatasetError, match="telemetry/b: cannot list this folder"):
        locate_tables(str(data))
