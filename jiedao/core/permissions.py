"""The one central policy: may this user do this action to this object / see this queryset.

Every page, export and API endpoint asks it, directly or through a selector. A model no app
registered is denied to everyone; an action a role was not granted is denied; an object
outside the user's org subtree is "not found" (404), never "forbidden".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from jiedao.accounts.models import Role

M = TypeVar("M", bound=models.Model)


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"
    REVEAL = "reveal"  # read one personal value in clear, with a reason


@dataclass(frozen=True)
class Rule:
    """Who may do what to one model.

    `grants` maps an action to the staff roles that may do it within their org subtree.
    `org_path` is the lookup from the model to its org unit's path.
    `own` gives, for a public or expert account, the rows that are theirs, with the actions
    they may take on them (e.g. a resident views their own person record).
    """

    grants: dict[Action, frozenset[str]]
    org_path: str = "org_unit__path"
    own: Callable[[Any], Q] | None = None
    own_actions: frozenset[Action] = field(default_factory=frozenset)
    own_roles: frozenset[str] = field(default_factory=frozenset)
    # Rows of an ancestor org are visible too (catalogues published by the city or district):
    # readable (view, export) from below, never changed or deleted from below.
    ancestors_visible: bool = False


def _ancestor_paths(path: str) -> list[str]:
    """`/SH/JA/TMX/` → [`/SH/`, `/SH/JA/`]."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts))]


class NotPermitted(Exception):
    """A user tried an action they hold no grant for, on an object they can see."""


class Policy:
    def __init__(self) -> None:
        self._rules: dict[type[models.Model], Rule] = {}

    # --- registration -----------------------------------------------------------------
    def register(self, model: type[models.Model], rule: Rule) -> None:
        self._rules[model] = rule

    def rule_for(self, model: type[models.Model]) -> Rule | None:
        return self._rules.get(model)

    # --- questions --------------------------------------------------------------------
    @staticmethod
    def memberships(user: Any) -> list[tuple[str, str]]:
        """(role, org path) pairs of an active user, cached on the user object."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return []
        cached = getattr(user, "_jiedao_memberships", None)
        if cached is None:
            cached = list(user.memberships.values_list("role", "org_unit__path"))
            if user.is_superuser:
                cached.append((Role.PLATFORM_ADMIN.value, "/"))
            user._jiedao_memberships = cached
        return list(cached)

    def roles(self, user: Any) -> set[str]:
        return {role for role, _path in self.memberships(user)}

    def has_role(self, user: Any, roles: Iterable[str]) -> bool:
        return bool(self.roles(user) & set(roles))

    def paths_for(self, user: Any, model: type[models.Model], action: Action) -> list[str]:
        rule = self._rules.get(model)
        if rule is None:
            return []
        granted = rule.grants.get(action, frozenset()) | {Role.PLATFORM_ADMIN.value}
        paths = [path for role, path in self.memberships(user) if role in granted]
        # A path under another one adds nothing.
        paths.sort(key=len)
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        return kept

    def scope_q(self, user: Any, model: type[models.Model], action: Action) -> Q | None:
        """The filter of rows this user may do `action` to, or None for none at all."""
        rule = self._rules.get(model)
        if rule is None:
            return None
        q: Q | None = None
        for path in self.paths_for(user, model, action):
            part = Q() if path == "/" else Q(**{f"{rule.org_path}__startswith": path})
            if rule.ancestors_visible and path != "/" and action in (Action.VIEW, Action.EXPORT):
                part |= Q(**{f"{rule.org_path}__in": _ancestor_paths(path)})
            q = part if q is None else q | part
        owner = rule.own is not None and action in rule.own_actions
        if owner and rule.own is not None and self.has_role(user, rule.own_roles):
            own = rule.own(user)
            q = own if q is None else q | own
        return q

    def scope(self, user: Any, action: Action, queryset: QuerySet[M]) -> QuerySet[M]:
        q = self.scope_q(user, queryset.model, action)
        if q is None:
            return queryset.none()
        return queryset.filter(q)

    def can(self, user: Any, action: Action, obj: models.Model) -> bool:
        model = type(obj)
        q = self.scope_q(user, model, action)
        if q is None:
            return False
        return model._default_manager.filter(q, pk=obj.pk).exists()

    def can_in_org(self, user: Any, model: type[models.Model], action: Action, org: Any) -> bool:
        """May the user do `action` (usually ADD or IMPORT) on `model` rows of this org unit?"""
        return any(org.path.startswith(p) for p in self.paths_for(user, model, action))

    def can_any(self, user: Any, model: type[models.Model], action: Action) -> bool:
        """Does the user hold `action` on `model` anywhere (to show a menu entry or a button)?"""
        rule = self._rules.get(model)
        if rule is None:
            return False
        if self.paths_for(user, model, action):
            return True
        return (
            rule.own is not None
            and action in rule.own_actions
            and self.has_role(user, rule.own_roles)
        )

    def get_or_404(self, user: Any, action: Action, queryset: QuerySet[M], **lookup: Any) -> M:
        """The object if the user may see it; 404 if it is outside their scope or absent.

        If they may see it but not do `action`, raise NotPermitted (shown as 403): the object's
        existence is no secret to someone who can already read it.
        """
        visible = self.scope(user, Action.VIEW, queryset)
        try:
            obj = visible.get(**lookup)
        except (ObjectDoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc
        if action != Action.VIEW and not self.can(user, action, obj):
            raise NotPermitted(action)
        return obj

    def require_in_org(
        self, user: Any, model: type[models.Model], action: Action, org: Any
    ) -> None:
        if not self.can_in_org(user, model, action, org):
            raise NotPermitted(action)


policy = Policy()
