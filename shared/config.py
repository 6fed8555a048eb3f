"""Demo configuration: frozen dataclasses, checked `field=value` overrides, and a JSON-able view.

Every demo keeps one frozen dataclass in `<app>/config.py`. Users change one thing from the command line
(`--set epochs=5`); the value is parsed to the field's type and an unknown field or a bad value is refused with a
message naming it, instead of being ignored.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from shared.cli import UserError

Config = TypeVar("Config")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_scalar(text: str, kind: type, field: str) -> Any:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise UserError(f"--set {field}={text}: expected true or false")
    try:
        return kind(text)
    except ValueError:
        raise UserError(f"--set {field}={text}: expected a value of type {kind.__name__}") from None


def _parse_value(text: str, annotation: Any, field: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin is tuple:
        item_type = typing.get_args(annotation)[0]
        return tuple(_parse_scalar(part, item_type, field) for part in text.split(",") if part.strip())
    if origin is typing.Literal:
        choices = typing.get_args(annotation)
        if text not in choices:
            raise UserError(f"--set {field}={text}: expected one of {', '.join(map(str, choices))}")
        return text
    return _parse_scalar(text, annotation, field)


def apply_overrides(cfg: Config, overrides: Iterable[str]) -> Config:
    """A copy of frozen dataclass `cfg` with `field=value` overrides applied (tuples as comma lists)."""
    hints = typing.get_type_hints(type(cfg))
    names = {f.name for f in dataclasses.fields(cfg)}
    changes: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise UserError(f"--set {item}: expected field=value")
        field, text = (part.strip() for part in item.split("=", 1))
        if field not in names:
            raise UserError(f"--set {field}: unknown setting; known: {', '.join(sorted(names))}")
        changes[field] = _parse_value(text, hints[field], field)
    return dataclasses.replace(cfg, **changes)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """The dataclass as plain JSON-able values (tuples become lists)."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in dataclasses.asdict(cfg).items()}


def describe_fields(cls: type) -> str:
    """One line per field: name, default and the field's doc (metadata["doc"]), for --help texts."""
    lines = []
    for field in dataclasses.fields(cls):
        doc = field.metadata.get("doc", "")
        lines.append(f"  {field.name} = {field.default!r}  {doc}")
    return "\n".join(lines)
