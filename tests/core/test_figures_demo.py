"""The demo's roll-ups stay equal to a full recount under random writes through the services.

The demo is built (with few tickets), `verify()` must find its roll-ups equal to a recount;
then every module's services make seeded random writes to the demo's own records (ticket
moves, trips and return visits; request steps and ratings; enterprise move-outs; agreement
revocations, moving out and renewal phases; livelihood stages), and `verify()` must still
find no difference.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from jiedao.affairs import services as affairs
from jiedao.affairs.models import TRANSITIONS, Resolution, ServicePoint, Ticket, TicketStatus
from jiedao.business import services as business
from jiedao.business.models import REQUEST_TRANSITIONS, EnterpriseRequest
from jiedao.core import figures
from jiedao.core.models import Enterprise
from jiedao.livelihood import services as livelihood
from jiedao.livelihood.models import STAGE_TRANSITIONS, Project, Stage
from jiedao.renewal import services as renewal
from jiedao.renewal.models import PHASE_TRANSITIONS, Agreement, Household, RenewalProject

NOTE = "随机写入的说明"
REFUSED = ValidationError  # every module's IllegalTransition is one


def _one(rnd: random.Random, qs):
    pks = list(qs.order_by("pk").values_list("pk", flat=True)[:400])
    if not pks:
        raise LookupError("nothing to write to yet")
    return qs.model.objects.get(pk=rnd.choice(pks))


def _ticket_write(rnd: random.Random, admin, kind: str) -> None:
    today = timezone.localdate()
    if kind == "ticket_move":
        ticket = _one(
            rnd,
            Ticket.objects.filter(
                org_unit__code="TMX", status__in=[s for s, to in TRANSITIONS.items() if to]
            ),
        )
        to = rnd.choice(sorted(TRANSITIONS[ticket.status]))
        affairs.ticket_transition(actor=admin, ticket=ticket, to_status=to, note=NOTE)
    elif kind == "trip":
        ticket = _one(rnd, Ticket.objects.filter(org_unit__code="TMX"))
        point = ServicePoint.objects.filter(org_unit__code="TMX").order_by("pk").first()
        first = timezone.localtime(ticket.submitted_at).date()
        day = min(first + timedelta(days=rnd.randint(0, 5)), today)
        affairs.trip_record(actor=admin, ticket=ticket, day=day, point=point)
    else:
        ticket = _one(
            rnd, Ticket.objects.filter(org_unit__code="TMX", status=TicketStatus.COMPLETED)
        )
        affairs.return_visit_record(
            actor=admin,
            ticket=ticket,
            satisfaction=rnd.randint(1, 5),
            resolution=rnd.choice(Resolution.values),
            called_at=min(ticket.completed_at + timedelta(days=1), timezone.now()),
        )


def _business_write(rnd: random.Random, admin, kind: str) -> None:
    if kind == "request_move":
        request = _one(
            rnd,
            EnterpriseRequest.objects.filter(
                org_unit__code="TMX", status__in=[s for s, to in REQUEST_TRANSITIONS.items() if to]
            ),
        )
        to = rnd.choice(sorted(REQUEST_TRANSITIONS[request.status]))
        business.request_transition(
            actor=admin, request=request, to_status=to, note=NOTE, referred_to="区市场监管局"
        )
    elif kind == "rating":
        request = _one(
            rnd,
            EnterpriseRequest.objects.filter(
                rating__isnull=True,
                resolved_at__isnull=False,
                enterprise__contact__user__isnull=False,
            ),
        )
        business.request_rate(
            actor=request.enterprise.contact.user, request=request, rating=rnd.randint(1, 5)
        )
    else:
        firm = _one(
            rnd,
            Enterprise.objects.filter(
                org_unit__path__startswith="/SH/JA/TMX/", profile__isnull=False
            ),
        )
        moved_out = rnd.choice([None, date(2024, 5, 1), timezone.localdate() + timedelta(days=30)])
        business.enterprise_profile_save(
            actor=admin, enterprise=firm, data={"moved_out": moved_out}
        )


def _renewal_write(rnd: random.Random, admin, kind: str) -> None:
    if kind == "revoke":
        agreement = _one(rnd, Agreement.objects.filter(revoked_at__isnull=True))
        renewal.agreement_revoke(actor=admin, agreement=agreement, reason=NOTE)
    elif kind == "move_out":
        household = _one(
            rnd, Household.objects.filter(agreements__revoked_at__isnull=True).distinct()
        )
        day = timezone.localdate() - timedelta(days=rnd.randint(0, 30))
        renewal.household_record_move(
            actor=admin,
            household=household,
            expected_version=household.version,
            moved_on=day,
            keys_on=day,
            inspected_on=rnd.choice([None, day]),
        )
    else:
        project = _one(
            rnd,
            RenewalProject.objects.filter(
                phase__in=[p for p, to in PHASE_TRANSITIONS.items() if to]
            ),
        )
        to = rnd.choice(sorted(PHASE_TRANSITIONS[project.phase]))
        renewal.project_move_phase(actor=admin, project=project, to_phase=to)


def _livelihood_write(rnd: random.Random, admin) -> None:
    open_stages = [s for s, to in STAGE_TRANSITIONS.items() if to]
    project = _one(
        rnd, Project.objects.filter(stage__in=open_stages, org_unit__path__startswith="/SH/JA/TMX/")
    )
    to = rnd.choice(sorted(STAGE_TRANSITIONS[project.stage]))
    livelihood.project_transition(actor=admin, project=project, to_stage=to, note=NOTE)
    assert Project.objects.get(pk=project.pk).stage == Stage(to)


def test_demo_rollups_survive_random_writes_through_every_module(db, monkeypatch):
    monkeypatch.setenv("JIEDAO_DEMO_TICKET_SCALE", "0.02")
    call_command("demo", stdout=io.StringIO())
    assert figures.verify() == []

    admin = get_user_model().objects.get(username="tmx_admin")
    rnd = random.Random(20261203)
    kinds = [
        "ticket_move",
        "trip",
        "return_visit",
        "request_move",
        "rating",
        "profile",
        "revoke",
        "move_out",
        "phase",
        "stage",
    ]
    done: Counter[str] = Counter()
    for _step in range(160):
        kind = rnd.choice(kinds)
        try:
            if kind in ("ticket_move", "trip", "return_visit"):
                _ticket_write(rnd, admin, kind)
            elif kind in ("request_move", "rating", "profile"):
                _business_write(rnd, admin, kind)
            elif kind in ("revoke", "move_out", "phase"):
                _renewal_write(rnd, admin, kind)
            else:
                _livelihood_write(rnd, admin)
        except (REFUSED, LookupError):
            continue  # a write the rules refuse changes nothing; the next one is tried
        done[kind] += 1

    # every kind of write happened, and the roll-ups the services kept equal a recount
    assert set(done) == set(kinds), done
    assert figures.verify() == []
