"""Library chatter goes to the workspace log file, not into the user's terminal or mail.

numpy, scikit-learn, LightGBM, MLflow and Prefect warn freely (deprecations, convergence,
"Validating input example"); forewarn's own output says what happened. Unless the user
asks for ``--verbose``, Python warnings and every library log record of level WARNING
and above are written to ``<home>/logs/forewarn.log`` instead, with the time and source.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

LIBRARY_LOGGERS = (
    "py.warnings", "mlflow", "prefect", "alembic", "urllib3", "distributed", "evidently",
    "lightgbm", "sklearn", "httpx", "uvicorn", "asyncio", "numexpr", "matplotlib",
)  # fmt: skip
"""Loggers captured (each keeps its records out of the terminal)."""


class CountingFileHandler(logging.FileHandler):
    """A file handler that counts what it wrote, so the CLI can say where warnings went."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.count = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        super().emit(record)


_active: list[CountingFileHandler] = []


def active_handler() -> CountingFileHandler | None:
    """The handler ``capture_library_output`` installed in this process, if any."""
    return _active[-1] if _active else None


def log_path(home: Path) -> Path:
    """The workspace log file."""
    return home / "logs" / "forewarn.log"


def capture_library_output(home: Path) -> CountingFileHandler:
    """Send warnings and library log records to the workspace log file (call it early).

    MLflow is told not to install its own stderr handler (it reads the variable when
    first imported); Prefect's console handlers are swapped for the file once it is
    imported. Returns the handler (its ``count`` says how many records it took).
    """
    path = log_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = CountingFileHandler(path)
    handler.setLevel(logging.WARNING)
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    logging.captureWarnings(True)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if isinstance(h, logging.StreamHandler)]:
            if not isinstance(old, logging.FileHandler):
                logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
    root = logging.getLogger()
    root.addHandler(handler)  # anything else that would reach stderr via lastResort
    _active.append(handler)
    return handler


def quiet_prefect_console(handler: logging.Handler) -> None:
    """Replace Prefect's stderr handlers (installed when ``prefect`` is imported)."""
    for name in list(logging.root.manager.loggerDict):
        if name != "prefect" and not name.startswith("prefect."):
            continue
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            if isinstance(old, logging.StreamHandler) and not isinstance(old, logging.FileHandler):
                logger.removeHandler(old)
                if handler not in logger.handlers:
                    logger.addHandler(handler)


def release_library_output() -> None:
    """Undo ``capture_library_output`` (for in-process callers such as tests)."""
    while _active:
        handler = _active.pop()
        for name in ("", *LIBRARY_LOGGERS):
            logger = logging.getLogger(name)
            if handler in logger.handlers:
                logger.removeHandler(handler)
                logger.propagate = True
        handler.close()
    logging.captureWarnings(False)
