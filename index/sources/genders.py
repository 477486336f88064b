"""Whether a person an article names is a man or a woman, as far as the text tells: so
that "he" does not resolve to Hillary Clinton nor "she" to Donald Trump.

The evidence is the article's own words (an honorific before the surname, "Mrs. Clinton";
a gendered role right before the name, "spokeswoman Ana Ruiz") and, failing those, a short
list of common English first names. Unknown is the usual answer, and changes nothing.
"""

from __future__ import annotations

import re

MALE = "male"
FEMALE = "female"

_FEMALE_FIRST = frozenset(
    """Hillary Chelsea Melania Ivanka Kellyanne Nancy Elizabeth Michelle Sarah Jill Huma Donna
    Debbie Loretta Susan Condoleezza Angela Theresa Marine Carly Nikki Kamala Dianne Barbara
    Maxine Claire Patty Amy Kirsten Tammy Jeanne Mary Patricia Jennifer Linda Karen Lisa
    Margaret Betty Sandra Ashley Kimberly Emily Carol Rebecca Laura Sharon Cynthia Kathleen
    Anna Julie Heather Maria Ann Anne Alicia Megyn Katy Rachel Martha Janet Catherine
    Christine Samantha Valerie Ivana Meryl Oprah Hope Jane Joan Joanne Helen Ruth Katie
    Kate Katherine Kathryn Diane Deborah Stephanie Nicole Jessica Melissa Michele Pamela
    Rosa Gloria Judith Judy Evelyn Grace Alice Sophia Olivia Emma Hannah Victoria Caroline
    Shirley Virginia Frances Marsha Tulsi Ileana Debbie Gwen Gina Terri Sheila Wendy Erin
    Lauren Megan Brenda Denise Tina Dana Paula Rose Marie Lynn Irene Lucy Sally Stacey""".split()
)
_MALE_FIRST = frozenset(
    """Donald Barack Bill Mike Tim Bernie Joe John James Robert Michael William David Richard
    Joseph Thomas Charles Christopher Daniel Matthew Anthony Mark Paul Steven Steve Andrew
    Kenneth Joshua Kevin Brian George Edward Ronald Timothy Jason Jeffrey Ryan Jacob Gary
    Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel Frank Gregory
    Raymond Alexander Patrick Jack Dennis Jerry Tyler Aaron Henry Adam Douglas Nathan Peter
    Zachary Kyle Walter Harold Jeremy Ethan Carl Keith Roger Gerald Christian Terry Sean
    Arthur Austin Noah Lawrence Jesse Bryan Billy Jordan Albert Dylan Bruce Willie Alan Juan
    Wayne Ralph Roy Eugene Randy Vincent Russell Louis Philip Bobby Johnny Bradley Ted Marco
    Rand Chris Jeb Ben Newt Rudy Reince Corey Mitch Harry Chuck Vladimir Dmitry Sergei Jim
    Tom Bob Rick Jeh Josh Robby Mehmet Rush Sean Lester Chris Hugh Hugo Howard Franklin
    Ronald Jimmy Dick Al Colin Rex Rex Mitt Martin Luther Kanye Barry Dan Don Doug Ed Fred
    Greg Jeff Ken Kurt Luke Matt Nick Phil Pete Ron Sam Tony Trey Vince Xi Francois Emmanuel
    Boris Nigel Recep Bashar Benjamin Hassan Kim Shinzo Justin Enrique Angus Ari Eli""".split()
)
_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss)\.?\s+([A-Z][\w’'\-]+)")
_GENDERED_ROLE = re.compile(
    r"\b(spokeswoman|spokesman|congresswoman|congressman|chairwoman|businesswoman|"
    r"businessman|wife|husband|mother|father|daughter|son|sister|brother|widow|widower|"
    r"actress|actor|Queen|King|Princess|Prince)\s+([A-Z][\w’'\-]+(?:\s+[A-Z][\w’'\-]+)*)"
)
_FEMALE_WORDS = frozenset(
    "Mrs Ms Miss spokeswoman congresswoman chairwoman businesswoman wife mother daughter "
    "sister widow actress Queen Princess".split()
)


def genders(texts: list[str], full_names: dict[str, str]) -> dict[str, str]:
    """The gender the texts give each full name of `full_names` (last word -> full name)."""
    found: dict[str, str] = {}
    for full in full_names.values():
        first = full.split(" ", 1)[0]
        if first in _FEMALE_FIRST:
            found[full] = FEMALE
        elif first in _MALE_FIRST:
            found[full] = MALE
    # The article's own words outweigh the list ("Mrs. Jordan Smith"), but for a surname
    # two people share ("Mr. Clinton" says nothing of Hillary Clinton beside Bill).
    surnames = [name.rsplit(" ", 1)[-1] for name in set(full_names.values())]
    shared = {surname for surname in surnames if surnames.count(surname) > 1}
    for text in texts:
        for match in _HONORIFIC.finditer(text):
            name = full_names.get(match.group(2))
            if name is not None and match.group(2) not in shared:
                found[name] = FEMALE if match.group(1) in _FEMALE_WORDS else MALE
        for match in _GENDERED_ROLE.finditer(text):
            name = full_names.get(match.group(2).rsplit(" ", 1)[-1])
            if name is not None:
                found[name] = FEMALE if match.group(1) in _FEMALE_WORDS else MALE
    return found


def fits(gender: str | None, pronoun: str) -> bool:
    """Whether someone of `gender` (None: unknown) can be "he" or "she"."""
    if pronoun == "he":
        return gender != FEMALE
    if pronoun == "she":
        return gender != MALE
    return True
