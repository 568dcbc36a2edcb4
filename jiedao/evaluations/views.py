"""The 好差评 pages: the dashboard, the evaluations and bad reviews, a case's evaluation, the
window's pad and QR codes, and the applicant's rating page (no account)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.affairs.models import Ticket, TicketStatus
from jiedao.business.models import EnterpriseRequest
from jiedao.core.permissions import Action, policy
from jiedao.core.views import Col, add_errors, list_page
from jiedao.evaluations import figures, selectors, services
from jiedao.evaluations.forms import (
    AppealForm,
    CaseForm,
    DecideForm,
    EnterForm,
    MoveForm,
    RatingForm,
)
from jiedao.evaluations.models import (
    ONLINE_INDICATORS,
    ONSITE_INDICATORS,
    RECTIFICATION_TRANSITIONS,
    Appeal,
    AppealStatus,
    EvalChannel,
    Evaluation,
    Level,
    Rectification,
    RectificationStatus,
)

PAD_DAYS = 3  # the pad lists the clerk's tickets completed in the last few days


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _require_staff(user: Any) -> None:
    if not policy.paths_for(user, Evaluation, Action.VIEW):
        raise Http404


def _tabs(user: Any) -> list[tuple[str, str, str]]:
    tabs = [
        ("dashboard", reverse("evaluations_dashboard"), _("好差评")),
        ("list", reverse("evaluations_list"), _("评价")),
        ("bad", reverse("evaluations_bad"), _("差评整改")),
    ]
    if policy.paths_for(user, Evaluation, Action.ADD):
        tabs.append(("pad", reverse("evaluations_pad"), _("窗口评价器")))
        tabs.append(("enter", reverse("evaluations_enter"), _("代录评价")))
    tabs.append(("appeals", reverse("evaluations_appeals"), _("申诉复核")))
    return tabs


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("tabs", _tabs(request.user))
    return render(request, template, context)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


# --- dashboard -----------------------------------------------------------------------------------
def _rows(user: Any, metric: str, names: dict[str, str], link: str) -> list[dict[str, Any]]:
    out = []
    for key, counts in selectors.breakdown(user=user, metric=metric):
        total = sum(counts.values())
        out.append(
            {
                "name": names.get(key, key),
                "count": total,
                "good_rate": _rate(figures.good_rate(counts)),
                "bad": sum(n for lv, n in counts.items() if lv <= Level.UNSATISFIED),
                "url": link,
            }
        )
    return out


def _names(metric: str, keys: list[str]) -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from jiedao.affairs.models import ServiceItem, ServicePoint
    from jiedao.business.models import RequestType

    ids = [int(k) for k in keys if k.isdigit()]
    if metric == figures.BY_CHANNEL:
        return {c.value: str(c.label) for c in EvalChannel}
    if metric == figures.BY_ITEM:
        names = {
            str(pk): n for pk, n in ServiceItem.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        types = [int(k[1:]) for k in keys if k.startswith("t") and k[1:].isdigit()]
        names.update(
            {
                f"t{pk}": f"{n}（{_('企业诉求')}）"
                for pk, n in RequestType.objects.filter(pk__in=types).values_list("pk", "name")
            }
        )
        return names
    if metric == figures.BY_POINT:
        return {
            str(pk): n
            for pk, n in ServicePoint.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    users = get_user_model().objects.filter(pk__in=ids)
    return {str(u.pk): str(u) for u in users}


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    head = selectors.headline(user=user)
    list_url = reverse("evaluations_list")
    tables = []
    for metric, title in (
        (figures.BY_CHANNEL, _("按评价渠道")),
        (figures.BY_ITEM, _("按事项")),
        (figures.BY_POINT, _("按服务点")),
        (figures.BY_STAFF, _("按经办人")),
    ):
        keys = [k for k, _c in selectors.breakdown(user=user, metric=metric)]
        rows = _rows(user, metric, _names(metric, keys), list_url)
        tables.append({"title": title, "rows": rows[:30]})
    levels = [
        {
            "label": lv.label,
            "count": head["levels"].get(lv.value, 0),
            "url": f"{list_url}?level={lv.value}",
        }
        for lv in Level
    ]
    return _page(
        request,
        "evaluations/dashboard.html",
        {
            "title": _("好差评"),
            "active": "dashboard",
            "head": head,
            "good_rate": _rate(head["good_rate"]),
            "bad_rate": _rate(head["bad_rate"]),
            "fixed_on_time": _rate(head["fixed_on_time"]),
            "revisit_rate": _rate(head["revisit_rate"]),
            "levels": levels,
            "tables": tables,
            "monthly": [
                {**m, "good_rate": _rate(m["good_rate"])} for m in selectors.monthly(user=user)
            ],
            "definitions": selectors.DEFINITIONS,
        },
    )


# --- lists ----------------------------------------------------------------------------------------
def _filters(request: HttpRequest) -> selectors.EvaluationFilters:
    g = request.GET
    return selectors.EvaluationFilters(
        q=g.get("q", ""),
        channel=g.get("channel", ""),
        level=g.get("level", ""),
        bad=g.get("bad") == "1",
        suspicious=g.get("suspicious") == "1",
        month=g.get("month", ""),
        year=g.get("year", ""),
    )


def _evaluation_columns() -> list[Col]:
    def detail(e: Evaluation) -> str:
        return reverse("evaluations_detail", args=[e.pk])

    return [
        Col(_("编号"), lambda e: e.case_number, detail),
        Col(_("评价时间"), lambda e: _local(e.given_at)),
        Col(_("评价渠道"), lambda e: e.get_channel_display()),
        Col(_("总体评价"), lambda e: e.get_level_display()),
        Col(
            _("事项"),
            lambda e: e.item.name if e.item else (e.request_type.name if e.request_type else ""),
        ),
        Col(_("服务点"), lambda e: e.point.name if e.point else ""),
        Col(_("经办人"), lambda e: str(e.staff) if e.staff else ""),
        Col(
            _("评价人"),
            lambda e: f"{e.person.name}（{e.person.phone_masked}）" if e.person else _("匿名"),
        ),
        Col(_("疑似异常"), lambda e: e.suspicious_reason if e.suspicious else ""),
        Col(_("意见建议"), lambda e: e.comment),
    ]


@login_required
@require_GET
def evaluation_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    return list_page(
        request,
        title=_("评价"),
        queryset=selectors.evaluation_list(user=user, filters=_filters(request)),
        columns=_evaluation_columns(),
        model=Evaluation,
        export_name="evaluations",
        actions=[
            (f"{reverse('evaluations_list')}?bad=1", _("只看差评")),
            (f"{reverse('evaluations_list')}?suspicious=1", _("只看疑似异常")),
        ],
    )


@login_required
@require_GET
def bad_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    today = timezone.localdate()

    def late(r: Rectification) -> str:
        return (
            "、".join(services.late_steps(r, today))
            if r.status
            in {RectificationStatus.OPEN, RectificationStatus.CONTACTED, RectificationStatus.FIXED}
            else ""
        )

    return list_page(
        request,
        title=_("差评整改"),
        queryset=selectors.rectification_list(
            user=user,
            open_only=request.GET.get("open") == "1",
            overdue=request.GET.get("overdue") == "1",
        ),
        columns=[
            Col(
                _("编号"),
                lambda r: r.evaluation.case_number,
                lambda r: reverse("evaluations_detail", args=[r.evaluation_id]),
            ),
            Col(_("状态"), lambda r: r.get_status_display()),
            Col(_("联系期限"), lambda r: r.contact_due.isoformat()),
            Col(_("整改期限"), lambda r: r.fix_due.isoformat()),
            Col(_("超时"), late),
            Col(_("负责人"), lambda r: str(r.handler) if r.handler else ""),
        ],
        model=Rectification,
        export_name="rectifications",
        actions=[
            (f"{reverse('evaluations_bad')}?open=1", _("未完成")),
            (f"{reverse('evaluations_bad')}?overdue=1", _("已超时")),
        ],
    )


@login_required
@require_GET
def appeal_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not policy.can_any(user, Appeal, Action.VIEW):
        raise Http404
    return list_page(
        request,
        title=_("申诉复核"),
        queryset=selectors.appeal_list(user=user, pending=request.GET.get("pending") == "1"),
        columns=[
            Col(
                _("编号"),
                lambda a: a.evaluation.case_number,
                lambda a: reverse("evaluations_detail", args=[a.evaluation_id]),
            ),
            Col(_("申诉理由"), lambda a: a.reason),
            Col(_("申诉人"), lambda a: str(a.filed_by)),
            Col(_("复核结果"), lambda a: a.get_status_display()),
            Col(_("复核意见"), lambda a: a.decision_note),
        ],
        model=Appeal,
        export_name="appeals",
        actions=[(f"{reverse('evaluations_appeals')}?pending=1", _("待复核"))],
    )


# --- one evaluation ---------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    evaluation = selectors.evaluation_get(user=user, pk=pk)
    rect = Rectification.objects.filter(evaluation=evaluation).select_related("handler").first()
    appeal = (
        Appeal.objects.filter(evaluation=evaluation)
        .select_related("filed_by", "decided_by")
        .first()
    )
    move_form = MoveForm(prefix="move")
    appeal_form = AppealForm(prefix="appeal")
    decide_form = DecideForm(prefix="decide")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in RectificationStatus.values and rect is not None:
                move_form = MoveForm(request.POST, prefix="move")
                if move_form.is_valid():
                    services.rectification_move(
                        actor=user,
                        rectification=rect,
                        to_status=action,
                        note=move_form.cleaned_data["note"],
                        complex=move_form.cleaned_data["complex"],
                        revisit_level=move_form.cleaned_data["revisit_level"],
                    )
                    messages.success(request, _("已保存。"))
                    return redirect("evaluations_detail", pk=pk)
            elif action == "appeal":
                appeal_form = AppealForm(request.POST, prefix="appeal")
                if appeal_form.is_valid():
                    services.appeal_file(
                        actor=user, evaluation=evaluation, reason=appeal_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("申诉已提交，等待复核。"))
                    return redirect("evaluations_detail", pk=pk)
            elif action == "decide" and appeal is not None:
                decide_form = DecideForm(request.POST, prefix="decide")
                if decide_form.is_valid():
                    services.appeal_decide(
                        actor=user,
                        appeal=appeal,
                        upheld=decide_form.cleaned_data["upheld"],
                        note=decide_form.cleaned_data["note"],
                    )
                    messages.success(request, _("复核结果已保存。"))
                    return redirect("evaluations_detail", pk=pk)
            else:
                raise Http404
        except ValidationError as exc:
            target = {"appeal": appeal_form, "decide": decide_form}.get(action, move_form)
            add_errors(target, exc)
    moves = []
    if rect is not None and policy.can(user, Action.CHANGE, rect):
        moves = [
            (s, RectificationStatus(s).label)
            for s in sorted(RECTIFICATION_TRANSITIONS[rect.status])
        ]
    labels = {**ONSITE_INDICATORS, **ONLINE_INDICATORS}
    return _page(
        request,
        "evaluations/detail.html",
        {
            "title": _("评价 %(n)s") % {"n": evaluation.case_number},
            "active": "list",
            "evaluation": evaluation,
            "scores": [
                (labels.get(k, k), Level(v).label) for k, v in (evaluation.scores or {}).items()
            ],
            "case_url": _case_url(user, evaluation),
            "rect": rect,
            "steps": list(rect.steps.select_related("actor")) if rect else [],
            "late": services.late_steps(rect, timezone.localdate()) if rect else [],
            "moves": moves,
            "move_form": move_form,
            "appeal": appeal,
            "can_appeal": appeal is None
            and evaluation.is_bad
            and policy.can_in_org(user, Appeal, Action.ADD, evaluation.org_unit),
            "appeal_form": appeal_form,
            "can_decide": appeal is not None
            and appeal.status == AppealStatus.PENDING
            and policy.can(user, Action.CHANGE, appeal)
            and appeal.filed_by_id != user.pk,
            "decide_form": decide_form,
        },
    )


def _case_url(user: Any, evaluation: Evaluation) -> str:
    if evaluation.ticket is not None and policy.can(user, Action.VIEW, evaluation.ticket):
        return reverse("affairs_ticket_detail", args=[evaluation.ticket_id])
    if evaluation.request is not None and policy.can(user, Action.VIEW, evaluation.request):
        return reverse("business_request", args=[evaluation.request_id])
    return ""


# --- the window's pad, QR codes, entering on behalf ------------------------------------------------
def _find_case(user: Any, number: str) -> Any:
    """A completed ticket or closed request the user may view, by its number; else 404."""
    number = (number or "").strip()
    ticket = policy.scope(user, Action.VIEW, Ticket.objects.filter(number=number)).first()
    if ticket is not None:
        return ticket
    request = policy.scope(
        user, Action.VIEW, EnterpriseRequest.objects.filter(number=number)
    ).first()
    if request is not None:
        return request
    raise Http404


@login_required
@require_GET
def pad(request: HttpRequest) -> HttpResponse:
    """The clerk's recently completed tickets, each with its pad and QR buttons."""
    user: Any = request.user
    if not policy.paths_for(user, Evaluation, Action.ADD):
        raise Http404
    since = timezone.now() - timedelta(days=PAD_DAYS)
    tickets = (
        policy.scope(user, Action.VIEW, Ticket.objects.select_related("item", "applicant_person"))
        .filter(status=TicketStatus.COMPLETED, completed_at__gte=since, handler=user)
        .exclude(evaluations__channel__in=[EvalChannel.PAD, EvalChannel.QR])
        .order_by("-completed_at")[:30]
    )
    return _page(
        request,
        "evaluations/pad.html",
        {"title": _("窗口评价器"), "active": "pad", "tickets": list(tickets), "days": PAD_DAYS},
    )


@login_required
@require_POST
def link_issue(request: HttpRequest) -> HttpResponse:
    """Make a single-use link for a case: open it on the pad, or show its QR code."""
    user: Any = request.user
    case = _find_case(user, request.POST.get("number", ""))
    channel = request.POST.get("channel", EvalChannel.QR)
    try:
        _token, raw = services.token_issue(actor=user, case=case, channel=channel)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("evaluations_pad")
    url = request.build_absolute_uri(reverse("evaluations_rate", args=[raw]))
    if channel == EvalChannel.PAD:
        return redirect(reverse("evaluations_rate", args=[raw]))
    # a QR code for the screen, or the same link to send by SMS (shown below the code)
    qr = segno.make(url, error="m")
    return _page(
        request,
        "evaluations/qr.html",
        {
            "title": _("短信评价") if channel == EvalChannel.SMS else _("扫码评价"),
            "active": "pad",
            "number": case.number,
            "url": url,
            "svg": qr.svg_inline(scale=6, dark="#000", light="#fff"),
            "days": services.TOKEN_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """Staff enter an evaluation from a call (12345) or a visit, for a case they did not handle."""
    user: Any = request.user
    if not policy.paths_for(user, Evaluation, Action.ADD):
        raise Http404
    case_form = CaseForm(request.GET or None)
    case = None
    if case_form.is_valid():
        case = _find_case(user, case_form.cleaned_data["number"])
    channel = request.POST.get("channel", EvalChannel.HOTLINE)
    form = EnterForm(
        request.POST or None,
        channel=channel if channel in EvalChannel.values else EvalChannel.HOTLINE,
    )
    if request.method == "POST" and case is not None and form.is_valid():
        try:
            evaluation = services.evaluation_enter(
                actor=user,
                case=case,
                channel=form.cleaned_data["channel"],
                rating=services.Rating(
                    form.cleaned_data["level"], form.scores(), form.cleaned_data["comment"]
                ),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("评价已记录。"))
            return redirect("evaluations_detail", pk=evaluation.pk)
    return _page(
        request,
        "evaluations/enter.html",
        {
            "title": _("代录评价"),
            "active": "enter",
            "case_form": case_form,
            "case": case,
            "form": form,
        },
    )


# --- the applicant's page (no account) ---------------------------------------------------------------
def _client_source(request: HttpRequest) -> str:
    return services.source_key(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")[:200]
    )


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """Rate one case through its single-use link (QR code, the window's pad, SMS)."""
    try:
        link = services.token_get(token)
    except ValidationError as exc:
        return render(
            request,
            "evaluations/rate_gone.html",
            {"title": _("评价"), "message": exc.messages[0]},
            status=404,
        )
    case: Any = link.ticket if link.ticket_id else link.request
    form = RatingForm(request.POST or None, channel=link.channel)
    if request.method == "POST" and form.is_valid():
        try:
            services.token_rate(
                raw=token,
                rating=services.Rating(
                    form.cleaned_data["level"], form.scores(), form.cleaned_data["comment"]
                ),
                source=_client_source(request),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return render(request, "evaluations/rate_done.html", {"title": _("感谢您的评价")})
    what = case.item.name if isinstance(case, Ticket) else case.type.name  # type: ignore[union-attr]
    return render(
        request,
        "evaluations/rate.html",
        {
            "title": _("请您评价"),
            "form": form,
            "what": what,
            "number": case.number,
            "channel": link.get_channel_display(),
        },
    )


# --- the applicant's own account (网上评价) -------------------------------------------------------
@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """A resident's or enterprise contact's own finished cases, to rate online."""
    cases = selectors.own_cases_to_rate(user=request.user)
    rows = [
        {
            "number": c.number,
            "what": c.item.name if isinstance(c, Ticket) else c.type.name,
            "url": reverse(
                "evaluations_mine_rate",
                args=["ticket" if isinstance(c, Ticket) else "request", c.pk],
            ),
        }
        for c in cases
    ]
    return render(request, "evaluations/mine.html", {"title": _("待评价"), "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def mine_rate(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    case = selectors.own_case(user=request.user, kind=kind, pk=pk)
    form = RatingForm(request.POST or None, channel=EvalChannel.ONLINE)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_give_online(
                actor=request.user,
                case=case,
                rating=services.Rating(
                    form.cleaned_data["level"], form.scores(), form.cleaned_data["comment"]
                ),
                source=_client_source(request),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("感谢您的评价"))
            return redirect("evaluations_mine")
    what = case.item.name if isinstance(case, Ticket) else case.type.name
    return render(
        request,
        "evaluations/rate.html",
        {
            "title": _("请您评价"),
            "form": form,
            "what": what,
            "number": case.number,
            "channel": EvalChannel.ONLINE.label,
        },
    )
