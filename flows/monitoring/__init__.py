"""Monitoring: drift, data quality, realised performance and the retraining gate.

Two drift detectors judge each night, per scope (fleet, asset type, plant): the
distribution detector against the model's training reference (``drift_stats``, ``drift``)
and the step detector against the same assets' recent nights (``step``); a night alarms
when either does. Pure logic lives in small modules (those, ``quality``, ``performance``,
``gate``, ``reference``); Evidently is called only in ``evidently_report`` (the fleet's
report); file and MLflow I/O sit in ``steps`` and ``saving``; ``flow`` holds the Prefect
flow. See ``drift_stats`` and ``step`` for why the methods and thresholds are what they are.
"""
