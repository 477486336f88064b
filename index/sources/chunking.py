"""Turn an article's paragraphs into the chunks that get embedded and searched.

Each paragraph yields passages (windows that fit the model, so no text is cut by its
token limit) and sentences (for sentence-level evidence and the highlight). A chunk is
addressed by its paragraph and character span; its vector is looked up by a sha256 key,
so unchanged text is never embedded twice.

A passage's key is the sha of its text. A sentence inside a passage gets its vector from
that passage's forward pass (pooled over its word pieces, `index.embedding.pooling`), so
its key is the sha of the passage key and its place in it (`pooled_key`): the same
sentence read in another passage is another vector, and no vector of a sentence encoded
on its own (the key of older indexes) is ever taken for a pooled one. A sentence that is
the whole passage shares the passage's key and vector; one that no passage holds whole
(a sentence cut to fit the model, grouped sentences) is encoded on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from index.models import Article, Chunk, Span
from index.sources.paragraphs import MIN_CHARS_PER_PARAGRAPH, allowed_paragraphs
from index.sources.textsplit import MAX_CHUNK_CHARS, passage_spans, split_sentences

POOLED_KEY = "pooled-v1"
"""Part of every pooled sentence's key: bump it when pooling changes what a vector is
(`index.embedding.pooling`, its `CONTEXT_SHARE` too), so no cached vector is reused."""


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def pooled_key(passage: Chunk, span: Span) -> str:
    """The key of the vector of `span` (in paragraph characters) pooled from `passage`."""
    start, end = span.start - passage.span.start, span.end - passage.span.start
    return text_sha(f"{POOLED_KEY}\0{passage.text_sha}\0{start}\0{end}")


def container(passages: Sequence[Chunk], span: Span) -> Chunk | None:
    """The first passage (in reading order) that holds `span` whole, if any."""
    for passage in passages:
        if passage.span.start <= span.start and span.end <= passage.span.end:
            return passage
    return None


def embedding_groups(chunks: Sequence[Chunk]) -> list[tuple[Chunk, list[Chunk]]]:
    """The texts the model reads, each with the sentences pooled from its pass.

    Every chunk's vector comes from one group: a passage (its own vector, and those of
    the sentences it holds) or a sentence no passage holds, read on its own.
    """
    passages: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        if chunk.kind == "passage":
            passages.setdefault(chunk.ordinal, []).append(chunk)
    groups: dict[int, tuple[Chunk, list[Chunk]]] = {}
    for chunk in chunks:
        if chunk.kind == "passage":
            groups.setdefault(id(chunk), (chunk, []))
            continue
        holder = container(passages.get(chunk.ordinal, ()), chunk.span)
        if holder is None:
            groups[id(chunk)] = (chunk, [])
        elif holder.span != chunk.span:
            groups.setdefault(id(holder), (holder, []))[1].append(chunk)
    return list(groups.values())


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
        passages = [
            Chunk(paragraph.ordinal, "passage", span, piece, text_sha(piece))
            for span in passage_spans(text, count_tokens, max_tokens)
            if (piece := text[span.start : span.end]).strip()
        ]
        chunks.extend(passages)
        for span in sentence_spans:
            piece = text[span.start : span.end]
            if not piece.strip():
                continue
            holder = container(passages, span)
            if holder is not None and holder.span != span:
                key = pooled_key(holder, span)
            else:
                key = text_sha(piece)
            chunks.append(Chunk(paragraph.ordinal, "sentence", span, piece, key))
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
