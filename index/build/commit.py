"""Commit: the new generation in one transaction (`index.store.writer`), then the report.

Replaced and removed articles are deleted, the prepared files inserted with whatever
rows their steps added, touched files get their new stat, and the vector file is
written, all before the single `COMMIT`; what the new generation no longer needs is
cleaned up after it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from index.build.context import BuildContext, Outcome, PreparedFile
from index.build.events import BuildEvent, BuildProgress, BuildReport
from index.build.plan import BuildPlan
from index.store.writer import clean_up, commit_generation


def commit(
    ctx: BuildContext, plan: BuildPlan, files: Sequence[PreparedFile]
) -> Iterator[BuildEvent]:
    ctx.check_cancel()
    total = len(files)
    yield BuildProgress("committing", total, total)
    indexed = [f for f in files if f.outcome is Outcome.INDEX]
    replaced = [
        article_id
        for old in [*plan.removed, *(f.previous for f in indexed if f.previous)]
        for article_id in old.article_ids
    ]
    committed = commit_generation(
        ctx.conn,
        ctx.index_dir,
        embedder=ctx.embedder,
        roots=[str(root) for root in plan.roots],
        delete_article_ids=replaced,
        files=indexed,
        restat=[f for f in files if f.outcome is Outcome.RESTAT],
        indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        full=ctx.full,
        fault=ctx.fault,
    )
    generation, counts = committed.generation, committed.counts
    ctx.notes.extend(committed.notes)
    ctx.notes.extend(clean_up(ctx.conn, ctx.index_dir, committed, ctx.embedder.model_id))
    added = sum(1 for f in indexed if f.previous is None)
    kept = sum(1 for f in files if f.outcome in (Outcome.RESTAT, Outcome.KEEP))
    yield BuildReport(
        index_dir=ctx.index_dir,
        generation=generation,
        added=added,
        updated=len(indexed) - added,
        removed=len(plan.removed),
        unchanged=plan.unchanged + kept,
        articles=counts["articles"],
        passages=counts["passages"],
        sentences=counts["sentences"],
        embedded=ctx.embedded,
        seconds=time.monotonic() - ctx.started,
        skipped=tuple(ctx.skipped),
        notes=tuple(ctx.notes),
    )
