"""`qa --version`: the version of the installed package, looked up only when asked.

`importlib.metadata` scans the installed distributions; doing that while the parser is
built would cost every `qa ask` a few milliseconds for a flag it almost never has.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

DISTRIBUTION = "article-qa"
"""The name `qa` is installed under (pyproject.toml's `[project] name`)."""


def installed_version() -> str:
    """The installed package's version, or "unknown" when run from a tree never installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


class VersionAction(argparse.Action):
    """Print `qa VERSION` on stdout and exit 0, as argparse's own version action does."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"{parser.prog} {installed_version()}")
        sys.stdout.flush()
        parser.exit(0)
