"""How a domain module declares itself: navigation, home widgets, figures, sources, demo, imports.

Each app builds one `Module` and passes it to `register()` from its `AppConfig.ready()`.
`core` and `accounts` then read what is registered (the navigation, the home page, the
report card) and never import a domain app.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

from jiedao.core import figures as registry

# A navigation entry: (URL, label).
NavEntry = tuple[str, Promise | str]


@dataclass(frozen=True)
class HomeCard:
    """A count on the home page that links to the rows it counts (e.g. "my open tickets")."""

    label: Promise | str
    count: int
    url: str
    definition: Promise | str = ""


@dataclass(frozen=True)
class Module:
    name: str  # the app label, e.g. "affairs"
    label: Promise | str
    order: int
    # The entries this user may open (none: the module does not show for them).
    nav: Callable[[Any], list[NavEntry]] | None = None
    # The home page's cards for this user (none: nothing of this module on their home).
    home: Callable[[Any], list[HomeCard]] | None = None
    figures: Iterable[registry.Figure] = ()
    sources: Iterable[registry.Source] = ()
    # Dotted paths of modules that register demo steps and importers when imported.
    demo: str | None = None
    importers: str | None = None
    # Where a report-card section's figures come from on the module's own dashboard.
    dashboard_url: Callable[[Any], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


MODULES: dict[str, Module] = {}


def register(module: Module) -> None:
    MODULES[module.name] = module
    for fig in module.figures:
        registry.register_figure(fig)
    for source in module.sources:
        registry.register_source(source)
    for path in (module.demo, module.importers):
        if path:
            importlib.import_module(path)


def modules() -> list[Module]:
    return sorted(MODULES.values(), key=lambda m: (m.order, m.name))


def nav_entries(user: Any) -> list[NavEntry]:
    out: list[NavEntry] = []
    for module in modules():
        if module.nav is not None:
            out.extend(module.nav(user))
    return out


def home_cards(user: Any) -> list[HomeCard]:
    out: list[HomeCard] = []
    for module in modules():
        if module.home is not None:
            out.extend(module.home(user))
    return out
