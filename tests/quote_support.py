"""Small articles written for the quote extraction tests, and a check of their spans."""

from __future__ import annotations

from index.models import Article, Paragraph, Quote


def article(*texts: str, boilerplate: tuple[int, ...] = ()) -> Article:
    paragraphs = tuple(
        Paragraph(number, text, number in boilerplate) for number, text in enumerate(texts)
    )
    return Article("test.txt", "/tmp/test.txt", "Test", paragraphs)


def assert_offsets_hold(quotes: list[Quote], source: Article) -> None:
    texts = {p.ordinal: p.text for p in source.paragraphs}
    for quote in quotes:
        for span in (quote.content, quote.cue, quote.mention):
            if span is not None:
                assert texts[span.paragraph][span.start : span.end] == span.text
