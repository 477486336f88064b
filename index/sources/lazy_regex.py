"""A regular expression compiled when it is first used, not when its module is imported.

The quote rules (`index.sources.quote_cues`) are a few dozen patterns of tens of thousands
of characters each (the speech verbs are spelled out inside every mention pattern), and
`re` parses such a pattern in pure Python: compiling them all took 0.5 s and more at every
start of `qa index build`, even one with no article to read. As `LazyPattern`s they cost
nothing until a paragraph is searched for quotes, and then each once per process.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator


class LazyPattern:
    """`re.compile(source)` on first use; `match`, `search`, `fullmatch` and `finditer`
    behave as the compiled pattern's."""

    __slots__ = ("_compiled", "_source")

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source)
        return self._compiled

    @property
    def is_compiled(self) -> bool:
        return self._compiled is not None

    @property
    def pattern(self) -> str:
        return self._source

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, pos, endpos)

    def finditer(
        self, text: str, pos: int = 0, endpos: int = sys.maxsize
    ) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(text, pos, endpos)
