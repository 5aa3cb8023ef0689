"""Presets (key 3): every loaded preset, type-to-filter, and the files that failed to load."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from sovtui.presets.launch import Launched
from sovtui.presets.loader import LoadFailure, LoadResult
from sovtui.presets.models import Preset
from sovtui.presets.search import filter_presets
from sovtui.tui.messages import ShowNewJob
from sovtui.tui.screens.launch_form import LaunchForm
from sovtui.tui.services import Services
from sovtui.tui.textual_hacks import SteadyFooter
from sovtui.tui.widgets.plain import plain


@dataclass
class PresetsLoaded(Message):
    result: LoadResult


def preset_prompt(preset: Preset, overridden: bool) -> Text:
    text = Text.assemble(plain(preset.display_title, "bold"), plain("  " + preset.name, "dim"))
    if overridden:
        text.append("  (user override)", style="italic dim")
    if preset.description:
        text.append(plain("\n" + " ".join(preset.description.split()), multiline=True))
    return text


def failure_line(failure: LoadFailure) -> Text:
    where = failure.file.name + (f":{failure.line}" if failure.line is not None else "")
    text = Text.assemble(plain(where, "bold"), " ")
    if failure.field:
        text.append(plain(failure.field, "italic"))
        text.append(": ")
    text.append(plain(failure.reason, multiline=True))  # may quote the file's text
    return text


class PresetsScreen(Screen[None]):
    CSS_PATH = "presets.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        # priority: the filter Input would otherwise take enter (and hide it from the footer)
        Binding(
            "enter",
            "launch",
            "Launch",
            priority=True,
            tooltip="Open the highlighted preset's parameter form",
        ),
        Binding(
            "slash", "focus_filter", "Filter", key_display="/", tooltip="Type to filter the list"
        ),
        Binding("down", "focus_list", "List", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+r", "reload", "Reload", tooltip="Read the preset folders again"),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._result = LoadResult()
        self._shown: list[Preset] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Input(placeholder="type to filter presets", id="preset-filter")
        yield OptionList(id="preset-list")
        with VerticalScroll(id="preset-failures"):
            yield Static(id="preset-failures-text")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.query_one("#preset-list", OptionList).border_title = "Presets"
        self.query_one("#preset-failures").display = False
        self.query_one("#preset-filter", Input).focus()
        self.action_reload()

    # -- loading (file I/O in a thread) ------------------------------------------------------

    @work(thread=True, exclusive=True, group="presets", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(PresetsLoaded(self.services.preset_source()))

    def action_reload(self) -> None:
        self._load()

    @on(PresetsLoaded)
    def _loaded(self, message: PresetsLoaded) -> None:
        self._result = message.result
        self._show()
        failures = message.result.failures
        panel = self.query_one("#preset-failures")
        panel.display = bool(failures)
        if failures:
            files = len({f.file for f in failures})
            panel.border_title = f"{files} preset file{'s' * (files != 1)} failed to load"
            self.query_one("#preset-failures-text", Static).update(
                Text("\n").join(failure_line(f) for f in failures)
            )

    # -- filtering --------------------------------------------------------------------------

    def _show(self) -> None:
        query = self.query_one("#preset-filter", Input).value
        option_list = self.query_one("#preset-list", OptionList)
        self._shown = filter_presets(self._result.presets, query)
        option_list.set_options(
            Option(preset_prompt(p, p.name in self._result.overridden), id=p.name)
            for p in self._shown
        )
        if self._shown:
            option_list.highlighted = 0
        total = len(self._result.presets)
        shown = f"{len(self._shown)}/{total}" if query.strip() else str(total)
        option_list.border_title = f"Presets ({shown})"

    @on(Input.Changed, "#preset-filter")
    def _filter_changed(self) -> None:
        self._show()

    def action_focus_filter(self) -> None:
        self.query_one("#preset-filter", Input).focus()

    def action_focus_list(self) -> None:
        option_list = self.query_one("#preset-list", OptionList)
        if self.focused is option_list:
            option_list.action_cursor_down()
        else:
            option_list.focus()

    def action_clear_filter(self) -> None:
        """Escape: clear the filter; on an empty filter, go to the list (where 1..9 work)."""
        search = self.query_one("#preset-filter", Input)
        if search.value:
            search.value = ""
            search.focus()
        else:
            self.query_one("#preset-list", OptionList).focus()

    # -- launching --------------------------------------------------------------------------

    def highlighted_preset(self) -> Preset | None:
        index = self.query_one("#preset-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self._shown):
            return None
        return self._shown[index]

    def action_launch(self) -> None:
        preset = self.highlighted_preset()
        if preset is None:
            self.notify("no preset matches the filter", severity="warning")
            return
        self.app.push_screen(LaunchForm(self.services, preset), self._launched)

    def _launched(self, launched: Launched | None) -> None:
        if launched is not None:
            self.app.post_message(ShowNewJob(launched.submission_id))
