"""Names as an article writes them: runs of capitalised words ("Sen. Ana Ruiz", "Bill de
Blasio"), the words of the name without titles and possessives, and whether a run reads as
a person rather than a place or an organisation; the roles written beside names. Part of
`index.sources.speakers`.
"""

from __future__ import annotations

import re

from index.sources.quote_cues import _CAP, _TITLE, FUNCTION_WORDS

# A particle is followed by its own whitespace: `\s+particle?\s*` could split one long run
# of spaces two ways at every point, quadratic in its length (a heading padded with 300k
# spaces took minutes).
# A word of three small letters and a full stop ends a sentence ("... of Trump. Meanwhile
# Trump ..." is no name "Trump Meanwhile Trump"), but for a title's abbreviation.
# So do two capitals and a full stop ("World War II. Trump").
_NOT_AFTER_SENTENCE = (
    r"(?:(?<![a-z]{3}\.)(?<![A-Z]{2}\.)"
    r"|(?<=Prof\.)|(?<=Capt\.)|(?<=Pres\.)|(?<=Sens\.)|(?<=Reps\.))"
)
NAME_RUN = re.compile(
    rf"{_CAP}(?:{_NOT_AFTER_SENTENCE}\s+(?:(?:de|van|von|bin|al|da|del|la|le)\s+)?{_CAP})*"
)
TITLE_ONLY = re.compile(rf"\A{_TITLE}\Z")
PARENTHESES = re.compile(r"\([^)]*\)?")
_POSSESSIVE_TAIL = re.compile(r"[’']s\Z")


def name_words(text: str) -> list[str]:
    """The words of a name, without titles, possessive endings and sentence-start words."""
    text = PARENTHESES.sub(" ", text)
    words = [_POSSESSIVE_TAIL.sub("", word.strip(".,;:")) for word in text.split()]
    words = [word for word in words if word]
    # "Belarusian President Alexander Lukashenko": the name starts after the last title.
    for index in range(len(words) - 2, -1, -1):
        if TITLE_ONLY.match(words[index]) or TITLE_ONLY.match(words[index] + "."):
            words = words[index + 1 :]
            break
    while words and words[0] in FUNCTION_WORDS:
        words.pop(0)
    return words


# Words that make a capitalised run a place or an organisation, not a person.
_NOT_PERSONAL = frozenset(
    """County City State States Party House Senate Congress Committee Court Department
    University College School News Times Post Journal Herald Tribune Council Association
    Union Institute Center Centre Foundation Campaign Club Bureau Office Agency Administration
    Street Avenue Republican Republicans Democrat Democrats Democratic America American
    Americans York Virginia Washington Ministry Church Company Corp Inc Group Network
    Television Radio Review Magazine Times Press Service Services Force Army Navy Police
    Council Commission Federal National International Organization Coalition Caucus Fund
    Bank Reserve Market Exchange Hall Square Park Island Islands Kingdom Republic Union
    Affairs Security Policy Research Studies Monday Tuesday Wednesday Thursday Friday
    Saturday Sunday January February March April May June July August September October
    November December New Mexico Jersey Hampshire Carolina Dakota Orleans Zealand Texas Ohio
    Florida California Iowa Nevada Arizona Colorado Pennsylvania Michigan Wisconsin Minnesota
    Missouri Kentucky Tennessee Alabama Louisiana Arkansas Oklahoma Kansas Nebraska Utah
    Oregon Idaho Montana Wyoming Alaska Hawaii Maryland Delaware Connecticut Massachusetts
    Vermont Maine Illinois Indiana Russia China Ukraine Syria Iraq Iran Europe Britain
    France Germany Japan Israel Afghanistan Pakistan Cuba Canada Turkey Africa Asia Moscow
    London Paris Beijing Kremlin Pentagon""".split()
)


def last_title(run: list[str], name_length: int) -> str | None:
    """The last title among the words of a run before its name ("Mayor" in "Springfield
    Mayor Ana Ruiz"), unless a word such as "Vice" makes it another office."""
    lead = run[: max(0, len(run) - name_length)]
    for index in range(len(lead) - 1, -1, -1):
        word = lead[index].rstrip(".")
        if TITLE_ONLY.match(word) or TITLE_ONLY.match(word + "."):
            if index and lead[index - 1] in _OTHER_OFFICE:
                return None
            return word
    return None


_OTHER_OFFICE = frozenset({"Vice", "Deputy", "Assistant", "Under", "Acting"})


PARTICLES = frozenset("de van von bin al da del la le".split())


def trailing_name(words: list[str]) -> list[str]:
    """The name that ends `words`: its capitalised words and particles ("Bill de Blasio"
    of "Mayor Bill de Blasio"; "Trump" of "a Bloomberg interview Trump")."""
    start = len(words)
    while start > 0 and (words[start - 1][:1].isupper() or words[start - 1] in PARTICLES):
        start -= 1
    while start < len(words) and words[start] in PARTICLES:
        start += 1
    return words[start:]


def looks_personal(words: list[str]) -> bool:
    """Whether no word of a name makes it a place or an organisation."""
    return not any(word in _NOT_PERSONAL for word in words)


# The role right before a name, or before a comma and the name ("campaign manager,
# Kellyanne Conway"); a title's abbreviation stands for its word ("Sen." -> senator).
ROLE_BEFORE_NAME = re.compile(r"([a-z][\w\-]+|[A-Z][a-z]+)\.?,?\s+\Z")
# A role with what it is of, then a comma and the name: "The mayor of Springfield, Ana
# Ruiz" (the role is "mayor", not "Springfield").
ROLE_OF_BEFORE_NAME = re.compile(
    r"\b(?:[Tt]he|[Aa]n?)\s+(?:[a-z][\w\-]*\s+){0,2}?([a-z][\w\-]+)\s+(?:of|for|at)\s+"
    r"[^,.;:“”\"]{1,40},\s+\Z"
)
ABBREVIATED_ROLES = {
    "sen": "senator",
    "rep": "representative",
    "gov": "governor",
    "gen": "general",
    "pres": "president",
    "prof": "professor",
    "lt": "lieutenant",
    "col": "colonel",
    "adm": "admiral",
    "capt": "captain",
    "sgt": "sergeant",
}
ROLE_AFTER_NAME = re.compile(
    r"\A,\s+(?:(?:the|a|an|his|her)\s+)?(?:[\w’'\-\.]+\s+){0,5}?([a-z][\w\-]+)(?=[,.]|\s+(?:of|for|at|to|who|in)\b)"
)
# The capitalised word that qualifies a role: "Democratic (presidential) nominee".
QUALIFIER = re.compile(r"\b([A-Z][A-Za-z]+)\s+(?:[a-z][\w\-]*\s+)?\Z")
QUALIFIER_IN_MENTION = re.compile(r"(?<!\A)\b([A-Z][A-Za-z]+)\b")
