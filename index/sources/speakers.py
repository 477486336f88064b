"""Who a speaker mention names: "Peskov", "he", "the spokesman" -> "Dmitry Peskov".

An article introduces a person once by their full name, often with a role ("Putin's
spokesman Dmitry Peskov"), and then uses the surname, a pronoun or the role. `SpeakerBook`
reads the article's names and roles once, then resolves each mention in reading order,
remembering who spoke last.
"""

from __future__ import annotations

import re

from index.sources.antecedents import (
    PERSON_TITLES,
    common_words,
    headline,
    split_sentences,
    subject_part,
    unquoted,
)
from index.sources.genders import fits, genders
from index.sources.name_runs import (
    ABBREVIATED_ROLES,
    NAME_RUN,
    PARENTHESES,
    PARTICLES,
    QUALIFIER,
    QUALIFIER_IN_MENTION,
    ROLE_AFTER_NAME,
    ROLE_BEFORE_NAME,
    ROLE_OF_BEFORE_NAME,
    TITLE_ONLY,
    last_title,
    looks_personal,
    name_words,
    trailing_name,
)
from index.sources.quote_cues import PREPOSITION, PRONOUNS

_LOWER_WORD = re.compile(r"[a-z][\w\-]+")
# A writing of an organisation or a person: what it says, they say.
_WRITING_BY = re.compile(
    r"(?:[Tt]he|[Aa]n?|[Ii]ts|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[a-z][\w\-]*\s+){0,2}?"
    r"(?:statement|report|letter|memo|release|e-?mail|tweet|post|filing|complaint|lawsuit|"
    r"study|survey|poll|analysis|document|ad|video|editorial|article|story|transcript)s?"
    r"\s+(?:by|from|of)\s+((?:the\s+)?[A-Z].*)\Z"
)
# A role with a name in apposition: "the mayor, Ana Ruiz, said" (the name after it) or
# "Ana Ruiz, the mayor of Springfield, said" (the name opening the sentence before it).
_APPOSED_AFTER = re.compile(rf"\A,\s+({NAME_RUN.pattern}),")
_APPOSED_BEFORE = re.compile(rf"(?:\A|[.!?][\"”’]?\s+)\s*({NAME_RUN.pattern}),\s*\Z")
# Two people joined by "and", each perhaps with a party and state after a comma ("Bob
# Corker, R-Tenn., and Lindsey Graham"): whom "they" can stand for.
_PAIR = re.compile(rf"({NAME_RUN.pattern})(?:,[^,;“”\"]{{1,30}},)?\s+and\s+({NAME_RUN.pattern})")
# The name "who" follows, with a party and state if any: "Bob Corker (R-Tenn.), who",
# "Bob Corker, R-Tenn., who".
_RELATIVE_OF = re.compile(
    rf"({NAME_RUN.pattern})(?:\s*\([^()]{{1,20}}\)|,\s+[DRI]-[A-Z][\w.\-]*)?,\s*\Z"
)
_PLACE_BEFORE = re.compile(r"\b(?:on|in|at|from|across|near|outside|inside)\s+(?:the\s+)?\Z")
_HONORIFIC_START = re.compile(r"(Mr|Mrs|Ms|Miss)\.?\s")
# Nouns for what someone said: "Clinton’s response" speaks for Clinton.
_UTTERANCES = frozenset(
    """remark remarks comment comments claim claims assertion assertions statement statements
    words response reply answer message promise pledge vow warning argument insistence
    suggestion description characterization tweet tweets verdict retort charge accusation""".split()
)
_WRITING_OF = re.compile(
    r"(?:[Tt]he|[Aa]n?|[Aa]nother)\s+(?:[a-z][\w\-]*\s+)?((?:[A-Z][\w./&’'\-]*\s+){1,4})"
    r"(?:[a-z][\w\-]*\s+)?(?:poll|survey|study|report|analysis|ad|video|statement|letter|"
    r"memo|editorial|article|story|investigation|review|audit)s?\Z"
)
_SHARE_START = re.compile(r"\d[\d.,]*\s*(?:percent|per\s+cent|%)")
_PRONOUN_MALE = frozenset({"he"})
_PRONOUN_FEMALE = frozenset({"she"})
_POSSESSOR = re.compile(r"\A(?:the\s+)?(.+?)[’']s\s")
_DETERMINER_START = re.compile(r"(?:The|A|An|His|Her|Their|Its|Our|One|Another)\s")
_ROLE_OF = re.compile(rf"\s+{PREPOSITION}\s+")
_OF_FOR = re.compile(r"\s+(?:of|for)\s+")


class SpeakerBook:
    """The people of one article and the state needed to resolve mentions in order."""

    def __init__(self, texts: list[str], title: str = "") -> None:
        """Read the names of `texts` (the paragraphs) and of the article's `title`."""
        paragraphs = texts
        texts = [title, *texts] if title else texts
        self._full: dict[str, str] = {}
        """Last word of a name -> the fullest name ending with it."""
        self._roles: dict[str, str] = {}
        """Role word ("spokesman", "president") -> the name it introduced."""
        self._last_speaker: str | None = None
        self._last_by_pronoun: dict[str, str] = {}
        self._speakers: list[str] = []
        self._people: list[str] = []
        """Speakers and people named (last of each paragraph), in reading order."""
        self._seen: dict[str, int] = {}
        self._previous = ""
        """The paragraph read last."""
        self._qualified: dict[tuple[str, str], str] = {}
        """(Qualifier, role) -> the name it introduced: ("democratic", "nominee")."""
        self._titled: set[str] = set()
        """Surnames seen after a title only ("Mr. Obama")."""
        self._common = common_words(paragraphs)
        """Words the article writes in small letters: "Patriot Coal" holds one (coal). Not
        the title's, which may be made of a file name ("nyt obama on climate")."""
        for text in texts:
            if len(text) < 200 and headline(text):
                # A headline: "Retired General Reveals Experience Of Serving Under Obama".
                continue
            self._read_names(text)
        # The fullest name is the most used one ending with that word, then the longest:
        # "Hillary Clinton", not the one-off "Crooked Hillary Clinton".
        for name, count in self._seen.items():
            last = name.rsplit(" ", 1)[-1]
            known = self._full.get(last)
            if known is None or (count, len(name)) > (self._seen[known], len(known)):
                self._full[last] = name
        for surname in self._titled - self._full.keys():
            self._full[surname] = surname
        self._gender = genders(texts, {**{name: name for name in self._seen}, **self._full})

    def _read_names(self, text: str) -> None:
        for match in NAME_RUN.finditer(text):
            words = name_words(match.group())
            run = match.group().split()
            if (
                len(words) == 1
                and len(run) >= 2
                and run[-2].rstrip(".") in PERSON_TITLES
                and not TITLE_ONLY.match(words[0])
            ):
                # "Mr. Obama", "President Obama": a surname a title shows to be a person's.
                self._titled.add(words[0])
            if len(words) < 2 or not all(w[:1].isupper() or w in PARTICLES for w in words):
                continue
            if not looks_personal(words):
                continue
            name = " ".join(words)
            self._seen[name] = self._seen.get(name, 0) + 1
            # A window, not the whole text before the name: a search anchored at its end
            # would otherwise scan the paragraph again for every name in it.
            # The title inside the run counts too: "Sen. John Smith", "President Obama",
            # "Springfield Mayor Ana Ruiz" (but a vice president is not "the president").
            before = text[max(0, match.start() - 40) : match.start()]
            title = last_title(match.group().split(), len(words))
            if title is not None:
                before = f"{before} {title} "
            role = ROLE_OF_BEFORE_NAME.search(
                text[max(0, match.start() - 80) : match.start()]
            ) or ROLE_BEFORE_NAME.search(before)
            if role:
                word = role.group(1).lower()
                self._roles.setdefault(ABBREVIATED_ROLES.get(word, word), name)
                # "Democratic presidential nominee Hillary Clinton": the Democratic nominee.
                qualified = QUALIFIER.search(before[: len(before) - len(role.group())])
                if qualified is not None:
                    self._qualified.setdefault((qualified.group(1).lower(), word), name)
            after = ROLE_AFTER_NAME.match(text[match.end() : match.end() + 120])
            if after:
                self._roles.setdefault(after.group(1).lower(), name)

    def fullest(self, mention: str) -> str | None:
        """The fullest name in the article for a name mention ("Peskov" -> "Dmitry Peskov")."""
        parts = _OF_FOR.split(mention, maxsplit=1)
        if len(parts) == 2:
            # "the Bureau of Prisons" is the whole name; "Smith of Ohio" is Smith;
            # "Secretary of State John Kerry" is Kerry.
            if TITLE_ONLY.match((parts[0].split() or [""])[-1]):
                mention = parts[1]
            elif not looks_personal(name_words(parts[0])):
                return " ".join(w for w in name_words(mention) if w not in ("the", "The"))
            else:
                mention = parts[0]
        words = name_words(mention)
        capitalised = [word for word in words if word[:1].isupper()]
        if not capitalised:
            return None
        last = capitalised[-1]
        # A transcript's "PENCE" is the article's "Pence".
        known = self._full.get(last) or self._full.get(last.title())
        if known is None:
            return " ".join(capitalised)
        run = trailing_name(words)
        given = [word for word in run[:-1] if word not in PARTICLES]
        if given and given[-1].lower() not in known.lower().split():
            # "Bill Clinton" is not the article's usual "Hillary Clinton": another person
            # of that surname, as the article names them.
            namesake = self._namesake(run)
            if namesake is not None:
                return namesake
        honorific = _HONORIFIC_START.match(mention.strip())
        if honorific is not None:
            # "Mr. Clinton" beside "Hillary Clinton": the namesake the honorific fits.
            pronoun = "she" if honorific.group(1) in ("Mrs", "Ms", "Miss") else "he"
            if not self._fitting(known, pronoun):
                fitting = [
                    n for n in self._seen if n.endswith(f" {last}") and self._fitting(n, pronoun)
                ]
                return max(fitting, key=self._seen.__getitem__) if fitting else known
        return known

    def _namesake(self, words: list[str]) -> str | None:
        """The most used name of the article that ends with `words` ("Bill Clinton" of
        "Former President Bill Clinton"), if any."""
        wanted = " ".join(words)
        holding = [name for name in self._seen if f" {name}".endswith(f" {wanted}")]
        return max(holding, key=self._seen.__getitem__) if holding else None

    def resolve(self, mention: str, before: str = "", after: str = "") -> str | None:
        """The speaker a mention refers to, given what was said before it in the article.

        `before` is the paragraph's text before the mention: a pronoun refers to the last
        person named there, else to the last speaker the same pronoun named. `after` is
        the text after it: a role may be followed by the name it stands for.
        """
        text = PARENTHESES.sub(" ", mention).strip()
        if _SHARE_START.match(text):
            return None  # "63 percent" of those polled: nobody in particular
        head = _ROLE_OF.split(text, maxsplit=1)[0]
        writing = _WRITING_BY.match(text)
        if writing is not None:
            # "a statement from the White House" speaks for the White House.
            return self.fullest(writing.group(1))
        made_by = _WRITING_OF.match(text)
        if made_by is not None:
            # "A Bloomberg poll", "the Reuters analysis": the writing speaks for its maker.
            return self.fullest(made_by.group(1))
        role = (head.split() or [""])[-1][:1].islower()
        if role and (text[:1].islower() or _DETERMINER_START.match(text)):
            # "a professor at Harvard University": the role, not what it is of (but "the
            # Federal Bureau of Prisons" is a name).
            text = head
        lowered = text.lower()
        if lowered == "who":
            # "Trump, who called him ...": the name the relative clause follows.
            # Not a place ("Democrats on Capitol Hill, who"): nobody known.
            named = _RELATIVE_OF.search(before[-120:])
            if named is None or _PLACE_BEFORE.search(before[-120:], 0, named.start()):
                return None
            return self.fullest(named.group(1))
        if lowered in PRONOUNS:
            if lowered == "they":
                # Two people named in the same sentence, or opening the one before.
                sentences = split_sentences(unquoted(before))
                return self._pair_in(sentences[-1], anywhere=True) or (
                    self._pair_in(sentences[-2], anywhere=False) if len(sentences) > 1 else None
                )
            if lowered in ("it", "we", "i"):
                return self._last_by_pronoun.get(lowered)
            # A person named earlier in the same sentence, else whoever "he"/"she" last
            # was, else the last speaker, else the last person named in the paragraph.
            # Someone the article shows to be of the other sex is skipped ("he" is not
            # Hillary Clinton).
            sentences = split_sentences(before)
            if len(sentences) == 1:
                # The paragraph's first sentence: the one before is the last of the
                # paragraph before ("Kaine disagreed." + "“...,” he said.").
                sentences = [split_sentences(self._previous.rstrip())[-1], *sentences]
            return (
                self._last_name_in(sentences[-1], lowered)
                or self._first_name_in(sentences[-2], lowered)
                or self._fitting(self._last_by_pronoun.get(lowered), lowered)
                or self._last_fitting(self._speakers, lowered)
                or self._last_name_in(before, lowered)
                or self._last_fitting(self._people, lowered)
            )
        words = text.split()
        if words and words[-1][:1].isupper():
            # "Putin's spokesman Dmitry Peskov": the name at the end is the speaker.
            tail = text.rsplit("’s ", 1)[-1].rsplit("'s ", 1)[-1]
            tail_words = name_words(tail)
            if tail_words and any(w[:1].islower() for w in _OF_FOR.sub(" ", tail).split()):
                head = [w for w in tail.split() if w[:1].isupper() or w in PARTICLES]
                return self.fullest(" ".join(head))
            return self.fullest(tail) if tail_words else None
        apposed = self._apposed(before, after)
        if apposed is not None:
            return apposed
        role_words = _LOWER_WORD.findall(text.rsplit("’s ", 1)[-1].rsplit("'s ", 1)[-1])
        owner = _POSSESSOR.match(text)
        if owner is not None and role_words and role_words[-1] in _UTTERANCES:
            # "Clinton’s response", "Trump’s remark": their words are theirs.
            return self.fullest(owner.group(1))
        qualifiers = {q.lower() for q in QUALIFIER_IN_MENTION.findall(text)}
        for word in reversed(role_words):
            of_role = {q: n for (q, held), n in self._qualified.items() if held == word}
            holders = [of_role[q] for q in qualifiers if q in of_role]
            if holders:
                return holders[0]
            if qualifiers and of_role:
                return None  # "the Democratic nominee" when only a Republican one is known
            if word in self._roles:
                return self._roles[word]
        if owner is not None and self._last_speaker is not None:
            # "Putin's spokesman" is not Putin: an unknown role of someone named is nobody
            # known, rather than that someone.
            if self.fullest(owner.group(1)) == self._last_speaker:
                return None
        return self._last_speaker

    def _apposed(self, before: str, after: str) -> str | None:
        """The name a role mention stands beside, set off by commas: "the mayor, Ana Ruiz,"
        or, opening the sentence, "Ana Ruiz, the mayor ..."."""
        for match in (_APPOSED_AFTER.match(after[:120]), _APPOSED_BEFORE.search(before[-120:])):
            if match is None:
                continue
            words = name_words(match.group(1))
            if words and (len(words) >= 2 or words[-1] in self._full):
                return self._full.get(words[-1], " ".join(words))
        return None

    def _pair_in(self, text: str, anywhere: bool) -> str | None:
        """The last two people joined by "and" in `text` ("A and B"), or (not `anywhere`)
        the two the text opens with, its subject."""
        found = None
        text = text if anywhere else subject_part(text)
        for match in _PAIR.finditer(text):
            if not anywhere and len(text[: match.start()].split()) > 1:
                break
            names = [name_words(match.group(group)) for group in (1, 2)]
            if all(
                words and (len(words) >= 2 or words[-1] in self._full) and looks_personal(words)
                for words in names
            ):
                found = " and ".join(self._full.get(w[-1], " ".join(w)) for w in names)
        return found

    def spoke(self, mention: str, speaker: str | None) -> None:
        """Remember a resolved speaker, for the pronouns and roles that follow."""
        if speaker is None:
            return
        self._last_speaker = speaker
        self._speakers.append(speaker)
        lowered = mention.strip().lower()
        if lowered in _PRONOUN_MALE or lowered in _PRONOUN_FEMALE:
            self._last_by_pronoun[lowered] = speaker

    def saw_person(self, text: str) -> None:
        """Note the people named in `text` (for a pronoun with no speaker yet), the
        paragraph just read."""
        self._previous = text
        for match in NAME_RUN.finditer(text):
            words = name_words(match.group())
            if words and (len(words) >= 2 or words[-1] in self._full) and looks_personal(words):
                self._people.append(self._full.get(words[-1], " ".join(words)))

    def _fitting(self, name: str | None, pronoun: str) -> str | None:
        """`name` if the pronoun can refer to that person, else None."""
        gender = self._gender.get(name) if name is not None else None
        if name is None or not fits(gender, pronoun):
            return None
        if gender is None and pronoun in ("he", "she"):
            # Nothing says it is a person, and a word of it is a common word of the
            # article's ("Patriot Coal", "Eastern District", "Would I"): no he or she.
            words = name.split()
            if words[0].lower() in self._common or words[-1].lower() in self._common:
                return None
        return name

    def _last_fitting(self, names: list[str], pronoun: str) -> str | None:
        for name in reversed(names):
            if self._fitting(name, pronoun):
                return name
        return None

    def _first_name_in(self, text: str, pronoun: str = "") -> str | None:
        """The first person named in `text` (its subject, as a rule) whom `pronoun` can
        refer to, if any."""
        text = unquoted(text)
        text = subject_part(text)
        for match in NAME_RUN.finditer(text):
            words = name_words(match.group())
            if words and (len(words) >= 2 or words[-1] in self._full) and looks_personal(words):
                name = self._fitting(self._full.get(words[-1], " ".join(words)), pronoun)
                if name is not None:
                    return name
        return None

    def _last_name_in(self, text: str, pronoun: str = "") -> str | None:
        """The last person named in `text` (a full name, or a surname the article has)
        whom `pronoun` can refer to."""
        last = None
        for match in NAME_RUN.finditer(unquoted(text)):
            words = name_words(match.group())
            if words and (len(words) >= 2 or words[-1] in self._full) and looks_personal(words):
                last = self._fitting(self._full.get(words[-1], " ".join(words)), pronoun) or last
        return last
