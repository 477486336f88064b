"""Load many (possibly damaged) index folders in one process and report each outcome.

The corruption tests run this in a subprocess: a load that crashed the interpreter
(segfault, abort) would end it early, and the test names the case it was on. Input: one
index folder per stdin line. Output: one JSON line per folder, either
{"answers": [...]} or {"error": class name, "message": ..., "exit_code": N}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

QUESTIONS = ("What did Peskov say?", "What did mayor Duarte say?")


def main() -> None:
    from index.embedding.embed import load_embedder
    from index.errors import QAError
    from qa.library import Library

    embedder = load_embedder()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        library = Library(Path(line.strip()), embedder)
        try:
            answers = [
                [
                    [h.citation.article, h.citation.paragraph, h.citation.start, h.text]
                    for h in library.ask(q, k=5).hits
                ]
                for q in QUESTIONS
            ]
            info = library.info()
            result: dict = {"answers": answers, "articles": info.articles}
        except QAError as error:
            result = {
                "error": type(error).__name__,
                "message": str(error),
                "exit_code": error.exit_code,
            }
        finally:
            library.close()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
