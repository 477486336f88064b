"""Turn an article's paragraphs into the chunks that get embedded and searched.

Each paragraph yields passages (windows that fit the model, so no text is cut by its
token limit) and sentences (for sentence-level evidence and the highlight). A chunk is
addressed by its paragraph and character span; its vector is looked up by the sha256 of
its text, so unchanged text is never embedded twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.models import Article, Span
from index.textsplit import passage_spans, split_sentences


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    """Ordinal of the paragraph it lies in."""
    kind: str
    """'passage' or 'sentence'."""
    span: Span
    text: str
    text_sha: str


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def chunk_article(
    article: Article,
    count_tokens: Callable[[Sequence[str]], list[int]],
    max_tokens: int,
) -> list[Chunk]:
    """Passages and sentences of every paragraph of `article`, in reading order."""
    chunks: list[Chunk] = []
    for paragraph in article.paragraphs:
        text = paragraph.text
        if not text.strip():
            continue
        for kind, spans in (
            ("passage", passage_spans(text, count_tokens, max_tokens)),
            ("sentence", split_sentences(text)),
        ):
            for span in spans:
                piece = text[span.start : span.end]
                if piece.strip():
                    chunks.append(Chunk(paragraph.ordinal, kind, span, piece, text_sha(piece)))
    return chunks
