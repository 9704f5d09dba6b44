"""Prefect tasks of the monitoring steps that other flows call (training, scoring)."""

from __future__ import annotations

from forewarn.flows.monitoring import saving
from forewarn.flows.tasks import io_task

save_reference = io_task(saving.save_reference, "save drift reference")
