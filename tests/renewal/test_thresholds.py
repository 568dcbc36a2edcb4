"""The two decisions: round one (意愿征询) and the signing period, just below, exactly at and
just above the project's threshold, counted from the households' records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jiedao.renewal.models import Phase
from jiedao.renewal.selectors import consultation_result, signing_result
from tests.renewal.factories import make_agreement, make_project, set_answers

DEADLINE = date(2025, 6, 30)


@pytest.mark.parametrize(("agree", "passed"), [(17, False), (18, True), (19, True)])
def test_consultation_at_ninety_percent_of_twenty(tree, agree, passed) -> None:
    # given 20 households and a 90% threshold (18 households exactly)
    project = make_project(tree.sub_a, households=20, agree_threshold=Decimal("0.900"))
    set_answers(project, agree=agree, disagree=20 - agree)
    # when / then
    result = consultation_result(project)
    assert (result.count, result.total, result.passed) == (agree, 20, passed)


@pytest.mark.parametrize(("agree", "passed"), [(17, False), (18, True)])
def test_unanswered_households_count_as_not_agreeing(tree, agree, passed) -> None:
    project = make_project(tree.sub_a, households=20)
    set_answers(project, agree=agree)  # the rest never answered
    result = consultation_result(project)
    assert result.total == 20
    assert result.passed is passed


def test_odd_threshold_exactly_at_passes_without_rounding(tree) -> None:
    # 2/3 of 3 households is 0.666…; a threshold of 0.667 needs all three
    project = make_project(tree.sub_a, households=3, agree_threshold=Decimal("0.667"))
    set_answers(project, agree=2, disagree=1)
    assert consultation_result(project).passed is False
    project = make_project(tree.sub_a, households=10, agree_threshold=Decimal("0.700"))
    set_answers(project, agree=7)
    assert consultation_result(project).passed is True


def test_a_project_without_households_never_passes(tree) -> None:
    project = make_project(tree.sub_a)
    assert consultation_result(project).passed is False
    assert signing_result(project).passed is False


@pytest.mark.parametrize(("signed", "passed"), [(16, False), (17, True), (18, True)])
def test_signing_at_eighty_five_percent_of_twenty(tree, signed, passed) -> None:
    # given 20 households and an 85% threshold (17 households exactly)
    project = make_project(
        tree.sub_a,
        households=20,
        phase=Phase.SIGNING,
        sign_threshold=Decimal("0.850"),
        signing_deadline=DEADLINE,
    )
    for h in list(project.households.order_by("pk"))[:signed]:
        make_agreement(h, signed_on=date(2025, 6, 1))
    # when / then
    result = signing_result(project)
    assert (result.count, result.total, result.passed) == (signed, 20, passed)


def test_revoked_agreements_do_not_count(tree) -> None:
    project = make_project(
        tree.sub_a, households=20, phase=Phase.SIGNING, signing_deadline=DEADLINE
    )
    rows = list(project.households.order_by("pk"))
    for h in rows[:17]:
        make_agreement(h, signed_on=date(2025, 6, 1))
    assert signing_result(project).passed is True
    # when one of the 17 is revoked
    agreement = rows[1].agreements.get()
    agreement.revoked_at = datetime(2025, 6, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    agreement.save()
    # then the household is no longer counted
    result = signing_result(project)
    assert (result.count, result.passed) == (16, False)


def test_agreements_signed_after_the_deadline_do_not_count(tree) -> None:
    project = make_project(
        tree.sub_a, households=20, phase=Phase.SIGNING, signing_deadline=DEADLINE
    )
    rows = list(project.households.order_by("pk"))
    for h in rows[:16]:
        make_agreement(h, signed_on=date(2025, 6, 1))
    make_agreement(rows[16], signed_on=DEADLINE)  # on the deadline: counts
    make_agreement(rows[17], signed_on=date(2025, 7, 1))  # a day late: does not
    result = signing_result(project)
    assert (result.count, result.passed) == (17, True)
    assert signing_result(project, on=date(2025, 5, 31)).count == 0


def test_share_and_threshold_texts(tree) -> None:
    project = make_project(tree.sub_a, households=20)
    set_answers(project, agree=17)
    result = consultation_result(project)
    assert result.share == Decimal("0.85")
    assert result.share_text == "85.0% (17/20)"
    assert result.threshold_text == "90.0%"
