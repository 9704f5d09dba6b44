"""Fuzz the CSV and Parquet readers and the experiment-config loader (bounded, for CI).

Properties: whatever the bytes, reading a dataset either raises ``DatasetError`` (one
clear structural error) or validates it with accepted + rejected = input for every
table; loading a config either works or raises ``ConfigError``. Any other exception
type fails the test: it would be a crash that names nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from forewarn.features.dataset import ValidationReport, load_dataset, summarize
from forewarn.features.readers import DatasetError
from forewarn.flows.experiment import ConfigError, ExperimentConfig, load_experiment

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
ASSETS = "asset_id,asset_type\nA1,press\nA2,robot\n"
# Bounded for CI; FOREWARN_FUZZ_EXAMPLES=5000 digs deeper on a developer's machine.
FUZZ = settings(
    max_examples=int(os.environ.get("FOREWARN_FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ---- the property ------------------------------------------------------------------------


def check_dataset(root: Path) -> ValidationReport | None:
    """Validate ``root`` and assert the accounting holds; None when it was refused."""
    try:
        ds = load_dataset(str(root), as_of=AS_OF)
        report = summarize(ds)
    except DatasetError as exc:
        assert str(exc), "a DatasetError must say something"
        event("refused")
        return None
    event("accepted, some rows rejected" if report.total_rejected else "accepted, no rejects")
    for table, counts in report.counts.items():
        assert counts.accepted + counts.rejected == counts.input, table
    assert ds.rejects.select(pl.len()).collect().item() == report.total_rejected
    accepted = ds.telemetry.select(pl.len()).collect().item()
    assert accepted == report.counts["telemetry"].accepted
    return report


def fresh(tmp_path: Path) -> Path:
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / "assets.csv").write_text(ASSETS, encoding="utf-8")
    return root


# ---- CSV -----------------------------------------------------------------------------------

SPECIAL = [
    "A1", " A2 ", "A9", "", '"', '""', ",", "\n", "\r\n", "<b>x</b>", "'; DROP TABLE t;--",
    "NaN", "inf", "-inf", "1e308", "1e309", "-0", "0x1F", "1_000", "true",
    "2025-01-01T00:00:00Z", "2025-01-01", "2025-01-01 08:00:00+08:00", "1969-12-31T23:00:00Z",
    "2031-01-01", "9999-12-31T23:59:59Z", "0001-01-01", "not-a-time", "\ufeff", "\x00", "泵",
]  # fmt: skip
CELL = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.datetimes(timezones=st.sampled_from([None, UTC])).map(lambda d: d.isoformat()),
    st.text(max_size=10),
)
VALID_HEADER = ["asset_id", "ts", "t1", "t2"]
HEADER = st.one_of(
    *[st.just(VALID_HEADER)] * 4,  # mostly valid, so rows get validated, not just refused
    st.lists(
        st.sampled_from(["asset_id", "ts", "t1", "t2", "", "kind", " ts", "_x", "t1", "a,b"]),
        max_size=6,
    ),
)
ID_CELL = st.one_of(st.sampled_from(["A1", "A2", " A1 ", "A9", "", "<b>", "'; --"]), CELL)
TS_CELL = st.one_of(
    st.datetimes(
        datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=st.sampled_from([None, UTC])
    ).map(lambda d: d.isoformat(sep=" " if d.microsecond % 2 else "T")),
    CELL,
)
VALUE_CELL = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), CELL)
ROW = st.one_of(
    *[st.tuples(ID_CELL, TS_CELL, VALUE_CELL, VALUE_CELL).map(list)] * 12,
    st.lists(CELL, max_size=7),  # ragged or shifted rows
)


EVENT_HEADER = ["asset_id", "ts", "kind", "component", "code"]
KIND_CELL = st.one_of(st.sampled_from(["failure", "alarm", "maintenance", "FAILURE", "boom"]), CELL)
EVENT_ROW = st.tuples(ID_CELL, TS_CELL, KIND_CELL, CELL, CELL).map(list)


@st.composite
def csv_bytes(
    draw: st.DrawFn, header: list[str] | None = None, row: st.SearchStrategy = ROW
) -> bytes:
    header = header if header is not None and draw(st.integers(0, 4)) else draw(HEADER)
    rows = draw(st.lists(row, max_size=10))
    mode = draw(st.sampled_from(["quoted"] * 6 + ["raw", "binary"]))
    if mode == "binary":
        return draw(st.binary(max_size=300))
    if mode == "quoted":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        text = "\n".join(",".join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8"] * 10 + ["latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(telemetry=csv_bytes(), events=st.one_of(st.none(), csv_bytes(EVENT_HEADER, EVENT_ROW)))
@example(telemetry=b"asset_id,ts,t1,_x\nA1,2025-01-01,0.0,0.0\nA1,A1,A1,A1,A1\n", events=None)
def test_fuzzed_csv_never_crashes_and_rows_add_up(
    tmp_path: Path, telemetry: bytes, events: bytes | None
) -> None:
    root = fresh(tmp_path)
    (root / "telemetry.csv").write_bytes(telemetry)
    if events is not None:
        (root / "events.csv").write_bytes(events)
    report = check_dataset(root)
    if report is not None:  # every row Polars reads is counted once
        # Ragged lines the validator never saw whole (their extra field sits in an ignored
        # "_" column) are rows too: read them the same way.
        rows = pl.read_csv(root / "telemetry.csv", infer_schema=False, truncate_ragged_lines=True)
        assert report.counts["telemetry"].input == rows.height


# ---- Parquet -------------------------------------------------------------------------------

ZONES = [None, "UTC", "Asia/Kolkata", "Etc/GMT+5"]


@st.composite
def parquet_frame(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(min_value=0, max_value=8))

    def column(kind: str) -> pl.Series:
        if kind == "float":
            values = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
            return pl.Series(draw(st.lists(values, min_size=n, max_size=n)), dtype=pl.Float64)
        if kind == "int":
            ints = st.integers(min_value=-(2**62), max_value=2**62)
            return pl.Series(draw(st.lists(ints, min_size=n, max_size=n)), dtype=pl.Int64)
        if kind == "str":
            text = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=8))
            return pl.Series(draw(st.lists(text, min_size=n, max_size=n)), dtype=pl.String)
        if kind == "bool":
            return pl.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        if kind == "datetime":
            moments = st.datetimes(datetime(1950, 1, 1), datetime(2100, 1, 1))
            series = pl.Series(draw(st.lists(moments, min_size=n, max_size=n)))
            return series.cast(pl.Datetime("us")).dt.replace_time_zone(draw(st.sampled_from(ZONES)))
        if kind == "date":
            return pl.Series(draw(st.lists(st.dates(), min_size=n, max_size=n)), dtype=pl.Date)
        if kind == "list":
            return pl.Series([[1.0]] * n)
        return pl.Series([None] * n)

    ids = draw(st.sampled_from(["ids", "ids", "ids", "int", "null", "missing"]))
    cols: dict[str, pl.Series] = {}
    if ids == "ids":
        cols["asset_id"] = pl.Series(
            draw(st.lists(st.sampled_from(["A1", "A2", "A9", ""]), min_size=n, max_size=n))
        )
    elif ids != "missing":
        cols["asset_id"] = column(ids if ids == "int" else "null")
    kinds = ["float", "int", "str", "bool", "datetime", "date", "list", "null"]
    ts_kind = draw(st.sampled_from(["datetime"] * 4 + ["str", "date", "int", "missing"]))
    if ts_kind != "missing":
        cols["ts"] = column(ts_kind)
    for i in range(draw(st.integers(min_value=0, max_value=3))):
        cols[f"s{i}"] = column(draw(st.sampled_from(["float", "float", "int", *kinds])))
    return pl.DataFrame(cols)


@FUZZ
@given(
    frame=parquet_frame(),
    damage=st.sampled_from(["none", "none", "truncate", "flip"]),
    data=st.data(),
)
def test_fuzzed_parquet_never_crashes_and_rows_add_up(
    tmp_path: Path, frame: pl.DataFrame, damage: str, data: st.DataObject
) -> None:
    root = fresh(tmp_path)
    buf = io.BytesIO()
    frame.write_parquet(buf)
    raw = bytearray(buf.getvalue())
    if damage == "truncate":
        raw = raw[: data.draw(st.integers(min_value=0, max_value=len(raw) - 1))]
    elif damage == "flip":
        at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[at] ^= 0xFF
    (root / "telemetry.parquet").write_bytes(bytes(raw))
    report = check_dataset(root)
    if report is not None and damage == "none":  # every row written is counted once
        assert report.counts["telemetry"].input == frame.height


# ---- experiment configs ------------------------------------------------------------------

SECTIONS = {
    "features": ["windows", "stats", "sensors", "snapshot_every", "baseline_span", "life_window"],
    "labels": ["horizon", "rul_cap", "downtime", "components"],
    "model": ["seed", "cv_folds", "gap", "calibration", "risk_model_name", "validation_window"],
    "model.lightgbm": ["num_leaves", "learning_rate", "n_estimators"],
    "risk_list": ["budget", "p2_threshold", "p3_threshold"],
    "modle": ["seed"],
}
SCALAR = st.one_of(
    st.sampled_from(["7d", "1d", "-1d", "0h", "1x", "30m", "2w", "", "mean", "median", "isotonic"]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=8),
)
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=4))


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


@st.composite
def config_sections(draw: st.DrawFn) -> dict[str, dict[str, object]]:
    chosen = draw(st.lists(st.sampled_from(sorted(SECTIONS)), unique=True, max_size=4))
    out: dict[str, dict[str, object]] = {}
    for section in chosen:
        keys = draw(
            st.lists(st.sampled_from([*SECTIONS[section], "colour"]), unique=True, max_size=4)
        )
        out[section] = {k: draw(VALUE) for k in keys}
    return out


def as_toml(sections: dict[str, dict[str, object]]) -> str:
    lines = []
    for section, values in sorted(sections.items()):  # parents before children
        lines.append(f"[{section}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def as_yaml(sections: dict[str, dict[str, object]]) -> str:
    nested: dict[str, dict] = {}
    for section, values in sections.items():
        node = nested
        for part in section.split("."):
            node = node.setdefault(part, {})
        node.update(values)
    return yaml.safe_dump(nested, allow_unicode=True)


def load_or_config_error(path: Path) -> None:
    try:
        assert isinstance(load_experiment(path), ExperimentConfig)
    except ConfigError as exc:
        assert str(exc).startswith(str(path))


@FUZZ
@given(sections=config_sections(), fmt=st.sampled_from(["toml", "yaml"]))
def test_fuzzed_configs_load_or_raise_config_error(
    tmp_path: Path, sections: dict[str, dict[str, object]], fmt: str
) -> None:
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / f"exp.{fmt}"
    path.write_text(as_toml(sections) if fmt == "toml" else as_yaml(sections), encoding="utf-8")
    load_or_config_error(path)


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.text(alphabet=st.sampled_from(list("[]=\"'{}:-!&*#\n abc.1dh\\")), max_size=80).map(
            str.encode
        ),
    ),
    fmt=st.sampled_from(["toml", "yaml", "yml"]),
)
def test_fuzzed_config_bytes_load_or_raise_config_error(
    tmp_path: Path, content: bytes, fmt: str
) -> None:
    path = Path(tempfile.mkdtemp(dir=tmp_path)) / f"exp.{fmt}"
    path.write_bytes(content)
    load_or_config_error(path)


@pytest.mark.parametrize("text", ['[features]\nwindows = ["7d"]\n', "features:\n  windows: [7d]\n"])
def test_the_fuzz_emitters_write_loadable_configs(tmp_path: Path, text: str) -> None:
    path = tmp_path / ("exp.toml" if text.startswith("[") else "exp.yaml")
    path.write_text(text)
    assert load_experiment(path).features.windows == ("7d",)
    sections = {"features": {"windows": ["7d"]}, "model.lightgbm": {"num_leaves": 8}}
    for fmt, render in (("toml", as_toml), ("yaml", as_yaml)):
        out = tmp_path / f"gen.{fmt}"
        out.write_text(render(sections))
        assert load_experiment(out).model.lightgbm.num_leaves == 8
