"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def overview(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def dashboard(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_stage(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_approve(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def project_publish(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def party_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def site_survey_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def survey_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def review_assign(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def milestone_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def milestone_state(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def spending_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def photo_upload(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def next_version(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def survey_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def question_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def question_delete(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def survey_open(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def survey_close(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def paper_entry(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def answer_publish(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def review_desk(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def review_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_save(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def fund_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
