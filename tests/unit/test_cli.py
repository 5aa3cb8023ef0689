from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sovtui import __version__
from sovtui.cli import build_parser, main
from sovtui.cluster.ports import free_port


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_help_lists_every_subcommand() -> None:
    parser = build_parser()
    help_text = parser.format_help()
    choices = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert choices is not None
    for name in choices:
        assert name in help_text


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sovtui", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in result.stdout


def test_status_unreachable_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["status", "--address", f"http://127.0.0.1:{free_port()}"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("sovtui: disconnected: cannot reach")
    assert len(err.strip().splitlines()) == 1


def test_command_table_matches_what_modules_register() -> None:
    import argparse
    import importlib

    from sovtui.cli.commands import COMMAND_MODULES, COMMANDS

    registered: dict[str, str] = {}
    for module_name in COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        subparsers = parser.add_subparsers()
        importlib.import_module(module_name).register(subparsers)
        for name in subparsers.choices:
            registered[name] = module_name
    assert registered == COMMANDS


def test_tui_start_imports_no_command_module() -> None:
    code = (
        "import sys\n"
        "from sovtui.cli import build_parser\n"
        "from sovtui.cli.commands import COMMANDS, modules_for\n"
        "build_parser(modules_for(['--address', 'http://x:1']))\n"
        "heavy = ('docker', 'httpx_ws', *sorted(set(COMMANDS.values())))\n"
        "print([m for m in sys.modules if m.startswith(heavy)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("argv", "unknown", "suggested"),
    [
        (["stauts"], "stauts", "status"),
        (["--address", "http://127.0.0.1:1", "sumbit", "x"], "sumbit", "submit"),
        (["image", "biuld"], "biuld", "build"),
    ],
)
def test_unknown_subcommand_is_named_with_the_closest_one(
    argv: list[str], unknown: str, suggested: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to say "invalid choice: 'stauts' (choose from 'run')": lazy modules hid the rest."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert f"unknown command '{unknown}'" in err
    assert f"did you mean '{suggested}'?" in err
    assert "choose from 'run'" not in err


def test_unknown_subcommand_with_nothing_close_lists_the_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["xyzzy"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "unknown command 'xyzzy'" in err and "did you mean" not in err
    assert "status" in err and "up" in err and "bench" in err


def test_a_reader_that_closes_the_pipe_gets_no_traceback() -> None:
    """`sovtui ... | head`: the reader is gone before sovtui writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "sovtui", "completion", "bash"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 141
