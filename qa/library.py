"""`Library`: an index folder and its embedder, the one object the CLI and the TUI ask.

It keeps the last committed generation open and moves to a newer one between
questions, so a long-running TUI sees rebuilds as soon as they commit, never half of one.
It asks that generation through the store protocol only (`index.store.interface.Store`):
the store it opens is `IndexSnapshot`, or `qa.sharded.ShardedStore` over a sharded library
(`index.shards`), unless `open_store` says otherwise.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from index.embedding.embed import load_embedder
from index.errors import IndexMissing, UsageError
from index.locations import default_index_dir
from index.shards.manifest import is_sharded
from index.store.interface import Store
from index.store.records import IndexInfo
from index.store.schema import db_path
from qa.answer import Answer, Citation, Highlight, Hit
from qa.confidence import DEFAULT_MODEL, RIVALS, answer_confidence

# Re-exported (the `x as x` form): the default library's first use lives there.
from qa.first_use import ensure_default_library as ensure_default_library
from qa.first_use import needs_first_use as needs_first_use
from qa.first_use import wait_for_first_build
from qa.notices import explain_empty
from qa.retrieve import MODES, Filters, ScoredPassage, rank_passages
from qa.sharded import open_library_store
from qa.who_said import QuoteKey, asked_speaker, quote_key, rank_quotes

if TYPE_CHECKING:
    import numpy as np

    # Imported where a build starts: asking must not load readers, trafilatura, chunking.
    from index.build.run import BuildEvent

    # Seven dataclasses a question never makes (~5 ms of a cold `qa ask`): types only.
    from index.models import Embedder

StoreOpener = Callable[[Path, str], Store]
"""Opens the last committed generation of an index folder for a model id."""

MAX_QUESTION_CHARS = 2000
HIGHLIGHT_MARGIN = 0.02


class Library:
    """Ask questions of one index folder; safe to share between threads of one process."""

    def __init__(
        self, index_dir: Path, embedder: Embedder, open_store: StoreOpener = open_library_store
    ) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self._open_store = open_store
        self._snapshot: Store | None = None
        # Held by every use of the snapshot (its SQLite connections, its FAISS index) and
        # while replacing it with a newer generation: the TUI calls from several worker
        # threads at once. Re-entrant because `ask` holds it around `snapshot()`.
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        index_dir: Path | None = None,
        *,
        model: str | Path | None = None,
        backend: str = "auto",
        notify: Callable[[str], None] | None = None,
    ) -> Library:
        """A library over `index_dir` (default: the user's library). Loads nothing heavy yet."""
        embedder = load_embedder(model, backend=backend, notify=notify)
        return cls(Path(index_dir) if index_dir else default_index_dir(), embedder)

    def exists(self) -> bool:
        return db_path(self.index_dir).exists() or is_sharded(self.index_dir)

    def snapshot(self) -> Store:
        """The newest committed generation, reopened only when a build has committed."""
        with self._lock:
            if self._snapshot is not None and not self._snapshot.is_current():
                self._snapshot.close()
                self._snapshot = None
            if self._snapshot is None:
                self._snapshot = self._open_store(self.index_dir, self.embedder.model_id)
            return self._snapshot

    def info(self) -> IndexInfo:
        with self._lock:
            return self.snapshot().info()

    def warm(self) -> None:
        """Load the model and the index now, so the first question answers fast."""
        self.embedder.warm()
        self.snapshot()

    def close(self) -> None:
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        filters: Filters | None = None,
        mode: str = "hybrid",
        searched: str | None = None,
        query_vector: np.ndarray | None = None,
        option_prefix: str = "--",
        skip_quotes: Collection[QuoteKey] = (),
    ) -> Answer:
        """Rank the library's passages for `question` (search `searched` if given).

        `query_vector` is the searched text's vector when the caller has encoded it
        already (`encode_questions`, many questions in one model call); `seconds` then
        counts the search only. `option_prefix` is how the caller's user names a filter
        ("--since" on the command line, "/since" in the chat), for `Answer.notice`.
        `skip_quotes` are quotes already shown ("What else did he say?"): left out.
        """
        check_request(question, k, mode)
        started = time.perf_counter()
        text = searched or question
        if query_vector is None:
            # The index first: an unusable one must not cost a model load (or, on a
            # fresh cache, a ~10 s ONNX export) before it is reported.
            self.snapshot()
            query_vector = self.embedder.encode([text])[0]
        notice = None
        # Read from the searched text: a follow-up ("What else did he say?") names whom.
        asked = asked_speaker(text)
        quotes = []
        with self._lock:
            snapshot = self.snapshot()
            ranked = rank_passages(
                snapshot, text, query_vector, k=k * 2 + 10, mode=mode, filters=filters
            )
            if not ranked:
                notice = explain_empty(snapshot, self.index_dir, filters, mode, option_prefix)
            if asked is not None:
                found = snapshot.quotes_by(asked.speaker, filters)
                if skip_quotes:
                    found = [q for q in found if quote_key(q) not in skip_quotes]
                quotes = rank_quotes(snapshot, found, asked.topic, query_vector)
        hits = _collapse_duplicates(ranked, k)
        confidence = answer_confidence(ranked[:1], rivals(ranked))
        return Answer(
            question=question,
            hits=tuple(hits),
            searched=text,
            confident=confidence >= DEFAULT_MODEL.threshold,
            confidence=confidence,
            seconds=time.perf_counter() - started,
            notice=notice,
            quotes=tuple(quotes),
        )

    def encode_questions(self, texts: Sequence[str]) -> np.ndarray:
        """The query vectors of several texts from one model call, rows in order.

        Row i is what `ask` would compute for `texts[i]` by itself (the ONNX backend's
        padding is masked exactly; tests/test_cli.py checks the answers agree).
        """
        return self.embedder.encode(list(texts))

    def build(
        self,
        paths: Sequence[Path] = (),
        *,
        full: bool = False,
        cancel: threading.Event | None = None,
    ) -> Iterator[BuildEvent]:
        """Build or update this library's index; see `index.build.run.build_index`, or
        `index.shards.build.build_library` for a sharded library (on this machine's cores)."""
        if is_sharded(self.index_dir):
            from qa.shard_commands import library_build

            return library_build(self, paths, full=full, cancel=cancel)
        from index.build.run import build_index

        return build_index(self.index_dir, paths, embedder=self.embedder, full=full, cancel=cancel)

    def article_paragraphs(self, article_id: int) -> list[tuple[int, str, bool]]:
        with self._lock:
            return self.snapshot().article_paragraphs(article_id)


def check_request(question: str, k: int, mode: str) -> None:
    """Refuse a request no search can serve; cheap, so callers check before loading."""
    check_question(question)
    if mode not in MODES:
        raise UsageError(f"unknown retriever {mode!r}; choose one of {', '.join(MODES)}")
    if k < 1:
        raise UsageError(f"-k must be at least 1, not {k}")


def check_question(question: str) -> None:
    """Refuse questions no search can serve, with a one-line reason."""
    if not question or not question.strip():
        # An example that names no article: it makes sense over any library, not only the sample.
        raise UsageError('empty question: ask something, e.g. qa ask "What did the minister say?"')
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(
            f"question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    bad = next((c for c in question if ord(c) < 32 and c not in "\t\n\r"), None)
    if bad is not None:
        raise UsageError(f"question contains a control character ({bad!r})")
    if any("\ud800" <= c <= "\udfff" for c in question):
        # Undecodable input bytes (surrogate escapes): the tokenizer and SQLite refuse them.
        raise UsageError("question is not valid UTF-8 text")


def open_library_or_fail(library: Library, notify: Callable[[str], None] | None = None) -> Library:
    """The library, once its index is checked usable (committed, sound, this model).

    Cheap (no model is loaded), so commands call it before anything slow: an unusable
    index is reported at once, not after a model load or a first ONNX export. An index
    whose first build is running now is waited for (`notify` says so) rather than refused.
    """
    wait_for_first_build(library.index_dir, notify)
    if not library.exists():
        raise IndexMissing(
            f"no index at {library.index_dir}; build one with "
            f"`qa index build PATH --index {library.index_dir}`"
        )
    library.snapshot()
    return library


def _collapse_duplicates(ranked: list[ScoredPassage], k: int) -> list[Hit]:
    """One hit per distinct passage text; later copies become extra citations.

    "Distinct" ignores case, punctuation and small edits (a syndicated story with a
    changed dateline or a typo fixed): passages sharing nearly all their word trigrams
    are one passage. The pairwise check is over the few dozen ranked hits only, and once
    `k` hits are found, later passages are only compared with those: a new group past
    the k-th would never be shown.
    """
    groups: list[tuple[ScoredPassage, list[Citation]]] = []
    for item in ranked:
        # Near-copies embed alike: only passages of about the same cosine are compared,
        # so most passages are never split into trigrams.
        same = next(
            (
                i
                for i, (seen, _) in enumerate(groups)
                if abs(seen.passage_cos - item.passage_cos) <= NEAR_COSINE
                and _near(_shingles(item.record.text), _shingles(seen.record.text))
            ),
            None,
        )
        if same is not None:
            groups[same][1].append(_citation(item))
        elif len(groups) < k:
            groups.append((item, []))
    return [
        Hit(
            rank=rank,
            score=item.score,
            text=item.record.text,
            citation=_citation(item),
            highlights=_highlights(item),
            also_cited=tuple(also),
            boilerplate=item.record.boilerplate,
        )
        for rank, (item, also) in enumerate(groups[:k], start=1)
    ]


_WORD = re.compile(r"\w+")
NEAR_DUPLICATE = 0.8
NEAR_COSINE = 0.1
"""Passages whose cosines with the question differ more are never near-duplicates."""
"""Jaccard similarity of word trigram sets at or above which two passages are one."""


@lru_cache(maxsize=4096)
def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    # Cached: questions about one article meet the same passages again and again. Word
    # tuples built by zip cost a third of joined strings and make the same sets.
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return frozenset([tuple(words)])
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def _near(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> bool:
    if a == b:
        return True
    if not a or not b or min(len(a), len(b)) < NEAR_DUPLICATE * max(len(a), len(b)):
        return False
    shared = len(a & b)
    return shared >= NEAR_DUPLICATE * (len(a) + len(b) - shared)


def rivals(ranked: list[ScoredPassage]) -> list[ScoredPassage]:
    """The passages after the first that are not copies of it, best first (at most
    `qa.confidence.RIVALS`): a wire copy of the top passage is no rival, so it must not
    shrink its lead (`qa.confidence.top_features`)."""
    if not ranked:
        return []
    top = ranked[0]
    found: list[ScoredPassage] = []
    for item in ranked[1:]:
        if not (
            abs(top.passage_cos - item.passage_cos) <= NEAR_COSINE
            and _near(_shingles(top.record.text), _shingles(item.record.text))
        ):
            found.append(item)
            if len(found) == RIVALS:
                break
    return found


def _citation(item: ScoredPassage) -> Citation:
    r = item.record
    return Citation.of(r.article, r.ordinal, r.start, r.end, line=r.line, page=r.page)


def _highlights(item: ScoredPassage) -> tuple[Highlight, ...]:
    """The passage's sentences that best answer the question, best first, as spans of it.

    Only sentences scoring close to the best are kept: one highlight usually, two when
    the answer straddles them.
    """
    if not item.sentences:
        return ()
    ranked = sorted(item.sentences, key=lambda s: s.score, reverse=True)
    best = ranked[0].score
    offset = item.record.start
    return tuple(
        Highlight(s.record.start - offset, s.record.end - offset, s.score)
        for s in ranked[:2]
        if s.score >= best - HIGHLIGHT_MARGIN
    )
