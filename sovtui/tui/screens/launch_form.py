"""The parameter form of one preset: one field per param, checked as you type by the core's
validation; Enter (or ctrl+s) launches through the core in a worker, only when every field is
valid. On success the form closes with the `Launched` record; Ray's refusal stays on the form."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from sovtui.presets.argv import allowed, check_form, format_value
from sovtui.presets.launch import Launched, launch
from sovtui.presets.models import Param, ParamType, Preset
from sovtui.ray_api.errors import DashboardError
from sovtui.tui.services import Services
from sovtui.tui.widgets.plain import plain


def field_id(param: Param) -> str:
    return f"param-{param.name}"


def initial_text(param: Param) -> str:
    return "" if param.default is None else format_value(param.default)


def param_widget(param: Param) -> Widget:
    wid = field_id(param)
    if param.type is ParamType.BOOL:
        return Switch(value=bool(param.default), id=wid)
    if param.type is ParamType.CHOICE:
        options = [(str(choice), str(choice)) for choice in param.choices or []]
        if param.default is None:
            return Select(options, prompt="(workload default)", id=wid)
        return Select(options, value=str(param.default), allow_blank=False, id=wid)
    placeholder = "(workload default)" if param.default is None else ""
    return Input(initial_text(param), placeholder=placeholder, id=wid)


class LaunchForm(ModalScreen[Launched | None]):
    CSS_PATH = "presets.tcss"  # this screen's styles load with it, not at start-up
    BINDINGS = [
        Binding(
            "ctrl+s",
            "submit",
            "Launch",
            tooltip="Submit the job when every field is valid (enter in a field does too)",
        ),
        Binding("escape", "cancel", "Cancel", tooltip="Close the form without launching"),
    ]

    def __init__(self, services: Services, preset: Preset) -> None:
        super().__init__()
        self.services = services
        self.preset = preset
        self.errors: dict[str, str] = {}
        self.submitting = False
        self.submissions = 0  # attempts handed to the core (tests count them)

    def compose(self) -> ComposeResult:
        preset = self.preset
        with Vertical(id="form-box") as box:
            box.border_title = plain(f"Launch {preset.display_title}")
            box.border_subtitle = "enter launch · tab next · esc cancel"
            if preset.description:
                description = " ".join(preset.description.split())
                yield Static(plain(description), id="form-description")
            with VerticalScroll(id="form-fields"):
                if not preset.params:
                    yield Static("This preset has no parameters.", classes="form-help")
                for param in preset.params:
                    with Horizontal(classes="form-row"):
                        yield Label(param.name, classes="form-label")
                        yield param_widget(param)
                    yield Static(self._hint(param), id=f"hint-{param.name}", classes="form-help")
            yield Static(id="form-status")
            with Horizontal(id="form-buttons"):
                yield Button("Launch", variant="primary", id="form-launch")
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self._validate()
        fields = [self.query_one(f"#{field_id(p)}") for p in self.preset.params]
        (fields[0] if fields else self.query_one("#form-launch", Button)).focus()

    # -- values and inline validation -------------------------------------------------------

    @staticmethod
    def _hint(param: Param) -> Text:
        text = plain(allowed(param), "dim")
        if param.help:
            text.append(plain(f" — {param.help}", "dim"))
        return text

    def raw_values(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for param in self.preset.params:
            widget = self.query_one(f"#{field_id(param)}")
            if isinstance(widget, Switch):
                raw[param.name] = widget.value
            elif isinstance(widget, Select):
                raw[param.name] = None if widget.is_blank() else str(widget.value)
            elif isinstance(widget, Input):
                raw[param.name] = widget.value
        return raw

    def _validate(self) -> dict[str, object]:
        given, self.errors = check_form(self.preset, self.raw_values())
        for param in self.preset.params:
            widget = self.query_one(f"#{field_id(param)}")
            hint = self.query_one(f"#hint-{param.name}", Static)
            error = self.errors.get(param.name)
            widget.set_class(error is not None, "-invalid")
            hint.set_class(error is not None, "-error")
            hint.update(plain(f"✗ {error}") if error else self._hint(param))
        return given

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._validate()
        if not self.submitting:
            self._status("")

    def _status(self, text: str | Text, error: bool = False) -> None:
        status = self.query_one("#form-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    # -- submitting -------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-launch")
    def _enter(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        if not self.submitting:
            self.dismiss(None)

    def action_submit(self) -> None:
        given = self._validate()
        if self.submitting:
            return
        if self.errors:
            # Nothing is sent: the cursor goes to the first field at fault.
            first = next(p for p in self.preset.params if p.name in self.errors)
            self.query_one(f"#{field_id(first)}").focus()
            return
        self.submitting = True
        self.submissions += 1
        self._status("submitting… (uploading the workload code if the cluster lacks it)")
        self._launch(given)

    @work(exclusive=True, group="launch", exit_on_error=False)
    async def _launch(self, given: dict[str, object]) -> None:
        try:
            launched = await launch(self.services.connection.client, self.preset, given)
        except (DashboardError, ValueError, OSError) as error:
            self.submitting = False
            self._status(plain(f"✗ {error}"), error=True)  # may quote the server's answer
            return
        self.submitting = False
        self.dismiss(launched)
