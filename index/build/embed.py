"""Embed: every new text of a file goes to the model while the next files are read.

`index.embedding.pipeline` runs the model on a background thread, so reading and
splitting overlap it; texts whose vectors are cached (by key) are not embedded again,
except in a `--full` build. The model reads passages (and the rare sentence no passage
holds whole); a passage's sentences get their vectors from its pass
(`index.sources.chunking.embedding_groups`). After the last file, `finish` waits for the rest,
yielding progress with the rate and an estimate of the time left.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.build.context import BuildContext, FileStep, PreparedFile
from index.build.events import BuildEvent, BuildProgress
from index.embedding.pipeline import EmbeddingPipeline, EmbedJob
from index.models import Chunk
from index.sources.chunking import embedding_groups


class EmbedStep(FileStep):
    name = "embed"

    def __init__(self, ctx: BuildContext) -> None:
        super().__init__(ctx)
        self._pipeline = EmbeddingPipeline(ctx.conn, ctx.embedder, ctx.cancel, reuse=not ctx.full)

    def process(self, file: PreparedFile) -> None:
        self._pipeline.add(job for chunks in file.chunks for job in embed_jobs(chunks))

    def finish(self, files: Sequence[PreparedFile]) -> Iterator[BuildEvent]:
        total = len(files)
        self.ctx.fault("embedding")
        for progress in self._pipeline.finish():
            self.ctx.embedded = progress.total
            yield BuildProgress(
                "embedding",
                total,
                total,
                passages_done=progress.done,
                passages_total=progress.total,
                rate=progress.rate,
                eta_seconds=progress.eta_seconds,
            )
        self._pipeline.restore_durability()

    def close(self) -> None:
        self._pipeline.close()


def embed_jobs(chunks: Sequence[Chunk]) -> list[EmbedJob]:
    """What the model reads for one article's chunks: each text with its pooled parts."""
    jobs = []
    for text, parts in embedding_groups(chunks):
        start = text.span.start
        spans = tuple((p.text_sha, p.span.start - start, p.span.end - start) for p in parts)
        jobs.append(EmbedJob(text.text_sha, text.text, spans))
    return jobs
