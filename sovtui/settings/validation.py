"""Validate settings sources with pydantic models built from the Settings dataclasses.

Each source is checked merged over the ones before it, so the first bad value is blamed on
the file, variable or flag that brought it, with the field and pydantic's reason.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
)

from sovtui.settings.model import ConfigError, Settings, Source
from sovtui.support.yaml_io import YamlProblem, safe_load


def _model_for(settings_class: type[Any]) -> type[BaseModel]:
    """A strict (extra="forbid") pydantic model with the dataclass's fields and rules."""
    hints = typing.get_type_hints(settings_class)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(settings_class):
        hint = hints[item.name]
        constraints = item.metadata.get("pydantic", {})
        value_type = typing.get_args(hint)[1] if typing.get_origin(hint) is dict else None
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            nested = _model_for(hint)
            fields[item.name] = (nested, Field(default_factory=nested, **constraints))
        elif isinstance(value_type, type) and dataclasses.is_dataclass(value_type):
            # NAME -> section (e.g. `contexts`): names checked by the "keys" rule.
            key = Annotated[str, StringConstraints(**item.metadata.get("keys", {}))]
            mapping = dict[key, _model_for(value_type)]  # type: ignore[valid-type,misc]
            fields[item.name] = (mapping, Field(default_factory=dict, **constraints))
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            fields[item.name] = (hint, Field(..., **constraints))  # required
        else:
            fields[item.name] = (hint, Field(default=item.default, **constraints))
    return create_model(settings_class.__name__, __config__=ConfigDict(extra="forbid"), **fields)


SettingsModel = _model_for(Settings)  # EmbeddedHeadSettings inside, as its `embedded` field


def _first_error(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return field, first["msg"]


def _parse_yaml(source: Source) -> dict[str, Any]:
    try:
        data = safe_load(source.text or "")
    except yaml.YAMLError as exc:
        found = YamlProblem.of(exc)
        raise ConfigError(
            source.name, "", f"{found.line_prefix}YAML syntax error: {found.problem}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            source.name, "", f"expected a mapping at top level, got {type(data).__name__}"
        )
    return data


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate_sources(sources: list[Source]) -> dict[str, Any]:
    """The merged, validated settings as plain JSON values; ConfigError names the culprit."""
    merged: dict[str, Any] = {}
    validated = SettingsModel()  # the defaults, when there is no source at all
    for source in sources:
        data = _parse_yaml(source) if source.text is not None else dict(source.values or {})
        merged = _merge(merged, data)
        try:
            validated = SettingsModel.model_validate(merged)
        except ValidationError as exc:
            field, reason = _first_error(exc)
            raise ConfigError(source.name, field, reason) from None
    return validated.model_dump(mode="json")
