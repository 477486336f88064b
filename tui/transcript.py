"""The chat transcript as data, and its Markdown export with full citations.

Kept free of textual: the chat screen appends `Turn`s and redraws them, while export
only needs the data, so it is testable without a terminal and the file format is
defined in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qa.terminal import visible

if TYPE_CHECKING:
    # Types only: `qa.retrieve` (Filters) loads numpy, which the first frame must not wait for.
    from qa import Answer, Citation, Filters, Hit


@dataclass(frozen=True)
class Turn:
    """One question and what became of it."""

    number: int
    question: str
    searched: str | None = None
    """The expanded text searched for a follow-up; None when the question stood alone."""
    filters: Filters | None = None
    """The filters it was asked with; None (like an empty `Filters`) restricts nothing."""
    answer: Answer | None = None
    error: str | None = None
    abandoned: bool = False
    """The user gave up waiting; a late answer is dropped."""

    @property
    def done(self) -> bool:
        return self.answer is not None or self.error is not None or self.abandoned

    def answered(self, answer: Answer) -> Turn:
        return replace(self, answer=answer)

    def failed(self, error: str) -> Turn:
        return replace(self, error=error)


def describe_filters(filters: Filters | None) -> str:
    """Short human form of the active filters ('' when none)."""
    if filters is None:
        return ""
    parts = []
    if filters.article:
        parts.append(f"article: {filters.article}")
    if filters.source:
        parts.append(f"source: {filters.source}")
    if filters.since:
        parts.append(f"since: {filters.since}")
    if filters.until:
        parts.append(f"until: {filters.until}")
    return ", ".join(parts)


def full_citation(citation: Citation) -> str:
    """Everything needed to check a passage: label, file, URL and character span.

    Escaped (see `qa.terminal`): it is copied to the clipboard, where a newline or an
    escape sequence pasted into a shell would act, and written into exports.
    """
    text = f"{citation.label()}; file {citation.path}"
    if citation.url:
        text += f"; {citation.url}"
    return visible(text + f"; characters {citation.start}-{citation.end} of the paragraph")


LAYOUT = "\n\t"
"""Kept raw in passage text: a newline continues the Markdown quote (see `to_markdown`)."""


def _marked(hit: Hit) -> str:
    # Escaped piece by piece, so a `cat` of the export cannot drive the terminal either.
    text = hit.text
    if not hit.highlights:
        return visible(text, LAYOUT)
    best = hit.highlights[0]
    before, best_text, after = text[: best.start], text[best.start : best.end], text[best.end :]
    return f"{visible(before, LAYOUT)}**{visible(best_text, LAYOUT)}**{visible(after, LAYOUT)}"


def to_markdown(turns: list[Turn], *, library: str, now: datetime) -> str:
    lines = [
        "# article-qa chat",
        "",
        f"Library: `{visible(library)}`  ",
        f"Exported: {now.isoformat(timespec='seconds')}",
        "",
    ]
    for turn in turns:
        lines += [f"## {turn.number}. {visible(turn.question)}", ""]
        if turn.searched:
            lines += [f"_Read as: {visible(turn.searched)}_", ""]
        described = describe_filters(turn.filters)
        if described:
            lines += [f"_Filters: {visible(described)}_", ""]
        if turn.error:
            lines += [f"**Error:** {visible(turn.error)}", ""]
            continue
        if turn.answer is None:
            lines += ["_(no answer)_", ""]
            continue
        answer = turn.answer
        if answer.quotes:
            from qa.answer import citation_of

            lines += ["**Quotes:**", ""]
            for quote in answer.quotes:
                said = f"“{quote.text}”" if quote.direct else f"(reported) {quote.text}"
                cue = f" ({quote.cue.text})" if quote.cue else ""
                lines += [
                    f"{visible(quote.speaker or 'someone')}{visible(cue)}: {visible(said)}  ",
                    f"{full_citation(citation_of(quote))}",
                    "",
                ]
        if not answer.hits:
            why = f": {visible(answer.notice)}" if answer.notice else "."
            lines += [f"No passages found{why}", ""]
            continue
        if not answer.confident:
            lines += ["_No confident answer in the library; the nearest passages:_", ""]
        lines += [f"**Answer:** {visible(answer.hits[0].best_sentence)} [1]", ""]
        for hit in answer.hits:
            lines.append(f"[{hit.rank}] {full_citation(hit.citation)}  ")
            for other in hit.also_cited:
                lines.append(f"also in: {full_citation(other)}  ")
            lines += ["", "> " + _marked(hit).replace("\n", "\n> "), ""]
    return "\n".join(lines).rstrip() + "\n"


def export_markdown(turns: list[Turn], folder: Path, *, library: str) -> Path:
    """Write the transcript to `folder/chat-<timestamp>.md` (never overwriting) and return it."""
    now = datetime.now().astimezone()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"chat-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}.md"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.md"
    path.write_text(to_markdown(turns, library=library, now=now), encoding="utf-8")
    return path
