"""forewarn installed from its wheel, away from the source tree, as a worker installs it.

The wheel is built from a copy of the package folders, installed without dependencies
into a fresh virtualenv (no pip, no system site-packages) that borrows this environment's
installed libraries through a ``.pth`` line: fast and offline for the dependencies, and
the ``forewarn`` it imports can only be the wheel's. Commands run from an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE_FOLDERS = ("flows", "features", "models", "serving", "data", "experiments")


def _run(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "FOREWARN_HOME")}
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env={**env, "COLUMNS": "200"},
    )  # fmt: skip


def _installed(tmp: Path) -> Path:
    """Build the wheel and install it into a fresh virtualenv; return its bin folder."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for folder in PACKAGE_FOLDERS:
        shutil.copytree(REPO / folder, src / folder, ignore=skip)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                 str(src), cwd=tmp)  # fmt: skip
    assert built.returncode == 0, built.stderr
    wheel = next((tmp / "dist").glob("forewarn-*.whl"))
    venv = tmp / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    put = _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
               str(wheel), cwd=tmp)  # fmt: skip
    assert put.returncode == 0, put.stderr
    purelib = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                   cwd=tmp).stdout.strip()  # fmt: skip
    # Dependencies from this environment; its own (editable) forewarn stays unused:
    # .pth files inside a directory added this way are not processed.
    Path(purelib, "_forewarn_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


@pytest.mark.slow
def test_the_wheel_ships_its_experiments_and_trains_when_installed(
    small_fleet: Path, fast_config: Path, tmp_path: Path
) -> None:
    bin_dir = _installed(tmp_path)
    away = tmp_path / "elsewhere"
    away.mkdir()
    where = _run(str(bin_dir / "python"), "-c",
                 "import forewarn.flows.experiment as e; print(e.__file__); print(e.shipped_dir())",
                 cwd=away)  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(tmp_path / "venv")) for line in where.stdout.split())

    home = tmp_path / "home"
    shown = _run(str(bin_dir / "forewarn"), "--home", str(home), "config", "show", "default",
                 cwd=away)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert '"name": "default"' in shown.stdout and "temperature_c" in shown.stdout

    run = _run(str(bin_dir / "forewarn"), "--home", str(home), "train", "--data",
               str(small_fleet), "-c", str(fast_config), cwd=away)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "risk: version 1" in run.stdout
