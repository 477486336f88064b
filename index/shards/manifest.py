"""`manifest.json`: the shards of a library and its global BM25 statistics, one generation.

Written once every shard of a build has committed, atomically (a temporary file, fsync,
rename, fsync of the folder): a reader sees the previous manifest or the new one, never
half of one. It records each shard's committed generation with the passages and tokens
FTS5 counts in it, and their sums: BM25's document count and average length for the
whole library (`bm25`), which a fan-out uses instead of each shard's own, so its scores
equal one store's. A folder without a manifest is one store, as before shards.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexCorrupt

MANIFEST_NAME = "manifest.json"
FORMAT = "article-qa shards 1"
ASSIGNMENT = "sha256(path inside its library folder) mod shards"
SHARD_FOLDER = re.compile(r"shard-([0-9]{3})")
TMP_SUFFIX = ".tmp"


def shard_folder_name(shard: int) -> str:
    return f"shard-{shard:03d}"


def manifest_path(index_dir: Path) -> Path:
    return index_dir / MANIFEST_NAME


def is_sharded(index_dir: Path) -> bool:
    """Whether `index_dir` is a sharded library (it has a manifest)."""
    return os.path.lexists(manifest_path(index_dir))


@dataclass(frozen=True)
class ShardEntry:
    folder: str
    generation: int
    passages: int
    """Rows of the shard's FTS5 table (BM25's documents)."""
    tokens: int
    """Tokens FTS5 counted over those rows (BM25's lengths)."""
    articles: int


@dataclass(frozen=True)
class Manifest:
    generation: int
    model_id: str
    roots: tuple[str, ...]
    shards: tuple[ShardEntry, ...]
    built_at: str

    @property
    def documents(self) -> int:
        """BM25's document count over the whole library."""
        return sum(s.passages for s in self.shards)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.shards)

    @property
    def average_length(self) -> float:
        """BM25's average document length over the whole library (FTS5's definition)."""
        return self.tokens / self.documents if self.documents else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "generation": self.generation,
            "model_id": self.model_id,
            "assignment": ASSIGNMENT,
            "roots": list(self.roots),
            "shards": [s.__dict__ for s in self.shards],
            "bm25": {
                "documents": self.documents,
                "tokens": self.tokens,
                "average_length": self.average_length,
            },
            "built_at": self.built_at,
        }


def read_manifest(index_dir: Path) -> Manifest:
    """The committed manifest; IndexCorrupt (one line, naming it) when it cannot be used."""
    path = manifest_path(index_dir)
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise IndexCorrupt(f"{path}: the shard manifest is missing") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or "not valid JSON"
        raise IndexCorrupt(f"{path}: cannot read the shard manifest ({reason})") from None
    try:
        return _parse(raw, path)
    except (KeyError, TypeError, ValueError) as error:
        raise IndexCorrupt(f"{path}: damaged shard manifest ({_why(error)})") from None


def _parse(raw: object, path: Path) -> Manifest:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ValueError(f"format is not {FORMAT!r}")
    shards = []
    for number, item in enumerate(raw["shards"]):
        entry = ShardEntry(
            folder=str(item["folder"]),
            generation=_count(item["generation"]),
            passages=_count(item["passages"]),
            tokens=_count(item["tokens"]),
            articles=_count(item["articles"]),
        )
        if entry.folder != shard_folder_name(number):
            raise ValueError(f"shard {number} is named {entry.folder[:40]!r}")
        shards.append(entry)
    if not shards:
        raise ValueError("it lists no shard")
    manifest = Manifest(
        generation=_count(raw["generation"]),
        model_id=str(raw["model_id"]),
        roots=tuple(str(r) for r in raw["roots"]),
        shards=tuple(shards),
        built_at=str(raw.get("built_at", "")),
    )
    bm25 = raw["bm25"]
    if (bm25["documents"], bm25["tokens"]) != (manifest.documents, manifest.tokens):
        raise ValueError("its BM25 totals are not the sums of its shards'")
    return manifest


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{str(value)[:20]!r} is not a count")
    return value


def _why(error: Exception) -> str:
    return f"no {error}" if isinstance(error, KeyError) else str(error)


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically and durably."""
    path = manifest_path(index_dir)
    temporary = path.with_name(path.name + TMP_SUFFIX)
    data = json.dumps(manifest.to_json(), indent=2).encode("utf-8") + b"\n"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    folder = os.open(index_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def is_library_file_name(name: str) -> bool:
    """Whether a sharded library's top folder may hold an entry of this name."""
    return (
        name in (MANIFEST_NAME, MANIFEST_NAME + TMP_SUFFIX, "write.lock")
        or SHARD_FOLDER.fullmatch(name) is not None
    )
