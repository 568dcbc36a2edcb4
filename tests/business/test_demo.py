"""The business demo: its records add up to the figures of DOMAIN.md ("12 platforms, 16
buildings, 1,167 enterprises, ~40,000 white-collar workers"; 64 buildings, ~5,600 enterprises,
~50,000 white-collar workers), its requests, meetings and visits are consistent with
themselves, and a second run adds nothing.

Building the demo takes several seconds, so everything is checked in one test that runs it
twice.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Q, Sum
from django.utils import timezone
from stdnum.cn import uscc

from jiedao.accounts.models import User
from jiedao.business import selectors
from jiedao.business.models import (
    REQUEST_OPEN,
    REQUEST_TRANSITIONS,
    ActionItem,
    ActionState,
    BuildingProfile,
    Council,
    EnterpriseProfile,
    EnterpriseRequest,
    LiaisonAssignment,
    LiaisonVisit,
    Meeting,
    MeetingKind,
    Policy,
    RequestStatus,
    RequestTransition,
    RequestType,
    Vacancy,
    VacancyStatus,
    Viewing,
    ViewingOutcome,
)
from jiedao.business.services import request_due_dates
from jiedao.core.models import Enterprise, OfficeBuilding, OrgUnit, Person
from tests.conftest import keep_demo_steps


def _counts() -> dict[str, int]:
    models = [*apps.get_app_config("business").get_models(), Enterprise, Person]
    counts = {m._meta.label: m._default_manager.count() for m in models}
    for through in (Council.buildings, LiaisonVisit.visitors, LiaisonVisit.enterprises):
        counts[through.through._meta.label] = through.through.objects.count()
    return counts


@pytest.mark.django_db
def test_the_demo_records_add_up_to_the_figures_and_a_second_run_adds_nothing(monkeypatch):
    # given: the government-services tickets scaled down (they are tested in tests/affairs)
    monkeypatch.setenv("JIEDAO_DEMO_TICKET_SCALE", "0.02")
    keep_demo_steps(monkeypatch, "business")
    out = io.StringIO()

    # when
    call_command("demo", stdout=out)
    first = _counts()
    stamps = dict(EnterpriseProfile.objects.values_list("pk", "updated_at"))
    call_command("demo", stdout=io.StringIO())

    # then: the second run added nothing to any business table, nor changed a profile
    assert _counts() == first
    assert dict(EnterpriseProfile.objects.values_list("pk", "updated_at")) == stamps

    today = timezone.localdate()
    tmx = OrgUnit.objects.get(code="TMX")
    officer = User.objects.get(username="tmx_business")
    leader = User.objects.get(username="tmx_leader")

    # the coverage figures, as the dashboard computes them for the business office
    figures = selectors.coverage(user=officer)
    assert (figures.councils, figures.buildings, figures.enterprises) == (12, 16, 1_167)
    assert 39_500 <= figures.white_collar <= 40_500
    assert (
        f"coverage: 12 councils, 16 buildings, 1167 enterprises, "
        f"{figures.white_collar} white-collar workers" in out.getvalue()
    )
    councils = Council.objects.filter(org_unit=tmx).annotate(n=Count("buildings"))
    assert all(c.brand == "和矩阵" and c.convener and c.secretary_general for c in councils)
    assert sorted(c.n for c in councils).count(1) == 8  # the others cover two or three
    links = Council.buildings.through.objects.filter(council__org_unit=tmx).count()
    assert links > figures.buildings  # a building covered twice still counts once

    # 64 buildings with profiles; about 20 key buildings, every covered one among them
    buildings = OfficeBuilding.objects.filter(org_unit__path__startswith=tmx.path)
    profiles = BuildingProfile.objects.filter(building__in=buildings)
    assert profiles.count() == buildings.count() == 64
    assert 18 <= profiles.filter(is_key=True).count() <= 22
    assert set(figures.building_ids) <= set(
        profiles.filter(is_key=True).values_list("building_id", flat=True)
    )
    assert not profiles.filter(Q(owner="") | Q(property_manager="") | Q(service_station=""))
    assert all(p.endswith("楼宇党委") for p in profiles.values_list("party_committee", flat=True))

    # about 5,600 registered enterprises, each with a profile and a valid, distinct credit code
    firms = Enterprise.objects.filter(org_unit__path__startswith=tmx.path)
    assert 5_600 <= firms.count() <= 5_800
    assert firms.filter(profile__registered_here=True).count() >= 5_600
    assert not firms.filter(profile__isnull=True).exists()
    codes = list(firms.values_list("credit_code", flat=True))
    assert len(set(codes)) == len(codes)
    assert all(uscc.is_valid(c) for c in codes)
    here = firms.exclude(profile__moved_out__lte=today)
    white_collar = here.aggregate(n=Sum("profile__white_collar_count"))["n"]
    assert 49_500 <= white_collar <= 50_500
    elsewhere = here.filter(profile__operating_here=False).count()
    assert 0.15 * firms.count() < elsewhere < 0.5 * firms.count()
    assert 10 <= firms.filter(profile__moved_out__lte=today).count() <= 60
    assert firms.filter(profile__is_key=True).count() >= 50
    # a few hundred firms name a contact, whose phone is stored masked
    contacts = Person.objects.filter(enterprise_contacts__in=firms).distinct()
    assert 200 <= contacts.count() <= 400
    assert all(
        re.fullmatch(r"1\d{2}\*{4}\d{4}", p)
        for p in contacts.values_list("phone_masked", flat=True)
    )

    # a year of council meetings of the three kinds; decisions followed through
    meetings = Meeting.objects.filter(council__org_unit=tmx)
    assert set(meetings.values_list("kind", flat=True)) == set(MeetingKind.values)
    assert not meetings.filter(date__lt=today - timedelta(days=366)).exists()
    assert not meetings.filter(Q(agenda="") | Q(minutes="")).exists()
    items = ActionItem.objects.filter(council__org_unit=tmx)
    done = items.filter(state=ActionState.DONE)
    assert done.count() > items.count() / 2
    assert not done.filter(Q(result="") | Q(closed_at__isnull=True)).exists()
    assert items.filter(state__in=[ActionState.OPEN, ActionState.IN_PROGRESS]).exists()
    overdue_items = selectors.action_item_list(user=officer, overdue=True).count()
    assert 1 <= overdue_items <= 15

    # liaison: every key building assigned to the leader, a few of them now due
    assignments = LiaisonAssignment.objects.filter(building__in=buildings)
    assert assignments.count() == profiles.filter(is_key=True).count()
    assert set(assignments.values_list("leader__username", flat=True)) == {"tmx_leader"}
    rows = selectors.liaison_rows(user=leader, mine=True)
    assert len(rows) == assignments.count()
    assert 1 <= sum(r.is_due for r in rows) <= 5
    visits = LiaisonVisit.objects.filter(building__in=buildings)
    assert visits.count() >= 4 * assignments.count()
    assert {"tmx_leader", "tmx_business"} <= set(
        visits.values_list("visitors__username", flat=True)
    )

    # about 600 requests of every type over the last year
    requests = EnterpriseRequest.objects.filter(org_unit=tmx).select_related("type")
    assert 550 <= requests.count() <= 700
    assert Counter(requests.values_list("type__code", flat=True)).keys() == set(
        RequestType.objects.values_list("code", flat=True)
    )
    assert all(
        re.fullmatch(r"TMX-QY20\d\d-\d{5}", n) for n in requests.values_list("number", flat=True)
    )
    for request in requests.order_by("pk")[:150]:
        dues = request_due_dates(request.type, request.received_at)
        assert (request.ack_due, request.response_due, request.resolve_due) == (
            dues["ack_due"],
            dues["response_due"],
            dues["resolve_due"],
        )
    # each request's transitions follow the map, end in its status and give its timestamps
    steps: dict[int, list[tuple[str, str, object]]] = {}
    for request_id, from_status, to_status, at in (
        RequestTransition.objects.filter(request__org_unit=tmx)
        .order_by("request", "at", "id")
        .values_list("request", "from_status", "to_status", "at")
    ):
        steps.setdefault(request_id, []).append((from_status, to_status, at))
    for request in requests:
        moves = steps[request.pk]
        assert moves[0][:2] == ("", RequestStatus.RECEIVED)
        assert all(t in REQUEST_TRANSITIONS[f] for f, t, _at in moves[1:]), request.number
        assert moves[-1][1] == request.status, request.number
        at = {t: a for _f, t, a in reversed(moves)}
        assert request.acknowledged_at == at.get(RequestStatus.ACKNOWLEDGED)
        assert request.resolved_at == at.get(RequestStatus.RESOLVED, at.get(RequestStatus.REFERRED))
    times = selectors.request_times(requests)
    for on_time, counted in (
        (times.ack_on_time, times.ack_counted),
        (times.response_on_time, times.response_counted),
        (times.resolve_on_time, times.resolve_counted),
    ):
        assert 0.8 < on_time / counted < 1  # most on time, some late
    overdue = requests.filter(selectors.overdue_q(today))
    assert 2 <= overdue.count() <= 20
    resolved = requests.filter(resolved_at__isnull=False)
    assert resolved.filter(rating__isnull=False).count() > resolved.count() / 2
    assert not requests.filter(rating__isnull=False, resolved_at__isnull=True).exists()
    own = requests.filter(enterprise__contact__user__username="enterprise1")
    assert own.count() >= 5
    assert (
        RequestTransition.objects.filter(
            request__in=own, to_status=RequestStatus.RECEIVED, actor__username="enterprise1"
        ).count()
        == own.count()
    )
    assert requests.filter(type__code="policy", policy__isnull=False).count() > 50
    assert requests.filter(liaison_visit__isnull=False).exists()
    assert requests.filter(status__in=REQUEST_OPEN).exists()

    # the policy library, vacancies and viewings
    assert 12 <= Policy.objects.count() <= 20
    assert not Policy.objects.filter(Q(issuer="") | Q(summary="")).exists()
    vacancies = Vacancy.objects.filter(building__in=buildings)
    assert 35 <= vacancies.count() <= 45
    viewings = Viewing.objects.filter(vacancy__in=vacancies)
    assert 60 <= viewings.count() <= 110
    for vacancy in vacancies.annotate(
        moved_in=Count("viewings", filter=Q(viewings__outcome=ViewingOutcome.MOVED_IN))
    ):
        assert vacancy.moved_in == (1 if vacancy.status == VacancyStatus.LET else 0)
    assert vacancies.filter(status=VacancyStatus.LET).count() >= 5
    assert viewings.filter(request__type__code="office_viewing").exists()
