"""More ways news prose attributes a quotation (issue 10), each on a small article written
for it: who is found, and whom the mention is resolved to."""

from __future__ import annotations

import pytest
from quote_support import article, assert_offsets_hold

from index.models import Quote
from index.sources.quotes import extract_quotes

INTRO = "Springfield Mayor Maria Lindqvist met the dam's engineers on Monday."


def quotes_of(text: str) -> list[Quote]:
    """The quotes of `text` as the paragraph after an introduction of Maria Lindqvist."""
    source = article(INTRO, text)
    quotes = extract_quotes(source)
    assert_offsets_hold(quotes, source)
    return [q for q in quotes if q.content.paragraph == 1]


@pytest.mark.parametrize(
    "text",
    [
        "“The dam will hold,” Lindqvist reportedly said.",
        "“The dam will hold,” Lindqvist angrily told reporters.",
        "“The dam will hold,” Lindqvist was quoted as saying by the local paper.",
        "“The dam will hold,” Lindqvist laughed.",
        "Said Lindqvist: “The dam will hold.”",
        "Said Lindqvist, a civil engineer by training: “The dam will hold.”",
        "“The dam will hold,” as Lindqvist put it.",
        "Her view was simple or, as Lindqvist put it in an interview, “The dam will hold.”",
        "Lindqvist, an engineer -- she built bridges for 20 years -- said, “The dam will hold.”",
        "Lindqvist -- who built bridges for 20 years -- told us: “The dam will hold.”",
    ],
)
def test_more_attribution_forms_name_the_speaker(text: str) -> None:
    (quote,) = quotes_of(text)
    assert quote.content.text.rstrip(",.") == "The dam will hold"
    assert quote.mention is not None and "Lindqvist" in quote.mention.text
    assert quote.speaker == "Maria Lindqvist"


@pytest.mark.parametrize(
    "writing", ["the report", "a report", "the email", "the post", "the tweet"]
)
def test_a_writing_whose_noun_is_also_a_verb_can_speak(writing: str) -> None:
    (quote,) = quotes_of(f"“The dam will hold,” {writing} said.")
    assert quote.content.text == "The dam will hold,"
    assert quote.mention is not None and quote.mention.text == writing


def test_a_possessive_before_a_noun_is_no_subject_and_verb() -> None:
    # "Lindqvist’s state tax returns": no "Lindqvist has state(d)".
    (quote,) = quotes_of(
        "Lindqvist’s state tax returns show she lost “nearly a million dollars,” the paper "
        "reported."
    )
    assert quote.mention is not None and quote.mention.text == "the paper"


def test_a_pronoun_after_though_is_its_own_speaker() -> None:
    (quote,) = quotes_of(
        "Lindqvist did not supply a cost estimate for the repairs, though she said “budget "
        "reforms” would pay for them."
    )
    assert quote.mention is not None and quote.mention.text == "she"
    assert quote.speaker == "Maria Lindqvist"


def test_a_quotation_after_a_colon_belongs_to_the_cue_right_after_it() -> None:
    (quote,) = quotes_of(
        "The statement also described the effect it said the mayor, the first woman in the "
        "post, would have on the city: “Her fight has opened the door for all of us,” the "
        "union wrote."
    )
    assert quote.content.text == "Her fight has opened the door for all of us,"
    assert quote.mention is not None and quote.mention.text == "the union"


def test_a_month_is_no_speaker() -> None:
    (quote,) = quotes_of(
        "In August, several environmental groups granted the city an extension on a court "
        'order, saying its "start-up capital was less than expected."'
    )
    assert quote.mention is not None and "August" not in quote.mention.text


def test_a_name_does_not_run_over_a_sentence_end() -> None:
    source = article(
        "The council voted for Trump. Meanwhile Trump praised the council.",
        "“The council is great,” Trump said.",
    )
    (quote,) = extract_quotes(source)
    assert quote.speaker == "Trump"


def test_a_place_is_no_person_a_pronoun_refers_to() -> None:
    source = article(
        "Tom Clarke flew to New Mexico on Friday.",
        "“The mine will reopen,” he said.",
    )
    (quote,) = extract_quotes(source)
    assert quote.speaker == "Tom Clarke"


def test_verbs_joined_by_and_between_quotations_are_separate_quotes() -> None:
    first, second = quotes_of(
        "Lindqvist called the delay “outrageous” and called for the contractor to be "
        "“thrown off the job.”"
    )
    assert first.content.text == "the delay “outrageous”"
    assert second.content.text == "the contractor to be “thrown off the job.”"
    assert second.cue is not None and second.cue.text == "called for"
    assert first.speaker == second.speaker == "Maria Lindqvist"


def test_words_joined_by_and_inside_one_clause_stay_one_quote() -> None:
    (quote,) = quotes_of("Lindqvist said the plan was “good” and “fair.”")
    assert quote.content.text == "the plan was “good” and “fair.”"


def test_a_share_of_those_polled_speaks_for_nobody_named() -> None:
    (quote,) = quotes_of(
        'However, 63 percent of voters said the mayor was "justified" in keeping the report '
        "private."
    )
    assert quote.mention is not None and quote.mention.text == "63 percent of voters"
    assert quote.speaker is None


def test_a_named_subject_after_that_is_reported_by_the_outer_speaker() -> None:
    (quote,) = quotes_of(
        "Lindqvist said at a rally on Friday that Tom Clarke once described the dam as “the "
        "gold standard” of public works."
    )
    assert quote.speaker == "Maria Lindqvist"
    assert quote.content.text.startswith("Tom Clarke once described the dam")


def test_a_named_subject_whose_cue_introduces_the_quotation_said_it() -> None:
    (quote,) = quotes_of("Lindqvist said that Tom Clarke told her: “The dam will hold.”")
    assert quote.speaker == "Tom Clarke"
    assert quote.content.text == "The dam will hold."


def test_someone_s_tweets_are_what_was_said_not_a_cue() -> None:
    (quote,) = quotes_of(
        "She said Clarke’s early-morning tweets accusing the council of fraud are “lies and "
        "conspiracy theories.”"
    )
    assert quote.mention is not None and quote.mention.text == "She"
    assert quote.speaker == "Maria Lindqvist"


def test_a_title_inside_a_name_run_is_the_role_that_refers_back() -> None:
    source = article(
        "Vice President Joe Biden met Homeland Security Secretary Jeh Johnson on Monday.",
        "“The systems are safe,” the secretary said.",
        "“We will not be intimidated,” the president said.",
    )
    secretary, president = extract_quotes(source)
    assert secretary.speaker == "Jeh Johnson"
    # "Vice President" is another office: no president is known here.
    assert president.speaker != "Joe Biden"


def test_the_role_before_a_name_refers_back_to_it() -> None:
    (quote,) = quotes_of("“The dam will hold,” the mayor said.")
    assert quote.speaker == "Maria Lindqvist"


def test_he_and_she_skip_someone_of_the_other_sex() -> None:
    source = article(
        "Hillary Clinton attacked Donald Trump on Monday.",
        "“We will win this fight,” he said.",
        "“Not a chance,” she said.",
    )
    assert [q.speaker for q in extract_quotes(source)] == ["Donald Trump", "Hillary Clinton"]


def test_an_honorific_tells_the_sex_a_first_name_does_not() -> None:
    source = article(
        "Jordan Smith met Tom Clarke at the dam. Mrs. Smith runs the council.",
        "“We will rebuild it,” she said.",
    )
    (quote,) = extract_quotes(source)
    assert quote.speaker == "Jordan Smith"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "The dam was “in danger,” according to a report by The Springfield Herald.",
            "Springfield Herald",
        ),
        ("“The dam will hold,” said a statement from the White House.", "White House"),
        ("“The dam will hold,” a letter from Lindqvist said.", "Maria Lindqvist"),
    ],
)
def test_a_writing_by_someone_speaks_for_them(text: str, speaker: str) -> None:
    (quote,) = quotes_of(text)
    assert quote.speaker == speaker
