"""The words around a quotation that say who said it: speech cues and speaker mentions.

Compiled once at import. Only the index build imports this (through
`index.sources.quotes`); `qa ask` never does.
"""

from __future__ import annotations

import re

# Verbs that report speech (or a stated view), in the forms news text uses.
_SPEECH_VERBS = """
said says say saying told tells telling added adds adding asked asks explained explains
noted notes wrote writes writing argued argues arguing stated states claimed claims
claiming insisted insists warned warns warning declared declares announced announces
replied replies responded responds continued continues recalled recalls acknowledged
acknowledges admitted admits tweeted tweets posted suggested suggests predicted predicts
complained complains conceded concedes countered counters remarked observed observes
emphasized emphasizes stressed stresses charged contended contends maintained maintains
reported reports urged urges described describes denied denies promised promises vowed
vows joked jokes quipped lamented laments testified confirmed confirms cautioned
boasted bragged insisting explaining adding noting arguing asking telling
""".split()
_VERB_ALT = "|".join(sorted(set(_SPEECH_VERBS), key=len, reverse=True))
SPEECH_VERB = rf"(?:{_VERB_ALT}|pointed\s+out|points\s+out)"

# Words that sit between a subject and its verb ("Peskov also said", "she has said").
_AUX = (
    r"(?:\s+(?:also|later|then|previously|recently|once|has|had|have|would|will|"
    r"repeatedly|again|further|often|publicly|privately|first|quickly|flatly|simply|"
    r"has\s+long|had\s+previously|went\s+on\s+to|has\s+repeatedly))*"
)

_TITLE = (
    r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Adm|Prof|Rev|Pres|Gen|Sgt|Capt)\.?"
    r"|President|Vice\s+President|Senator|Governor|Secretary|Minister|Prime\s+Minister|"
    r"Judge|Justice|Chairman|Mayor|Speaker|Ambassador)"
)
# A capitalised word of a name: "Peskov", "G.K.", "O’Rourke", "Jr.", "al-Assad".
_CAP = (
    r"(?:[A-Z]\.(?:[A-Z]\.)*|(?:Mc|Mac|O[’'])?[A-Z][a-zA-ZÀ-ÿ\-]*(?:[’'][A-Z][a-zA-ZÀ-ÿ\-]*)?\.?)"
)
NAME = rf"(?:{_TITLE}\s+)?{_CAP}(?:\s+(?:de|van|von|bin|al|da|del|la|le)?\s*{_CAP}){{0,4}}"
PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ww]e|I|[Ii]t)"
_DETERMINER = r"(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Oo]ur|[Aa]nother|[Oo]ne)"
# "the spokesman", "a senior White House official", "his former business partner".
# Words that end a noun phrase: verbs of speech, conjunctions, pronouns.
_STOP = (
    rf"(?:{_VERB_ALT}|after|before|when|while|who|which|that|and|but|as|because|if|"
    r"he|she|they|we|it|is|was|are|were|has|had|have|will|would)"
)
_PHRASE_WORD = rf"(?!{_STOP}\b)[\w’'\-\.]+"
_PHRASE = rf"{_DETERMINER}\s+(?:{_PHRASE_WORD}\s+){{0,5}}?(?!{_STOP}\b)[a-z][\w\-]+"
_POSSESSIVE = rf"{NAME}[’']s\s+(?:(?!{_STOP}\b)[a-z][\w\-]*\s+){{0,3}}?(?!{_STOP}\b)[a-z][\w\-]+"
# A mention, optionally followed by a name in apposition ("spokesman Dmitry Peskov").
MENTION = rf"(?:(?:{_POSSESSIVE}|{_PHRASE})(?:\s+{NAME})?|{NAME}|{PRONOUN})"
# After a verb or "according to", a bare role may come first: "city engineer Ana Ruiz".
_ROLE_NAME = rf"(?:(?!{_STOP}\b)[a-z][\w\-]+\s+){{1,3}}{NAME}"
MENTION_AFTER = rf"(?:{_ROLE_NAME}|{MENTION})"

_TIME = (
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|"
    r"yesterday|earlier|later|recently|this\s+week|last\s+week|in\s+a\s+statement|"
    r"in\s+an\s+interview|on\s+Twitter))?"
)

# After a closing quotation mark: ', said Peskov' | ', Peskov said' | ', according to X'.
AFTER_VERB_FIRST = re.compile(
    rf"\A[,;:]?\s*(?P<cue>{SPEECH_VERB}){_TIME}\s+(?P<who>(?:{_ROLE_NAME}|{NAME}|{_PHRASE}|{PRONOUN}))(?=[\s,.;:!?]|\Z)"
)
AFTER_WHO_FIRST = re.compile(
    rf"\A[,;:]?\s*(?P<who>{MENTION})(?:,[^,“”\"]{{1,90}},)?{_AUX}\s+(?P<cue>{SPEECH_VERB})\b"
)
AFTER_ACCORDING = re.compile(rf"\A[,;:]?\s*(?P<cue>according\s+to)\s+(?P<who>{MENTION_AFTER})")

# Before a speech verb, anchored at the end: the subject, nearest kinds first.
_SUBJECT_AT_END = tuple(
    re.compile(rf"(?P<who>{kind})(?:,[^,“”\"]{{1,90}},)?{_AUX}\s*\Z")
    for kind in (
        rf"\b{PRONOUN}",
        rf"(?:{_POSSESSIVE}|{_PHRASE})\s+{NAME}",
        NAME,
        rf"{_POSSESSIVE}|{_PHRASE}",
    )
)
_VERB_WORD = re.compile(rf"\b{SPEECH_VERB}\b")
_ACCORDING_WORD = re.compile(rf"\b[Aa]ccording\s+to\s+(?P<who>{MENTION_AFTER})")


def subject_before(text: str, end: int) -> tuple[int, int] | None:
    """The speaker mention that ends just before `end` in `text` (the verb's start)."""
    window_start = max(0, end - 140)
    window = text[window_start:end]
    for pattern in _SUBJECT_AT_END:
        match = pattern.search(window)
        if match is not None:
            return window_start + match.start("who"), window_start + match.end("who")
    return None


def last_cue(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(cue, speaker mention) of the last speech verb in `text` that has a subject."""
    for verb in reversed(list(_VERB_WORD.finditer(text))):
        who = subject_before(text, verb.start())
        if who is not None:
            return (verb.start(), verb.end()), who
    matches = list(_ACCORDING_WORD.finditer(text))
    if matches:
        according = matches[-1]
        return (according.start(), according.start("who")), (
            according.start("who"),
            according.end("who"),
        )
    return None


# An introduction that leaves nothing of the sentence but the quote ('Peskov said Monday:').
INTRO_ONLY = re.compile(r"\A(?:[^,:.]{0,60}[:,])?\s*\Z")

# Reported speech in a sentence with no quotation.
INDIRECT_LEAD = re.compile(
    rf"(?P<who>{MENTION}){_AUX}\s+(?P<cue>{SPEECH_VERB})\b(?:{_TIME})?,?\s+"
    rf"(?P<content>(?:that\s+)?\S.{{15,}})\Z"
)
INDIRECT_TRAIL = re.compile(
    rf"\A(?P<content>.{{20,}}?),\s+(?P<who>{MENTION}){_AUX}\s+(?P<cue>{SPEECH_VERB})\b[^,]{{0,80}}\Z"
)
INDIRECT_TRAIL_VERB_FIRST = re.compile(
    rf"\A(?P<content>.{{20,}}?),\s+(?P<cue>{SPEECH_VERB})\s+(?P<who>(?:{_ROLE_NAME}|{NAME}|{_PHRASE}))[^,]{{0,80}}\Z"
)
ACCORDING_LEAD = re.compile(
    rf"\A(?P<cue>[Aa]ccording\s+to)\s+(?P<who>{MENTION_AFTER}),\s+(?P<content>\S.{{15,}})\Z"
)
ACCORDING_TRAIL = re.compile(
    rf"\A(?P<content>.{{20,}}?),\s+(?P<cue>according\s+to)\s+(?P<who>{MENTION_AFTER})[^,]{{0,60}}\Z"
)

# Verbs of speech that only take an object, not a clause: leave them to direct quotes.
NOT_A_CLAUSE = frozenset({"asked", "asks", "posted", "called", "calls", "urged", "urges"})

# Capitalised words that start a sentence but are no name.
FUNCTION_WORDS = frozenset(
    """The A An And But Or So Yet In On At Of For From With By As If When While After Before
    Since Because Although Though That This These Those It Its He She They We I His Her
    Their Our Then Now Still Also However Meanwhile Instead Asked Speaking Earlier Later
    Last Next Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
PRONOUNS = frozenset({"he", "she", "they", "we", "i", "it"})
