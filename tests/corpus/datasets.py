"""The bad-input corpus: malformed and hostile datasets, each with the outcome it must get.

Every case is a small dataset folder built by code (so a reviewer reads the bytes here,
not in a binary fixture) and one expected outcome:

- ``Refused``: a structural fault. ``load_dataset``/``summarize`` raise ``DatasetError``
  whose message names the file (and column or line) and says what to do.
- ``Accepted``: the run goes on. Bad rows are quarantined with exactly the listed reasons,
  accepted + rejected = input for every table, and an optional ``check`` verifies what was
  accepted (time-zone conversion, hostile ids kept verbatim, ...).

Where the contract is silent the outcome below is the decision, documented in README's
data-contract section: 1e308 is finite and accepted (range checks belong to monitoring);
readings before 1970 are rejected; a 0-byte events file is an empty events table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from forewarn.features.dataset import Dataset

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)

ASSETS = (
    "asset_id,asset_type,plant,line,installed_at\n"
    "A1,stamping_press,Lingang,L1,2024-01-01T00:00:00Z\n"
    "A2,welding_robot,Pudong,L2,2024-03-01\n"
    "A3,paint_pump,Pudong,L2,\n"
)
TELEMETRY = (
    "asset_id,ts,temperature_c,vibration_rms\n"
    "A1,2025-01-01T00:00:00Z,40.5,2.1\n"
    "A1,2025-01-01T01:00:00Z,41.0,2.2\n"
    "A2,2025-01-01T00:00:00Z,39.0,1.9\n"
    "A3,2025-01-01T00:00:00Z,38.0,1.5\n"
)
EVENTS = (
    "asset_id,ts,kind,component,code\n"
    "A1,2025-01-01T05:00:00Z,failure,bearing,\n"
    "A2,2025-01-01T03:00:00Z,alarm,,E101\n"
)
HOSTILE_IDS = (
    "pump 7",  # inner space (outer spaces are stripped, as for every text key)
    "泵-3 Ä",  # unicode
    '<script>alert("x")</script>',  # HTML
    "'; DROP TABLE scores; --",  # SQL metacharacters
    '=HYPERLINK("http://x")',  # a spreadsheet formula
    "[/bold]",  # Rich console markup
    "bell\x07pump",  # a control character (openpyxl refused it: no report that night)
    "\x1b[2J\x1b[31mred",  # terminal escape codes: clear the screen, print red
)


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target``, a path inside the dataset root (``.`` for the root)."""

    target: str


Content = str | bytes | pl.DataFrame | Link
Files = dict[str, Content]


@dataclass(frozen=True)
class Refused:
    """A structural fault: one ``DatasetError`` naming ``mentions`` and a ``remedy``."""

    mentions: tuple[str, ...]
    remedy: str  # regex: the message says what to do


@dataclass(frozen=True)
class Accepted:
    """The dataset is used; ``rejected`` lists quarantined rows as ``"table: reason"``."""

    inputs: dict[str, int]
    rejected: dict[str, int] = field(default_factory=dict)
    check: Callable[[Dataset], None] | None = None


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to build it and what must happen."""

    name: str
    kind: str  # the family in the list (README counts these)
    files: Callable[[], Files] | None  # None: the dataset path does not exist
    outcome: Refused | Accepted

    def build(self, root: Path) -> str:
        """Write the dataset under ``root`` and return its URL."""
        if self.files is None:
            return str(root / "no-such-dataset")
        for name, content in self.files().items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Link):
                path.symlink_to(root / content.target, target_is_directory=True)
            elif isinstance(content, pl.DataFrame):
                content.write_parquet(path)
            elif isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return str(root)


def base(changes: dict[str, Content | None] | None = None) -> Callable[[], Files]:
    """The clean three-table dataset with some files replaced (``None`` removes one)."""

    def files() -> Files:
        out: Files = {"assets.csv": ASSETS, "telemetry.csv": TELEMETRY, "events.csv": EVENTS}
        for name, content in (changes or {}).items():
            if content is None:
                out.pop(name, None)
            else:
                out[name] = content
        return out

    return files


def tel_rows(*rows: str) -> str:
    return TELEMETRY + "".join(f"{r}\n" for r in rows)


def tel(frame: dict) -> pl.DataFrame:
    return pl.DataFrame(frame)


def ts(*texts: str) -> list[datetime]:
    return [datetime.fromisoformat(t) for t in texts]


# ---- checks on what was accepted ---------------------------------------------------------


def accepted_ts(expected: list[datetime]) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        frame = ds.telemetry.filter(pl.col("asset_id") == "A9").collect()
        got = frame.sort("ts")["ts"].to_list()
        assert got == expected, got

    return check


def keeps_ids(ids: tuple[str, ...]) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        assert set(ids) <= set(ds.assets.collect()["asset_id"].to_list())
        seen = set(ds.telemetry.collect()["asset_id"].to_list())
        assert set(ids) <= seen, seen

    return check


def values_of(column: str, expected: list[float]) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        frame = ds.telemetry.filter(pl.col("asset_id") == "A9").collect()
        got = frame.sort("ts")[column].to_list()
        assert got == expected, got

    return check


def same_rows_as_sorted(ds: Dataset) -> None:
    frame = ds.telemetry.collect()
    assert frame.sort("asset_id", "ts")["temperature_c"].to_list() == [40.5, 41.0, 39.0, 38.0]


def sensor_count(n: int) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        assert len(ds.sensors) == n

    return check


# ---- builders for the larger or binary cases ------------------------------------------------


def truncated_parquet() -> bytes:
    frame = tel(
        {
            "asset_id": ["A1"] * 200,
            "ts": [datetime(2025, 1, 1, tzinfo=UTC)] * 200,
            "temperature_c": np.linspace(0, 1, 200),
        }
    )
    import io

    buf = io.BytesIO()
    frame.write_parquet(buf)
    data = buf.getvalue()
    return data[: len(data) * 2 // 3]


def wide(n_sensors: int) -> Callable[[], Files]:
    def files() -> Files:
        rng = np.random.default_rng(0)
        cols = {f"s{i:05d}": rng.normal(size=3) for i in range(n_sensors)}
        frame = pl.DataFrame(
            {
                "asset_id": ["A1", "A1", "A2"],
                "ts": ts(
                    "2025-01-01T00:00:00+00:00",
                    "2025-01-01T01:00:00+00:00",
                    "2025-01-01T00:00:00+00:00",
                ),
                **cols,
            }
        )
        return {"assets.csv": ASSETS, "telemetry.parquet": frame}

    return files


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def hostile() -> Files:
    # The id is its own asset type too: types are printed by `forewarn validate`.
    assets = "asset_id,asset_type\n" + "".join(f"{_quoted(i)},{_quoted(i)}\n" for i in HOSTILE_IDS)
    rows = "".join(
        f"{_quoted(i)},2025-01-0{n + 1}T00:00:00Z,{n}\n" for n, i in enumerate(HOSTILE_IDS)
    )
    return {"assets.csv": assets, "telemetry.csv": "asset_id,ts,temperature_c\n" + rows}


# ---- checks on what a night would make of the accepted data ---------------------------------

NIGHT = datetime(2025, 1, 2, tzinfo=UTC)
"""A scoring night inside the corpus's telemetry (AS_OF is months later)."""


def night_statuses(
    sensors: tuple[str, ...], expected: dict[str, tuple[str, str | None]]
) -> Callable[[Dataset], None]:
    """Each asset's status and a fragment of its reason on ``NIGHT``, for a model that
    reads ``sensors`` (``serving.score``: the statuses scoring stores)."""

    def check(ds: Dataset) -> None:
        from forewarn.serving.score import ScoringRules, assign_status, reading_stats

        stats = reading_stats(ds.telemetry, NIGHT, "30d", sensors)
        snapshot = ds.assets.collect().select(
            "asset_id", "asset_type", pl.lit(NIGHT).cast(pl.Datetime("us", "UTC")).alias("as_of")
        )
        rules = ScoringRules(lookback="30d", min_readings=1)
        out = assign_status(snapshot, stats, None, rules)
        for asset, status, reason in out.select("asset_id", "status", "status_reason").rows():
            want, fragment = expected[asset]
            assert status == want, (asset, status, reason)
            assert (reason is None) if fragment is None else (fragment in (reason or "")), reason

    return check


def text_kept(columns: tuple[str, ...], sensors: tuple[str, ...]) -> Callable[[Dataset], None]:
    """``columns`` are kept as text beside ``sensors``, values verbatim."""

    def check(ds: Dataset) -> None:
        assert ds.text_columns == columns, ds.text_columns
        assert ds.sensors == sensors, ds.sensors
        frame = ds.telemetry.collect()
        for name in columns:
            assert frame[name].dtype == pl.String and frame[name].null_count() < frame.height

    return check


def span_ends(last: datetime) -> Callable[[Dataset], None]:
    def check(ds: Dataset) -> None:
        got = ds.telemetry.select(pl.col("ts").max()).collect().item()
        assert got == last, got

    return check
