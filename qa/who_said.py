"""Who said what: a question asking what someone said, and their quotes ranked for it.

"What did Peskov say?", "What has the Kremlin said about Belarus?", "Did Borrell say
anything about interference?": a speech verb, someone before it, and perhaps a topic
after it. `asked_speaker` reads that shape with a few rules (no model, microseconds, so a
question of any other shape costs nothing measurable); the store finds the speaker's
quotes by their stored name keys (`Store.quotes_by`) and `rank_quotes` orders them by
the topic: the share of its words the quote holds, plus the question vector's cosine
with the stored vectors of the chunks holding the quote (no model call: the question's
one vector is reused), then newest first. Without a topic the store's order stands:
newest article first, each article's quotes in text order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa.words import terms

if TYPE_CHECKING:
    import numpy as np

    from index.store.interface import Store
    from index.store.quotes import QuoteRecord

MAX_QUOTES = 10
"""Quotes an answer carries at most: the best ranked."""

MAX_SPEAKER_WORDS = 6
"""Longer "speakers" are a clause, not someone ("What did the report on the ... say?")."""

_SPEECH_VERBS = frozenset(
    """
    say says said saying tell tells told telling claim claims claimed claiming
    deny denies denied denying warn warns warned warning announce announces announced
    state states stated comment comments commented respond responds responded
    reply replies replied argue argues argued insist insists insisted add added
    explain explains explained stress stresses stressed urge urges urged
    suggest suggests suggested mention mentions mentioned admit admits admitted
    acknowledge acknowledges acknowledged promise promises promised vow vows vowed
    declare declares declared accuse accuses accused criticise criticised criticize
    criticized call calls called write writes wrote written predict predicted
    threaten threatened confirm confirms confirmed reveal revealed ask asks asked
    think thinks thought quoted
    """.split()
)
"""Verbs that ask for someone's words, in the forms a question uses them."""

_LEADING = frozenset(
    """
    what which did does do has have had will would could can is was were else exactly
    ever really also and but so then when how why where just already actually recently
    publicly specifically
    """.split()
)
"""Words a question opens with before naming the speaker ("What else has ...")."""

_DETERMINERS = frozenset({"the", "a", "an"})
_PRONOUNS = frozenset(
    "he she they him her them it his hers their its i you we who whom whose".split()
)
_TOPIC_FILLERS = frozenset(
    "anything something else about regarding concerning publicly recently exactly as".split()
)
_WORD = re.compile(r"[\w'’-]+")


QuoteKey = tuple[str, int, int]
"""A quote's identity across answers: article key, paragraph ordinal, content start."""


def quote_key(quote: QuoteRecord) -> QuoteKey:
    return (quote.article.key, quote.paragraph, quote.start)


_MORE = frozenset({"else", "more", "other", "another", "further"})


def asks_for_more(question: str) -> bool:
    """ "What else did he say?", "Anything more from Peskov?": quotes not shown yet."""
    return any(w.lower() in _MORE for w in _WORD.findall(question))


@dataclass(frozen=True)
class SpeakerQuestion:
    """A who-said-what question, read: whom it names, and what about."""

    speaker: str
    """As the question names them, leading "the" dropped ("Kremlin", "Putin's spokesman")."""
    topic: tuple[str, ...]
    """The question's content terms after the verb (`qa.scoring.terms`), maybe none."""


_AGENT = frozenset({"by", "from"})
"""What names the speaker after a passive verb: "What was said by Peskov?"."""
_TOPIC_START = frozenset({"about", "on", "regarding", "concerning", "of", "in", "during"})


def asked_speaker(question: str) -> SpeakerQuestion | None:
    """The speaker and topic of a question asking what someone said; None for any other."""
    words = _WORD.findall(question)
    verb = next((n for n, w in enumerate(words) if w.lower() in _SPEECH_VERBS), None)
    if verb is None:
        return None
    if verb + 1 < len(words) and words[verb + 1].lower() in _AGENT:
        return _passive(words, verb)
    before = words[:verb]
    while before and before[0].lower() in _LEADING:
        before = before[1:]
    while before and before[0].lower() in _DETERMINERS:
        before = before[1:]
    if not before or len(before) > MAX_SPEAKER_WORDS:
        return None
    if any(w.lower() in _PRONOUNS or w.lower() in _LEADING for w in before):
        # "What did he say?" (a follow-up rewrites the pronoun first), "Who said ...?".
        return None
    return _question(before, words[verb + 1 :])


def _passive(words: list[str], verb: int) -> SpeakerQuestion | None:
    """ "What was said by Peskov (about Belarus)?": the speaker follows "by"."""
    after = words[verb + 2 :]
    end = next((n for n, w in enumerate(after) if w.lower() in _TOPIC_START), len(after))
    speaker = after[:end]
    while speaker and speaker[0].lower() in _DETERMINERS:
        speaker = speaker[1:]
    if not speaker or len(speaker) > MAX_SPEAKER_WORDS:
        return None
    if any(w.lower() in _PRONOUNS or w.lower() in _LEADING for w in speaker):
        return None
    return _question(speaker, after[end:])


def _question(speaker: list[str], rest: list[str]) -> SpeakerQuestion:
    """The speaker's words and the topic in what follows the verb ("quoted as saying"
    and other speech verbs there are no topic)."""
    topic = terms(
        " ".join(
            w for w in rest if w.lower() not in _TOPIC_FILLERS and w.lower() not in _SPEECH_VERBS
        )
    )
    return SpeakerQuestion(" ".join(speaker), tuple(dict.fromkeys(topic)))


def rank_quotes(
    store: Store,
    quotes: list[QuoteRecord],
    topic: tuple[str, ...],
    query_vector: np.ndarray,
    limit: int = MAX_QUOTES,
) -> list[QuoteRecord]:
    """The `limit` quotes that best fit the topic, then newest (the store's order)."""
    if not topic or len(quotes) < 2:
        return quotes[:limit]
    wanted = set(topic)
    cosine = _quote_cosines(store, quotes, query_vector)
    scores = [
        len(wanted.intersection(terms(q.text))) / len(wanted) + cosine[n]
        for n, q in enumerate(quotes)
    ]
    # Stable: equal scores keep the store's order, newest article first.
    order = sorted(range(len(quotes)), key=lambda n: -scores[n])
    return [quotes[n] for n in order[:limit]]


def _quote_cosines(store: Store, quotes: list[QuoteRecord], vector: np.ndarray) -> list[float]:
    """The question's best cosine with a stored chunk overlapping each quote (0 if none)."""
    layout = store.chunk_layout(sorted({q.paragraph_id for q in quotes}))
    if not len(layout.chunk_ids):
        return [0.0] * len(quotes)
    cosines = store.vectors_of(layout.chunk_ids.tolist()) @ vector
    # A paragraph's rows are contiguous in the layout (ordered by paragraph id).
    firsts = layout.paragraph_ids.searchsorted([q.paragraph_id for q in quotes], side="left")
    lasts = layout.paragraph_ids.searchsorted([q.paragraph_id for q in quotes], side="right")
    best: list[float] = []
    for quote, first, last in zip(quotes, firsts.tolist(), lasts.tolist(), strict=True):
        rows = slice(first, last)
        inside = (layout.starts[rows] < quote.end) & (layout.ends[rows] > quote.start)
        best.append(float(cosines[rows][inside].max()) if inside.any() else 0.0)
    return best
