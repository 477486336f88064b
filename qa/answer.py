"""The answer to a question: ranked hits, each with a checkable citation and highlights.

These frozen dataclasses are the public result type of `qa`: the CLI prints them, the
TUI draws them, and `to_json` is the documented, stable JSON schema. A who-said-what
question's answer also carries the speaker's stored quotes (`QuoteRecord`s, shown as
`quote_json` gives them, the same objects as `qa quotes --json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Types only: what imports an answer (the TUI's first frame) need not load the store.
    from index.models import TextSpan
    from index.store.quotes import QuoteRecord
    from index.store.records import ArticleRef


@dataclass(frozen=True)
class Citation:
    """Where a passage comes from, precisely enough to check it."""

    article: str
    """Article key: its path relative to the library folder (`file.jsonl#N` for JSONL)."""
    path: str
    """Absolute path of the source file."""
    title: str
    source: str | None
    url: str | None
    published: str | None
    paragraph: int
    """0-based paragraph ordinal in the source file."""
    start: int
    """Start of the passage, in characters from the start of the paragraph."""
    end: int
    """End (exclusive) of the passage, in characters from the start of the paragraph."""
    article_id: int = 0
    """Store id of the article (`index.store.keys`; its row id in a one-store library), for
    opening it in the reader (`Library.article_paragraphs`). Not part of the JSON."""
    line: int | None = None
    """1-based line of the file where the paragraph starts (the JSONL record's line), as an
    editor numbers lines; None where unknown (HTML, PDF, an index not rebuilt since)."""
    page: int | None = None
    """1-based page of a PDF the paragraph is on; None for other formats."""

    @classmethod
    def of(
        cls,
        article: ArticleRef,
        paragraph: int,
        start: int,
        end: int,
        *,
        line: int | None = None,
        page: int | None = None,
    ) -> Citation:
        """The citation of characters [start, end) of one paragraph of `article`."""
        return cls(
            article=article.key,
            path=article.path,
            title=article.title,
            source=article.source,
            url=article.url,
            published=article.published,
            paragraph=paragraph,
            start=start,
            end=end,
            article_id=article.id,
            line=line,
            page=page,
        )

    def place(self) -> str:
        """Where in the file: "paragraph 3, line 12" (or ", page 2" in a PDF)."""
        where = f"paragraph {self.paragraph}"
        if self.page is not None:
            where += f", page {self.page}"
        if self.line is not None:
            where += f", line {self.line}"
        return where

    def label(self) -> str:
        """One-line human form: title, source, date, paragraph and line, and file."""
        parts = [self.title]
        if self.source:
            parts.append(self.source)
        if self.published:
            parts.append(self.published)
        parts.append(self.place())
        return ", ".join(parts) + f" ({self.article})"

    def web_url(self) -> str | None:
        """The article's URL if it is one a browser may be sent to (http or https), else None.

        The URL comes from the article itself: anything else (`file:`, `javascript:`, a
        scheme that starts a program) is never opened, only shown.
        """
        url = (self.url or "").strip()
        scheme, _, rest = url.partition("://")
        if scheme.lower() not in ("http", "https") or not rest or len(url) > 2000:
            return None
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
            return None
        return url

    def location(self) -> str:
        """Where to check it: the web address, else the file (`path:line` when known)."""
        url = self.web_url()
        if url is not None:
            return url
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def to_json(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "path": self.path,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "paragraph": self.paragraph,
            "line": self.line,
            "page": self.page,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class Highlight:
    """A sentence of the passage that answers the question: [start, end) in the hit text."""

    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Hit:
    rank: int
    """1-based position in the answer."""
    score: float
    """Fused relevance score; higher is better, comparable within one answer only."""
    text: str
    """The passage text."""
    citation: Citation
    highlights: tuple[Highlight, ...] = field(default=())
    """Best-answering sentences, best first."""
    also_cited: tuple[Citation, ...] = field(default=())
    """Other places holding the same text (duplicates collapsed into this hit)."""
    boilerplate: bool = False
    """The passage is a newsletter/donation appeal or page furniture."""

    @property
    def best_sentence(self) -> str:
        if not self.highlights:
            return self.text
        best = self.highlights[0]
        return self.text[best.start : best.end]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "highlights": [
                {"start": h.start, "end": h.end, "text": self.text[h.start : h.end]}
                for h in self.highlights
            ],
            "citation": self.citation.to_json(),
            "also_cited": [c.to_json() for c in self.also_cited],
            "boilerplate": self.boilerplate,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    """The question as asked."""
    hits: tuple[Hit, ...]
    searched: str = ""
    """The text actually searched: the question, expanded with context for a follow-up."""
    confident: bool = True
    """False when nothing in the library fits well; the hits are then only the nearest."""
    confidence: float = 1.0
    """Estimated probability (0..1) that the first hit answers the question
    (`qa.confidence`); `confident` is this at or above the model's threshold."""
    seconds: float = 0.0
    notice: str | None = None
    """Why there are no hits, when a cause shows: a filter that excludes every article
    (named, with how many it excluded), an empty library... (see `qa.notices`)."""
    quotes: tuple[QuoteRecord, ...] = field(default=())
    """For a question asking what someone said (`qa.who_said`): their quotes, most
    relevant to the rest of the question first, then newest; empty for any other."""

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "searched": self.searched or self.question,
            "confident": self.confident,
            "confidence": round(self.confidence, 3),
            "notice": self.notice,
            "quotes": [quote_json(q) for q in self.quotes],
            "hits": [hit.to_json() for hit in self.hits],
        }


def citation_of(quote: QuoteRecord) -> Citation:
    """The quote's citation, as a passage is cited: its span is the content's."""
    return Citation.of(
        quote.article, quote.paragraph, quote.start, quote.end, line=quote.line, page=quote.page
    )


def _span_json(span: TextSpan | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"paragraph": span.paragraph, "start": span.start, "end": span.end, "text": span.text}


def quote_json(quote: QuoteRecord) -> dict[str, Any]:
    """A quote's JSON object (README, "JSON output"), in `qa quotes` and `qa ask` alike."""
    return {
        "text": quote.text,
        "direct": quote.direct,
        "citation": citation_of(quote).to_json(),
        "speaker": {"name": quote.speaker, "mention": _span_json(quote.mention)},
        "cue": _span_json(quote.cue),
    }
