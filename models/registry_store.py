"""MLflow client plumbing: one client per call, bound to the URI the caller passes.

Only ``MlflowClient`` objects are used, never the process-global fluent state, so two
callers with different tracking URIs in one process cannot cross wires.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from forewarn.models.registry_sqlite import (
    RegistryDamagedError,
    RegistryUnavailableError,
    check_local_store,
    sqlite_problem,
)

__all__ = ["RegistryDamagedError", "RegistryUnavailableError"]

# Error codes meaning "that model or alias does not exist", as opposed to "the store
# cannot be reached": only these may be read as "nothing registered yet".
_MISSING_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})


def is_missing(exc: MlflowException) -> bool:
    """True when ``exc`` says a registered model or alias does not exist."""
    return str(exc.error_code) in _MISSING_CODES


def unavailable(tracking_uri: str, exc: BaseException) -> RegistryUnavailableError:
    """A clear error for a store that did not answer, naming it and what to do
    (a locked or damaged local file is a ``RegistryDamagedError``)."""
    detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    problem = sqlite_problem(tracking_uri, str(exc))
    if problem is not None:
        return problem
    return RegistryUnavailableError(
        f"cannot reach the MLflow tracking store at {tracking_uri} ({detail}). Start it "
        "(forewarn servers) or point MLFLOW_TRACKING_URI at a running one, then re-run."
    )


def check_tracking_store(tracking_uri: str) -> None:
    """Fail in seconds, before any expensive work, when the tracking store is down.

    Raises:
        RegistryUnavailableError: the store did not answer a trivial query.
    """
    check_local_store(tracking_uri)
    try:
        client_for(tracking_uri).search_experiments(max_results=1)
    except (MlflowException, OSError) as exc:
        raise unavailable(tracking_uri, exc) from exc


def git_commit(folder: Path | None = None) -> str | None:
    """The checked-out commit of the code, or ``None`` outside a git checkout."""
    try:
        out = subprocess.run(  # nosec B603, B607  # fixed argv (git from PATH), no shell
            ["git", "rev-parse", "HEAD"],
            cwd=folder or Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def client_for(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def artifact_uri(tracking_uri: str, artifact_location: str | Path | None) -> str | None:
    """Where a new experiment keeps artifacts.

    A local SQLite store without an explicit location gets ``artifacts/`` beside the
    database (MLflow would otherwise write into the current directory). A tracking
    server (``http(s)://``, ``databricks``) decides for itself: a local folder given
    for the default workspace would be unreadable to everyone else, so it is ignored;
    an explicit remote URI (``s3://…``) is still honoured.
    """
    remote = tracking_uri.startswith(("http://", "https://", "databricks"))
    if remote and artifact_location is not None and "://" not in str(artifact_location):
        return None
    if artifact_location is None and tracking_uri.startswith("sqlite:///"):
        artifact_location = Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts"
    if artifact_location is None or "://" in str(artifact_location):
        return None if artifact_location is None else str(artifact_location)
    return Path(artifact_location).resolve().as_uri()


def rebased(client: MlflowClient, tracking_uri: str, uri: str) -> str:
    """``uri`` inside this workspace's artifact folder when the workspace was moved or
    copied; otherwise ``uri`` unchanged.

    MLflow records absolute artifact locations. A local store's experiments keep
    theirs in ``artifacts/`` beside the database (``artifact_uri``); after the folder
    is moved those paths point nowhere, and in a copy they point at the *original's*
    files. A location under such a default folder is read from the current one; one the
    user chose (``s3://``, a shared folder) is left as it is, and so is a location
    whose files exist only at the recorded place (logged after the move).
    """
    here = artifact_uri(tracking_uri, None)
    if here is None or not uri.startswith("file:") or uri.startswith(here + "/"):
        return uri
    for exp in client.search_experiments(view_type=3):  # ViewType.ALL
        root = str(exp.artifact_location).rstrip("/")
        if root.startswith("file:") and root.endswith("/artifacts") and uri.startswith(root + "/"):
            moved = here + uri[len(root) :]
            # Runs logged after the move still write under the recorded root (MLflow keeps
            # the experiment's location): those files are only there.
            if Path(_local(moved)).exists() or not Path(_local(uri)).exists():
                return moved
            return uri
    return uri


def _local(uri: str) -> str:
    return unquote(uri.removeprefix("file://"))


def experiment_id_for(client: MlflowClient, name: str, artifact_uri: str | None) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    return client.create_experiment(name, artifact_location=artifact_uri)


def finite(metrics: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}


def log_flat(
    client: MlflowClient,
    run_id: str,
    metrics: dict[str, float],
    params: dict[str, Any],
    tags: dict[str, str],
) -> None:
    now = int(datetime.now(UTC).timestamp() * 1000)
    m = [Metric(k, v, now, 0) for k, v in finite(metrics).items()]
    p = [Param(k, str(v)[:6000]) for k, v in params.items()]
    t = [RunTag(k, tag_text(v)) for k, v in tags.items()]
    for i in range(0, max(len(m), len(p), len(t)), 100):  # MLflow's batch limits
        client.log_batch(run_id, m[i : i + 100], p[i : i + 100], t[i : i + 100])


def tag_text(value: Any) -> str:
    """A run or version tag value: strings as they are, anything else as JSON.

    MLflow's REST store (a real tracking server) refuses non-string tag values where
    the SQLite store silently coerces them, so every tag passes through here.
    """
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:5000]  # MLflow's tag value limit


def flatten(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= flatten(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return {prefix: json.dumps(value) if isinstance(value, list | tuple) else value}
