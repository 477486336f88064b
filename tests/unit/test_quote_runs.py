"""Quotations with no cue of their own (issue 10): quoted words that run on after their
cue's sentence, into the next paragraph or after a colon, and whom they are given to."""

from __future__ import annotations

import pytest
from quote_support import article, assert_offsets_hold

from index.sources.quotes import extract_quotes


def test_a_quote_right_after_its_cue_sentence_is_the_same_quote() -> None:
    text = "“The dam will hold,” Maria Lindqvist said. “The rain has stopped.”"
    (quote,) = extract_quotes(article(text))
    assert quote.content.text.endswith("The rain has stopped.")
    assert quote.content.text.startswith("The dam will hold")


def test_a_quote_after_other_sentences_is_a_new_quote_by_the_same_speaker() -> None:
    text = (
        "“The dam will hold,” Maria Lindqvist said. The river rose by a metre overnight. "
        "“The rain has stopped.”"
    )
    source = article(text)
    first, second = extract_quotes(source)
    # Not merged: the narration between the two is nobody's quote.
    assert first.content.text == "The dam will hold,"
    assert second.content.text == "The rain has stopped."
    assert second.speaker == first.speaker == "Maria Lindqvist"
    assert second.mention == first.mention
    assert_offsets_hold([first, second], source)


def test_a_quotation_running_into_the_next_paragraph_keeps_its_speaker() -> None:
    source = article(
        "“The dam will hold,” the engineer Maria Lindqvist said. “We checked it twice.",
        "“Nobody downstream needs to leave their home tonight.”",
        "The river fell on Friday.",
        "“That was a close call for everyone.”",
    )
    quotes = extract_quotes(source)
    assert [q.content.paragraph for q in quotes] == [0, 1]
    assert quotes[0].content.text.endswith("We checked it twice.")
    assert quotes[1].speaker == "Maria Lindqvist"
    assert quotes[1].mention == quotes[0].mention  # cited where she is named
    assert_offsets_hold(quotes, source)


def test_a_colon_hands_the_quotation_to_the_sentences_subject() -> None:
    source = article(
        "Maria Lindqvist, the engineer, was blunt: “The dam will not hold another week.”",
        "Her colleague Tomas Ferreira was not convinced:",
        "“We have seen worse floods than this one.”",
    )
    first, second = extract_quotes(source)
    assert first.content.text == "The dam will not hold another week."
    assert first.speaker == "Maria Lindqvist"
    assert second.content.paragraph == 2 and second.speaker == "Tomas Ferreira"
    assert_offsets_hold([first, second], source)


def test_the_speaker_of_the_sentence_before_goes_on() -> None:
    text = (
        "Maria Lindqvist called the repairs a waste of money. "
        "“They patched the cracks and painted over them.”"
    )
    quotes = extract_quotes(article(text))
    assert quotes[-1].content.text == "They patched the cracks and painted over them."
    assert quotes[-1].speaker == "Maria Lindqvist"


def test_short_or_bracketed_quotes_with_no_cue_are_no_quote() -> None:
    source = article(
        "“The dam will hold,” Maria Lindqvist said.",
        "“Really?”",
        "“(Laughter.)”",
    )
    assert [q.content.paragraph for q in extract_quotes(source)] == [0]


def test_a_transcript_does_not_run_into_unlabelled_lines() -> None:
    source = article(
        "Host Lena Holt met the mayor.",
        "HOLT: Where were you on the night of the flood?",
        '"Follow Lena Holt on the station\'s website every morning."',
    )
    assert [q.content.paragraph for q in extract_quotes(source)] == [1]


def test_the_pronoun_of_a_clause_a_speaker_reports_is_that_speaker() -> None:
    text = "Lindqvist said she recalled thinking, “This dam was never built to last.”"
    (quote,) = extract_quotes(article("Maria Lindqvist is an engineer.", text))
    assert quote.mention is not None and quote.mention.text == "Lindqvist"
    assert quote.speaker == "Maria Lindqvist"


def test_a_trailing_cue_after_a_dash() -> None:
    (quote,) = extract_quotes(article("“The dam will hold” — Maria Lindqvist said on Monday."))
    assert quote.content.text == "The dam will hold"
    assert quote.speaker == "Maria Lindqvist"


def test_a_reported_clause_cue_is_no_trailing_cue() -> None:
    # "he cited are": the verb belongs to a relative clause; the sentence is the Hill's.
    text = "The four “loopholes” he cited are “tax breaks on loans and losses,” The Hill reported."
    quotes = extract_quotes(article(text))
    assert [q.mention.text for q in quotes if q.mention] == ["The Hill"]


def test_doubled_apostrophes_open_a_sentence() -> None:
    text = "Mrs. Lindqvist has shied away from it. ''It's more tinkering,'' said Tomas Ferreira."
    (quote,) = extract_quotes(article(text))
    assert quote.content.text == "It's more tinkering,"
    assert quote.speaker == "Tomas Ferreira"


def test_a_title_and_a_role_before_a_comma_name_the_speaker() -> None:
    source = article(
        "Sen. Ada Brook met the mayor's spokesman, Ivo Marek, on Monday.",
        "“The bridge will be rebuilt,” the senator said.",
        "“Not this year,” the mayor's spokesman said.",
    )
    first, second = extract_quotes(source)
    assert first.speaker == "Ada Brook"
    assert second.speaker == "Ivo Marek"


def test_someone_s_unknown_spokesman_is_not_that_someone() -> None:
    source = article(
        "“The bridge will be rebuilt,” said Mayor Ada Brook.",
        "“Not this year,” Brook's spokesman said later.",
    )
    first, second = extract_quotes(source)
    assert first.speaker == "Ada Brook"
    assert second.mention is not None and second.mention.text == "Brook's spokesman"
    assert second.speaker is None


def test_a_role_with_what_it_is_of_is_a_speaker() -> None:
    source = article(
        "“The bridge will be rebuilt,” a spokesman for the city said.",
        "“Not this year,” said a professor at Harvard University.",
        "The Federal Bureau of Prisons said the jail “will stay open.”",
    )
    quotes = extract_quotes(source)
    assert [q.mention.text for q in quotes if q.mention] == [
        "a spokesman for the city",
        "a professor at Harvard University",
        "The Federal Bureau of Prisons",
    ]
    # A role is nobody named; the bureau is its whole name, not "Harvard University".
    assert [q.speaker for q in quotes] == [None, None, "Federal Bureau of Prisons"]


def test_a_noun_that_looks_like_a_speech_verb_is_no_cue() -> None:
    text = "He did not address his series of early-morning tweets in which he called her “a con.”"
    quotes = extract_quotes(article(text))
    assert [q.mention.text for q in quotes if q.mention] == ["he"]


def test_a_quote_after_a_reported_clause_is_its_own_quote_by_the_nearest_cue() -> None:
    text = (
        "Lindqvist said she felt the dam was worth a look because “nobody checks it,” "
        "she said. “We have no idea what is inside that wall.”"
    )
    quotes = extract_quotes(article("Maria Lindqvist is an engineer.", text))
    assert quotes[-1].content.text == "We have no idea what is inside that wall."
    assert quotes[-1].mention is not None and quotes[-1].mention.text == "she"
    assert quotes[-1].speaker == "Maria Lindqvist"


def test_a_word_or_two_may_finish_a_quoted_sentence() -> None:
    text = (
        "“The dam will hold,” Maria Lindqvist said. The river rose. "
        "“You blamed thousands of $12-an-hour” workers."
    )
    quotes = extract_quotes(article(text))
    assert quotes[-1].content.text == "You blamed thousands of $12-an-hour"
    assert quotes[-1].speaker == "Maria Lindqvist"


def test_titles_nicknames_and_nouns_are_no_quotes() -> None:
    source = article(
        "“The dam will hold,” Maria Lindqvist said.",
        "In his 2002 book, “Make Your Kid a Millionaire,” Ivo Marek wrote about saving.",
        "“Crooked Dam Builders.”",
        "Health worries have dogged the engineer since the spring.",
        "Ivo Marek reported from Midway Atoll, and Ana Ruiz from Hawaii.",
    )
    assert [q.content.paragraph for q in extract_quotes(source)] == [0]


def test_a_nickname_inside_what_someone_said_is_kept() -> None:
    (quote,) = extract_quotes(article("Lindqvist called the old dam “Big Bertha” again."))
    assert quote.content.text == "the old dam “Big Bertha” again"


def test_a_pronoun_refers_to_the_subject_of_the_sentence_before() -> None:
    source = article(
        "“The dam will hold,” said Maria Lindqvist.",
        "At the hearing, the engineer Ana Ruiz was more careful. Though she called the dam "
        "“sound,” Ruiz asked for a second survey.",
    )
    quotes = extract_quotes(source)
    assert quotes[-1].mention is not None and quotes[-1].mention.text == "she"
    assert quotes[-1].speaker == "Ana Ruiz"


@pytest.mark.parametrize("cue", ["admitted", "commented", "shot back", "quipped", "answered"])
def test_more_speech_verbs_are_cues(cue: str) -> None:
    (quote,) = extract_quotes(article(f"“The dam will hold,” Maria Lindqvist {cue}."))
    assert quote.cue is not None and quote.cue.text == cue
    assert quote.speaker == "Maria Lindqvist"


def test_a_cue_before_someone_s_role_and_name() -> None:
    (quote,) = extract_quotes(
        article("“The dam will hold,” said Oslo's chief engineer, Maria Lindqvist.")
    )
    assert quote.mention is not None
    assert quote.mention.text == "Oslo's chief engineer, Maria Lindqvist"
    assert quote.speaker == "Maria Lindqvist"


def test_a_show_named_after_the_cue_is_no_second_quote() -> None:
    quotes = extract_quotes(
        article("“The dam will hold,” Maria Lindqvist told NBC's “Today” show.")
    )
    assert [q.content.text for q in quotes] == ["The dam will hold,"]
