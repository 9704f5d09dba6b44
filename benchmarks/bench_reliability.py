"""Benchmark the faults that used to leave a mess: orphans, damaged stores, the web page.

On one demo workspace (``forewarn demo``), as a user runs the commands:

- **orphans**: ``forewarn score`` with Prefect's ephemeral API is stopped inside a step
  (``FOREWARN_FAULT=…=hang``) and killed with SIGKILL and SIGTERM; counted are the
  server processes still alive 10 s later and how long its stdout stayed open;
- **damaged stores**: the MLflow database locked / truncated / overwritten, the
  champion's booster truncated and its ``meta.json`` garbage, the score store truncated /
  corrupted; measured is the time to the clear error (exit 2, the file named), and the
  rows of the score store before and after (rows lost must be 0);
- **web page**: a bounded burst of GET requests on loopback from a few concurrent
  clients (p50/p99 latency, errors), plus foreign-Host requests that must be refused.

Usage::

    .venv/bin/python benchmarks/bench_reliability.py                  # demo defaults
    .venv/bin/python benchmarks/bench_reliability.py --assets 100 --days 200 --requests 500
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx

RESULTS = Path(__file__).parent / "results" / "reliability.md"
START, END = "<!-- bench_reliability:start -->", "<!-- bench_reliability:end -->"
PY = [sys.executable, "-m", "forewarn.flows"]


def run(home: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    start = time.monotonic()
    proc = subprocess.run(  # nosec B603  # our interpreter and arguments
        [*PY, "--home", str(home), *argv],
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split()), time.monotonic() - start


def stored_rows(home: Path) -> int:
    con = duckdb.connect(str(home / "scores" / "scores.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM scores").fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[-1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def orphans_after(home: Path, fleet: str, as_of: str, sig: signal.Signals) -> tuple[int, float]:
    """(server processes alive 10 s after killing a running score, seconds stdout stayed open)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["FOREWARN_FAULT"] = "before:score the fleet=hang"
    proc = subprocess.Popen(  # nosec B603  # our interpreter and arguments
        [*PY, "--home", str(home), "score", "--data", fleet, "--as-of", as_of],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None and proc.stdout is not None
    seen = b""
    while b"hanging at" not in seen:
        chunk = proc.stderr.read1(65536)  # type: ignore[attr-defined]
        if not chunk:
            raise RuntimeError(f"score ended before the fault point: {seen[-2000:]!r}")
        seen += chunk
    servers = children(proc.pid)
    killed = time.monotonic()
    proc.send_signal(sig)
    proc.stdout.read()  # returns when the last holder of the pipe is gone
    open_s = time.monotonic() - killed
    proc.wait()
    time.sleep(max(0.0, 10 - (time.monotonic() - killed)))
    left = [p for p in servers if alive(p)]
    for pid in left:  # never leave them behind, whatever the count says
        os.kill(pid, signal.SIGKILL)
    return len(left), open_s


def truncate(path: Path, keep: float) -> None:
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])


def corrupt(path: Path) -> None:
    """Garble the start of every DuckDB block (after the 12 KB of headers): a store this
    small leaves most of its file unused, where random bytes would harm nothing."""
    data = bytearray(path.read_bytes())
    for offset in range(12288, len(data) - 4096, 262144):
        data[offset + 8 : offset + 4096] = os.urandom(4088)
    path.write_bytes(bytes(data))


def booster(home: Path) -> Path:
    return sorted((home / "mlflow" / "artifacts").rglob("risk_bundle/booster.txt"))[0]


def damage_cases() -> dict[str, tuple[Callable[[Path], object], str]]:
    """name -> (how to damage a workspace copy, text the clear error must hold)."""
    return {
        "MLflow store locked": (lambda h: None, "is locked"),
        "MLflow store truncated": (lambda h: truncate(h / "mlflow" / "mlflow.db", 0.3), "damaged"),
        "MLflow store overwritten": (
            lambda h: (h / "mlflow" / "mlflow.db").write_bytes(b"\0garbage" * 4096),
            "damaged",
        ),
        "champion booster truncated": (lambda h: truncate(booster(h), 0.5), "booster.txt"),
        "champion meta.json garbage": (
            lambda h: booster(h).with_name("meta.json").write_text("{", encoding="utf-8"),
            "meta.json",
        ),
        "score store truncated": (
            lambda h: truncate(h / "scores" / "scores.duckdb", 0.5),
            "damaged",
        ),
        "score store corrupted": (lambda h: corrupt(h / "scores" / "scores.duckdb"), "damaged"),
    }


def damaged_store(base: Path, work: Path, name: str, fleet: str, as_of: str) -> dict[str, object]:
    home = work / name.replace(" ", "-")
    shutil.copytree(base, home, ignore=shutil.ignore_patterns("prefect"))
    rows = stored_rows(home)
    damage, needle = damage_cases()[name]
    damage(home)
    holder = None
    if name == "MLflow store locked":
        holder = sqlite3.connect(home / "mlflow" / "mlflow.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    try:
        code, out, seconds = run(home, "score", "--data", fleet, "--as-of", as_of)
    finally:
        if holder is not None:
            holder.execute("ROLLBACK")
            holder.close()
    clear = code == 2 and needle in out and "Traceback" not in out and "[LightGBM]" not in out
    lost = None if name.startswith("score store") else rows - stored_rows(home)
    return {"case": name, "seconds": seconds, "clear": clear, "lost": lost, "message": out}


def load_check(home: Path, requests: int, clients: int) -> dict[str, float]:
    """A bounded burst on loopback: ``requests`` GETs from ``clients`` threads."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        port = free_port()
        with log.open("wb") as out:
            server = subprocess.Popen(  # nosec B603  # our interpreter and arguments
                [*PY, "--home", str(home), "serve", "--port", str(port)], stdout=out, stderr=out
            )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base, server, log)
            paths = ["/", "/api/scores", "/api/nights", "/api/scores?limit=50"]
            with httpx.Client(base_url=base, timeout=30) as probe:
                asset = probe.get("/api/scores?limit=1").json()["rows"][0]["asset_id"]
            paths.append(f"/asset?asset_id={asset}")
            latencies, errors = burst(
                base, [paths[i % len(paths)] for i in range(requests)], clients
            )
            with httpx.Client(base_url=base, timeout=30) as probe:
                foreign = [
                    probe.get(p, headers={"host": "evil.example"}).status_code for p in paths
                ]
        finally:
            server.terminate()
            server.wait(timeout=30)
    latencies.sort()
    return {
        "requests": requests,
        "clients": clients,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": errors,
        "foreign_refused": sum(code == 421 for code in foreign),
        "foreign": len(foreign),
    }


def burst(base: str, paths: list[str], clients: int) -> tuple[list[float], int]:
    def one(client: httpx.Client, path: str) -> tuple[float, bool]:
        start = time.monotonic()
        try:
            ok = client.get(path).status_code == 200
        except httpx.HTTPError:
            ok = False
        return time.monotonic() - start, ok

    with httpx.Client(base_url=base, timeout=30) as client, ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda p: one(client, p), paths))
    return [t for t, _ in results], sum(not ok for _, ok in results)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        try:
            if httpx.get(f"{base}/api/nights", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError("the web page did not answer in 120 s")


def corpus_count() -> str:
    """How many bad-input cases the corpus holds (datasets and configs)."""
    sys.path.insert(0, str(Path(__file__).parents[1]))
    try:
        from tests.corpus.cases import CASES
    except ImportError:
        return "see the corpus tables below"
    configs = len(list((Path(__file__).parents[1] / "tests" / "corpus" / "configs").glob("*")))
    return f"{len(CASES)} dataset cases + {configs} config files"


def table(
    kills: list[tuple[str, int, float]], damage: list[dict[str, object]], web: dict[str, float]
) -> str:
    orphans = sum(n for _, n, _ in kills)
    slowest = max(damage, key=lambda d: float(d["seconds"]))  # type: ignore[arg-type]
    lost = sum(int(d["lost"] or 0) for d in damage)  # type: ignore[call-overload]
    lines = [
        "| what | tried | result |",
        "|---|---:|---|",
        f"| kinds of bad input | {corpus_count()} | see the corpus tables below |",
        f"| faults injected (this benchmark) | {len(kills)} kills + {len(damage)} damaged "
        f"stores | {sum(bool(d['clear']) for d in damage)} of {len(damage)} clear errors |",
        f"| rows lost | all cases | **{lost}** |",
        f"| orphan processes after crashes | {len(kills)} kills (SIGKILL, SIGTERM) of a running "
        f"`forewarn score` | **{orphans}** (stdout closed after "
        f"{max(s for _, _, s in kills):.1f} s at most) |",
        f"| slowest clear error | {len(damage)} damaged stores | {float(slowest['seconds']):.1f} s "  # type: ignore[arg-type]
        f"({slowest['case']}) |",
        f"| web page under load | {web['requests']:.0f} GETs, {web['clients']:.0f} clients, "
        f"loopback | p50 {web['p50_ms']:.0f} ms, p99 {web['p99_ms']:.0f} ms, "
        f"{web['errors']:.0f} errors; foreign Host refused {web['foreign_refused']:.0f}"
        f"/{web['foreign']:.0f} |",
        "",
        "| damaged store | time to the clear error | clear | message |",
        "|---|---:|---|---|",
    ]
    for d in damage:
        text = str(d["message"])[:180].replace("|", "/")
        lines.append(f"| {d['case']} | {float(d['seconds']):.1f} s | {d['clear']} | {text} |")  # type: ignore[arg-type]
    lines += ["", "| kill | server processes left after 10 s | stdout open after the kill |"]
    lines += ["|---|---:|---:|"]
    lines += [f"| {name} | {n} | {s:.1f} s |" for name, n, s in kills]
    return "\n".join(lines)


def write_results(text: str, header: str, out: Path) -> None:
    block = f"{START}\n{header}\n\n{text}\n{END}"
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    if START in old and END in old:
        new = old.split(START)[0] + block + old.split(END, 1)[1]
    else:
        title, _, rest = old.partition("\n\n")
        new = f"{title}\n\n## Faults that leave a mess (bench_reliability.py)\n\n{block}\n\n{rest}"
    out.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--kills", type=int, default=1, help="kills per signal")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--workspace", type=Path, help="an existing demo workspace to copy (skips the demo)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as tmp:
        base, seconds = Path(tmp) / "demo", 0.0
        if args.workspace:
            shutil.copytree(args.workspace, base, ignore=shutil.ignore_patterns("prefect"))
        else:
            argv = ["--assets", str(args.assets), "--days", str(args.days), "--nights", "1"]
            code, out, seconds = run(base, "demo", *argv)
            if code:
                raise SystemExit(f"forewarn demo failed ({code}): {out[-2000:]}")
        fleet = str(base / "data" / "demo-fleet")
        con = duckdb.connect(str(base / "scores" / "scores.duckdb"), read_only=True)
        as_of = str(con.execute("SELECT max(as_of) FROM scores").fetchone()[0])  # type: ignore[index]
        con.close()
        kills = []
        for sig in [signal.SIGKILL, signal.SIGTERM] * args.kills:
            home = Path(tmp) / f"kill-{len(kills)}"
            shutil.copytree(base, home, ignore=shutil.ignore_patterns("prefect"))
            rows = stored_rows(home)
            left, open_s = orphans_after(home, fleet, as_of, sig)
            assert stored_rows(home) == rows, "a killed run changed the store"
            kills.append((sig.name, left, open_s))
        damage = [damaged_store(base, Path(tmp), n, fleet, as_of) for n in damage_cases()]
        web = load_check(base, args.requests, args.clients)
    load = os.getloadavg()[0]
    took = f" (demo took {seconds:.0f} s)" if seconds else ""
    header = (
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.machine()}, "
        f"{os.cpu_count()} cores shared (1-min load ≈ {load:.1f}), demo fleet of {args.assets} "
        f"assets x {args.days} days{took}. Reproduce: "
        f"`.venv/bin/python benchmarks/bench_reliability.py --assets {args.assets} "
        f"--days {args.days}`. Times include each command's own start-up (imports, "
        "Prefect's API) on that loaded machine."
    )
    text = table(kills, damage, web)
    print(header, text, sep="\n\n")
    write_results(text, header, args.out)


if __name__ == "__main__":
    main()
