"""Shipped experiment configs: package data of ``forewarn.experiments``.

This folder is where data scientists edit experiments in a clone; a wheel install ships
its ``*.toml`` files and ``forewarn.flows.experiment`` finds them with
``importlib.resources`` (``forewarn config show default``).
"""
