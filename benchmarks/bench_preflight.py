"""Benchmark how fast a mistake is reported: `forewarn --help`, `forewarn config show` and a
misspelt experiment through `forewarn train` on the demo fleet (`forewarn generate`'s
default size: 200 assets x 180 days hourly). Target: under 5 s each on an idle machine,
with no Prefect start-up (the run preparation, ``flows.prepare``, runs before it).

Usage::

    .venv/bin/python benchmarks/bench_preflight.py                 # 3 rounds, median
    .venv/bin/python benchmarks/bench_preflight.py --rounds 5 --fleet /tmp/fleet
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPO = """
[features]
sensors = ["temperature_c", "vibraton_mm_s", "current_a"]
regime_column = "operating_mod"
"""


def _timed(args: list[str], home: Path, expect: int) -> float:
    env = {**os.environ, "FOREWARN_HOME": str(home)}
    started = time.perf_counter()
    out = subprocess.run(  # nosec B603  # this interpreter, fixed argv, no shell
        [sys.executable, "-m", "forewarn.flows", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    took = time.perf_counter() - started
    if out.returncode != expect:
        raise SystemExit(f"{args}: exit {out.returncode}, expected {expect}\n{out.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fleet", type=Path, help="an existing fleet (default: generate one)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        work = Path(tmp)
        fleet = opts.fleet or work / "fleet"
        if opts.fleet is None:
            _timed(["generate", "--out", str(fleet)], work / "gen", 0)
        config = work / "typo.toml"
        config.write_text(TYPO)
        cases = {
            "forewarn --help": (["--help"], 0),
            "forewarn config show": (["config", "show"], 0),
            "config typo through train": (["train", "--data", str(fleet), "-c", str(config)], 2),
        }
        print("| command | median s | runs |\n|---|---:|---|")
        for name, (args, code) in cases.items():
            runs = [_timed(args, work / f"home{i}", code) for i in range(opts.rounds)]
            shown = ", ".join(f"{r:.2f}" for r in runs)
            print(f"| {name} | {statistics.median(runs):.2f} | {shown} |")


if __name__ == "__main__":
    main()
