"""The one error type that means "a quality gate said no" (exit code 1, not 2).

README: exit code 1 when the run finished (or checked its input) but a quality gate
failed, 2 for bad input or configuration. A gate error may also be a ``ValueError`` (no
retry helps), so the CLI tells the two apart by this marker, whichever command raised it.
"""

from __future__ import annotations


class QualityGateError(Exception):
    """A quality gate failed: too many rejected rows, a model that must not serve, ..."""
