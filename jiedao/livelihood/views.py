"""Staff pages of the livelihood module (民生项目), under /livelihood/.

Views parse input, call a selector or a service, render. Every page is for staff who may see
livelihood projects (404 for anyone else), except the review desk and score sheet, which the
assigned experts reach too. Each action is a POST that redirects back with a message, or, when a
service refuses, renders the page again with the user's input and the service's message.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.core import figures
from jiedao.core import selectors as core_selectors
from jiedao.core.audit import action_label, describe_changes, history
from jiedao.core.exports import ExportColumn, xlsx_response
from jiedao.core.models import OrgKind, OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.livelihood import photos as photo_lib
from jiedao.livelihood import selectors, services
from jiedao.livelihood.forms import (
    ApproveForm,
    FundFilterForm,
    FundForm,
    MilestoneForm,
    MilestoneStateForm,
    NextVersionForm,
    PaperForm,
    PartyForm,
    PhotoForm,
    ProjectFilterForm,
    ProjectForm,
    QuestionForm,
    ReviewAssignForm,
    ReviewForm,
    SiteSurveyForm,
    SpendingForm,
    StageForm,
    SurveyForm,
    cleaned,
)
from jiedao.livelihood.models import (
    DONE_STAGES,
    FUNDED_STAGES,
    REASON_REQUIRED,
    STAGE_ORDER,
    STAGE_TRANSITIONS,
    Fund,
    MilestoneState,
    PhotoKind,
    Programme,
    ProgrammeKind,
    Project,
    ResponseChannel,
    ReviewAssignment,
    Stage,
    Survey,
    SurveyStatus,
)

PAGE_SIZE = 50
HISTORY_ROWS = 30
MAP_POINTS = 100  # the most recent located projects; the committees' counts cover the rest
DASHBOARD_SURVEYS = 50

# Figures the selectors' DEFINITIONS do not word.
LOCAL_DEFINITIONS = {
    "landed": gettext_lazy("已落地：处于已完工或已评估阶段的项目数。"),
    "committees": gettext_lazy("按项目所属组织（居委会，或街道本级）计数；颜色越深项目越多。"),
    "review": gettext_lazy(
        "加权总分：每位专家各要点得分 ÷ 满分 × 权重，求和后 ÷ 权重之和 × 100；"
        "平均分只计已提交的评审。"
    ),
    "survey_results": gettext_lazy(
        "结果只计本征询收到的答卷：线上为居民账号提交（每人一份），纸质为工作人员录入。"
    ),
    "years": gettext_lazy("按项目年度和当前阶段计数。"),
    "budget": gettext_lazy("预算：该年度各项资金的预算金额之和；已安排、已支出的口径见下方说明。"),
}


# --- helpers -----------------------------------------------------------------------------------
def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _is_staff(user: Any) -> bool:
    return bool(policy.paths_for(user, Project, Action.VIEW))


def _require_staff(user: Any) -> None:
    if not _is_staff(user):
        raise Http404


def _module_nav(user: Any) -> list[tuple[str, str, Any]]:
    staff = _is_staff(user)
    tabs: list[tuple[str, str, Any]] = []
    if staff:
        tabs.append(("overview", reverse("livelihood_overview"), _("概览")))
        tabs.append(("projects", reverse("livelihood_projects"), _("项目")))
    if policy.paths_for(user, Fund, Action.VIEW):
        tabs.append(("funds", reverse("livelihood_funds"), _("资金")))
    if policy.can_any(user, ReviewAssignment, Action.VIEW):
        tabs.append(("reviews", reverse("livelihood_reviews"), _("专家评审")))
    if staff:
        tabs.append(("dashboard", reverse("livelihood_dashboard"), _("统计")))
    return tabs


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.setdefault("livelihood_nav", _module_nav(request.user))
    return render(request, template, context, status=status)


def _url(name: str, *args: Any, anchor: str = "", **params: Any) -> str:
    base = reverse(name, args=args)
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    url = f"{base}?{urlencode(query)}" if query else base
    return f"{url}#{anchor}" if anchor else url


def _projects_url(**params: Any) -> str:
    return _url("livelihood_projects", **params)


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's errors on the form: under the field it names, else on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _money(value: Any) -> float:
    return float(value or 0)


def _stage_label(value: str) -> str:
    return str(Stage(value).label) if value in Stage.values else value


def _kind_label(value: str) -> str:
    return str(ProgrammeKind(value).label) if value in ProgrammeKind.values else value


# --- overview ----------------------------------------------------------------------------------
def _org_index(user: Any) -> dict[str, OrgUnit]:
    return {o.code: o for o in core_selectors.org_unit_list(user=user)}


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Per programme: counts by stage and landed, the committees' map, counts per committee."""
    user: Any = request.user
    _require_staff(user)
    projects = selectors.project_list(user=user)
    counts = selectors.stage_counts_for(user=user)
    brands = {
        p.kind: p.brand
        for p in selectors.programme_list(user=user).order_by("-org_unit__path")
        if p.brand
    }
    # Landed projects are the registry's figures (the report card shows the same numbers).
    landed_figure = {
        ProgrammeKind.BEAUTIFUL_BLOCK: "livelihood.beautiful_blocks",
        ProgrammeKind.SELF_GOVERNANCE: "livelihood.self_governance",
    }
    landed = figures.for_user(user, Project, landed_figure.values())
    programmes = []
    for kind, label in ProgrammeKind.choices:
        by_stage = counts.get(kind, {})
        programmes.append(
            {
                "kind": kind,
                "label": label,
                "brand": brands.get(kind, ""),
                "total": by_stage.get("total", 0),
                "total_url": _projects_url(kind=kind),
                "landed": landed[landed_figure[ProgrammeKind(kind)]],
                "landed_url": _projects_url(kind=kind, stage="done"),
                "stages": [
                    (s.label, by_stage.get(s.value, 0), _projects_url(kind=kind, stage=s.value))
                    for s in Stage
                ],
            }
        )
    orgs = _org_index(user)
    committees = []
    for row in selectors.committee_counts_for(user=user):
        org = orgs.get(row["code"])
        committees.append(
            {
                **row,
                "bb": row.get(ProgrammeKind.BEAUTIFUL_BLOCK, 0),
                "sg": row.get(ProgrammeKind.SELF_GOVERNANCE, 0),
                "url": _projects_url(org=org.path if org else None),
                "bb_url": _projects_url(
                    org=org.path if org else None, kind=ProgrammeKind.BEAUTIFUL_BLOCK
                ),
                "sg_url": _projects_url(
                    org=org.path if org else None, kind=ProgrammeKind.SELF_GOVERNANCE
                ),
            }
        )
    by_code = {c["code"]: c for c in committees}
    features = []
    regions = []
    for org in orgs.values():
        if org.kind != OrgKind.COMMITTEE or not org.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": org.code, "name": org.name},
                "geometry": org.boundary,
            }
        )
        regions.append(
            {
                "name": org.name,
                "value": by_code.get(org.code, {}).get("total", 0),
                "url": _projects_url(org=org.path),
            }
        )
    located = (
        projects.exclude(longitude=None)
        .exclude(latitude=None)
        .order_by("-pk")
        .values_list("pk", "title", "longitude", "latitude")[: MAP_POINTS + 1]
    )
    points = [
        {
            "name": title,
            "value": [_money(lon), _money(lat)],
            "url": reverse("livelihood_project", args=[pk]),
        }
        for pk, title, lon, lat in located
    ]
    more_points = len(points) > MAP_POINTS
    points = points[:MAP_POINTS]
    return _page(
        request,
        "livelihood/overview.html",
        {
            "title": _("民生项目"),
            "active": "overview",
            "programmes": programmes,
            "committees": committees,
            "more_points": more_points,
            "map_points": MAP_POINTS,
            "map": {
                "geo": {"type": "FeatureCollection", "features": features},
                "regions": regions,
                "points": points,
                "labels": {"projects": _("项目数"), "point": _("项目位置")},
            },
            "definitions": selectors.DEFINITIONS,
            "local_definitions": LOCAL_DEFINITIONS,
        },
    )


# --- project list ------------------------------------------------------------------------------
def _filter_form(request: HttpRequest, user: Any) -> ProjectFilterForm:
    visible = selectors.project_list(user=user).order_by()
    programmes = list(
        Programme.objects.filter(pk__in=visible.values("programme_id"))
        .select_related("org_unit")
        .order_by("org_unit__path", "kind")
    )
    years = sorted(set(visible.values_list("year", flat=True)), reverse=True)
    orgs = list(
        core_selectors.org_units_for(user=user, model=Project, action=Action.VIEW).order_by("path")
    )
    return ProjectFilterForm(request.GET, programmes=programmes, years=years, orgs=orgs)


def _filtered_projects(user: Any, cd: dict[str, Any], action: Action) -> QuerySet[Project]:
    stage = cd.get("stage") or ""
    qs = selectors.project_list(
        user=user,
        action=action,
        programme=cd.get("programme") or None,
        stage="" if stage == "done" else stage,
        year=cd.get("year") or None,
        org=cd.get("org") or "",
        q=(cd.get("q") or "").replace("\x00", "").strip(),
        fund=cd.get("fund") or None,
    )
    if stage == "done":
        qs = qs.filter(stage__in=DONE_STAGES)
    if cd.get("kind"):
        qs = qs.filter(programme__kind=cd["kind"])
    if cd.get("surveys") == "closed":
        # The projects whose answers the participation figure counts.
        qs = qs.filter(
            pk__in=Survey.objects.filter(status=SurveyStatus.CLOSED).values("project_id")
        )
    return qs


def _project_columns() -> list[ExportColumn]:
    return [
        ExportColumn(gettext_lazy("项目名称"), lambda p: p.title),
        ExportColumn(gettext_lazy("类别"), lambda p: str(p.programme)),
        ExportColumn(gettext_lazy("居委会"), lambda p: p.org_unit.name),
        ExportColumn(gettext_lazy("年度"), lambda p: p.year),
        ExportColumn(gettext_lazy("阶段"), lambda p: str(p.get_stage_display())),
        ExportColumn(gettext_lazy("地点"), lambda p: p.place_name),
        ExportColumn(gettext_lazy("申请预算 (元)"), lambda p: _money(p.budget_requested)),
        ExportColumn(gettext_lazy("核定预算 (元)"), lambda p: _money(p.budget_allocated)),
        ExportColumn(
            gettext_lazy("进度 (%)"),
            lambda p: selectors.progress_of(p.total_weight, p.done_weight),
        ),
        ExportColumn(gettext_lazy("已支出 (元)"), lambda p: _money(p.spent)),
        ExportColumn(gettext_lazy("提议日期"), lambda p: p.proposed_on),
        ExportColumn(gettext_lazy("立项日期"), lambda p: p.approved_on),
        ExportColumn(gettext_lazy("完工日期"), lambda p: p.completed_on),
        ExportColumn(gettext_lazy("已公开"), lambda p: _("是") if p.published else _("否")),
    ]


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    form = _filter_form(request, user)
    cd = cleaned(form)
    can_export = policy.can_any(user, Project, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        rows = _filtered_projects(user, cd, Action.EXPORT)
        return xlsx_response(_project_columns(), rows.iterator(), "livelihood-projects")
    qs = _filtered_projects(user, cd, Action.VIEW)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for p in page.object_list:
        p.progress = selectors.progress_of(p.total_weight, p.done_weight)
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    query = params.urlencode()
    context = {
        "title": _("民生项目"),
        "active": "projects",
        "form": form,
        "page": page,
        "query": query,
        "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
        "can_export": can_export,
        "can_add": bool(policy.paths_for(user, Project, Action.ADD)),
        "definitions": selectors.DEFINITIONS,
    }
    if _htmx(request):
        return render(request, "livelihood/partials/project_table.html", context)
    return _page(request, "livelihood/projects.html", context)


# --- project form ------------------------------------------------------------------------------
def _compounds(user: Any, path: str | None = None) -> Any:
    qs = core_selectors.compound_list(user=user)
    if path:
        qs = qs.filter(org_unit__path__startswith=path)
    return qs


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    paths = policy.paths_for(user, Project, Action.ADD)
    if not paths:
        raise NotPermitted(Action.ADD)
    orgs = core_selectors.org_units_for(user=user, model=Project, action=Action.ADD).order_by(
        "path"
    )
    programmes = selectors.programmes_for_paths(paths)
    initial: dict[str, Any] = {}
    kind = request.GET.get("kind", "")
    first = next((p for p in programmes if p.kind == kind), None) if kind else None
    if first is not None:
        initial["programme"] = first.pk
    elif len(programmes) == 1:
        initial["programme"] = programmes[0].pk
    committees = [o for o in orgs if o.kind == OrgKind.COMMITTEE]
    if len(committees) == 1:
        initial["org_unit"] = committees[0].pk
    form = ProjectForm(
        request.POST or None,
        programmes=programmes,
        orgs=orgs,
        compounds=_compounds(user),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                project = services.project_create(
                    actor=user,
                    programme=form.cleaned_data["programme"],
                    org_unit=form.cleaned_data["org_unit"],
                    data=form.data_for_service(),
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("项目已登记。"))
                return redirect("livelihood_project", pk=project.pk)
        status = 400
    return _page(
        request,
        "livelihood/project_form.html",
        {"title": _("登记民生项目"), "active": "projects", "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    project = selectors.project_get(user=user, pk=pk, action=Action.CHANGE)
    initial = {k: getattr(project, k) for k in ProjectForm.DATA_FIELDS if k != "compound"}
    initial.update(
        programme=project.programme_id,
        org_unit=project.org_unit_id,
        compound=project.compound_id,
    )
    form = ProjectForm(
        request.POST or None,
        programmes=Programme.objects.filter(pk=project.programme_id).select_related("org_unit"),
        orgs=OrgUnit.objects.filter(pk=project.org_unit_id),
        compounds=_compounds(user, project.org_unit.path),
        initial=initial,
        editing=True,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.project_update(actor=user, project=project, data=form.data_for_service())
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("项目信息已保存。"))
                return redirect("livelihood_project", pk=project.pk)
        status = 400
    return _page(
        request,
        "livelihood/project_form.html",
        {
            "title": _("修改项目：%(t)s") % {"t": project.title},
            "active": "projects",
            "form": form,
            "project": project,
        },
        status=status,
    )


# --- project page ------------------------------------------------------------------------------
def _moves(user: Any, project: Project, office: bool, can_change: bool) -> list[dict[str, Any]]:
    """The stage moves this user may ask for (approval has its own form: it needs a fund)."""
    if not can_change:
        return []
    order: list[str] = [s.value for s in (*STAGE_ORDER, Stage.REJECTED, Stage.WITHDRAWN)]
    out = []
    for to in sorted(STAGE_TRANSITIONS.get(project.stage, frozenset()), key=order.index):
        if to == Stage.APPROVED:
            continue
        office_only = to == Stage.REJECTED or (
            to == Stage.WITHDRAWN and project.stage == Stage.APPROVED
        )
        if office_only and not office:
            continue
        out.append(
            {
                "to": to,
                "label": _stage_label(to),
                "reason": to in REASON_REQUIRED,
                "closing": to in {Stage.REJECTED, Stage.WITHDRAWN},
            }
        )
    return out


def _stage_bar(project: Project, timeline: list[selectors.Event]) -> list[dict[str, Any]]:
    reached = project.stage
    if project.stage in {Stage.REJECTED, Stage.WITHDRAWN}:
        last = [e.obj for e in timeline if e.kind == "stage" and e.obj is not None]
        reached = last[-1].from_stage if last and last[-1].from_stage else Stage.PROPOSED
    index = STAGE_ORDER.index(Stage(reached)) if reached in STAGE_ORDER else 0
    bar = []
    for i, s in enumerate(STAGE_ORDER):
        state = "done" if i < index else "todo"
        if i == index:
            state = "current" if reached == project.stage else "stopped"
        bar.append({"stage": s.value, "label": s.label, "state": state})
    if project.stage in {Stage.REJECTED, Stage.WITHDRAWN}:
        bar.append({"stage": project.stage, "label": project.get_stage_display(), "state": "end"})
    return bar


def _fund_choices(user: Any, project: Project) -> dict[int, Fund]:
    return {f.pk: f for f in selectors.fund_choices(user=user, project=project)}


def _fund_label(fund: Fund) -> str:
    return _("%(fund)s（余额 %(balance)s 元）") % {
        "fund": str(fund),
        "balance": f"{getattr(fund, 'balance', 0):.2f}",
    }


def _experts_for(project: Project) -> dict[int, Any]:
    return {u.pk: u for u in selectors.experts_for(project)[:300]}


def _photo_form_choices(
    photos: list[Any], site_surveys: list[Any]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    paired = {p.before_id for p in photos if p.before_id}
    befores = [
        (p.pk, p.spot or p.caption or p.original_name)
        for p in photos
        if p.kind == PhotoKind.BEFORE and p.pk not in paired
    ]
    surveys = [(s.pk, f"{s.date:%Y-%m-%d} · {s.findings[:30]}") for s in site_surveys]
    return befores, surveys


def _actor_name(project: Project, actor_id: Any, actor: Any) -> str:
    """Staff and experts by name; the resident who proposed the project never by name."""
    if actor_id is not None and actor_id == project.proposed_by_id:
        return str(_("提议居民"))
    return str(actor) if actor else str(_("系统"))


def _history(project: Project) -> list[dict[str, Any]]:
    return [
        {
            "at": e.timestamp,
            "title": action_label(e),
            "detail": describe_changes(e, Project, frozenset({"proposed_by"})),
            "actor": _actor_name(project, e.actor_id, e.actor),
        }
        for e in history(project)[:HISTORY_ROWS]
    ]


def _detail(
    request: HttpRequest,
    project: Project,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The project's whole story on one page, with the forms of what this user may do."""
    user: Any = request.user
    bound = bound or {}
    can_change = policy.can(user, Action.CHANGE, project)
    office = services.is_office(user, project)
    sees_reviews = policy.can_in_org(user, ReviewAssignment, Action.VIEW, project.org_unit)
    timeline = selectors.project_timeline(project, staff=True, reviews=sees_reviews)
    site_surveys = list(project.site_surveys.all())
    photos = selectors.photos_of(project)
    milestones = list(project.milestones.all())
    spendings = list(project.spendings.select_related("recorded_by"))
    allocated = project.budget_allocated or Decimal("0")
    spent = getattr(project, "spent", Decimal("0"))
    reviews = list(selectors.review_list(user=user, project=project)) if sees_reviews else []
    forms: dict[str, Any] = {}
    if can_change:
        befores, survey_choices = _photo_form_choices(photos, site_surveys)
        forms["stage"] = StageForm()
        forms["party"] = PartyForm(prefix="party")
        forms["site_survey"] = SiteSurveyForm(prefix="site")
        forms["survey"] = SurveyForm(
            prefix="survey", initial={"title": _("“%(t)s”意见征询") % {"t": project.title}}
        )
        forms["photo"] = PhotoForm(prefix="photo", befores=befores, site_surveys=survey_choices)
        if project.stage in {Stage.APPROVED, Stage.IN_WORKS}:
            forms["milestone"] = MilestoneForm(prefix="ms")
            forms["milestone_state"] = True
        if project.stage in DONE_STAGES:
            # "望花园" → "望花园2.0", "望花园2.0" → "望花园3.0"
            base = (
                re.sub(r"\s*\d+\.0$", "", project.title) if project.version > 1 else project.title
            )
            forms["next_version"] = NextVersionForm(
                prefix="next", initial={"title": f"{base}{project.version + 1}.0"}
            )
    if office:
        if project.stage == Stage.EXPERT_REVIEW:
            funds = _fund_choices(user, project)
            forms["approve"] = ApproveForm(
                prefix="approve",
                funds=[(pk, _fund_label(f)) for pk, f in funds.items()],
                initial={"amount": project.budget_requested},
            )
        if project.stage in {Stage.OPINION_SURVEY, Stage.EXPERT_REVIEW}:
            assigned = {r.expert_id for r in reviews}
            experts = _experts_for(project)
            forms["assign"] = ReviewAssignForm(
                prefix="assign",
                experts=[(pk, str(u)) for pk, u in experts.items() if pk not in assigned],
            )
        if project.stage in FUNDED_STAGES:
            forms["spending"] = SpendingForm(prefix="spend")
    forms.update(bound)
    error_form = next(iter(bound.values()), None) if bound else None
    return _page(
        request,
        "livelihood/project_detail.html",
        {
            "title": project.title,
            "active": "projects",
            "project": project,
            "can_change": can_change,
            "office": office,
            "forms": forms,
            "error_anchor": next(iter(bound), "") if bound else "",
            "error_form": error_form,
            "moves": _moves(user, project, office, can_change),
            "stage_bar": _stage_bar(project, timeline),
            "parties": list(project.parties.all()),
            "versions": selectors.versions_of(project),
            "timeline": timeline,
            "history": _history(project) if can_change else [],
            "site_surveys": site_surveys,
            "surveys": list(selectors.survey_list(user=user, project=project)),
            "reviews": reviews,
            "summary": selectors.review_summary(project) if sees_reviews and reviews else None,
            "milestones": milestones,
            "milestone_states": MilestoneState.choices,
            "progress": selectors.progress_of(project.total_weight, project.done_weight),  # type: ignore[attr-defined]
            "spendings": spendings,
            "allocated": allocated,
            "spent": spent,
            "remaining": allocated - spent,
            "photos": photos,
            "pairs": selectors.photo_pairs(photos),
            "other_photos": [p for p in photos if p.kind != PhotoKind.BEFORE and not p.before_id],
            "definitions": selectors.DEFINITIONS,
            "local_definitions": LOCAL_DEFINITIONS,
            "fund_url": _url("livelihood_fund", project.fund_id) if project.fund_id else "",
        },
        status=status,
    )


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    if not _is_staff(user):
        # An expert reaches a project only through their own assignment.
        mine = selectors.review_list(user=user).filter(project_id=pk, expert=user).first()
        if mine is None:
            raise Http404
        return redirect("livelihood_review", pk=mine.pk)
    return _detail(request, selectors.project_get(user=user, pk=pk))


def _project_for_action(request: HttpRequest, pk: int) -> Project:
    user: Any = request.user
    _require_staff(user)
    return selectors.project_get(user=user, pk=pk)


def _run(
    request: HttpRequest,
    project: Project,
    name: str,
    form: Any,
    save: Callable[[dict[str, Any]], str],
    anchor: str,
) -> HttpResponse:
    """Validate, call the service, redirect back with its message; or show the page again with
    the user's input and the service's errors."""
    if form.is_valid():
        try:
            message = save(form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect(_url("livelihood_project", project.pk, anchor=anchor))
    fresh = selectors.project_get(user=request.user, pk=project.pk)
    return _detail(request, fresh, bound={name: form}, status=400)


@login_required
@require_POST
def project_stage(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    if not policy.can(user, Action.CHANGE, project):
        raise NotPermitted(Action.CHANGE)

    def save(cd: dict[str, Any]) -> str:
        services.project_transition(
            actor=user, project=project, to_stage=cd["to_stage"], note=cd["note"]
        )
        return _("项目已进入“%(s)s”阶段。") % {"s": _stage_label(cd["to_stage"])}

    return _run(request, project, "stage", StageForm(request.POST), save, "stage")


@login_required
@require_POST
def project_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    if not services.is_office(user, project):
        raise NotPermitted(Action.CHANGE)
    funds = _fund_choices(user, project)
    form = ApproveForm(
        request.POST, prefix="approve", funds=[(k, _fund_label(f)) for k, f in funds.items()]
    )

    def save(cd: dict[str, Any]) -> str:
        services.project_approve(
            actor=user,
            project=project,
            fund=funds[cd["fund"]],
            amount=cd["amount"],
            note=cd["note"],
        )
        return _("项目已立项，从“%(f)s”安排 %(a).2f 元。") % {
            "f": str(funds[cd["fund"]]),
            "a": cd["amount"],
        }

    return _run(request, project, "approve", form, save, "stage")


@login_required
@require_POST
def project_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    published = request.POST.get("published") == "1"
    services.project_publish(actor=user, project=project, published=published)
    messages.success(
        request, _("项目已在居民页面公开。") if published else _("项目已从居民页面撤下。")
    )
    return redirect("livelihood_project", pk=project.pk)


@login_required
@require_POST
def party_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)

    def save(cd: dict[str, Any]) -> str:
        services.party_add(
            actor=user, project=project, kind=cd["kind"], name=cd["name"], role=cd["role"]
        )
        return _("参与方已添加。")

    return _run(request, project, "party", PartyForm(request.POST, prefix="party"), save, "parties")


@login_required
@require_POST
def site_survey_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)

    def save(cd: dict[str, Any]) -> str:
        services.site_survey_record(
            actor=user,
            project=project,
            day=cd["date"],
            findings=cd["findings"],
            leaders=cd["leaders"],
            staff=cd["staff"],
            residents=cd["residents"],
        )
        return _("现场踏勘已记录。")

    form = SiteSurveyForm(request.POST, prefix="site")
    return _run(request, project, "site_survey", form, save, "site-surveys")


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    project = selectors.project_get(user=user, pk=pk, action=Action.CHANGE)
    form = SurveyForm(
        request.POST or None,
        prefix="survey",
        initial={"title": _("“%(t)s”意见征询") % {"t": project.title}},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cd = form.cleaned_data
            try:
                survey = services.survey_create(
                    actor=user,
                    project=project,
                    title=cd["title"],
                    intro=cd["intro"],
                    closes_on=cd["closes_on"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("征询已建立，请添加题目。"))
                return redirect("livelihood_survey", pk=survey.pk)
        status = 400
    return _page(
        request,
        "livelihood/survey_form.html",
        {"title": _("新建意见征询"), "active": "projects", "project": project, "form": form},
        status=status,
    )


@login_required
@require_POST
def review_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    if not services.is_office(user, project):
        raise NotPermitted(Action.CHANGE)
    experts = _experts_for(project)
    form = ReviewAssignForm(
        request.POST, prefix="assign", experts=[(k, str(u)) for k, u in experts.items()]
    )

    def save(cd: dict[str, Any]) -> str:
        expert = experts[cd["expert"]]
        services.review_assign(actor=user, project=project, expert=expert, due_on=cd["due_on"])
        return _("已邀请 %(e)s 评审。") % {"e": expert}

    return _run(request, project, "assign", form, save, "reviews")


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)

    def save(cd: dict[str, Any]) -> str:
        services.milestone_add(
            actor=user,
            project=project,
            title=cd["title"],
            planned_on=cd["planned_on"],
            weight=cd["weight"],
        )
        return _("工程节点已添加。")

    form = MilestoneForm(request.POST, prefix="ms")
    return _run(request, project, "milestone", form, save, "milestones")


@login_required
@require_POST
def milestone_state(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    milestone = selectors.milestone_get(user=user, pk=pk)
    form = MilestoneStateForm(request.POST)
    if form.is_valid():
        try:
            services.milestone_set_state(
                actor=user,
                milestone=milestone,
                state=form.cleaned_data["state"],
                done_on=form.cleaned_data["done_on"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("节点“%(t)s”已改为“%(s)s”。")
                % {"t": milestone.title, "s": milestone.get_state_display()},
            )
    else:
        messages.error(request, _("状态不正确。"))
    return redirect(_url("livelihood_project", milestone.project_id, anchor="milestones"))


@login_required
@require_POST
def spending_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)

    def save(cd: dict[str, Any]) -> str:
        services.spending_record(
            actor=user,
            project=project,
            day=cd["date"],
            amount=cd["amount"],
            description=cd["description"],
            payee=cd["payee"],
        )
        return _("支出 %(a).2f 元已记录。") % {"a": cd["amount"]}

    form = SpendingForm(request.POST, prefix="spend")
    return _run(request, project, "spending", form, save, "spending")


@login_required
@require_POST
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    photos = selectors.photos_of(project)
    site_surveys = list(project.site_surveys.all())
    befores, survey_choices = _photo_form_choices(photos, site_surveys)
    form = PhotoForm(
        request.POST, request.FILES, prefix="photo", befores=befores, site_surveys=survey_choices
    )
    by_pk = {p.pk: p for p in photos}
    surveys_by_pk = {s.pk: s for s in site_surveys}

    def save(cd: dict[str, Any]) -> str:
        upload = cd["image"]
        services.photo_upload(
            actor=user,
            project=project,
            # At most one byte over the limit is read: the service refuses it as too large.
            data=upload.read(photo_lib.max_bytes() + 1),
            name=upload.name,
            kind=cd["kind"],
            spot=cd["spot"],
            caption=cd["caption"],
            taken_on=cd["taken_on"],
            before=by_pk.get(cd["before"]) if cd["before"] else None,
            site_survey=surveys_by_pk.get(cd["site_survey"]) if cd["site_survey"] else None,
        )
        return _("照片已上传（页面显示的照片已去除位置等信息）。")

    return _run(request, project, "photo", form, save, "photos")


@login_required
@require_POST
def next_version(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    project = _project_for_action(request, pk)
    form = NextVersionForm(request.POST, prefix="next")
    if form.is_valid():
        cd = form.cleaned_data
        try:
            new = services.project_next_version(
                actor=user,
                project=project,
                title=cd["title"],
                year=cd["year"],
                description=cd["description"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("已开展下一版本“%(t)s”，地点和参与方已沿用。") % {"t": new.title}
            )
            return redirect("livelihood_project", pk=new.pk)
    fresh = selectors.project_get(user=user, pk=project.pk)
    return _detail(request, fresh, bound={"next_version": form}, status=400)


# --- opinion surveys ---------------------------------------------------------------------------
def _survey_chart(results: dict[str, Any]) -> list[dict[str, Any]]:
    charts = []
    for r in results["questions"]:
        if r.choices:
            charts.append(
                {
                    "id": f"chart-q{r.question.pk}",
                    "categories": [c for c, *_rest in r.choices],
                    "series": [
                        {
                            "name": str(_("线上")),
                            "stack": "n",
                            "data": [on for _c, on, _p, _t in r.choices],
                        },
                        {
                            "name": str(_("纸质")),
                            "stack": "n",
                            "data": [pa for _c, _o, pa, _t in r.choices],
                        },
                    ],
                }
            )
        elif r.distribution:
            charts.append(
                {
                    "id": f"chart-q{r.question.pk}",
                    "categories": [str(v) for v, _n in r.distribution],
                    "series": [{"name": str(_("人数")), "data": [n for _v, n in r.distribution]}],
                }
            )
    return charts


def _survey_page(
    request: HttpRequest, survey: Survey, question_form: Any = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    project = survey.project
    can_change = policy.can(user, Action.CHANGE, project)
    results = None
    charts: list[dict[str, Any]] = []
    if survey.status == SurveyStatus.CLOSED:
        results = selectors.survey_results(survey, public=False)
        charts = _survey_chart(results)
    if question_form is None and can_change and survey.status == SurveyStatus.DRAFT:
        question_form = QuestionForm()
    return _page(
        request,
        "livelihood/survey_detail.html",
        {
            "title": survey.title,
            "active": "projects",
            "survey": survey,
            "project": project,
            "questions": list(survey.questions.all()),
            "can_change": can_change,
            "question_form": question_form,
            "received": selectors.response_count(survey)
            if survey.status == SurveyStatus.OPEN
            else None,
            "results": results,
            "charts": charts,
            "definitions": selectors.DEFINITIONS,
            "local_definitions": LOCAL_DEFINITIONS,
        },
        status=status,
    )


@login_required
@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    return _survey_page(request, selectors.survey_get(user=user, pk=pk))


def _survey_for_action(request: HttpRequest, pk: int) -> Survey:
    user: Any = request.user
    _require_staff(user)
    return selectors.survey_get(user=user, pk=pk)


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    survey = _survey_for_action(request, pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(actor=user, survey=survey, question=form.question())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("题目已添加。"))
            return redirect(_url("livelihood_survey", survey.pk, anchor="questions"))
    return _survey_page(request, survey, question_form=form, status=400)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    question = selectors.question_get(user=user, pk=pk)
    survey = question.survey
    try:
        services.question_delete(actor=user, question=question)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("题目已删除。"))
    return redirect(_url("livelihood_survey", survey.pk, anchor="questions"))


@login_required
@require_POST
def survey_open(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    survey = _survey_for_action(request, pk)
    try:
        services.survey_open(actor=user, survey=survey)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("征询已开始，居民可以在线填写，纸质问卷可以录入。"))
    return redirect("livelihood_survey", pk=survey.pk)


@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    survey = _survey_for_action(request, pk)
    try:
        services.survey_close(actor=user, survey=survey)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("征询已结束，结果已生成。"))
    return redirect("livelihood_survey", pk=survey.pk)


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Type in one paper questionnaire; after saving, the form is offered again for the next."""
    user: Any = request.user
    _require_staff(user)
    survey = selectors.survey_get(user=user, pk=pk, action=Action.CHANGE)
    questions = list(survey.questions.all())
    point = request.GET.get("point", "")[:100]
    form = PaperForm(request.POST or None, questions=questions, initial={"collection_point": point})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.response_enter_paper(
                    actor=user,
                    survey=survey,
                    answers=form.answers(),
                    collection_point=form.cleaned_data["collection_point"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("纸质问卷已录入（收集点：%(p)s）。")
                    % {"p": form.cleaned_data["collection_point"]},
                )
                return redirect(
                    _url(
                        "livelihood_paper_entry",
                        survey.pk,
                        point=form.cleaned_data["collection_point"],
                        saved=1,
                    )
                )
        status = 400
    return _page(
        request,
        "livelihood/paper_entry.html",
        {
            "title": _("录入纸质问卷：%(t)s") % {"t": survey.title},
            "active": "projects",
            "survey": survey,
            "project": survey.project,
            "form": form,
            "is_open": survey.status == SurveyStatus.OPEN,
            "saved": request.GET.get("saved") == "1",
            "received": selectors.response_count(survey),
        },
        status=status,
    )


@login_required
@require_POST
def answer_publish(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    answer = selectors.answer_get(user=user, pk=pk)
    survey = answer.response.survey
    published = request.POST.get("published") == "1"
    try:
        services.answer_publish(actor=user, answer=answer, published=published)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("该意见已公开。") if published else _("该意见已撤下，不再公开。")
        )
    return redirect(_url("livelihood_survey", survey.pk, anchor=f"q{answer.question_id}"))


# --- expert review -----------------------------------------------------------------------------
@login_required
@require_GET
def review_desk(request: HttpRequest) -> HttpResponse:
    """An expert's assignments (pending first), or every assignment in the office's scope."""
    user: Any = request.user
    if not policy.can_any(user, ReviewAssignment, Action.VIEW):
        raise Http404
    qs = selectors.review_list(user=user).order_by(
        F("submitted_at").asc(nulls_first=True), F("due_on").asc(nulls_last=True), "id"
    )
    state = request.GET.get("state", "")
    if state == "pending":
        qs = qs.filter(submitted_at__isnull=True)
    elif state == "submitted":
        qs = qs.filter(submitted_at__isnull=False)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    staff = bool(policy.paths_for(user, ReviewAssignment, Action.VIEW))
    return _page(
        request,
        "livelihood/reviews.html",
        {
            "title": _("专家评审") if staff else _("我的评审任务"),
            "active": "reviews",
            "page": page,
            "state": state,
            "staff": staff,
            "query": urlencode({"state": state}) if state else "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    assignment = selectors.review_get(user=user, pk=pk)
    project = assignment.project
    mine = assignment.expert_id == user.pk
    criteria = selectors.criteria_of(project.programme_id)
    scores = {s.criterion_id: s.score for s in assignment.scores.all()}
    editable = mine and project.stage == Stage.EXPERT_REVIEW
    form = None
    status = 200
    if editable:
        initial: dict[str, Any] = {f"c{k}": v for k, v in scores.items()}
        if assignment.submitted_at:
            initial.update(
                feasibility=assignment.feasibility,
                cost_estimate=assignment.cost_estimate,
                reasons=assignment.reasons,
            )
        form = ReviewForm(
            request.POST if request.method == "POST" else None,
            criteria=criteria,
            initial=initial,
        )
    if request.method == "POST":
        if not mine:
            raise NotPermitted(Action.CHANGE)
        if form is None:
            messages.error(request, _("项目不在专家评审阶段，评审意见不能再提交或修改。"))
            return redirect("livelihood_review", pk=assignment.pk)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.review_submit(
                    actor=user,
                    assignment=assignment,
                    scores=form.scores(),
                    feasibility=cd["feasibility"],
                    cost_estimate=cd["cost_estimate"],
                    reasons=cd["reasons"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("评审意见已提交，评审结束前可以修改。"))
                return redirect("livelihood_review", pk=assignment.pk)
        status = 400
    # What the expert needs to judge the plan: the closed surveys' aggregated answers.
    survey_results = [
        selectors.survey_results(s, public=True)
        for s in project.surveys.filter(status=SurveyStatus.CLOSED).order_by("id")
    ]
    return _page(
        request,
        "livelihood/review_detail.html",
        {
            "title": _("专家评审：%(t)s") % {"t": project.title},
            "active": "reviews",
            "assignment": assignment,
            "project": project,
            "mine": mine,
            "form": form,
            "sheet": [(c, scores.get(c.pk)) for c in criteria],
            "photos": selectors.photos_of(project),
            "survey_results": survey_results,
            "staff": _is_staff(user),
        },
        status=status,
    )


# --- funds -------------------------------------------------------------------------------------
def _require_fund_reader(user: Any) -> None:
    if not policy.paths_for(user, Fund, Action.VIEW):
        raise Http404


def _fund_columns() -> list[ExportColumn]:
    return [
        ExportColumn(gettext_lazy("类别"), lambda f: str(f.programme)),
        ExportColumn(gettext_lazy("资金归属"), lambda f: f.org_unit.name),
        ExportColumn(gettext_lazy("年度"), lambda f: f.year),
        ExportColumn(gettext_lazy("预算金额 (元)"), lambda f: _money(f.amount)),
        ExportColumn(gettext_lazy("已安排资金 (元)"), lambda f: _money(f.allocated)),
        ExportColumn(gettext_lazy("已支出 (元)"), lambda f: _money(f.spent)),
        ExportColumn(gettext_lazy("余额 (元)"), lambda f: _money(f.balance)),
        ExportColumn(gettext_lazy("备注"), lambda f: f.note),
    ]


@login_required
@require_GET
def fund_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_fund_reader(user)
    visible = selectors.fund_list(user=user).order_by()
    programmes = list(
        Programme.objects.filter(pk__in=visible.values("programme_id"))
        .select_related("org_unit")
        .order_by("org_unit__path", "kind")
    )
    years = sorted(set(visible.values_list("year", flat=True)), reverse=True)
    form = FundFilterForm(request.GET, programmes=programmes, years=years)
    cd = cleaned(form)
    can_export = policy.can_any(user, Fund, Action.EXPORT)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        exported = selectors.fund_list(
            user=user, action=Action.EXPORT, programme=cd.get("programme"), year=cd.get("year")
        )
        return xlsx_response(_fund_columns(), exported.iterator(), "livelihood-funds")
    funds = selectors.fund_list(user=user, programme=cd.get("programme"), year=cd.get("year"))
    rows = list(funds)
    totals = selectors.budget_figures(funds)  # reads the rows already fetched
    for f in rows:
        f.projects_url = _projects_url(fund=f.pk, stage="funded")  # type: ignore[attr-defined]
    params = request.GET.copy()
    params.pop("export", None)
    query = params.urlencode()
    return _page(
        request,
        "livelihood/funds.html",
        {
            "title": _("项目资金"),
            "active": "funds",
            "form": form,
            "funds": rows,
            "totals": totals,
            "can_export": can_export,
            "export_url": "?" + (query + "&" if query else "") + "export=xlsx",
            "can_add": policy.can_any(user, Fund, Action.ADD),
            "definitions": selectors.DEFINITIONS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def fund_save(request: HttpRequest) -> HttpResponse:
    """The office creates a programme's fund for a year and unit, or changes its amount."""
    user: Any = request.user
    _require_fund_reader(user)
    if not policy.can_any(user, Fund, Action.ADD):
        raise NotPermitted(Action.ADD)
    existing = None
    if request.GET.get("fund"):
        existing = selectors.fund_get(user=user, pk=request.GET["fund"], action=Action.CHANGE)
    initial: dict[str, Any] = {}
    if existing is not None:
        initial = {
            "programme": existing.programme_id,
            "org_unit": existing.org_unit_id,
            "year": existing.year,
            "amount": existing.amount,
            "note": existing.note,
        }
    form = FundForm(
        request.POST or None,
        programmes=selectors.programme_list(user=user).order_by("org_unit__path", "kind"),
        orgs=core_selectors.org_units_for(user=user, model=Fund, action=Action.ADD).order_by(
            "path"
        ),
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cd = form.cleaned_data
            try:
                fund = services.fund_save(
                    actor=user,
                    programme=cd["programme"],
                    org_unit=cd["org_unit"],
                    year=cd["year"],
                    amount=cd["amount"],
                    note=cd["note"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("资金“%(f)s”已保存。") % {"f": fund})
                return redirect("livelihood_fund", pk=fund.pk)
        status = 400
    return _page(
        request,
        "livelihood/fund_form.html",
        {
            "title": _("修改资金") if existing else _("新增资金"),
            "active": "funds",
            "form": form,
            "fund": existing,
        },
        status=status,
    )


def _spending_columns() -> list[ExportColumn]:
    return [
        ExportColumn(gettext_lazy("日期"), lambda e: e.date),
        ExportColumn(gettext_lazy("项目"), lambda e: e.project.title),
        ExportColumn(gettext_lazy("金额 (元)"), lambda e: _money(e.amount)),
        ExportColumn(gettext_lazy("收款方"), lambda e: e.payee),
        ExportColumn(gettext_lazy("用途"), lambda e: e.description),
    ]


@login_required
@require_GET
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The fund's ledger: the projects it pays for, their allocations and spending."""
    user: Any = request.user
    _require_fund_reader(user)
    fund = selectors.fund_get(user=user, pk=pk)
    ledger = selectors.fund_ledger(fund)
    can_export = policy.can(user, Action.EXPORT, fund)
    if request.GET.get("export") == "xlsx":
        if not can_export:
            raise NotPermitted(Action.EXPORT)
        return xlsx_response(
            _spending_columns(), ledger["spendings"], f"livelihood-fund-{fund.pk}-spending"
        )
    for p in ledger["projects"]:
        p.progress = selectors.progress_of(p.total_weight, p.done_weight)
        p.remaining = (p.budget_allocated or Decimal("0")) - p.spent
    return _page(
        request,
        "livelihood/fund_detail.html",
        {
            "title": str(fund),
            "active": "funds",
            "fund": fund,
            "projects": ledger["projects"],
            "spendings": ledger["spendings"],
            "can_change": policy.can(user, Action.CHANGE, fund),
            "can_export": can_export,
            "projects_url": _projects_url(fund=fund.pk, stage="funded"),
            "definitions": selectors.DEFINITIONS,
        },
    )


# --- dashboard ---------------------------------------------------------------------------------
def _year_stage_counts(projects: QuerySet[Project]) -> dict[str, dict[int, dict[str, int]]]:
    """{programme kind: {year: {stage: n}}} in one grouped query (for the stacked bars)."""
    out: dict[str, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for kind, year, stage, n in (
        projects.order_by().values_list("programme__kind", "year", "stage").annotate(n=Count("id"))
    ):
        out[kind][year][stage] = n
    return out


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_staff(user)
    projects = selectors.project_list(user=user)
    by_kind = _year_stage_counts(projects)
    years = sorted({y for per_year in by_kind.values() for y in per_year})
    stage_values = [s.value for s in Stage]
    programme_charts = []
    for kind, label in ProgrammeKind.choices:
        per_year = by_kind.get(kind, {})
        series = []
        for s in Stage:
            data = [per_year.get(y, {}).get(s.value, 0) for y in years]
            if any(data):
                series.append(
                    {
                        "name": str(s.label),
                        "stack": "stage",
                        "data": data,
                        "urls": [_projects_url(kind=kind, year=y, stage=s.value) for y in years],
                    }
                )
        rows = [
            {
                "year": y,
                "url": _projects_url(kind=kind, year=y),
                "cells": [
                    (per_year.get(y, {}).get(s, 0), _projects_url(kind=kind, year=y, stage=s))
                    for s in stage_values
                ],
                "total": sum(per_year.get(y, {}).values()),
            }
            for y in years
            if per_year.get(y)
        ]
        programme_charts.append(
            {
                "kind": kind,
                "label": label,
                "total": sum(sum(v.values()) for v in per_year.values()),
                "url": _projects_url(kind=kind),
                "chart": {
                    "id": f"chart-{kind}",
                    "categories": [str(y) for y in years],
                    "series": series,
                },
                "rows": rows,
            }
        )
    funds = selectors.fund_list(user=user)
    budget: dict[int, dict[str, Decimal]] = defaultdict(
        lambda: {"amount": Decimal("0"), "allocated": Decimal("0"), "spent": Decimal("0")}
    )
    for f in funds:
        b = budget[f.year]
        b["amount"] += f.amount
        b["allocated"] += f.allocated  # type: ignore[attr-defined]
        b["spent"] += f.spent  # type: ignore[attr-defined]
    totals = selectors.budget_figures(funds)
    budget_rows = [
        {
            "year": y,
            **v,
            "balance": v["amount"] - v["allocated"],
            "url": _url("livelihood_funds", year=y),
        }
        for y, v in sorted(budget.items())
    ]
    budget_chart = {
        "id": "chart-budget",
        "categories": [str(r["year"]) for r in budget_rows],
        "series": [
            {
                "name": str(name),
                "data": [_money(r[key]) for r in budget_rows],
                "urls": [r["url"] for r in budget_rows],
            }
            for key, name in (
                ("amount", _("预算")),
                ("allocated", _("已安排资金")),
                ("spent", _("已支出")),
            )
        ],
        "unit": str(_("元")),
    }
    surveys = selectors.survey_list(user=user)
    part = selectors.participation(surveys)
    # The newest closed surveys first, then their answers counted (not every survey's).
    newest = list(
        Survey.objects.filter(pk__in=surveys.filter(status=SurveyStatus.CLOSED).values("pk"))
        .order_by("-closed_at", "-id")
        .values_list("pk", flat=True)[:DASHBOARD_SURVEYS]
    )
    closed = list(
        surveys.filter(pk__in=newest)
        .annotate(
            online=Count("responses", filter=Q(responses__channel=ResponseChannel.ONLINE)),
            paper=Count("responses", filter=Q(responses__channel=ResponseChannel.PAPER)),
        )
        .order_by("-closed_at", "-id")
    )
    participation_chart = {
        "id": "chart-participation",
        "categories": [str(_("线上")), str(_("纸质"))],
        "series": [{"name": str(_("答卷数")), "data": [part["online"], part["paper"]]}],
    }
    return _page(
        request,
        "livelihood/dashboard.html",
        {
            "title": _("民生项目统计"),
            "active": "dashboard",
            "programme_charts": programme_charts,
            "stages": [s.label for s in Stage],
            "budget_rows": budget_rows,
            "totals": totals,
            "participation": part,
            "closed_surveys": closed,
            "surveys_url": _projects_url(surveys="closed"),
            "charts": [
                *(p["chart"] for p in programme_charts),
                budget_chart,
                participation_chart,
            ],
            "definitions": selectors.DEFINITIONS,
            "local_definitions": LOCAL_DEFINITIONS,
        },
    )
