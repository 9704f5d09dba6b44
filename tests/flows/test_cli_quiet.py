"""The CLI's output is forewarn's own: library INFO chatter stays out of a user's terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_fresh_workspace_prints_no_mlflow_info_lines(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FOREWARN_"))}
    env.update({"FOREWARN_HOME": str(tmp_path / "home"), "COLUMNS": "200"})
    out = subprocess.run(
        [sys.executable, "-m", "forewarn.flows", "models"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "no registered models" in out.stdout
    assert (tmp_path / "home" / "mlflow" / "mlflow.db").is_file()  # MLflow did create it
    assert "INFO" not in out.stderr  # "Creating initial MLflow database tables..."
