"""Reading a follow-up question in the context of the previous turn.

A stand-in until `qa.conversation` lands (issue 4): it is one small function so the chat
can swap it for the core's `Conversation` without touching anything else. It never
imports textual, so it can be tested (and reused) without a terminal.
"""

from __future__ import annotations

import re

# Words that point back at someone or something named in the previous question.
_BACK_REFERENCES = frozenset(
    "he him his she her hers they them their theirs it its there then that".split()
)
_OPENERS = ("and ", "what about ", "how about ", "also ", "but ")
_SHORT = 3  # "And Macron?", "When?": too short to stand on their own


def searched_text(question: str, thread_subject: str | None) -> str | None:
    """The text to search for `question`, or None when it stands on its own.

    `thread_subject` is the standalone question that opened the current thread of
    follow-ups (not the previous expansion, so a long chain does not snowball).
    """
    if not thread_subject:
        return None
    words = re.findall(r"[a-z']+", question.lower())
    lowered = question.lower().lstrip()
    if (
        len(words) <= _SHORT
        or lowered.startswith(_OPENERS)
        or any(word in _BACK_REFERENCES for word in words)
    ):
        return f"{thread_subject} {question}"
    return None
