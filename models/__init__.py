"""Failure-risk and RUL models, baselines, evaluation, explanations and the MLflow registry."""
