"""Command-line values must be text: bytes that are not UTF-8 are a usage error.

Python hands argv (and the environment) over with undecodable bytes as lone surrogates
(`$'\\xff'` becomes "\\udcff"). Left in, they fail far from where they came in: in the
tokenizer ("TextEncodeInput must be..."), in SQLite, in `json.dumps`, each an internal
error. A question piped on stdin that is not UTF-8 is already a usage error; these are
the same mistake made on the command line. File and folder names are text here too:
the index stores them as text and shows them in answers.

Imported before the chat opens: it imports nothing heavy.
"""

from __future__ import annotations

import argparse
import os

from index.errors import UsageError
from index.sources.names import undecodable

ENVIRONMENT = ("QA_HOME", "QA_INDEX", "QA_MODEL", "QA_CACHE_DIR")
"""Variables naming folders `qa` reads: empty, they would silently mean the default."""

_POSITIONAL = {"question": "the question", "questions": "QUESTIONS.jsonl", "paths": "PATH"}
"""How an error names a positional argument (options are named by their flag)."""
_POSITIONAL |= {"urls": "URL", "location": "URL|FILE", "reference": "URL|N"}  # qa add, qa feed


def check_arguments_are_text(args: argparse.Namespace) -> None:
    """Raise UsageError naming the first argument or variable that is not valid UTF-8,
    or the first folder variable set to an empty value."""
    for name, value in vars(args).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and undecodable(item):
                label = _POSITIONAL.get(name) or "--" + name.replace("_", "-")
                raise UsageError(f"{label} is not valid UTF-8 text ({_shown(item)})")
    for variable in ENVIRONMENT:
        value = os.environ.get(variable)
        if value == "":
            raise UsageError(
                f"{variable} is set but empty; unset it or give it a folder (see qa --help)"
            )
        if value is not None and undecodable(value):
            raise UsageError(f"{variable} is not valid UTF-8 text ({_shown(value)})")


def _shown(value: str) -> str:
    """The bytes as given, undecodable ones as `\\xNN`: what the user typed, visibly."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte decodes to: shown as `\udXXX`
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")
