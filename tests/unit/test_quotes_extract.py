"""Quote extraction (issue 10): who said what, on the bundled sample and on small paragraphs
written for these tests."""

from __future__ import annotations

import random
import time

import pytest
from import_probe import loaded_after
from library_fixtures import SAMPLE
from quote_support import article, assert_offsets_hold

from index.locations import sample_dir
from index.models import Quote
from index.sources.quote_cues import compile_patterns
from index.sources.quotes import MAX_QUOTED_PARAGRAPH, extract_quotes
from index.sources.readers import read_articles


def sample_quotes() -> list[Quote]:
    path = sample_dir() / SAMPLE
    (sample,) = read_articles(path, path.parent)
    return extract_quotes(sample)


def test_sample_article_peskov_said_two_things_and_putin_one() -> None:
    quotes = sample_quotes()
    peskov = [q for q in quotes if q.speaker == "Dmitry Peskov"]
    assert [q.content.paragraph for q in peskov] == [1, 3]
    assert peskov[0].content.text.startswith("The use of this reserve")
    assert peskov[0].direct and peskov[0].mention is not None
    assert "Peskov" in peskov[0].mention.text
    assert peskov[1].mention is not None and peskov[1].mention.text == "Peskov"
    assert peskov[1].cue is not None and peskov[1].cue.text == "said"
    putin = [q for q in quotes if q.content.paragraph == 2]
    assert [q.speaker for q in putin] == ["Vladimir Putin"]
    assert "extremists in Belarus cross a line" in putin[0].content.text


def test_sample_donation_appeal_yields_no_quotes() -> None:
    path = sample_dir() / SAMPLE
    (sample,) = read_articles(path, path.parent)
    boilerplate = {p.ordinal for p in sample.paragraphs if p.boilerplate}
    assert boilerplate  # the appeal ("The authorities claim our work ...") is there
    quotes = extract_quotes(sample)
    assert not {q.content.paragraph for q in quotes} & boilerplate
    assert_offsets_hold(quotes, sample)


def test_a_quote_split_around_its_cue_is_one_quote() -> None:
    text = "“The dam will hold,” the engineer Maria Lindqvist said, “unless the rain goes on.”"
    (quote,) = extract_quotes(article(text))
    assert (
        quote.content.text
        == "The dam will hold,” the engineer Maria Lindqvist said, “unless the rain goes on."
    )
    assert quote.direct
    assert quote.cue is not None and quote.cue.text == "said"
    assert quote.speaker == "Maria Lindqvist"


def test_pronoun_and_title_resolve_to_the_full_name_in_an_earlier_paragraph() -> None:
    source = article(
        "The harbour authority's spokesman Tomas Ferreira spoke to reporters on Tuesday.",
        "The ferries will run again next week, he said.",
        "“We have checked every hull,” the spokesman said.",
        "“Nobody was hurt,” Ferreira added.",
    )
    quotes = extract_quotes(source)
    assert [q.content.paragraph for q in quotes] == [1, 2, 3]
    assert [q.speaker for q in quotes] == ["Tomas Ferreira"] * 3
    assert [q.mention.text for q in quotes if q.mention] == ["he", "the spokesman", "Ferreira"]
    assert quotes[0].content.text == "The ferries will run again next week"
    assert not quotes[0].direct
    assert_offsets_hold(quotes, source)


def test_indirect_speech_with_according_to() -> None:
    source = article(
        "Road works near the station will last until May, according to city engineer Ana Ruiz."
    )
    (quote,) = extract_quotes(source)
    assert quote.content.text == "Road works near the station will last until May"
    assert not quote.direct
    assert quote.cue is not None and quote.cue.text == "according to"
    assert quote.speaker == "Ana Ruiz"


def test_quoted_words_with_no_one_saying_them_are_no_quote() -> None:
    assert extract_quotes(article("Shares of the “unsinkable” ferry line fell by half.")) == []


def test_quoted_words_a_subject_uses_are_attributed_to_it() -> None:
    (quote,) = extract_quotes(article("Mayor Ada Brook called the old mill “the ghost” again."))
    assert quote.direct and quote.speaker == "Ada Brook"
    assert quote.content.text == "the old mill “the ghost” again"
    assert quote.cue is not None and quote.cue.text == "called"


def test_a_question_then_its_speaker_is_one_sentence() -> None:
    (quote,) = extract_quotes(article("“Who pays for the bridge?” Councillor Ivo Marek asked."))
    assert quote.content.text == "Who pays for the bridge?"
    assert quote.speaker == "Ivo Marek"


def test_a_transcript_line_is_its_speakers_words() -> None:
    source = article(
        "Host Lena Holt met the mayor.", "HOLT: Where were you on the night of the flood?"
    )
    (quote,) = extract_quotes(source)
    assert quote.content.text == "Where were you on the night of the flood?"
    assert quote.mention is not None and quote.mention.text == "HOLT"
    assert quote.speaker == "Lena Holt"


def test_a_quoted_phrase_in_reported_speech_quotes_the_whole_clause() -> None:
    (quote,) = extract_quotes(
        article("The minister said the plan was “dead on arrival” last week.")
    )
    assert quote.content.text == "the plan was “dead on arrival” last week"
    assert quote.direct and quote.mention is not None and quote.mention.text == "The minister"


ODD_PARAGRAPHS = [
    "“This opens a quote that never closes, said nobody",
    "He said ” this closes one that never opened.",
    "“Outer ‘inner’ and “nested” words,” Mayor Ada Brook said.",
    "«Les guillemets aussi», a dit Jean Martin. «Et encore»",
    "‘Single quoted headline’ says the desk",
    '"Straight, unbalanced," said Sam Lee, "and then',
    "",
    "“",
    '""""',
    "said said said according to",
    "“A paragraph-long quote that runs on into the next one.",
    "“And ends here,” said Olga Berg.",
]


@pytest.mark.parametrize("text", ODD_PARAGRAPHS)
def test_odd_text_never_raises(text: str) -> None:
    source = article(text)
    assert_offsets_hold(extract_quotes(source), source)


def test_odd_text_together_still_finds_the_clear_quotes() -> None:
    source = article(*ODD_PARAGRAPHS)
    quotes = extract_quotes(source)
    assert_offsets_hold(quotes, source)
    speakers = {q.speaker for q in quotes}
    assert {"Ada Brook", "Olga Berg"} <= speakers


def test_doubled_apostrophes_quote_like_double_quotes() -> None:
    (quote,) = extract_quotes(article("''The pier is safe again,'' said harbour master Jo Lind."))
    assert quote.content.text == "The pier is safe again,"
    assert quote.speaker == "Jo Lind"


def test_reported_speech_of_unnamed_sources() -> None:
    (quote,) = extract_quotes(article("The talks will resume in March, sources said."))
    assert quote.content.text == "The talks will resume in March"
    assert quote.mention is not None and quote.mention.text == "sources"


def test_accented_names_are_names() -> None:
    (quote,) = extract_quotes(article("“We will rebuild,” said Mayor François Lefèvre."))
    assert quote.speaker == "François Lefèvre"


def test_random_text_never_raises_and_stays_fast() -> None:
    pieces = "said told according to He she the spokesman Mr. Ana Ruiz , . : “ ” \" « » ' ( ) that"
    words = pieces.split(" ")
    chooser = random.Random(10)
    texts = [
        " ".join(chooser.choice(words) for _ in range(chooser.randint(1, 300))) for _ in range(100)
    ]
    texts.append("said " * 3000)  # text of nothing but cues stays bounded
    texts.append(", ".join(["Ana Ruiz"] * 1500) + " said that it rains.")  # and names
    source = article(*texts)
    compile_patterns()  # compiled at first use: their one-off cost is not the search's
    started = time.perf_counter()
    quotes = extract_quotes(source)
    assert time.perf_counter() - started < 2
    assert_offsets_hold(quotes, source)


def test_an_oversized_paragraph_is_not_searched_and_the_rest_are() -> None:
    said = "“We will stay,” said Jane Doe."
    padded = said + " and more" * (MAX_QUOTED_PARAGRAPH // 9)
    found = extract_quotes(article(padded, said))
    assert [quote.content.paragraph for quote in found] == [1]
    assert found[0].speaker == "Jane Doe"


def test_boilerplate_paragraphs_are_skipped() -> None:
    source = article("“Give now,” the editor said.", boilerplate=(0,))
    assert extract_quotes(source) == []


def test_asking_never_loads_the_extractor() -> None:
    # Only the build extracts quotes: its regexes must not cost `qa ask` a start-up.
    modules = loaded_after("from qa.library import Library\nimport qa.retrieve, qa.commands")
    assert not {m for m in modules if m.startswith("index.sources.quote")}
