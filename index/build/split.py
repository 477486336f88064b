"""Split: each article of a file into the passages and sentences that get embedded.

Readers bound what they hand on (`index.sources.readers`), but one odd file must never
end the build for the rest, whatever the splitter meets in it: any failure but our own
errors becomes that file's skip line.
"""

from __future__ import annotations

from index.build.context import FileStep, PreparedFile
from index.errors import QAError, UnreadableFile
from index.sources.chunking import chunk_article


class SplitStep(FileStep):
    name = "split"

    def process(self, file: PreparedFile) -> None:
        embedder = self.ctx.embedder
        try:
            file.chunks = [
                chunk_article(article, embedder.count_tokens, embedder.max_tokens)
                for article in file.articles
            ]
        except QAError:
            raise
        except Exception as error:
            raise UnreadableFile(
                file.path, f"could not be split into passages ({type(error).__name__})"
            ) from None
