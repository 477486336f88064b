"""The quote rules' large patterns are compiled at first use, not at import (issue 10's
build-time cost), and match exactly as compiled ones do."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

from index.sources.lazy_regex import LazyPattern


def test_a_lazy_pattern_matches_as_the_compiled_one() -> None:
    source = r"(?P<who>[A-Z]\w+)\s+(?P<cue>said|told)\b"
    lazy, eager = LazyPattern(source), re.compile(source)
    text = "Yesterday Peskov said no. Then Putin told them so."
    assert not lazy.is_compiled
    for pos, endpos in ((0, len(text)), (10, 30), (26, len(text))):
        found = lazy.search(text, pos, endpos)
        expected = eager.search(text, pos, endpos)
        assert (found and found.groupdict()) == (expected and expected.groupdict())
        assert bool(lazy.match(text, pos, endpos)) == bool(eager.match(text, pos, endpos))
        assert [m.span() for m in lazy.finditer(text, pos, endpos)] == [
            m.span() for m in eager.finditer(text, pos, endpos)
        ]
    assert lazy.fullmatch("Peskov said") is not None
    assert lazy.is_compiled and lazy.pattern == source


def test_importing_the_quote_rules_compiles_none_of_their_large_patterns() -> None:
    probe = textwrap.dedent(
        """
        import json
        from index.sources import quote_cues
        from index.sources.lazy_regex import LazyPattern
        from index.models import Article, Paragraph

        def lazy():
            found = [v for v in vars(quote_cues).values() if isinstance(v, LazyPattern)]
            return found + list(quote_cues._SUBJECT_AT_END)

        before = [p.is_compiled for p in lazy()]
        from index.sources.quotes import extract_quotes
        text = "“The dam will hold,” Maria Lindqvist said."
        quotes = extract_quotes(Article("a.txt", "/a.txt", "A", (Paragraph(0, text, False),)))
        print(json.dumps([before, [p.is_compiled for p in lazy()], len(quotes)]))
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    before, after, quotes = json.loads(done.stdout)
    assert len(before) >= 10 and not any(before)
    assert quotes == 1 and any(after)
