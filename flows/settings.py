"""One typed settings object for where things live (workspace, MLflow, Prefect).

Read from the environment once, at the edge (CLI or flow entry). Nothing below
flows/ reads environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Workspace and service locations.

    Environment variables: ``FOREWARN_HOME`` (workspace, default ``./.forewarn``),
    ``MLFLOW_TRACKING_URI`` (default: SQLite inside the workspace),
    ``PREFECT_API_URL`` (default: Prefect's ephemeral local API),
    ``FOREWARN_REJECT_THRESHOLD`` (share of rejected rows that fails a run); big fleets
    (README "Scaling out"): ``FOREWARN_BATCH_READINGS`` / ``FOREWARN_BATCH_ASSETS``,
    ``FOREWARN_RUNNER``, ``FOREWARN_DASK_ADDRESS``, ``FOREWARN_DASK_WORKERS``,
    ``FOREWARN_DASK_TRAINING``, ``FOREWARN_LOCAL_TRAINING_ROWS``;
    ``FOREWARN_SHUTDOWN_GRACE_S`` (how long ``forewarn schedule`` may take to stop).
    """

    model_config = SettingsConfigDict(env_prefix="FOREWARN_", frozen=True, extra="ignore")

    home: Path = Field(default=Path(".forewarn"), description="workspace folder")
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias="MLFLOW_TRACKING_URI",
        description="MLflow tracking server or database; default SQLite in the workspace",
    )
    prefect_api_url: str | None = Field(
        default=None,
        validation_alias="PREFECT_API_URL",
        description="Prefect server API; default the ephemeral local API",
    )
    reject_threshold: float = Field(default=0.05, ge=0.0, le=1.0)
    batch_readings: int = Field(
        default=8_000_000, ge=1, description="readings per feature batch (bounds memory)"
    )
    batch_assets: int | None = Field(
        default=None, ge=1, description="assets per feature batch instead of batch_readings"
    )
    runner: Literal["local", "dask"] = Field(
        default="local", description="where feature batches run: this process or Dask"
    )
    dask_address: str | None = Field(
        default=None, description="Dask scheduler (tcp://host:8786); unset: a local cluster"
    )
    dask_workers: int = Field(default=2, ge=1, description="workers of a local Dask cluster")
    dask_training: Literal["auto", "always", "never"] = Field(
        default="auto", description="LightGBM on Dask: auto = when the frame is too big"
    )
    local_training_rows: int = Field(
        default=2_000_000, ge=1, description="frame rows above which auto trains on Dask"
    )
    shutdown_grace_s: float = Field(
        default=20.0, gt=0, description="`forewarn schedule`: seconds to stop before exiting hard"
    )

    @property
    def tracking_uri(self) -> str:
        """MLflow tracking URI: the configured one, else a SQLite file in the workspace."""
        if self.mlflow_tracking_uri:
            return self.mlflow_tracking_uri
        return f"sqlite:///{(self.home / 'mlflow' / 'mlflow.db').resolve()}"

    @property
    def artifact_root(self) -> Path:
        """Where a local MLflow store keeps artifacts (ignored by a remote server)."""
        return (self.home / "mlflow" / "artifacts").resolve()

    @property
    def prefect_home(self) -> Path:
        """Prefect's own state (ephemeral API database) inside the workspace."""
        return (self.home / "prefect").resolve()

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def scores_dir(self) -> Path:
        return self.home / "scores"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"


class SettingsError(ValueError):
    """An environment variable holds a value forewarn cannot use; the message names it."""


def env_name(field: str) -> str:
    """The environment variable a settings field is read from."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else f"FOREWARN_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning.

    Raises:
        SettingsError: naming each variable whose value is unusable, and why.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            name = field if field.isupper() else env_name(field)
            where = f"{name} (or its command-line option)" if field in given else name
            lines.append(f"{where}={err['input']!r}: {err['msg']}")
        raise SettingsError("invalid setting: " + "; ".join(lines)) from exc


def prepare_environment(settings: Settings) -> None:
    """Point Prefect at the workspace before it is imported, and keep it quiet.

    Prefect reads its home at import time, so this must run before any
    ``import prefect``; the CLI calls it first thing.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # a local cluster's chatter
    # The ephemeral API starts a local server on the first run; on a busy 2-core machine
    # that takes longer than Prefect's 20 s default and the run would fail for nothing.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # MLflow's INFO lines ("Creating initial MLflow database tables", "Validating input
    # example against model signature") land in every train/score output and in the
    # nightly mail; the CLI reports what happened itself. Warnings still show.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    # MLflow retries a dead tracking server 7 times with backoff (minutes), and Prefect
    # retries the step twice more: an unattended run would hang for a quarter of an hour
    # before saying the server is down. Two quick retries ride out a blip; no more.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # A failed step is reported once, by the CLI, naming the step; Prefect's own
    # traceback logs would bury that message.
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", "CRITICAL")
