"""Prefect tasks over the steps in ``flows.steps``, and the error that names a failed step.

Only steps that touch the outside world (files, MLflow) retry, with backoff; a retry
never helps a bad dataset or config, so those errors fail at once.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task

from forewarn.features.readers import DatasetError
from forewarn.flows import progress, steps
from forewarn.flows.experiment import ConfigError
from forewarn.flows.faults import fault_point

P = ParamSpec("P")
R = TypeVar("R")

_PERMANENT = (DatasetError, ConfigError, ValueError, LookupError, KeyError, TypeError)
# A full, read-only or forbidden workspace stays so for the next 12 s: retrying only
# delays the error the operator must act on.
_PERMANENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


class StepFailedError(RuntimeError):
    """A flow step failed; the message starts with the step's name."""

    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"step '{step}' failed: {error}")
        self.step = step
        self.error = error


def disk_full(error: BaseException) -> bool:
    """True for "no space left" however it arrives: an ``OSError`` or the text of a
    Parquet/DuckDB writer's own error (Rust and C++ writers raise their own types)."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error).lower()
    return "no space left on device" in text or "os error 28" in text


def _retry_transient(_task: Any, _run: Any, state: Any) -> bool:
    """Retry only errors a second try may fix (I/O, network), never bad input."""
    try:
        state.result()
    except _PERMANENT:
        return False
    except OSError as exc:
        return exc.errno not in _PERMANENT_ERRNOS
    except Exception as exc:
        return not disk_full(exc)
    return False


def io_task(fn: Callable[P, R], name: str) -> Task[P, R]:
    """A task that retries transient failures twice, after 2 s and 10 s."""
    return task(
        fn, name=name, retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_retry_transient
    )


def run_step(name: str, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
    """Run a task (or function) and re-raise any failure as ``StepFailedError(name, …)``.

    The step's boundaries are fault points (``flows.faults``) for reliability tests, and
    its start is reported to the command's progress display (``flows.progress``).
    """
    progress.step(name)
    try:
        fault_point(f"before:{name}")
        result = fn(*args, **kwargs)
        fault_point(f"after:{name}")
        return result
    except StepFailedError:
        raise
    except Exception as exc:
        raise StepFailedError(name, exc) from exc


validate_data = io_task(steps.validate_and_quarantine, "validate data")
build_training_frame = io_task(steps.build_training_frame, "build training frame")
train_and_register = io_task(steps.train_and_register, "train, evaluate and register")
score_night = io_task(steps.score_night, "score the fleet")
write_report = io_task(steps.write_night_report, "write risk list and report")
