"""`python -m qa` runs the `qa` command."""

from qa.cli import run

run()
