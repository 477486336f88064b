"""Sentence spans and model-sized passage windows, with a word-counting stand-in tokenizer."""

from __future__ import annotations

import pytest

from index.models import Span
from index.sources.textsplit import passage_spans, split_sentences


def words(texts: list[str]) -> list[int]:
    return [len(text.split()) for text in texts]


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in St. Louis on Jan. 5. They talked.",
            ["Mr. Smith met Dr. Jones in St. Louis on Jan. 5.", "They talked."],
        ),
        (
            "John F. Kennedy won in 1960. The margin was 0.17 percent.",
            ["John F. Kennedy won in 1960.", "The margin was 0.17 percent."],
        ),
        (
            "Fruit, e.g. apples, i.e. Granny Smith, is cheap. Prices fell 2.5%.",
            ["Fruit, e.g. apples, i.e. Granny Smith, is cheap.", "Prices fell 2.5%."],
        ),
        (
            "He moved to the U.S. The U.S. Army did not comment.",
            ["He moved to the U.S.", "The U.S. Army did not comment."],
        ),
        (
            "\u201cIt is out of the question,\u201d he said.\u201d Next, he left. \u201cWhy?\u201d "
            "she asked.",
            [
                "\u201cIt is out of the question,\u201d he said.\u201d",
                "Next, he left.",
                "\u201cWhy?\u201d she asked.",
            ],
        ),
        (
            "Wait... and then? It ended\u2026 Nobody spoke!",
            ["Wait... and then?", "It ended\u2026", "Nobody spoke!"],
        ),
        (
            "The answer was no. In 1939, c. 1,300,000 lived at No. 5 (a.k.a. The Mutants).",
            ["The answer was no.", "In 1939, c. 1,300,000 lived at No. 5 (a.k.a. The Mutants)."],
        ),
        ("No punctuation at all", ["No punctuation at all"]),
    ],
)
def test_sentences_on_news_text(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_spans_are_exact_ordered_and_cover_all_text() -> None:
    text = "  One here.   Two there!\n\tThree? \u201cFour.\u201d  "
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == [
        "One here.",
        "Two there!",
        "Three?",
        "\u201cFour.\u201d",
    ]
    for before, after in zip(spans, spans[1:], strict=False):
        assert before.end <= after.start
    covered = {i for s in spans for i in range(s.start, s.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    assert split_sentences("   ") == []


def test_a_paragraph_that_fits_is_one_passage() -> None:
    text = "A short paragraph. It has two sentences."
    assert passage_spans(text, words, 254) == [Span(0, len(text))]


def long_paragraph(count: int) -> str:
    return " ".join(f"Sentence number {i} has exactly seven words." for i in range(count))


def check_windows(text: str, spans: list[Span], max_tokens: int) -> None:
    assert spans == sorted(spans, key=lambda s: (s.start, s.end))
    assert all(words([text[s.start : s.end]])[0] <= max_tokens for s in spans)
    covered = set().union(*(range(s.start, s.end) for s in spans))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    for span in spans:
        assert text[span.start : span.end] == text[span.start : span.end].strip()


def test_long_paragraph_becomes_overlapping_windows_cut_at_sentences() -> None:
    text = long_paragraph(100)  # 700 words
    spans = passage_spans(text, words, 50)
    check_windows(text, spans, 50)
    assert len(spans) > 1
    sentence_ends = {s.end for s in split_sentences(text)}
    assert all(span.end in sentence_ends for span in spans)
    # Consecutive windows share exactly one sentence.
    for before, after in zip(spans, spans[1:], strict=False):
        shared = text[after.start : before.end]
        assert len(split_sentences(shared)) == 1


def test_answer_after_token_300_is_inside_a_window_that_fits() -> None:
    filler = long_paragraph(50)  # 350 words before the answer
    answer = "The reserve was created on August 27 by President Putin."
    text = f"{filler} {answer} {long_paragraph(10)}"
    spans = passage_spans(text, words, 254)
    start = text.index(answer)
    holding = [s for s in spans if s.start <= start and start + len(answer) <= s.end]
    assert holding
    assert all(words([text[s.start : s.end]])[0] <= 254 for s in holding)


def test_a_sentence_longer_than_the_window_is_cut_at_word_boundaries() -> None:
    text = "Intro. " + " ".join(f"w{i}" for i in range(120)) + ". Outro."
    spans = passage_spans(text, words, 25)
    check_windows(text, spans, 25)
    pieces = [text[s.start : s.end] for s in spans]
    assert all(not piece.startswith(("0", "1", "2")) for piece in pieces)  # no word was split


def test_a_run_without_spaces_longer_than_the_window_is_still_kept() -> None:
    def chars(texts: list[str]) -> list[int]:
        return [len(text.replace(" ", "")) for text in texts]

    text = "Start. " + "x" * 1000 + " end."
    spans = passage_spans(text, chars, 100)
    assert all(chars([text[s.start : s.end]])[0] <= 100 for s in spans)
    covered = set().union(*(range(s.start, s.end) for s in spans))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_windows_are_rechecked_with_the_real_counts() -> None:
    # A tokenizer that charges one extra token per window of text joined from sentences.
    def strict(texts: list[str]) -> list[int]:
        return [len(t.split()) + t.count(". ") for t in texts]

    text = long_paragraph(40)
    spans = passage_spans(text, strict, 30)
    assert all(strict([text[s.start : s.end]])[0] <= 30 for s in spans)
    covered = set().union(*(range(s.start, s.end) for s in spans))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_five_megabyte_paragraph_is_split_quickly() -> None:
    text = long_paragraph(100_000)[:5_000_000]
    spans = passage_spans(text, words, 254)
    assert spans[0].start == 0 and spans[-1].end == len(text.rstrip())
    assert len(spans) > 1000
