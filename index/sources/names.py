"""File names as text: shown with undecodable bytes escaped, or refused when not UTF-8.

Apart from discovery so that `qa`'s argument checks use them without loading the readers.
"""

from __future__ import annotations

import os


def printable(path: str | os.PathLike[str]) -> str:
    """`path` as text that can be printed and stored: undecodable bytes become `\\xNN`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def undecodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
