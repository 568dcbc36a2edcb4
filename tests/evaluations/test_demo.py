"""The 好差评 demo: generated from the demo's own tickets and requests, 好评率 above 99% as the
dashboard computes it from those records, every bad review with its rectification, the three
appeal outcomes, the roll-ups equal to a recount, and a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from jiedao.accounts.models import User
from jiedao.core import figures as core_figures
from jiedao.evaluations import selectors
from jiedao.evaluations.models import (
    BAD_LEVELS,
    Appeal,
    AppealStatus,
    EvalChannel,
    Evaluation,
    Rectification,
)
from tests.conftest import keep_demo_steps


@pytest.mark.django_db
def test_the_demo_evaluations_add_up_and_a_second_run_adds_nothing(monkeypatch):
    monkeypatch.setenv("JIEDAO_DEMO_TICKET_SCALE", "0.3")
    keep_demo_steps(monkeypatch, "affairs", "business", "evaluations")
    out = io.StringIO()
    call_command("demo", stdout=out)
    counts = (Evaluation.objects.count(), Rectification.objects.count(), Appeal.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (
        Evaluation.objects.count(),
        Rectification.objects.count(),
        Appeal.objects.count(),
    ) == counts

    leader = User.objects.get(username="tmx_leader")
    head = selectors.headline(user=leader)
    tmx = Evaluation.objects.filter(org_unit__path__startswith="/SH/JA/TMX/")
    assert head["count"] == tmx.count() - 1  # the upheld appeal's review is out of the figures
    assert head["good_rate"] > 99
    assert head["bad"] == tmx.filter(level__in=list(BAD_LEVELS)).count() - 1
    assert {c for c in tmx.values_list("channel", flat=True)} == set(EvalChannel.values) - {
        EvalChannel.DOOR
    }
    assert tmx.filter(request__isnull=False).exists()
    assert (
        Rectification.objects.count()
        == Evaluation.objects.filter(level__in=list(BAD_LEVELS)).count()
    )
    assert set(Appeal.objects.values_list("status", flat=True)) == set(AppealStatus.values)
    assert head["revisit_rate"] is not None and head["revisit_rate"] > 50
    assert core_figures.verify() == []
    assert "evaluations" in out.getvalue()
