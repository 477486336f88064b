"""Read: a file's bytes, their sha256, and the articles parsed from them.

Read once: the hash is of the very bytes that get parsed. A file that was only touched
(same bytes as indexed, new mtime) goes no further; only its stat is recorded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from index.build.context import FileStep, Outcome, PreparedFile
from index.sources.readers import parse_articles, read_file_bytes


class ReadStep(FileStep):
    name = "read"

    def process(self, file: PreparedFile) -> None:
        data = read_file_bytes(file.file)
        file.sha = hashlib.sha256(data).hexdigest()
        if file.previous and not self.ctx.full and file.previous.sha == file.sha:
            file.outcome = Outcome.RESTAT
            return
        file.articles = parse_articles(file.file, Path(file.root), data)
