"""Benchmark the flows: ``forewarn demo`` wall time, and Prefect's overhead on one nightly
scoring run of a 10,000-asset fleet.

Overhead is measured by running the scoring flow twice per round: once as the Prefect
flow (tasks, subflows, states, retries, the local API) and once as plain Python, with every
Prefect task and flow in ``forewarn.flows`` swapped for its undecorated function, so both
runs execute exactly the same steps on the same data. Each step (every outermost
``run_step``) is timed in the plain run; overhead = flow wall time - sum of step times.

Training a 10,000-asset fleet is not needed to score one (scoring needs only a champion
trained on the same sensors and asset types), so the champion is the demo's, trained on
its 300-asset fleet, and the 10,000-asset fleet is generated for scoring only.

Usage::

    .venv/bin/python benchmarks/bench_flows.py                 # demo + 10,000 assets
    .venv/bin/python benchmarks/bench_flows.py --assets 2000 --days 45 --out /tmp/flows.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "flows.md"


def frozen_experiment(work: Path) -> Path:
    """A copy of the default experiment: edits to experiments/ mid-benchmark change nothing."""
    from forewarn.flows.experiment import load_experiment, resolve_path

    source = resolve_path(None)
    load_experiment(source)  # refuse to start from a file that does not load
    target = work / "default.toml"
    shutil.copyfile(source, target)
    return target


def run_demo(home: Path, experiment: Path) -> float:
    """Wall seconds of ``forewarn demo`` (defaults) in a fresh workspace, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "MLFLOW_"))}
    start = time.perf_counter()
    subprocess.run(  # nosec B603  # our interpreter and arguments
        [
            sys.executable,
            "-m",
            "forewarn.flows",
            "--home",
            str(home),
            "demo",
            "-c",
            str(experiment),
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


class _Done:
    """A finished "future": what ``task.submit`` returns when nothing is orchestrated."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, *_a: Any, **_k: Any) -> Any:
        return self.value

    def wait(self, *_a: Any, **_k: Any) -> None:
        return None


class Plain:
    """A Prefect task or flow reduced to its function: same calls, no orchestration."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def submit(self, *args: Any, **kwargs: Any) -> _Done:
        return _Done(self.fn(*args, **kwargs))

    def map(self, *iterables: Any, **_k: Any) -> list[_Done]:
        return [_Done(self.fn(*args)) for args in zip(*iterables, strict=True)]

    def with_options(self, **_k: Any) -> Plain:
        return self


@contextmanager
def without_prefect(timings: dict[str, float]) -> Iterator[None]:
    """Run the flows' code with every Prefect task and flow swapped for its function.

    Every outermost ``run_step`` (the flows' one step boundary) is timed by step name, so
    the step times cover all of a flow's work, whatever the flow's current shape.
    """
    from prefect import Flow, Task

    from forewarn.flows import tasks

    modules = [m for n, m in list(sys.modules.items()) if n.startswith("forewarn.flows")]
    saved: list[tuple[Any, str, Any]] = []
    original = tasks.run_step
    timed = _timed_run_step(original, timings)
    for module in modules:
        for name, value in list(vars(module).items()):
            if isinstance(value, Task | Flow):
                saved.append((module, name, value))
                setattr(module, name, Plain(value.fn))
            elif value is original:
                saved.append((module, name, value))
                setattr(module, name, timed)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def _timed_run_step(run_step: Callable[..., Any], timings: dict[str, float]) -> Callable[..., Any]:
    depth = [0]

    def wrapper(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        start = time.perf_counter()
        try:
            return run_step(name, fn, *args, **kwargs)
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # nested steps are inside their parent's time already
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def overhead(fleet: Path, home: Path, as_of: Any, rounds: int, experiment: Path) -> dict[str, Any]:
    """Median flow time, plain time and step times over ``rounds`` alternating runs."""
    from forewarn.flows.scoring import scoring_flow

    args = (str(fleet), as_of, str(experiment), str(home))
    scoring_flow(*args)  # warm-up: Prefect's local API, file cache, champion download
    flow_s, plain_s, steps_s, per_step = [], [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        scoring_flow(*args)
        flow_s.append(time.perf_counter() - start)
        timings: dict[str, float] = {}
        with without_prefect(timings):
            from forewarn.flows import scoring

            start = time.perf_counter()
            scoring.scoring_flow(*args)
            plain_s.append(time.perf_counter() - start)
        steps_s.append(sum(timings.values()))
        per_step.append(timings)
    med = statistics.median
    return {
        "flow": med(flow_s),
        "plain": med(plain_s),
        "steps": med(steps_s),
        "per_step": {k: med(t[k] for t in per_step) for k in per_step[0]},
        "runs": {"flow": flow_s, "plain": plain_s, "steps": steps_s},
    }


def generate(out: Path, assets: int, days: int, seed: int) -> tuple[float, dict[str, Any]]:
    """Write the scoring fleet (the demo's generator: an existing identical fleet is kept)."""
    from forewarn.flows.demo import generate_fleet

    start = time.perf_counter()
    meta = generate_fleet(out, assets, days, seed)
    return time.perf_counter() - start, meta


def report(args: argparse.Namespace, demo_s: float, gen_s: float, meta: dict, res: dict) -> str:
    rows = meta["counts"]["telemetry_rows"]
    over = res["flow"] - res["steps"]
    lines = [
        "# Flows benchmark",
        "",
        f"`benchmarks/bench_flows.py --assets {args.assets} --days {args.days} "
        f"--rounds {args.rounds}`; load average at the end {os.getloadavg()[0]:.1f} "
        "(the machine is shared: times are pessimistic, the overhead ratio less so).",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}; Prefect ephemeral local API (SQLite in the workspace).",
        "",
        "## `forewarn demo`",
        "",
        f"Defaults (300 assets x 240 days hourly, default experiment, 7 nights): "
        f"**{demo_s:.0f} s** wall time in a fresh workspace (generate, validate, train + "
        "evaluate + register, score 7 nights, report)"
        + (
            " — from an earlier run of this script in the same workspace."
            if args.demo_seconds
            else "."
        ),
        "",
        "## Orchestration overhead of nightly scoring",
        "",
        f"Fleet: {args.assets:,} assets x {args.days} days hourly ({rows:,} telemetry rows; "
        + (f"generated in {gen_s:.0f} s" if gen_s > 1 else "generated by an earlier run")
        + " for scoring only). Champion: the demo's (trained on its "
        "300-asset fleet; same sensors and asset types). One night with the risk list and "
        f"report; median of {args.rounds} alternating rounds after a warm-up run.",
        "",
        "| measure | seconds |",
        "|---|---:|",
        f"| scoring flow (Prefect) | {res['flow']:.2f} |",
        f"| same code, Prefect swapped out | {res['plain']:.2f} |",
        f"| sum of step times (plain) | {res['steps']:.2f} |",
        *[f"| - {name} | {sec:.2f} |" for name, sec in res["per_step"].items()],
        f"| **overhead = flow - steps** | **{over:.2f}** ({100 * over / res['flow']:.1f} %) |",
        "",
        "Target: < 10 %. Raw runs (s): "
        + ", ".join(f"{k} {[round(v, 2) for v in vals]}" for k, vals in res["runs"].items()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, default=None, help="keep the workspace here")
    parser.add_argument(
        "--demo-seconds",
        type=float,
        default=None,
        help="skip the demo: it already ran in --work and took this long",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-flows-"))
    home = work / "home"
    work.mkdir(parents=True, exist_ok=True)
    experiment = work / "default.toml"
    if args.demo_seconds is None:
        experiment = frozen_experiment(work)
        demo_s = run_demo(home, experiment)
        print(f"demo: {demo_s:.1f} s", flush=True)
    else:  # the demo ran earlier in --work (e.g. before a crash); reuse its champion
        demo_s = args.demo_seconds
        experiment = experiment if experiment.exists() else frozen_experiment(work)

    from forewarn.flows.settings import load_settings, prepare_environment

    prepare_environment(load_settings(home=home))
    fleet = work / f"fleet-{args.assets}x{args.days}"
    gen_s, meta = generate(fleet, args.assets, args.days, seed=11)
    print(f"generated {args.assets} assets in {gen_s:.1f} s", flush=True)
    from forewarn.flows.demo import data_end

    as_of = (data_end(meta) - timedelta(hours=1)).replace(hour=0, minute=0, second=0)
    res = overhead(fleet, home, as_of, args.rounds, experiment)
    text = report(args, demo_s, gen_s, meta, res)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
