"""Every bad preset file gets its own clear message (file, line, field, reason); good ones load."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.presets.loader import LoadFailure, LoadResult, load_presets

DATA = Path(__file__).resolve().parent.parent / "data"
BAD = DATA / "bad_presets"
FAKE_WORKLOADS = DATA / "fake_workloads"


@pytest.fixture(scope="module")
def result() -> LoadResult:
    return load_presets(BAD, DATA / "no-such-user-dir", workloads_dir=FAKE_WORKLOADS)


def _failures(result: LoadResult, file: str) -> list[LoadFailure]:
    return [f for f in result.failures if f.file.name == file]


# file -> (line, field, words that must all appear in the reason)
EXPECTED: dict[str, tuple[int | None, str, tuple[str, ...]]] = {
    "b01_yaml_syntax.yaml": (5, "", ("YAML syntax error", "flow mapping")),
    "b02_unknown_field.yaml": (2, "descripton", ("unknown field 'descripton'", "description")),
    "b03_wrong_type.yaml": (5, "resources.entrypoint_num_cpus", ("valid number", "'lots'")),
    "b04_missing_workload.yaml": (1, "workload", ("required field is missing",)),
    "b05_default_out_of_range.yaml": (9, "params[0].default", ("500", "1..100")),
    "b06_choice_default.yaml": (8, "params[0].default", ("'medium'", "small, large")),
    "b07_dup_name_b.yaml": (2, "name", ("duplicate preset name 'twin'", "b07_dup_name_a.yaml")),
    "b08_empty.yaml": (None, "", ("empty",)),
    "b09_list_top.yaml": (1, "", ("mapping", "got a list")),
    "b10_min_gt_max.yaml": (8, "params[0].max", ("min (10) is greater than max (1)",)),
    "b11_unknown_param_type.yaml": (6, "params[0].type", ("'integer'", "'choice'")),
    "b12_missing_name.yaml": (1, "name", ("required field is missing",)),
    "b13_bad_module.yaml": (3, "workload.module", ("no workload module", "does_not_exist")),
    "b14_dup_param.yaml": (4, "params", ("duplicate param name 'n'", "params[1]")),
    "b15_tabs.yaml": (3, "", ("YAML syntax error", "'\\t'")),
    "b16_both_workloads.yaml": (2, "workload", ("exactly one of 'module' or 'command'",)),
    "b17_shell_operator.yaml": (3, "workload.command", ("shell operator ';'",)),
    "b18_bad_slug.yaml": (1, "name", ("'Hello World' is not a slug",)),
    "b19_params_mapping.yaml": (4, "params", ("expected a list", "dict")),
    "b20_module_outside.yaml": (3, "workload.module", ("under sovtui.workloads", "'os'")),
    "b21_bool_default.yaml": (7, "params[0].default", ("true or false", "'yes'")),
    "b22_env_not_mapping.yaml": (5, "runtime_env.env_vars", ("expected a mapping", "list")),
}


def test_there_are_at_least_fifteen_bad_files() -> None:
    assert len(EXPECTED) >= 15
    on_disk = {p.name for p in BAD.glob("b*.yaml")} - {"b07_dup_name_a.yaml"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_each_bad_file_has_its_own_message(result: LoadResult, file: str) -> None:
    line, field, words = EXPECTED[file]
    failures = _failures(result, file)
    assert len(failures) == 1, failures
    failure = failures[0]
    assert failure.line == line
    assert failure.field == field
    for word in words:
        assert word in failure.reason, (word, failure.reason)
    text = str(failure)
    assert file in text and failure.reason in text
    if field:
        assert f"field '{field}'" in text


def test_good_presets_in_the_same_folder_load(result: LoadResult) -> None:
    assert result.names == ["good-echo", "good-module", "twin"]
    twin = result.get("twin")
    assert twin is not None and twin.source is not None
    assert twin.source.name == "b07_dup_name_a.yaml"  # the earlier file wins within a folder
    good = result.get("good-module")
    assert good is not None
    assert good.defaults() == {"tasks": 4, "mode": "fast", "verbose": False}


def _write(folder: Path, file: str, name: str, command: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / file).write_text(f"name: {name}\nworkload:\n  command: {command!r}\n")


def test_user_folder_adds_and_overrides_without_failures(tmp_path: Path) -> None:
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    _write(shipped, "a.yaml", "alpha", "echo shipped")
    _write(shipped, "b.yaml", "beta", "echo shipped")
    _write(user, "mine.yaml", "alpha", "echo user")
    _write(user, "c.yml", "gamma", "echo user")
    result = load_presets(shipped, user)
    assert result.failures == []
    assert result.names == ["alpha", "beta", "gamma"]
    alpha = result.get("alpha")
    assert alpha is not None and alpha.workload.command == "echo user"
    assert result.overridden == {"alpha": shipped / "a.yaml"}


def test_missing_folders_are_empty_not_errors(tmp_path: Path) -> None:
    result = load_presets(tmp_path / "nope", tmp_path / "nada")
    assert result.presets == [] and result.failures == []
