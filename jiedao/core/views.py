"""Pages of the foundation. Views parse input, call a selector or a service, and render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiedao.accounts.models import LEADERS, PUBLIC_ROLES
from jiedao.core import imports, modules, selectors, services
from jiedao.core.audit import history
from jiedao.core.exports import ExportColumn, xlsx_bytes, xlsx_response
from jiedao.core.forms import EnterpriseForm, ImportUploadForm, PersonForm, RevealForm, SearchForm
from jiedao.core.models import Enterprise, ImportStatus, OfficeBuilding, OrgKind, Person
from jiedao.core.permissions import Action, NotPermitted, policy

PAGE_SIZE = 50


# --- generic list pages ---------------------------------------------------------------------
@dataclass(frozen=True)
class Col:
    label: Any
    value: Callable[[Any], Any]
    link: Callable[[Any], str] | None = None


def list_page(
    request: HttpRequest,
    *,
    title: Any,
    queryset: QuerySet[Any],
    columns: list[Col],
    model: type[Model],
    export_name: str,
    actions: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """Render a searchable, paginated list; `?export=xlsx` exports it (masked, policy-checked)."""
    form = SearchForm(request.GET or None)
    if request.GET.get("export") == "xlsx":
        if not policy.can_any(request.user, model, Action.EXPORT):
            raise NotPermitted(Action.EXPORT)
        exported = policy.scope(request.user, Action.EXPORT, queryset)
        return xlsx_response(
            [ExportColumn(c.label, c.value) for c in columns], exported.iterator(), export_name
        )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        [(c.value(obj), c.link(obj) if c.link else "") for c in columns] for obj in page.object_list
    ]
    context = {
        "title": title,
        "form": form,
        "headers": [c.label for c in columns],
        "rows": rows,
        "page": page,
        "can_export": policy.can_any(request.user, model, Action.EXPORT),
        "query": request.GET.get("q", ""),
        "actions": actions or [],
    }
    template = "core/partials/list_table.html" if _htmx(request) else "core/list.html"
    return render(request, template, context)


def _history_for(request: HttpRequest, obj: Model) -> Any:
    """A record's change history, for staff: residents and enterprises see none of it."""
    if not policy.roles(request.user) - PUBLIC_ROLES:
        return None
    return history(obj)[:50]


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _q(request: HttpRequest) -> str:
    # NUL cannot be stored or searched for in PostgreSQL text: drop it.
    return str(request.GET.get("q", "")).replace("\x00", "")[:100]


# --- home -----------------------------------------------------------------------------------
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One home for every role: what they can reach, counted from the records they may see.

    Leaders land on the report card of the unit they lead.
    """
    user: Any = request.user
    if policy.has_role(user, LEADERS):
        orgs = selectors.report_card_orgs(user=user)
        if orgs:
            return redirect("report_card_org", code=orgs[0].code)
    context: dict[str, Any] = {
        "rollups": selectors.rollup_by_subdistrict(user=user),
        "definitions": selectors.ROLLUP_DEFINITIONS,
        "scope_counts": selectors.scope_counts(user=user),
        "own_person": selectors.own_person(user=user),
        "own_enterprises": selectors.enterprise_list(user=user).filter(contact__user=user),
        "module_cards": modules.home_cards(user),
    }
    return render(request, "core/home.html", context)


# --- people ---------------------------------------------------------------------------------
def _person_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("姓名"), lambda p: p.name, lambda p: reverse("person_detail", args=[p.pk])
        ),
        Col(gettext_lazy("身份证号"), lambda p: p.id_number_masked),
        Col(gettext_lazy("电话"), lambda p: p.phone_masked),
        Col(gettext_lazy("地址"), lambda p: p.address),
        Col(gettext_lazy("所属组织"), lambda p: p.org_unit.name),
    ]


@login_required
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, Person, Action.VIEW):
        raise Http404
    actions = []
    if policy.can_any(request.user, Person, Action.ADD):
        actions.append((reverse("person_create"), _("登记居民")))
    return list_page(
        request,
        title=_("居民"),
        queryset=selectors.person_list(user=request.user, q=_q(request)),
        columns=_person_columns(),
        model=Person,
        export_name="people",
        actions=actions,
    )


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk)
    return render(
        request,
        "core/person_detail.html",
        {
            "person": person,
            "can_edit": policy.can(request.user, Action.CHANGE, person),
            "can_reveal": policy.can(request.user, Action.REVEAL, person),
            "reveal_form": RevealForm(),
            "history": _history_for(request, person),
            "household_members": (
                selectors.person_list(user=request.user)
                .filter(household=person.household)
                .exclude(pk=person.pk)
                if person.household
                else []
            ),
        },
    )


def _person_orgs(request: HttpRequest) -> QuerySet[Any]:
    return selectors.org_units_for(user=request.user, model=Person, action=Action.ADD).filter(
        kind__in=[OrgKind.COMMITTEE, OrgKind.SUBDISTRICT]
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, Person, Action.ADD):
        raise NotPermitted(Action.ADD)
    form = PersonForm(request.POST or None, orgs=_person_orgs(request))
    if request.method == "POST" and form.is_valid():
        try:
            data = services.PersonData.clean(
                **{k: form.cleaned_data[k] for k in ("name", "id_number", "phone", "address")}
            )
            person = services.person_create(
                actor=request.user, org_unit=form.cleaned_data["org_unit"], data=data
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            for warning in data.warnings:
                messages.warning(request, warning)
            messages.success(request, _("已登记。"))
            return redirect("person_detail", pk=person.pk)
    return render(request, "core/form.html", {"form": form, "title": _("登记居民")})


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk, action=Action.CHANGE)
    initial = {"org_unit": person.org_unit, "name": person.name, "address": person.address}
    form = PersonForm(
        request.POST or None, initial=initial, orgs=_person_orgs(request), editing=True
    )
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            data = services.person_edit_data(
                person=person,
                name=cd["name"],
                id_number=cd["id_number"],
                phone=cd["phone"],
                address=cd["address"],
            )
            services.person_update(
                actor=request.user, person=person, data=data, org_unit=cd["org_unit"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("person_detail", pk=person.pk)
    return render(
        request, "core/form.html", {"form": form, "title": _("修改居民信息"), "object": person}
    )


@login_required
@require_POST
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_get(user=request.user, pk=pk, action=Action.REVEAL)
    form = RevealForm(request.POST)
    value = ""
    if form.is_valid():
        try:
            value = services.person_reveal(
                actor=request.user,
                person=person,
                field=form.cleaned_data["field"],
                reason=form.cleaned_data["reason"],
                remote_addr=request.META.get("REMOTE_ADDR"),
            )
        except ValidationError as exc:
            add_errors(form, exc)
    context = {
        "person": person,
        "reveal_form": form,
        "revealed": value,
        "can_reveal": True,
        "field": form.cleaned_data.get("field") if form.is_valid() else "",
    }
    response = render(request, "core/partials/reveal.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- enterprises ----------------------------------------------------------------------------
def _enterprise_columns() -> list[Col]:
    return [
        Col(
            gettext_lazy("企业名称"),
            lambda e: e.name,
            lambda e: reverse("enterprise_detail", args=[e.pk]),
        ),
        Col(gettext_lazy("统一社会信用代码"), lambda e: e.credit_code),
        Col(gettext_lazy("楼宇"), lambda e: e.building.name if e.building else ""),
        Col(gettext_lazy("楼层"), lambda e: e.floor if e.floor is not None else ""),
        Col(gettext_lazy("联系人"), lambda e: e.contact.name if e.contact else ""),
        Col(gettext_lazy("联系电话"), lambda e: e.contact.phone_masked if e.contact else ""),
    ]


@login_required
@require_GET
def enterprise_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, Enterprise, Action.VIEW):
        raise Http404
    actions = []
    if policy.can_any(request.user, Enterprise, Action.ADD):
        actions.append((reverse("enterprise_create"), _("登记企业")))
    return list_page(
        request,
        title=_("企业"),
        queryset=selectors.enterprise_list(user=request.user, q=_q(request)),
        columns=_enterprise_columns(),
        model=Enterprise,
        export_name="enterprises",
        actions=actions,
    )


@login_required
@require_GET
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(user=request.user, pk=pk)
    return render(
        request,
        "core/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "can_edit": policy.can(request.user, Action.CHANGE, enterprise),
            "history": _history_for(request, enterprise),
        },
    )


def _enterprise_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> EnterpriseForm:
    orgs = selectors.org_units_for(user=request.user, model=Enterprise, action=Action.ADD)
    buildings = selectors.building_list(user=request.user)
    return EnterpriseForm(request.POST or None, initial=initial, orgs=orgs, buildings=buildings)


def _enterprise_data(form: EnterpriseForm) -> services.EnterpriseData:
    cd = form.cleaned_data
    return services.EnterpriseData.clean(
        name=cd["name"], credit_code=cd["credit_code"], building=cd["building"], floor=cd["floor"]
    )


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_create(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, Enterprise, Action.ADD):
        raise NotPermitted(Action.ADD)
    form = _enterprise_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(
                actor=request.user,
                org_unit=form.cleaned_data["org_unit"],
                data=_enterprise_data(form),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已登记。"))
            return redirect("enterprise_detail", pk=enterprise.pk)
    return render(request, "core/form.html", {"form": form, "title": _("登记企业")})


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get(user=request.user, pk=pk, action=Action.CHANGE)
    form = _enterprise_form(
        request,
        initial={
            "org_unit": enterprise.org_unit,
            "name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "building": enterprise.building,
            "floor": enterprise.floor,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(
                actor=request.user, enterprise=enterprise, data=_enterprise_data(form)
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("enterprise_detail", pk=enterprise.pk)
    return render(
        request, "core/form.html", {"form": form, "title": _("修改企业信息"), "object": enterprise}
    )


# --- places and the org tree ----------------------------------------------------------------
@login_required
@require_GET
def compound_list(request: HttpRequest) -> HttpResponse:
    from jiedao.core.models import Compound

    if not policy.can_any(request.user, Compound, Action.VIEW):
        raise Http404
    return list_page(
        request,
        title=_("小区"),
        queryset=selectors.compound_list(user=request.user, q=_q(request)),
        columns=[
            Col(
                gettext_lazy("小区"),
                lambda c: c.name,
                lambda c: reverse("compound_detail", args=[c.pk]),
            ),
            Col(gettext_lazy("地址"), lambda c: c.address),
            Col(gettext_lazy("居委会"), lambda c: c.org_unit.name),
            Col(gettext_lazy("楼栋数"), lambda c: c.block_count),
            Col(gettext_lazy("建筑面积 (m²)"), lambda c: c.floor_area),
            Col(
                gettext_lazy("坐标 (经度, 纬度)"),
                lambda c: f"{c.longitude}, {c.latitude} ({c.coordinate_system})",
            ),
        ],
        model=Compound,
        export_name="compounds",
    )


@login_required
@require_GET
def compound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    compound = selectors.compound_get(user=request.user, pk=pk)
    return render(
        request,
        "core/compound_detail.html",
        {
            "compound": compound,
            "blocks": compound.blocks.all(),
            "history": _history_for(request, compound),
        },
    )


@login_required
@require_GET
def building_list(request: HttpRequest) -> HttpResponse:
    if not policy.can_any(request.user, OfficeBuilding, Action.VIEW):
        raise Http404
    return list_page(
        request,
        title=_("楼宇"),
        queryset=selectors.building_list(user=request.user, q=_q(request)),
        columns=[
            Col(
                gettext_lazy("楼宇"),
                lambda b: b.name,
                lambda b: reverse("building_detail", args=[b.pk]),
            ),
            Col(gettext_lazy("地址"), lambda b: b.address),
            Col(gettext_lazy("所属组织"), lambda b: b.org_unit.name),
            Col(gettext_lazy("层数"), lambda b: b.floors),
            Col(gettext_lazy("建筑面积 (m²)"), lambda b: b.floor_area),
            Col(gettext_lazy("企业数"), lambda b: b.enterprise_count),
        ],
        model=OfficeBuilding,
        export_name="buildings",
    )


@login_required
@require_GET
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = selectors.building_get(user=request.user, pk=pk)
    enterprises = selectors.enterprise_list(user=request.user).filter(building=building)
    return render(
        request,
        "core/building_detail.html",
        {
            "building": building,
            "enterprises": enterprises,
            "history": _history_for(request, building),
        },
    )


@login_required
@require_GET
def org_tree(request: HttpRequest) -> HttpResponse:
    units = list(selectors.org_unit_list(user=request.user))
    if not units:
        raise Http404
    return render(request, "core/org_tree.html", {"units": units})


@login_required
@require_GET
def org_geojson(request: HttpRequest) -> JsonResponse:
    """Boundaries of the org units the user can see, as a GeoJSON FeatureCollection."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": u.code, "name": u.name, "kind": u.kind},
            "geometry": u.boundary,
        }
        for u in selectors.org_unit_list(user=request.user)
        if u.boundary
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- imports --------------------------------------------------------------------------------
def _import_orgs(request: HttpRequest) -> QuerySet[Any]:
    qs = None
    for importer in imports.importers_for(request.user):
        part = selectors.org_units_for(
            user=request.user, model=importer.model, action=Action.IMPORT
        )
        qs = part if qs is None else qs | part
    if qs is None:
        raise Http404
    return qs.distinct()


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    available = imports.importers_for(request.user)
    if not available:
        raise Http404
    kinds = [(i.kind, str(i.label)) for i in available]
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        kinds=kinds,
        orgs=_import_orgs(request),
        initial={"kind": request.GET.get("kind")},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > imports.settings.JIEDAO_IMPORT_MAX_BYTES:
            form.add_error("file", imports.too_big_message())
        else:
            try:
                job = imports.import_job_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    org_unit=form.cleaned_data["org_unit"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                return redirect("import_detail", pk=job.pk)
    return render(
        request,
        "core/import_new.html",
        {
            "form": form,
            "importers": available,
            "jobs": selectors.import_job_list(user=request.user)[:20],
        },
    )


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    importer = imports.REGISTRY.get(kind)
    if importer is None or importer not in imports.importers_for(request.user):
        raise Http404
    content = xlsx_bytes([ExportColumn(c.label, lambda r: "") for c in importer.columns], [], kind)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.xlsx"'
    return response


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(user=request.user, pk=pk)
    done, total = imports.import_progress(job)
    context = {
        "job": job,
        "importer": imports.REGISTRY.get(job.kind),
        "done": done,
        "total": total,
        "percent": int(done * 100 / total) if total else 0,
        "can_confirm": job.status == ImportStatus.PREVIEWED
        and policy.can(request.user, Action.CHANGE, job),
    }
    if _htmx(request):
        return render(request, "core/partials/import_status.html", context)
    return render(request, "core/import_detail.html", context)


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(user=request.user, pk=pk)
    try:
        imports.import_job_confirm(job=job, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("import_detail", pk=job.pk)


# --- audit ----------------------------------------------------------------------------------
@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    if not selectors.can_read_audit(request.user):
        raise Http404
    entries = Paginator(selectors.audit_log_list(user=request.user, q=_q(request)), PAGE_SIZE)
    reveals = selectors.reveal_list(user=request.user)[:50]
    return render(
        request,
        "core/audit.html",
        {
            "page": entries.get_page(request.GET.get("page")),
            "reveals": reveals,
            "query": _q(request),
        },
    )


# --- health ---------------------------------------------------------------------------------
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception:  # any failure means "not healthy", never a 500
        database = "unavailable"
    status = 200 if database == "ok" else 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "degraded",
            "database": database,
        },
        status=status,
    )


def add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's errors on the form: on the field they name, else on the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


# --- in-app notifications -------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own messages; POST marks one (`id`) or all of them as read."""
    if request.method == "POST":
        raw = request.POST.get("id", "").strip()
        if raw and not raw.isdigit():
            raise Http404
        marked = services.notification_mark_read(user=request.user, pk=int(raw) if raw else None)
        if marked and not raw:
            messages.success(request, _("已全部标为已读。"))
        return redirect("notifications")
    page = Paginator(selectors.notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Only links within the platform are shown.
    rows = [
        (n, n.url if n.url.startswith("/") and not n.url.startswith("//") else "") for n in page
    ]
    return render(
        request,
        "core/notifications.html",
        {"page": page, "rows": rows, "title": _("通知")},
    )


# --- report card (成绩单) ---------------------------------------------------------------------
def _year_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("end", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else None


@login_required
@require_GET
def report_card_home(request: HttpRequest) -> HttpResponse:
    orgs = selectors.report_card_orgs(user=request.user)
    if not orgs:
        raise Http404
    return redirect("report_card_org", code=orgs[0].code)


@login_required
@require_GET
def report_card(request: HttpRequest, code: str) -> HttpResponse:
    """One org unit's headline figures; for a district or city, its subdistricts side by side."""
    from jiedao.core.figures import format_value

    user: Any = request.user
    org = selectors.report_card_org(user=user, code=code)
    end = _year_param(request)
    sort = request.GET.get("sort", "")
    card = selectors.report_card(user=user, org=org, end=end)
    comparison = selectors.report_comparison(user=user, org=org, end=end, sort=sort)
    if comparison is not None and request.GET.get("export") == "xlsx":
        columns = [ExportColumn(_("街道"), lambda r: r.org.name)]
        for fig in comparison.figures:
            label = f"{fig.label}（{fig.unit}）" if fig.unit else str(fig.label)
            columns.append(ExportColumn(label, _value_of(fig.key)))
        rows = [*comparison.rows, comparison.total]
        return xlsx_response(columns, rows, name=f"{org.name}-{_('成绩单')}")
    children = selectors.report_card_children(user=user, org=org)
    context = {
        "charts": _card_charts(card),
        "card": card,
        "comparison": comparison,
        "sort": sort,
        "end": end,
        "children": children,
        "format_value": format_value,
        "ancestors": selectors.report_card_ancestors(user=user, org=org),
    }
    return render(request, "core/report_card.html", context)


def _card_charts(card: Any) -> list[dict[str, Any]]:
    """Per module, the yearly series of its flows that share the first flow's unit (one axis)."""
    from decimal import Decimal

    out = []
    for section in card.sections:
        flows = [r for r in section.rows if r.figure.flow]
        if not flows:
            continue
        unit = str(flows[0].figure.unit)
        series = [
            {
                "name": str(r.figure.label),
                "data": [float(v) if isinstance(v, Decimal) else v for v in r.by_year],
            }
            for r in flows
            if str(r.figure.unit) == unit
        ]
        out.append(
            {
                "id": f"report-chart-{section.module.name}",
                "unit": unit,
                "years": [str(y) for y in card.years],
                "series": series,
            }
        )
    return out


def _value_of(key: str) -> Callable[[Any], Any]:
    from decimal import Decimal

    def value(row: Any) -> Any:
        v = row.values[key]
        return float(v) if isinstance(v, Decimal) else v

    return value
