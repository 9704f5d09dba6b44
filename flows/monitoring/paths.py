"""Where monitoring keeps its files inside the workspace (``<home>/monitoring``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from forewarn.serving.schema import night_key


@dataclass(frozen=True)
class MonitoringPaths:
    """The monitoring layout of one workspace.

    ``reference/<model>/v<version>/`` reference sample, calibration nights, thresholds and
    meta; ``nights/as_of=<key>/inputs.parquet`` each scored night's features and
    predictions; ``reports/as_of=<key>/`` Evidently HTML, summary JSON and the monitoring
    report; ``performance.parquet`` the realised-metrics series; ``decisions.jsonl`` the
    retraining decisions.
    """

    home: Path

    @property
    def root(self) -> Path:
        return Path(self.home) / "monitoring"

    def reference_dir(self, model: str, version: str) -> Path:
        return self.root / "reference" / model / f"v{version}"

    def night_inputs(self, as_of: datetime) -> Path:
        return self.root / "nights" / f"as_of={night_key(as_of)}" / "inputs.parquet"

    def nights_before(self, as_of: datetime, within: timedelta) -> list[Path]:
        """Saved night inputs in ``[as_of - within, as_of)``, oldest first."""
        found = []
        for path in sorted((self.root / "nights").glob("as_of=*/inputs.parquet")):
            key = path.parent.name.removeprefix("as_of=")
            try:
                night = datetime.strptime(key, "%Y-%m-%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                continue  # not a night folder
            if as_of - within <= night < as_of:
                found.append(path)
        return found

    def report_dir(self, as_of: datetime) -> Path:
        return self.root / "reports" / f"as_of={night_key(as_of)}"

    @property
    def performance(self) -> Path:
        return self.root / "performance.parquet"

    @property
    def decisions(self) -> Path:
        return self.root / "decisions.jsonl"
