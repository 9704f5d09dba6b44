"""Find and read a dataset's tables from a folder or any fsspec URL.

A table is ``<root>/<table>.parquet`` / ``.csv``, or a folder ``<root>/<table>/`` holding
any number of Parquet/CSV files (partitions, possibly nested). Reading stays lazy and
raw: CSV columns arrive as text so a bad value becomes a quarantined row with a reason
(features/validate.py) instead of a parser crash that names nothing.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass

import fsspec
import polars as pl

from forewarn.features.contract import REQUIRED, TABLES
from forewarn.features.sniff import describe_csv, only_nuls, read_prefix

FILE_COLUMN = "_file"
ROW_COLUMN = "_row"
_EXTENSIONS = (".parquet", ".csv")
# Polars renames a repeated CSV header to ``<name>_duplicated_<n>``; two columns with one
# name are ambiguous (which one is the sensor?), so they are a structural fault.
_DUPLICATED = re.compile(r"_duplicated_\d+$")
# Object stores Polars scans natively (lazily, with predicate pushdown); anything else
# fsspec can open is read eagerly through fsspec.
_NATIVE_PROTOCOLS = {
    "file",
    "local",
    "s3",
    "s3a",
    "gs",
    "gcs",
    "az",
    "abfs",
    "abfss",
    "http",
    "https",
}


class DatasetError(ValueError):
    """A structural fault: the dataset cannot be read as a whole.

    The message names the file (and column) and says how to fix it; the CLI prints it
    and exits non-zero.
    """


@dataclass(frozen=True)
class TableSource:
    """The files of one table, all of one format."""

    table: str
    files: tuple[str, ...]
    fmt: str  # "parquet" or "csv"
    protocol: str


def _inside(path: str, folder: str) -> str:
    """``path`` relative to ``folder`` (with its leading slash), or its base name."""
    return path[len(folder) :] if path.startswith(folder) else "/" + path.rsplit("/", 1)[-1]


def _list_table_files(fs: fsspec.AbstractFileSystem, root: str, table: str) -> list[str]:
    files: list[str] = []
    for ext in _EXTENSIONS:
        single = f"{root}/{table}{ext}"
        if fs.isfile(single):
            files.append(single)
    folder = f"{root}/{table}"
    if fs.isdir(folder):
        found = _walk_local(folder) if _is_local(fs) else fs.find(folder)
        # Skip hidden files below the table folder (e.g. a writer's ".part.tmp"), judged on
        # the part of the path inside it: the dataset itself may sit in a hidden workspace.
        files.extend(f for f in found if f.endswith(_EXTENSIONS) and "/." not in _inside(f, folder))
    return sorted(files)


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def _walk_local(folder: str) -> list[str]:
    """Every file below a local ``folder``, following symlinked folders, each folder once.

    A partition folder linked to an archive (``telemetry/month=03 -> /archive/03``) is
    part of the table: fsspec's ``find`` skips it, which silently lost a month of
    readings. A folder reached twice (a link loop, or two links to one folder) is read
    the first time only, so a loop ends and no file is counted twice.
    """
    seen: set[tuple[int, int]] = set()
    files: list[str] = []
    for path, dirs, names in os.walk(folder, followlinks=True, onerror=_unreadable):
        info = os.stat(path)
        if (info.st_dev, info.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs.sort()
        files.extend(f"{path}/{name}" for name in names)
    return files


def _unreadable(exc: OSError) -> None:
    """A partition folder that cannot be listed would be a silent hole in the table."""
    raise DatasetError(
        f"{exc.filename}: cannot list this folder ({exc.strerror}); its files belong to the "
        "table. Fix its permissions, or move it out of the dataset."
    ) from exc


def locate_tables(url: str) -> dict[str, TableSource]:
    """List the files of each contract table under ``url``.

    Args:
        url: a local folder or an fsspec URL (``s3://bucket/fleet``, ``memory://x``).

    Returns:
        One ``TableSource`` per table present. ``events`` may be absent (treated as
        empty by the caller); ``telemetry`` and ``assets`` must be present.

    Raises:
        DatasetError: the folder does not exist, a required table is missing, or a
            table mixes Parquet and CSV files.
    """
    fs, root = fsspec.core.url_to_fs(str(url))
    root = root.rstrip("/")
    if fs.isfile(root):  # a user passing telemetry.csv itself: "not found" would mislead
        parent = str(url).rstrip("/").rsplit("/", 1)[0] if "/" in str(url) else "."
        raise DatasetError(
            f"{url} is a file, not a dataset folder. Pass the folder that holds the "
            f"telemetry, events and assets tables (here perhaps {parent})."
        )
    if not fs.isdir(root):
        raise DatasetError(
            f"dataset folder not found: {url}. Pass a folder holding telemetry, events and "
            "assets tables (e.g. one made by `forewarn generate --out DIR`)."
        )
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    sources: dict[str, TableSource] = {}
    for table in TABLES:
        files = _list_table_files(fs, root, table)
        if not files:
            if table == "events":
                continue
            raise DatasetError(
                f"{url}: missing table '{table}'. Add {table}.parquet, {table}.csv or a "
                f"folder {table}/ of Parquet/CSV files with columns {', '.join(REQUIRED[table])}."
            )
        formats = {f.rsplit(".", 1)[1] for f in files}
        if len(formats) > 1:
            raise DatasetError(
                f"{url}: table '{table}' mixes CSV and Parquet files ({files[0]}, ...); "
                "convert them to one format."
            )
        if protocol in ("file", "local"):
            files = [fs.unstrip_protocol(f).removeprefix("file://") for f in files]
        else:
            files = [fs.unstrip_protocol(f) for f in files]
        sources[table] = TableSource(table, tuple(files), formats.pop(), protocol)
    return sources


def _read_one_eager(source: TableSource, path: str) -> pl.DataFrame:
    with fsspec.open(path, "rb") as handle:
        if source.fmt == "parquet":
            return pl.read_parquet(handle)
        return pl.read_csv(handle, infer_schema=False)


def _scan_file(source: TableSource, path: str) -> pl.LazyFrame:
    """Scan one file, failing with the file's name when it cannot be parsed at all."""
    if source.fmt == "csv":
        _refuse_non_text(path)
    try:
        if source.protocol not in _NATIVE_PROTOCOLS:
            frame = _read_one_eager(source, path).lazy()
        elif source.fmt == "parquet":
            frame = pl.scan_parquet(path)
        else:
            frame = pl.scan_csv(path, infer_schema=False, encoding="utf8")
        schema = frame.collect_schema()
    except pl.exceptions.NoDataError as exc:
        frame = _empty_file(source, path, exc)
        schema = frame.collect_schema()
    except Exception as exc:  # Polars raises several types for unreadable files.
        _refuse_non_text(path, zeroed_only=True)  # say so rather than "bad magic"
        raise DatasetError(
            f"{path}: cannot read this {source.fmt.upper()} file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}). Re-export it; a "
            "truncated or partial file must be replaced."
        ) from exc
    if source.fmt == "csv" and any("\x00" in c for c in schema):
        raise DatasetError(
            f"{path}: the header holds NUL bytes: the file is UTF-16 (Excel's 'Unicode text'), "
            "not UTF-8. Save CSV files as UTF-8."
        )
    repeated = sorted({_DUPLICATED.sub("", c) for c in schema if _DUPLICATED.search(c)})
    if repeated:
        raise DatasetError(
            f"{path}: column(s) {', '.join(repeated)} appear more than once in the header. "
            "Rename or drop the copies so every column has one meaning."
        )
    return frame.with_columns(
        pl.lit(path).alias(FILE_COLUMN),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias(ROW_COLUMN),
    )


def _refuse_non_text(path: str, zeroed_only: bool = False) -> None:
    """Judge the file's first bytes (``features.sniff``): NUL-filled, UTF-16, a workbook.

    ``zeroed_only``: a Parquet file that failed to parse is judged only on being NUL-filled
    (its own magic bytes are no fault).
    """
    try:
        prefix = read_prefix(path)
    except OSError:
        return  # the scan names the file and the I/O error
    what = describe_csv(prefix)
    if zeroed_only and not only_nuls(prefix):
        return
    if what is not None:
        raise DatasetError(f"{path}: the file is {what}.")


def _empty_file(source: TableSource, path: str, exc: Exception) -> pl.LazyFrame:
    """A 0-byte events file is an empty events table (nothing recorded yet); a 0-byte
    telemetry or assets file is a structural fault, as an empty table is."""
    if source.table != "events":
        raise DatasetError(
            f"{path}: the file is empty (no header, no rows). forewarn needs at least one "
            f"row of {source.table}: re-export it with the columns "
            f"{', '.join(REQUIRED[source.table])}."
        ) from exc
    return pl.LazyFrame(schema=dict.fromkeys(REQUIRED[source.table], pl.String))


def ragged_line(files: tuple[str, ...]) -> str:
    """Name the first CSV line with more fields than its header, for an error message.

    Polars reports a ragged row without its position; this second pass runs only after
    such a failure, so the user learns which line to fix.
    """
    for path in (f for f in files if f.endswith(".csv")):
        try:
            with fsspec.open(path, "rt", encoding="utf-8", newline="") as handle:
                rows = csv.reader(handle)
                width = len(next(rows, []))
                for row in rows:
                    if len(row) > width:
                        return (
                            f" {path} line {rows.line_num} has {len(row)} fields but the header "
                            f"has {width}: quote values that contain commas."
                        )
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return ""


def scan_table(source: TableSource) -> pl.LazyFrame:
    """Lazily read every file of a table into one frame with file and row provenance.

    Files are concatenated diagonally (a column missing from one file is null there),
    so partitions written at different times can add sensors.

    Raises:
        DatasetError: a file cannot be parsed (truncated Parquet, bad encoding), or
            the files disagree on a column's type.
    """
    frames = [_scan_file(source, path) for path in source.files]
    if len(frames) == 1:
        return frames[0]
    try:
        combined = pl.concat(frames, how="diagonal_relaxed")
        combined.collect_schema()
    except Exception as exc:
        raise DatasetError(
            f"table '{source.table}': its files disagree on column types ({exc}). "
            "Write every partition with the same schema."
        ) from exc
    return combined
