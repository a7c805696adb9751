"""`python -m evals.bench`: see evals/bench/cli.py."""

from evals.bench.cli import command_line

raise SystemExit(command_line())
