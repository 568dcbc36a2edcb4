"""Pages of urban renewal (城市更新). Views parse input, call a selector or a service, render."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import Role
from jiedao.core import figures
from jiedao.core.audit import history
from jiedao.core.exports import ExportColumn, xlsx_response
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.views import Col
from jiedao.renewal import selectors, services
from jiedao.renewal.forms import (
    AnswerForm,
    AssignForm,
    HouseholdFilterForm,
    MoveForm,
    RevokeForm,
    SignForm,
    VisitForm,
)
from jiedao.renewal.models import (
    DELIVERED_PHASES,
    PHASE_TRANSITIONS,
    Agreement,
    EntryCategory,
    Household,
    LedgerEntry,
    Phase,
    RenewalProject,
    SourceKind,
)

PAGE_SIZE = 50
NOT_VISITED_DAYS = 14
ATTENTION_ROWS = 20
FIELD_ROLES = (Role.SUBDISTRICT_ADMIN, Role.RENEWAL_OFFICER, Role.COMMITTEE_WORKER)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _require_staff(user: Any) -> None:
    if not policy.paths_for(user, RenewalProject, Action.VIEW):
        raise Http404


def _module_nav(user: Any) -> list[tuple[str, str, Any]]:
    tabs: list[tuple[str, str, Any]] = [("projects", reverse("renewal_projects"), _("项目"))]
    if policy.paths_for(user, Household, Action.VIEW):
        tabs.append(("households", reverse("renewal_households"), _("居民户")))
    return tabs


def _page(request: HttpRequest, template: str, context: dict[str, Any], **kw: Any) -> HttpResponse:
    context.setdefault("renewal_nav", _module_nav(request.user))
    return render(request, template, context, **kw)


def _url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{base}?{urlencode(query)}" if query else base


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# --- projects ---------------------------------------------------------------------------------
PHASE_FILTERS = {
    "done": DELIVERED_PHASES,
    "planned": frozenset({Phase.PLANNED}),
}


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    """Overview figures (each with its definition, linking to its projects) and the list."""
    user: Any = request.user
    _require_staff(user)
    # The headline figures come from the figures registry (the report card shows the same).
    base = reverse("renewal_projects")
    shown = (
        ("done", "renewal.delivered", "?phase=done"),
        ("planned", "renewal.planned", "?phase=planned"),
        ("area", "renewal.delivered_area", "?phase=done"),
    )
    values = figures.for_user(user, RenewalProject, [k for _id, k, _q in shown])
    figs = [
        {"key": html_id, "figure": figures.FIGURES[key], "value": values[key], "url": base + q}
        for html_id, key, q in shown
    ]
    qs = selectors.project_list(user=user)
    phase = request.GET.get("phase", "")
    if phase in PHASE_FILTERS:
        qs = qs.filter(phase__in=PHASE_FILTERS[phase])
    elif phase in Phase.values:
        qs = qs.filter(phase=phase)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "renewal/projects.html",
        {
            "title": _("城市更新"),
            "active": "projects",
            "figures": figs,
            "page": page,
            "phase": phase,
            "query": urlencode({"phase": phase}) if phase else "",
        },
    )


def _phase_moves(user: Any, project: RenewalProject) -> list[tuple[str, Any]]:
    if not policy.can(user, Action.CHANGE, project):
        return []
    legal = PHASE_TRANSITIONS.get(project.phase, frozenset())
    order = list(Phase.values)
    return [(p, Phase(p).label) for p in sorted(legal, key=order.index)]


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The project dashboard: thresholds and round results, phase, burn-up, board, money."""
    user: Any = request.user
    _require_staff(user)
    project = selectors.project_get(user=user, pk=pk)
    try:
        days = max(1, min(3650, int(request.GET.get("days") or NOT_VISITED_DAYS)))
    except ValueError:
        days = NOT_VISITED_DAYS
    consultation = selectors.consultation_result(project)
    signing = selectors.signing_result(project)
    series = selectors.burnup(project)
    chart = {
        "days": [p["day"] for p in series],
        "agreed": [p["agreed_share"] for p in series],
        "signed": [p["signed_share"] for p in series],
        "cleared": [p["cleared_share"] for p in series],
        "agree_threshold": float(project.agree_threshold * 100),
        "sign_threshold": float(project.sign_threshold * 100),
        "labels": {
            "agreed": _("同意比例"),
            "signed": _("签约比例"),
            "cleared": _("交房比例"),
            "agree_threshold": _("意愿征询通过比例"),
            "sign_threshold": _("签约生效比例"),
        },
    }
    board = selectors.board(user=user, project=project)
    states = list(selectors.STATE_LABELS.items())
    hh_url = reverse("renewal_households")

    def rows(groups: dict[str, dict[str, int]], key: str) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "url": f"{hh_url}?{urlencode({'project': project.pk, key: name})}"
                if key == "block"
                else "",
                "cells": [counts.get(s, 0) for s, _label in states],
                "total": sum(counts.values()),
            }
            for name, counts in groups.items()
        ]

    not_visited = selectors.household_list(
        user=user,
        filters=selectors.HouseholdFilters(project=project.pk, not_visited_days=days),
    )
    open_concerns = selectors.household_list(
        user=user, filters=selectors.HouseholdFilters(project=project.pk, open_concerns=True)
    )
    fund = selectors.funding(project)
    ledger = (
        selectors.ledger_list(user=user, project=project)
        if policy.paths_for(user, LedgerEntry, Action.VIEW)
        else None
    )
    return _page(
        request,
        "renewal/project_detail.html",
        {
            "title": project.name,
            "active": "projects",
            "project": project,
            "consultation": consultation,
            "signing": signing,
            "moves": _phase_moves(user, project),
            "chart": chart,
            "board": board,
            "states": states,
            "state_total": [
                (label, board["by_state"].get(s, 0), f"{hh_url}?project={project.pk}&state={s}")
                for s, label in states
            ],
            "by_block": rows(board["by_block"], "block"),
            "by_staff": rows(board["by_staff"], "staff"),
            "days": days,
            "not_visited": list(not_visited[:ATTENTION_ROWS]),
            "not_visited_count": not_visited.count(),
            "not_visited_url": _url(
                "renewal_households", project=project.pk, not_visited_days=days
            ),
            "open_concerns": list(open_concerns[:ATTENTION_ROWS]),
            "open_concerns_count": open_concerns.count(),
            "open_concerns_url": _url("renewal_households", project=project.pk, open_concerns=1),
            "funding": fund,
            "sources": [(dict(SourceKind.choices).get(k, k), v) for k, v in fund.by_source.items()],
            "categories": [
                (label, fund.committed_by_category.get(c, 0), fund.paid_by_category.get(c, 0))
                for c, label in EntryCategory.choices
            ],
            "ledger": list(ledger[:100]) if ledger is not None else None,
            "definitions": selectors.DEFINITIONS,
        },
    )


@login_required
@require_POST
def project_phase(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    project = selectors.project_get(user=user, pk=pk, action=Action.CHANGE)
    to_phase = request.POST.get("to_phase", "")
    try:
        services.project_move_phase(actor=user, project=project, to_phase=to_phase)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("项目已进入“%(p)s”阶段。") % {"p": Phase(to_phase).label})
    return redirect("renewal_project", pk=project.pk)


# --- households -------------------------------------------------------------------------------
def _state_label(h: Household) -> str:
    return str(selectors.STATE_LABELS[selectors.state_of(h)])


def _household_columns() -> list[Col]:
    return [
        Col(gettext_lazy("项目"), lambda h: h.project.name),
        Col(gettext_lazy("房屋"), str, lambda h: reverse("renewal_household", args=[h.pk])),
        Col(gettext_lazy("面积 (m²)"), lambda h: h.floor_area),
        Col(gettext_lazy("权属"), lambda h: h.get_tenure_display()),
        Col(gettext_lazy("联系人"), lambda h: h.contact.name if h.contact else ""),
        # Masked only: a list or export never shows a phone number in clear.
        Col(gettext_lazy("电话"), lambda h: h.contact.phone_masked if h.contact else ""),
        Col(gettext_lazy("状态"), _state_label),
        Col(gettext_lazy("负责人员"), lambda h: str(h.assigned_to or "")),
        Col(gettext_lazy("最近走访"), lambda h: _day(getattr(h, "last_visit", None))),
        Col(
            gettext_lazy("顾虑未解决"),
            lambda h: _("是") if getattr(h, "open_concern", False) else "",
        ),
    ]


@login_required
@require_GET
def household_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not policy.paths_for(user, Household, Action.VIEW):
        raise Http404
    form = HouseholdFilterForm(request.GET)
    qs = selectors.household_list(user=user, filters=form.filters()).order_by(
        "project_id", "block", "unit", "room", "pk"
    )
    columns = _household_columns()
    can_export = policy.can_any(user, Household, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        exported = policy.scope(user, Action.EXPORT, qs)
        return xlsx_response(
            [ExportColumn(c.label, c.value) for c in columns], exported.iterator(), "households"
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    table = [
        {"cells": [(c.value(h), c.link(h) if c.link else "") for c in columns], "class": ""}
        for h in page.object_list
    ]
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    query = params.urlencode()
    context = {
        "title": _("居民户"),
        "active": "households",
        "form": form,
        "headers": [c.label for c in columns],
        "table": table,
        "page": page,
        "query": query,
        "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
        "can_export": can_export,
    }
    if _htmx(request):
        return render(request, "renewal/partials/table.html", context)
    return _page(request, "renewal/households.html", context)


def _staff_for(household: Household) -> list[Any]:
    """Staff who may be made responsible for the household (the service checks again)."""
    users = (
        get_user_model()
        .objects.filter(memberships__role__in=FIELD_ROLES, is_active=True)
        .distinct()
        .order_by("username")[:300]
    )
    return [u for u in users if policy.can(u, Action.CHANGE, household)]


def _timeline(user: Any, household: Household, agreements: list[Agreement]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    if household.answer and household.answered_on:
        events.append(
            {
                "day": household.answered_on,
                "kind": "answer",
                "title": _("意愿征询答复：%(a)s") % {"a": household.get_answer_display()},
                "detail": "",
            }
        )
    for v in selectors.visit_list(user=user, project=household.project).filter(household=household):
        detail = "\n".join(
            f"{label}：{text}"
            for label, text in (
                (_("沟通内容"), v.discussed),
                (_("诉求与顾虑"), v.concerns),
                (_("承诺事项"), v.promises),
                (_("跟进情况"), v.follow_up),
            )
            if text
        )
        events.append(
            {
                "day": v.date,
                "kind": "visit",
                "title": _("走访（%(s)s%(m)s）%(o)s")
                % {
                    "s": v.staff,
                    "m": f" · {v.method}" if v.method else "",
                    "o": _(" · 顾虑未解决") if v.concern_open else "",
                },
                "detail": detail,
            }
        )
    for a in agreements:
        events.append(
            {
                "day": a.signed_on,
                "kind": "agreement",
                "title": _("签订协议 %(n)s（%(o)s，签约人 %(b)s）")
                % {"n": a.number, "o": a.option, "b": a.signed_by},
                "detail": _("补偿 %(c)s 元，过渡费/搬家费 %(r)s 元")
                % {"c": a.compensation, "r": a.relocation_allowance},
            }
        )
        if a.revoked_at:
            events.append(
                {
                    "day": a.revoked_at.date(),
                    "kind": "revoked",
                    "title": _("协议 %(n)s 已撤销（%(u)s）") % {"n": a.number, "u": a.revoked_by},
                    "detail": a.revoke_reason,
                }
            )
    for field, label in (
        ("moved_on", _("搬离")),
        ("keys_on", _("交钥匙")),
        ("inspected_on", _("验房")),
    ):
        day = getattr(household, field)
        if day:
            events.append({"day": day, "kind": "move", "title": label, "detail": ""})
    if policy.paths_for(user, Household, Action.CHANGE):
        for entry in history(household)[:50]:
            changes = entry.changes_dict or {}
            events.append(
                {
                    "day": entry.timestamp.date(),
                    "kind": "audit",
                    "title": _("记录修改（%(u)s）") % {"u": entry.actor or _("系统")},
                    "detail": "\n".join(
                        f"{k}: {v[0]} → {v[1]}"
                        for k, v in changes.items()
                        if k not in ("updated_at", "created_at", "version")
                    ),
                }
            )
    events.sort(key=lambda e: e["day"], reverse=True)
    return events


FORMS = ("answer", "sign", "move", "assign")


def _household_forms(
    household: Household, staff: list[Any], bound: tuple[str, Any] | None = None
) -> dict[str, Any]:
    initial = {"version": household.version}
    forms: dict[str, Any] = {
        "answer": AnswerForm(
            initial={**initial, "answer": household.answer, "answered_on": household.answered_on}
            if household.answered_on
            else {**initial, "answer": household.answer},
            prefix="answer",
        ),
        "sign": SignForm(initial=initial, options=household.project.options, prefix="sign"),
        "move": MoveForm(
            initial={
                **initial,
                "moved_on": household.moved_on,
                "keys_on": household.keys_on,
                "inspected_on": household.inspected_on,
            },
            prefix="move",
        ),
        "assign": AssignForm(
            initial={**initial, "assigned_to": household.assigned_to_id},
            staff=staff,
            prefix="assign",
        ),
    }
    if bound is not None:
        forms[bound[0]] = bound[1]
    return forms


def _bind(name: str, data: Any, household: Household, staff: list[Any]) -> Any:
    if name == "answer":
        return AnswerForm(data, prefix="answer")
    if name == "sign":
        return SignForm(data, options=household.project.options, prefix="sign")
    if name == "move":
        return MoveForm(data, prefix="move")
    return AssignForm(data, staff=staff, prefix="assign")


def _save(name: str, form: Any, user: Any, household: Household) -> str:
    cd = form.cleaned_data
    version = cd["version"]
    if name == "answer":
        services.household_record_answer(
            actor=user,
            household=household,
            expected_version=version,
            answer=cd["answer"] or "",
            on=cd["answered_on"],
        )
        return _("意愿已登记。")
    if name == "sign":
        services.agreement_sign(
            actor=user,
            household=household,
            expected_version=version,
            option=cd["option"],
            number=cd["number"],
            signed_on=cd["signed_on"],
            signed_by=cd["signed_by"],
            compensation=cd["compensation"],
            relocation_allowance=cd["relocation_allowance"],
        )
        return _("协议已签订。")
    if name == "move":
        services.household_record_move(
            actor=user,
            household=household,
            expected_version=version,
            moved_on=cd["moved_on"],
            keys_on=cd["keys_on"],
            inspected_on=cd["inspected_on"],
        )
        return _("搬场信息已登记。")
    services.household_assign(
        actor=user,
        household=household,
        expected_version=version,
        staff=form.staff[cd["assigned_to"]],
    )
    return _("负责人员已更新。")


@login_required
@require_http_methods(["GET", "POST"])
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    household = selectors.household_get(user=user, pk=pk)
    can_change = policy.can(user, Action.CHANGE, household)
    staff = _staff_for(household) if can_change else []
    bound: tuple[str, Any] | None = None
    revoke_form: RevokeForm | None = None
    status = 200
    if request.method == "POST":
        name = request.POST.get("form", "")
        if name == "revoke":
            return _revoke(request, household)
        if name not in FORMS:
            raise Http404
        if not can_change:
            raise NotPermitted(Action.CHANGE)
        form = _bind(name, request.POST, household, staff)
        if form.is_valid():
            try:
                message = _save(name, form, user, household)
            except services.StaleEdit as exc:
                _add_errors(form, exc)
                # Keep every value the user typed; the page now shows the latest record.
                data = request.POST.copy()
                household.refresh_from_db()
                data[f"{name}-version"] = str(household.version)
                form = _bind(name, data, household, staff)
                form.is_valid()
                _add_errors(form, exc)
                status = 409
            except ValidationError as exc:
                _add_errors(form, exc)
                status = 400
            else:
                messages.success(request, message)
                return redirect("renewal_household", pk=household.pk)
        else:
            status = 400
        bound = (name, form)
    agreements = list(
        policy.scope(
            user,
            Action.VIEW,
            Agreement.objects.filter(household=household).select_related("revoked_by"),
        )
    )
    live = next((a for a in agreements if a.revoked_at is None), None)
    if live is not None and policy.can(user, Action.DELETE, live):
        revoke_form = RevokeForm(prefix="revoke")
    forms = _household_forms(household, staff, bound)
    return _page(
        request,
        "renewal/household_detail.html",
        {
            "title": f"{household.project.name} {household}",
            "active": "households",
            "household": household,
            "state": _state_label(household),
            "can_change": can_change,
            "forms": [(n, forms[n], FORM_TITLES[n]) for n in FORMS],
            "open_form": bound[0] if bound else "",
            "agreements": agreements,
            "live": live,
            "revoke_form": revoke_form,
            "timeline": _timeline(user, household, agreements),
        },
        status=status,
    )


FORM_TITLES = {
    "answer": gettext_lazy("登记意愿"),
    "sign": gettext_lazy("签订协议"),
    "move": gettext_lazy("登记搬场交房"),
    "assign": gettext_lazy("分配负责人员"),
}


def _revoke(request: HttpRequest, household: Household) -> HttpResponse:
    user: Any = request.user
    live = (
        policy.scope(user, Action.VIEW, Agreement.objects.filter(household=household))
        .filter(revoked_at__isnull=True)
        .first()
    )
    if live is None:
        raise Http404
    if not policy.can(user, Action.DELETE, live):
        raise NotPermitted(Action.DELETE)
    form = RevokeForm(request.POST, prefix="revoke")
    if form.is_valid():
        try:
            services.agreement_revoke(
                actor=user, agreement=live, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("协议已撤销。"))
    else:
        messages.error(request, _("请填写撤销原因。"))
    return redirect("renewal_household", pk=household.pk)


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone-sized visit form."""
    user: Any = request.user
    household = selectors.household_get(user=user, pk=pk, action=Action.CHANGE)
    form = VisitForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.visit_record(
                    actor=user,
                    household=household,
                    day=cd["date"],
                    discussed=cd["discussed"],
                    concerns=cd["concerns"],
                    promises=cd["promises"],
                    follow_up=cd["follow_up"],
                    concern_open=cd["concern_open"],
                    method=cd["method"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("走访已记录。"))
                return redirect("renewal_household", pk=household.pk)
        else:
            status = 400
    return _page(
        request,
        "renewal/visit_form.html",
        {"title": _("记录走访"), "active": "households", "household": household, "form": form},
        status=status,
    )
