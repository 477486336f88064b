"""The values every part of the index shares: frozen dataclasses and the embedder protocol.

Readers produce `Article`s with `Paragraph`s; the splitters turn a paragraph into `Chunk`s
(a `Span` inside the paragraph) that an `Embedder` turns into vectors and the store keeps.
Kept here, below `sources`, `embedding` and `store`, so that none of those imports another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class Paragraph:
    ordinal: int
    """0-based block (or line) ordinal in the source file: what citations and eval gold use."""
    text: str
    """The paragraph text, hard-wrapped lines joined with single spaces."""
    boilerplate: bool = False
    """Newsletter/donation appeal or page furniture: kept and citable, ranked below news."""
    line: int | None = None
    """1-based line of the source file where the paragraph's text starts (what `$EDITOR +N`
    opens at); the record's line for JSONL; None where the file's lines mean nothing for
    the text (HTML's extracted text, PDF)."""
    page: int | None = None
    """1-based page of a PDF the paragraph is on; None for every other format."""


@dataclass(frozen=True, slots=True)
class Article:
    key: str
    """Stable identity inside the library: the path relative to its source folder, with
    `#N` appended for the N-th (0-based) article of a `.jsonl` file."""
    path: str
    """Absolute path of the file it was read from."""
    title: str
    paragraphs: tuple[Paragraph, ...]
    source: str | None = None
    url: str | None = None
    published: str | None = None
    """ISO date (YYYY-MM-DD) when known."""
    author: str | None = None
    notes: tuple[str, ...] = field(default=())
    """Things the reader had to work around (e.g. "decoded as cp1252"), for the build report."""


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    """Character range [start, end) inside the paragraph text."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the build could not index, with the reason shown in the build report."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Chunk:
    ordinal: int
    """Ordinal of the paragraph it lies in."""
    kind: str
    """'passage' or 'sentence'."""
    span: Span
    text: str
    text_sha: str


class Embedder(Protocol):
    """Turns texts into vectors; the whole surface the index and the question side use."""

    @property
    def model_id(self) -> str:
        """The weights: "<name>@<first 16 hex of sha256 over the weight files>"."""
        ...

    model_path: str
    """Folder the model loads from."""
    dim: int
    """Vector dimension, known without loading the model."""
    max_tokens: int
    """Word pieces of text one input may hold: max_seq_length minus [CLS] and [SEP]."""

    @property
    def backend(self) -> str:
        """ "onnx" or "torch"."""
        ...

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int = 64
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors of `texts`, and of each text's character spans pooled from the same
        pass (unit vectors, one row per span; no rows for a text given no spans)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def warm(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TextSpan:
    """Characters [start, end) of one paragraph (by ordinal), with the text they hold."""

    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    """Something a person said, as an article reports it (found at build time).

    Offsets are code points inside `Paragraph.text` of the paragraph named, as citations
    use them; a quote split around its cue ("“A,” he said, “B.”") is one `Quote` whose
    `content` runs from A's first character to B's last.
    """

    content: TextSpan
    """What was said: inside the quotation marks for a direct quote."""
    direct: bool
    """True for quoted words, False for reported speech ("Peskov said the reserve ...")."""
    cue: TextSpan | None
    """The speech verb or phrase ("said", "told reporters", "according to")."""
    mention: TextSpan | None
    """Where the speaker is named in the text: a name, a title phrase or a pronoun."""
    speaker: str | None
    """The speaker's fullest name in the article ("Dmitry Peskov" for "he"), if known."""
