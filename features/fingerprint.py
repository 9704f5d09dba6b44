"""A dataset fingerprint: which bytes a model was trained on, logged with every run."""

from __future__ import annotations

import hashlib

import fsspec

from forewarn.features.dataset import Dataset, ValidationReport

_CHUNK = 1 << 20


def content_hash(files: list[str]) -> str:
    """BLAKE2b over every file's path name and bytes, in sorted order.

    Any change to any row changes the hash; renaming the dataset folder does not
    (only the part of each path after the dataset root counts).
    """
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(files):
        digest.update("/".join(path.rsplit("/", 2)[-2:]).encode())
        with fsspec.open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def fingerprint(ds: Dataset, report: ValidationReport) -> dict[str, object]:
    """Path, row counts, time span and content hash of a validated dataset."""
    files = [f for table_files in ds.files.values() for f in table_files]
    return {
        "path": ds.url,
        "files": len(files),
        "rows": {t: c.input for t, c in report.counts.items()},
        "accepted": {t: c.accepted for t, c in report.counts.items()},
        "assets": report.n_assets,
        "sensors": list(report.sensors),
        "start": report.start.isoformat() if report.start else None,
        "end": report.end.isoformat() if report.end else None,
        "content_hash": content_hash(files),
    }
