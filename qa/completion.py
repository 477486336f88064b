"""`qa completion bash|zsh|fish`: a shell completion script made from the argument parser.

The script is generated from `qa.cli.build_parser()` (its subcommands, their options and
the options' choices), so a new command or flag completes without anyone editing it. It
is static text the user sources once (see the README): no Python runs on Tab, which
keeps completion instant and needs no runtime hook such as argcomplete's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import NamedTuple

SHELLS = ("bash", "zsh", "fish")

_FILE_METAVARS = frozenset({"DIR", "PATH", "FILE", "QUESTIONS.jsonl"})
"""Metavars of values that name files or folders: they complete as file names."""


# NamedTuples, not dataclasses: `qa --help` and `qa ask` import this module with the
# parser, and `dataclasses` would cost them an import they otherwise make later or never.
class Option(NamedTuple):
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    files: bool = False
    """Its value is a file or folder name."""


class Command(NamedTuple):
    """One level of the command line: `qa`, `qa index`, `qa index build`..."""

    path: tuple[str, ...]
    help: str
    options: tuple[Option, ...]
    commands: dict[str, Command]
    positionals: str = ""
    """How its positional arguments complete: "files", "choices A B", or "" (not at all)."""

    def walk(self) -> Iterator[Command]:
        yield self
        for command in self.commands.values():
            yield from command.walk()


def command_tree(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = (), help: str = ""
) -> Command:
    """What `parser` accepts, as completion needs it."""
    options: list[Option] = []
    commands: dict[str, Command] = {}
    positionals = ""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                commands[name] = command_tree(sub, (*path, name), helps.get(name, ""))
        elif action.option_strings:
            if action.help == argparse.SUPPRESS:
                continue
            choices = tuple(str(c) for c in action.choices) if action.choices else ()
            options.append(
                Option(
                    flags=tuple(action.option_strings),
                    help=action.help or "",
                    takes_value=action.nargs != 0,
                    choices=choices,
                    files=action.metavar in _FILE_METAVARS,
                )
            )
        elif action.choices:
            positionals = "choices " + " ".join(str(c) for c in action.choices)
        elif action.metavar in _FILE_METAVARS:
            positionals = "files"
    return Command(path, help, tuple(options), commands, positionals)


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for `shell` (one of `SHELLS`)."""
    tree = command_tree(parser)
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](tree, parser.prog)


def _key(command: Command) -> str:
    return " ".join(command.path)


def _quoted(text: str) -> str:
    """`text` in single quotes for bash and zsh (where a backslash is literal)."""
    return "'" + text.replace("'", "'\\''") + "'"


def _fish_quoted(text: str) -> str:
    """`text` in single quotes for fish, where backslash escapes quote and backslash."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _case_lines(tree: Command, value: Callable[[Command], list[str]]) -> list[str]:
    """Lines of a shell `case "$path"` giving each command's `value(command)` words."""
    lines = []
    for command in tree.walk():
        words = value(command)
        if words:
            lines.append(f"        {_quoted(_key(command))}) echo {_quoted(' '.join(words))} ;;")
    return lines


def _value_cases(tree: Command) -> list[str]:
    """`path:flag)` case lines telling which options take a value and how it completes."""
    lines = []
    for command in tree.walk():
        for option in command.options:
            if not option.takes_value:
                continue
            kind = "files" if option.files else "choices " + " ".join(option.choices)
            kind = kind if option.files or option.choices else "any"
            for flag in option.flags:
                pattern = _quoted(f"{_key(command)}:{flag}")
                lines.append(f"        {pattern}) echo {_quoted(kind)} ;;")
    return lines


def _shared_functions(tree: Command, prog: str) -> str:
    """Functions bash and zsh both run: the words of each level, and what a value is."""
    commands = "\n".join(_case_lines(tree, lambda c: list(c.commands)))
    options = "\n".join(_case_lines(tree, lambda c: [f for o in c.options for f in o.flags]))
    positionals = "\n".join(_case_lines(tree, lambda c: [c.positionals] if c.positionals else []))
    values = "\n".join(_value_cases(tree))
    return f"""\
_{prog}_commands() {{
    case "$1" in
{commands}
    esac
}}
_{prog}_options() {{
    case "$1" in
{options}
    esac
}}
_{prog}_positionals() {{
    case "$1" in
{positionals}
    esac
}}
_{prog}_value() {{
    case "$1:$2" in
{values}
    esac
}}
_{prog}_path() {{
    # The subcommands typed so far; an option's value is skipped, never read as one.
    local word path="" skip=""
    for word in "$@"; do
        if [ -n "$skip" ]; then skip=""; continue; fi
        case "$word" in
            --*=*) ;;
            -*) [ -n "$(_{prog}_value "$path" "$word")" ] && skip=1 ;;
            *) case " $(_{prog}_commands "$path") " in
                   *" $word "*) path="${{path:+$path }}$word" ;;
               esac ;;
        esac
    done
    echo "$path"
}}
"""


def _bash(tree: Command, prog: str) -> str:
    return f"""\
# bash completion for {prog}, generated by `{prog} completion bash`.
{_shared_functions(tree, prog)}
_{prog}_complete() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" path value
    path="$(_{prog}_path "${{COMP_WORDS[@]:1:COMP_CWORD-1}}")"
    [ "$COMP_CWORD" -gt 1 ] && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    COMPREPLY=()
    if [ -n "$prev" ] && [ "${{prev#-}}" != "$prev" ]; then
        value="$(_{prog}_value "$path" "$prev")"
        case "$value" in
            files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
            choices*) COMPREPLY=($(compgen -W "${{value#choices }}" -- "$cur")); return ;;
            any) return ;;
        esac
    fi
    if [ "${{cur#-}}" != "$cur" ]; then
        COMPREPLY=($(compgen -W "$(_{prog}_options "$path")" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -W "$(_{prog}_commands "$path")" -- "$cur"))
    [ ${{#COMPREPLY[@]}} -gt 0 ] && return
    value="$(_{prog}_positionals "$path")"
    case "$value" in
        files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
        choices*) COMPREPLY=($(compgen -W "${{value#choices }}" -- "$cur")) ;;
    esac
}}
complete -F _{prog}_complete {prog}
"""


def _zsh(tree: Command, prog: str) -> str:
    return f"""\
#compdef {prog}
# zsh completion for {prog}, generated by `{prog} completion zsh`.
{_shared_functions(tree, prog)}
_{prog}_complete() {{
    local cur="${{words[CURRENT]}}" prev="" path value
    path="$(_{prog}_path "${{(@)words[2,CURRENT-1]}}")"
    (( CURRENT > 2 )) && prev="${{words[CURRENT-1]}}"
    if [[ "$prev" == -* ]]; then
        value="$(_{prog}_value "$path" "$prev")"
        case "$value" in
            files) _files; return ;;
            choices*) compadd -- ${{=value#choices }}; return ;;
            any) return ;;
        esac
    fi
    if [[ "$cur" == -* ]]; then
        compadd -- ${{=$(_{prog}_options "$path")}}
        return
    fi
    local commands="$(_{prog}_commands "$path")"
    if [[ -n "$commands" ]]; then
        compadd -- ${{=commands}}
        return
    fi
    value="$(_{prog}_positionals "$path")"
    case "$value" in
        files) _files ;;
        choices*) compadd -- ${{=value#choices }} ;;
    esac
}}
compdef _{prog}_complete {prog}
"""


def _fish(tree: Command, prog: str) -> str:
    lines = [
        f"# fish completion for {prog}, generated by `{prog} completion fish`.",
        f"complete -c {prog} -f",
    ]
    for command in tree.walk():
        condition = _fish_condition(tree, command)
        for name, sub in command.commands.items():
            lines.append(
                f"complete -c {prog} -n {_fish_quoted(condition)} -a {_fish_quoted(name)}"
                f" -d {_fish_quoted(sub.help)}"
            )
        for option in command.options:
            parts = [f"complete -c {prog} -n {_fish_quoted(condition)}"]
            for flag in option.flags:
                parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-o {flag[1:]}")
            if option.files:
                parts.append("-r -F")
            elif option.choices:
                parts.append(f"-x -a {_fish_quoted(' '.join(option.choices))}")
            elif option.takes_value:
                parts.append("-x")
            parts.append(f"-d {_fish_quoted(option.help)}")
            lines.append(" ".join(parts))
        if command.positionals == "files" and not command.commands:
            lines.append(f"complete -c {prog} -n {_fish_quoted(condition)} -F")
        elif command.positionals.startswith("choices "):
            choices = command.positionals.removeprefix("choices ")
            quoted = _fish_quoted(choices)
            lines.append(f"complete -c {prog} -n {_fish_quoted(condition)} -a {quoted}")
    return "\n".join(lines) + "\n"


def _fish_condition(tree: Command, command: Command) -> str:
    """A fish test true when the words typed so far lead exactly to `command`."""
    if not command.path:
        return "__fish_use_subcommand"
    tests = [f"__fish_seen_subcommand_from {name}" for name in command.path]
    if command.commands:
        tests.append("not __fish_seen_subcommand_from " + " ".join(command.commands))
    return "; and ".join(tests)
