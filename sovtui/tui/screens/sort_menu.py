"""The sort menu of a resource view (`s`): the view's columns, one digit each. Enter or a
digit sorts by that column ascending (the column sorted already: the other way round), `d`
sorts the highlighted one descending, `0` goes back to Ray's order, escape leaves it as it is.

Dismissed with (column, reverse), column None for Ray's order; None when nothing was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from sovtui.support.safe_text import visible
from sovtui.tui.row_query import sort_choice

SortPick = tuple[int | None, bool]
RAY_ORDER = "ray-order"
DIGITS = "123456789"  # the first nine columns have a digit; the rest are reached by arrows


def column_label(index: int, title: str, current: int | None, reverse: bool) -> Text:
    key = DIGITS[index] if index < len(DIGITS) else " "
    text = Text(f"{key}  ", style="bold")
    text.append(visible(title))
    if index == current:
        text.append(f"  {'▼ descending' if reverse else '▲ ascending'}", style="bold")
    return text


class SortMenu(ModalScreen[SortPick | None]):
    DEFAULT_CSS = """
    SortMenu { align: center middle; }
    SortMenu #sort-box {
        width: 44; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    SortMenu OptionList { height: auto; max-height: 16; border: none; }
    SortMenu #sort-keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_menu", "Close", tooltip="Leave the sort as it is"),
        Binding("d", "descending", "Descending", tooltip="Sort by the highlighted column, Z-A"),
        Binding("0", "ray_order", "Ray's order", tooltip="No sort: the order Ray answered"),
        *(Binding(digit, f"pick({index})", show=False) for index, digit in enumerate(DIGITS)),
    ]

    def __init__(self, titles: Sequence[str], current: int | None, reverse: bool) -> None:
        super().__init__()
        self.titles = list(titles)
        self.current = current
        self.reverse = reverse

    def compose(self) -> ComposeResult:
        options = [
            Option(column_label(i, title, self.current, self.reverse), id=str(i))
            for i, title in enumerate(self.titles)
        ]
        ray = Text("0  ", style="bold").append("Ray's order")
        if self.current is None:
            ray.append("  (now)", style="bold")
        options.append(Option(ray, id=RAY_ORDER))
        with Vertical(id="sort-box"):
            yield OptionList(*options, id="sort-columns")
            yield Static(
                "[b]1-9[/b]/[b]enter[/b] sort (again: reverse)  [b]d[/b] descending  "
                "[b]0[/b] Ray's order  [b]esc[/b] close",
                id="sort-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#sort-box").border_title = "Sort by"
        options = self.query_one(OptionList)
        options.highlighted = self.current if self.current is not None else len(self.titles)
        options.focus()

    def _choose(self, chosen: int | None, *, descending: bool = False) -> None:
        self.dismiss(sort_choice(self.current, self.reverse, chosen, descending=descending))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id
        self._choose(None if option_id in (None, RAY_ORDER) else int(option_id))

    def action_pick(self, index: int) -> None:
        if index < len(self.titles):
            self._choose(index)

    def action_descending(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None and highlighted < len(self.titles):
            self._choose(highlighted, descending=True)

    def action_ray_order(self) -> None:
        self._choose(None)

    def action_dismiss_menu(self) -> None:
        self.dismiss(None)
