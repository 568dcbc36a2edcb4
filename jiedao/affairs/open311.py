"""Open311 GeoReport v2 at /open311/v2/: outside clients (a mini-program, a hotline system)
list the catalogue, file service requests with an API key and track them.

The answers are public: a request shows its item, status, dates and the service point
responsible, never the applicant (no name, no phone, no description). Each call names its
subdistrict with `jurisdiction_id` (the subdistrict's org code, e.g. `TMX`); a POST files
into the API key's own subdistrict. See docs/open311.md.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jiedao.affairs.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AttributeType,
    Open311Client,
    ServiceItem,
    Ticket,
    TicketStatus,
)
from jiedao.affairs.services import clean_attributes, ticket_submit_by_client
from jiedao.core import pii
from jiedao.core.models import OrgKind, OrgUnit, Person
from jiedao.core.permissions import NotPermitted
from jiedao.core.services import PersonData, _apply_person_data
from jiedao.core.validators import clean_phone

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's `changeset`).
CHANGESET = "2026-11-29T00:00:00+08:00"
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
KEY_PREFIX = "o311_"
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
MAX_DESCRIPTION = 4000  # the spec's limit for a request's description

# XML element of each member of a list, keyed by the list's element (the Spark convention).
CHILD_TAG = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")


class Open311Error(Exception):
    """An error answered in the spec's format: `[{"code": 404, "description": "…"}]`."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [d for d in descriptions if d] or [_("请求无法处理。")]


# --- API keys -------------------------------------------------------------------------------
def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open311_client_create(*, name: str, org_unit: OrgUnit) -> tuple[Open311Client, str]:
    """Issue a key to a client application of one subdistrict. Only the key's hash is stored;
    the caller shows the key once."""
    name = (name or "").replace("\x00", "").strip()
    if not name:
        raise ValidationError({"name": [_("请填写应用名称。")]})
    if org_unit.kind != OrgKind.SUBDISTRICT:
        raise ValidationError({"org_unit": [_("Open311 应用只能属于一个街道。")]})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name[:100], org_unit=org_unit, prefix=key[:12], key_hash=_hash(key)
        )
    return client, key


def open311_client_authenticate(key: str) -> Open311Client:
    """The active client holding `key`; a missing, unknown or disabled key is refused (403)."""
    if not key:
        raise Open311Error(403, _("缺少 api_key。"))
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        raise Open311Error(403, _("api_key 无效。"))
    client = Open311Client.objects.select_related("org_unit").filter(key_hash=_hash(key)).first()
    if client is None:
        raise Open311Error(403, _("api_key 无效。"))
    if not client.active:
        raise Open311Error(403, _("该 api_key 已停用。"))
    return client


# --- reads, scoped by jurisdiction ----------------------------------------------------------
def _ancestor_or_self_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def open311_item_list(*, subdistrict: OrgUnit) -> QuerySet[ServiceItem]:
    """Active items a subdistrict offers: its own and those published above it."""
    return ServiceItem.objects.filter(active=True).filter(
        Q(org_unit__path__in=_ancestor_or_self_paths(subdistrict.path))
        | Q(org_unit__path__startswith=subdistrict.path)
    )


def open311_ticket_list(*, subdistrict: OrgUnit) -> QuerySet[Ticket]:
    """Every ticket of the subdistrict; only its public fields are ever rendered."""
    return Ticket.objects.filter(org_unit__path__startswith=subdistrict.path).select_related(
        "item", "point"
    )


# --- input ----------------------------------------------------------------------------------
def _param(data: QueryDict, name: str, *, max_length: int = 200) -> str:
    value = data.get(name) or ""
    if "\x00" in value:
        raise Open311Error(400, _("参数 %(name)s 含有非法字符。") % {"name": name})
    value = value.strip()
    if len(value) > max_length:
        raise Open311Error(
            400, _("参数 %(name)s 过长（最多 %(n)s 个字符）。") % {"name": name, "n": max_length}
        )
    return value


def _clean_path_value(value: str, max_length: int) -> str:
    if "\x00" in value or len(value) > max_length:
        return ""
    return value


def _jurisdiction(data: QueryDict) -> OrgUnit:
    code = _param(data, "jurisdiction_id", max_length=32)
    if not code:
        raise Open311Error(400, _("缺少 jurisdiction_id（街道代码，如 TMX）。"))
    subdistrict = OrgUnit.objects.filter(code=code, kind=OrgKind.SUBDISTRICT).first()
    if subdistrict is None:
        raise Open311Error(404, _("未找到 jurisdiction_id 对应的街道。"))
    return subdistrict


def _when(raw: str, name: str, *, end: bool) -> datetime | None:
    """A W3C datetime (`2010-01-01T00:00:00Z`) or a date; a bare date covers the whole day."""
    if not raw:
        return None
    moment: datetime | None
    try:
        if _DATE_ONLY.match(raw):
            moment = datetime.combine(date.fromisoformat(raw), time.max if end else time.min)
        else:
            moment = parse_datetime(raw)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment.astimezone(UTC)  # the database stores UTC: refuse what cannot be converted
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise Open311Error(
            400,
            _("%(name)s 不是有效的日期时间，应形如 2010-01-01T00:00:00Z。") % {"name": name},
        )
    return moment


def _date_range(data: QueryDict) -> tuple[datetime, datetime]:
    start = _when(_param(data, "start_date", max_length=40), "start_date", end=False)
    end = _when(_param(data, "end_date", max_length=40), "end_date", end=True)
    try:
        if end is None:
            end = start + MAX_SPAN if start is not None else timezone.now()
        if start is None:
            start = end - MAX_SPAN
    except OverflowError:
        raise Open311Error(400, _("日期超出可查询的范围。")) from None
    if end < start:
        raise Open311Error(400, _("end_date 不能早于 start_date。"))
    if end - start > MAX_SPAN + timedelta(days=1):
        raise Open311Error(400, _("start_date 与 end_date 相隔不能超过90天。"))
    return start, end


def _list_param(data: QueryDict, name: str, *, max_items: int) -> list[str]:
    """A comma-delimited list; the parameter may also be given more than once."""
    values: list[str] = []
    for raw in data.getlist(name):
        if "\x00" in raw:
            raise Open311Error(400, _("参数 %(name)s 含有非法字符。") % {"name": name})
        values.extend(v.strip() for v in raw.split(",") if v.strip())
        if len(values) > max_items:
            raise Open311Error(
                400, _("参数 %(name)s 最多可列 %(n)s 项。") % {"name": name, "n": max_items}
            )
    return values


# --- output ---------------------------------------------------------------------------------
def _w3(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _item_name(item: ServiceItem) -> str:
    return item.name_en if _english() and item.name_en else item.name


def _attribute_defs(item: ServiceItem) -> list[dict[str, Any]]:
    """The item's attribute definitions that are well formed (the admin edits raw JSON)."""
    raw = item.attributes if isinstance(item.attributes, list) else []
    return [a for a in raw if isinstance(a, dict) and str(a.get("code") or "").strip()]


def _service(item: ServiceItem) -> dict[str, Any]:
    keywords = [item.name_en, item.group]
    if item.online:
        keywords.append(_("一网通办"))
    if item.door_to_door:
        keywords.append(_("上门帮办"))
    return {
        "service_code": item.code,
        "service_name": _item_name(item),
        "description": item.description,
        "metadata": bool(_attribute_defs(item)),
        "type": "realtime",
        "keywords": ", ".join(k for k in keywords if k),
        "group": item.group,
    }


def _datatype_label(datatype: str) -> str:
    return str(AttributeType(datatype).label) if datatype in AttributeType.values else ""


def _attribute(attr: dict[str, Any], order: int) -> dict[str, Any]:
    datatype = str(attr.get("datatype") or AttributeType.STRING)
    values = attr.get("values") if isinstance(attr.get("values"), list) else []
    return {
        "variable": bool(attr.get("variable", True)),
        "code": str(attr["code"]),
        "datatype": datatype,
        "required": bool(attr.get("required")),
        "datatype_description": str(attr.get("datatype_description") or "")
        or _datatype_label(datatype),
        "order": attr.get("order") if isinstance(attr.get("order"), int) else order,
        "description": str(attr.get("description") or attr.get("label") or attr["code"]),
        "values": [
            {"key": str(v.get("key", "")), "name": str(v.get("name", v.get("key", "")))}
            for v in values or []
            if isinstance(v, dict)
        ],
    }


def _notice(ticket: Ticket) -> str:
    notice = _("由%(agency)s受理，法定办结时限%(days)s个工作日，预计%(due)s前办结。") % {
        "agency": ticket.point.name,
        "days": ticket.item.time_limit_days,
        "due": ticket.due_date.isoformat(),
    }
    materials = ticket.item.materials if isinstance(ticket.item.materials, list) else []
    if materials:
        notice += _("请备齐材料：%(materials)s。") % {
            "materials": "、".join(str(m) for m in materials)
        }
    return notice


def _expected(ticket: Ticket) -> datetime:
    """The end of the ticket's due day, in local time."""
    return timezone.make_aware(datetime.combine(ticket.due_date, time(23, 59, 59)))


def _request(ticket: Ticket) -> dict[str, Any]:
    """One request as the public sees it: nothing about the applicant."""
    closed = ticket.status in CLOSED_STATUSES
    updated = ticket.completed_at if closed and ticket.completed_at else ticket.updated_at
    status_label = (
        str(TicketStatus(ticket.status).label) if ticket.status in TicketStatus.values else ""
    )
    return {
        "service_request_id": ticket.number,
        "status": "closed" if closed else "open",
        "status_notes": status_label,
        "service_name": _item_name(ticket.item),
        "service_code": ticket.item.code,
        "agency_responsible": ticket.point.name,
        "service_notice": _notice(ticket),
        "requested_datetime": _w3(ticket.submitted_at),
        "updated_datetime": _w3(updated),
        "expected_datetime": _w3(_expected(ticket)),
        "address": ticket.point.address,
        "lat": _number(ticket.point.latitude),
        "long": _number(ticket.point.longitude),
    }


def _xml_fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _xml_fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = CHILD_TAG.get(element.tag, "item")
        for child in value:
            _xml_fill(ET.SubElement(element, tag), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _XML_ILLEGAL.sub("", str(value))


def _respond(fmt: str, root: str, payload: Any, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(
            payload,
            safe=False,
            status=status,
            content_type=CONTENT_TYPES["json"],
            json_dumps_params={"ensure_ascii": False},
        )
    element = ET.Element(root)
    _xml_fill(element, payload)
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    return HttpResponse(body.encode(), status=status, content_type=CONTENT_TYPES["xml"])


def _error(fmt: str, error: Open311Error) -> HttpResponse:
    payload = [{"code": error.status, "description": d} for d in error.descriptions]
    return _respond(fmt if fmt in CONTENT_TYPES else "xml", "errors", payload, error.status)


Handler = Callable[..., tuple[str, Any]]


def _endpoint(*methods: str) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Format negotiation by extension, the allowed methods and errors in the spec's format.

    A handler returns (root element, payload) or raises Open311Error.
    """

    def decorate(handler: Handler) -> Callable[..., HttpResponse]:
        @wraps(handler)
        def view(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            if fmt not in CONTENT_TYPES:
                return _error("xml", Open311Error(404, _("不支持的格式，请使用 .xml 或 .json。")))
            method = "GET" if request.method == "HEAD" else request.method
            if method not in methods:
                response = _error(fmt, Open311Error(405, _("不支持该请求方法。")))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                root, payload = handler(request, **kwargs)
            except Open311Error as exc:
                return _error(fmt, exc)
            except SuspiciousOperation:  # too large a body, too many fields
                return _error(fmt, Open311Error(400, _("请求内容过大或格式不正确。")))
            return _respond(fmt, root, payload)

        return csrf_exempt(view)

    return decorate


# --- endpoints ------------------------------------------------------------------------------
@_endpoint("GET")
def discovery(request: HttpRequest) -> tuple[str, Any]:
    base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + "/")
    return "discovery", {
        "changeset": CHANGESET,
        "contact": _("请联系所在街道的社区事务受理服务中心。"),
        "key_service": _("api_key 由街道管理员为每个应用签发。"),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


@_endpoint("GET")
def service_list(request: HttpRequest) -> tuple[str, Any]:
    subdistrict = _jurisdiction(request.GET)
    return "services", [_service(i) for i in open311_item_list(subdistrict=subdistrict)]


@_endpoint("GET")
def service_definition(request: HttpRequest, service_code: str) -> tuple[str, Any]:
    subdistrict = _jurisdiction(request.GET)
    code = _clean_path_value(service_code, 40)
    item = open311_item_list(subdistrict=subdistrict).filter(code=code).first() if code else None
    if item is None:
        raise Open311Error(404, _("未找到该 service_code 对应的事项。"))
    return "service_definition", {
        "service_code": item.code,
        "attributes": [_attribute(a, n) for n, a in enumerate(_attribute_defs(item), 1)],
    }


@_endpoint("GET", "POST")
def requests(request: HttpRequest) -> tuple[str, Any]:
    if request.method == "POST":
        return "service_requests", _create(request)
    subdistrict = _jurisdiction(request.GET)
    tickets = open311_ticket_list(subdistrict=subdistrict)
    numbers = _list_param(request.GET, "service_request_id", max_items=MAX_REQUESTS)
    if numbers:  # the spec: ids override every other filter
        tickets = tickets.filter(number__in=numbers)
    else:
        start, end = _date_range(request.GET)
        tickets = tickets.filter(submitted_at__gte=start, submitted_at__lte=end)
        codes = _list_param(request.GET, "service_code", max_items=100)
        if codes:
            tickets = tickets.filter(item__code__in=codes)
        statuses = {s.lower() for s in _list_param(request.GET, "status", max_items=10)}
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed。"))
        if statuses == {"open"}:
            tickets = tickets.filter(status__in=OPEN_STATUSES)
        elif statuses == {"closed"}:
            tickets = tickets.filter(status__in=CLOSED_STATUSES)
    return "service_requests", [
        _request(t) for t in tickets.order_by("-submitted_at", "-id")[:MAX_REQUESTS]
    ]


@_endpoint("GET")
def request_detail(request: HttpRequest, service_request_id: str) -> tuple[str, Any]:
    subdistrict = _jurisdiction(request.GET)
    number = _clean_path_value(service_request_id, 32)
    ticket = (
        open311_ticket_list(subdistrict=subdistrict).filter(number=number).first()
        if number
        else None
    )
    if ticket is None:
        raise Open311Error(404, _("未找到该 service_request_id 对应的申请。"))
    return "service_requests", [_request(ticket)]


# --- filing a request -----------------------------------------------------------------------
@dataclass
class _Applicant:
    phone: str
    name: str


def _applicant_input(data: QueryDict) -> _Applicant:
    first, last = (
        _param(data, "first_name", max_length=50),
        _param(data, "last_name", max_length=50),
    )
    # Chinese names run family name first with no space; Latin ones "given family".
    name = f"{first} {last}".strip() if (first + last).isascii() else f"{last}{first}"
    try:
        phone = clean_phone(_param(data, "phone", max_length=40))
        if name:
            PersonData.clean(name=name, phone=phone)
    except ValidationError as exc:
        raise Open311Error(400, *exc.messages) from None
    return _Applicant(phone=phone, name=name)


def _applicant_person(subdistrict: OrgUnit, applicant: _Applicant) -> Person:
    """The resident with this phone (and name, if given) in the subdistrict, else a new one.

    Matched by the phone's blind index: the number itself is never searched for in clear.
    """
    matches = Person.objects.filter(
        phone_hash=pii.blind_index(applicant.phone), org_unit__path__startswith=subdistrict.path
    )
    if applicant.name:
        matches = matches.filter(name=applicant.name)
    person = matches.order_by("pk").first()
    if person is not None:
        return person
    if not applicant.name:
        raise Open311Error(
            400, _("该电话号码尚未登记，请提供申请人姓名（first_name、last_name）。")
        )
    person = Person(org_unit=subdistrict)
    _apply_person_data(person, PersonData.clean(name=applicant.name, phone=applicant.phone))
    person.save()
    return person


def _attributes_input(data: QueryDict, item: ServiceItem) -> dict[str, Any]:
    """`attribute[code]=v`, and `attribute[code][]=v1&attribute[code][]=v2` for multi lists."""
    given: dict[str, list[str]] = {}
    for key in data:
        match = _ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        values = data.getlist(key)
        if any("\x00" in v or len(v) > MAX_DESCRIPTION for v in values):
            raise Open311Error(
                400, _("附加信息“%(code)s”含有非法字符或过长。") % {"code": match[1]}
            )
        given.setdefault(match[1], []).extend(v.strip() for v in values)
    cleaned: dict[str, Any] = {}
    for attr in _attribute_defs(item):
        code = str(attr["code"])
        values = [v for v in given.get(code, []) if v]
        if not values:
            continue
        cleaned[code] = values if attr.get("datatype") == AttributeType.MULTI else values[-1]
    return cleaned


def _location_note(data: QueryDict) -> str:
    lat, lon = _param(data, "lat", max_length=30), _param(data, "long", max_length=30)
    address = _param(data, "address_string", max_length=200)
    lines = []
    if lat or lon:
        try:
            lat_f, lon_f = float(lat), float(lon)
        except ValueError:
            raise Open311Error(400, _("lat 和 long 须同时提供，且为数字。")) from None
        if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
            raise Open311Error(400, _("lat 或 long 超出范围。"))
        lines.append(_("位置：%(lat)s, %(long)s") % {"lat": lat_f, "long": lon_f})
    if address:
        lines.append(_("地址：%(address)s") % {"address": address})
    return "\n".join(lines)


def _create(request: HttpRequest) -> list[dict[str, Any]]:
    data = request.POST
    client = open311_client_authenticate((data.get("api_key") or "").strip())
    subdistrict = client.org_unit
    jurisdiction = _param(data, "jurisdiction_id", max_length=32)
    if jurisdiction and jurisdiction != subdistrict.code:
        if not OrgUnit.objects.filter(code=jurisdiction, kind=OrgKind.SUBDISTRICT).exists():
            raise Open311Error(404, _("未找到 jurisdiction_id 对应的街道。"))
        raise Open311Error(403, _("该 api_key 不能为此街道提交申请。"))
    code = _param(data, "service_code", max_length=40)
    if not code:
        raise Open311Error(400, _("缺少 service_code。"))
    item = open311_item_list(subdistrict=subdistrict).filter(code=code).first()
    if item is None:
        raise Open311Error(404, _("未找到该 service_code 对应的事项。"))
    description = _param(data, "description", max_length=MAX_DESCRIPTION)
    notes = "\n".join(p for p in (_location_note(data), description) if p)
    attributes = _attributes_input(data, item)
    errors: list[str] = []
    try:
        clean_attributes(item, attributes)
    except ValidationError as exc:
        errors.extend(exc.messages)
    applicant: _Applicant | None = None
    try:
        applicant = _applicant_input(data)
    except Open311Error as exc:
        errors.extend(exc.descriptions)
    if errors or applicant is None:
        raise Open311Error(400, *errors)
    try:
        with transaction.atomic():
            person = _applicant_person(subdistrict, applicant)
            ticket = ticket_submit_by_client(
                client=client,
                item=item,
                applicant_person=person,
                attributes=attributes,
                description=notes,
            )
    except ValidationError as exc:
        raise Open311Error(400, *exc.messages) from None
    except NotPermitted:
        raise Open311Error(403, _("该 api_key 已停用。")) from None
    return [
        {"service_request_id": ticket.number, "service_notice": _notice(ticket), "account_id": None}
    ]
