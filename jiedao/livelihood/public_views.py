"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def index(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def org_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_page(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def follow(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def survey_answer(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def propose(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def mine(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def photo_file(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
