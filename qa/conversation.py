"""Follow-up questions read in the context of the conversation so far.

"What did he say about the reserve?" means nothing to a retriever on its own; after
"What did Peskov say?" it means "What did Peskov say about the reserve?". A
`Conversation` keeps the turns and rewrites each new question before it is searched:

- a question with a back-reference ("he", "his", "they", "it") and no name of its own
  gets the name(s) of the conversation's current subject in place of the pronoun;
- "And Macron?" (a bare name, with or without an opener) re-asks the previous question
  about the new name;
- a very short question without a name ("Why?", "When was that?") is searched together
  with the previous searched text;
- anything else stands on its own and becomes the new subject.

Rules, not a model: they are predictable, cost nothing, and a wrong guess is visible in
`Answer.searched`. The subject is taken from the latest turn that named someone, so a
long chain of follow-ups does not snowball. Headless: used by `qa ask --session FILE`
and by the TUI alike.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import UsageError
from qa.who_said import QuoteKey, asked_speaker, asks_for_more, quote_key

if TYPE_CHECKING:
    from qa.answer import Answer
    from qa.library import Library

_PRONOUNS = {
    "he": "{}",
    "she": "{}",
    "they": "{}",
    "him": "{}",
    "her": "{}",
    "them": "{}",
    "it": "{}",
    "his": "{}'s",
    "hers": "{}'s",
    "their": "{}'s",
    "theirs": "{}'s",
    "its": "{}'s",
}
_OPENERS = re.compile(r"^\s*(and|but|also|so|what about|how about|and what about)\b[\s,]*", re.I)
_SHORT = 3
MAX_SESSION_BYTES = 10_000_000
"""A conversation file is a few kilobytes; anything this large was not written by qa."""
"""Questions of at most this many words cannot stand on their own ("When was that?")."""
_NOT_NAMES = frozenset(
    "what who whom whose when where why how which did does do is are was were will would "
    "can could should has have had the a an and but also so in on at of for to i "
    "according under after before during since with from if by as".split()
)


@dataclass(frozen=True)
class Turn:
    """One question of a conversation and what was searched for it."""

    question: str
    """As asked."""
    searched: str
    """As searched, after the rewrite."""
    confident: bool = True
    article: str | None = None
    """Article key of the top hit, if any."""
    paragraph: int | None = None
    """Paragraph ordinal of the top hit, if any."""
    speaker: str | None = None
    """Whose quotes the answer carried (the name the article resolved), if any: what
    "he" means next, even when the question named a role ("Putin's spokesman")."""
    quoted: tuple[QuoteKey, ...] = ()
    """The quotes the answer carried, left out of a later "What else did he say?"."""


def names(text: str) -> list[str]:
    """Capitalised words and runs of them ("Emmanuel Macron"), question words excluded."""
    found: list[str] = []
    for run in re.findall(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*", text):
        words = [w for w in run.split() if w.lower() not in _NOT_NAMES]
        if words:
            found.append(" ".join(words))
    return found


class Conversation:
    """The turns so far, and the rewrite of the next question in their light."""

    def __init__(self, turns: list[Turn] | None = None) -> None:
        self.turns: list[Turn] = list(turns or [])

    def subject(self) -> list[str]:
        """Names the conversation is currently about: those of the latest turn naming any."""
        for turn in reversed(self.turns):
            found = names(turn.searched)
            if found:
                return found
        return []

    def rewrite(self, question: str) -> str:
        """The text to search for `question`: itself, or expanded as a follow-up."""
        if not self.turns:
            return question
        previous = self.turns[-1].searched
        own = names(_OPENERS.sub("", question))
        words = re.findall(r"[\w'’]+", question)
        stripped = _OPENERS.sub("", question).strip(" ?.!")
        if own and " ".join(own) == stripped and self.subject():
            # "And Macron?": the previous question, about the new name.
            return _replace_names(previous, self.subject(), own[0])
        if own:
            return _OPENERS.sub("", question).strip() or question
        pronoun = next((w for w in words if w.lower() in _PRONOUNS), None)
        speaker = self.turns[-1].speaker
        subject = [speaker] if speaker else self.subject()
        if pronoun is not None and subject:
            filler = _PRONOUNS[pronoun.lower()].format(" and ".join(subject))
            return re.sub(rf"\b{re.escape(pronoun)}\b", filler, question, count=1)
        if len(words) <= _SHORT or pronoun is not None or _OPENERS.match(question):
            return f"{previous} {question}"
        return question

    def ask(self, library: Library, question: str, **options: object) -> Answer:
        """Rewrite, ask `library`, and record the turn; returns the answer."""
        skip = self.quotes_to_skip(question)
        answer = library.ask(question, searched=self.rewrite(question), skip_quotes=skip, **options)  # type: ignore[arg-type]  # options are Library.ask's keywords, typed object
        answer = self.explained(answer, skip)
        self.record(answer)
        return answer

    def shown(self) -> frozenset[QuoteKey]:
        """Every quote an answer of this conversation has carried."""
        return frozenset(key for turn in self.turns for key in turn.quoted)

    def quotes_to_skip(self, question: str) -> frozenset[QuoteKey]:
        """The quotes `question` does not want again: those shown, when it asks for more
        ("What else did he say?"); `Library.ask(skip_quotes=...)` leaves them out."""
        return self.shown() if asks_for_more(question) else frozenset()

    def explained(self, answer: Answer, skipped: frozenset[QuoteKey]) -> Answer:
        """`answer`, saying so when skipping the quotes shown left none of the speaker's."""
        if not skipped or answer.quotes or answer.notice is not None:
            return answer
        asked = asked_speaker(answer.searched or answer.question)
        if asked is None:
            return answer
        return replace(answer, notice=f"no more quotes by {asked.speaker} than those shown before")

    def record(self, answer: Answer) -> None:
        """Add an answered question as the latest turn."""
        top = answer.hits[0].citation if answer.hits else None
        self.turns.append(
            Turn(
                question=answer.question,
                searched=answer.searched or answer.question,
                confident=answer.confident,
                article=top.article if top else None,
                paragraph=top.paragraph if top else None,
                speaker=_main_speaker(answer),
                quoted=tuple(quote_key(q) for q in answer.quotes),
            )
        )

    def to_json(self) -> dict[str, object]:
        return {"turns": [asdict(t) for t in self.turns]}

    @classmethod
    def load(cls, path: Path) -> Conversation:
        """The conversation saved in `path`; an empty one if the file does not exist."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return cls()
        except OSError as error:
            raise UsageError(f"--session {path}: cannot read ({error.strerror})") from None
        # A pipe or device would block the read, and a huge file is no conversation.
        if not stat.S_ISREG(info.st_mode):
            raise UsageError(f"--session {path}: not a regular file")
        if info.st_size > MAX_SESSION_BYTES:
            raise UsageError(
                f"--session {path}: {info.st_size} bytes, over the "
                f"{MAX_SESSION_BYTES} bytes a conversation file may hold"
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            reason = "nested too deeply" if isinstance(error, RecursionError) else error
            raise UsageError(f"--session {path}: not a conversation file ({reason})") from None
        try:
            return cls([_checked(Turn(**turn)) for turn in data["turns"]])
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"--session {path}: not a conversation file ({error})") from None

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the old file or the new one, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.to_json(), out, ensure_ascii=False, indent=2)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _checked(turn: Turn) -> Turn:
    """A turn read from a file, refused (TypeError) unless its fields have their types:
    a number where the text should be would fail later, as an internal error."""
    if not (isinstance(turn.question, str) and isinstance(turn.searched, str)):
        raise TypeError("a turn's question and searched text must be strings")
    if not isinstance(turn.confident, bool) or not isinstance(turn.article, str | None):
        raise TypeError("a turn's confident must be true or false, its article a string")
    if turn.paragraph is not None and type(turn.paragraph) is not int:
        raise TypeError("a turn's paragraph must be a number")
    if not isinstance(turn.speaker, str | None) or not isinstance(turn.quoted, list | tuple):
        raise TypeError("a turn's speaker must be a string, its quoted a list")
    quoted = tuple((str(a), int(p), int(s)) for a, p, s in turn.quoted)
    return replace(turn, quoted=quoted)


def _main_speaker(answer: Answer) -> str | None:
    """The name most of the answer's quotes resolve to (the first such on a tie)."""
    names = [q.speaker for q in answer.quotes if q.speaker]
    return max(names, key=names.count) if names else None


def _replace_names(text: str, old: list[str], new: str) -> str:
    for name in old:
        if name in text:
            return text.replace(name, new, 1)
    return f"{text} {new}"
