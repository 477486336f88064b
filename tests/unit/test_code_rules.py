"""Rules of the code that no linter states: each is a promise the README or STYLE makes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("qa", "index", "tui")
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z-, ]+\])?(?P<rest>.*)$")


def _sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_type_ignore_names_its_error_and_says_why() -> None:
    unexplained = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found = IGNORE.search(line)
            if found and not (found["code"] and re.match(r"\s*#\s*\S", found["rest"])):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "a type: ignore needs [code] and a '# reason':\n" + "\n".join(
        unexplained
    )


def test_modules_stay_small() -> None:
    # STYLE: about 400 lines at most; a module past it is split, not grown.
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in _sources()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 420
    ]
    assert not long, "\n".join(long)
