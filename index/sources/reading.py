"""What a reader is: a function from one file's content to its articles, for some suffixes.

Two kinds, told apart before anything is decoded: a `TextReader` gets the file as text,
decoded the one way every text format shares (`index.sources.decoding`: BOMs, legacy
code pages, binary data refused); a `BinaryReader` gets the raw bytes, for formats such
as PDF whose bytes are not text. Readers are registered by suffix in
`index.sources.registry`; each lives in its own module of `index.sources.formats`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.models import Article


@dataclass(frozen=True)
class ArticleFile:
    """What a reader knows of the file besides its content."""

    shown: str
    """The path as printable text, for the reason an `UnreadableFile` gives."""
    key: str
    """The file's key under the library folder: an article's key is this (plus `#n`)."""
    path: str
    """The absolute path, printable: what an answer cites."""
    fallback_title: str
    """A title made from the file name, for an article that names none."""
    suffix: str
    """The file's suffix, lower case (".md")."""


TextRead = Callable[[str, ArticleFile, list[str]], list[Article]]
"""Articles of the decoded text; the list holds notes on how it was decoded."""
BinaryRead = Callable[[bytes, ArticleFile], list[Article]]
"""Articles of the file's raw bytes."""


@dataclass(frozen=True)
class TextReader:
    """A format read as text; raises `UnreadableFile` (or anything: it becomes a skip line)."""

    suffixes: tuple[str, ...]
    read: TextRead
    declared_charset: bool = False
    """Whether a file that is not UTF-8 may name its encoding in a `<meta charset>`."""


@dataclass(frozen=True)
class BinaryReader:
    """A format read from its bytes, never decoded as text first."""

    suffixes: tuple[str, ...]
    read: BinaryRead


Reader = TextReader | BinaryReader
