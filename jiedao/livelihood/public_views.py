"""Public and residents' pages of the livelihood module (社区微更新), and the photo files.

Anyone may read the published projects: the index, a committee's page and a project's page.
These pages read through the `public_*` selectors only (what the public side may reach is
decided in `policies.py`) and show no personal data: no names of residents, staff or experts,
no review of a single expert, and free-text answers only once staff have published them.
Signed-in residents also propose projects, answer the open surveys of their committee (once)
and follow projects.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import Role
from jiedao.core.models import OrgUnit
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.livelihood import selectors, services
from jiedao.livelihood.models import (
    PERSON_PARTIES,
    STAGE_ORDER,
    PartyKind,
    Photo,
    PhotoKind,
    Project,
    ProposerKind,
    Response,
    Stage,
    Survey,
    SurveyStatus,
)
from jiedao.livelihood.public_forms import ProposeForm, SurveyForm, add_errors, answer_field_name

LATEST = 12
PHOTO_SIZES = ("thumb", "display", "original")
ORIGINAL_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ORIGINAL_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Parties that are people rather than organisations: shown by kind and number, never by name.
PUBLIC_DEFINITIONS = {
    "published": gettext_lazy("项目数：已由工作人员公开的项目，按所属居委会（或街道）计数。"),
    "progress": selectors.DEFINITIONS["progress"],
    "answers": gettext_lazy(
        "答卷数：征询结束时收到的全部答卷，线上为居民账号提交，纸质为居委会录入；"
        "文字意见只显示经工作人员公开的部分。"
    ),
}


def _is_resident(user: Any) -> bool:
    return policy.has_role(user, {Role.RESIDENT})


def _require_resident(user: Any) -> None:
    if not _is_resident(user):
        raise NotPermitted(Action.ADD)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.setdefault("is_resident", _is_resident(request.user))
    return render(request, f"livelihood/public/{template}", context, status=status)


def _with_thumb(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate `thumb_id`: one picture per project, an "after" one first (kinds sort
    after < before < other < site), in the same query as the projects."""
    first = Photo.objects.filter(project=OuterRef("pk")).order_by("kind", "id").values("pk")[:1]
    return qs.annotate(thumb_id=Subquery(first, output_field=IntegerField()))


def _with_progress(projects: list[Project]) -> list[Project]:
    for p in projects:
        p.progress = selectors.progress_of(p.total_weight, p.done_weight)  # type: ignore[attr-defined]
    return projects


def _programme_rows(qs: QuerySet[Project]) -> list[dict[str, Any]]:
    """Published projects per programme, with the programme's subdistrict (one query)."""
    rows = (
        qs.order_by()
        .values(
            "programme_id",
            "programme__name",
            "programme__brand",
            "programme__kind",
            "programme__org_unit__code",
            "programme__org_unit__name",
        )
        .annotate(n=Count("id"))
        .order_by("programme__org_unit__code", "programme__kind")
    )
    return [
        {
            "pk": r["programme_id"],
            "name": r["programme__name"],
            "brand": r["programme__brand"],
            "kind": r["programme__kind"],
            "org_code": r["programme__org_unit__code"],
            "org_name": r["programme__org_unit__name"],
            "count": r["n"],
        }
        for r in rows
    ]


def _org_url(code: str, programme: Any = None) -> str:
    url = reverse("livelihood_public_org", args=[code])
    return f"{url}?programme={programme}" if programme else url


# --- public pages ----------------------------------------------------------------------------
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    projects = selectors.public_projects()
    programmes = _programme_rows(projects)
    subdistricts: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for row in programmes:
        row["url"] = _org_url(row["org_code"], row["pk"])
        entry = subdistricts.setdefault(
            row["org_code"],
            {"name": row["org_name"], "url": _org_url(row["org_code"]), "programmes": []},
        )
        entry["programmes"].append(row)
    committees = selectors.public_committees()
    for c in committees:
        c["url"] = _org_url(c["code"])
    latest = _with_progress(list(_with_thumb(projects)[:LATEST]))
    return _page(
        request,
        "index.html",
        {
            "title": _("社区微更新"),
            "active": "index",
            "subdistricts": list(subdistricts.values()),
            "committees": committees,
            "latest": latest,
            "definitions": PUBLIC_DEFINITIONS,
        },
    )


@require_GET
def org_page(request: HttpRequest, code: str) -> HttpResponse:
    org: OrgUnit = selectors.public_org_get(code)
    qs = selectors.public_projects(org=org)
    programmes = _programme_rows(qs)
    for row in programmes:
        row["url"] = _org_url(org.code, row["pk"])
    chosen = request.GET.get("programme", "")
    programme = next((r for r in programmes if str(r["pk"]) == chosen), None)
    if programme is not None:
        qs = qs.filter(programme_id=programme["pk"])
    projects = _with_progress(list(_with_thumb(qs)))
    by_year: OrderedDict[int, list[Project]] = OrderedDict()
    for p in projects:
        by_year.setdefault(p.year, []).append(p)
    return _page(
        request,
        "org.html",
        {
            "title": org.name,
            "org": org,
            "programmes": programmes,
            "programme": programme,
            "total": sum(r["count"] for r in programmes),
            "by_year": list(by_year.items()),
            "definitions": PUBLIC_DEFINITIONS,
        },
    )


def _stage_bar(project: Project, reached: set[str]) -> list[dict[str, Any]]:
    """The eight stages, each done, current or still to come; a rejected or withdrawn
    project ends its bar with that outcome."""
    bar = []
    for stage in STAGE_ORDER:
        if stage == project.stage:
            state = "current"
        elif stage in reached:
            state = "done"
        else:
            state = "todo"
        bar.append({"value": stage.value, "label": stage.label, "state": state})
    if project.stage in (Stage.REJECTED, Stage.WITHDRAWN):
        bar = [b for b in bar if b["state"] == "done"]
        bar.append(
            {
                "value": project.stage,
                "label": Stage(project.stage).label,
                "state": "current",
            }
        )
    return bar


def _parties(project: Project) -> list[dict[str, Any]]:
    """Organisations by name; building-group leaders and volunteers only by kind and number."""
    rows: list[dict[str, Any]] = []
    people: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for party in project.parties.all():
        kind = PartyKind(party.kind)
        if kind in PERSON_PARTIES:
            entry = people.setdefault(kind, {"kind": kind.label, "name": "", "count": 0})
            entry["count"] += 1
        else:
            rows.append({"kind": kind.label, "name": party.name, "role": party.role, "count": 0})
    return rows + list(people.values())


@require_GET
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Published projects only, whoever asks: staff read the others on their own pages.
    project = selectors.public_project_get(pk)
    user = request.user
    timeline = selectors.project_timeline(project, staff=False)
    reached = {e.obj.to_stage for e in timeline if e.kind == "stage" and e.obj is not None} | {
        project.stage
    }
    photos = selectors.photos_of(project)
    pairs = selectors.photo_pairs(photos)
    other_photos = [p for p in photos if p.kind not in (PhotoKind.BEFORE, PhotoKind.AFTER)]
    versions = [
        {"project": v, "current": v.pk == project.pk, "public": v.published}
        for v in selectors.versions_of(project)
    ]
    surveys = []
    for survey in project.surveys.exclude(status=SurveyStatus.DRAFT).order_by("id"):
        results = (
            selectors.survey_results(survey, public=True)
            if survey.status == SurveyStatus.CLOSED
            else None
        )
        surveys.append({"survey": survey, "results": results})
    to_answer = []
    if _is_resident(user):
        open_surveys = selectors.survey_list(user=user, project=project).filter(
            status=SurveyStatus.OPEN
        )
        for survey in open_surveys:
            to_answer.append(
                {"survey": survey, "answered": selectors.my_response(survey, user) is not None}
            )
    proposer = str(ProposerKind(project.proposer_kind).label)
    if project.proposer_kind != ProposerKind.RESIDENT and project.proposer_name:
        proposer = f"{proposer} · {project.proposer_name}"
    return _page(
        request,
        "project.html",
        {
            "title": project.title,
            "project": project,
            "org": project.org_unit,
            "proposer": proposer,
            "parties": _parties(project),
            "stage_bar": _stage_bar(project, reached),
            "timeline": timeline,
            "milestones": list(project.milestones.all()),
            "progress": selectors.progress_of(project.total_weight, project.done_weight),  # type: ignore[attr-defined]
            "pairs": pairs,
            "other_photos": other_photos,
            "versions": versions if len(versions) > 1 else [],
            "surveys": surveys,
            "to_answer": to_answer,
            "following": selectors.is_following(user, project),
            "definitions": PUBLIC_DEFINITIONS,
        },
    )


# --- residents --------------------------------------------------------------------------------
@require_POST
@login_required
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    following = request.POST.get("following", "1") == "1"
    # A published project, or one in the user's scope (a resident's own proposal before staff
    # publish it); to stop following, also one they follow. Anything else is 404.
    project = selectors.reachable_project_get(user=request.user, pk=pk, following=following)
    services.follow_set(actor=request.user, project=project, following=following)
    if following:
        messages.success(request, _("已关注，项目有新进展时会通知您。"))
    else:
        messages.success(request, _("已取消关注。"))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    if project.published:
        return redirect("livelihood_public_project", pk=project.pk)
    if _is_resident(request.user):
        return redirect("livelihood_public_mine")
    return redirect("livelihood_project", pk=project.pk)


def _own_answers(response: Response | None) -> dict[int, Any]:
    if response is None:
        return {}
    return {a.question_id: a for a in response.answers.all()}


@require_http_methods(["GET", "POST"])
@login_required
def survey_answer(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_resident(user)
    survey: Survey = selectors.survey_get(user=user, pk=pk)
    questions = list(survey.questions.all())
    status = 200
    form = SurveyForm(request.POST if request.method == "POST" else None, questions=questions)
    if request.method == "POST":
        try:
            services.response_submit_online(actor=user, survey=survey, answers=form.answers())
        except ValidationError as exc:
            add_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("已提交，谢谢您的意见。"))
            return redirect("livelihood_public_survey", pk=survey.pk)
    response = selectors.my_response(survey, user)
    answers = _own_answers(response)
    rows = [{"question": q, "answer": answers.get(q.pk)} for q in questions]
    return _page(
        request,
        "survey.html",
        {
            "title": survey.title,
            "survey": survey,
            "project": survey.project,
            "form": form,
            "form_rows": [(q, form[answer_field_name(q)]) for q in questions],
            "response": response,
            "rows": rows,
            "can_answer": survey.status == SurveyStatus.OPEN and response is None,
        },
        status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def propose(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_resident(user)
    programmes = selectors.programmes_for_resident(user)
    data = request.POST if request.method == "POST" else None
    form = ProposeForm(data, programmes=programmes)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.project_propose(
                    actor=user,
                    programme=cd["programme"],
                    title=cd["title"],
                    place_name=cd["place_name"],
                    description=cd["description"],
                    theme=cd.get("theme") or "",
                    budget_requested=cd.get("budget_requested") or 0,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("您的提议已提交。工作人员审核后会在社区微更新页面公开，进展会在这里显示。"),
                )
                return redirect("livelihood_public_mine")
        status = 400
    return _page(
        request,
        "propose.html",
        {
            "title": _("提议一个项目"),
            "active": "propose",
            "form": form,
            "has_person": services.resident_person(user) is not None,
        },
        status,
    )


@require_GET
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    _require_resident(user)
    proposals = _with_progress(
        list(selectors.project_list(user=user).filter(proposed_by=user).order_by("-id"))
    )
    answered = list(selectors.responses_of(user))
    follows = list(selectors.follows_of(user))
    open_surveys = list(
        selectors.survey_list(user=user)
        .filter(status=SurveyStatus.OPEN)
        .exclude(responses__respondent=user)
        .order_by("closes_on", "id")
    )
    return _page(
        request,
        "mine.html",
        {
            "title": _("我的社区微更新"),
            "active": "mine",
            "proposals": proposals,
            "answered": answered,
            "follows": follows,
            "open_surveys": open_surveys,
            "has_person": services.resident_person(user) is not None,
        },
    )


# --- photo files ----------------------------------------------------------------------------
@require_GET
def photo_file(request: HttpRequest, pk: int, size: str) -> HttpResponse:
    if size not in PHOTO_SIZES:
        raise Http404
    original = size == "original"
    photo = selectors.photo_for_view(user=request.user, pk=pk, original=original)
    # Only this picture's bytes of this size are read (a deferred field loads on its own).
    data = bytes(getattr(photo, size))
    if original:
        content_type = ORIGINAL_TYPES.get(photo.original_format, "application/octet-stream")
        extension = ORIGINAL_EXTENSIONS.get(photo.original_format, "bin")
        filename = photo.original_name or f"photo-{photo.pk}.{extension}"
    else:
        content_type = "image/jpeg"
        filename = f"photo-{photo.pk}-{size}.jpg"
    response = HttpResponse(data, content_type=content_type)
    if original:
        response["Cache-Control"] = "private, no-store"
    elif not photo.project.published:
        response["Cache-Control"] = "private, max-age=300"
    else:
        response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    response["Content-Length"] = str(len(data))
    return response
