"""Which reader reads which file: a table from suffix to reader.

Filled at import from every module of `index.sources.formats` (each defines `READER`),
so a new format is one new module there. Discovery finds exactly the suffixes in this
table (`SUPPORTED_SUFFIXES` is a live view of it), and `index.sources.readers` hands each
file to its reader: raw bytes to a binary reader, decoded text to a text reader.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import KeysView

from index.sources import formats
from index.sources.reading import BinaryReader, Reader, TextReader

READERS: dict[str, Reader] = {}
SUPPORTED_SUFFIXES: KeysView[str] = READERS.keys()
"""The suffixes some reader reads ('.txt', ...): follows `READERS` as readers register."""


def register(reader: Reader) -> None:
    """Read files with `reader`'s suffixes from now on; a suffix has one reader only."""
    if not isinstance(reader, TextReader | BinaryReader):
        raise TypeError(f"not a reader: {reader!r}")
    for suffix in reader.suffixes:
        if not suffix.startswith(".") or suffix != suffix.lower():
            raise ValueError(f"a suffix is lower case and starts with '.': {suffix!r}")
        if suffix in READERS:
            raise ValueError(f"{suffix} files already have a reader: {READERS[suffix]!r}")
    for suffix in reader.suffixes:
        READERS[suffix] = reader


def reader_for(suffix: str) -> Reader | None:
    """The reader for files ending in `suffix` (any case), or None when none reads them."""
    return READERS.get(suffix.lower())


def _register_formats() -> None:
    # Sorted, so that two modules claiming one suffix fail the same way every time.
    for module in sorted(pkgutil.iter_modules(formats.__path__), key=lambda m: m.name):
        register(importlib.import_module(f"{formats.__name__}.{module.name}").READER)


_register_formats()
