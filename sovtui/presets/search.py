"""Type-to-filter over presets: every word must appear in the name, title, description or tags."""

from __future__ import annotations

from collections.abc import Iterable

from sovtui.presets.models import Preset


def matches(preset: Preset, query: str) -> bool:
    haystack = " ".join([preset.name, preset.title, preset.description, *preset.tags]).lower()
    return all(word in haystack for word in query.lower().split())


def filter_presets(presets: Iterable[Preset], query: str) -> list[Preset]:
    return [preset for preset in presets if matches(preset, query)]
