"""Text forms of answers, reports and status for the terminal (stdout carries data only)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from index.plural import counted
from qa.answer import Answer, Hit
from qa.quotes import render_quote
from qa.terminal import visible

if TYPE_CHECKING:
    # Types only: `qa ask` renders answers and must not load the build pipeline.
    from index.build.run import BuildProgress, BuildReport
    from index.store.records import IndexInfo

BOLD_ON, BOLD_OFF = "\033[1;33m", "\033[0m"
PLAIN_ON, PLAIN_OFF = "**", "**"
LAYOUT = "\t\n"
"""Characters of a passage left raw for `textwrap`, which makes them spaces."""


def render_answer(answer: Answer, *, color: bool, width: int = 100) -> str:
    lines = []
    if answer.searched and answer.searched != answer.question:
        lines.append(f"(searched: {visible(answer.searched)})")
    if answer.quotes:
        # A who-said-what question: the speaker's own words come before the passages.
        lines.append("Quotes:")
        lines.extend(f"{render_quote(quote)}\n" for quote in answer.quotes)
        lines.append("Passages:")
    elif answer.notice and answer.hits:
        # "What else did he say?" when everything was shown: said, not left silent.
        lines.append(f"({visible(answer.notice)})")
    if not answer.hits:
        # One line saying why, never "no confident answer" over an empty list. The
        # notice quotes filter values the user typed: escaped like everything shown.
        why = f": {visible(answer.notice)}" if answer.notice else "."
        lines.append(f"No passages found{why}")
    elif not answer.confident:
        lines.append(
            f"No confident answer in the library (confidence {answer.confidence:.0%}); "
            "the nearest passages:"
        )
    for hit in answer.hits:
        # Everything from the article is escaped: it must not drive the terminal.
        sure = f"  (confidence {answer.confidence:.0%})" if hit.rank == 1 else ""
        lines.append(f"{hit.rank}. [{hit.score:.3f}] {visible(hit.citation.label())}{sure}")
        # The web address or `file:line` to check it at (what `qa ask --open N` opens).
        lines.append(f"   at: {visible(hit.citation.location())}")
        for other in hit.also_cited:
            lines.append(f"   also in: {visible(other.label())}")
        lines.append(_indent(_marked_text(hit, color), width))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _marked_text(hit: Hit, color: bool) -> str:
    """The passage, escaped piece by piece so that our own bold codes stay codes.

    Tabs and newlines are kept: `textwrap` turns them into spaces.
    """
    text = hit.text
    if not hit.highlights:
        return visible(text, keep=LAYOUT)
    on, off = (BOLD_ON, BOLD_OFF) if color else (PLAIN_ON, PLAIN_OFF)
    best = hit.highlights[0]
    before, best_text, after = text[: best.start], text[best.start : best.end], text[best.end :]
    return "".join(
        (visible(before, LAYOUT), on, visible(best_text, LAYOUT), off, visible(after, LAYOUT))
    )


def _indent(text: str, width: int) -> str:
    return "\n".join(
        textwrap.wrap(text, width=width, initial_indent="   ", subsequent_indent="   ")
    )


def render_status(info: IndexInfo) -> str:
    size_mb = info.size_bytes / 1e6
    # Folder names and the index's own fields are untrusted text like an article's.
    sources = "\n".join(f"  {visible(str(root))}" for root in info.sources) or "  (none)"
    return (
        f"index:      {visible(str(info.index_dir))}\n"
        f"articles:   {info.articles}\n"
        f"paragraphs: {info.paragraphs}\n"
        f"passages:   {info.passages} (+ {counted(info.sentences, 'sentence')})\n"
        f"model:      {visible(str(info.model_id))} ({info.dim} dimensions)\n"
        f"size:       {size_mb:.1f} MB\n"
        f"last build: {visible(str(info.built_at))} (generation {info.generation})\n"
        + (f"shards:     {info.shards}\n" if info.shards > 1 else "")
        + f"folders:\n{sources}\n"
    )


def render_progress(event: BuildProgress) -> str:
    if event.stage == "embedding" and event.passages_total:
        eta = f", ETA {event.eta_seconds:.0f}s" if event.eta_seconds is not None else ""
        return (
            f"embedding {event.passages_done}/{counted(event.passages_total, 'text')} "
            f"({event.rate:.0f}/s{eta})"
        )
    if event.stage == "reading" and event.articles_total:
        return f"reading {event.articles_done}/{counted(event.articles_total, 'file')}"
    return f"{visible(event.stage)}..."


def render_report(report: BuildReport) -> str:
    return (
        f"indexed {counted(report.articles, 'article')}, {counted(report.passages, 'passage')} "
        f"({report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged; {counted(report.embedded, 'text')} embedded, "
        f"{counted(len(report.skipped), 'file')} skipped) in {report.seconds:.1f}s"
    )
