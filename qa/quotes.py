"""`qa quotes` and `qa speakers`: the quotes a build stored, listed without the model.

Both read the index through `index.store.quotes.QuoteReader` (no SQL here) and print
text for people or JSON for programs; everything that came from an article is escaped
for the terminal (`qa.terminal.visible`), and JSON keeps it exact (`json_text`).

A quote's JSON object (README, "JSON output"): `text`, `direct`, a `citation` as
`qa ask` gives one (its `start`/`end` the quote's content inside the paragraph), the
`speaker` (`name` and the `mention` naming them in the text) and the speech `cue`;
spans are code points of the paragraph they name, end exclusive.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.errors import UsageError
from index.plural import counted
from index.store.filters import ArticleFilter
from index.store.quotes import QuoteReader, QuoteRecord, SpeakerRecord, speaker_keys

# Re-exported (the `x as x` form): an answer carries quotes too, so they live there.
from qa.answer import citation_of as citation_of
from qa.answer import quote_json as quote_json
from qa.retrieve import Filters
from qa.terminal import json_text, visible

IndexFinder = Callable[[argparse.Namespace], Path]
"""The index folder a command line names (the default library made on first use)."""

WIDTH = 100


def list_quotes(args: argparse.Namespace, find_index: IndexFinder) -> int:
    # What the arguments alone can refuse is refused before the index is opened.
    filters = Filters(args.article, args.source, args.since, args.until)
    if args.speaker is not None and not speaker_keys(args.speaker)[0]:
        raise UsageError(f"--speaker {args.speaker!r} holds no letter of a name")
    with _open(find_index(args)) as reader:
        _check_names(reader, filters)
        quotes = reader.quotes(args.speaker, filters)
    if args.json:
        print(json_text([quote_json(q) for q in quotes], indent=2))
    elif args.jsonl:
        for quote in quotes:
            print(json_text(quote_json(quote)))
    elif quotes:
        print("\n\n".join(render_quote(q) for q in quotes))
    else:
        print(f"No quotes found{_why_none(args, filters)}.")
    return 0


def list_speakers(args: argparse.Namespace, find_index: IndexFinder) -> int:
    with _open(find_index(args)) as reader:
        speakers = reader.speakers()
    if args.json:
        print(json_text([speaker_json(s) for s in speakers], indent=2))
    elif speakers:
        print("\n".join(render_speaker(s) for s in speakers))
    else:
        print("No one is quoted by name in the library.")
    return 0


def _open(index_dir: Path) -> QuoteReader:
    reader = QuoteReader.open(index_dir)
    pending = reader.pending_articles()
    if pending:
        # An upgrade build that did not finish: what it listed so far is still true.
        print(
            f"qa: note: {counted(pending, 'article')} indexed before quotes "
            f"were stored have none yet; run `qa index build --index {visible(str(index_dir))}`",
            file=sys.stderr,
        )
    return reader


def _check_names(reader: QuoteReader, filters: ArticleFilter) -> None:
    """An --article or --source no article matches is a mistake, not an empty answer."""
    for name in ("article", "source"):
        value = getattr(filters, name)
        if value and reader.count_articles(ArticleFilter(**{name: value})) == 0:
            where = "file or title" if name == "article" else "source"
            raise UsageError(f"--{name} {value!r}: no article's {where} contains it")


def _why_none(args: argparse.Namespace, filters: ArticleFilter) -> str:
    asked = []
    if args.speaker is not None:
        asked.append(f"by {args.speaker!r}")
    for name, value in filters.criteria().items():
        asked.append(f"--{name} {getattr(value, name)}")
    return " " + ", ".join(visible(part) for part in asked) if asked else " in the library"


def speaker_json(speaker: SpeakerRecord) -> dict[str, Any]:
    return {
        "name": speaker.name,
        "quotes": speaker.quotes,
        "articles": speaker.articles,
        "first": speaker.first,
        "last": speaker.last,
    }


def render_quote(quote: QuoteRecord) -> str:
    """Who, how (the cue), the words, and where: every article-derived part escaped."""
    who = visible(quote.speaker) if quote.speaker else "(speaker not named)"
    if quote.cue is not None:
        who += f" ({visible(quote.cue.text)})"
    said = f"“{quote.text}”" if quote.direct else f"(reported) {quote.text}"
    body = textwrap.wrap(visible(said), width=WIDTH, initial_indent="   ", subsequent_indent="   ")
    return "\n".join([f"{who}:", *body, f"   — {visible(citation_of(quote).label())}"])


def render_speaker(speaker: SpeakerRecord) -> str:
    quotes = counted(speaker.quotes, "quote")
    articles = counted(speaker.articles, "article")
    if speaker.first is None:
        dates = "undated"
    elif speaker.first == speaker.last:
        dates = speaker.first
    else:
        dates = f"{speaker.first} to {speaker.last}"
    return f"{visible(speaker.name)}: {quotes} in {articles} ({visible(dates)})"
