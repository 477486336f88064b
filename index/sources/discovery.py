"""Finding the article files under a library folder, without ever blocking or leaving it.

A library folder is whatever the user dropped into it: stray images, symlinks, pipes,
huge dumps, names that are not UTF-8. The walk yields each file worth reading, and for
every other entry one `Skipped` line saying why; it never opens a special file and
never follows a link out of the folder. Reading a file is `index.sources.readers`.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from index.models import Skipped
from index.sources.names import printable, undecodable
from index.sources.registry import SUPPORTED_SUFFIXES

DEFAULT_MAX_BYTES: int = 20_000_000
"""Larger files are skipped: an article is kilobytes; tens of megabytes is a dump or a log."""

MAX_DEPTH = 64
"""Folders nested deeper than this under a library folder are skipped, each with one line.
Articles sit a few levels deep; a tree hundreds deep is generated, and its paths approach
the system's length limit. The walk keeps its own stack, so depth costs no recursion."""

_MB = 1_000_000


def _size_reason(size: int, max_bytes: int) -> str:
    digits = 1
    # One decimal can make a file just over the limit look equal to it; add precision.
    while digits < 6 and f"{size / _MB:.{digits}f}" == f"{max_bytes / _MB:.{digits}f}":
        digits += 1
    return f"file is {size / _MB:.{digits}f} MB, over the {max_bytes / _MB:.{digits}f} MB limit"


def special_kind(mode: int) -> str | None:
    """None for a regular file, else what it is, told from its mode without opening it."""
    kinds = {stat.S_IFIFO: "named pipe", stat.S_IFSOCK: "socket"}
    kinds |= {stat.S_IFCHR: "device", stat.S_IFBLK: "device"}
    return None if stat.S_ISREG(mode) else kinds.get(stat.S_IFMT(mode), "not a regular file")


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def discover_files(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Path | Skipped]:
    """Supported article files under `root` (a folder or one file), in sorted order.

    Yields the `Path` of each file to read, and a `Skipped` for each file refused: links
    out of `root` or in a loop, pipes, sockets and devices (never opened), files over
    `max_bytes`, names that are not valid UTF-8. Hidden entries and unsupported suffixes
    are passed over silently: a folder of articles holds other things too.
    """
    try:
        info = os.stat(root)
    except OSError as error:
        yield Skipped(printable(root), os_reason(error))
        return
    if not stat.S_ISDIR(info.st_mode):
        # A file named explicitly: say why it is refused instead of ignoring it.
        if root.suffix.lower() not in SUPPORTED_SUFFIXES:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            yield Skipped(printable(root), f"unsupported file type (supported: {supported})")
        elif undecodable(root.name):
            yield Skipped(printable(root), "name is not valid UTF-8; rename it to index it")
        else:
            yield from _check_file(root, info, max_bytes)
        return
    yield from _walk(root, os.path.realpath(root), max_bytes)


def _walk(root: Path, real_root: str, max_bytes: int) -> Iterator[Path | Skipped]:
    """Depth first in sorted order, with a stack of listings rather than recursion: a
    recursive walk ended the whole build with RecursionError in a tree 1,200 deep."""
    stack: list[Iterator[os.DirEntry[str]]] = []
    listing = _listing(root)
    if isinstance(listing, Skipped):
        yield listing
        return
    stack.append(listing)
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        path = Path(entry.path)
        try:
            link = entry.is_symlink()
            # A link to a folder is reported even without a suffix; a link to anything else
            # (or to nothing, or into a loop) needs a supported suffix to be worth a word.
            is_dir = _is_dir(entry)
            if entry.name.startswith(".") or (
                not is_dir and path.suffix.lower() not in SUPPORTED_SUFFIXES
            ):
                continue
            if undecodable(entry.name):
                # Such a name cannot be stored or shown as text further up; say so instead.
                yield Skipped(printable(path), "name is not valid UTF-8; rename it to index it")
            elif link:
                yield from _follow_link(path, real_root, max_bytes)
            elif is_dir and len(stack) > MAX_DEPTH:
                yield Skipped(
                    printable(path), f"folder nested more than {MAX_DEPTH} levels deep: not read"
                )
            elif is_dir:
                listing = _listing(path)
                if isinstance(listing, Skipped):
                    yield listing
                else:
                    stack.append(listing)
            else:
                yield from _check_file(path, entry.stat(follow_symlinks=False), max_bytes)
        except OSError as error:
            # The entry vanished or cannot be examined between listing and stat.
            yield Skipped(printable(path), os_reason(error))


def _listing(folder: Path) -> Iterator[os.DirEntry[str]] | Skipped:
    """The entries of `folder`, sorted by name, read at once (no folder handle stays open)."""
    try:
        with os.scandir(folder) as listing:
            return iter(sorted(listing, key=lambda e: e.name))
    except OSError as error:
        return Skipped(printable(folder), f"cannot list folder: {os_reason(error)}")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _follow_link(path: Path, real_root: str, max_bytes: int) -> Iterator[Path | Skipped]:
    try:
        target = os.path.realpath(path, strict=True)
    except RecursionError:
        # Python 3.11 resolves each link of a chain in a nested call: a chain of a
        # thousand links inside the folder would end the build otherwise.
        yield Skipped(printable(path), "symlink chain too long to follow")
        return
    except OSError as error:
        if error.errno == errno.ELOOP:
            yield Skipped(printable(path), "symlink loop")
        else:
            yield Skipped(printable(path), "broken symlink: its target does not exist")
        return
    if not _inside(target, real_root):
        yield Skipped(printable(path), "symlink leads outside the folder: refused")
        return
    info = os.stat(target)
    if stat.S_ISDIR(info.st_mode):
        # Its target is inside this tree and read through its real path already; following
        # it would read files twice, or forever when it points back up.
        if _inside(real_root, target):
            yield Skipped(printable(path), "symlink loop: links back to a folder containing it")
        else:
            yield Skipped(printable(path), "symlink to a folder in this tree: not followed")
        return
    yield from _check_file(path, info, max_bytes)


def _check_file(path: Path, info: os.stat_result, max_bytes: int) -> Iterator[Path | Skipped]:
    kind = special_kind(info.st_mode)
    if kind is not None:
        yield Skipped(printable(path), f"{kind}, not a regular file")
    elif info.st_size > max_bytes:
        yield Skipped(printable(path), _size_reason(info.st_size, max_bytes))
    else:
        yield path


def os_reason(error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return "file vanished before it could be read"
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, IsADirectoryError):
        return "is a folder, not a file"
    return f"cannot read: {error.strerror or error}"
