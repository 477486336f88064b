"""Every file the plan reads, through the file steps in order (read, split, ..., embed).

One file at a time: a step that fails on a file (`UnreadableFile`) skips that file
alone, and the version indexed before, if any, is kept. Steps are made for this build
and closed however it ends; after the last file each step may finish its work (the
embed step waits for the model there).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from index.build.context import BuildContext, FileStep, Outcome, PreparedFile, StepFactory
from index.build.events import BuildEvent, BuildProgress
from index.errors import UnreadableFile
from index.models import Skipped


def prepare_files(
    ctx: BuildContext, files: Sequence[PreparedFile], step_types: Sequence[StepFactory]
) -> Iterator[BuildEvent]:
    steps: list[FileStep] = []
    try:
        for make in step_types:
            steps.append(make(ctx))
        for done, file in enumerate(files):
            ctx.check_cancel()
            yield BuildProgress("reading", done, len(files))
            try:
                for step in steps:
                    step.process(file)
                    if file.outcome is not Outcome.INDEX:
                        break
            except UnreadableFile as error:
                yield ctx.skip(Skipped(file.path, error.reason))
                if file.previous:
                    # Never lose what was indexed: keep the last readable version.
                    file.outcome = Outcome.KEEP
                    ctx.notes.append(f"{file.path}: kept the previously indexed version")
                else:
                    file.outcome = Outcome.SKIP
                continue
            if file.outcome is Outcome.INDEX:
                ctx.notes.extend(f"{file.path}: {note}" for a in file.articles for note in a.notes)
        for step in steps:
            yield from step.finish(files)
    finally:
        for step in reversed(steps):
            step.close()
