"""Whom a speaker mention is resolved to (issue 10), each rule on a small article written
for it: the name must be the person the mention stands for in the article."""

from __future__ import annotations

from quote_support import article, assert_offsets_hold

from index.models import Article, Paragraph, Quote
from index.sources.quotes import extract_quotes

INTRO = "Senator Robert Alvarez and Governor Helen Okafor met in Springfield on Monday."


def last_paragraph_quotes(*texts: str) -> list[Quote]:
    """The quotes of the last of `texts`, in an article that opens with INTRO."""
    source = article(INTRO, *texts)
    quotes = extract_quotes(source)
    assert_offsets_hold(quotes, source)
    return [q for q in quotes if q.content.paragraph == len(texts)]


def test_a_role_followed_by_a_name_in_commas_is_that_name() -> None:
    (quote,) = last_paragraph_quotes("“The dam will hold,” the mayor, Ana Ruiz, said.")
    assert quote.speaker == "Ana Ruiz"
    (quote,) = last_paragraph_quotes(
        "A lawyer for the city, Ivo Marek, said the dam was “safe for decades.”"
    )
    assert quote.speaker == "Ivo Marek"


def test_a_role_after_the_name_opening_the_sentence_is_that_name() -> None:
    # "the chief" is no earlier chief: the name it stands beside.
    (quote,) = last_paragraph_quotes(
        "The city's chief of police, Ivo Marek, came too.",
        "Ana Ruiz, the chief engineer of the city -- which owns the dam -- told me, “The "
        "dam will hold.”",
    )
    assert quote.speaker == "Ana Ruiz"


def test_a_role_of_something_before_a_name_is_that_role() -> None:
    (quote,) = last_paragraph_quotes(
        "The mayor of Springfield, Ana Ruiz, toured the dam.",
        "“The dam will hold,” the mayor said.",
    )
    assert quote.speaker == "Ana Ruiz"


def test_they_after_two_people_joined_by_and_is_both() -> None:
    (quote,) = last_paragraph_quotes(
        "Early backers such as Sen. Ana Ruiz, D-Ohio, and Ivo Marek, R-Ind., now say they "
        "think the bill “goes too far.”"
    )
    assert quote.mention is not None and quote.mention.text == "they"
    assert quote.speaker == "Ana Ruiz and Ivo Marek"
    (quote,) = last_paragraph_quotes(
        "Alvarez and Okafor left the meeting together. They said the dam was “weak.”"
    )
    assert quote.speaker == "Robert Alvarez and Helen Okafor"


def test_who_after_a_name_is_that_person() -> None:
    (quote,) = last_paragraph_quotes(
        "Okafor was praised by Alvarez, who called her “the best governor we have had.”"
    )
    assert quote.mention is not None and quote.mention.text == "who"
    assert quote.speaker == "Robert Alvarez"
    for party in ("Sen. Robert Alvarez (D-Ohio),", "Alvarez, D-Ohio,"):
        (quote,) = last_paragraph_quotes(
            f"Okafor was praised by {party} who called her “the best governor we have had.”"
        )
        assert quote.speaker == "Robert Alvarez"
    # After a place, "who" is the people there: nobody the article names.
    (quote,) = last_paragraph_quotes(
        "The plan calms voters in Springfield, who have argued that the dam is “not safe.”"
    )
    assert quote.mention is not None and quote.mention.text == "who"
    assert quote.speaker is None


def test_a_namesake_keeps_the_first_name_the_mention_gives() -> None:
    family = "Hillary Clinton spoke first. Hillary Clinton spoke again. Bill Clinton was there."
    (quote,) = last_paragraph_quotes(family, "Former President Bill Clinton said “she will win.”")
    assert quote.speaker == "Bill Clinton"
    (quote,) = last_paragraph_quotes(family, "“She will win,” Mr. Clinton said.")
    assert quote.speaker == "Bill Clinton"
    (quote,) = last_paragraph_quotes(family, "“I will win,” Mrs. Clinton said.")
    assert quote.speaker == "Hillary Clinton"


def test_a_name_with_a_particle_is_whole() -> None:
    (quote,) = last_paragraph_quotes(
        "Mayor Bill de Blasio visited the dam. De Blasio left early.",
        "“The dam will hold,” the mayor said.",
    )
    assert quote.speaker == "Bill de Blasio"


def test_he_is_no_company_whose_name_is_made_of_common_words() -> None:
    # "Patriot Coal" holds a word the article writes small ("coal"), and nothing says it
    # is a man: "he" goes back to the miner.
    (quote,) = last_paragraph_quotes(
        "Tom Clarke, a miner, showed us the pit.",
        "The mine belongs to Patriot Coal, which sells coal to the plant. “We will keep "
        "digging,” he said.",
    )
    assert quote.speaker == "Tom Clarke"


def test_he_opening_a_paragraph_is_the_subject_of_the_sentence_before() -> None:
    (quote,) = last_paragraph_quotes(
        "“The dam will hold,” Alvarez said.",
        "Ivo Marek, the city engineer, disagreed.",
        "“It will not,” he said.",
    )
    assert quote.speaker == "Ivo Marek"


def test_a_title_s_full_stop_ends_no_sentence() -> None:
    # "Mr." does not end the sentence: its subject is Ana Ruiz, not Marek.
    (quote,) = last_paragraph_quotes(
        "Ivo Marek runs the dam.",
        "Ana Ruiz met Mr. Marek's staff on Monday. “It went well,” she said.",
    )
    assert quote.speaker == "Ana Ruiz"


def test_the_subject_follows_an_opening_phrase() -> None:
    (quote,) = last_paragraph_quotes(
        "Ivo Marek runs the dam.",
        "In an interview with Rusty Humphries, Marek made his case. “The dam will hold,” he said.",
    )
    assert quote.speaker == "Ivo Marek"


def test_someone_named_inside_a_quotation_does_not_say_it() -> None:
    (quote,) = last_paragraph_quotes(
        "Ivo Marek spoke next.", "“Alvarez is wrong about the dam,” he said."
    )
    assert quote.speaker == "Ivo Marek"


def test_a_surname_after_a_title_is_a_person() -> None:
    (quote,) = last_paragraph_quotes(
        "Mr. Marek inspected the dam on Monday. “It will hold,” he said."
    )
    assert quote.speaker == "Marek"


def test_no_name_runs_over_the_end_of_a_sentence_or_a_headline() -> None:
    (quote,) = last_paragraph_quotes("He fought in World War II. Alvarez said the dam “will hold.”")
    assert quote.speaker == "Robert Alvarez"
    paragraphs = (Paragraph(0, INTRO, False), Paragraph(1, "“It will hold,” Alvarez said.", False))
    headline = "Retired Engineer Reveals Troubling Experience Of Working Under Alvarez"
    (quote,) = extract_quotes(Article("a.txt", "/tmp/a.txt", headline, paragraphs))
    assert quote.speaker == "Robert Alvarez"


def test_someone_s_words_named_as_a_noun_are_theirs() -> None:
    (quote,) = last_paragraph_quotes(
        "Okafor’s remark that Alvarez “should resign” drew criticism on Tuesday."
    )
    assert quote.content.text == "Alvarez “should resign”"
    assert quote.speaker == "Helen Okafor"
    # Inside what someone else's verb reports, still theirs.
    (quote,) = last_paragraph_quotes(
        "Alvarez responded to Okafor’s claim that the dam is “perfectly safe.”"
    )
    assert quote.speaker == "Helen Okafor"
    (quote,) = last_paragraph_quotes("Okafor’s response was swift: “The dam will hold.”")
    assert quote.content.text == "The dam will hold."
    assert quote.speaker == "Helen Okafor"


def test_a_poll_reports_what_it_found_for_its_maker() -> None:
    (quote,) = last_paragraph_quotes(
        "A Springfield Herald poll found that most residents think the dam is safe."
    )
    assert quote.mention is not None and quote.mention.text == "A Springfield Herald poll"
    assert quote.speaker == "Springfield Herald"
    # Someone inside what a poll showed is not its source.
    (quote,) = last_paragraph_quotes(
        "Polls showed that few residents thought of the dam as a risk worth a new tax."
    )
    assert quote.mention is not None and quote.mention.text == "Polls"


def test_they_after_a_pair_opening_the_sentence_before_past_an_opening_clause() -> None:
    (quote,) = last_paragraph_quotes(
        "When the dam leaked, Alvarez and Okafor blamed the engineers. They said the "
        "repairs were “long overdue.”"
    )
    assert quote.speaker == "Robert Alvarez and Helen Okafor"


def test_a_headline_paragraph_gives_no_names() -> None:
    (quote,) = last_paragraph_quotes(
        "Troubled Engineer Reveals Alarming Report About Alvarez",
        "“The dam will hold,” Alvarez said.",
    )
    assert quote.speaker == "Robert Alvarez"


def test_a_qualified_role_is_the_one_it_qualifies() -> None:
    (quote,) = last_paragraph_quotes(
        "Republican nominee Ivo Marek and Democratic nominee Ana Ruiz met on Monday.",
        "“The dam will hold,” the Democratic nominee said.",
    )
    assert quote.speaker == "Ana Ruiz"
    # Not the Republican nominee when no Green one is known.
    (quote,) = last_paragraph_quotes(
        "Republican nominee Ivo Marek spoke on Monday.",
        "“The dam will hold,” the Green nominee said.",
    )
    assert quote.speaker is None
