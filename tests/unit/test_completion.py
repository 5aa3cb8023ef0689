"""`sovtui completion bash|zsh`, generated from the parser, completes in a real bash."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sovtui.cli import build_parser, main
from sovtui.cli.completion import bash_script, completion_table


def _complete(script: str, *words: str) -> list[str]:
    program = (
        f"{script}\n"
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sovtui; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    result = subprocess.run(
        ["bash", "-c", program, "bash", *words], capture_output=True, text=True, check=True
    )
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def script() -> str:
    return bash_script(completion_table(build_parser()))


def test_subcommands_complete(script: str) -> None:
    assert _complete(script, "sovtui", "st") == ["status", "stop"]


def test_options_of_a_subcommand_complete(script: str) -> None:
    assert "--json" in _complete(script, "sovtui", "status", "--")


def test_nested_subcommands_after_a_global_option_with_a_value(script: str) -> None:
    assert _complete(script, "sovtui", "--address", "http://h:8265", "bench", "s") == ["sort"]
    assert "--keys" in _complete(script, "sovtui", "bench", "sort", "--")


def test_an_option_value_is_not_completed_as_a_command(script: str) -> None:
    assert _complete(script, "sovtui", "--address", "") == []


def test_every_subcommand_is_in_the_script(script: str) -> None:
    for name in ("status", "up", "down", "submit", "logs", "bench", "completion"):
        assert name in _complete(script, "sovtui", "")


def test_cli_prints_both_shells(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    zsh = capsys.readouterr().out
    assert "bashcompinit" in zsh and "complete -o default -F _sovtui sovtui" in zsh
    result = subprocess.run(
        [sys.executable, "-m", "sovtui", "completion", "bash"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("# sovtui completion for bash")
