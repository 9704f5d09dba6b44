"""The bad-input corpus table: one ``Case`` per kind of malformed or hostile input."""

from __future__ import annotations

import gzip

import polars as pl

from forewarn.features.contract import Reason
from tests.corpus.datasets import (
    ASSETS,
    EVENTS,
    HOSTILE_IDS,
    TELEMETRY,
    Accepted,
    Case,
    Link,
    Refused,
    accepted_ts,
    base,
    hostile,
    keeps_ids,
    night_statuses,
    same_rows_as_sorted,
    sensor_count,
    span_ends,
    tel,
    tel_rows,
    text_kept,
    truncated_parquet,
    ts,
    values_of,
    wide,
)

A9 = "A9,pump,Pudong,L2,\n"  # an asset used by the time-zone and value cases
TEL_IN = {"assets": 3, "telemetry": 4, "events": 2}


def _with(**inputs: int) -> dict[str, int]:
    return {**TEL_IN, **inputs}


CASES: tuple[Case, ...] = (
    # -- empty files and header-only tables
    Case(
        "empty telemetry file",
        "empty files",
        base({"telemetry.csv": ""}),
        Refused(("telemetry.csv", "empty"), r"re-export"),
    ),
    Case(
        "empty assets file",
        "empty files",
        base({"assets.csv": ""}),
        Refused(("assets.csv", "empty"), r"re-export"),
    ),
    Case("empty events file", "empty files", base({"events.csv": b""}), Accepted(_with(events=0))),
    Case(
        "header-only telemetry",
        "header only",
        base({"telemetry.csv": "asset_id,ts,temperature_c\n"}),
        Refused(("telemetry.csv", "is empty"), r"needs at least one row"),
    ),
    Case(
        "header-only events",
        "header only",
        base({"events.csv": "asset_id,ts,kind\n"}),
        Accepted(_with(events=0)),
    ),
    Case(
        "zero-byte parquet",
        "empty files",
        base({"telemetry.csv": None, "telemetry.parquet": b""}),
        Refused(("telemetry.parquet",), r"Re-export"),
    ),
    # -- missing and renamed columns
    Case(
        "missing ts column",
        "missing/renamed columns",
        base({"telemetry.csv": "asset_id,time,temperature_c\nA1,2025-01-01,1\n"}),
        Refused(("telemetry.csv", "ts", "found: asset_id, time"), r"Rename or add"),
    ),
    Case(
        "renamed asset_id column",
        "missing/renamed columns",
        base({"assets.csv": "AssetID,asset_type\nA1,press\n"}),
        Refused(("assets.csv", "asset_id", "AssetID"), r"Rename or add"),
    ),
    Case(
        "events without kind",
        "missing/renamed columns",
        base({"events.csv": "asset_id,ts,type\nA1,2025-01-01,failure\n"}),
        Refused(("events.csv", "kind"), r"Rename or add"),
    ),
    Case(
        "semicolon-separated CSV",
        "missing/renamed columns",
        base({"telemetry.csv": TELEMETRY.replace(",", ";")}),
        Refused(("telemetry.csv", "asset_id;ts"), r"Rename or add"),
    ),
    Case(
        "telemetry without sensors",
        "missing/renamed columns",
        base({"telemetry.csv": "asset_id,ts\nA1,2025-01-01\n"}),
        Refused(("telemetry.csv", "no sensor columns"), r"Add one numeric column"),
    ),
    Case(
        "repeated header column",
        "missing/renamed columns",
        base({"telemetry.csv": "asset_id,ts,temp,temp\nA1,2025-01-01,1,2\n"}),
        Refused(("telemetry.csv", "temp", "more than once"), r"Rename or drop"),
    ),
    # -- wrong and mixed types
    Case(
        "integer ts in parquet",
        "wrong types",
        base(
            {
                "telemetry.csv": None,
                "telemetry.parquet": tel({"asset_id": ["A1"], "ts": [1735689600], "t": [1.0]}),
            }
        ),
        Refused(("telemetry", "'ts'", "Int64"), r"Store datetimes, or ISO-8601"),
    ),
    Case(
        "list-valued sensor",
        "wrong types",
        base(
            {
                "telemetry.csv": None,
                "telemetry.parquet": tel(
                    {"asset_id": ["A1"], "ts": ts("2025-01-01"), "t": [[1.0]]}
                ),
            }
        ),
        Refused(("telemetry", "'t'", "List"), r"export it as numeric"),
    ),
    Case(
        "text sensor column in parquet",
        "wrong types",
        base(
            {
                "telemetry.csv": None,
                "telemetry.parquet": tel(
                    {
                        "asset_id": ["A1", "A1"],
                        "ts": ts("2025-01-01", "2025-01-02"),
                        "t": ["1.5", "hot"],
                    }
                ),
            }
        ),
        Accepted(_with(telemetry=2), {f"telemetry: {Reason.NON_NUMERIC} in t": 1}),
    ),
    Case(
        "integer asset ids",
        "wrong types",
        lambda: {
            "assets.parquet": tel({"asset_id": [1, 2], "asset_type": ["a", "b"]}),
            "telemetry.parquet": tel(
                {"asset_id": [1, 2], "ts": ts("2025-01-01", "2025-01-01"), "t": [1.0, 2.0]}
            ),
        },
        Accepted({"assets": 2, "telemetry": 2}),
    ),
    Case(
        "numbers and text in one column",
        "mixed types",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A1,2025-01-02T00:00:00Z,hot,2", "A1,2025-01-03T00:00:00Z,40,n/a"
                )
            }
        ),
        Accepted(
            _with(telemetry=6),
            {
                f"telemetry: {Reason.NON_NUMERIC} in temperature_c": 1,
                f"telemetry: {Reason.NON_NUMERIC} in vibration_rms": 1,
            },
        ),
    ),
    Case(
        "partitions disagree on a type",
        "mixed types",
        lambda: {
            "assets.csv": ASSETS,
            "telemetry/month=01/p.parquet": tel(
                {"asset_id": ["A1"], "ts": ts("2025-01-01"), "t": [1.0]}
            ),
            "telemetry/month=02/p.parquet": tel(
                {"asset_id": ["A1"], "ts": ["2025-02-01"], "t": ["x"]}
            ),
        },
        Accepted({"assets": 3, "telemetry": 2}, {f"telemetry: {Reason.NON_NUMERIC} in t": 1}),
    ),
    Case(
        "CSV and parquet mixed in a table",
        "mixed types",
        lambda: {
            "assets.csv": ASSETS,
            "telemetry/a.csv": TELEMETRY,
            "telemetry/b.parquet": tel({"asset_id": ["A1"], "ts": ts("2025-01-01"), "t": [1.0]}),
        },
        Refused(("telemetry", "mixes CSV and Parquet"), r"convert them to one format"),
    ),
    # -- encodings and CSV syntax
    Case(
        "latin-1 CSV",
        "non-UTF-8 CSV",
        base(
            {"telemetry.csv": "asset_id,ts,t\nA1,2025-01-01,1\nAé,2025-01-01,2\n".encode("latin-1")}
        ),
        Refused(("telemetry",), r"Save CSV files as UTF-8"),
    ),
    Case(
        "UTF-16 CSV",
        "non-UTF-8 CSV",
        base({"telemetry.csv": TELEMETRY.encode("utf-16")}),
        Refused(("telemetry.csv", "UTF-16"), r"Save CSV files as UTF-8"),
    ),
    Case(
        "UTF-8 with BOM (Excel)",
        "non-UTF-8 CSV",
        base({"telemetry.csv": "\ufeff" + TELEMETRY}),
        Accepted(TEL_IN),
    ),
    Case(
        "gzip bytes named .csv",
        "non-UTF-8 CSV",
        base({"telemetry.csv": gzip.compress(TELEMETRY.encode())}),
        Accepted(TEL_IN),
    ),
    Case(
        "quoted delimiters, quotes and newlines",
        "CSV quoting",
        lambda: {
            "assets.csv": 'asset_id,asset_type\n"A,1","pr""ess"\n"A\n2",robot\n',
            "telemetry.csv": 'asset_id,ts,t\n"A,1",2025-01-01,1\n"A\n2",2025-01-01,"2"\n',
            "events.csv": (
                'asset_id,ts,kind,component,code\n"A,1",2025-01-01,alarm,"seal, ""main""","E\n1"\n'
            ),
        },
        Accepted({"assets": 2, "telemetry": 2, "events": 1}, check=keeps_ids(("A,1", "A\n2"))),
    ),
    Case(
        "row with extra fields",
        "CSV quoting",
        base({"telemetry.csv": tel_rows("A1,2025-01-02T00:00:00Z,1,2,3")}),
        Refused(("telemetry.csv", "line 6", "5 fields"), r"quote values that contain commas"),
    ),
    Case(
        "unclosed quote",
        "CSV quoting",
        base({"telemetry.csv": tel_rows('"A1,2025-01-03T00:00:00Z,5,1')}),
        Refused(("telemetry",), r"cannot be read"),
    ),
    Case(
        "row with too few fields",
        "CSV quoting",
        base({"telemetry.csv": tel_rows("A1")}),
        Accepted(_with(telemetry=5), {f"telemetry: {Reason.BAD_TS}": 1}),
    ),
    Case(
        "NUL byte in a value",
        "CSV quoting",
        base({"telemetry.csv": tel_rows("A1,2025-01-02T00:00:00Z,1\x002,1")}),
        Accepted(_with(telemetry=5), {f"telemetry: {Reason.NON_NUMERIC} in temperature_c": 1}),
    ),
    # -- keys, duplicates, order
    Case(
        "duplicate telemetry rows",
        "duplicate rows",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A1,2025-01-01T00:00:00Z,40.5,2.1", "A1,2025-01-01T00:00:00Z,40.5,2.1"
                )
            }
        ),
        Accepted(_with(telemetry=6), {f"telemetry: {Reason.DUPLICATE} (asset_id, ts)": 2}),
    ),
    Case(
        "duplicate events",
        "duplicate rows",
        base({"events.csv": EVENTS + "A1,2025-01-01T05:00:00Z,failure,bearing,\n"}),
        Accepted(_with(events=3), {f"events: {Reason.DUPLICATE} (identical event)": 1}),
    ),
    Case(
        "duplicate assets",
        "duplicate rows",
        base({"assets.csv": ASSETS + "A1,other,x,y,\n"}),
        Accepted(_with(assets=4), {f"assets: {Reason.DUPLICATE_ASSET}": 1}),
    ),
    Case(
        "rows out of order",
        "out-of-order rows",
        base(
            {
                "telemetry.csv": "asset_id,ts,temperature_c,vibration_rms\n"
                + "".join(reversed(TELEMETRY.splitlines(True)[1:]))
            }
        ),
        Accepted(TEL_IN, check=same_rows_as_sorted),
    ),
    Case(
        "null and blank asset ids",
        "keys",
        base(
            {"telemetry.csv": tel_rows(",2025-01-02T00:00:00Z,1,1", "   ,2025-01-03T00:00:00Z,1,1")}
        ),
        Accepted(_with(telemetry=6), {f"telemetry: {Reason.NULL_ASSET}": 2}),
    ),
    Case(
        "unknown event kind",
        "keys",
        base({"events.csv": EVENTS + "A1,2025-01-02,explosion,,\nA1,2025-01-03,,,\n"}),
        Accepted(
            _with(events=4),
            {f"events: {Reason.UNKNOWN_KIND} (expected one of failure, maintenance, alarm)": 2},
        ),
    ),
    # -- time
    Case(
        "timestamps in the future",
        "future timestamps",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A1,2031-01-01T00:00:00Z,1,1", "A1,9999-12-31T23:59:59Z,1,1"
                )
            }
        ),
        Accepted(_with(telemetry=6), {f"telemetry: {Reason.FUTURE_TS}": 2}),
    ),
    Case(
        "events in the future",
        "future timestamps",
        base({"events.csv": EVENTS + "A1,2030-01-01,failure,,\n"}),
        Accepted(_with(events=3), {f"events: {Reason.FUTURE_TS}": 1}),
    ),
    Case(
        "timestamps before 1970",
        "timestamps before 1970",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A1,1969-12-31T23:59:59Z,1,1",
                    "A1,1900-01-01,1,1",
                    "A1,0001-01-01T00:00:00Z,1,1",
                ),
                "events.csv": EVENTS + "A2,1960-05-01,maintenance,,\n",
            }
        ),
        Accepted(
            _with(telemetry=7, events=3),
            {f"telemetry: {Reason.PRE_EPOCH_TS}": 3, f"events: {Reason.PRE_EPOCH_TS}": 1},
        ),
    ),
    Case(
        "naive timestamps",
        "naive timestamps",
        base(
            {
                "assets.csv": ASSETS + A9,
                "telemetry.csv": tel_rows("A9,2025-01-01 08:00:00,1,1", "A9,2025-01-02,2,2"),
            }
        ),
        Accepted(
            _with(assets=4, telemetry=6),
            check=accepted_ts(ts("2025-01-01T08:00:00+00:00", "2025-01-02T00:00:00+00:00")),
        ),
    ),
    Case(
        "mixed time zones",
        "mixed time zones",
        base(
            {
                "assets.csv": ASSETS + A9,
                "telemetry.csv": tel_rows(
                    "A9,2025-01-01T08:00:00+08:00,1,1",
                    "A9,2025-01-01T01:00:00Z,2,2",
                    "A9,2024-12-31T21:00:00-05:00,3,3",
                    "A9,2025-01-01T03:00:00+0000,4,4",
                ),
            }
        ),
        Accepted(
            _with(assets=4, telemetry=8),
            check=accepted_ts(
                ts(
                    "2025-01-01T00:00:00+00:00",
                    "2025-01-01T01:00:00+00:00",
                    "2025-01-01T02:00:00+00:00",
                    "2025-01-01T03:00:00+00:00",
                )
            ),
        ),
    ),
    Case(
        "parquet in a local zone",
        "mixed time zones",
        base(
            {
                "assets.csv": ASSETS + A9,
                "telemetry.csv": None,
                "telemetry.parquet": tel(
                    {"asset_id": ["A9"], "ts": ts("2025-01-01T08:00:00"), "t": [1.0]}
                ).with_columns(pl.col("ts").dt.replace_time_zone("Asia/Shanghai")),
            }
        ),
        Accepted(
            {"assets": 4, "telemetry": 1, "events": 2},
            check=accepted_ts(ts("2025-01-01T00:00:00+00:00")),
        ),
    ),
    Case(
        "unparseable timestamps",
        "unparseable timestamps",
        base(
            {"telemetry.csv": tel_rows("A1,yesterday,1,1", "A1,2025-13-45T99:00:00,1,1", "A1,,1,1")}
        ),
        Accepted(_with(telemetry=7), {f"telemetry: {Reason.BAD_TS}": 3}),
    ),
    # -- sensor values
    Case(
        "NaN and infinities",
        "NaN/inf sensor values",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A1,2025-01-02T00:00:00Z,NaN,1",
                    "A1,2025-01-03T00:00:00Z,inf,1",
                    "A1,2025-01-04T00:00:00Z,1,-inf",
                    "A1,2025-01-05T00:00:00Z,1e309,1",
                )
            }
        ),
        Accepted(_with(telemetry=8), {f"telemetry: {Reason.NON_FINITE}": 4}),
    ),
    Case(
        "huge finite values",
        "1e308 sensor values",
        base(
            {
                "assets.csv": ASSETS + A9,
                "telemetry.csv": tel_rows(
                    "A9,2025-01-02T00:00:00Z,1e308,1",
                    "A9,2025-01-03T00:00:00Z,-1e308,1",
                    "A9,2025-01-04T00:00:00Z,5e-324,1",
                ),
            }
        ),
        Accepted(
            _with(assets=4, telemetry=7), check=values_of("temperature_c", [1e308, -1e308, 5e-324])
        ),
    ),
    # -- assets and events
    Case(
        "events for unknown assets",
        "events for unknown assets",
        base(
            {"events.csv": EVENTS + "A7,2025-01-01T05:00:00Z,failure,,\nA8,2025-01-02,alarm,,E1\n"}
        ),
        Accepted(_with(events=4), {f"events: {Reason.UNKNOWN_ASSET}": 2}),
    ),
    Case(
        "telemetry for unknown assets",
        "events for unknown assets",
        base({"telemetry.csv": tel_rows("ZZ,2025-01-02T00:00:00Z,1,1")}),
        Accepted(_with(telemetry=5), {f"telemetry: {Reason.UNKNOWN_ASSET}": 1}),
    ),
    Case(
        "failure events with no telemetry",
        "failure events with no telemetry",
        base(
            {
                "assets.csv": ASSETS + A9,
                "events.csv": EVENTS + "A9,2025-01-01T05:00:00Z,failure,seal,\n",
            }
        ),
        Accepted(_with(assets=4, events=3)),
    ),
    Case(
        "asset with a single reading",
        "single reading",
        base({"assets.csv": ASSETS + A9, "telemetry.csv": tel_rows("A9,2025-01-02T00:00:00Z,1,1")}),
        Accepted(_with(assets=4, telemetry=5)),
    ),
    Case(
        "10,000 sensors wide",
        "10,000 sensors",
        wide(10_000),
        Accepted({"assets": 3, "telemetry": 3}, check=sensor_count(10_000)),
    ),
    # -- files and paths
    Case(
        "truncated parquet",
        "truncated Parquet",
        base({"telemetry.csv": None, "telemetry.parquet": truncated_parquet()}),
        Refused(("telemetry.parquet",), r"truncated or partial file must be replaced"),
    ),
    Case(
        "CSV text named .parquet",
        "truncated Parquet",
        base({"telemetry.csv": None, "telemetry.parquet": TELEMETRY.encode()}),
        Refused(("telemetry.parquet",), r"Re-export"),
    ),
    Case(
        "dataset path does not exist",
        "dataset path does not exist",
        None,
        Refused(("no-such-dataset", "not found"), r"Pass a folder"),
    ),
    Case(
        "telemetry table missing",
        "dataset path does not exist",
        base({"telemetry.csv": None}),
        Refused(("missing table 'telemetry'",), r"Add telemetry\.parquet"),
    ),
    Case(
        "only a crashed writer's temp file",
        "dataset path does not exist",
        base({"telemetry.csv": None, "telemetry/.part-0.parquet.tmp-9": b"PAR1"}),
        Refused(("missing table 'telemetry'",), r"Add telemetry"),
    ),
    # -- hostile identifiers
    Case(
        "hostile asset ids",
        "hostile asset ids",
        hostile,
        Accepted(
            {"assets": len(HOSTILE_IDS), "telemetry": len(HOSTILE_IDS)},
            check=keeps_ids(HOSTILE_IDS),
        ),
    ),
    Case(
        "very long asset id",
        "hostile asset ids",
        lambda: {
            "assets.csv": "asset_id,asset_type\n" + "X" * 5000 + ",press\n",
            "telemetry.csv": "asset_id,ts,t\n" + "X" * 5000 + ",2025-01-01,1\n",
        },
        Accepted({"assets": 1, "telemetry": 1}, check=keeps_ids(("X" * 5000,))),
    ),
)
"""Every dataset case; ``test_reliability_bad_input`` runs each one."""

SENSORS = ("temperature_c", "vibration_rms")
MARCH = "asset_id,ts,temperature_c,vibration_rms\nA1,2025-03-01T00:00:00Z,42.0,2.4\n"

SECOND_ROUND: tuple[Case, ...] = (
    # -- issue 18, items 1-7: data read wrongly or silently lost
    Case(
        "symlinked partition folder",
        "symlinked partitions",
        base(
            {
                "telemetry.csv": None,
                "telemetry/month=01/p.csv": TELEMETRY,
                "archive/2025-03/p.csv": MARCH,
                "telemetry/month=03": Link("archive/2025-03"),
            }
        ),
        Accepted(_with(telemetry=5), check=span_ends(ts("2025-03-01T00:00:00+00:00")[0])),
    ),
    Case(
        "symlink loop below a table",
        "symlinked partitions",
        base(
            {
                "telemetry.csv": None,
                "telemetry/month=01/p.csv": TELEMETRY,
                "telemetry/month=01/again": Link("telemetry"),
            }
        ),
        Accepted(TEL_IN),
    ),
    Case(
        "epoch seconds in a CSV ts",
        "epoch timestamps",
        base({"telemetry.csv": "asset_id,ts,t\nA1,1735689600,1\nA1,1735693200,2\n"}),
        Refused(
            ("telemetry.csv", "'ts'", "holds numbers", "epoch seconds", "2025-01-01T00:00:00Z"),
            r"Store datetimes, or ISO-8601",
        ),
    ),
    Case(
        "epoch milliseconds in a CSV ts",
        "epoch timestamps",
        base({"telemetry.csv": "asset_id,ts,t\nA1,1735689600000,1\n"}),
        Refused(("telemetry.csv", "'ts'", "epoch milliseconds"), r"Store datetimes, or ISO"),
    ),
    Case(
        "epoch seconds in an events CSV",
        "epoch timestamps",
        base({"events.csv": "asset_id,ts,kind\nA1,1735707600,failure\n"}),
        Refused(("events.csv", "table 'events'", "epoch seconds"), r"Store datetimes, or ISO"),
    ),
    Case(
        "a shift column of words",
        "descriptive text columns",
        base(
            {
                "telemetry.csv": "asset_id,ts,temperature_c,shift,vibration_rms\n"
                "A1,2025-01-01T00:00:00Z,40.5,night,2.1\n"
                "A1,2025-01-01T01:00:00Z,41.0,,2.2\n"
                "A2,2025-01-01T00:00:00Z,39.0,early,1.9\n"
                "A3,2025-01-01T00:00:00Z,38.0,late,1.5\n"
            }
        ),
        Accepted(TEL_IN, check=text_kept(("shift",), SENSORS)),
    ),
    Case(
        "ASSET_ID copy beside asset_id",
        "descriptive text columns",
        base(
            {
                "telemetry.csv": "asset_id,ASSET_ID,ts,temperature_c,vibration_rms\n"
                + "".join(f"{r[:2]},{r}\n" for r in TELEMETRY.splitlines()[1:])
            }
        ),
        Accepted(TEL_IN, check=text_kept(("ASSET_ID",), SENSORS)),
    ),
    Case(
        "categorical text column in parquet",
        "descriptive text columns",
        base(
            {
                "telemetry.csv": None,
                "telemetry.parquet": tel(
                    {
                        "asset_id": ["A1", "A2"],
                        "ts": ts("2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"),
                        "temperature_c": [40.5, 39.0],
                        "line": ["L1", "L2"],
                    }
                ).with_columns(pl.col("line").cast(pl.Categorical)),
            }
        ),
        Accepted(
            {"assets": 3, "telemetry": 2, "events": 2},
            check=text_kept(("line",), ("temperature_c",)),
        ),
    ),
    Case(
        "only text columns besides the keys",
        "descriptive text columns",
        base({"telemetry.csv": "asset_id,ts,shift\nA1,2025-01-01,night\n"}),
        Refused(("telemetry.csv", "no sensor columns", "shift"), r"Add one numeric column"),
    ),
    Case(
        "dead sensors behind a live gateway",
        "sensors without values",
        base(
            {
                "telemetry.csv": tel_rows(
                    "A2,2025-01-01T12:00:00Z,,",
                    "A2,2025-01-02T00:00:00Z,,",
                    "A3,2025-01-01T12:00:00Z,38.5,",
                    "A3,2025-01-02T00:00:00Z,38.7,",
                )
                .replace("A2,2025-01-01T00:00:00Z,39.0,1.9", "A2,2024-11-01T00:00:00Z,39.0,1.9")
                .replace("A3,2025-01-01T00:00:00Z,38.0,1.5", "A3,2025-01-01T00:00:00Z,38.0,")
            }
        ),
        Accepted(
            _with(telemetry=8),
            check=night_statuses(
                SENSORS,
                {
                    "A1": ("scored", None),
                    "A2": ("unscorable", "no sensor the model reads has a value"),
                    "A3": ("unscorable", "no value of vibration_rms"),
                },
            ),
        ),
    ),
    Case(
        "one partition without a sensor",
        "sensors without values",
        base(
            {
                "telemetry.csv": None,
                "telemetry/plant=L/p.csv": TELEMETRY.replace(
                    "A3,2025-01-01T00:00:00Z,38.0,1.5\n", ""
                ),
                "telemetry/plant=P/p.csv": "asset_id,ts,temperature_c\nA3,2025-01-01,38\n",
            }
        ),
        Accepted(
            TEL_IN,
            check=night_statuses(
                SENSORS,
                {
                    "A1": ("scored", None),
                    "A2": ("scored", None),
                    "A3": ("unscorable", "no value of vibration_rms"),
                },
            ),
        ),
    ),
    Case(
        "a sensor gone quiet three days ago",
        "sensors without values",
        base(
            {
                "telemetry.csv": "asset_id,ts,temperature_c,vibration_rms\n"
                "A1,2024-12-30T00:00:00Z,40.0,2.0\n"
                "A1,2025-01-01T00:00:00Z,40.5,\n"
                "A1,2025-01-01T01:00:00Z,41.0,\n"
                "A2,2025-01-01T00:00:00Z,39.0,1.9\n"
            }
        ),
        Accepted(
            TEL_IN,
            check=night_statuses(
                SENSORS,
                {
                    "A1": ("stale", "no value of vibration_rms for 72.0 h"),
                    "A2": ("scored", None),
                    "A3": ("unscorable", "no telemetry in the last 30d"),
                },
            ),
        ),
    ),
    Case(
        "NUL-filled telemetry.csv",
        "NUL-filled and binary files",
        base({"telemetry.csv": bytes(200_000)}),
        Refused(("telemetry.csv", "only NUL bytes"), r"Replace it with a fresh export"),
    ),
    Case(
        "NUL-filled telemetry.parquet",
        "NUL-filled and binary files",
        base({"telemetry.csv": None, "telemetry.parquet": bytes(5_000)}),
        Refused(("telemetry.parquet", "only NUL bytes"), r"Replace it with a fresh export"),
    ),
    Case(
        "Excel workbook named .csv",
        "NUL-filled and binary files",
        base({"telemetry.csv": b"PK\x03\x04" + bytes(300) + b"[Content_Types].xml"}),
        Refused(("telemetry.csv", "ZIP archive"), r"export the sheet as CSV UTF-8"),
    ),
)
"""Issue 18's data cases (README counts them with the rest)."""

CASES = CASES + SECOND_ROUND
