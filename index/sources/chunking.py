"""Turn an article's paragraphs into the chunks that get embedded and searched.

Each paragraph yields passages (windows that fit the model, so no text is cut by its
token limit) and sentences (for sentence-level evidence and the highlight). A chunk is
addressed by its paragraph and character span; its vector is looked up by the sha256 of
its text, so unchanged text is never embedded twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from index.models import Article, Chunk, Span
from index.sources.paragraphs import MIN_CHARS_PER_PARAGRAPH, allowed_paragraphs
from index.sources.textsplit import MAX_CHUNK_CHARS, passage_spans, split_sentences


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def chunk_article(
    article: Article,
    count_tokens: Callable[[Sequence[str]], list[int]],
    max_tokens: int,
) -> list[Chunk]:
    """Passages and sentences of every paragraph of `article`, in reading order.

    An article of more sentences than its size allows (`allowed_paragraphs`: thousands of
    "A1. A2. ..." to a megabyte) gets sentence chunks of several sentences each, at least
    `MIN_CHARS_PER_PARAGRAPH` characters long: every chunk is a vector to make and keep,
    so their number must follow the size of the text, not the count of its full stops.
    """
    sentences = [split_sentences(paragraph.text) for paragraph in article.paragraphs]
    size = sum(len(paragraph.text) for paragraph in article.paragraphs)
    if sum(len(spans) for spans in sentences) > allowed_paragraphs(size):
        sentences = [_grouped(spans) for spans in sentences]
    chunks: list[Chunk] = []
    for paragraph, sentence_spans in zip(article.paragraphs, sentences, strict=True):
        text = paragraph.text
        if not text.strip():
            continue
        for kind, spans in (
            ("passage", passage_spans(text, count_tokens, max_tokens)),
            ("sentence", sentence_spans),
        ):
            for span in spans:
                piece = text[span.start : span.end]
                if piece.strip():
                    chunks.append(Chunk(paragraph.ordinal, kind, span, piece, text_sha(piece)))
    return chunks


def _grouped(spans: list[Span]) -> list[Span]:
    """Consecutive sentence spans joined until each group is long enough to be worth a vector."""
    groups: list[Span] = []
    for span in spans:
        last = groups[-1] if groups else None
        if (
            last is not None
            and last.end - last.start < MIN_CHARS_PER_PARAGRAPH
            and span.end - last.start <= MAX_CHUNK_CHARS
        ):
            groups[-1] = Span(last.start, span.end)
        else:
            groups.append(span)
    return groups
