"""Which questions ask what someone said, whom they name and what about (`qa.who_said`).

No index and no model: the reading is a few rules over the question's words, and a
question of any other shape must come out as None (it then costs no quote lookup).
"""

from __future__ import annotations

import pytest

from qa.scoring import terms
from qa.who_said import SpeakerQuestion, asked_speaker


@pytest.mark.parametrize(
    ("question", "speaker", "topic"),
    [
        ("What did Peskov say?", "Peskov", ""),
        ("What has the Kremlin said about Belarus?", "Kremlin", "Belarus"),
        ("Did Borrell say anything about interference?", "Borrell", "interference"),
        ("What did Putin's spokesman say?", "Putin's spokesman", ""),
        ("What else did Dmitry Peskov say?", "Dmitry Peskov", ""),
        ("Has Macron denied the reports?", "Macron", "reports"),
        ("what did lukashenko tell reporters", "lukashenko", "reporters"),
        ("What was said by Peskov?", "Peskov", ""),
        ("What was said by the Kremlin about Belarus?", "Kremlin", "Belarus"),
        ("What was Peskov quoted as saying?", "Peskov", ""),
        ("What was Dmitry Peskov quoted as saying about the reserve?", "Dmitry Peskov", "reserve"),
    ],
)
def test_a_who_said_what_question_names_its_speaker_and_topic(
    question: str, speaker: str, topic: str
) -> None:
    # The topic is in the terms quotes are compared in (stemmed as `qa.scoring` does).
    assert asked_speaker(question) == SpeakerQuestion(speaker, tuple(terms(topic)))


@pytest.mark.parametrize(
    "question",
    [
        "Where is the reserve?",
        "Does Belarus need Russian troops?",
        "When will Putin and Lukashenko meet?",
        "What did he say?",  # a pronoun: a conversation rewrites it first
        "Who said the reserve is out of the question?",
        "What was said?",
        "Was anything said by him?",  # a pronoun after "by", rewritten first as well
    ],
)
def test_other_questions_ask_for_no_ones_quotes(question: str) -> None:
    assert asked_speaker(question) is None
