"""Monitoring: drift, data quality, realised performance and the retraining gate.

Pure logic lives in small modules (``drift_stats``, ``drift``, ``quality``, ``performance``,
``gate``, ``reference``); Evidently is called only in ``evidently_report``; file and MLflow
I/O sit in ``steps``; ``flow`` holds the Prefect flow. See ``drift_stats`` for why the drift
method and thresholds are what they are.
"""
