"""``python -m forewarn.flows`` runs the CLI (same as the ``forewarn`` command)."""

from forewarn.flows.cli import main

main()
