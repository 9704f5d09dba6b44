"""The data contract: the three tables every dataset holds, as plain data.

Kept apart from the reading and validation code so the simulator, the validator,
the docs and the tests all agree on one definition (see DESIGN.md, "Data contract").
"""

from __future__ import annotations

from dataclasses import dataclass

TABLES: tuple[str, ...] = ("telemetry", "events", "assets")
"""Table names; each is a file or folder of Parquet/CSV files inside the dataset."""

ASSET_ID = "asset_id"
TS = "ts"

TELEMETRY_KEYS: tuple[str, ...] = (ASSET_ID, TS)
EVENT_COLUMNS: tuple[str, ...] = (ASSET_ID, TS, "kind", "component", "code")
EVENT_REQUIRED: tuple[str, ...] = (ASSET_ID, TS, "kind")
EVENT_KINDS: tuple[str, ...] = ("failure", "maintenance", "alarm")
ASSET_REQUIRED: tuple[str, ...] = (ASSET_ID, "asset_type")
ASSET_OPTIONAL: tuple[str, ...] = ("plant", "line", "installed_at")

REQUIRED: dict[str, tuple[str, ...]] = {
    "telemetry": TELEMETRY_KEYS,
    "events": EVENT_REQUIRED,
    "assets": ASSET_REQUIRED,
}

# Tables whose emptiness is a structural fault; an empty events table is valid
# (a new fleet, or a scoring-only extract, has nothing recorded yet).
MUST_HAVE_ROWS: frozenset[str] = frozenset({"telemetry", "assets"})


@dataclass(frozen=True)
class Reason:
    """Row-fault reasons written to the rejects table (stable strings: users filter on them)."""

    NULL_ASSET = "null asset_id"
    BAD_TS = "null or unparseable ts"
    FUTURE_TS = "ts after as_of"
    # Readings before 1970 are clock resets or export defaults (1900-01-01, epoch -1),
    # never real sensor data; keeping them would stretch every "current life" window.
    PRE_EPOCH_TS = "ts before 1970-01-01 (clock reset or export default)"
    UNKNOWN_ASSET = "unknown asset_id (not in assets table)"
    DUPLICATE = "duplicate key"
    UNKNOWN_KIND = "unknown event kind"
    NON_NUMERIC = "non-numeric sensor value"
    NON_FINITE = "non-finite sensor value (NaN or inf)"
    DUPLICATE_ASSET = "duplicate asset_id in assets table"
