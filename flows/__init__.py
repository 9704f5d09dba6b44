"""Prefect flows, settings and the `forewarn` CLI: the only package that imports prefect."""
