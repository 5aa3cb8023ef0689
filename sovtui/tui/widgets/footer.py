"""Textual's Footer, rebuilt only when what it shows changes."""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class SteadyFooter(Footer):
    """Textual's Footer rebuilds all its keys on every bindings change, one queued rebuild
    per change. At start-up three arrive together (screen resume, focus, the refresh after
    it) and the keys were built three times over before the footer was complete; a focus
    move that keeps the same keys rebuilt them too. A rebuild that would show the same keys
    is skipped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def _showing(self) -> tuple[object, ...]:
        bindings = tuple(
            (binding.key, binding.key_display, binding.description, enabled, tooltip)
            for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            if binding.show
        )
        return bindings, self.compact, self.show_command_palette

    async def recompose(self) -> None:
        if not self.is_attached:  # queued before its screen went away (Textual's own guard)
            return
        showing = self._showing()
        if self.children and showing == self._shown:
            return
        await super().recompose()
        self._shown = showing if self.children else None
