"""Pages of government services. Views parse input, call a selector or a service, and render;
an htmx request gets only the fragment it swaps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import PUBLIC_ROLES
from jiedao.affairs import selectors, services
from jiedao.affairs.forms import (
    DeskForm,
    DoorRequestForm,
    DoorScheduleForm,
    DoorVisitForm,
    MonthForm,
    ReturnVisitForm,
    TicketFilterForm,
    TransitionForm,
    TripForm,
)
from jiedao.affairs.models import (
    TRANSITIONS,
    Channel,
    DoorToDoorRequest,
    PointKind,
    ServicePoint,
    Ticket,
    TicketStatus,
    VisitStatus,
)
from jiedao.core import figures
from jiedao.core import selectors as core_selectors
from jiedao.core.audit import action_label, describe_changes, history
from jiedao.core.exports import ExportColumn, xlsx_response
from jiedao.core.models import Enterprise, OrgKind, Person
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.views import Col
from jiedao.core.workdays import uncovered_years

PAGE_SIZE = 50
QUEUE_ROWS = 10
SEARCH_ROWS = 8
# The note a transition must carry (the service refuses these without one).
NOTE_REQUIRED = frozenset({TicketStatus.RETURNED, TicketStatus.REJECTED})
# What the clerk presses to move a ticket to each status.
MOVE_LABELS: dict[str, Any] = {
    TicketStatus.ACCEPTED: gettext_lazy("受理"),
    TicketStatus.IN_PROGRESS: gettext_lazy("开始办理"),
    TicketStatus.RETURNED: gettext_lazy("退回补正"),
    TicketStatus.RESUBMITTED: gettext_lazy("已补正"),
    TicketStatus.COMPLETED: gettext_lazy("办结"),
    TicketStatus.REJECTED: gettext_lazy("不予受理"),
    TicketStatus.WITHDRAWN: gettext_lazy("撤回"),
}
AUDIT_SKIP = frozenset({"breach_notified_at"})
COUNT_DEFINITIONS = {
    "completed": gettext_lazy("已办结 = 状态为“已办结”的办件数"),
    "overdue_open": gettext_lazy("已逾期 = 超过办结期限仍未办结的办件数"),
    "total": gettext_lazy("办件总量 = 您有权查看的全部办件数"),
}


# --- helpers --------------------------------------------------------------------------------
def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _staff_can(user: Any, model: type[Model], action: Action) -> bool:
    """Does the user hold `action` on `model` through a staff role (not only on own rows)?"""
    return bool(policy.paths_for(user, model, action))


def _require_staff(user: Any, model: type[Model], action: Action = Action.VIEW) -> None:
    """Pages for staff only: to anyone else the page does not exist."""
    if not _staff_can(user, model, action):
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
    if _staff_can(user, Ticket, Action.VIEW):
        tabs += [
            ("desk", reverse("affairs_desk"), _("受理台")),
            ("tickets", reverse("affairs_ticket_list"), _("办件")),
        ]
    if _staff_can(user, DoorToDoorRequest, Action.VIEW):
        tabs.append(("door", reverse("affairs_door_list"), _("上门帮办")))
    if _staff_can(user, DoorToDoorRequest, Action.CHANGE):
        tabs.append(("door_mine", reverse("affairs_door_mine"), _("我的上门")))
    if _staff_can(user, Ticket, Action.VIEW):
        tabs += [
            ("return_visits", reverse("affairs_return_visits"), _("回访")),
            ("dashboard", reverse("affairs_dashboard"), _("看板")),
        ]
    return tabs


def _page(request: HttpRequest, template: str, context: dict[str, Any], **kw: Any) -> HttpResponse:
    context.setdefault("affairs_nav", _module_nav(request.user))
    return render(request, template, context, **kw)


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _applicant_name(t: Ticket) -> str:
    if t.applicant_person is not None:
        return t.applicant_person.name
    return t.applicant_enterprise.name if t.applicant_enterprise is not None else ""


def _applicant_phone(t: Ticket) -> str:
    """Masked only: a page, list or export never shows a phone number in clear."""
    if t.applicant_person is not None:
        return t.applicant_person.phone_masked
    contact = t.applicant_enterprise.contact if t.applicant_enterprise is not None else None
    return contact.phone_masked if contact is not None else ""


def _ticket_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("办件编号"),
            lambda t: t.number,
            lambda t: reverse("affairs_ticket_detail", args=[t.pk]),
        ),
        Col(gettext_lazy("申请人"), _applicant_name),
        Col(gettext_lazy("电话"), _applicant_phone),
        Col(gettext_lazy("事项"), lambda t: t.item.name),
        Col(gettext_lazy("受理点"), lambda t: t.point.name),
        Col(gettext_lazy("渠道"), lambda t: t.get_channel_display()),
        Col(gettext_lazy("状态"), lambda t: t.get_status_display()),
        Col(gettext_lazy("提交时间"), lambda t: _local(t.submitted_at)),
        Col(gettext_lazy("办结期限"), lambda t: t.due_date.isoformat()),
        Col(gettext_lazy("办结时间"), lambda t: _local(t.completed_at)),
        Col(gettext_lazy("经办人"), lambda t: str(t.handler) if t.handler else ""),
    ]


def _ticket_points(user: Any) -> QuerySet[Any]:
    """Points where the user may open a ticket (the ticket belongs to the point's org)."""
    paths = policy.paths_for(user, Ticket, Action.ADD)
    if not paths:
        return selectors.point_list(user=user).none()
    where = Q()
    for path in paths:
        where |= Q(org_unit__path__startswith=path)
    return selectors.point_list(user=user).filter(where)


def _queue_context(user: Any) -> dict[str, Any]:
    queue = selectors.clerk_queue(user=user)
    today = timezone.localdate()
    sections = [
        ("mine", _("我的办件"), queue.mine, f"?handler={user.pk}"),
        ("unassigned", _("待认领"), queue.unassigned, ""),
        ("due_soon", _("即将到期"), queue.due_soon, "?due=soon"),
        ("overdue", _("已逾期"), queue.overdue, "?due=overdue"),
    ]
    return {
        "calendar_gaps": uncovered_years(today),
        "queue": [
            {
                "key": key,
                "title": title,
                "count": qs.count(),
                "rows": list(qs[:QUEUE_ROWS]),
                "more": reverse("affairs_ticket_list") + query if query else "",
            }
            for key, title, qs, query in sections
        ],
        "can_take": _staff_can(user, Ticket, Action.CHANGE),
        "today": today,
    }


# --- clerk's desk ---------------------------------------------------------------------------
def _desk_form(request: HttpRequest, data: Any = None, item: Any = None) -> DeskForm:
    user: Any = request.user
    points = _ticket_points(user)
    initial: dict[str, Any] = {"channel": Channel.WINDOW, "item": item}
    default = points.filter(kind=PointKind.CENTRE).first() or points.first()
    if default is not None:
        initial["point"] = default.pk
        if default.kind == PointKind.HELP_POINT:
            initial["channel"] = Channel.HELP_POINT
    enterprises = (
        core_selectors.enterprise_list(user=user)
        if policy.can_any(user, Enterprise, Action.VIEW)
        else None
    )
    form = DeskForm(
        data,
        initial=initial,
        items=selectors.item_list(user=user).filter(active=True).order_by("group", "code"),
        points=points,
        people=core_selectors.person_list(user=user),
        enterprises=enterprises,
    )
    # Choosing an item loads its extra fields and materials checklist in place.
    form.fields["item"].widget.attrs.update(
        {
            "hx-get": reverse("affairs_item_fields"),
            "hx-trigger": "change",
            "hx-target": "#item-fields",
        }
    )
    return form


def _search(user: Any, q: str, field: str) -> dict[str, Any]:
    """People (by name, pinyin or initials) and, for an applicant, firms the user may see."""
    people: list[Person] = []
    firms: list[Enterprise] = []
    if q.strip():
        people = list(core_selectors.person_list(user=user, q=q)[:SEARCH_ROWS])
        if field == "applicant" and policy.can_any(user, Enterprise, Action.VIEW):
            firms = list(core_selectors.enterprise_list(user=user, q=q)[:SEARCH_ROWS])
    return {"people": people, "firms": firms}


def _search_text(request: HttpRequest, field: str) -> str:
    raw = request.GET.get(f"{field}_q") or request.GET.get("q") or ""
    return str(raw).replace("\x00", "")[:50]


@login_required
@require_http_methods(["GET", "POST"])
def desk(request: HttpRequest) -> HttpResponse:
    """The all-round window: a new ticket in a few keystrokes, and the clerk's queue."""
    user: Any = request.user
    _require_staff(user, Ticket)
    can_add = _staff_can(user, Ticket, Action.ADD)
    form = _desk_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_add:
            raise NotPermitted(Action.ADD)
        if form.is_valid():
            cd = form.cleaned_data
            applicant = cd["applicant"]
            try:
                ticket = services.ticket_create(
                    actor=user,
                    item=cd["item"],
                    point=cd["point"],
                    channel=cd["channel"],
                    applicant_person=applicant if isinstance(applicant, Person) else None,
                    applicant_enterprise=applicant if isinstance(applicant, Enterprise) else None,
                    attributes=form.attribute_values(),
                    materials=form.materials_checked(),
                    notes=cd["notes"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("已登记办件 %(number)s。") % {"number": ticket.number})
                return redirect("affairs_ticket_detail", pk=ticket.pk)
    # Without JavaScript the search box submits here by GET: show its results in the page.
    applicant_q = _search_text(request, "applicant") if request.method == "GET" else ""
    context = {
        "form": form,
        "can_add": can_add,
        "applicant_q": applicant_q,
        "search_results": _search(user, applicant_q, "applicant") if applicant_q else None,
        "applicant_choice": form.applicant_choice() if form.is_bound else None,
        "can_add_person": policy.can_any(user, Person, Action.ADD),
        "active": "desk",
        **_queue_context(user),
    }
    return _page(request, "affairs/desk.html", context)


@login_required
@require_GET
def desk_queue(request: HttpRequest) -> HttpResponse:
    _require_staff(request.user, Ticket)
    return render(request, "affairs/partials/queue.html", _queue_context(request.user))


@login_required
@require_GET
def item_fields(request: HttpRequest) -> HttpResponse:
    """The chosen item's extra attribute fields and materials checklist (htmx fragment)."""
    _require_staff(request.user, Ticket, Action.ADD)
    form = _desk_form(request, item=request.GET.get("item"))
    return render(request, "affairs/partials/item_fields.html", {"form": form})


@login_required
@require_GET
def applicant_search(request: HttpRequest) -> HttpResponse:
    """People (by name, pinyin or initials) and firms the user may see, as radio choices."""
    user: Any = request.user
    if not (
        _staff_can(user, Ticket, Action.VIEW) or _staff_can(user, DoorToDoorRequest, Action.VIEW)
    ):
        raise Http404
    field = request.GET.get("field", "applicant")
    if field not in {"applicant", "person"}:
        field = "applicant"
    q = _search_text(request, field)
    return render(
        request,
        "affairs/partials/applicant_results.html",
        {
            "field": field,
            "q": q,
            **_search(user, q, field),
            "can_add_person": policy.can_any(user, Person, Action.ADD),
        },
    )


@login_required
@require_POST
def ticket_take(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk, action=Action.CHANGE)
    try:
        services.ticket_take(actor=request.user, ticket=ticket)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已认领办件 %(number)s。") % {"number": ticket.number})
    if _htmx(request):
        context = {**_queue_context(request.user), "show_messages": True}
        return render(request, "affairs/partials/queue.html", context)
    return redirect("affairs_desk")


# --- ticket list ----------------------------------------------------------------------------
def _filter_form(request: HttpRequest) -> TicketFilterForm:
    user: Any = request.user
    return TicketFilterForm(
        request.GET,
        items=selectors.item_list(user=user).order_by("group", "code"),
        points=selectors.point_list(user=user),
        areas=core_selectors.org_unit_list(user=user, kinds={OrgKind.AREA}).order_by("path"),
    )


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Every ticket the user may see, filtered; `?export=xlsx` exports the filtered rows."""
    user: Any = request.user
    if not policy.can_any(user, Ticket, Action.VIEW):
        raise Http404
    form = _filter_form(request)
    filters = form.to_filters()
    queryset = selectors.ticket_list(user=user, filters=filters).select_related(
        "applicant_enterprise__contact"
    )
    columns = _ticket_columns()
    can_export = policy.can_any(user, Ticket, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        exported = policy.scope(user, Action.EXPORT, queryset)
        return xlsx_response(
            [ExportColumn(c.label, c.value) for c in columns], exported.iterator(), "tickets"
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        [(c.value(obj), c.link(obj) if c.link else "") for c in columns] for obj in page.object_list
    ]
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    query = params.urlencode()
    context = {
        "title": _("办件"),
        "form": form,
        "headers": [c.label for c in columns],
        "rows": rows,
        "page": page,
        "query": query,
        "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
        "can_export": can_export,
        "active": "tickets",
    }
    if _htmx(request):
        return render(request, "affairs/partials/ticket_table.html", context)
    return _page(request, "affairs/ticket_list.html", context)


# --- ticket detail --------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    """One line of a ticket's timeline."""

    at: datetime
    dated_only: bool
    kind: str
    title: str
    detail: str
    actor: str
    link: str = ""


def _timeline(request: HttpRequest, ticket: Ticket) -> list[Event]:
    """Transitions, trips, return visits, door visits and (for staff) the audit history,
    merged by time."""
    user: Any = request.user
    events: list[Event] = []
    labels = dict(TicketStatus.choices)
    for tr in ticket.transitions.select_related("actor"):
        title = (
            _("%(from)s → %(to)s")
            % {"from": labels.get(tr.from_status), "to": labels[tr.to_status]}
            if tr.from_status
            else str(labels[tr.to_status])
        )
        events.append(
            Event(tr.at, False, "transition", title, tr.note, str(tr.actor) if tr.actor else "")
        )
    for trip in ticket.trips.select_related("point", "recorded_by"):
        created = timezone.localtime(trip.created_at)
        # A trip carries a date only; when it was recorded that day, its time orders it.
        same_day = created.date() == trip.date
        at = created if same_day else timezone.make_aware(datetime.combine(trip.date, time.max))
        events.append(
            Event(
                at,
                not same_day,
                "trip",
                _("到现场：%(point)s") % {"point": trip.point.name},
                trip.purpose,
                str(trip.recorded_by) if trip.recorded_by else "",
            )
        )
    for visit in selectors.return_visit_list(user=user).filter(ticket=ticket):
        events.append(
            Event(
                visit.called_at,
                False,
                "return_visit",
                _("回访：满意度 %(s)s 分，%(r)s")
                % {"s": visit.satisfaction, "r": visit.get_resolution_display()},
                visit.suggestions,
                str(visit.caller),
            )
        )
    for door in selectors.door_visit_list(user=user).filter(ticket=ticket):
        moment = door.visited_at or door.created_at
        events.append(
            Event(
                moment,
                False,
                "door",
                _("上门帮办：%(status)s") % {"status": door.get_status_display()},
                door.outcome or door.reason,
                str(door.assigned_to) if door.assigned_to else "",
            )
        )
    if policy.roles(user) - PUBLIC_ROLES:
        for entry in history(ticket)[:50]:
            events.append(
                Event(
                    entry.timestamp,
                    False,
                    "audit",
                    action_label(entry),
                    describe_changes(entry, Ticket, AUDIT_SKIP),
                    str(entry.actor) if entry.actor else "",
                )
            )
    return sorted(events, key=lambda e: e.at)


def _detail(
    request: HttpRequest,
    ticket: Ticket,
    *,
    transition_form: TransitionForm | None = None,
    trip_form: TripForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    can_change = policy.can(user, Action.CHANGE, ticket)
    trip_points = selectors.point_list(user=user) if can_change else None
    order = list(TicketStatus.values)
    next_statuses = sorted(TRANSITIONS.get(ticket.status, frozenset()), key=order.index)
    context = {
        "ticket": ticket,
        "title": ticket.number,
        "timeline": _timeline(request, ticket),
        "can_change": can_change,
        "next_statuses": [
            (s, MOVE_LABELS.get(s, TicketStatus(s).label), s in NOTE_REQUIRED)
            for s in next_statuses
        ],
        "transition_form": transition_form or TransitionForm(),
        "trip_form": trip_form
        or (
            TripForm(
                points=trip_points, initial={"date": timezone.localdate(), "point": ticket.point_id}
            )
            if trip_points is not None
            else None
        ),
        "follow_ups": selectors.ticket_list(user=user).filter(follow_up_of=ticket),
        "attributes": _attribute_rows(ticket),
        "applicant_phone": _applicant_phone(ticket),
        "can_view_person": ticket.applicant_person_id is not None
        and policy.can_any(user, Person, Action.VIEW),
        "today": timezone.localdate(),
        "active": "tickets",
    }
    return _page(request, "affairs/ticket_detail.html", context, status=status)


def _attribute_rows(ticket: Ticket) -> list[tuple[str, str]]:
    """The ticket's extra attributes with the item's labels and the choices' names."""
    rows = []
    for attr in ticket.item.attributes or []:
        code = attr.get("code")
        if code not in (ticket.attributes or {}):
            continue
        names = {str(v.get("key")): v.get("name") for v in attr.get("values", [])}
        value = ticket.attributes[code]
        values = value if isinstance(value, list) else [value]
        rows.append(
            (attr.get("label") or code, "、".join(str(names.get(str(v), v)) for v in values))
        )
    return rows


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk)
    return _detail(request, ticket)


@login_required
@require_POST
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_transition(
                actor=request.user,
                ticket=ticket,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("办件已改为“%(status)s”。") % {"status": ticket.get_status_display()},
            )
            return redirect("affairs_ticket_detail", pk=ticket.pk)
    ticket.refresh_from_db()
    return _detail(request, ticket, transition_form=form)


@login_required
@require_POST
def trip_create(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = selectors.ticket_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = TripForm(request.POST, points=selectors.point_list(user=request.user))
    if form.is_valid():
        try:
            services.trip_record(
                actor=request.user,
                ticket=ticket,
                day=form.cleaned_data["date"],
                point=form.cleaned_data["point"],
                purpose=form.cleaned_data["purpose"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已记录一次到现场。"))
            return redirect("affairs_ticket_detail", pk=ticket.pk)
    return _detail(request, ticket, trip_form=form)


# --- door-to-door help ----------------------------------------------------------------------
def _door_request_form(request: HttpRequest, data: Any = None) -> DoorRequestForm:
    user: Any = request.user
    return DoorRequestForm(
        data,
        people=core_selectors.person_list(user=user),
        points=selectors.point_list(user=user).filter(kind=PointKind.HELP_POINT),
        items=selectors.item_list(user=user)
        .filter(active=True, door_to_door=True)
        .order_by("group", "code"),
    )


def _staff_choices(user: Any) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in selectors.door_staff_list(user=user)]


@login_required
@require_http_methods(["GET", "POST"])
def door_list(request: HttpRequest) -> HttpResponse:
    """Every door-to-door request in scope, with the forms to raise and schedule one."""
    user: Any = request.user
    _require_staff(user, DoorToDoorRequest)
    can_add = _staff_can(user, DoorToDoorRequest, Action.ADD)
    form = _door_request_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_add:
            raise NotPermitted(Action.ADD)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.door_request_create(
                    actor=user,
                    person=cd["person"],
                    reason=cd["reason"],
                    requested_via=cd["requested_via"],
                    item=cd["item"],
                    point=cd["point"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("已登记上门帮办申请。"))
                return redirect("affairs_door_list")
    return _door_page(request, form=form)


def _door_page(
    request: HttpRequest,
    *,
    form: DoorRequestForm | None = None,
    schedule_pk: int | None = None,
    schedule_form: DoorScheduleForm | None = None,
) -> HttpResponse:
    user: Any = request.user
    staff = _staff_choices(user) if _staff_can(user, DoorToDoorRequest, Action.CHANGE) else []
    page = Paginator(
        selectors.door_visit_list(user=user).order_by("status", "scheduled_date", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    schedulable = {VisitStatus.REQUESTED, VisitStatus.SCHEDULED}
    rows = []
    for visit in page.object_list:
        schedule = None
        if staff and visit.status in schedulable:
            if visit.pk == schedule_pk and schedule_form is not None:
                schedule = schedule_form
            else:
                schedule = DoorScheduleForm(
                    staff=staff,
                    prefix=f"s{visit.pk}",
                    initial={
                        "assigned_to": visit.assigned_to_id,
                        "day": visit.scheduled_date or timezone.localdate(),
                    },
                )
        rows.append((visit, schedule))
    form = form or _door_request_form(request)
    context = {
        "form": form,
        "applicant_choice": form.applicant_choice() if form.is_bound else None,
        "can_add": _staff_can(user, DoorToDoorRequest, Action.ADD),
        "rows": rows,
        "page": page,
        "active": "door",
    }
    return _page(request, "affairs/door_list.html", context)


@login_required
@require_POST
def door_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    visit = selectors.door_visit_get(user=user, pk=pk, action=Action.CHANGE)
    staff = selectors.door_staff_list(user=user)
    form = DoorScheduleForm(
        request.POST, staff=[(u.pk, str(u)) for u in staff], prefix=f"s{visit.pk}"
    )
    if form.is_valid():
        try:
            services.door_request_schedule(
                actor=user,
                request=visit,
                assigned_to=staff.get(pk=form.cleaned_data["assigned_to"]),
                day=form.cleaned_data["day"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("已安排 %(who)s 于 %(day)s 上门。")
                % {"who": visit.assigned_to, "day": visit.scheduled_date},
            )
            return redirect("affairs_door_list")
    return _door_page(request, schedule_pk=visit.pk, schedule_form=form)


def _door_mine_page(
    request: HttpRequest, *, bound: dict[int, DoorVisitForm] | None = None
) -> HttpResponse:
    user: Any = request.user
    visits = list(selectors.door_visit_list(user=user, mine=True))
    # The applicants' tickets, in one query, to link the visit's outcome to one of them.
    tickets: dict[int, list[tuple[int, str]]] = {}
    person_ids = {v.person_id for v in visits}
    if person_ids:
        for t in selectors.ticket_list(user=user).filter(applicant_person_id__in=person_ids):
            label = f"{t.number} {t.item.name}（{t.get_status_display()}）"
            tickets.setdefault(t.applicant_person_id or 0, []).append((t.pk, label))
    cards = []
    for visit in visits:
        form = (bound or {}).get(visit.pk) or DoorVisitForm(
            tickets=tickets.get(visit.person_id, []),
            prefix=f"v{visit.pk}",
            initial={"ticket": visit.ticket_id},
        )
        cards.append((visit, form))
    context = {"cards": cards, "today": timezone.localdate(), "active": "door_mine"}
    return _page(request, "affairs/door_mine.html", context)


@login_required
@require_GET
def door_mine(request: HttpRequest) -> HttpResponse:
    """A worker's scheduled visits, phone-sized, each with its outcome form."""
    _require_staff(request.user, DoorToDoorRequest, Action.CHANGE)
    return _door_mine_page(request)


@login_required
@require_POST
def door_visit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    visit = selectors.door_visit_get(user=user, pk=pk, action=Action.CHANGE)
    person_tickets = selectors.ticket_list(user=user).filter(applicant_person=visit.person)
    choices = [(t.pk, t.number) for t in person_tickets]
    form = DoorVisitForm(request.POST, tickets=choices, prefix=f"v{visit.pk}")
    if form.is_valid():
        ticket_pk = form.cleaned_data["ticket"]
        try:
            services.door_request_record_visit(
                actor=user,
                request=visit,
                outcome=form.cleaned_data["outcome"],
                ticket=person_tickets.get(pk=ticket_pk) if ticket_pk else None,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已登记上门结果。"))
            if _htmx(request):
                return render(request, "affairs/partials/door_done.html", {"visit": visit})
            return redirect("affairs_door_mine")
    if _htmx(request):
        return render(
            request,
            "affairs/partials/door_card.html",
            {"visit": visit, "form": form, "today": timezone.localdate()},
        )
    return _door_mine_page(request, bound={visit.pk: form})


# --- return visits --------------------------------------------------------------------------
def _late(ticket: Ticket) -> bool:
    done = ticket.completed_at
    return done is not None and timezone.localtime(done).date() > ticket.due_date


def _call_cards(
    tickets: list[Ticket], bound: dict[int, ReturnVisitForm] | None = None
) -> list[tuple[Ticket, ReturnVisitForm, bool]]:
    return [
        (t, (bound or {}).get(t.pk) or ReturnVisitForm(prefix=f"t{t.pk}"), _late(t))
        for t in tickets
    ]


def _done_context(user: Any, ticket_pk: Any) -> dict[str, Any] | None:
    """The ticket just called back and, if the call flagged it, its follow-up."""
    if not ticket_pk:
        return None
    ticket = selectors.ticket_list(user=user).filter(pk=ticket_pk).first()
    if ticket is None:
        return None
    return {
        "ticket": ticket,
        "visit": selectors.return_visit_list(user=user).filter(ticket=ticket).first(),
        "follow_up": selectors.ticket_list(user=user).filter(follow_up_of=ticket).first(),
    }


def _return_visit_page(
    request: HttpRequest,
    *,
    month: date,
    bound: dict[int, ReturnVisitForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    tickets = selectors.call_list(user=user, month=month)
    context = {
        "month": month,
        "month_form": MonthForm(initial={"month": month}),
        "cards": _call_cards(tickets, bound),
        "can_call": _staff_can(user, Ticket, Action.CHANGE),
        "can_view_person": policy.can_any(user, Person, Action.VIEW),
        "done": _done_context(user, request.GET.get("done")),
        "today": timezone.localdate(),
        "active": "return_visits",
    }
    return _page(request, "affairs/return_visits.html", context, status=status)


@login_required
@require_GET
def return_visits(request: HttpRequest) -> HttpResponse:
    """The call list of a month: each item's sample of completed tickets, plus every late or
    complained-about one, with the scripted form beside each."""
    _require_staff(request.user, Ticket)
    month = MonthForm(request.GET).chosen()
    return _return_visit_page(request, month=month)


@login_required
@require_POST
def return_visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    ticket = selectors.ticket_get(user=user, pk=pk, action=Action.CHANGE)
    month = MonthForm(request.POST).chosen()
    form = ReturnVisitForm(request.POST, prefix=f"t{ticket.pk}")
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.return_visit_record(
                actor=user,
                ticket=ticket,
                satisfaction=cd["satisfaction"],
                resolution=cd["resolution"],
                answers=form.answers(),
                suggestions=cd["suggestions"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if _htmx(request):
                return render(
                    request,
                    "affairs/partials/return_visit_done.html",
                    {"done": _done_context(user, ticket.pk)},
                )
            messages.success(request, _("已记录回访。"))
            query = urlencode({"month": f"{month:%Y-%m}", "done": ticket.pk})
            return redirect(f"{reverse('affairs_return_visits')}?{query}")
    if _htmx(request):
        return render(
            request,
            "affairs/partials/return_visit_card.html",
            {
                "ticket": ticket,
                "form": form,
                "late": _late(ticket),
                "month": month,
                "can_call": True,
                "can_view_person": policy.can_any(user, Person, Action.VIEW),
            },
        )
    return _return_visit_page(request, month=month, bound={ticket.pk: form})


# --- dashboard ------------------------------------------------------------------------------
def _tickets_url(**params: Any) -> str:
    base = reverse("affairs_ticket_list")
    return f"{base}?{urlencode(params)}" if params else base


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


def _days(value: float | None) -> str:
    return "—" if value is None else _("%(n)s 个工作日") % {"n": value}


def _figures(rates: selectors.Rates, total: int) -> list[dict[str, Any]]:
    """Each figure with its definition and the ticket lists it counts (numerator, denominator)."""
    d = selectors.DEFINITIONS
    completed = (_("已办结"), rates.completed, _tickets_url(status=TicketStatus.COMPLETED))
    overdue = (_("已逾期未办结"), rates.overdue_open, _tickets_url(due="overdue"))
    return [
        {
            "key": "one_trip",
            "label": _("只跑一次率"),
            "value": _rate(rates.one_trip_rate),
            "definition": d["one_trip"],
            "links": [
                (_("至多跑一次"), rates.one_trip, _tickets_url(one_trip="yes")),
                completed,
            ],
        },
        {
            "key": "one_go",
            "label": _("一次办结率"),
            "value": _rate(rates.one_go_rate),
            "definition": d["one_go"],
            "links": [
                (_("未退回补正"), rates.one_go, _tickets_url(returned="no")),
                completed,
            ],
        },
        {
            "key": "on_time",
            "label": _("按时办结率"),
            "value": _rate(rates.on_time_rate),
            "definition": d["on_time"],
            "links": [
                (_("按时办结"), rates.on_time, _tickets_url(on_time="yes")),
                completed,
                overdue,
            ],
        },
        {
            "key": "avg_days",
            "label": _("平均办理时长"),
            "value": _days(rates.avg_days),
            "definition": d["avg_days"],
            "links": [completed],
        },
        {
            "key": "p90_days",
            "label": _("90%分位办理时长"),
            "value": _days(rates.p90_days),
            "definition": d["p90_days"],
            "links": [completed],
        },
        {
            "key": "completed",
            "label": _("已办结"),
            "value": str(rates.completed),
            "definition": COUNT_DEFINITIONS["completed"],
            "links": [completed],
        },
        {
            "key": "overdue_open",
            "label": _("已逾期"),
            "value": str(rates.overdue_open),
            "definition": COUNT_DEFINITIONS["overdue_open"],
            "links": [overdue],
        },
        {
            "key": "total",
            "label": _("办件总量"),
            "value": str(total),
            "definition": COUNT_DEFINITIONS["total"],
            "links": [(_("全部办件"), total, _tickets_url())],
        },
    ]


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The module's figures, every one computed by a selector from the records."""
    user: Any = request.user
    _require_staff(user, Ticket)
    rates = selectors.rates_for(user=user)
    by_channel = selectors.volume_by(user=user, dimension="channel")
    by_point = selectors.volume_by(user=user, dimension="point")
    for row in by_channel:
        row["url"] = _tickets_url(channel=row["key"])
    for row in by_point:
        row["url"] = _tickets_url(point=row["key"])
    areas = [
        {
            "key": a["area"].pk,
            "label": a["area"].name,
            "completed": a["rates"].completed,
            "one_trip_rate": a["rates"].one_trip_rate,
            "one_go_rate": a["rates"].one_go_rate,
            "on_time_rate": a["rates"].on_time_rate,
            "avg_days": a["rates"].avg_days,
            "one_trip_rate_text": _rate(a["rates"].one_trip_rate),
            "one_go_rate_text": _rate(a["rates"].one_go_rate),
            "on_time_rate_text": _rate(a["rates"].on_time_rate),
            "url": _tickets_url(area=a["area"].pk, status=TicketStatus.COMPLETED),
            "one_trip_url": _tickets_url(area=a["area"].pk, one_trip="yes"),
            "one_go_url": _tickets_url(area=a["area"].pk, returned="no"),
            "on_time_url": _tickets_url(area=a["area"].pk, on_time="yes"),
        }
        for a in selectors.area_rates(user=user)
    ]
    monthly = selectors.monthly_rates(user=user)
    for row in monthly:
        for key in ("one_trip_rate", "one_go_rate", "on_time_rate"):
            row[f"{key}_text"] = _rate(row[key])
        row["url"] = _tickets_url(
            status=TicketStatus.COMPLETED,
            completed_from=f"{row['month']}-01",
            completed_to=_month_end(row["month"]).isoformat(),
        )
    satisfaction_month = selectors.satisfaction_by(user=user, dimension="month")
    item_pks = {i.name: i.pk for i in selectors.item_list(user=user)}
    point_pks = {p.name: p.pk for p in selectors.point_list(user=user)}
    channel_labels = dict(Channel.choices)
    satisfaction_tables = [
        (
            _("按事项"),
            [
                {**r, "url": _tickets_url(item=item_pks[r["label"]], status="completed")}
                if r["label"] in item_pks
                else r
                for r in selectors.satisfaction_by(user=user, dimension="item")
            ],
        ),
        (
            _("按受理点"),
            [
                {**r, "url": _tickets_url(point=point_pks[r["label"]], status="completed")}
                if r["label"] in point_pks
                else r
                for r in selectors.satisfaction_by(user=user, dimension="point")
            ],
        ),
        (
            _("按渠道"),
            [
                {
                    **r,
                    "label": str(channel_labels.get(r["label"], r["label"])),
                    "url": _tickets_url(channel=r["label"], status="completed"),
                }
                for r in selectors.satisfaction_by(user=user, dimension="channel")
            ],
        ),
    ]
    total = sum(r["count"] for r in by_channel)
    chart_data = {
        "channel": by_channel,
        "point": by_point,
        "monthly": monthly,
        "areas": areas,
        "satisfaction": satisfaction_month,
        "labels": {
            "count": _("办件数"),
            "one_trip": _("只跑一次率"),
            "one_go": _("一次办结率"),
            "on_time": _("按时办结率"),
            "completed": _("已办结"),
            "satisfaction": _("平均满意度"),
            "visits": _("回访数"),
            "percent": "%",
        },
    }
    network = figures.FIGURES["affairs.network"]
    network_card: dict[str, Any] = {
        "key": "network",
        "label": network.label,
        "value": figures.for_user(user, ServicePoint, [network.key])[network.key] or "—",
        "definition": network.definition,
        "links": [],
    }
    context = {
        "figures": [*_figures(rates, total), network_card],
        "by_channel": by_channel,
        "by_point": by_point,
        "monthly": monthly,
        "areas": areas,
        "satisfaction_month": satisfaction_month,
        "satisfaction_tables": satisfaction_tables,
        "satisfaction_definition": selectors.DEFINITIONS["satisfaction"],
        "volume_definition": COUNT_DEFINITIONS["total"],
        "definitions": selectors.DEFINITIONS,
        "chart_data": chart_data,
        "active": "dashboard",
    }
    return _page(request, "affairs/dashboard.html", context)


def _month_end(month: str) -> date:
    year, mon = (int(x) for x in month.split("-"))
    first_next = date(year + mon // 12, mon % 12 + 1, 1)
    return date.fromordinal(first_next.toordinal() - 1)
