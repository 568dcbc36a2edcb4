"""Every date picker of every form renders its value as ISO in every language: a browser's
`<input type="date">` drops anything else, and Chinese formats dates as 2026/12/03."""

from __future__ import annotations

import importlib
import inspect
from datetime import date

import pytest
from django import forms
from django.apps import apps
from django.utils import translation


def _date_widgets() -> list[tuple[str, forms.Widget]]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("jiedao."):
            continue
        for module_name in (f"{config.name}.forms", f"{config.name}.public_forms"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.__name__:
                    continue
                fields = dict(getattr(cls, "base_fields", {}))
                for field_name, field in fields.items():
                    widget = field.widget
                    if (
                        getattr(widget, "input_type", "") == "date"
                        or widget.attrs.get("type") == "date"
                    ):
                        found.append((f"{module_name}.{name}.{field_name}", widget))
    return found


WIDGETS = _date_widgets()


def test_the_forms_have_date_pickers_to_check():
    modules = {label.split(".")[1] for label, _w in WIDGETS}
    assert {"affairs", "business", "renewal", "livelihood"} <= modules


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("label", "widget"), WIDGETS, ids=[label for label, _w in WIDGETS])
def test_a_date_picker_renders_iso_in_every_language(label, widget, language):
    with translation.override(language):
        html = widget.render("d", date(2026, 12, 3))
    assert 'value="2026-12-03"' in html, (label, html)
    assert 'type="date"' in html, (label, html)
