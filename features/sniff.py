"""Say what a data file really is from its first bytes, before a parser reads it whole.

A CSV parser reads up to the first newline to learn the header: given a file of NUL bytes
(a preallocated or zero-filled copy after a crash or a disk fault) it reads gigabytes as one
"header line" and only then fails. Looking at a bounded prefix first turns that into an
error in milliseconds that says what the file holds.
"""

from __future__ import annotations

import fsspec

SNIFF_BYTES = 64 * 1024
"""The most read from any file to judge it; the parser is never handed a refused file."""

# Leading bytes of formats that users save under a .csv name by mistake.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PAR1", "a Parquet file: name it .parquet"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?): export the sheet as CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook: export the sheet as CSV UTF-8"),
    (b"SQLite format 3\x00", "an SQLite database: export the table as CSV UTF-8"),
)
# Compressed CSV is read by the parser itself (gzip, zstd): never judged on its bytes.
_COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_MOSTLY = 0.3  # share of NUL bytes above which a prefix is not text with a stray NUL


def read_prefix(path: str, limit: int = SNIFF_BYTES) -> bytes:
    """The first ``limit`` bytes of ``path`` (fewer for a short file)."""
    with fsspec.open(path, "rb") as handle:
        return handle.read(limit)


def describe_csv(prefix: bytes) -> str | None:
    """What a file starting with ``prefix`` is, when it cannot be CSV text; else None.

    Args:
        prefix: the file's first bytes (``read_prefix``).

    Returns:
        A phrase completing "the file is ..." with the fix, or None for anything that may
        be UTF-8 CSV (including compressed CSV and text with a stray NUL in a value, which
        become row rejects instead).
    """
    if not prefix or prefix.startswith(_COMPRESSED):
        return None
    nuls = prefix.count(0)
    if only_nuls(prefix):
        return (
            f"only NUL bytes (all of the first {len(prefix):,} bytes are 0x00), not CSV text: "
            "a preallocated or zero-filled file, typically left by an interrupted copy or a "
            "disk fault. Replace it with a fresh export"
        )
    for magic, what in _SIGNATURES:
        if prefix.startswith(magic):
            return what
    if prefix.startswith(_UTF16_BOMS) or _alternating_nuls(prefix):
        return "UTF-16 (Excel's 'Unicode text'), not UTF-8. Save CSV files as UTF-8"
    if nuls > _MOSTLY * len(prefix):
        return (
            f"binary data ({nuls:,} of its first {len(prefix):,} bytes are NUL), not CSV "
            "text. Replace it with a CSV UTF-8 export"
        )
    return None


def only_nuls(prefix: bytes) -> bool:
    """The prefix is non-empty and every byte of it is 0x00."""
    return bool(prefix) and prefix.count(0) == len(prefix)


def _alternating_nuls(prefix: bytes) -> bool:
    """UTF-16 without a BOM: ASCII text has a NUL in every other byte."""
    head = prefix[:512]
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)
