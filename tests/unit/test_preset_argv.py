"""Param values become argv elements, never shell syntax; bad values name the param and range."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from sovtui.presets.argv import (
    ParamError,
    build_argv,
    build_entrypoint,
    coerce,
    parse_assignments,
    resolve_values,
)
from sovtui.presets.models import Preset


def _preset(workload: dict[str, str] | None = None) -> Preset:
    return Preset.model_validate(
        {
            "name": "demo",
            "workload": workload or {"command": "prog --fixed"},
            "params": [
                {"name": "tasks", "type": "int", "default": 4, "min": 1, "max": 64},
                {"name": "rate", "type": "float", "default": 0.5, "min": 0, "max": 1},
                {"name": "label", "type": "str", "default": "x"},
                {
                    "name": "mode",
                    "type": "choice",
                    "choices": ["fast", "slow", 3],
                    "default": "fast",
                },
                {"name": "verbose", "type": "bool", "default": False},
            ],
        }
    )


def test_defaults_build_the_expected_argv() -> None:
    preset = _preset()
    argv = build_argv(preset, resolve_values(preset, {}))
    assert argv == ["prog", "--fixed", "--tasks=4", "--rate=0.5", "--label=x", "--mode=fast"]


def test_module_workload_uses_python_dash_m() -> None:
    preset = Preset.model_validate(
        {"name": "m", "workload": {"module": "sovtui.workloads.hello_tasks"}},
        context={"workloads_dir": "tests/data/fake_workloads"},
    )
    assert build_entrypoint(preset) == "python -m sovtui.workloads.hello_tasks"


def test_cli_strings_are_coerced() -> None:
    preset = _preset()
    given = parse_assignments(["tasks=8", "rate=1e-3", "mode=3", "verbose=yes", "label=a=b"])
    values = resolve_values(preset, given)
    assert values == {"tasks": 8, "rate": 0.001, "label": "a=b", "mode": 3, "verbose": True}
    assert build_argv(preset, values)[-3:] == ["--label=a=b", "--mode=3", "--verbose"]


EVIL = [
    "; rm -rf /",
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "' ; echo owned; '",
    '" && echo owned "',
    "--tasks=999",
    "a | b > c < d & e",
    "${HOME}",
    "*",
]


@pytest.mark.parametrize("value", EVIL)
def test_hostile_strings_stay_one_argument(value: str) -> None:
    preset = _preset()
    entrypoint = build_entrypoint(preset, {"label": value})
    assert f"--label={value}" in shlex.split(entrypoint)
    assert len(shlex.split(entrypoint)) == 6


@pytest.mark.parametrize("value", EVIL)
def test_a_real_shell_passes_hostile_strings_through_verbatim(value: str) -> None:
    # Ray runs the entrypoint with a shell: prove the shell hands the value over untouched.
    preset = Preset.model_validate(
        {
            "name": "echoargs",
            "workload": {"command": "-c 'import sys, json; print(json.dumps(sys.argv[1:]))'"},
            "params": [{"name": "label", "type": "str", "default": ""}],
        }
    )
    entrypoint = shlex.quote(sys.executable) + " " + build_entrypoint(preset, {"label": value})
    out = subprocess.run(entrypoint, shell=True, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [f"--label={value}"]


@pytest.mark.parametrize("value", ["a\nb", "a\x00b", "a\rb", "\x1b[31m"])
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(ParamError, match="parameter 'label': control character"):
        build_entrypoint(_preset(), {"label": value})


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("tasks", "0", ("'tasks'", "out of range", "integer in the range 1..64")),
        ("tasks", "65", ("'tasks'", "1..64")),
        ("tasks", "1.5", ("'tasks'", "is not an integer in the range 1..64")),
        ("tasks", "; rm -rf /", ("'tasks'", "integer")),
        ("rate", "2", ("'rate'", "number in the range 0..1")),
        ("rate", "nan", ("'rate'", "finite")),
        ("rate", "$(x)", ("'rate'", "number")),
        ("mode", "medium", ("'mode'", "one of: fast, slow, 3")),
        ("verbose", "maybe", ("'verbose'", "true or false")),
        ("nope", "1", ("'nope'", "no such param", "tasks, rate, label, mode, verbose")),
    ],
)
def test_bad_values_name_the_param_and_the_allowed_values(
    name: str, value: str, words: tuple[str, ...]
) -> None:
    with pytest.raises(ParamError) as caught:
        build_entrypoint(_preset(), {name: value})
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_assignments_need_an_equals_sign() -> None:
    with pytest.raises(ParamError, match="expected NAME=VALUE"):
        parse_assignments(["tasks"])


def test_form_values_keep_their_types() -> None:
    preset = _preset()
    assert coerce(preset.params[0], 5) == 5
    assert coerce(preset.params[1], 1) == 1.0
    assert coerce(preset.params[4], True) is True
    with pytest.raises(ParamError):
        coerce(preset.params[0], True)  # a bool is not an int here
