"""Quotes: who said what in each article of a new or changed file, stored with it.

Runs after the split step, on the files the plan reads and on no other, so an unchanged
article is never parsed again; its rows go with its article when that is replaced or
removed (`ON DELETE CASCADE`). The extractor (`index.sources.quotes`) gets one article
at a time. What it returns is checked against the article before it is stored: a span
outside its paragraph, or whose text is not the paragraph's, is dropped, so a bug there
costs quotes, never the build or a citation pointing at the wrong words; one that
raises costs that article's quotes only, with a note in the build report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.build.context import FileStep, PreparedFile
from index.errors import QAError
from index.models import Article, Quote, TextSpan
from index.sources.quotes import extract_quotes
from index.store.file_rows import FileIds, Rows
from index.store.quotes import QUOTE_COLUMNS, QUOTES_TABLE, speaker_keys


class QuoteStep(FileStep):
    name = "quotes"

    def process(self, file: PreparedFile) -> None:
        found = [self._quotes_of(file.path, article) for article in file.articles]
        if not any(found):
            return

        def rows(ids: FileIds) -> Iterator[Rows]:
            yield Rows(
                QUOTES_TABLE,
                QUOTE_COLUMNS,
                [
                    quote_row(ids.articles[i], ids.paragraphs[i], position, quote)
                    for i, quotes in enumerate(found)
                    for position, quote in enumerate(quotes)
                ],
            )

        file.rows.append(rows)

    def _quotes_of(self, path: str, article: Article) -> list[Quote]:
        try:
            quotes = extract_quotes(article)
        except QAError:
            raise
        except Exception as error:
            self.ctx.notes.append(
                f"{path}: no quotes stored for {article.key!r} "
                f"(the extractor failed: {type(error).__name__})"
            )
            return []
        return checked_quotes(article, quotes)


def checked_quotes(article: Article, quotes: Sequence[Quote]) -> list[Quote]:
    """The quotes whose every span lies in a paragraph of `article` and holds its text."""
    texts = {p.ordinal: p.text for p in article.paragraphs}
    return [
        quote
        for quote in quotes
        if _holds(texts, quote.content)
        and quote.content.text.strip()
        and (quote.cue is None or _holds(texts, quote.cue))
        and (quote.mention is None or _holds(texts, quote.mention))
    ]


def _holds(texts: dict[int, str], span: TextSpan) -> bool:
    text = texts.get(span.paragraph)
    return (
        text is not None
        and 0 <= span.start <= span.end <= len(text)
        and text[span.start : span.end] == span.text
    )


def quote_row(
    article_id: int, paragraph_ids: dict[int, int], position: int, quote: Quote
) -> tuple[object, ...]:
    """One `quotes` row, in the order of `QUOTE_COLUMNS`."""
    content, cue, mention = quote.content, quote.cue, quote.mention
    speaker = quote.speaker.strip() if quote.speaker and quote.speaker.strip() else None
    key, last = speaker_keys(speaker) if speaker else (None, None)
    return (
        article_id,
        paragraph_ids[content.paragraph],
        position,
        content.start,
        content.end,
        content.text,
        int(quote.direct),
        *(_span_values(cue)),
        *(_span_values(mention)),
        speaker,
        key or None,
        last or None,
    )


def _span_values(span: TextSpan | None) -> tuple[object, ...]:
    if span is None:
        return (None, None, None, None)
    return (span.paragraph, span.start, span.end, span.text)
