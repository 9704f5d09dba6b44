"""Load a dataset, validate it against the contract, and summarise what was accepted.

``load_dataset`` returns lazy frames of the accepted rows (what features are built from)
and a lazy rejects table; ``summarize`` runs the counting pass that ``forewarn validate``
prints and that gates a run on the share of rejected rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

import polars as pl

from forewarn.features import validate as v
from forewarn.features.contract import ASSET_ID, EVENT_COLUMNS, MUST_HAVE_ROWS, TS, Reason
from forewarn.features.readers import DatasetError, locate_tables, ragged_line, scan_table

T = TypeVar("T")

EMPTY_EVENTS = pl.DataFrame(
    schema={
        ASSET_ID: pl.String,
        TS: v.UTC_TS,
        "kind": pl.String,
        "component": pl.String,
        "code": pl.String,
    }
)


@dataclass(frozen=True)
class Dataset:
    """A validated dataset: accepted rows per table (lazy) and the quarantined rows."""

    url: str
    telemetry: pl.LazyFrame
    events: pl.LazyFrame
    assets: pl.LazyFrame
    rejects: pl.LazyFrame
    sensors: tuple[str, ...]
    checked: dict[str, pl.LazyFrame] = field(repr=False)
    files: dict[str, tuple[str, ...]] = field(repr=False)
    text_columns: tuple[str, ...] = ()
    """Telemetry columns of words (a ``shift``, a copied id): kept as text, not sensors."""


@dataclass(frozen=True)
class TableCounts:
    """Input, accepted and rejected rows of one table (input = accepted + rejected)."""

    input: int
    accepted: int
    rejected: int

    @property
    def reject_share(self) -> float:
        return self.rejected / self.input if self.input else 0.0


@dataclass(frozen=True)
class ValidationReport:
    """What ``forewarn validate`` prints; also logged with every training run."""

    url: str
    counts: dict[str, TableCounts]
    rejects_by_reason: dict[str, int]
    n_assets: int
    sensors: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    events_by_kind: dict[str, int]
    asset_types: dict[str, int]
    text_columns: tuple[str, ...] = ()

    @property
    def total_rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())

    def rejected_for(self, reason: str, table: str | None = None) -> int:
        """Rows rejected for ``reason``, in one table or in all of them."""
        return sum(
            n
            for key, n in self.rejects_by_reason.items()
            if key.endswith(f": {reason}") and (table is None or key == f"{table}: {reason}")
        )

    def worst_share(self, ignore: tuple[str, ...] = ()) -> tuple[str, float]:
        """The table with the largest share of rejected rows, and that share.

        Rows rejected for a reason in ``ignore`` leave both the numerator and the
        denominator: the share is of the rows that could have been accepted.
        """

        def share(table: str) -> float:
            c = self.counts[table]
            left = sum(self.rejected_for(r, table) for r in ignore)
            rows = c.input - left
            return (c.rejected - left) / rows if rows > 0 else 0.0

        table = max(self.counts, key=share)
        return table, share(table)

    def worst_faulty_share(self) -> tuple[str, float]:
        """``worst_share`` of faulty rows: what every reject gate compares with its threshold.

        Rows after ``as_of`` are quarantined (a night must not see its future) but are not
        faults, so re-checking or re-scoring a past night is not failed by later data.
        """
        return self.worst_share(ignore=(Reason.FUTURE_TS,))

    def gate_failure(self, threshold: float) -> str | None:
        """Why a run on this dataset must stop, or ``None``: the one reject gate.

        ``forewarn validate`` and every flow apply it, so a dataset that passes one passes
        the other. Two rules: a table lost more than ``threshold`` of its rows as faulty
        (``worst_faulty_share``: rows after ``as_of`` are a cut, not a fault), or a table
        every run needs (telemetry, assets) has no accepted row left, whatever the reason
        (an ``as_of`` before the data starts, a feed that sent nothing): features built
        from nothing would be a risk list of empty rows, not an error anyone sees.
        """
        for table in sorted(MUST_HAVE_ROWS & self.counts.keys()):
            c = self.counts[table]
            if c.accepted == 0:
                return f"table '{table}' has no accepted row ({self._why_rejected(table)})"
        table, share = self.worst_faulty_share()
        if share > threshold:
            return (
                f"{100 * share:.2f}% of table '{table}' was rejected as faulty "
                f"(threshold {100 * threshold:.2f}%)"
            )
        return None

    def _why_rejected(self, table: str) -> str:
        """``"N rejected: reason n, ..."`` for one table, most frequent reason first."""
        prefix = f"{table}: "
        reasons = sorted(
            (
                (k.removeprefix(prefix), n)
                for k, n in self.rejects_by_reason.items()
                if k.startswith(prefix)
            ),
            key=lambda kv: -kv[1],
        )
        if not reasons:
            return "it read no rows"
        listed = ", ".join(f"'{r}' {n:,}" for r, n in reasons)
        return f"{self.counts[table].rejected:,} rejected: {listed}"


def _collect(what: str, files: tuple[str, ...], fn: Callable[[], T]) -> T:
    """Run a collect, turning a parse failure deep in a file into a named DatasetError."""
    try:
        return fn()
    except DatasetError:
        raise
    except (pl.exceptions.ComputeError, OSError, pl.exceptions.InvalidOperationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = " Save CSV files as UTF-8." if "utf" in first.lower() else ""
        hint += ragged_line(files) if "more fields" in first else ""
        raise DatasetError(
            f"table '{what}' ({', '.join(files[:3])}{' ...' if len(files) > 3 else ''}): "
            f"cannot be read: {first}.{hint}"
        ) from exc


def load_dataset(
    url: str,
    as_of: datetime | None = None,
    telemetry_since: datetime | None = None,
    telemetry_files: tuple[str, ...] | None = None,
) -> Dataset:
    """Read and validate the dataset at ``url``.

    Args:
        url: folder or fsspec URL with telemetry, events (optional) and assets tables.
        as_of: when given, rows timestamped after it are rejected (they cannot be known
            at scoring time; keeping them would leak the future).
        telemetry_since: when given, only readings at or after it are read and checked
            (a nightly run needs its feature windows, not years of history). Events and
            assets are always read whole: event features count the whole past.
        telemetry_files: read only these telemetry files (a batch of assets whose
            readings they hold, see ``features.batches``); default every file.

    Returns:
        A ``Dataset`` whose frames are lazy; nothing but the small assets table is read.

    Raises:
        DatasetError: for structural faults, naming file and column.
    """
    sources = locate_tables(url)
    if telemetry_files is not None:
        sources["telemetry"] = replace(sources["telemetry"], files=tuple(telemetry_files))
    files = {name: src.files for name, src in sources.items()}
    raw: dict[str, pl.LazyFrame] = {}
    columns: dict[str, list[str]] = {}
    for name, src in sources.items():
        raw[name], columns[name] = v.keep_raw(scan_table(src))

    checked_assets = _collect(
        "assets", files["assets"], lambda: v.check_assets(raw["assets"], files["assets"]).collect()
    )
    known = checked_assets.filter(pl.col(v.REASON).is_null())[ASSET_ID]
    checked = {
        "assets": checked_assets.lazy(),
        "telemetry": v.check_telemetry(
            raw["telemetry"], files["telemetry"], known, as_of, telemetry_since
        ),
    }
    if "events" in raw:
        checked["events"] = v.check_events(raw["events"], files["events"], known, as_of)
        events = v.accepted_of(checked["events"]).select(list(EVENT_COLUMNS))
    else:
        events = EMPTY_EVENTS.lazy()
    rejects = pl.concat(
        [v.rejects_of(name, frame, columns[name]) for name, frame in checked.items()],
        how="vertical",
    )
    telemetry = v.accepted_of(checked["telemetry"])
    schema = telemetry.collect_schema()
    columns = v.sensor_columns(schema)
    text = tuple(c for c in columns if schema[c] == pl.String)
    return Dataset(
        url=str(url),
        telemetry=telemetry,
        events=events,
        assets=v.accepted_of(checked["assets"]),
        rejects=rejects,
        sensors=tuple(c for c in columns if c not in text),
        checked=checked,
        files=files,
        text_columns=text,
    )


def _count_table(name: str, frame: pl.LazyFrame, files: tuple[str, ...]) -> pl.DataFrame:
    return _collect(
        name,
        files,
        lambda: frame.group_by(v.REASON).agg(pl.len().alias("n")).collect(engine="streaming"),
    )


def summarize(ds: Dataset) -> ValidationReport:
    """Count accepted and rejected rows per table and describe the accepted data."""
    counts: dict[str, TableCounts] = {}
    by_reason: dict[str, int] = {}
    for name, frame in ds.checked.items():
        table = _count_table(name, frame, ds.files[name])
        total = int(table["n"].sum())
        rejected = int(table.filter(pl.col(v.REASON).is_not_null())["n"].sum())
        counts[name] = TableCounts(total, total - rejected, rejected)
        for reason, n in table.filter(pl.col(v.REASON).is_not_null()).iter_rows():
            key = f"{name}: {reason}"
            by_reason[key] = by_reason.get(key, 0) + int(n)
    for name in MUST_HAVE_ROWS:
        if counts[name].input == 0:
            raise DatasetError(
                f"{ds.files[name][0]}: table '{name}' is empty (header only or no rows). "
                f"forewarn needs at least one row of {name}."
            )
    span = _collect(
        "telemetry",
        ds.files["telemetry"],
        lambda: ds.telemetry.select(
            pl.col(TS).min().alias("start"), pl.col(TS).max().alias("end")
        ).collect(engine="streaming"),
    )
    kinds = ds.events.group_by("kind").agg(pl.len()).collect()
    assets = ds.assets.collect()
    return ValidationReport(
        url=ds.url,
        counts=counts,
        rejects_by_reason=dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
        n_assets=assets.height,
        sensors=ds.sensors,
        start=span["start"][0],
        end=span["end"][0],
        events_by_kind={k: int(n) for k, n in kinds.sort("kind").iter_rows()},
        asset_types={
            k: int(n)
            for k, n in assets.group_by("asset_type").agg(pl.len()).sort("asset_type").iter_rows()
        },
        text_columns=ds.text_columns,
    )
