"""`{{ value|figure:fig }}`: a figure's value with thousands separators, its decimals and unit."""

from __future__ import annotations

from typing import Any

from django import template

from jiedao.core.figures import format_value

register = template.Library()


@register.filter
def figure(value: Any, fig: Any) -> str:
    text = format_value(value, getattr(fig, "decimals", 0))
    unit = str(getattr(fig, "unit", "") or "")
    if value is None or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


@register.filter
def item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if mapping is not None else None
