"""Pages of the business environment (营商环境). Views parse input, call a selector or a service,
and render; an htmx request gets only the fragment it swaps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import PUBLIC_ROLES, Role
from jiedao.business import selectors, services
from jiedao.business.forms import (
    ActionItemFilterForm,
    ActionMoveForm,
    AssignForm,
    BuildingProfileForm,
    BuildingSearchForm,
    CouncilMemberForm,
    DecisionFormSet,
    EnterpriseProfileForm,
    EnterpriseSearchForm,
    IssueRequestForm,
    LiaisonVisitForm,
    MeetingForm,
    PolicySearchForm,
    RateForm,
    RequestFilterForm,
    RequestForm,
    RequestTransitionForm,
    VacancyFilterForm,
    VacancyForm,
    ViewingFilterForm,
    ViewingForm,
    ViewingOutcomeForm,
    cleaned,
    lines,
)
from jiedao.business.models import (
    ACTION_TRANSITIONS,
    REQUEST_OPEN,
    REQUEST_TRANSITIONS,
    ActionItem,
    ActionState,
    BuildingProfile,
    Council,
    EnterpriseProfile,
    EnterpriseRequest,
    LiaisonAssignment,
    LiaisonVisit,
    Policy,
    RequestStatus,
    Vacancy,
    Viewing,
    ViewingOutcome,
)
from jiedao.core import figures
from jiedao.core.audit import action_label, describe_changes, history
from jiedao.core.exports import ExportColumn, xlsx_response
from jiedao.core.models import Enterprise, OfficeBuilding
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.views import Col
from jiedao.core.workdays import add_workdays

PAGE_SIZE = 50
SEARCH_ROWS = 8
RECENT_VISITS = 10
# What staff press to move a request to each status, and what each move must carry.
REQUEST_MOVES: dict[str, Any] = {
    RequestStatus.ACKNOWLEDGED: gettext_lazy("受理"),
    RequestStatus.IN_PROGRESS: gettext_lazy("开始办理"),
    RequestStatus.RESOLVED: gettext_lazy("已解决"),
    RequestStatus.REFERRED: gettext_lazy("转部门办理"),
    RequestStatus.CLOSED: gettext_lazy("关闭"),
}
NOTE_REQUIRED = frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED})
ACTION_MOVES: dict[str, Any] = {
    ActionState.IN_PROGRESS: gettext_lazy("开始推进"),
    ActionState.DONE: gettext_lazy("办结"),
    ActionState.CANCELLED: gettext_lazy("取消"),
}
ACTION_OPEN = frozenset({ActionState.OPEN, ActionState.IN_PROGRESS})
RATED = frozenset({RequestStatus.RESOLVED, RequestStatus.REFERRED, RequestStatus.CLOSED})
AUDIT_SKIP = frozenset({"escalated_at"})
COUNT_DEFINITIONS = {
    "requests": gettext_lazy("诉求总量 = 您有权查看的全部企业诉求数"),
    "overdue": gettext_lazy("已逾期 = 未办结且超过受理、答复或办结任一期限的诉求数"),
    "due_soon": gettext_lazy("即将到期 = 未办结且办结期限在一个工作日内的诉求数"),
    "vacancies": gettext_lazy("可租房源 = 状态为“可租”的空置房源数"),
    "by_month": gettext_lazy("按类型和月份 = 近12个月每月接收的各类型诉求数"),
}


# --- helpers --------------------------------------------------------------------------------
def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _staff_can(user: Any, model: type[Model], action: Action = Action.VIEW) -> bool:
    """Does the user hold `action` on `model` through a staff role (not only on own rows)?"""
    return bool(policy.paths_for(user, model, action))


def _require_staff(user: Any, *models: type[Model], action: Action = Action.VIEW) -> None:
    """Pages for staff only: to anyone holding none of these grants the page does not exist."""
    if not any(_staff_can(user, model, action) for model in models):
        raise Http404


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's errors on the form: on the field they name, else on the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _module_nav(user: Any) -> list[tuple[str, str, Any]]:
    """The module's own tabs, each shown only to those who may open it."""
    tabs: list[tuple[str, str, Any]] = []
    if _staff_can(user, EnterpriseRequest) or _staff_can(user, Council):
        tabs.append(("dashboard", reverse("business_dashboard"), _("看板")))
    if _staff_can(user, EnterpriseRequest):
        tabs.append(("requests", reverse("business_requests"), _("诉求")))
    elif policy.can_any(user, EnterpriseRequest, Action.VIEW):
        tabs.append(("requests", reverse("business_requests"), _("我的诉求")))
    if _staff_can(user, BuildingProfile) or _staff_can(user, Council):
        tabs.append(("buildings", reverse("business_buildings"), _("楼宇")))
    if _staff_can(user, EnterpriseProfile):
        tabs.append(("enterprises", reverse("business_enterprises"), _("企业")))
    if _staff_can(user, Council):
        tabs.append(("councils", reverse("business_councils"), _("楼务会")))
    if _staff_can(user, LiaisonAssignment):
        tabs.append(("liaison", reverse("business_liaison"), _("包联")))
    if _staff_can(user, Vacancy):
        tabs.append(("vacancies", reverse("business_vacancies"), _("房源")))
    if policy.can_any(user, Policy, Action.VIEW):
        tabs.append(("policies", reverse("business_policies"), _("政策库")))
    return tabs


def _page(request: HttpRequest, template: str, context: dict[str, Any], **kw: Any) -> HttpResponse:
    context.setdefault("business_nav", _module_nav(request.user))
    return render(request, template, context, **kw)


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _yes(value: bool | None) -> str:
    return str(_("是")) if value else ""


def _profile(obj: Any) -> Any:
    """A building's or enterprise's business profile, or None where none was recorded."""
    return getattr(obj, "profile", None)


def _url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _contact_name(e: Enterprise) -> str:
    return e.contact.name if e.contact is not None else ""


def _contact_phone(e: Enterprise) -> str:
    """Masked only: a page, list or export never shows a phone number in clear."""
    return e.contact.phone_masked if e.contact is not None else ""


@dataclass(frozen=True)
class Listing:
    """A list page's rows: the same columns render the table and the Excel export."""

    rows: QuerySet[Any] | list[Any]
    columns: list[Col]
    model: type[Model]
    export_name: str
    row_class: Callable[[Any], str] | None = None


def _list(
    request: HttpRequest, listing: Listing, template: str, context: dict[str, Any]
) -> HttpResponse:
    """Render a paginated list; `?export=xlsx` exports every row of it (masked, checked)."""
    user: Any = request.user
    can_export = policy.can_any(user, listing.model, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        rows: Iterable[Any] = listing.rows
        if isinstance(listing.rows, QuerySet):
            rows = policy.scope(user, Action.EXPORT, listing.rows).iterator()
        columns = [ExportColumn(c.label, c.value) for c in listing.columns]
        return xlsx_response(columns, rows, listing.export_name)
    page = Paginator(listing.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    table = [
        {
            "cells": [(c.value(obj), c.link(obj) if c.link else "") for c in listing.columns],
            "class": listing.row_class(obj) if listing.row_class else "",
        }
        for obj in page.object_list
    ]
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    query = params.urlencode()
    context.update(
        {
            "headers": [c.label for c in listing.columns],
            "table": table,
            "page": page,
            "query": query,
            "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
            "can_export": can_export,
        }
    )
    if _htmx(request):
        return render(request, "business/partials/table.html", context)
    return _page(request, template, context)


def _enterprise_search(user: Any, q: str) -> list[Enterprise]:
    if not q.strip() or not _staff_can(user, Enterprise):
        return []
    return list(selectors.enterprise_directory(user=user, q=q)[:SEARCH_ROWS])


def _search_text(request: HttpRequest, name: str = "enterprise_q") -> str:
    raw = request.GET.get(name) or request.GET.get("q") or ""
    return str(raw).replace("\x00", "")[:50]


@login_required
@require_GET
def enterprise_search(request: HttpRequest) -> HttpResponse:
    """Enterprises the user may see, by name or credit code, as radio choices (htmx)."""
    user: Any = request.user
    _require_staff(user, Enterprise)
    q = _search_text(request)
    return render(
        request,
        "business/partials/enterprise_results.html",
        {"q": q, "firms": _enterprise_search(user, q), "field": "enterprise"},
    )


# --- buildings ------------------------------------------------------------------------------
def _building_columns(user: Any) -> list[Col]:
    cols = [
        Col(
            gettext_lazy("楼宇"),
            lambda b: b.name,
            lambda b: reverse("business_building", args=[b.pk]),
        ),
        Col(gettext_lazy("地址"), lambda b: b.address),
        Col(gettext_lazy("层数"), lambda b: b.floors),
    ]
    if _staff_can(user, EnterpriseProfile):
        cols.append(
            Col(
                gettext_lazy("企业数"),
                lambda b: b.enterprise_count,
                lambda b: _url("business_enterprises", building=b.pk),
            )
        )
    else:
        cols.append(Col(gettext_lazy("企业数"), lambda b: b.enterprise_count))
    if _staff_can(user, BuildingProfile):
        cols += [
            Col(
                gettext_lazy("等级"),
                lambda b: _profile(b).get_grade_display() if _profile(b) else "",
            ),
            Col(gettext_lazy("重点楼宇"), lambda b: _yes(_profile(b) and _profile(b).is_key)),
            Col(
                gettext_lazy("入驻率 (%)"),
                lambda b: _profile(b).occupancy if _profile(b) else "",
            ),
            Col(
                gettext_lazy("楼宇党委"),
                lambda b: _profile(b).party_committee if _profile(b) else "",
            ),
        ]
    if _staff_can(user, Vacancy):
        cols.append(Col(gettext_lazy("可租房源"), lambda b: b.open_vacancies))
    if _staff_can(user, LiaisonAssignment):
        cols += [
            Col(gettext_lazy("包联领导"), lambda b: _liaison_field(b, "leader")),
            Col(gettext_lazy("结对科室"), lambda b: _liaison_field(b, "department")),
        ]
    return cols


def _liaison_field(building: OfficeBuilding, name: str) -> str:
    assignment = getattr(building, "liaison", None)
    return str(getattr(assignment, name)) if assignment is not None else ""


def _map_points(qs: QuerySet[OfficeBuilding]) -> list[dict[str, Any]]:
    """Each listed building with coordinates, for the map's scatter series (one query)."""
    rows = qs.values_list(
        "pk",
        "name",
        "longitude",
        "latitude",
        "enterprise_count",  # type: ignore[misc]  # annotated by the selector
    )
    return [
        {
            "name": name,
            "value": [float(lon), float(lat), count],
            "url": reverse("business_building", args=[pk]),
        }
        for pk, name, lon, lat, count in rows
        if lon is not None and lat is not None
    ]


@login_required
@require_GET
def building_list(request: HttpRequest) -> HttpResponse:
    """The building directory: a map of the listed buildings and the searchable list."""
    user: Any = request.user
    _require_staff(user, BuildingProfile, Council)
    form = BuildingSearchForm(request.GET)
    cd = cleaned(form)
    qs = selectors.building_directory(
        user=user, q=str(cd.get("q") or "").replace("\x00", ""), key_only=bool(cd.get("key"))
    )
    if cd.get("covered"):
        qs = qs.filter(pk__in=selectors.coverage(user=user).building_ids)
    listing = Listing(qs, _building_columns(user), OfficeBuilding, "buildings")
    context: dict[str, Any] = {
        "title": _("楼宇名录"),
        "form": form,
        "no_htmx": True,  # the map and the list change together: a full page per search
        "active": "buildings",
        "search_placeholder": _("楼宇名称或地址"),
    }
    if not _htmx(request) and request.GET.get("export") != "xlsx":
        context["map_points"] = _map_points(qs)
    return _list(request, listing, "business/buildings.html", context)


def _building_get(user: Any, pk: int) -> OfficeBuilding:
    building = selectors.building_directory(user=user).filter(pk=pk).first()
    if building is None:
        raise Http404
    return building


@dataclass
class BuildingForms:
    profile: BuildingProfileForm | None = None
    visit: LiaisonVisitForm | None = None
    vacancy: VacancyForm | None = None
    viewing: ViewingForm | None = None
    outcome: tuple[int, ViewingOutcomeForm] | None = None
    issue: tuple[str, IssueRequestForm] | None = None


def _building_can(user: Any, building: OfficeBuilding) -> dict[str, bool]:
    org = building.org_unit

    def can(model: type[Model], action: Action) -> bool:
        return policy.can_in_org(user, model, action, org)

    return {
        "profile": can(BuildingProfile, Action.VIEW),
        "profile_change": can(BuildingProfile, Action.CHANGE),
        "enterprises": _staff_can(user, Enterprise),
        "enterprise_page": _staff_can(user, EnterpriseProfile),
        "councils": _staff_can(user, Council),
        "liaison": can(LiaisonAssignment, Action.VIEW),
        "visit_add": can(LiaisonVisit, Action.ADD),
        "vacancies": can(Vacancy, Action.VIEW),
        "vacancy_add": can(Vacancy, Action.ADD),
        "viewing_add": can(Viewing, Action.ADD),
        "viewing_change": can(Viewing, Action.CHANGE),
        "requests": _staff_can(user, EnterpriseRequest),
        "request_add": can(EnterpriseRequest, Action.ADD),
    }


def _issue_cards(
    user: Any,
    visit: LiaisonVisit,
    filed: dict[tuple[int, str], EnterpriseRequest],
    building_firms: QuerySet[Enterprise],
    can_file: bool,
    bound: tuple[str, IssueRequestForm] | None,
    default_type: int | None,
) -> list[dict[str, Any]]:
    """Each issue of a visit, with the request filed from it or the form that files one.

    The form comes filled in (the first enterprise visited, the difficulty / other type) so
    that one press files the request.
    """
    visited = list(visit.enterprises.all())
    cards = []
    for n, issue in enumerate(visit.issues or []):
        prefix = f"i{visit.pk}-{n}"
        request = filed.get((visit.pk, issue[:200]))
        form = None
        if request is None and can_file:
            if bound is not None and bound[0] == prefix:
                form = bound[1]
            else:
                firms = (
                    building_firms.filter(pk__in=[e.pk for e in visited])
                    if visited
                    else building_firms
                )
                form = IssueRequestForm(
                    enterprises=firms,
                    types=selectors.request_types(),
                    prefix=prefix,
                    initial={
                        "enterprise": visited[0].pk if visited else None,
                        "rtype": default_type,
                    },
                )
        cards.append({"n": n, "text": issue, "request": request, "form": form})
    return cards


def _building_page(
    request: HttpRequest,
    building: OfficeBuilding,
    forms: BuildingForms | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    bound = forms or BuildingForms()
    can = _building_can(user, building)
    profile = _profile(building)
    firms = (
        selectors.enterprise_directory(user=user, building=building.pk)
        if can["enterprises"]
        else Enterprise.objects.none()
    )
    context: dict[str, Any] = {
        "building": building,
        "title": building.name,
        "profile": profile,
        "can": can,
        "enterprises": list(firms) if can["enterprises"] else [],
        "active": "buildings",
    }
    if can["profile_change"]:
        context["profile_form"] = bound.profile or BuildingProfileForm(
            initial=model_to_dict(profile) if profile else None
        )
    if can["councils"]:
        context["councils"] = selectors.council_list(user=user).filter(buildings=building)
    if can["liaison"]:
        rows = [
            r for r in selectors.liaison_rows(user=user) if r.assignment.building_id == building.pk
        ]
        context["liaison"] = rows[0] if rows else None
        visits = list(
            selectors.liaison_visit_list(user=user)
            .filter(building=building)
            .prefetch_related("enterprises")[:RECENT_VISITS]
        )
        filed: dict[tuple[int, str], EnterpriseRequest] = {}
        if can["requests"] and visits:
            for r in selectors.request_list(user=user).filter(liaison_visit__in=visits):
                filed[(r.liaison_visit_id or 0, r.title)] = r
        types = list(selectors.request_types()) if can["request_add"] and visits else []
        default_type = next((t.pk for t in types if not t.is_free_service), None) or next(
            (t.pk for t in types), None
        )
        context["visits"] = [
            (v, _issue_cards(user, v, filed, firms, can["request_add"], bound.issue, default_type))
            for v in visits
        ]
        if can["visit_add"]:
            context["visit_form"] = bound.visit or LiaisonVisitForm(enterprises=firms)
    if can["vacancies"]:
        vacancies = list(selectors.vacancy_list(user=user).filter(building=building))
        viewings = list(selectors.viewing_list(user=user).filter(vacancy__building=building))
        by_vacancy: dict[int, list[Any]] = {}
        for viewing in viewings:
            outcome_form = None
            if can["viewing_change"] and viewing.outcome == ViewingOutcome.BOOKED:
                if bound.outcome is not None and bound.outcome[0] == viewing.pk:
                    outcome_form = bound.outcome[1]
                else:
                    outcome_form = ViewingOutcomeForm(prefix=f"o{viewing.pk}")
            by_vacancy.setdefault(viewing.vacancy_id, []).append((viewing, outcome_form))
        context["vacancies"] = [(v, by_vacancy.get(v.pk, [])) for v in vacancies]
        if can["vacancy_add"]:
            context["vacancy_form"] = bound.vacancy or VacancyForm()
        open_vacancies = selectors.vacancy_list(user=user, open_only=True).filter(building=building)
        if can["viewing_add"] and open_vacancies.exists():
            only = [v.pk for v in open_vacancies[:2]]
            form = bound.viewing or ViewingForm(
                vacancies=open_vacancies,
                enterprises=selectors.enterprise_directory(user=user),
                initial={
                    "date": timezone.localdate(),
                    "vacancy": only[0] if len(only) == 1 else None,
                },
            )
            context["viewing_form"] = form
            context["viewing_choice"] = form.chosen_enterprise()
    if can["requests"]:
        context["open_requests"] = (
            selectors.request_list(user=user)
            .filter(enterprise__building=building, status__in=REQUEST_OPEN)
            .order_by("resolve_due", "id")
        )
        context["today"] = timezone.localdate()
    return _page(request, "business/building_detail.html", context, status=status)


@login_required
@require_GET
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request.user, BuildingProfile, Council)
    return _building_page(request, _building_get(request.user, pk))


@login_required
@require_POST
def building_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    building = _building_get(user, pk)
    form = BuildingProfileForm(request.POST)
    if form.is_valid():
        try:
            services.building_profile_save(actor=user, building=building, data=form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已保存楼宇档案。"))
            return redirect("business_building", pk=building.pk)
    return _building_page(request, building, BuildingForms(profile=form))


@login_required
@require_POST
def liaison_visit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    building = _building_get(user, pk)
    policy.require_in_org(user, LiaisonVisit, Action.ADD, building.org_unit)
    firms = selectors.enterprise_directory(user=user, building=building.pk)
    form = LiaisonVisitForm(request.POST, enterprises=firms)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.liaison_visit_record(
                actor=user,
                building=building,
                day=cd["date"],
                visitors=[user],
                enterprises=list(cd["enterprises"]),
                issues=lines(cd["issues"]),
                note=cd["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已记录走访。"))
            return redirect(reverse("business_building", args=[building.pk]) + "#liaison")
    return _building_page(request, building, BuildingForms(visit=form))


@login_required
@require_POST
def issue_request(request: HttpRequest, pk: int, n: int) -> HttpResponse:
    """Turn the n-th issue raised on a liaison visit into an enterprise request."""
    user: Any = request.user
    visit = selectors.liaison_visit_list(user=user).filter(pk=pk).first()
    if visit is None or n >= len(visit.issues or []):
        raise Http404
    building = _building_get(user, visit.building_id)
    policy.require_in_org(user, EnterpriseRequest, Action.ADD, building.org_unit)
    issue = str(visit.issues[n])
    already = selectors.request_list(user=user).filter(liaison_visit=visit, title=issue[:200])
    if already.exists():
        messages.info(request, _("该问题已转为诉求。"))
        return redirect("business_request", pk=already.first().pk)  # type: ignore[union-attr]
    prefix = f"i{visit.pk}-{n}"
    firms = selectors.enterprise_directory(user=user, building=building.pk)
    form = IssueRequestForm(
        request.POST, enterprises=firms, types=selectors.request_types(), prefix=prefix
    )
    if form.is_valid():
        try:
            filed = services.request_file(
                actor=user,
                enterprise=form.cleaned_data["enterprise"],
                rtype=form.cleaned_data["rtype"],
                title=issue[:200],
                description=issue,
                liaison_visit=visit,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已转为诉求 %(number)s。") % {"number": filed.number})
            return redirect("business_request", pk=filed.pk)
    return _building_page(request, building, BuildingForms(issue=(prefix, form)))


@login_required
@require_POST
def vacancy_create(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    building = _building_get(user, pk)
    policy.require_in_org(user, Vacancy, Action.ADD, building.org_unit)
    form = VacancyForm(request.POST)
    if form.is_valid():
        try:
            services.vacancy_create(actor=user, building=building, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已登记空置房源。"))
            return redirect(reverse("business_building", args=[building.pk]) + "#vacancies")
    return _building_page(request, building, BuildingForms(vacancy=form))


@login_required
@require_POST
def viewing_book(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    building = _building_get(user, pk)
    policy.require_in_org(user, Viewing, Action.ADD, building.org_unit)
    form = ViewingForm(
        request.POST,
        vacancies=selectors.vacancy_list(user=user, open_only=True).filter(building=building),
        enterprises=selectors.enterprise_directory(user=user),
    )
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.viewing_book(
                actor=user,
                vacancy=cd["vacancy"],
                day=cd["date"],
                enterprise=cd["enterprise"],
                prospect_name=cd["prospect_name"],
                note=cd["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已预约带看。"))
            return redirect(reverse("business_building", args=[building.pk]) + "#vacancies")
    return _building_page(request, building, BuildingForms(viewing=form))


@login_required
@require_POST
def viewing_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    viewing = selectors.viewing_list(user=user).filter(pk=pk).first()
    if viewing is None:
        raise Http404
    building = _building_get(user, viewing.vacancy.building_id)
    form = ViewingOutcomeForm(request.POST, prefix=f"o{viewing.pk}")
    if form.is_valid():
        try:
            services.viewing_record_outcome(
                actor=user,
                viewing=viewing,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已记录带看结果。"))
            return redirect(reverse("business_building", args=[building.pk]) + "#vacancies")
    return _building_page(request, building, BuildingForms(outcome=(viewing.pk, form)))


# --- enterprises ----------------------------------------------------------------------------
def _enterprise_columns() -> list[Col]:
    def prof(attr: str) -> Callable[[Enterprise], Any]:
        def value(e: Enterprise) -> Any:
            p = _profile(e)
            return getattr(p, attr) if p is not None else ""

        return value

    return [
        Col(
            gettext_lazy("企业名称"),
            lambda e: e.name,
            lambda e: reverse("business_enterprise", args=[e.pk]),
        ),
        Col(gettext_lazy("统一社会信用代码"), lambda e: e.credit_code),
        Col(
            gettext_lazy("楼宇"),
            lambda e: e.building.name if e.building else "",
            lambda e: reverse("business_building", args=[e.building_id]) if e.building_id else "",
        ),
        Col(gettext_lazy("楼层"), lambda e: e.floor if e.floor is not None else ""),
        Col(gettext_lazy("行业"), prof("industry")),
        Col(gettext_lazy("白领人数"), prof("white_collar_count")),
        Col(gettext_lazy("重点企业"), lambda e: _yes(prof("is_key")(e))),
        Col(gettext_lazy("入驻日期"), lambda e: _day(prof("moved_in")(e) or None)),
        Col(gettext_lazy("迁出日期"), lambda e: _day(prof("moved_out")(e) or None)),
        Col(gettext_lazy("联系人"), _contact_name),
        Col(gettext_lazy("联系电话"), _contact_phone),
    ]


@login_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user, EnterpriseProfile)
    form = EnterpriseSearchForm(request.GET)
    cd = cleaned(form)
    qs = selectors.enterprise_directory(
        user=user, q=str(cd.get("q") or "").replace("\x00", ""), building=cd.get("building")
    )
    if cd.get("key"):
        qs = qs.filter(profile__is_key=True)
    if cd.get("covered"):
        # The rows the coverage figure counts: in a covered building and not moved out.
        covered = selectors.coverage(user=user).building_ids
        qs = qs.filter(building_id__in=covered).exclude(profile__moved_out__isnull=False)
    listing = Listing(qs, _enterprise_columns(), Enterprise, "enterprises")
    context = {
        "title": _("企业名录"),
        "form": form,
        "active": "enterprises",
        "search_placeholder": _("企业名称或统一社会信用代码"),
    }
    return _list(request, listing, "business/list.html", context)


def _enterprise_get(user: Any, pk: int) -> Enterprise:
    enterprise = selectors.enterprise_directory(user=user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


def _enterprise_page(
    request: HttpRequest,
    enterprise: Enterprise,
    form: EnterpriseProfileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    org = enterprise.org_unit
    profile = _profile(enterprise)
    can_profile = policy.can_in_org(user, EnterpriseProfile, Action.VIEW, org)
    can_edit = policy.can_in_org(user, EnterpriseProfile, Action.CHANGE, org)
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "title": enterprise.name,
        "profile": profile if can_profile else None,
        "can_profile": can_profile,
        "contact_name": _contact_name(enterprise),
        "contact_phone": _contact_phone(enterprise),
        "building_link": _staff_can(user, BuildingProfile) and enterprise.building_id,
        "requests": selectors.request_list(
            user=user, filters=selectors.RequestFilters(enterprise=enterprise.pk)
        ),
        "viewings": selectors.viewing_list(user=user).filter(enterprise=enterprise),
        "can_file": _can_file_for(user, enterprise),
        "active": "enterprises" if _staff_can(user, EnterpriseProfile) else "requests",
    }
    if can_edit:
        context["profile_form"] = form or EnterpriseProfileForm(
            initial=model_to_dict(profile) if profile else None
        )
    return _page(request, "business/enterprise_detail.html", context, status=status)


@login_required
@require_GET
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _enterprise_page(request, _enterprise_get(request.user, pk))


@login_required
@require_POST
def enterprise_profile(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    enterprise = _enterprise_get(user, pk)
    form = EnterpriseProfileForm(request.POST)
    if form.is_valid():
        try:
            _profile_obj, changed = services.enterprise_profile_save(
                actor=user, enterprise=enterprise, data=form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已保存企业档案。") if changed else _("没有改动。"))
            return redirect("business_enterprise", pk=enterprise.pk)
    return _enterprise_page(request, enterprise, form)


# --- councils -------------------------------------------------------------------------------
def _coverage_figures(user: Any) -> list[dict[str, Any]]:
    """The coverage figures, each with its definition and a link to the rows it counts."""
    # One number everywhere: the registry's figures, read from the roll-ups.
    cov = figures.for_user(
        user,
        Council,
        [
            "business.councils",
            "business.covered_buildings",
            "business.covered_enterprises",
            "business.covered_workers",
        ],
    )
    d = selectors.DEFINITIONS
    firms_url = (
        _url("business_enterprises", covered=1) if _staff_can(user, EnterpriseProfile) else ""
    )
    return [
        {
            "key": "councils",
            "label": _("楼务会"),
            "value": cov["business.councils"],
            "definition": d["councils"],
            "url": reverse("business_councils"),
        },
        {
            "key": "buildings",
            "label": _("覆盖楼宇"),
            "value": cov["business.covered_buildings"],
            "definition": d["buildings"],
            "url": _url("business_buildings", covered=1),
        },
        {
            "key": "enterprises",
            "label": _("覆盖企业"),
            "value": cov["business.covered_enterprises"],
            "definition": d["enterprises"],
            "url": firms_url,
        },
        {
            "key": "white_collar",
            "label": _("覆盖白领"),
            "value": cov["business.covered_workers"],
            "definition": d["white_collar"],
            "url": firms_url,
        },
    ]


def _council_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("楼务会"),
            lambda c: c.name,
            lambda c: reverse("business_council", args=[c.pk]),
        ),
        Col(gettext_lazy("品牌"), lambda c: c.brand),
        Col(gettext_lazy("所属组织"), lambda c: c.org_unit.name),
        Col(gettext_lazy("覆盖楼宇"), lambda c: c.building_count),
        Col(gettext_lazy("召集人"), lambda c: c.convener),
        Col(gettext_lazy("秘书长"), lambda c: c.secretary_general),
        Col(gettext_lazy("汇报的楼宇党委"), lambda c: c.party_committee),
        Col(gettext_lazy("逾期议定事项"), lambda c: c.overdue_actions),
    ]


@login_required
@require_GET
def council_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user, Council)
    listing = Listing(
        selectors.council_list(user=user).order_by("name", "pk"),
        _council_columns(),
        Council,
        "councils",
        row_class=lambda c: "late" if c.overdue_actions else "",
    )
    context: dict[str, Any] = {"title": _("楼务会（和矩阵）"), "active": "councils"}
    if not _htmx(request):
        context["figures"] = _coverage_figures(user)
    return _list(request, listing, "business/councils.html", context)


def _action_card(item: ActionItem, can_change: bool, form: ActionMoveForm | None = None) -> dict:
    today = timezone.localdate()
    order = list(ActionState.values)
    moves = sorted(ACTION_TRANSITIONS.get(item.state, frozenset()), key=order.index)
    return {
        "item": item,
        "late": item.state in ACTION_OPEN and item.deadline < today,
        "moves": [(s, ACTION_MOVES.get(s, ActionState(s).label)) for s in moves]
        if can_change
        else [],
        "form": form or ActionMoveForm(prefix=f"a{item.pk}"),
    }


@dataclass
class CouncilForms:
    member: CouncilMemberForm | None = None
    meeting: MeetingForm | None = None
    decisions: Any = None
    action: tuple[int, ActionMoveForm] | None = None


def _council_page(
    request: HttpRequest,
    council: Council,
    forms: CouncilForms | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    bound = forms or CouncilForms()
    can_change = policy.can(user, Action.CHANGE, council)
    buildings = selectors.building_directory(user=user).filter(councils=council)
    items = selectors.action_item_list(user=user).filter(council=council)
    cards = []
    for item in items:
        form = bound.action[1] if bound.action and bound.action[0] == item.pk else None
        cards.append(_action_card(item, can_change, form))
    context: dict[str, Any] = {
        "council": council,
        "title": council.name,
        "buildings": buildings,
        "building_links": _staff_can(user, BuildingProfile),
        "members": council.members.select_related("enterprise"),
        "meetings": selectors.meeting_list(user=user)
        .filter(council=council)
        .prefetch_related("action_items"),
        "actions": cards,
        "overdue_count": sum(1 for c in cards if c["late"]),
        "can_change": can_change,
        "active": "councils",
    }
    if can_change:
        firms = selectors.enterprise_directory(user=user).filter(building__councils=council)
        context["member_form"] = bound.member or CouncilMemberForm(enterprises=firms)
        context["meeting_form"] = bound.meeting or MeetingForm()
        context["decisions"] = bound.decisions or DecisionFormSet(prefix="d")
    return _page(request, "business/council_detail.html", context, status=status)


@login_required
@require_GET
def council_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _council_page(request, selectors.council_get(user=request.user, pk=pk))


@login_required
@require_POST
def council_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    council = selectors.council_get(user=user, pk=pk, action=Action.CHANGE)
    firms = selectors.enterprise_directory(user=user).filter(building__councils=council)
    form = CouncilMemberForm(request.POST, enterprises=firms)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.council_member_add(
                actor=user,
                council=council,
                kind=cd["kind"],
                role=cd["role"],
                enterprise=cd["enterprise"],
                name=cd["name"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已添加成员单位。"))
            return redirect(reverse("business_council", args=[council.pk]) + "#members")
    return _council_page(request, council, CouncilForms(member=form))


@login_required
@require_POST
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a meeting; each filled decision row becomes an action item."""
    user: Any = request.user
    council = selectors.council_get(user=user, pk=pk, action=Action.CHANGE)
    form = MeetingForm(request.POST)
    decisions = DecisionFormSet(request.POST, prefix="d")
    if form.is_valid() and decisions.is_valid():
        cd = form.cleaned_data
        rows = [d for d in (f.decision() for f in decisions.forms) if d is not None]
        try:
            meeting = services.meeting_record(
                actor=user,
                council=council,
                kind=cd["kind"],
                day=cd["date"],
                title=cd["title"],
                agenda=cd["agenda"],
                minutes=cd["minutes"],
                attendees=lines(cd["attendees"]),
                experts=lines(cd["experts"]),
                departments=lines(cd["departments"]),
                decisions=rows,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("已记录会议，%(n)s 项决定已转为议定事项。") % {"n": meeting.action_items.count()},
            )
            return redirect(reverse("business_council", args=[council.pk]) + "#actions")
    return _council_page(request, council, CouncilForms(meeting=form, decisions=decisions))


@login_required
@require_POST
def action_move(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    item = selectors.action_item_list(user=user).filter(pk=pk).first()
    if item is None:
        raise Http404
    if not policy.can(user, Action.CHANGE, item):
        raise NotPermitted(Action.CHANGE)
    form = ActionMoveForm(request.POST, prefix=f"a{item.pk}")
    moved = False
    if form.is_valid():
        try:
            services.action_item_move(
                actor=user,
                item=item,
                to_state=form.cleaned_data["to_state"],
                result=form.cleaned_data["result"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            moved = True
    if _htmx(request):
        item.refresh_from_db()
        card = _action_card(item, True, None if moved else form)
        return render(request, "business/partials/action_item.html", {"a": card})
    if moved:
        messages.success(
            request, _("议定事项已改为“%(state)s”。") % {"state": item.get_state_display()}
        )
        return redirect(reverse("business_council", args=[item.council_id]) + "#actions")
    item.refresh_from_db()
    return _council_page(request, item.council, CouncilForms(action=(item.pk, form)))


def _action_columns() -> list[Col]:
    return [
        Col(gettext_lazy("议定事项"), lambda a: a.title),
        Col(
            gettext_lazy("楼务会"),
            lambda a: a.council.name,
            lambda a: reverse("business_council", args=[a.council_id]) + "#actions",
        ),
        Col(gettext_lazy("会议"), lambda a: str(a.meeting)),
        Col(gettext_lazy("责任单位/人"), lambda a: a.owner),
        Col(gettext_lazy("完成时限"), lambda a: _day(a.deadline)),
        Col(gettext_lazy("状态"), lambda a: a.get_state_display()),
        Col(gettext_lazy("办理结果"), lambda a: a.result),
        Col(gettext_lazy("办结时间"), lambda a: _local(a.closed_at)),
    ]


@login_required
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user, ActionItem)
    form = ActionItemFilterForm(request.GET)
    cd = cleaned(form)
    qs = selectors.action_item_list(user=user, overdue=bool(cd.get("overdue")))
    if cd.get("state"):
        qs = qs.filter(state=cd["state"])
    today = timezone.localdate()
    listing = Listing(
        qs,
        _action_columns(),
        ActionItem,
        "action-items",
        row_class=lambda a: "late" if a.state in ACTION_OPEN and a.deadline < today else "",
    )
    context = {"title": _("议定事项"), "form": form, "active": "councils"}
    return _list(request, listing, "business/list.html", context)


# --- requests -------------------------------------------------------------------------------
def _due_flag(r: EnterpriseRequest, today: date, soon_until: date, now: datetime) -> str:
    if r.status not in REQUEST_OPEN:
        return ""
    late = (
        (r.acknowledged_at is None and r.ack_due < now)
        or (r.first_response_at is None and r.response_due < today)
        or r.resolve_due < today
    )
    if late:
        return str(_("已逾期"))
    if today <= r.resolve_due <= soon_until:
        return str(_("即将到期"))
    return ""


def _request_columns() -> tuple[list[Col], Callable[[EnterpriseRequest], str]]:
    today = timezone.localdate()
    now = timezone.now()
    soon_until = add_workdays(today, selectors.DUE_SOON_WORKDAYS)

    def flag(r: EnterpriseRequest) -> str:
        return _due_flag(r, today, soon_until, now)

    columns = [
        Col(
            gettext_lazy("编号"),
            lambda r: r.number,
            lambda r: reverse("business_request", args=[r.pk]),
        ),
        Col(gettext_lazy("企业"), lambda r: r.enterprise.name),
        Col(
            gettext_lazy("楼宇"),
            lambda r: r.enterprise.building.name if r.enterprise.building else "",
        ),
        Col(gettext_lazy("类型"), lambda r: r.type.name),
        Col(gettext_lazy("标题"), lambda r: r.title),
        Col(gettext_lazy("状态"), lambda r: r.get_status_display()),
        Col(gettext_lazy("接收时间"), lambda r: _local(r.received_at)),
        Col(gettext_lazy("办结期限"), lambda r: _day(r.resolve_due)),
        Col(gettext_lazy("期限"), flag),
        Col(gettext_lazy("承办人"), lambda r: str(r.assigned_to) if r.assigned_to else ""),
        Col(gettext_lazy("联系人"), lambda r: _contact_name(r.enterprise)),
        Col(gettext_lazy("联系电话"), lambda r: _contact_phone(r.enterprise)),
        Col(gettext_lazy("评价"), lambda r: r.rating if r.rating is not None else ""),
    ]
    return columns, lambda r: "late" if flag(r) == str(_("已逾期")) else ""


def _own_enterprises(user: Any) -> QuerySet[Enterprise]:
    """The enterprises whose contact the user is: they may file requests for these."""
    if not policy.has_role(user, PUBLIC_ROLES):
        return Enterprise.objects.none()
    return selectors.enterprise_directory(user=user).filter(contact__user=user)


def _can_file_for(user: Any, enterprise: Enterprise) -> bool:
    own = enterprise.contact is not None and enterprise.contact.user_id == user.pk
    return own or policy.can_in_org(user, EnterpriseRequest, Action.ADD, enterprise.org_unit)


def _request_form(request: HttpRequest, data: Any = None) -> RequestForm | None:
    """The new-request form: staff search any enterprise; a contact picks among their own."""
    user: Any = request.user
    own = _own_enterprises(user)
    staff = _staff_can(user, EnterpriseRequest, Action.ADD)
    if not staff and not own.exists():
        return None
    initial: dict[str, int] = {}
    if data is None:
        # Opened from an enterprise's or a policy's page: that enterprise or policy is chosen.
        for name in ("enterprise", "policy"):
            raw = str(request.GET.get(name) or "")
            if raw.isdigit():
                initial[name] = int(raw)
    return RequestForm(
        data,
        enterprises=selectors.enterprise_directory(user=user) if staff else own,
        types=selectors.request_types(),
        policies=selectors.policy_list(user=user),
        pick_from_list=not staff,
        initial=initial,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_list(request: HttpRequest) -> HttpResponse:
    """The request desk: filtered list, export, and the form to file a new request."""
    user: Any = request.user
    if not policy.can_any(user, EnterpriseRequest, Action.VIEW):
        raise Http404
    staff = _staff_can(user, EnterpriseRequest)
    form = _request_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form is None:
            raise NotPermitted(Action.ADD)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                filed = services.request_file(
                    actor=user,
                    enterprise=cd["enterprise"],
                    rtype=cd["rtype"],
                    title=cd["title"],
                    description=cd["description"],
                    policy_doc=cd["policy"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("已登记诉求 %(number)s。") % {"number": filed.number})
                return redirect("business_request", pk=filed.pk)
    filters = RequestFilterForm(request.GET, types=selectors.request_types())
    qs = selectors.request_list(user=user, filters=filters.to_filters()).select_related(
        "enterprise__contact"
    )
    if filters.rated_only():
        qs = qs.filter(rating__isnull=False)
    columns, row_class = _request_columns()
    listing = Listing(qs, columns, EnterpriseRequest, "requests", row_class=row_class)
    enterprise_q = _search_text(request) if request.method == "GET" and staff else ""
    context: dict[str, Any] = {
        "title": _("企业诉求") if staff else _("我的诉求"),
        "form": filters,
        "request_form": form,
        "staff": staff,
        "enterprise_q": enterprise_q,
        "firms": _enterprise_search(user, enterprise_q),
        "enterprise_choice": form.chosen_enterprise() if form is not None else None,
        "active": "requests",
        "search_placeholder": _("编号、标题或企业"),
    }
    if form is not None and not form.is_bound and form.initial.get("enterprise"):
        context["enterprise_choice"] = form.enterprises.filter(
            pk=form.initial["enterprise"]
        ).first()
    return _list(request, listing, "business/requests.html", context)


@dataclass(frozen=True)
class Event:
    """One line of a request's timeline."""

    at: datetime
    kind: str
    title: str
    detail: str
    actor: str


def _timeline(user: Any, req: EnterpriseRequest) -> list[Event]:
    """Transitions and (for staff) the audit history, merged by time."""
    labels = dict(RequestStatus.choices)
    events = []
    for tr in req.transitions.select_related("actor"):
        title = (
            _("%(from)s → %(to)s")
            % {"from": labels.get(tr.from_status), "to": labels[tr.to_status]}
            if tr.from_status
            else str(labels[tr.to_status])
        )
        detail = tr.note
        if tr.to_status == RequestStatus.REFERRED and req.referred_to:
            detail = f"{_('转办部门')}：{req.referred_to}\n{detail}".strip()
        events.append(Event(tr.at, "transition", title, detail, str(tr.actor) if tr.actor else ""))
    if policy.roles(user) - PUBLIC_ROLES:
        for entry in history(req)[:50]:
            events.append(
                Event(
                    entry.timestamp,
                    "audit",
                    action_label(entry),
                    describe_changes(entry, EnterpriseRequest, AUDIT_SKIP),
                    str(entry.actor) if entry.actor else "",
                )
            )
    return sorted(events, key=lambda e: e.at)


def _can_rate(user: Any, req: EnterpriseRequest) -> bool:
    contact = req.enterprise.contact
    return (
        contact is not None
        and contact.user_id == user.pk
        and req.status in RATED
        and req.resolved_at is not None
        and req.rating is None
    )


def _request_page(
    request: HttpRequest,
    req: EnterpriseRequest,
    *,
    transition_form: RequestTransitionForm | None = None,
    assign_form: AssignForm | None = None,
    rate_form: RateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    can_change = policy.can(user, Action.CHANGE, req)
    order = list(RequestStatus.values)
    moves = sorted(REQUEST_TRANSITIONS.get(req.status, frozenset()), key=order.index)
    today = timezone.localdate()
    staff_list = (
        [(u.pk, str(u)) for u in selectors.request_assignee_list(user=user)] if can_change else []
    )
    context: dict[str, Any] = {
        "req": req,
        "title": req.number,
        "timeline": _timeline(user, req),
        "can_change": can_change,
        "staff": _staff_can(user, EnterpriseRequest),
        "moves": [
            (s, REQUEST_MOVES.get(s, RequestStatus(s).label), s in NOTE_REQUIRED) for s in moves
        ],
        "transition_form": transition_form or RequestTransitionForm(),
        "assign_form": assign_form
        or (
            AssignForm(staff=staff_list, initial={"assigned_to": req.assigned_to_id})
            if staff_list
            else None
        ),
        "rate_form": rate_form or (RateForm() if _can_rate(user, req) else None),
        "due_flag": _due_flag(
            req, today, add_workdays(today, selectors.DUE_SOON_WORKDAYS), timezone.now()
        ),
        "contact_name": _contact_name(req.enterprise),
        "contact_phone": _contact_phone(req.enterprise),
        "enterprise_link": _staff_can(user, EnterpriseProfile)
        or (req.enterprise.contact is not None and req.enterprise.contact.user_id == user.pk),
        "viewings": selectors.viewing_list(user=user).filter(request=req),
        "active": "requests",
    }
    return _page(request, "business/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _request_page(request, selectors.request_get(user=request.user, pk=pk))


@login_required
@require_POST
def request_transition(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = selectors.request_get(user=user, pk=pk, action=Action.CHANGE)
    form = RequestTransitionForm(request.POST)
    if form.is_valid():
        try:
            services.request_transition(
                actor=user,
                request=req,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
                referred_to=form.cleaned_data["referred_to"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("诉求已改为“%(status)s”。") % {"status": req.get_status_display()}
            )
            return redirect("business_request", pk=req.pk)
    req.refresh_from_db()
    return _request_page(request, req, transition_form=form)


@login_required
@require_POST
def request_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = selectors.request_get(user=user, pk=pk, action=Action.CHANGE)
    staff = selectors.request_assignee_list(user=user)
    form = AssignForm(request.POST, staff=[(u.pk, str(u)) for u in staff])
    if form.is_valid():
        try:
            services.request_assign(
                actor=user, request=req, assignee=staff.get(pk=form.cleaned_data["assigned_to"])
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已交由 %(who)s 承办。") % {"who": req.assigned_to})
            return redirect("business_request", pk=req.pk)
    return _request_page(request, req, assign_form=form)


@login_required
@require_POST
def request_rate(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    req = selectors.request_get(user=user, pk=pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.request_rate(
                actor=user,
                request=req,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect("business_request", pk=req.pk)
    return _request_page(request, req, rate_form=form)


# --- liaison --------------------------------------------------------------------------------
def _liaison_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("楼宇"),
            lambda r: r.assignment.building.name,
            lambda r: reverse("business_building", args=[r.assignment.building_id]) + "#liaison",
        ),
        Col(gettext_lazy("包联领导"), lambda r: str(r.assignment.leader)),
        Col(gettext_lazy("结对科室"), lambda r: r.assignment.department),
        Col(gettext_lazy("走访周期（天）"), lambda r: r.assignment.interval_days),
        Col(gettext_lazy("最近走访"), lambda r: _day(r.last_visit)),
        Col(gettext_lazy("应走访日期"), lambda r: _day(r.due_on)),
        Col(gettext_lazy("状态"), lambda r: str(_("待走访")) if r.is_due else str(_("正常"))),
    ]


@login_required
@require_GET
def liaison_list(request: HttpRequest) -> HttpResponse:
    """The leaders' liaison buildings; a subdistrict leader sees their own by default."""
    user: Any = request.user
    _require_staff(user, LiaisonAssignment)
    leader = policy.has_role(user, {Role.SUBDISTRICT_LEADER})
    mine = request.GET.get("mine", "1" if leader else "") == "1"
    due_only = request.GET.get("due") == "1"
    rows = selectors.liaison_rows(user=user, mine=mine)
    if due_only:
        rows = [r for r in rows if r.is_due]
    listing = Listing(
        rows,
        _liaison_columns(),
        LiaisonAssignment,
        "liaison",
        row_class=lambda r: "late" if r.is_due else "",
    )
    context = {
        "title": _("我包联的楼宇") if mine else _("楼宇包联"),
        "mine": mine,
        "due_only": due_only,
        "due_count": sum(1 for r in rows if r.is_due),
        "active": "liaison",
    }
    return _list(request, listing, "business/liaison.html", context)


# --- vacancies and viewings -----------------------------------------------------------------
def _vacancy_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("楼宇"),
            lambda v: v.building.name,
            lambda v: reverse("business_building", args=[v.building_id]) + "#vacancies",
        ),
        Col(gettext_lazy("楼层"), lambda v: v.floor),
        Col(gettext_lazy("面积 (m²)"), lambda v: v.area),
        Col(gettext_lazy("租金 (元/m²·天)"), lambda v: f"{v.rent_min}–{v.rent_max}"),
        Col(gettext_lazy("可入驻日期"), lambda v: _day(v.available_from)),
        Col(gettext_lazy("状态"), lambda v: v.get_status_display()),
    ]


@login_required
@require_GET
def vacancy_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user, Vacancy)
    form = VacancyFilterForm(request.GET)
    qs = selectors.vacancy_list(user=user, open_only=bool(cleaned(form).get("open")))
    listing = Listing(qs, _vacancy_columns(), Vacancy, "vacancies")
    context = {
        "title": _("空置房源"),
        "form": form,
        "active": "vacancies",
        "viewings_url": reverse("business_viewings"),
    }
    return _list(request, listing, "business/list.html", context)


def _viewing_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("房源"),
            lambda v: str(v.vacancy),
            lambda v: reverse("business_building", args=[v.vacancy.building_id]) + "#vacancies",
        ),
        Col(
            gettext_lazy("企业"),
            lambda v: v.enterprise.name if v.enterprise else v.prospect_name,
        ),
        Col(gettext_lazy("带看日期"), lambda v: _day(v.date)),
        Col(gettext_lazy("带看人"), lambda v: str(v.guide) if v.guide else ""),
        Col(gettext_lazy("结果"), lambda v: v.get_outcome_display()),
        Col(gettext_lazy("备注"), lambda v: v.note),
    ]


@login_required
@require_GET
def viewing_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user, Viewing)
    form = ViewingFilterForm(request.GET)
    qs = selectors.viewing_list(user=user)
    outcome = cleaned(form).get("outcome")
    if outcome:
        qs = qs.filter(outcome=outcome)
    listing = Listing(qs, _viewing_columns(), Viewing, "viewings")
    context = {"title": _("带看记录"), "form": form, "active": "vacancies"}
    return _list(request, listing, "business/list.html", context)


# --- policy library -------------------------------------------------------------------------
def _policy_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("标题"),
            lambda p: p.title,
            lambda p: reverse("business_policy", args=[p.pk]),
        ),
        Col(gettext_lazy("发文单位"), lambda p: p.issuer),
        Col(gettext_lazy("发布日期"), lambda p: _day(p.issued_on)),
        Col(gettext_lazy("适用行业"), lambda p: "、".join(str(i) for i in p.industries or [])),
        Col(gettext_lazy("附件"), lambda p: str(_("有")) if p.attachment else ""),
    ]


@login_required
@require_GET
def policy_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not policy.can_any(user, Policy, Action.VIEW):
        raise Http404
    form = PolicySearchForm(request.GET)
    cd = cleaned(form)
    qs = selectors.policy_list(
        user=user,
        q=str(cd.get("q") or "").replace("\x00", ""),
        industry=str(cd.get("industry") or "").replace("\x00", ""),
    )
    listing = Listing(qs, _policy_columns(), Policy, "policies")
    context = {
        "title": _("政策库"),
        "form": form,
        "active": "policies",
        "search_placeholder": _("标题、摘要或发文单位"),
    }
    return _list(request, listing, "business/list.html", context)


@login_required
@require_GET
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    doc = selectors.policy_list(user=user).filter(pk=pk).first()
    if doc is None:
        raise Http404
    context = {
        "doc": doc,
        "title": doc.title,
        "requests": selectors.request_list(user=user).filter(policy=doc)[:20],
        "can_file": _request_form(request) is not None,
        "active": "policies",
    }
    return _page(request, "business/policy_detail.html", context)


# --- dashboard ------------------------------------------------------------------------------
def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def _num(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value} {unit}"


def _months(count: int = 12) -> list[str]:
    """The last `count` months, oldest first, as YYYY-MM (the chart's categories)."""
    first = timezone.localdate().replace(day=1)
    out = []
    year, month = first.year, first.month
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _request_figures(user: Any) -> dict[str, Any]:
    """Request counts, on-time rates and medians against each type's targets, satisfaction."""
    d = selectors.DEFINITIONS
    sums = selectors.request_sums(user=user)
    now = timezone.now()
    times = selectors.RequestTimes.from_sums(sums, now)
    overdue = selectors.request_list(user=user, filters=selectors.RequestFilters(due="overdue"))
    soon = selectors.request_list(user=user, filters=selectors.RequestFilters(due="soon"))
    all_url = reverse("business_requests")
    overdue_n, soon_n = overdue.count(), soon.count()
    overdue_link = (_("已逾期"), overdue_n, _url("business_requests", due="overdue"))
    hours, days = _("小时"), _("个工作日")
    figures = [
        {
            "key": "requests",
            "label": _("诉求总量"),
            "value": times.total,
            "definition": COUNT_DEFINITIONS["requests"],
            "links": [(_("全部诉求"), times.total, all_url)],
        },
        {
            "key": "overdue",
            "label": _("已逾期"),
            "value": overdue_n,
            "definition": COUNT_DEFINITIONS["overdue"],
            "links": [overdue_link],
        },
        {
            "key": "due_soon",
            "label": _("即将到期"),
            "value": soon_n,
            "definition": COUNT_DEFINITIONS["due_soon"],
            "links": [(_("即将到期"), soon_n, _url("business_requests", due="soon"))],
        },
        {
            "key": "ack",
            "label": _("按时受理率"),
            "value": _rate(times.share(times.ack_on_time, times.ack_counted)),
            "definition": d["ack"],
            "extra": _("受理时长中位数 %(v)s") % {"v": _num(times.ack_median_hours, hours)},
            "links": [(_("计入"), times.ack_counted, all_url), overdue_link],
        },
        {
            "key": "response",
            "label": _("按时答复率"),
            "value": _rate(times.share(times.response_on_time, times.response_counted)),
            "definition": d["response"],
            "extra": _("首次答复中位数 %(v)s") % {"v": _num(times.response_median_days, days)},
            "links": [(_("计入"), times.response_counted, all_url), overdue_link],
        },
        {
            "key": "resolve",
            "label": _("按时办结率"),
            "value": _rate(times.share(times.resolve_on_time, times.resolve_counted)),
            "definition": d["resolve"],
            "extra": _("办结时长中位数 %(v)s") % {"v": _num(times.resolve_median_days, days)},
            "links": [(_("计入"), times.resolve_counted, all_url), overdue_link],
        },
        {
            "key": "satisfaction",
            "label": _("企业满意度"),
            "value": "—" if times.satisfaction is None else f"{times.satisfaction}",
            "definition": d["satisfaction"],
            "links": [(_("已评价"), times.rated, _url("business_requests", rated=1))],
        },
    ]
    by_type = []
    for rtype in selectors.request_types():
        t = selectors.RequestTimes.from_sums(sums, now, rtype=rtype.pk)
        by_type.append(
            {
                "name": rtype.name,
                "url": _url("business_requests", type=rtype.pk),
                "count": t.total,
                "ack_target": _num(rtype.ack_hours, hours),
                "ack_median": _num(t.ack_median_hours, hours),
                "ack_rate": _rate(t.share(t.ack_on_time, t.ack_counted)),
                "response_target": _num(rtype.response_days, days),
                "response_median": _num(t.response_median_days, days),
                "response_rate": _rate(t.share(t.response_on_time, t.response_counted)),
                "resolve_target": _num(rtype.resolve_days, days),
                "resolve_median": _num(t.resolve_median_days, days),
                "resolve_rate": _rate(t.share(t.resolve_on_time, t.resolve_counted)),
                "satisfaction": "—" if t.satisfaction is None else f"{t.satisfaction}",
            }
        )
    return {"figures": figures, "by_type": by_type}


def _monthly(user: Any) -> dict[str, Any]:
    """Requests by type and month: the chart's series and the table's linked cells."""
    months = _months()
    counts = selectors.requests_by_type_and_month(user=user, months=months)
    types: list[dict[str, Any]] = []
    for rtype in selectors.request_types():
        cells = [
            {
                "count": counts.get((m, rtype.pk), 0),
                "url": _url("business_requests", type=rtype.pk, month=m),
            }
            for m in months
        ]
        types.append({"id": rtype.pk, "name": rtype.name, "cells": cells})
    totals = [
        {
            "count": sum(t["cells"][i]["count"] for t in types),
            "url": _url("business_requests", month=m),
        }
        for i, m in enumerate(months)
    ]
    return {"months": months, "types": types, "totals": totals}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The module's figures, every one computed by a selector from the records."""
    user: Any = request.user
    _require_staff(user, EnterpriseRequest, Council)
    d = selectors.DEFINITIONS
    context: dict[str, Any] = {"title": _("营商环境看板"), "active": "dashboard"}
    chart_data: dict[str, Any] = {"labels": {"count": _("诉求数")}}
    if _staff_can(user, Council):
        context["coverage"] = _coverage_figures(user)
    if _staff_can(user, EnterpriseRequest):
        context.update(_request_figures(user))
        monthly = _monthly(user)
        context["monthly"] = monthly
        context["monthly_definition"] = COUNT_DEFINITIONS["by_month"]
        chart_data["monthly"] = monthly
    if _staff_can(user, ActionItem):
        overdue = selectors.action_item_list(user=user, overdue=True)
        context["overdue_actions"] = {
            "count": overdue.count(),
            "rows": list(overdue[:10]),
            "url": _url("business_actions", overdue=1),
            "definition": d["overdue_actions"],
        }
    if _staff_can(user, Viewing):
        conv = selectors.viewing_conversion(user=user)
        context["viewing_figures"] = [
            {
                "key": "open_vacancies",
                "label": _("可租房源"),
                "value": conv["open_vacancies"],
                "definition": COUNT_DEFINITIONS["vacancies"],
                "links": [
                    (_("可租房源"), conv["open_vacancies"], _url("business_vacancies", open=1))
                ],
            },
            {
                "key": "viewings",
                "label": _("带看成交率"),
                "value": _rate(selectors.RequestTimes.share(conv["moved_in"], conv["decided"])),
                "definition": d["viewings"],
                "links": [
                    (
                        _("已入驻"),
                        conv["moved_in"],
                        _url("business_viewings", outcome=ViewingOutcome.MOVED_IN),
                    ),
                    (
                        _("未入驻"),
                        conv["decided"] - conv["moved_in"],
                        _url("business_viewings", outcome=ViewingOutcome.DECLINED),
                    ),
                    (_("全部带看"), conv["viewings"], reverse("business_viewings")),
                ],
            },
        ]
    context["chart_data"] = chart_data
    return _page(request, "business/dashboard.html", context)
