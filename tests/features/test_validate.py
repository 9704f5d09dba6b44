"""Contract validation: every row fault is quarantined with its reason, every structural
fault is one clear error, and accepted + rejected = input always."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from forewarn.features.contract import Reason
from forewarn.features.dataset import load_dataset, summarize
from forewarn.features.readers import DatasetError
from tests.conftest import write_csv_dataset, write_parquet_dataset

ASSETS = """
asset_id,asset_type,plant,line,installed_at
A1,stamping_press,Lingang,L1,2024-01-01T00:00:00Z
A2,welding_robot,Pudong,L2,2024-03-01
"""
TELEMETRY_CLEAN = """
asset_id,ts,temperature_c,vibration_rms
A1,2025-01-01T00:00:00Z,40.5,2.1
A1,2025-01-01T01:00:00Z,41.0,
A2,2025-01-01T08:00:00+08:00,39.0,1.9
"""
EVENTS = """
asset_id,ts,kind,component,code
A1,2025-01-01T05:00:00Z,failure,bearing,
A2,2025-01-01T03:00:00Z,ALARM,,E101
"""
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)


def reasons(ds) -> dict[str, int]:
    frame = ds.rejects.collect()
    return {r: int(n) for r, n in frame.group_by("reason").len().iter_rows()}


def test_clean_dataset_accepts_everything(tmp_path: Path) -> None:
    root = write_csv_dataset(
        tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY_CLEAN, events=EVENTS
    )
    ds = load_dataset(str(root), as_of=AS_OF)
    report = summarize(ds)
    assert report.total_rejected == 0
    tel = ds.telemetry.collect()
    assert tel.schema["ts"] == pl.Datetime("us", "UTC")
    assert tel.schema["temperature_c"] == pl.Float64
    # +08:00 is converted to UTC; a dropout (empty cell) is a null, not a reject
    assert tel.filter(pl.col("asset_id") == "A2")["ts"][0] == datetime(2025, 1, 1, tzinfo=UTC)
    assert tel["vibration_rms"].null_count() == 1
    assert report.events_by_kind == {"alarm": 1, "failure": 1}
    assert report.sensors == ("temperature_c", "vibration_rms")
    assert report.n_assets == 2


ROW_FAULTS = [
    ("A1,not-a-time,1,1", Reason.BAD_TS),
    (",2025-01-01T02:00:00Z,1,1", Reason.NULL_ASSET),
    ("A9,2025-01-01T02:00:00Z,1,1", Reason.UNKNOWN_ASSET),
    ("A1,2025-01-01T00:00:00Z,7,7", Reason.DUPLICATE + " (asset_id, ts)"),
    ("A1,2025-01-01T03:00:00Z,hot,1", Reason.NON_NUMERIC + " in temperature_c"),
    ("A1,2025-01-01T04:00:00Z,inf,1", Reason.NON_FINITE),
    ("A1,2025-01-01T05:00:00Z,NaN,1", Reason.NON_FINITE),
    ("A1,2031-01-01T00:00:00Z,1,1", Reason.FUTURE_TS),
    ("A1,,1,1", Reason.BAD_TS),
]


@pytest.mark.parametrize(("row", "reason"), ROW_FAULTS)
def test_each_telemetry_row_fault_is_quarantined(tmp_path: Path, row: str, reason: str) -> None:
    root = write_csv_dataset(
        tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY_CLEAN + row, events=EVENTS
    )
    ds = load_dataset(str(root), as_of=AS_OF)
    assert reasons(ds) == {reason: 1}
    rejected = ds.rejects.collect()
    assert rejected["table"][0] == "telemetry"
    assert rejected["row"][0] == 4  # 1-based data row in the file
    assert rejected["file"][0].endswith("telemetry.csv")
    assert ds.telemetry.collect().height == 3


EVENT_FAULTS = [
    ("A1,2025-01-01T05:00:00Z,failure,bearing,", Reason.DUPLICATE + " (identical event)"),
    ("A1,2025-01-01T05:00:00Z,explosion,,", Reason.UNKNOWN_KIND),
    ("A7,2025-01-01T05:00:00Z,failure,,", Reason.UNKNOWN_ASSET),
    ("A1,yesterday,maintenance,,", Reason.BAD_TS),
]


@pytest.mark.parametrize(("row", "reason"), EVENT_FAULTS)
def test_each_event_row_fault_is_quarantined(tmp_path: Path, row: str, reason: str) -> None:
    root = write_csv_dataset(
        tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY_CLEAN, events=EVENTS + row
    )
    found = reasons(load_dataset(str(root), as_of=AS_OF))
    assert len(found) == 1
    assert next(iter(found)).startswith(reason)


def test_asset_faults(tmp_path: Path) -> None:
    assets = ASSETS + "A2,welding_robot,Pudong,L2,\n,conveyor_drive,Jiading,L3,"
    root = write_csv_dataset(tmp_path / "d", assets=assets, telemetry=TELEMETRY_CLEAN)
    ds = load_dataset(str(root))
    assert reasons(ds) == {Reason.DUPLICATE_ASSET: 1, Reason.NULL_ASSET: 1}
    assert ds.assets.collect().height == 2


def test_accepted_plus_rejected_equals_input_on_a_corrupted_dataset(tmp_path: Path) -> None:
    faults = "\n".join(row for row, _ in ROW_FAULTS)
    root = write_csv_dataset(
        tmp_path / "d",
        assets=ASSETS + "A1,dup,x,y,",
        telemetry=TELEMETRY_CLEAN + faults,
        events=EVENTS + "\n".join(row for row, _ in EVENT_FAULTS),
    )
    ds = load_dataset(str(root), as_of=AS_OF)
    report = summarize(ds)
    inputs = {"assets": 3, "telemetry": 3 + len(ROW_FAULTS), "events": 2 + len(EVENT_FAULTS)}
    for table, counts in report.counts.items():
        assert counts.input == inputs[table]
        assert counts.accepted + counts.rejected == counts.input
    rejects = ds.rejects.collect()
    assert rejects.height == report.total_rejected
    assert ds.telemetry.collect().height == report.counts["telemetry"].accepted
    assert ds.events.collect().height == report.counts["events"].accepted
    # the raw values of a rejected row survive as JSON
    assert '"temperature_c":"hot"' in "".join(rejects["raw"].to_list())


def test_events_table_is_optional_and_may_be_empty(tmp_path: Path) -> None:
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry=TELEMETRY_CLEAN)
    report = summarize(load_dataset(str(root)))
    assert report.events_by_kind == {}
    root2 = write_csv_dataset(
        tmp_path / "e", assets=ASSETS, telemetry=TELEMETRY_CLEAN, events="asset_id,ts,kind"
    )
    assert summarize(load_dataset(str(root2))).counts["events"].input == 0


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"telemetry": TELEMETRY_CLEAN}, "missing table 'assets'"),
        ({"assets": ASSETS}, "missing table 'telemetry'"),
        ({"assets": ASSETS, "telemetry": "asset_id,time,temp\nA1,2025-01-01,1"}, "column(s) ts"),
        ({"assets": "asset_id,type\nA1,x", "telemetry": TELEMETRY_CLEAN}, "asset_type"),
        ({"assets": ASSETS, "telemetry": "asset_id,ts\nA1,2025-01-01"}, "no sensor columns"),
        ({"assets": ASSETS, "telemetry": "asset_id,ts,temp"}, "table 'telemetry' is empty"),
        (
            {"assets": "asset_id,asset_type", "telemetry": TELEMETRY_CLEAN},
            "table 'assets' is empty",
        ),
    ],
)
def test_structural_faults_raise_one_clear_error(
    tmp_path: Path, tables: dict[str, str], message: str
) -> None:
    root = write_csv_dataset(tmp_path / "d", **tables)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        summarize(load_dataset(str(root)))


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="dataset folder not found"):
        load_dataset(str(tmp_path / "nope"))


def test_truncated_parquet_names_the_file(tmp_path: Path) -> None:
    tel = pl.DataFrame(
        {
            "asset_id": ["A1"] * 50,
            "ts": [f"2025-01-01T{h % 24:02d}:00:00Z" for h in range(50)],
            "x": range(50),
        }
    )
    root = write_parquet_dataset(tmp_path / "d", telemetry=tel)
    write_csv_dataset(root, assets=ASSETS)
    data = (root / "telemetry.parquet").read_bytes()
    (root / "telemetry.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"telemetry\.parquet"):
        summarize(load_dataset(str(root)))


def test_non_utf8_csv_is_a_clear_error(tmp_path: Path) -> None:
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS)
    (root / "telemetry.csv").write_bytes(
        "asset_id,ts,t\nA1,2025-01-01,1\nA\xe9,2025-01-01,2\n".encode("latin-1")
    )
    with pytest.raises(DatasetError, match="telemetry"):
        summarize(load_dataset(str(root)))


def test_partitioned_parquet_with_typed_columns(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "telemetry" / "month=01").mkdir(parents=True)
    (root / "telemetry" / "month=02").mkdir(parents=True)
    base = datetime(2025, 1, 1)  # naive: the contract reads it as UTC
    part1 = pl.DataFrame({"asset_id": ["A1", "A2"], "ts": [base, base], "temp": [1.0, 2.0]})
    part2 = pl.DataFrame(
        {"asset_id": ["A1"], "ts": [datetime(2025, 2, 1)], "temp": [3], "rpm": [1500]}
    )
    part1.write_parquet(root / "telemetry" / "month=01" / "part-0.parquet")
    part2.write_parquet(root / "telemetry" / "month=02" / "part-0.parquet")
    write_csv_dataset(root, assets=ASSETS)
    ds = load_dataset(str(root))
    tel = ds.telemetry.collect().sort("ts", "asset_id")
    assert tel.height == 3
    assert ds.sensors == ("temp", "rpm")
    assert tel["ts"][0] == datetime(2025, 1, 1, tzinfo=UTC)
    assert tel["rpm"].to_list() == [None, None, 1500.0]


def test_fsspec_memory_url(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/fleet/assets.csv", "w") as fh:
        fh.write(ASSETS.strip() + "\n")
    with fs.open("/fleet/telemetry.csv", "w") as fh:
        fh.write("\n".join(line.strip() for line in TELEMETRY_CLEAN.strip().splitlines()) + "\n")
    report = summarize(load_dataset("memory://fleet"))
    assert report.counts["telemetry"].accepted == 3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_telemetry_since_checks_only_the_window(tmp_path: Path, fmt: str) -> None:
    rows = TELEMETRY_CLEAN + "A1,2024-12-01T00:00:00Z,hot,1\nA1,bad-time,1,1"
    root = write_csv_dataset(tmp_path / "d", assets=ASSETS, telemetry=rows)
    if fmt == "parquet":
        frame = pl.read_csv(root / "telemetry.csv", infer_schema=False).with_columns(
            pl.col("ts").str.to_datetime(strict=False, time_zone="UTC")
        )
        (root / "telemetry.csv").unlink()
        frame.write_parquet(root / "telemetry.parquet")
    since = datetime(2024, 12, 31, tzinfo=UTC)
    report = summarize(load_dataset(str(root), as_of=AS_OF, telemetry_since=since))
    counts = report.counts["telemetry"]
    # the old faulty reading is outside the run; the unparseable one cannot be placed in
    # time, so it is checked (and rejected) rather than silently skipped
    assert (counts.input, counts.accepted, counts.rejected) == (4, 3, 1)
    assert report.rejects_by_reason == {"telemetry: null or unparseable ts": 1}
    whole = summarize(load_dataset(str(root), as_of=AS_OF)).counts["telemetry"]
    assert whole.input == 5


def test_dataset_inside_a_hidden_workspace_skips_only_hidden_files_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default workspace is ./.forewarn: a relative path with a hidden folder in it.
    monkeypatch.chdir(tmp_path)
    root = Path(".forewarn") / "data" / "fleet"
    (root / "telemetry").mkdir(parents=True)
    part = pl.DataFrame({"asset_id": ["A1"], "ts": [datetime(2025, 1, 1)], "temp": [1.0]})
    part.write_parquet(root / "telemetry" / "part-00000.parquet")
    part.write_parquet(root / "telemetry" / ".part-00001.parquet.tmp.parquet")
    write_csv_dataset(root, assets=ASSETS)
    ds = load_dataset(str(root))
    assert [f.rsplit("/", 1)[-1] for f in ds.files["telemetry"]] == ["part-00000.parquet"]
    assert summarize(ds).counts["telemetry"].input == 1
