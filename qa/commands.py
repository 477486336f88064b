"""What each `qa` subcommand does, given parsed arguments; returns the exit code."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import UsageError
from qa.answer import Answer
from qa.first_use import wait_for_first_build
from qa.library import (
    Library,
    check_question,
    check_request,
    ensure_default_library,
    needs_first_use,
    open_library_or_fail,
)
from qa.render import render_answer, render_progress, render_report, render_status
from qa.retrieve import Filters
from qa.stderr import progress_owns_stderr, say, show_progress
from qa.terminal import json_text, visible

if TYPE_CHECKING:
    import numpy as np

    # Imported where needed, never on a plain `qa ask` path: the build pipeline (readers,
    # trafilatura, chunking) by the commands that build, the conversation by --session,
    # stdin's lines by `qa ask -`.
    from index.build.run import BuildEvent, BuildReport
    from qa.conversation import Conversation
    from qa.lines import InputLine


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "ask":
        return ask(args)
    if args.command == "index":
        return {
            "build": index_build,
            "watch": index_watch,
            "status": index_status,
            "verify": index_verify,
        }[args.index_command](args)
    if args.command == "eval":
        return run_eval(args)
    if args.command in ("quotes", "speakers"):
        from qa import quotes

        command = quotes.list_quotes if args.command == "quotes" else quotes.list_speakers
        return command(args, _ready_index)
    if args.command in ("add", "feed"):
        from qa import web_commands

        return web_commands.dispatch(args)
    raise AssertionError(f"unknown command {args.command!r}")


def _library(args: argparse.Namespace) -> Library:
    return Library.open(
        Path(args.index) if args.index else None,
        model=args.model,
        backend=args.backend,
        notify=_say,
    )


def _say(message: str) -> None:
    # Notes, skips and warnings name files and quote articles: escaped, one line each,
    # never run on after a progress line.
    say(message)


def _ready_library(args: argparse.Namespace) -> Library:
    """The library asked for, with the default one created and indexed on first use.

    Its index is checked before returning, and so before the model loads.
    """
    library = _library(args)
    if needs_first_use(library):
        show_build(ensure_default_library(library, _say))
    return open_library_or_fail(library, _say)


def _ready_index(args: argparse.Namespace) -> Path:
    """The index folder asked for, with the default library created and indexed on first
    use, and a first build of it that is running waited for (the model is not loaded)."""
    library = _library(args)
    if needs_first_use(library):
        show_build(ensure_default_library(library, _say))
    wait_for_first_build(library.index_dir, _say)
    return library.index_dir


def ask(args: argparse.Namespace) -> int:
    # Everything the arguments alone can refuse is refused before the library is opened,
    # built on first use, or its model loaded.
    filters = Filters(args.article, args.source, args.since, args.until)
    check_request(args.question, args.k, args.retriever)
    if args.open is not None:
        # Imported only here: subprocess and webbrowser are no part of a plain `qa ask`.
        from qa.open_source import check_open

        check_open(args.open, args.k, args.question)
    session = Path(args.session) if getattr(args, "session", None) else None
    # A session file makes each question a turn: follow-ups read in its context.
    conversation: Conversation | None = None
    if session is not None:
        from qa.conversation import Conversation  # only a --session reads earlier turns

        conversation = Conversation.load(session)
    library = _ready_library(args)
    options = {"k": args.k, "filters": filters, "mode": args.retriever}

    def answer_one(question: str, vector: np.ndarray | None = None) -> Answer:
        if conversation is None:
            return library.ask(question, query_vector=vector, **options)
        answer = conversation.ask(library, question, **options)
        conversation.save(session)  # type: ignore[arg-type]  # session is set whenever conversation is
        return answer

    if args.question != "-":
        answer = answer_one(args.question)
        _print_answers([answer], args)
        if args.open is not None:
            from qa.open_source import open_hit

            _say(open_hit(answer, args.open))
        return 0
    failures = 0
    answers = []
    for line, result in _stdin_answers(library, answer_one, batched=conversation is None):
        if isinstance(result, UsageError):
            failures += 1
            _say(f"line {line.number}: {result}")
        elif args.json:
            answers.append(result)
        else:
            _print_answers([result], args)
    if args.json:
        print(json_text([a.to_json() for a in answers], indent=2))
    return 2 if failures else 0


def _stdin_answers(
    library: Library, answer_one: Callable[..., Answer], *, batched: bool
) -> Iterator[tuple[InputLine, Answer | UsageError]]:
    """Each non-blank stdin line with its answer or its error, in input order.

    The questions of one batch (see `qa.lines`) share one model call, made ahead on a
    worker thread. A follow-up's searched text depends on the turn before it, so a
    conversation is neither batched nor encoded ahead.
    """
    # Imported here: one question on the command line reads no stdin lines.
    from qa.lines import encoded_ahead, line_batches

    batches = line_batches(sys.stdin)
    if batched:
        encoded = encoded_ahead(batches, library.encode_questions, _askable)
    else:
        encoded = (([line for line in b if line.problem or line.text.strip()], {}) for b in batches)
    for lines, vectors in encoded:
        for line in lines:
            result: Answer | UsageError
            try:
                if line.problem is not None:
                    raise UsageError(line.problem)
                result = answer_one(line.text, vectors.get(line.number))
            except UsageError as error:
                result = error
            yield line, result


def _askable(question: str) -> bool:
    """Whether a line is a question worth encoding (the rest fail in `Library.ask`)."""
    try:
        check_question(question)
    except UsageError:
        return False
    return True


def _print_answers(answers: list, args: argparse.Namespace) -> None:
    for answer in answers:
        if args.json:
            print(json_text(answer.to_json(), indent=2))
        elif args.jsonl:
            print(json_text(answer.to_json()), flush=True)
        else:
            if args.question == "-":
                print(f"Q: {visible(answer.question)}")
            print(render_answer(answer, color=sys.stdout.isatty()), flush=True)


def index_build(args: argparse.Namespace) -> int:
    library = _library(args)
    paths = [Path(p) for p in args.paths]
    if not paths and needs_first_use(library):
        show_build(ensure_default_library(library, _say))
        return 0
    kwargs = {} if args.max_bytes is None else {"max_bytes": args.max_bytes}
    from qa.shard_commands import sharded_build

    events = sharded_build(library, paths, args)
    if events is not None:
        report = show_build(events)
        return 0 if report is not None else 1
    from index.build.faults import faults_from_environment
    from index.build.run import build_index

    # The one place the crash-point hook is read: tests start `qa index build` with it.
    fault = faults_from_environment()
    events = build_index(
        library.index_dir, paths, embedder=library.embedder, full=args.full, fault=fault, **kwargs
    )
    report = show_build(events)
    return 0 if report is not None else 1


def show_build(events: Iterable[BuildEvent]) -> BuildReport | None:
    """Print a build's progress and skips on stderr and its summary last; returns the report."""
    from index.build.run import BuildProgress, BuildReport
    from index.models import Skipped  # here: index.models costs a cold `qa ask` ~5 ms

    tty = sys.stderr.isatty()
    last_line = 0.0
    last_stage = ""
    report = None
    event: BuildEvent
    with progress_owns_stderr():
        for event in events:
            if isinstance(event, Skipped):
                _say(f"skipped {event.path}: {event.reason}")
            elif isinstance(event, BuildProgress):
                now = time.monotonic()
                if tty:
                    show_progress(render_progress(event))
                elif now - last_line >= 2.0 or event.stage != last_stage:
                    # Without a terminal to redraw on, one line per stage and every 2 s at most.
                    _say(render_progress(event))
                    last_line = now
                last_stage = event.stage
            elif isinstance(event, BuildReport):
                report = event
    if report is not None:
        for note in report.notes:
            _say(f"note: {note}")
        _say(render_report(report))
    return report


def run_eval(args: argparse.Namespace) -> int:
    """`qa eval`: index the articles into a cached index, ask every question, print the metrics."""
    from qa.evaluate import eval_index_dir, evaluate, flagged_share, load_questions, render_result

    articles = Path(args.articles)
    if not articles.is_dir():
        raise UsageError(f"--articles {articles}: not a folder")
    questions = load_questions(Path(args.questions), args.limit)
    # Both question files are read before the model loads or anything is indexed.
    foreign_path = getattr(args, "foreign", None)
    foreign = load_questions(Path(foreign_path), args.limit) if foreign_path else None
    library = Library.open(None, model=args.model, backend=args.backend)
    index_dir = (
        Path(args.index) if args.index else eval_index_dir(articles, library.embedder.model_id)
    )
    library = Library(index_dir, library.embedder)
    _say(f"indexing {articles} into {index_dir}")
    show_build(library.build([articles]))
    result = evaluate(library, questions, k=args.k, mode=args.retriever)
    if foreign is not None:
        result = replace(
            result,
            foreign_questions=len(foreign),
            foreign_flagged_rate=flagged_share(library, foreign, args.retriever),
        )
    if args.json:
        print(json.dumps(asdict(result), indent=2))
    else:
        print(render_result(result), end="")
    return 0


def index_watch(args: argparse.Namespace) -> int:
    """`qa index watch`: build, then re-index changes as they happen until Ctrl-C."""
    from qa.watch import watch_library

    library = _library(args)
    return watch_library(library, [Path(p) for p in args.paths], show=show_build, say=_say)


def index_status(args: argparse.Namespace) -> int:
    library = open_library_or_fail(_library(args), _say)
    print(render_status(library.info()), end="")
    return 0


def index_verify(args: argparse.Namespace) -> int:
    from index.shards.manifest import is_sharded

    library = _library(args)
    if is_sharded(library.index_dir):
        from index.shards.verify import verify_library as verify_index
    else:
        from index.store.verify import verify_index
    problems = verify_index(library.index_dir, warn=lambda message: _say(f"warning: {message}"))
    for problem in problems:
        print(f"problem: {visible(problem)}")
    if problems:
        return 3
    print(f"ok: {visible(str(library.index_dir))} is sound")
    return 0
