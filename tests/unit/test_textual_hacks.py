"""The Textual internals that sovtui.tui.textual_hacks relies on are still there, as used;
and no other sovtui module touches Textual's private API."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from textual import message_pump
from textual.app import App
from textual.strip import Strip
from textual.widgets import DataTable, Footer, Log

import sovtui.tui
from sovtui.tui import textual_hacks

PRIVATE_NAME = re.compile(r"(?:self\.|def |^\s+)(_[a-z]\w*)\b", re.MULTILINE)


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


# -- CrashHookApp ----------------------------------------------------------------------------


def test_app_handle_exception_is_the_unhandled_exception_funnel() -> None:
    assert parameters(App._handle_exception) == ["self", "error"]
    # Where an exception escapes a handler, a worker or a screen callback, it ends up there.
    assert "self.app._handle_exception(error)" in inspect.getsource(message_pump)


def test_app_exit_renderables_is_the_list_printed_on_exit() -> None:
    app: App[None] = App()
    assert app._exit_renderables == []
    assert "self._exit_renderables" in inspect.getsource(App._print_error_renderables)


# -- RemeasuringDataTable ----------------------------------------------------------------------


def test_data_table_measures_on_idle_with_these_flags_and_caches() -> None:
    assert inspect.iscoroutinefunction(DataTable._on_idle)
    assert len(parameters(DataTable._on_idle)) == 2  # self, the Idle event
    table: DataTable[str] = DataTable()
    assert table._require_update_dimensions is False
    assert table._updated_cells == set()
    assert parameters(table._clear_caches) == []
    idle = inspect.getsource(DataTable._on_idle)
    assert "_require_update_dimensions" in idle and "_updated_cells" in idle


# -- SteadyFooter --------------------------------------------------------------------------------


def test_footer_answers_a_bindings_change_with_recompose() -> None:
    assert "self.recompose" in inspect.getsource(Footer.bindings_changed)
    assert inspect.iscoroutinefunction(Footer.recompose)
    assert parameters(Footer.recompose) == ["self"]


# -- log_line_store, forget_rendered_lines -------------------------------------------------------


def test_log_lines_is_the_list_behind_the_public_lines() -> None:
    log = Log()
    store = textual_hacks.log_line_store(log)
    assert store is log.lines and store == []
    assert "self._lines.extend(" in inspect.getsource(Log.write_lines)


def test_log_render_line_cache_can_be_cleared() -> None:
    log = Log()
    log._render_line_cache[0] = Strip([])
    textual_hacks.forget_rendered_lines(log)
    assert len(log._render_line_cache) == 0
    assert "self._render_line_cache[y] = line" in inspect.getsource(Log)


def test_log_renders_each_line_through_render_line_strip_and_the_highlighter() -> None:
    assert parameters(Log._render_line_strip) == ["self", "y", "rich_style"]
    source = inspect.getsource(Log._render_line_strip)
    assert "self._lines[y]" in source and "self.highlighter(line_text)" in source
    assert "self._render_line_strip(" in inspect.getsource(Log._render_line)
    assert textual_hacks.LineStyledLog.styling_line == -1


# -- nothing private outside textual_hacks -------------------------------------------------------


@functools.cache
def _names_in(textual_class: type) -> frozenset[str]:
    try:
        return frozenset(PRIVATE_NAME.findall(inspect.getsource(textual_class)))
    except (OSError, TypeError):
        return frozenset(name for name in vars(textual_class) if name.startswith("_"))


def _textual_private_names(cls: type) -> set[str]:
    """Private names Textual's own classes in cls's MRO define or use."""
    textual = [base for base in cls.__mro__ if base.__module__.startswith("textual")]
    return set().union(*(_names_in(base) for base in textual))


def _sovtui_tui_modules() -> list[str]:
    root = Path(sovtui.tui.__file__).parent
    return [
        info.name
        for info in pkgutil.walk_packages([str(root)], prefix="sovtui.tui.")
        if info.name != textual_hacks.__name__
    ]


def test_no_other_module_overrides_or_reads_textual_private_names() -> None:
    clashes = []
    for name in _sovtui_tui_modules():
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and cls.__module__ == name):
                continue
            if not any(base.__module__.startswith("textual") for base in cls.__mro__[1:]):
                continue
            ours = set(PRIVATE_NAME.findall(inspect.getsource(cls)))
            clashes += [
                f"{name}.{cls.__name__}.{attr}" for attr in ours & _textual_private_names(cls)
            ]
    assert clashes == [], "private Textual API outside sovtui.tui.textual_hacks"


# -- relabel_column --------------------------------------------------------------------------------


def test_data_table_column_has_a_label_and_a_measured_width() -> None:
    from textual.widgets._data_table import Column

    fields = Column.__dataclass_fields__
    assert "label" in fields and "content_width" in fields
    assert parameters(DataTable._clear_caches) == ["self"]
