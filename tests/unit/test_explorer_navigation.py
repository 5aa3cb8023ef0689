"""The explorer's `/` filter and sort keys, and the `:` command line (names, aliases,
completion, history), without a terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.text import Text

from sovtui.tui import command_line
from sovtui.tui.command_line import Command, CommandHistory, complete, completion, parse
from sovtui.tui.resource_views import VIEWS, view_named
from sovtui.tui.row_query import RowFilter, row_text, sort_choice, sort_key

ROWS = ["Counter ALIVE", "Crasher DEAD", "Victim DEAD", "GpuActor PENDING_CREATION"]


def kept(text: str) -> list[str]:
    matches = RowFilter(text).matcher()
    return [row for row in ROWS if matches(row)]


def test_filter_substring_regex_and_inverse() -> None:
    assert kept("") == ROWS
    assert kept("dead") == ["Crasher DEAD", "Victim DEAD"]  # case-insensitive
    assert kept("^C.*(ALIVE|DEAD)$") == ["Counter ALIVE", "Crasher DEAD"]  # a regex
    assert kept("!DEAD") == ["Counter ALIVE", "GpuActor PENDING_CREATION"]
    assert kept("(") == []  # not a regex: the text itself, found nowhere
    assert kept("!") == ROWS  # `!` alone filters nothing
    assert RowFilter("!x").inverted and not RowFilter("x").inverted


def test_row_text_reads_rich_text() -> None:
    assert row_text([Text("ALIVE", style="green"), "Counter", 3]) == "ALIVE\tCounter\t3"


def test_sort_menu_choice_flips_the_sorted_column_only() -> None:
    assert sort_choice(None, False, 2) == (2, False)  # a new column: ascending
    assert sort_choice(2, False, 2) == (2, True)  # the same again: the other way round
    assert sort_choice(2, True, 2) == (2, False)
    assert sort_choice(2, True, 3) == (3, False)
    assert sort_choice(2, False, 3, descending=True) == (3, True)
    assert sort_choice(2, False, 2, descending=True) == (2, True)  # `d`: always descending
    assert sort_choice(2, True, None) == (None, False)  # Ray's order


def test_sort_key_numbers_text_blanks() -> None:
    values = ["b", None, 10, "A", "", 2]
    assert sorted(values, key=sort_key) == [2, 10, "A", "b", None, ""]


def test_parse_views_aliases_and_filters() -> None:
    assert parse(":actors") == Command("view", "actors")
    assert parse("actors Counter") == Command("view", "actors", "Counter")
    assert parse(":tasks FAILED") == Command("view", "tasks", "FAILED")
    assert parse("pgs") == Command("view", "pg")
    assert parse("placement_groups") == Command("view", "pg")
    assert parse("jobs") == Command("dashboard", "jobs")
    assert parse("nodes") == Command("dashboard", "nodes")
    assert parse("cluster") == Command("mode", "cluster")
    with pytest.raises(ValueError, match="did you mean actors"):
        parse("act")
    with pytest.raises(ValueError, match="unknown view 'bogus'"):
        parse("bogus")
    with pytest.raises(ValueError, match="type a view name"):
        parse(":")


def test_completion_prefers_canonical_names() -> None:
    assert complete("p")[:2] == ["pg", "presets"]
    assert completion("ac") == "actors"
    assert completion("ev") == "events"
    assert completion("zz") is None
    assert completion("tasks FAI") is None  # only the view name completes


def test_register_adds_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(command_line, "EXTRA", {})
    command_line.register("pending", "why")
    assert parse("why") == Command("mode", "pending")
    assert "pending" in command_line.command_names()


def test_history_in_memory_and_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "state" / "command_history"
    history = CommandHistory(path, size=3)
    for line in ("actors", "actors", "tasks FAILED", "pg", "objects"):
        history.add(line)
    assert history.lines == ["tasks FAILED", "pg", "objects"]  # no repeats, the last `size`
    assert CommandHistory(path).lines == ["tasks FAILED", "pg", "objects"]
    memory_only = CommandHistory(None)
    memory_only.add("events")
    assert memory_only.lines == ["events"]


def test_history_survives_an_unwritable_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    history = CommandHistory(blocker / "history")  # its parent is a file
    history.add("actors")
    assert history.lines == ["actors"] and history.path is None


def test_every_view_has_an_id_column_and_aliases() -> None:
    for view in VIEWS.values():
        assert view.columns and view.title
        assert view_named(view.name) is view
        for alias in view.aliases:
            assert view_named(alias) is view
