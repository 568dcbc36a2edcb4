"""Pages of the 12345 work-order module (接诉即办). Views parse input, call a selector or a
service, and render; an htmx request gets only the fragment it swaps. Phones are shown masked;
the clear number appears only in the response to a reveal, never in a URL or a stored page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import PUBLIC_ROLES
from jiedao.core.audit import action_label, describe_changes, history
from jiedao.core.exports import ExportColumn, xlsx_response
from jiedao.core.figures import ALL, Sums, format_value, read
from jiedao.core.models import OrgKind, OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.views import Col
from jiedao.hotline import figures, selectors, services
from jiedao.hotline.forms import (
    ContactForm,
    DispatchForm,
    MergeForm,
    MonthForm,
    MoveForm,
    OrderFilterForm,
    OrderForm,
    ReplyForm,
    RevealForm,
    ReviewDecideForm,
    ReviewRequestForm,
    VisitForm,
)
from jiedao.hotline.models import (
    EXTEND_FROM,
    REROUTE_FROM,
    OrderStatus,
    Review,
    ReviewKind,
    ReviewStatus,
    WorkOrder,
)

PAGE_SIZE = 50
S = OrderStatus
# The one-press moves (no form beyond a note), with what the button says.
MOVE_BUTTONS: dict[str, Any] = {
    S.SIGNED: gettext_lazy("签收"),
    S.HANDLING: gettext_lazy("开始办理"),
    S.ASSESSED: gettext_lazy("考核归档"),
}
AUDIT_SKIP = frozenset({"contact_overdue_at", "reply_overdue_at", "warning_overdue_at"})


# --- helpers --------------------------------------------------------------------------------
def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _staff_can(user: Any, model: type[Model], action: Action = Action.VIEW) -> bool:
    return bool(policy.paths_for(user, model, action))


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _module_nav(user: Any) -> list[tuple[str, str, Any]]:
    tabs: list[tuple[str, str, Any]] = []
    if policy.can_any(user, WorkOrder, Action.VIEW):
        tabs.append(("orders", reverse("hotline_orders"), _("工单")))
    if _staff_can(user, Review):
        tabs.append(("reviews", reverse("hotline_reviews"), _("派单异议")))
    if _staff_can(user, WorkOrder):
        tabs.append(("dashboard", reverse("hotline_dashboard"), _("看板")))
    if selectors.may_rank(user):
        tabs.append(("ranking", reverse("hotline_ranking"), _("排名")))
    if policy.can_any(user, WorkOrder, Action.VIEW):
        tabs.append(("categories", reverse("hotline_categories"), _("派单目录")))
    return tabs


def _page(request: HttpRequest, template: str, context: dict[str, Any], **kw: Any) -> HttpResponse:
    context.setdefault("hotline_nav", _module_nav(request.user))
    return render(request, template, context, **kw)


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _url(name: str, *args: Any, **params: Any) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _remote_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if _staff_can(user, WorkOrder, Action.CHANGE) or policy.can_any(user, WorkOrder, Action.VIEW):
        target = (
            "hotline_orders" if _staff_can(user, WorkOrder, Action.CHANGE) else "hotline_dashboard"
        )
        return redirect(target)
    if selectors.may_rank(user):
        return redirect("hotline_ranking")
    raise Http404


# --- list -----------------------------------------------------------------------------------
def _due_flag(order: WorkOrder, now: datetime) -> str:
    if not order.is_open:
        return ""
    if (
        (order.status == S.SIGNED and order.contact_due and order.contact_due < now)
        or (
            order.status in {S.DISPATCHED, S.SIGNED, S.CONTACTED, S.HANDLING}
            and not order.warning
            and order.reply_due
            and order.reply_due < now
        )
        or (
            order.warning
            and order.status == S.HANDLING
            and order.warning_replied_at is None
            and order.warning_due
            and order.warning_due < now
        )
    ):
        return str(_("已逾期"))
    return ""


def _columns(now: datetime) -> list[Col]:
    return [
        Col(
            gettext_lazy("编号"),
            lambda o: o.number,
            lambda o: reverse("hotline_order", args=[o.pk]),
        ),
        Col(gettext_lazy("热线工单号"), lambda o: o.hotline_number),
        Col(gettext_lazy("类别"), lambda o: o.category.name),
        Col(gettext_lazy("紧急程度"), lambda o: o.get_urgency_display()),
        Col(gettext_lazy("状态"), lambda o: o.get_status_display()),
        Col(gettext_lazy("预警"), lambda o: str(_("预警")) if o.warning else ""),
        Col(gettext_lazy("承办单位"), lambda o: o.org_unit.name),
        Col(gettext_lazy("地址"), lambda o: o.address),
        Col(gettext_lazy("来电人"), lambda o: o.caller_name),
        Col(gettext_lazy("来电号码"), lambda o: o.phone_masked),
        Col(gettext_lazy("受理时间"), lambda o: _local(o.received_at)),
        Col(
            gettext_lazy("办理期限"), lambda o: _local(o.warning_due if o.warning else o.reply_due)
        ),
        Col(gettext_lazy("期限"), lambda o: _due_flag(o, now)),
        Col(gettext_lazy("回访"), lambda o: o.get_satisfaction_display() if o.satisfaction else ""),
        Col(gettext_lazy("合并至"), lambda o: o.merged_into.number if o.merged_into else ""),
    ]


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not policy.can_any(user, WorkOrder, Action.VIEW):
        raise Http404
    form = OrderFilterForm(request.GET)
    qs = selectors.order_list(user=user, filters=form.to_filters())
    now = timezone.now()
    columns = _columns(now)
    can_export = policy.can_any(user, WorkOrder, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        rows = policy.scope(user, Action.EXPORT, qs).iterator(chunk_size=2000)
        return xlsx_response([ExportColumn(c.label, c.value) for c in columns], rows, "hotline")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    table = [
        {
            "cells": [(c.value(o), c.link(o) if c.link else "") for c in columns],
            "class": "late" if _due_flag(o, now) else ("warning" if o.warning else ""),
        }
        for o in page.object_list
    ]
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    query = params.urlencode()
    context: dict[str, Any] = {
        "title": _("12345工单"),
        "form": form,
        "headers": [c.label for c in columns],
        "table": table,
        "page": page,
        "query": query,
        "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
        "can_export": can_export,
        "can_add": _staff_can(user, WorkOrder, Action.ADD),
        "active": "orders",
        "search_placeholder": _("编号、热线工单号、地址或来电人"),
    }
    if _htmx(request):
        return render(request, "hotline/partials/table.html", context)
    return _page(request, "hotline/orders.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    subdistricts = selectors.subdistricts_for_entry(user=user)
    if not subdistricts.exists():
        raise NotPermitted(Action.ADD)
    form = OrderForm(request.POST or None, subdistricts=subdistricts)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            order = services.order_receive(
                actor=user,
                subdistrict=cd["subdistrict"],
                category=cd["category"],
                hotline_number=cd["hotline_number"],
                text=cd["text"],
                address=cd["address"],
                caller_name=cd["caller_name"],
                caller_phone=cd["caller_phone"],
                received_at=cd["received_at"],
                urgency=cd["urgency"],
                source=cd["source"],
                longitude=cd["longitude"],
                latitude=cd["latitude"],
                ticket_number=cd["ticket_number"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if order.status == S.MERGED:
                messages.info(
                    request,
                    _("重复来电，已合并至 %(n)s。") % {"n": order.merged_into.number},  # type: ignore[union-attr]
                )
            else:
                messages.success(request, _("已受理工单 %(n)s。") % {"n": order.number})
            return redirect("hotline_order", pk=order.pk)
    return _page(
        request,
        "hotline/order_form.html",
        {"form": form, "title": _("录入12345工单"), "active": "orders"},
        status=400 if form.errors else 200,
    )


# --- detail ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    title: str
    detail: str
    actor: str


def _timeline(user: Any, order: WorkOrder) -> list[Event]:
    labels = dict(S.choices)
    events = []
    for tr in order.transitions.select_related("actor"):
        title = (
            f"{labels.get(tr.from_status, tr.from_status)} → {labels.get(tr.to_status)}"
            if tr.from_status
            else str(labels[tr.to_status])
        )
        events.append(Event(tr.at, "transition", title, tr.note, str(tr.actor or "")))
    for rv in order.reviews.select_related("requested_by", "decided_by", "lead_unit"):
        what = rv.get_kind_display()
        detail = rv.reason
        if rv.lead_unit:
            detail = f"{_('改派至')}：{rv.lead_unit.name}\n{detail}"
        if rv.extra_days:
            detail = f"{_('延期')}：{rv.extra_days} {_('个工作日')}\n{detail}"
        events.append(
            Event(
                rv.requested_at,
                "review",
                _("申请%(k)s") % {"k": what},
                detail,
                str(rv.requested_by),
            )
        )
        if rv.decided_at:
            events.append(
                Event(
                    rv.decided_at,
                    "review",
                    f"{what}{rv.get_status_display()}",
                    rv.decision_note,
                    str(rv.decided_by or ""),
                )
            )
    if policy.roles(user) - PUBLIC_ROLES:
        for entry in history(order)[:50]:
            events.append(
                Event(
                    entry.timestamp,
                    "audit",
                    action_label(entry),
                    describe_changes(entry, WorkOrder, AUDIT_SKIP),
                    str(entry.actor) if entry.actor else "",
                )
            )
    return sorted(events, key=lambda e: e.at)


@dataclass
class Forms:
    dispatch: DispatchForm | None = None
    move: MoveForm | None = None
    contact: ContactForm | None = None
    reply: ReplyForm | None = None
    merge: MergeForm | None = None
    review: ReviewRequestForm | None = None
    decide: ReviewDecideForm | None = None
    reveal: RevealForm | None = None


def _order_page(
    request: HttpRequest,
    order: WorkOrder,
    forms: Forms | None = None,
    *,
    status: int = 200,
    phone: str = "",
) -> HttpResponse:
    user: Any = request.user
    f = forms or Forms()
    can_change = policy.can(user, Action.CHANGE, order)
    centre = can_change and services.is_centre(user, order)
    units = selectors.lead_units(order=order)
    pending = order.reviews.filter(status=ReviewStatus.PENDING).select_related("lead_unit").first()
    moves = []
    if can_change:
        if order.status == S.DISPATCHED:
            moves.append((S.SIGNED, MOVE_BUTTONS[S.SIGNED]))
        if order.status == S.CONTACTED:
            moves.append((S.HANDLING, MOVE_BUTTONS[S.HANDLING]))
        if order.status == S.VISITED and centre:
            moves.append((S.ASSESSED, MOVE_BUTTONS[S.ASSESSED]))
    review_kinds = []
    if can_change and pending is None:
        if order.status in REROUTE_FROM:
            review_kinds.append(ReviewKind.REASSIGN)
            if order.category.send_back_allowed:
                review_kinds.append(ReviewKind.SEND_BACK)
        if order.status in EXTEND_FROM and not order.warning:
            review_kinds.append(ReviewKind.EXTENSION)
    review_form = f.review
    if review_form is None and review_kinds:
        review_form = ReviewRequestForm(units=units.exclude(pk=order.org_unit_id))
    if review_form is not None:
        review_form.fields["kind"].choices = [  # type: ignore[attr-defined]
            (k.value, k.label) for k in review_kinds
        ] or review_form.fields["kind"].choices  # type: ignore[attr-defined]
    can_decide = pending is not None and policy.can(user, Action.CHANGE, pending)
    context: dict[str, Any] = {
        "order": order,
        "title": order.number,
        "timeline": _timeline(user, order),
        "can_change": can_change,
        "centre": centre,
        "due_flag": _due_flag(order, timezone.now()),
        "moves": moves,
        "move_form": f.move,
        "dispatch_form": f.dispatch
        or (DispatchForm(units=units) if centre and order.status == S.RECEIVED else None),
        "contact_form": f.contact
        or (ContactForm() if can_change and order.status == S.SIGNED else None),
        "reply_form": f.reply
        or (ReplyForm() if can_change and order.status == S.HANDLING else None),
        "merge_form": f.merge
        or (MergeForm() if centre and order.status in {S.RECEIVED, S.DISPATCHED} else None),
        "review_form": review_form,
        "send_back_refused": can_change
        and order.status in REROUTE_FROM
        and not order.category.send_back_allowed,
        "pending": pending,
        "decide_form": f.decide or (ReviewDecideForm() if can_decide else None),
        "can_reveal": bool(order.phone_encrypted) and policy.can(user, Action.REVEAL, order),
        "reveal_form": f.reveal or RevealForm(initial={"next": "detail"}),
        "phone": phone,
        "visits": list(order.visits.select_related("visited_by")),
        "merged_calls": list(
            selectors.order_list(user=user).filter(merged_into=order).order_by("received_at", "pk")
        ),
        "assisting": list(order.assisting_units.all()),
        "can_visit": centre and order.status == S.REPLIED,
        "active": "orders",
    }
    return _page(request, "hotline/order_detail.html", context, status=status)


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, selectors.order_get(user=request.user, pk=pk))


def _done(request: HttpRequest, order: WorkOrder, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("hotline_order", pk=order.pk)


@login_required
@require_POST
def order_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    form = DispatchForm(request.POST, units=selectors.lead_units(order=order))
    if form.is_valid():
        try:
            services.order_transition(
                actor=user,
                order=order,
                to_status=S.DISPATCHED,
                note=form.cleaned_data["note"],
                lead_unit=form.cleaned_data["lead_unit"],
                assisting_units=form.cleaned_data["assisting_units"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _done(request, order, _("已派至 %(u)s。") % {"u": order.org_unit.name})
    order.refresh_from_db()
    return _order_page(request, order, Forms(dispatch=form), status=400)


@login_required
@require_POST
def order_move(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.order_transition(
                actor=user,
                order=order,
                to_status=form.cleaned_data["to_status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _done(
                request, order, _("工单已改为“%(s)s”。") % {"s": order.get_status_display()}
            )
    order.refresh_from_db()
    return _order_page(request, order, Forms(move=form), status=400)


def _phone_page(
    request: HttpRequest,
    template: str,
    order: WorkOrder,
    form: Any,
    *,
    status: int = 200,
    phone: str = "",
    reveal_form: RevealForm | None = None,
) -> HttpResponse:
    user: Any = request.user
    kind = "contact" if template.endswith("contact.html") else "visit"
    return _page(
        request,
        template,
        {
            "order": order,
            "title": order.number,
            "form": form,
            "phone": phone,
            "can_reveal": bool(order.phone_encrypted) and policy.can(user, Action.REVEAL, order),
            "reveal_form": reveal_form or RevealForm(initial={"next": kind}),
            "active": "orders",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_contact(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone-sized page a lead unit's worker opens to call the caller back."""
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_transition(
                actor=user, order=order, to_status=S.CONTACTED, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _done(request, order, _("已记录联系情况。"))
        order.refresh_from_db()
    return _phone_page(
        request, "hotline/contact.html", order, form, status=400 if form.errors else 200
    )


@login_required
@require_POST
def order_reply(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.order_transition(
                actor=user, order=order, to_status=S.REPLIED, reply=form.cleaned_data["reply"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return _done(request, order, _("已回复。"))
    order.refresh_from_db()
    return _order_page(request, order, Forms(reply=form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def order_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone-sized return-visit page (回访), for the centre."""
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    if not services.is_centre(user, order):
        raise NotPermitted(Action.CHANGE)
    form = VisitForm(request.POST or None, order=order)
    if request.method == "POST" and form.is_valid():
        try:
            services.order_visit(
                actor=user,
                order=order,
                satisfaction=form.cleaned_data["satisfaction"],
                resolved=form.cleaned_data["resolved"],
                note=form.cleaned_data["note"],
                service_level=form.cleaned_data.get("service_level"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if order.warning and order.status == S.HANDLING:
                messages.warning(request, _("回访不满意，已转为预警工单。"))
                return redirect("hotline_order", pk=order.pk)
            return _done(request, order, _("已记录回访。"))
        order.refresh_from_db()
    return _phone_page(
        request, "hotline/visit.html", order, form, status=400 if form.errors else 200
    )


@login_required
@require_POST
def order_merge(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    form = MergeForm(request.POST)
    if form.is_valid():
        ref = form.cleaned_data["into"].strip()
        into = (
            selectors.merge_targets(user=user, order=order)
            .filter(Q(number=ref) | Q(hotline_number=ref))
            .first()
        )
        if into is None:
            form.add_error("into", _("不是可合并的工单：请填写本街道在办工单的编号或热线工单号。"))
        else:
            try:
                services.order_merge(
                    actor=user, order=order, into=into, note=form.cleaned_data["note"]
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return _done(request, order, _("已合并至 %(n)s。") % {"n": into.number})
    order.refresh_from_db()
    return _order_page(request, order, Forms(merge=form), status=400)


@login_required
@require_POST
def review_request(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.CHANGE)
    units = selectors.lead_units(order=order)
    form = ReviewRequestForm(request.POST, units=units)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            review = services.review_request(
                actor=user,
                order=order,
                kind=cd["kind"],
                reason=cd["reason"],
                lead_unit=cd["lead_unit"],
                extra_days=cd["extra_days"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if review.status == ReviewStatus.APPROVED:
                return _done(request, order, _("已延期。"))
            return _done(request, order, _("已提交申请，等待街道审核。"))
    order.refresh_from_db()
    return _order_page(request, order, Forms(review=form), status=400)


@login_required
@require_POST
def order_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the caller's number once, in this response, after logging who asked and why."""
    user: Any = request.user
    order = selectors.order_get(user=user, pk=pk, action=Action.REVEAL)
    form = RevealForm(request.POST)
    phone = ""
    if form.is_valid():
        try:
            phone = services.order_phone_reveal(
                actor=user,
                order=order,
                reason=form.cleaned_data["reason"],
                remote_addr=_remote_addr(request),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
    target = form.cleaned_data.get("next") if form.is_valid() else request.POST.get("next")
    status = 200 if phone else 400
    if target in {"contact", "visit"}:
        page_form = ContactForm() if target == "contact" else VisitForm(order=order)
        template = f"hotline/{target}.html"
        response = _phone_page(
            request, template, order, page_form, phone=phone, reveal_form=form, status=status
        )
    else:
        response = _order_page(request, order, Forms(reveal=form), phone=phone, status=status)
    response["Cache-Control"] = "no-store"
    return response


# --- reviews --------------------------------------------------------------------------------
@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not _staff_can(user, Review):
        raise Http404
    status = request.GET.get("status", ReviewStatus.PENDING)
    if status not in ReviewStatus.values and status != "all":
        status = ReviewStatus.PENDING
    reviews = selectors.review_list(user=user, status="" if status == "all" else status)
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    can_decide = _staff_can(user, Review, Action.CHANGE)
    return _page(
        request,
        "hotline/reviews.html",
        {
            "title": _("派单异议审核"),
            "page": page,
            "status": status,
            "statuses": [*ReviewStatus.choices, ("all", _("全部"))],
            "can_decide": can_decide,
            "decide_form": ReviewDecideForm(),
            "active": "reviews",
        },
    )


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    review = selectors.review_get(user=user, pk=pk, action=Action.CHANGE)
    form = ReviewDecideForm(request.POST)
    if form.is_valid():
        try:
            services.review_decide(
                actor=user,
                review=review,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已审核。"))
            return redirect("hotline_order", pk=review.order_id)
    order = selectors.order_get(user=user, pk=review.order_id)
    return _order_page(request, order, Forms(decide=form), status=400)


@login_required
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, WorkOrder, Action.VIEW):
        raise Http404
    return _page(
        request,
        "hotline/categories.html",
        {
            "title": _("派单目录"),
            "categories": selectors.category_list(active_only=False),
            "active": "categories",
        },
    )


# --- dashboard and ranking ------------------------------------------------------------------
def _month_form(request: HttpRequest, months: list[str]) -> tuple[MonthForm, str]:
    default = months[-2] if len(months) > 1 else ""  # the last complete month
    form = MonthForm(request.GET if "month" in request.GET else None, months=months)
    return form, form.chosen(default)


def _rate_cards(rates: figures.HotlineRates, *, links: dict[str, str]) -> list[dict[str, Any]]:
    d = selectors.DEFINITIONS
    return [
        {"key": "orders", "label": _("工单量"), "value": format_value(rates.orders),
         "definition": d["orders"], "url": links.get("orders", "")},
        {"key": "response", "label": _("响应率"), "value": _rate(rates.response_rate),
         "definition": d["response"], "url": ""},
        {"key": "resolution", "label": _("解决率"), "value": _rate(rates.resolution_rate),
         "definition": d["resolution"], "url": ""},
        {"key": "satisfaction", "label": _("满意率"), "value": _rate(rates.satisfaction_rate),
         "definition": d["satisfaction"], "url": ""},
        {"key": "score", "label": _("综合得分"), "value": _score(rates.score()),
         "definition": selectors.score_definition(), "url": ""},
        {"key": "warnings", "label": _("预警工单"), "value": format_value(rates.warnings),
         "definition": d["warnings"], "url": links.get("warnings", "")},
        {"key": "merged", "label": _("重复来电"), "value": format_value(rates.merged),
         "definition": d["merged"], "url": links.get("merged", "")},
        {"key": "overdue", "label": _("超期未回复"), "value": format_value(rates.overdue_open),
         "definition": d["overdue"], "url": links.get("overdue", "")},
    ]  # fmt: skip


def _rank_row(r: selectors.RankRow, url: str = "") -> dict[str, Any]:
    return {
        "name": r.org.name,
        "code": r.org.code,
        "url": url,
        "rank": r.rank,
        "orders": r.rates.orders,
        "response": _rate(r.rates.response_rate),
        "resolution": _rate(r.rates.resolution_rate),
        "satisfaction": _rate(r.rates.satisfaction_rate),
        "score": _score(r.score),
        "score_value": r.score,
    }


def _map(user: Any, subdistrict: OrgUnit, counts: dict[int, int]) -> dict[str, Any]:
    units = OrgUnit.objects.filter(
        kind=OrgKind.COMMITTEE, path__startswith=subdistrict.path
    ).order_by("path")
    features, regions = [], []
    for unit in units:
        if not unit.boundary:
            continue
        features.append(
            {"type": "Feature", "properties": {"name": unit.name}, "geometry": unit.boundary}
        )
        regions.append(
            {
                "name": unit.name,
                "value": counts.get(unit.pk, 0),
                "url": _url("hotline_orders", unit=unit.pk),
            }
        )
    points = [
        {
            "name": category,
            "value": [float(lon), float(lat)],
            "url": reverse("hotline_order", args=[pk]),
        }
        for pk, category, lon, lat in selectors.located_orders(user=user)
    ]
    return {
        "geo": {"type": "FeatureCollection", "features": features},
        "regions": regions,
        "points": points,
        "labels": {"orders": _("工单数"), "point": _("工单位置")},
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The subdistrict's rates, month by month, by category, on the map and per unit."""
    user: Any = request.user
    if not _staff_can(user, WorkOrder):
        raise Http404
    subs = selectors.viewable_subdistricts(user=user)
    sub = next((s for s in subs if s.code == request.GET.get("org")), subs[0] if subs else None)
    months = selectors.recent_months()
    month_form, month = _month_form(request, months)
    orgs = [sub] if sub is not None else selectors._orgs(user)
    sums = read(orgs, figures.METRICS, by="month")
    merged: dict[str, Sums] = {}
    for (_pk, bucket), s in sums.items():
        merged.setdefault(bucket, Sums()).merge(s)
    now = timezone.now()
    chosen = figures.HotlineRates.from_sums(merged.get(month or ALL, Sums()), now)
    unit = sub.pk if sub is not None else None
    links = {
        "orders": _url("hotline_orders", unit=unit, month=month),
        "warnings": _url("hotline_orders", unit=unit, month=month, warning="yes"),
        "merged": _url("hotline_orders", unit=unit, month=month, status=S.MERGED),
        "overdue": _url("hotline_orders", unit=unit, due="overdue"),
    }
    monthly: list[dict[str, Any]] = [
        {
            "month": m,
            "url": _url("hotline_orders", unit=unit, month=m),
            "orders": r.orders,
            "response": r.response_rate,
            "resolution": r.resolution_rate,
            "satisfaction": r.satisfaction_rate,
            "score": r.score(),
        }
        for m, r in selectors.monthly_rates(sums=merged, months=months, now=now)
    ]
    categories = list(selectors.category_list(active_only=False))
    by_category = [
        {
            "name": c.name,
            "kind": c.get_kind_display(),
            "url": _url("hotline_orders", unit=unit, month=month, category=c.pk),
            "orders": r.orders,
            "response": _rate(r.response_rate),
            "resolution": _rate(r.resolution_rate),
            "satisfaction": _rate(r.satisfaction_rate),
        }
        for c, r in selectors.category_rates(
            sums=merged.get(month or ALL, Sums()), categories=categories, now=now
        )
        if r.orders or r.merged
    ]
    ranking = (
        [
            _rank_row(r, _url("hotline_orders", unit=r.org.pk, month=month))
            for r in selectors.unit_ranking(user=user, subdistrict=sub, month=month, now=now)
        ]
        if sub is not None
        else []
    )
    context: dict[str, Any] = {
        "title": _("接诉即办看板"),
        "sub": sub,
        "subs": subs,
        "month": month,
        "month_form": month_form,
        "cards": _rate_cards(chosen, links=links),
        "monthly": [
            {
                **row,
                "response": _rate(row["response"]),
                "resolution": _rate(row["resolution"]),
                "satisfaction": _rate(row["satisfaction"]),
                "score": _score(row["score"]),
            }
            for row in monthly
        ],
        "by_category": by_category,
        "ranking": ranking,
        "definitions": selectors.DEFINITIONS,
        "score_definition": selectors.score_definition(),
        "chart_data": {
            "monthly": {
                "months": months,
                "orders": [row["orders"] for row in monthly],
                "rates": {
                    "response": [row["response"] for row in monthly],
                    "resolution": [row["resolution"] for row in monthly],
                    "satisfaction": [row["satisfaction"] for row in monthly],
                },
                "urls": [row["url"] for row in monthly],
            },
            "categories": {
                "names": [c["name"] for c in by_category],
                "orders": [c["orders"] for c in by_category],
                "urls": [c["url"] for c in by_category],
            },
            "labels": {
                "orders": _("工单量"),
                "response": _("响应率"),
                "resolution": _("解决率"),
                "satisfaction": _("满意率"),
            },
        },
        "map": _map(user, sub, selectors.committee_counts(user=user, subdistrict=sub))
        if sub is not None
        else None,
        "map_points": selectors.MAP_POINTS,
        "active": "dashboard",
    }
    return _page(request, "hotline/dashboard.html", context)


@login_required
@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    """Subdistricts side by side on the three rates and the score (roll-ups only, no order)."""
    user: Any = request.user
    if not selectors.may_rank(user):
        raise Http404
    months = selectors.recent_months()
    month_form, month = _month_form(request, months)
    rows = [_rank_row(r) for r in selectors.subdistrict_ranking(user=user, month=month)]
    if request.GET.get("export") == "xlsx":
        columns = [
            ExportColumn(_("名次"), lambda r: r["rank"] or ""),
            ExportColumn(_("街道"), lambda r: r["name"]),
            ExportColumn(_("工单量"), lambda r: r["orders"]),
            ExportColumn(_("响应率"), lambda r: r["response"]),
            ExportColumn(_("解决率"), lambda r: r["resolution"]),
            ExportColumn(_("满意率"), lambda r: r["satisfaction"]),
            ExportColumn(_("综合得分"), lambda r: r["score"]),
        ]
        return xlsx_response(columns, rows, f"hotline-ranking-{month or 'all'}")
    return _page(
        request,
        "hotline/ranking.html",
        {
            "title": _("接诉即办排名"),
            "rows": rows,
            "month": month,
            "month_form": month_form,
            "export_url": "?" + urlencode({"month": month, "export": "xlsx"}),
            "definitions": selectors.DEFINITIONS,
            "score_definition": selectors.score_definition(),
            "chart_data": {
                "names": [r["name"] for r in rows],
                "scores": [r["score_value"] for r in rows],
                "label": _("综合得分"),
            },
            "active": "ranking",
        },
    )
