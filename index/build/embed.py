"""Embed: every new text of a file goes to the model while the next files are read.

`index.embedding.pipeline` runs the model on a background thread, so reading and
splitting overlap it; texts whose vector is cached (by text sha) are not embedded
again, except in a `--full` build. After the last file, `finish` waits for the rest,
yielding progress with the rate and an estimate of the time left.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.build.context import BuildContext, FileStep, PreparedFile
from index.build.events import BuildEvent, BuildProgress
from index.embedding.pipeline import EmbeddingPipeline


class EmbedStep(FileStep):
    name = "embed"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self._pipeline = EmbeddingPipeline(ctx.conn, ctx.embedder, ctx.cancel, reuse=not ctx.full)

    def process(self, file: PreparedFile) -> None:
        self._pipeline.add({c.text_sha: c.text for chunks in file.chunks for c in chunks})

    def finish(self, files: Sequence[PreparedFile]) -> Iterator[BuildEvent]:
        total = len(files)
        self.ctx.fault("embedding")
        for progress in self._pipeline.finish():
            self.ctx.embedded = progress.total
            remaining = progress.total - progress.done
            yield BuildProgress(
                "embedding",
                total,
                total,
                passages_done=progress.done,
                passages_total=progress.total,
                rate=progress.rate,
                eta_seconds=remaining / progress.rate if progress.rate else None,
            )
        self._pipeline.restore_durability()

    def close(self) -> None:
        self._pipeline.close()
