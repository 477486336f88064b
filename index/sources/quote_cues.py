"""The words around a quotation that say who said it: speech cues and speaker mentions.

The large patterns are compiled at their first use (`index.sources.lazy_regex`), not at
import. Only the index build imports this (through `index.sources.quotes`); `qa ask` never
does.
"""

from __future__ import annotations

import re

from index.sources.lazy_regex import LazyPattern

# Verbs that report speech (or a stated view). Regular ones are listed by their base and
# inflected below; irregular forms are listed as they are.
_REGULAR_VERBS = """
add ask explain note argue state claim insist warn declare announce reply respond continue
recall acknowledge admit tweet post suggest predict complain concede counter remark observe
emphasize stress charge contend maintain report urge describe deny promise vow joke quip
lament testify confirm caution boast brag demand shout yell scream chant label dub brand
term praise laud blast slam criticize accuse mock dismiss defend question wonder thank
conclude opine retort exclaim whisper text email proclaim pledge reiterate repeat echo
agree object protest allege assert affirm assure advise inform remind threaten recommend
propose hint imply indicate mention reveal disclose confess apologize call cite complain
estimate believe hope worry fear contend announce predict insist recount recommend
comment answer interject interrupt scoff snap plead beg muse marvel gripe grumble fume gush
elaborate clarify speculate rebut taunt ridicule deride decry denounce condemn scold chide
admonish implore mutter inquire characterize disagree laugh chuckle sigh
write-off
""".split()
_IRREGULAR_VERBS = """
said says say saying told tells tell telling wrote writes write writing spoke speaks
speaking sang sings sing singing read reads thought thinks think knew said swore swears
swear swearing
""".split()
# Verbs whose last consonant doubles before -ed and -ing ("admitted", "quipping").
_DOUBLING = frozenset({"quip", "brag", "admit", "snap", "beg", "rebut"})


def _inflections(base: str) -> list[str]:
    if base.endswith("-off"):
        return []
    stem = base[:-1] if base.endswith("e") else base
    if base.endswith("y") and base[-2] not in "aeiou":
        return [base, base[:-1] + "ies", base[:-1] + "ied", base + "ing"]
    third = base + ("es" if base.endswith(("s", "sh", "ch", "x", "o")) else "s")
    past = base + "d" if base.endswith("e") else base + "ed"
    if base in _DOUBLING:
        return [base, third, base + base[-1] + "ed", base + base[-1] + "ing"]
    return [base, third, past, stem + "ing"]


_SPEECH_VERBS = {form for base in _REGULAR_VERBS for form in _inflections(base)}
_SPEECH_VERBS.update(_IRREGULAR_VERBS)


def is_speech_verb(word: str) -> bool:
    """Whether `word` (lower case) is a form of a verb that reports speech."""
    return word in _SPEECH_VERBS


_VERB_ALT = "|".join(sorted(_SPEECH_VERBS, key=len, reverse=True))
SPEECH_VERB = (
    rf"(?:{_VERB_ALT}|pointed\s+out|points\s+out|went\s+on|(?:fired|fires|shot|shoots)\s+back"
    r"|(?:chimed|chimes)\s+in|(?:summed|sums)\s+up"
    # What a poll or a study finds, it reports ("the poll found that ...").
    r"|(?=(?:found|finds|showed|shows)\b)(?:"
    + "|".join(
        rf"(?<=\b{word}\s)"
        for noun in "poll polls survey surveys study studies report reports analysis data "
        "research findings records documents audit review".split()
        for word in (noun, noun.capitalize())
    )
    + r")(?:found|finds|showed|shows)\b"
    # "as Smith put it (in an interview), “...”": before punctuation or a short phrase and
    # a comma ("put it on the table" is no saying).
    r"|(?:put|puts)\s+it(?=\s*[,.;:—–]|\s+(?:in|on|during|at)\s+[^,.“”\"]{1,40},)"
    # "Smith was quoted as saying": the whole phrase is the cue.
    r"|(?:(?:is|was|were|are|been)\s+)?quoted\s+as\s+(?:saying|telling))"
)

# Words that sit between a subject and its verb ("Peskov also said", "she has said").
_AUX = (
    # "he’s said", not "Trump’s state tax returns": after ’s or ’ve comes a participle.
    r"(?:[’'](?:s|ve)\b(?=\s+(?:\w+ly\s+|also\s+|long\s+)?(?:\w+(?:ed|ing)|said|told|written|"
    r"thought|spoken|sworn|read)\b)|[’'](?:d|ll)\b)?(?:\s+(?:also|later|then|previously|recently|once|has|had|have|would|will|"
    r"repeatedly|again|further|often|publicly|privately|first|quickly|flatly|simply|"
    r"has\s+long|had\s+previously|went\s+on\s+to|has\s+repeatedly|"
    # Any adverb: "Smith reportedly said", "she angrily told" (not a noun such as "family").
    r"(?!(?:family|ally|rally|assembly|supply|anomaly|july|italy)\b)[a-z]{2,}ly\b))*"
)

_TITLE = (
    r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Adm|Prof|Rev|Pres|Gen|Sgt|Capt)\.?"
    r"|President|Vice\s+President|Senator|Governor|Secretary|Minister|Prime\s+Minister|"
    r"Judge|Justice|Chairman|Chairwoman|Chair|Mayor|Speaker|Ambassador|Republican|Democrat|"
    r"Democratic|GOP|Councillor|Councilor|Councilman|Councilwoman|Commissioner|Chancellor|"
    r"Professor|Director|Chief|Host|Anchor|Spokesman|Spokeswoman|Spokesperson|Sheriff|"
    r"Detective|Officer|Captain|Sergeant|Lieutenant|Colonel|General|Admiral|Pastor|Father|"
    r"Bishop|Pope|King|Queen|Prince|Princess|Leader|Coach|Nominee|Candidate|Del|Attorney|"
    r"Assemblyman|Assemblywoman|Congressman|Congresswoman|Representative|Premier|Chef)"
)
# A capitalised word of a name: "Peskov", "G.K.", "O’Rourke", "Jr.", "al-Assad".
_CAP = (
    r"(?:[A-Z]\.(?:[A-Z]\.)*|(?:Mc|Mac|O[’'])?[A-ZÀ-ÖØ-Þ](?:[^\W\d_]|-)*"
    r"(?:[’'][A-Z](?:[^\W\d_]|-)*)?\.?)"
)
# An organisation's name goes on after "of"/"for": "the Federal Bureau of Prisons".
_ORGANISATION_TAIL = rf"(?:\s+(?:of|for)\s+(?:the\s+)?{_CAP}(?:\s+(?:and\s+)?{_CAP}){{0,4}})?"
NAME = (
    rf"(?:{_TITLE}\s+)?{_CAP}(?:\s+(?:(?:de|van|von|bin|al|da|del|la|le)\s+)?{_CAP}){{0,6}}"
    rf"{_ORGANISATION_TAIL}(?:\s*\([A-Z][\w.\-]{{0,12}}\))?"
)
PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Ww]e|[Ii]t)"
# Quantifiers count as determiners ("several environmental groups"); \b keeps the "a"
# ending "Obama" from starting a phrase.
_DETERMINER = (
    r"\b(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Oo]ur|[Aa]nother|[Oo]ne|[Ss]everal|"
    r"[Ss]ome|[Mm]any|[Mm]ost|[Bb]oth|[Tt]wo|[Tt]hree|[Ff]our|[Ff]ive|[Oo]ther)"
)
# "the spokesman", "a senior White House official", "his former business partner".
# Words that end a noun phrase: verbs of speech, conjunctions, pronouns.
_STOP = (
    rf"(?:{_VERB_ALT}|after|before|when|while|who|which|that|and|but|as|because|if|"
    r"he|she|they|we|it|is|was|are|were|has|had|have|will|would|to|not|of|for|in|on|at|by|"
    r"with|from|about|into|over|than|this|last|next|week|month|year|day|time|so|also|"
    r"morning|night|evening|afternoon)"
)
_PHRASE_WORD = rf"(?!{_STOP}\b)[\w’'\-\.]+"
# Writings that speak as their authors do ("the report said", "the email read"), although
# their nouns are also speech verbs.
_WRITING = r"(?:report|post|tweet|e-?mail|text|note)s?\b"
_PHRASE = rf"{_DETERMINER}\s+(?:{_PHRASE_WORD}\s+){{0,5}}?(?:{_WRITING}|(?!{_STOP}\b)[a-z][\w\-]+)"
# A role with what it is of: "a spokesman for the campaign", "a professor at Harvard"
# (a determiner or a capital after the preposition: "his series of early-morning" +
# "tweets" is no role).
PREPOSITION = r"(?:for|at|of|in|with|from|by)"
_ROLE_OF = (
    rf"{_PHRASE}(?:\s+{PREPOSITION}\s+(?:{_DETERMINER}\s+(?:(?!{_STOP}\b)[\w\-.]+\s+){{0,3}}"
    rf"(?!{_STOP}\b)[^\W\d_][\w\-]*|{_CAP}(?:\s+{_CAP}){{0,3}}))?"
)
_POSSESSIVE = rf"{NAME}[’']s\s+(?:(?!{_STOP}\b)[a-z][\w\-]*\s+){{0,3}}?(?!{_STOP}\b)[a-z][\w\-]+"
# After a verb, the whole role and the name after it: "said Trump's running mate, Mike Pence".
_POSSESSIVE_ROLE = rf"{NAME}[’']s(?:\s+(?!{_STOP}\b)[a-z][\w\-]*){{1,4}}(?:,?\s+{NAME})?"
# A mention, optionally followed by a name in apposition ("spokesman Dmitry Peskov").
_OF_NAME = rf"(?:\s+of\s+(?:the\s+)?{_CAP}(?:\s+{_CAP}){{0,4}})?"
# People named as a group without a determiner: "sources said", "some analysts say".
_GROUP = (
    r"(?:(?:some|many|other|several|senior|top|federal|local|state|administration|campaign|"
    r"two|three|four|most)\s+)?(?:sources|officials|experts|analysts|critics|aides|advisers|"
    r"economists|observers|insiders|supporters|opponents|investigators|prosecutors|"
    r"lawmakers|legislators|residents|witnesses|researchers|scientists|polls|reports|"
    r"documents|records|voters|diplomats|people)"
)
# A share of people, as polls report them: "63 percent said", "52 percent of voters agreed".
_SHARE = r"\d[\d.,]*\s*(?:percent|per\s+cent|%)(?:\s+of\s+(?:[a-z][\w\-]*\s+){0,2}?[a-z][\w\-]+)?"

MENTION = (
    rf"(?:(?:{_POSSESSIVE}|{_ROLE_OF})(?:\s+{NAME})?|{NAME}{_OF_NAME}(?:\s+and\s+{NAME})?"
    rf"|{PRONOUN}|\b{_GROUP}|\b{_SHARE})"
)
# After a verb or "according to", a bare role may come first: "city engineer Ana Ruiz".
_ROLE_NAME = rf"(?:(?:(?!{_STOP}\b)[a-z0-9][\w/\-]+|{_CAP})\s+){{1,5}}{NAME}"
MENTION_AFTER = rf"(?:{_ROLE_NAME}|{MENTION})"

_TIME = (
    r"(?:\s+(?:on\s+)?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|"
    r"yesterday|earlier|later|recently|this\s+week|last\s+week|in\s+a\s+statement|"
    r"in\s+an\s+interview|on\s+Twitter))?"
)

# After a closing quotation mark: ', said Peskov' | ', Peskov said' | ', according to X'.
AFTER_VERB_FIRST = LazyPattern(
    rf"\A\s*[,;:—–]?\s*(?P<cue>{SPEECH_VERB}){_TIME}\s+(?P<who>(?:{_POSSESSIVE_ROLE}|{_ROLE_NAME}|{NAME}|{_ROLE_OF}|{PRONOUN}))(?=[\s,.;:!?]|\Z)"
)
# Not a verb the clause goes on from: '“loopholes” he cited are ...' is a relative clause.
_NOT_RELATIVE = r"(?!\s+(?:is|are|was|were|has|have|had|will|would|could|should|may|might|must)\b)"
AFTER_WHO_FIRST = LazyPattern(
    rf"\A\s*[,;:—–]?\s*(?:as\s+)?(?P<who>{MENTION_AFTER})(?:(?:,[^,“”\"]{{1,160}}){{1,2}},)?{_AUX}\s+(?P<cue>{SPEECH_VERB})\b"
    + _NOT_RELATIVE
)
# The verb first, before the quotation: 'Said Smith: “...”', 'Added the senator, “...”'.
INVERTED_LEAD = LazyPattern(
    rf"\A\s*(?P<cue>Said|Says|Added|Adds|Asked|Wrote|Writes|Explained|Recalled|Warned)\s+"
    rf"(?P<who>{MENTION_AFTER})(?:,[^,:“”\"]{{1,80}})?\s*[,:]?\s*\Z"
)
AFTER_ACCORDING = LazyPattern(
    rf"\A\s*[,;:—–]?\s*(?P<cue>according\s+to)\s+(?P<who>{MENTION_AFTER})"
)

# A quote that opens a sentence and is attributed after more words: '“A” for B, she said.'
AFTER_GAP = LazyPattern(
    rf"\A(?P<gap>[^“”\"]{{0,150}}?),\s*(?P<who>{MENTION_AFTER}){_AUX}\s+(?P<cue>{SPEECH_VERB})"
    r"\b"
)
# Someone's words named as a noun: "Trump’s remark that ...", "Clinton’s response was swift:".
POSSESSOR_WORDS = LazyPattern(
    rf"(?<![\w’'])(?P<who>{NAME})[’']s\s+(?:[a-z][\w\-]*\s+){{0,2}}?"
    r"(?P<cue>remarks?|comments?|claims?|assertions?|statements?|words|response|reply|answer|"
    r"message|promise|pledge|vow|warning|argument|insistence|suggestion|description|"
    r"characterization|tweets?|verdict|retort|charge|accusation)\b"
    r"(?P<rest>\s+(?:that|of)\s+[^“”\"]*|(?:\s+(?:to|was|is)\b[^“”\":.]{0,40})?\s*:\s*)\Z"
)
# A participle that reports what the sentence's subject said: ', saying his "..."'.
PARTICIPLE_CUE = re.compile(
    r",\s+(?:and\s+)?(?P<cue>saying|adding|noting|arguing|calling|explaining|insisting|"
    r"warning|claiming|writing|telling\s+\w+)\b(?!.*,\s+(?:saying|adding|noting))"
)
# What a speaker goes on to say in the same sentence: ', adding that ...'.
ADDING_CLAUSE = re.compile(
    r"[^“”\"]*?,\s+(?:and\s+)?(?P<cue>adding|saying|noting|arguing|explaining|insisting|"
    r"warning|adding\s+later)\s+(?P<content>(?:that\s+)?[^“”\"]+)"
)
# The subject at the start of a sentence and the verb that follows it, for quoted words
# with no speech verb before them ('Trump called the senator a "nasty guy"').
SUBJECT_AT_START = LazyPattern(
    rf"\A\s*(?:[^,“”\"]{{0,60}},\s+)?(?P<who>{MENTION})(?:(?:,[^,“”\"]{{1,160}}){{1,2}},)?{_AUX}\s+"
    r"(?P<cue>(?:is\s+|was\s+)?(?!(?:of|for|in|on|at|by|with|from|about|into|over|than|to|"
    r"and|or|but|the|a|an|that|who|which|whose)\b)[a-z][\w\-]+)\b"
)

# Before a speech verb, anchored at the end: the subject, nearest kinds first.
_SUBJECT_AT_END = tuple(
    LazyPattern(rf"(?P<who>{kind})(?:(?:,[^,“”\"]{{1,160}}){{1,2}},)?{_TIME}{_AUX}\s*\Z")
    for kind in (
        rf"\b{PRONOUN}",
        rf"(?:{_POSSESSIVE}|{_PHRASE})\s+{NAME}",
        NAME,
        rf"{_POSSESSIVE}|{_ROLE_OF}",
        rf"\b{_SHARE}",
        rf"\b{_GROUP}",
    )
)
# "who" after a name, right before the verb: the subject, standing for that name.
_RELATIVE_SUBJECT = LazyPattern(rf"(?<![\w’']){NAME},\s+(?P<who>who){_AUX}\s*\Z")
# A speech verb's form followed by an auxiliary is a noun ("Health worries have dogged
# her") or the subject of a relative clause ("what he said was"): no cue.
_VERB_WORD = LazyPattern(rf"\b{SPEECH_VERB}\b{_NOT_RELATIVE}")
_ACCORDING_WORD = LazyPattern(rf"\b[Aa]ccording\s+to\s+(?P<who>{MENTION_AFTER})")


# How many speech verbs of one stretch of text are tried for a subject (a bound on the
# work for text made of little else).
_MOST_VERBS = 8


# An aside between dashes before the verb ("Ruiz, an engineer -- who ... -- said").
_DASHED_ASIDE = re.compile(r"\s(?:--|—|–)\s(?:(?!--)[^—–“”\"]){1,200}?\s(?:--|—|–)\s*\Z")


def subject_before(text: str, end: int) -> tuple[int, int] | None:
    """The speaker mention that ends just before `end` in `text` (the verb's start); an
    aside between dashes is skipped, as one between commas is."""
    dashed = text[max(0, end - 4) : end].rstrip().endswith(("-", "—", "–"))
    aside = _DASHED_ASIDE.search(text, max(0, end - 260), end) if dashed else None
    if aside is not None:
        head = text[: aside.start()]
        # The aside closes an apposition the comma opened ("Ruiz, the engineer -- ... --"):
        # closed with a comma of its own, as the subject patterns expect.
        comma = "," if "," in head[-160:] else ""
        return subject_before(head + comma, len(head) + len(comma))
    window_start = max(0, end - 140)
    window = text[window_start:end]
    relative = _RELATIVE_SUBJECT.search(window) if "who" in window[-60:] else None
    if relative is not None:
        # "Pence was praised by Trump, who called him “a great man”": "who" (Trump).
        return window_start + relative.start("who"), window_start + relative.end("who")
    for pattern in _SUBJECT_AT_END:
        match = pattern.search(window)
        if match is not None:
            who = trim_mention(
                text, window_start + match.start("who"), window_start + match.end("who")
            )
            if who is not None:
                return who
    return None


def trim_mention(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The mention without sentence-start words and a final full stop; None if nothing is left."""
    words = list(_WORD.finditer(text, start, end))
    while len(words) > 1 and words[0].group() in _NOT_IN_A_MENTION:
        words.pop(0)
    if not words or (
        len(words) == 1
        and words[0].group().rstrip(".,;") in _NO_SPEAKER_WORDS
        and words[0].group().lower() not in PRONOUNS
    ):
        return None
    start = words[0].start()
    while end > start and text[end - 1] in ".,; " and not _INITIAL_END.search(text, start, end):
        end -= 1
    return (start, end) if end > start else None


# Plural nouns that are also speech verbs: after a possessive ("his early-morning tweets",
# "Trump’s remarks") they are what was said, not the saying.
_NOUN_FORMS = frozenset("tweets remarks comments posts texts emails claims".split())
_POSSESSIVE_START = re.compile(r"(?:[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Oo]ur)\s|\S+[’']s\s")


def _subject_of(text: str, verb: re.Match[str]) -> tuple[int, int] | None:
    who = subject_before(text, verb.start())
    if who is not None and verb.group() in _NOUN_FORMS:
        if _POSSESSIVE_START.match(text, who[0]):
            return None
    return who


def first_cue(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(cue, speaker mention) of the first speech verb in `text` that has a subject."""
    for verb in list(_VERB_WORD.finditer(text))[:_MOST_VERBS]:
        who = _subject_of(text, verb)
        if who is not None:
            return (verb.start(), verb.end()), who
    return None


def last_cue(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(cue, speaker mention) of the last speech verb in `text` that has a subject."""
    for verb in list(_VERB_WORD.finditer(text))[: -_MOST_VERBS - 1 : -1]:
        who = _subject_of(text, verb)
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


# A speaker's label in a transcript: 'PENCE: Well, look, ...' (capitals only, so that
# "Editor's note:" is none).
TRANSCRIPT_LABEL = re.compile(
    r"\A[\"“]?(?P<who>[A-Z][A-Z.’'\-]+(?:\s+[A-Z][A-Z.’'\-]+){0,2})(?P<cue>:)\s+(?P<content>\S)"
)

# An introduction that leaves nothing of the sentence but the quote ('Peskov said Monday:').
# Up to two such phrases: 'Trump said at a rally in Ohio, before adding: “...”'.
INTRO_ONLY = re.compile(r"\A(?:(?![^,:.]*\bthat\b)[^,:.]{0,60}[:,]){0,2}\s*\Z")

# Reported speech in a sentence with no quotation: what follows its cue.
CLAUSE_AFTER_CUE = LazyPattern(
    rf"(?:{_TIME})?(?:\s+(?:to\s+)?(?:reporters|(?:the\s+)?[A-Z][\w.]*(?:\s+[A-Z][\w.]*)*|him|her|them|us|me))?"
    rf"{_TIME},?\s+(?P<content>(?:that\s+)?\S.{{15,}})\Z"
)
# The content may end in a closing mark: '“... losses,” The Hill reported.'
INDIRECT_TRAIL = LazyPattern(
    rf"\A(?P<content>.{{20,}}?),[”\"]?\s+(?P<who>{MENTION}){_AUX}\s+(?P<cue>{SPEECH_VERB})\b[^,]{{0,80}}\Z"
)
INDIRECT_TRAIL_VERB_FIRST = LazyPattern(
    rf"\A(?P<content>.{{20,}}?),\s+(?P<cue>{SPEECH_VERB})\s+(?P<who>(?:{_ROLE_NAME}|{NAME}|{_ROLE_OF}))[^,]{{0,80}}\Z"
)
ACCORDING_LEAD = LazyPattern(
    rf"\A(?P<cue>[Aa]ccording\s+to)\s+(?P<who>{MENTION_AFTER}),\s+(?P<content>\S.{{15,}})\Z"
)
ACCORDING_TRAIL = LazyPattern(
    rf"\A(?P<content>.{{20,}}?),[”\"]?\s+(?P<cue>according\s+to)\s+(?P<who>{MENTION_AFTER})[^,]{{0,60}}\Z"
)

# Verbs that report a clause without "that" ("Peskov said the reserve ..."); any other
# speech verb counts for reported speech only when "that" follows it.
_CLAUSE_VERB_BASES = """
say tell add argue claim insist warn note explain state write predict suggest acknowledge
admit concede contend maintain believe think estimate report announce declare confirm deny
allege assert recall reply respond counter hope fear worry promise vow pledge agree tweet
""".split()
CLAUSE_VERBS = frozenset(
    {form for base in _CLAUSE_VERB_BASES for form in _inflections(base)}
    | {"said", "told", "wrote", "written", "thought"}
) - {"tell", "tells", "telling", "say", "write"}

# Capitalised words that start a sentence but are no name.
FUNCTION_WORDS = frozenset(
    """The A An And But Or So Yet In On At Of For From With By As If When While After Before
    Since Because Although Though That This These Those It Its He She They We I His Her
    Their Our Then Now Still Also However Meanwhile Instead Asked Speaking Earlier Later
    Last Next You Your My Me All Both Many Most Some Few Every Each No To
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday""".split()
)
PRONOUNS = frozenset({"he", "she", "they", "we", "i", "it"})
# A date is no speaker ('In August, groups granted him time, saying ...'); "May" can be a
# surname.
_NO_SPEAKER_WORDS = FUNCTION_WORDS | frozenset(
    "January February March April June July August September October November December".split()
)
_WORD = re.compile(r"\S+")
_NOT_IN_A_MENTION = FUNCTION_WORDS - {"The", "A", "An", "His", "Her", "Their", "Its", "Our"}
_INITIAL_END = re.compile(r"(?:\b[A-Z]|\bJr|\bSr|\bInc|\bCo)\.\Z")


def compile_patterns() -> None:
    """Compile every large pattern now rather than at its first use (for a timing that
    should measure the search alone)."""
    for value in (*globals().values(), *_SUBJECT_AT_END):
        if isinstance(value, LazyPattern):
            _ = value.compiled
