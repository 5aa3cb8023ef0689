"""`sovtui completion bash|zsh`: shell completion generated from the argument parser itself,
so a new subcommand or option completes without anyone editing a script."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

from sovtui.cli.common import EXIT_OK

SHELLS = ("bash", "zsh")


@dataclass
class CompletionTable:
    """For each command path ("", "bench", "bench sort"): the words that may follow it."""

    words: dict[str, list[str]] = field(default_factory=dict)
    takes_value: set[str] = field(default_factory=set)  # options whose next word is a value


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public way to walk subcommands
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def completion_table(parser: argparse.ArgumentParser) -> CompletionTable:
    table = CompletionTable()

    def walk(path: str, node: argparse.ArgumentParser) -> None:
        options: list[str] = []
        for action in node._actions:
            if action.help == argparse.SUPPRESS:
                continue
            options.extend(action.option_strings)
            if action.option_strings and action.nargs != 0:
                table.takes_value.update(action.option_strings)
        children = _subparsers(node)
        table.words[path] = sorted(children) + sorted(options)
        for name, child in children.items():
            walk(f"{path} {name}".strip(), child)

    walk("", parser)
    return table


def bash_script(table: CompletionTable) -> str:
    cases = "\n".join(
        f"        {shlex.quote(path or '_')}) words={shlex.quote(' '.join(words))} ;;"
        for path, words in sorted(table.words.items())
    )
    valued = " ".join(sorted(table.takes_value))
    return f"""# sovtui completion for bash: eval "$(sovtui completion bash)"
_sovtui_words() {{
    case "$1" in
{cases}
        *) words="" ;;
    esac
}}
_sovtui() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local valued=" {valued} " path="" i word words
    if [[ "$valued" == *" $prev "* ]]; then
        COMPREPLY=()
        return 0
    fi
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        if [[ "$word" == -* ]]; then
            [[ "$valued" == *" $word "* ]] && ((i++))
            continue
        fi
        _sovtui_words "${{path:-_}}"
        [[ " $words " == *" $word "* ]] && path="${{path:+$path }}$word"
    done
    _sovtui_words "${{path:-_}}"
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _sovtui sovtui
"""


def zsh_script(table: CompletionTable) -> str:
    # zsh runs the bash function through its own bashcompinit layer: one generator, two shells.
    return (
        '# sovtui completion for zsh: eval "$(sovtui completion zsh)"\n'
        "autoload -U +X compinit && compinit\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash_script(table)
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "completion", help="print a shell completion script (bash or zsh)"
    )
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from sovtui.cli import build_parser  # the whole parser, every subcommand registered

    table = completion_table(build_parser())
    print(bash_script(table) if args.shell == "bash" else zsh_script(table), end="")
    return EXIT_OK
