"""The demo flow: synthetic fleet → train → score a week of nights → report, in minutes.

It trains on the fleet's history up to a week before the data ends and then scores each
of the last nights with only the data known on that night, the way the nightly job
would have run, so the report shows trends and new vs still-open alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow

from forewarn.flows import progress
from forewarn.flows.gates import QualityGateError
from forewarn.flows.monitoring.flow import monitoring_flow
from forewarn.flows.scoring import scoring_flow, scoring_steps
from forewarn.flows.settings import load_settings
from forewarn.flows.tasks import io_task, run_step
from forewarn.flows.training import TRAINING_STEPS, training_flow


def generate_fleet(out: Path, assets: int, days: int, seed: int) -> dict[str, Any]:
    """Write the demo fleet (kept when it already exists with the same settings)."""
    from forewarn.synthetic import FleetConfig, write_fleet

    cfg = FleetConfig(n_assets=assets, days=days, freq="1h", seed=seed)
    marker = out / "fleet.json"
    if marker.exists() and f'"n_assets": {assets},' in marker.read_text():
        import json

        meta = json.loads(marker.read_text())
        if meta.get("config", {}) == cfg.model_dump(mode="json"):
            return meta
    return write_fleet(cfg, out, overwrite=True)


def data_end(meta: dict[str, Any]) -> datetime:
    """The fleet's last instant (start + days), from its metadata."""
    start = datetime.fromisoformat(meta["config"]["start"].replace("Z", "+00:00"))
    return start.astimezone(UTC) + timedelta(days=int(meta["config"]["days"]))


generate = io_task(generate_fleet, "generate synthetic fleet")


@flow(name="forewarn-demo", log_prints=False, validate_parameters=False)
def demo_flow(
    home: str | None = None,
    assets: int = 300,
    days: int = 240,
    nights: int = 7,
    seed: int = 7,
    experiment: str | None = None,
) -> dict[str, Any]:
    """Run the whole platform on a synthetic fleet and return where its outputs are."""
    with progress.planned(demo_steps(nights)):
        return _demo(home, assets, days, nights, seed, experiment)


def demo_steps(nights: int) -> int:
    """Steps of the whole demo: the fleet, training, each night, monitoring."""
    return 2 + TRAINING_STEPS + (nights - 1) * scoring_steps(False) + scoring_steps(True) + 4


def served_models(trained: dict[str, Any], assets: int, days: int) -> None:
    """Stop the demo when the quality gate kept its models from serving (a small or short
    fleet may hold too few failures): scoring would only say "no champion"."""
    held = trained.get("gate") or {}
    if held:
        reasons = "; ".join(f"{task}: {', '.join(why)}" for task, why in held.items())
        raise QualityGateError(
            f"the demo's models did not pass the quality gate ({reasons}): a fleet of "
            f"{assets} assets x {days} days holds too few failures to learn from; the "
            "defaults (--assets 300 --days 240) do"
        )


def _demo(
    home: str | None, assets: int, days: int, nights: int, seed: int, experiment: str | None
) -> dict[str, Any]:
    settings = load_settings(home=home)
    fleet_dir = settings.data_dir / "demo-fleet"
    meta = run_step("generate synthetic fleet", generate, fleet_dir, assets, days, seed)
    end = data_end(meta) - timedelta(hours=1)
    last_night = end.replace(hour=0, minute=0, second=0, microsecond=0)
    first_night = last_night - timedelta(days=nights - 1)
    trained = training_flow(
        str(fleet_dir), experiment, str(settings.home), until=first_night - timedelta(days=1)
    )
    run_step("check the models can serve", served_models, trained, assets, days)
    scored = [
        scoring_flow(
            str(fleet_dir),
            first_night + timedelta(days=i),
            experiment,
            str(settings.home),
            report=(i == nights - 1),
        )
        for i in range(nights)
    ]
    # Monitor the last night only (the others share its reference): keeps the demo fast.
    monitored = monitoring_flow(str(fleet_dir), last_night, experiment, str(settings.home))
    return {"fleet": str(fleet_dir), "training": trained, "nights": scored, "monitoring": monitored}
