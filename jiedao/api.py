"""The API at /api/v1/: django-ninja, every endpoint scoped by the central policy."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from jiedao.accounts.auth import api_auth
from jiedao.affairs.api import router as affairs_router
from jiedao.business.api import router as business_router
from jiedao.core.api import router as core_router
from jiedao.core.permissions import NotPermitted
from jiedao.evaluations.api import router as evaluations_router
from jiedao.hotline.api import router as hotline_router
from jiedao.livelihood.api import router as livelihood_router
from jiedao.renewal.api import router as renewal_router

api = NinjaAPI(
    title="Jiedao API",
    version="1",
    description="街道工作平台 API. Authenticate with `Authorization: Bearer <token>` "
    "(`jiedao token USERNAME`). Personal data is always masked.",
    auth=api_auth,
    urls_namespace="api",
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", _("未找到。"))


@api.exception_handler(NotPermitted)
def not_permitted(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", _("您无权执行此操作。"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("请提供有效的 API 令牌。"))


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, "validation_error", _("请求数据不正确。"), detail=exc.errors)


@api.exception_handler(DjangoValidationError)
def invalid_data(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(
        request, 422, "invalid", "; ".join(m for ms in fields.values() for m in ms), fields=fields
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:  # e.g. a body that is not JSON at all
        return _error(request, 400, "bad_request", _("请求内容无法解析，请发送 JSON。"))
    return _error(request, exc.status_code, "error", str(exc))


api.add_router("/", core_router)
api.add_router("/affairs", affairs_router)
api.add_router("/business", business_router)
api.add_router("/renewal", renewal_router)
api.add_router("/livelihood", livelihood_router)
api.add_router("/evaluations", evaluations_router)
api.add_router("/hotline", hotline_router)
