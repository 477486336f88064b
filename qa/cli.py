"""The `qa` command: argument parsing, exit codes and the one-line error contract.

stdout carries data only (answers, JSON, status); messages and progress go to stderr.
Exit codes: 0 answered; 1 runtime error; 2 usage error; 3 no usable index (missing,
corrupt, other model, newer schema); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from typing import NamedTuple, NoReturn

from index.errors import QAError, UsageError
from qa.arguments import check_arguments_are_text
from qa.completion import SHELLS, completion_script
from qa.stderr import say
from qa.terminal import visible
from qa.version import VersionAction
from qa.web_arguments import add_web_commands

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INDEX, EXIT_INTERRUPTED, EXIT_TERMINATED = (
    0,
    1,
    2,
    3,
    130,
    143,
)

EPILOG = """\
exit codes:
  0    answered / done
  1    runtime error (disk full, a build already running, a URL that could not be added)
  2    usage error (bad flag, empty question, unknown file)
  3    no usable index (missing, corrupt, built with another model, newer schema)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM): the previous index is kept

environment: QA_HOME (default library folder), QA_INDEX (index folder), QA_MODEL
(sentence-transformers model folder), QA_CACHE_DIR (derived caches). A variable set to
an empty value is a usage error, as an empty --index is: it never means the default.
DASK_SCHEDULER_ADDRESS: the scheduler of `qa index build --executor dask`.

Only `qa add` and `qa feed add|update` use the network, and only for the URLs given.

`qa` with no command opens the chat, which needs a terminal; scripts use `qa ask`.
"""


class Terminated(BaseException):
    """Raised from the SIGTERM handler so that cleanup runs as for Ctrl-C."""


class OneLineParser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit 2, never a page of usage."""

    def error(self, message: str) -> NoReturn:
        # The message quotes the arguments given, which may be pasted file names.
        print(f"{self.prog}: error: {visible(message)} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _not_empty(value: str) -> str:
    """An option naming a file or folder: empty, it would silently mean the default."""
    if not value:
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def _common_options(default: object) -> OneLineParser:
    """--index, --model and --backend, which every command takes before or after its name."""
    # A OneLineParser too (only its arguments are ever used): the subparsers are
    # OneLineParsers, and their `parents` must be of the same class.
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--index",
        metavar="DIR",
        type=_not_empty,
        default=default,
        help="index folder (default: $QA_INDEX or the user library)",
    )
    common.add_argument(
        "--model",
        metavar="PATH",
        type=_not_empty,
        default=default,
        help="sentence-transformers model folder (default: packaged all-MiniLM-L6-v2)",
    )
    common.add_argument(
        "--backend",
        choices=("auto", "onnx", "torch"),
        default="auto" if default is None else default,
        help="how the model runs (default: auto = ONNX, exported once)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    # The top level holds the defaults. A subcommand sets an option only when it is given
    # after the subcommand's name: with defaults of its own, `qa --index DIR ask ...`
    # would silently ask the default library instead of DIR.
    common = _common_options(default=argparse.SUPPRESS)

    parser = OneLineParser(
        prog="qa",
        description="Ask questions of a folder of articles; answers are ranked, cited passages.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_common_options(default=None)],
    )
    parser.add_argument("--version", action=VersionAction, help="print qa's version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)

    ask = sub.add_parser(
        "ask", parents=[common], help="answer a question (or '-' for one per stdin line)"
    )
    ask.add_argument("question", help="the question, or - to read one question per line from stdin")
    ask.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    out = ask.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object (an array for -)")
    out.add_argument("--jsonl", action="store_true", help="one JSON object per question per line")
    _add_filters(ask)
    ask.add_argument(
        "--retriever",
        choices=("hybrid", "dense", "bm25"),
        default="hybrid",
        help="ranking method (default hybrid)",
    )
    ask.add_argument(
        "--open",
        type=int,
        metavar="N",
        help="then open hit N's source: its URL in the browser, else the file in $EDITOR "
        "at the line, else print where it is",
    )
    ask.add_argument(
        "--session",
        metavar="FILE",
        type=_not_empty,
        help="conversation file: follow-ups read in the context of earlier turns",
    )

    quotes = sub.add_parser(
        "quotes", parents=[common], help="quotes found in the library, newest article first"
    )
    quotes.add_argument(
        "--speaker",
        metavar="NAME",
        type=_not_empty,
        help='only quotes by NAME: "Peskov" or "Dmitry Peskov" (case and accents aside)',
    )
    quotes_out = quotes.add_mutually_exclusive_group()
    quotes_out.add_argument("--json", action="store_true", help="one JSON array")
    quotes_out.add_argument(
        "--jsonl", action="store_true", help="one JSON object per quote per line"
    )
    _add_filters(quotes)
    speakers = sub.add_parser(
        "speakers", parents=[common], help="who is quoted: how often, in how many articles, when"
    )
    speakers.add_argument("--json", action="store_true", help="one JSON array")

    index = sub.add_parser("index", parents=[common], help="build, inspect or verify the index")
    index_sub = index.add_subparsers(
        dest="index_command", parser_class=OneLineParser, required=True
    )
    build = index_sub.add_parser(
        "build", parents=[common], help="index folders/files (incremental)"
    )
    build.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=_not_empty,
        help="folders or files to add (default: the library's folders)",
    )
    build.add_argument("--full", action="store_true", help="re-read and re-embed everything")
    build.add_argument(
        "--max-bytes",
        type=int,
        default=None,
        metavar="N",
        help="skip files larger than N bytes (default 20 MB)",
    )
    build.add_argument(
        "--shards",
        type=int,
        default=None,
        metavar="N",
        help="split the library into N shards built in parallel (default: the library's "
        "count, 1 for a new one; another count needs --full)",
    )
    build.add_argument(
        "--executor",
        choices=("local", "dask"),
        default=None,
        help="where shards build: local = a process per core (default), dask = a Dask "
        "cluster (pip install 'article-qa[dask]')",
    )
    build.add_argument(
        "--scheduler",
        metavar="ADDR",
        type=_not_empty,
        default=None,
        help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: $DASK_SCHEDULER_ADDRESS)",
    )
    watch = index_sub.add_parser(
        "watch",
        parents=[common],
        help="keep the index up to date: re-index changed files within seconds (Ctrl-C stops)",
    )
    watch.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        type=_not_empty,
        help="folders or files to add first (default: the library's folders)",
    )
    index_sub.add_parser(
        "status", parents=[common], help="articles, passages, model, size, last build"
    )
    index_sub.add_parser(
        "verify", parents=[common], help="check the index on disk (exit 0 sound, 3 not)"
    )

    evaluate = sub.add_parser("eval", parents=[common], help="retrieval quality on a question set")
    evaluate.add_argument("questions", metavar="QUESTIONS.jsonl", type=_not_empty)
    evaluate.add_argument(
        "--articles",
        required=True,
        metavar="DIR",
        type=_not_empty,
        help="the set's articles folder",
    )
    evaluate.add_argument("-k", type=int, default=10, help="hits per question (default 10)")
    evaluate.add_argument("--retriever", choices=("hybrid", "dense", "bm25"), default="hybrid")
    evaluate.add_argument(
        "--limit", type=int, default=None, metavar="N", help="only the first N questions"
    )
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    evaluate.add_argument(
        "--foreign",
        metavar="QUESTIONS.jsonl",
        type=_not_empty,
        help="questions from another library: report how many are flagged not confident",
    )

    add_web_commands(sub, common, _not_empty)
    sub.add_parser("chat", parents=[common], help="open the chat TUI (the default with no command)")
    completion = sub.add_parser(
        "completion", help="print a shell completion script to source (see the README)"
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return parser


def _add_filters(command: argparse.ArgumentParser) -> None:
    """--article, --source, --since, --until: which articles a command reads."""
    command.add_argument(
        "--article", type=_not_empty, help="only articles whose file or title contains this"
    )
    command.add_argument(
        "--source", type=_not_empty, help="only articles whose source contains this"
    )
    command.add_argument(
        "--since",
        metavar="DATE",
        help="only articles published on or after DATE (YYYY-MM-DD, YYYY/MM/DD, YYYY-MM, YYYY)",
    )
    command.add_argument(
        "--until",
        metavar="DATE",
        help="only articles published on or before DATE (a month: all of it)",
    )


FAST_EXIT_COMMANDS = frozenset({"ask"})
"""Commands after which `run` skips the interpreter's teardown (see `run`)."""


class Outcome(NamedTuple):
    """What one command line did: its exit code and, once parsed, its command."""

    code: int
    command: str | None
    """None when the line did not parse (or named no command: the chat)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; its exit code."""
    return execute(argv).code


def execute(argv: Sequence[str] | None = None) -> Outcome:
    """Run one command line; its exit code and command (`run` decides how to exit by it)."""
    args: argparse.Namespace | None = None
    try:
        # Everything inside the handlers, parsing included: a Ctrl-C while the parser is
        # built or argv read (or a module loads) is one line and 130, never a traceback.
        signal.signal(signal.SIGTERM, _raise_terminated)
        args = build_parser().parse_args(argv)
        code = _dispatch(args)
    except KeyboardInterrupt:
        _fail(_interrupted_message(args, "interrupted"))
        code = EXIT_INTERRUPTED
    except Terminated:
        _fail(_interrupted_message(args, "terminated"))
        code = EXIT_TERMINATED
    except sqlite3.DatabaseError as error:
        # Damage that appeared after the index was opened and checked: still one line.
        _fail(f"index database error ({error}); run `qa index verify`, then rebuild with --full")
        code = EXIT_INDEX
    except QAError as error:
        _fail(str(error))
        code = error.exit_code
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    except OSError as error:
        _fail(f"{error.filename or 'error'}: {error.strerror or error}")
        code = EXIT_ERROR
    except Exception as error:
        # A bug of ours still gets the one-line contract; QA_DEBUG=1 shows the traceback.
        if os.environ.get("QA_DEBUG"):
            raise
        _fail(f"internal error: {type(error).__name__}: {error} (rerun with QA_DEBUG=1)")
        code = EXIT_ERROR
    return Outcome(code, None if args is None else args.command)


def _dispatch(args: argparse.Namespace) -> int:
    check_arguments_are_text(args)
    if args.command in (None, "chat"):
        return chat(args)
    if args.command == "completion":
        print(completion_script(args.shell, build_parser()), end="")
        return EXIT_OK
    # Not before the chat check: commands loads the search stack, and the chat must
    # draw its first frame before that (it loads it in a worker).
    from qa import commands

    return commands.dispatch(args)


def _interrupted_message(args: argparse.Namespace | None, what: str) -> str:
    """A stopped build says so in the words the build's own cancel uses."""
    if args is None:
        return what  # stopped before the command was known: nothing was touched
    if args.command == "index" and getattr(args, "index_command", None) == "build":
        return "build interrupted; previous index kept"
    if args.command == "index" and getattr(args, "index_command", None) == "watch":
        return "stopped watching; the index holds the last completed build"
    return f"{what}; previous index kept"


def chat(args: argparse.Namespace) -> int:
    """Open the chat TUI; the library loads (and on first use builds) inside the app."""
    if not all(stream.isatty() for stream in (sys.stdin, sys.stdout, sys.stderr)):
        # Without a terminal the app would write screen codes into a file or pipe and
        # wait forever for keys that never come.
        raise UsageError(
            "the chat needs a terminal (stdin, stdout and stderr); "
            'from a script or a pipe use `qa ask "QUESTION"` (see qa --help)'
        )
    from pathlib import Path

    from tui import run_chat  # textual is imported only when the chat is opened

    return run_chat(Path(args.index) if args.index else None, args.model, args.backend)


def _fail(message: str) -> None:
    # Messages embed paths and article text: escaped, a newline cannot forge a line; and
    # on a line of their own, after any progress line.
    say(message)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


def run() -> NoReturn:
    single_threaded_blas()
    try:
        code, command = execute()
    except KeyboardInterrupt:
        # A second Ctrl-C while the first was being reported.
        code, command = EXIT_INTERRUPTED, None
    if command in FAST_EXIT_COMMANDS:
        # Once a question is answered nothing is left to do but flush the output, yet
        # tearing the interpreter down (onnxruntime's and BLAS's thread pools, the mapped
        # model, thousands of module objects) took 0.1-0.15 s of a ~0.5 s `qa ask`.
        # Asking writes nothing that needs it: caches and --session files are written
        # whole and renamed into place before this point; the index is only read.
        _flush_and_exit(code)
    sys.exit(code)


def single_threaded_blas() -> None:
    """numpy's OpenBLAS on one thread unless the user set a count; before numpy loads.

    OpenBLAS starts a spinning thread per core as it loads (`import numpy` took 1.7 CPUs
    on 2 cores). Nothing here wants them: the model has onnxruntime's threads, FAISS
    OpenMP's; numpy multiplies a few hundred vectors by one question."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _flush_and_exit(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader went away (or the stream was closed): nothing to deliver
    os._exit(code)
