"""好差评 rules: one evaluation per case and channel, immutable, not by the case's own clerk,
single-use links, suspicious sources flagged, the "1、5、15" bad-review rule across a holiday,
appeals, and the figures from the roll-ups equal to a recount."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from jiedao.affairs.models import TicketStatus
from jiedao.core import figures as core_figures
from jiedao.core.permissions import NotPermitted
from jiedao.evaluations import figures, selectors, services
from jiedao.evaluations.models import (
    Appeal,
    AppealStatus,
    EvalChannel,
    Evaluation,
    EvaluationToken,
    Level,
    Rectification,
    RectificationStatus,
)
from jiedao.evaluations.services import Rating
from tests.affairs.factories import make_ticket
from tests.evaluations.conftest import done_ticket, rate_by_link

SH = ZoneInfo("Asia/Shanghai")
S = TicketStatus


# --- giving ---------------------------------------------------------------------------------------
def test_an_evaluation_is_matched_to_its_case_item_point_staff_and_person(users, desk):
    ticket = done_ticket(users, desk)
    evaluation = rate_by_link(users, ticket, Level.VERY_SATISFIED)
    assert (evaluation.ticket, evaluation.item, evaluation.point, evaluation.staff) == (
        ticket,
        desk["item"],
        desk["point"],
        users["tmx_clerk"],
    )
    assert evaluation.person == ticket.applicant_person  # real-name: the applicant is known
    assert evaluation.org_unit == ticket.org_unit
    assert evaluation.scores == {"attitude": 5}
    assert not Rectification.objects.exists()  # only a bad review opens one


def test_a_case_not_completed_cannot_be_rated(users, desk):
    ticket = make_ticket(actor=users["tmx_clerk"], item=desk["item"], point=desk["point"])
    with pytest.raises(ValidationError, match="办结后才能评价"):
        services.token_issue(actor=users["tmx_clerk"], case=ticket)
    assert not EvaluationToken.objects.exists()


def test_one_evaluation_per_case_and_channel(users, desk):
    ticket = done_ticket(users, desk)
    rate_by_link(users, ticket, Level.SATISFIED)
    with pytest.raises(ValidationError, match="一事一评"):
        services.token_issue(actor=users["tmx_clerk"], case=ticket, channel=EvalChannel.QR)
    # another channel's own rule: a return call (12345) is one more evaluation of the case
    services.evaluation_enter(
        actor=users["tmx_admin"],
        case=ticket,
        channel=EvalChannel.HOTLINE,
        rating=Rating(Level.SATISFIED, {}),
    )
    with pytest.raises(ValidationError, match="一事一评"):
        services.evaluation_enter(
            actor=users["tmx_admin"],
            case=ticket,
            channel=EvalChannel.HOTLINE,
            rating=Rating(Level.BASIC, {}),
        )
    assert Evaluation.objects.filter(ticket=ticket).count() == 2


def test_the_database_refuses_a_second_evaluation_of_one_case_and_channel(users, desk):
    first = rate_by_link(users, done_ticket(users, desk), Level.SATISFIED)
    with pytest.raises(IntegrityError):
        Evaluation.objects.create(
            org_unit=first.org_unit,
            ticket=first.ticket,
            channel=first.channel,
            level=5,
            given_at=timezone.now(),
        )


def test_nobody_changes_or_deletes_an_evaluation(users, desk):
    evaluation = rate_by_link(users, done_ticket(users, desk), Level.UNSATISFIED)
    evaluation.level = Level.VERY_SATISFIED
    with pytest.raises(PermissionError):
        evaluation.save()
    with pytest.raises(PermissionError):
        Evaluation.objects.filter(pk=evaluation.pk).update(level=5)
    with pytest.raises(PermissionError):
        evaluation.delete()
    assert Evaluation.objects.get(pk=evaluation.pk).level == Level.UNSATISFIED


def test_a_clerk_cannot_enter_an_evaluation_of_their_own_ticket(users, desk):
    ticket = done_ticket(users, desk)  # handled by tmx_clerk
    with pytest.raises(ValidationError, match="自己经办"):
        services.evaluation_enter(
            actor=users["tmx_clerk"],
            case=ticket,
            channel=EvalChannel.HOTLINE,
            rating=Rating(Level.VERY_SATISFIED, {}),
        )
    assert not Evaluation.objects.exists()


def test_staff_enter_only_calls_and_visits_and_only_in_their_subdistrict(users, desk):
    ticket = done_ticket(users, desk)
    with pytest.raises(ValidationError, match="代录"):
        services.evaluation_enter(
            actor=users["tmx_admin"],
            case=ticket,
            channel=EvalChannel.QR,
            rating=Rating(Level.VERY_SATISFIED, {}),
        )
    with pytest.raises(NotPermitted):
        services.evaluation_enter(
            actor=users["bz_admin"],
            case=ticket,
            channel=EvalChannel.HOTLINE,
            rating=Rating(Level.VERY_SATISFIED, {}),
        )
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("level", "scores", "field"),
    [
        (0, {}, "level"),
        (6, {}, "level"),
        ("好", {}, "level"),
        (True, {}, "level"),
        (5, {"attitude": 9}, "scores"),
        (5, {"accuracy": 5}, "scores"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_saved(
    users, desk, level, scores, field
):
    ticket = done_ticket(users, desk)
    _token, raw = services.token_issue(actor=users["tmx_clerk"], case=ticket)
    with pytest.raises(ValidationError) as exc:
        services.token_rate(raw=raw, rating=Rating(level, scores))
    assert field in exc.value.message_dict
    assert not Evaluation.objects.exists()


# --- links ----------------------------------------------------------------------------------------
def test_a_link_works_once_and_only_its_digest_is_stored(users, desk):
    ticket = done_ticket(users, desk)
    token, raw = services.token_issue(actor=users["tmx_clerk"], case=ticket)
    assert len(raw) >= 32 and raw not in token.digest
    services.token_rate(raw=raw, rating=Rating(Level.SATISFIED, {}))
    with pytest.raises(ValidationError, match="已使用"):
        services.token_rate(raw=raw, rating=Rating(Level.VERY_UNSATISFIED, {}))
    assert Evaluation.objects.count() == 1


def test_an_expired_or_unknown_link_is_refused(users, desk):
    ticket = done_ticket(users, desk)
    token, raw = services.token_issue(actor=users["tmx_clerk"], case=ticket)
    EvaluationToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for link in (raw, "made-up-token"):
        with pytest.raises(ValidationError, match="无效"):
            services.token_rate(raw=link, rating=Rating(Level.SATISFIED, {}))
    assert not Evaluation.objects.exists()


def test_many_evaluations_from_one_source_in_a_short_time_are_flagged(users, desk):
    tickets = [done_ticket(users, desk) for _n in range(services.SUSPICIOUS_COUNT + 1)]
    made = [rate_by_link(users, t, Level.VERY_SATISFIED, source="same-device") for t in tickets]
    flags = [e.suspicious for e in made]
    assert flags == [False] * (services.SUSPICIOUS_COUNT - 1) + [True, True]
    assert "同一来源" in made[-1].suspicious_reason
    other = rate_by_link(users, done_ticket(users, desk), Level.VERY_SATISFIED, source="another")
    assert not other.suspicious


# --- the bad-review rule ----------------------------------------------------------------------------
def test_a_bad_review_opens_a_rectification_with_the_1_5_15_deadlines_across_a_holiday(users, desk):
    # given a bad review on Monday 2025-09-29, the last working days before the National Day week
    given = datetime(2025, 9, 29, 10, tzinfo=SH)
    ticket = done_ticket(users, desk, at=given - timedelta(hours=1))
    evaluation = services.evaluation_enter(
        actor=users["tmx_admin"],
        case=ticket,
        channel=EvalChannel.HOTLINE,
        rating=Rating(Level.UNSATISFIED, {}),
        at=given,
    )
    rect = evaluation.rectification
    # contact within 1 working day: Tuesday 30 September; fix a simple case within 5 working
    # days: 1–8 October are holidays, 28 September and 11 October working Sundays/Saturdays
    assert rect.contact_due == date(2025, 9, 30)
    assert rect.fix_due == date(2025, 10, 13)
    assert rect.handler == users["tmx_clerk"]
    # when it is contacted and found complex: 15 working days
    rect = services.rectification_move(
        actor=users["tmx_clerk"],
        rectification=rect,
        to_status=RectificationStatus.CONTACTED,
        note="已电话联系，需要跨部门协调",
        complex=True,
        at=given + timedelta(hours=3),
    )
    assert rect.fix_due == date(2025, 10, 27)
    assert rect.steps.count() == 2


def test_rectification_moves_in_order_with_notes_and_a_revisit_rating(users, desk):
    evaluation = rate_by_link(users, done_ticket(users, desk), Level.VERY_UNSATISFIED)
    rect = evaluation.rectification
    clerk = users["tmx_clerk"]
    with pytest.raises(services.IllegalTransition):
        services.rectification_move(
            actor=clerk, rectification=rect, to_status=RectificationStatus.FIXED, note="跳过联系"
        )
    with pytest.raises(ValidationError, match="情况"):
        services.rectification_move(
            actor=clerk, rectification=rect, to_status=RectificationStatus.CONTACTED, note=""
        )
    rect = services.rectification_move(
        actor=clerk, rectification=rect, to_status=RectificationStatus.CONTACTED, note="已联系"
    )
    rect = services.rectification_move(
        actor=clerk, rectification=rect, to_status=RectificationStatus.FIXED, note="已补办"
    )
    with pytest.raises(ValidationError, match="对整改的评价"):
        services.rectification_move(
            actor=clerk, rectification=rect, to_status=RectificationStatus.REVISITED, note="已回访"
        )
    rect = services.rectification_move(
        actor=clerk,
        rectification=rect,
        to_status=RectificationStatus.REVISITED,
        note="已回访",
        revisit_level=Level.SATISFIED,
    )
    assert (rect.status, rect.revisit_level) == (RectificationStatus.REVISITED, Level.SATISFIED)
    with pytest.raises(NotPermitted):
        services.rectification_move(
            actor=users["bz_admin"],
            rectification=rect,
            to_status=RectificationStatus.CONTACTED,
            note="x",
        )


def test_the_deadline_job_escalates_a_late_rectification_once(users, desk, tree):
    from jiedao.core.models import Notification

    evaluation = rate_by_link(users, done_ticket(users, desk), Level.UNSATISFIED)
    rect = evaluation.rectification
    today = rect.contact_due + timedelta(days=1)
    assert services.rectification_sla_check(today=today) >= 1
    assert services.rectification_sla_check(today=today) == 0  # once
    note = Notification.objects.get(
        key=f"rectification-overdue:{rect.pk}", user=users["tmx_leader"]
    )
    assert "未在1个工作日内联系" in note.message
    assert Notification.objects.filter(
        key=f"bad-review:{rect.pk}", user=users["tmx_clerk"]
    ).exists()


# --- appeals ---------------------------------------------------------------------------------------
def test_an_upheld_appeal_removes_the_review_from_the_rates_with_its_reason_kept(users, desk):
    good = rate_by_link(users, done_ticket(users, desk), Level.VERY_SATISFIED)
    bad = rate_by_link(users, done_ticket(users, desk), Level.VERY_UNSATISFIED)
    leader = users["tmx_leader"]
    assert selectors.headline(user=leader)["good_rate"] == 50.0
    with pytest.raises(ValidationError, match="只有差评"):
        services.appeal_file(actor=users["tmx_admin"], evaluation=good, reason="好评不能申诉吧")
    appeal = services.appeal_file(
        actor=users["tmx_admin"], evaluation=bad, reason="评价人误操作，电话确认满意"
    )
    with pytest.raises(ValidationError, match="重复"):
        services.appeal_file(actor=users["tmx_admin"], evaluation=bad, reason="再申诉一次试试")
    with pytest.raises(NotPermitted):  # the subdistrict does not decide its own appeal
        services.appeal_decide(actor=users["tmx_admin"], appeal=appeal, upheld=True, note="同意")
    appeal = services.appeal_decide(
        actor=users["admin"], appeal=appeal, upheld=True, note="核实为误评"
    )

    assert appeal.status == AppealStatus.UPHELD and appeal.decision_note == "核实为误评"
    head = selectors.headline(user=leader)
    assert (head["count"], head["good_rate"], head["bad"]) == (1, 100.0, 0)
    assert Evaluation.objects.filter(pk=bad.pk).exists()  # kept, only out of the figures
    assert Rectification.objects.get(evaluation=bad).status == RectificationStatus.APPEALED
    with pytest.raises(ValidationError, match="已复核"):
        services.appeal_decide(actor=users["admin"], appeal=appeal, upheld=False, note="改判")
    assert core_figures.verify() == []


def test_a_rejected_appeal_keeps_the_review_counted(users, desk):
    bad = rate_by_link(users, done_ticket(users, desk), Level.UNSATISFIED)
    appeal = services.appeal_file(
        actor=users["tmx_leader"], evaluation=bad, reason="办事人情绪原因"
    )
    services.appeal_decide(actor=users["admin"], appeal=appeal, upheld=False, note="评价属实")
    assert selectors.headline(user=users["tmx_leader"])["bad"] == 1
    assert Appeal.objects.get().status == AppealStatus.REJECTED


# --- figures ----------------------------------------------------------------------------------------
def test_the_figures_from_the_rollups_equal_a_recount(users, desk):
    levels = [5, 5, 4, 3, 2, 1, 5, 4]
    made = [rate_by_link(users, done_ticket(users, desk), lv) for lv in levels]
    fix = made[4].rectification
    clerk = users["tmx_clerk"]
    fix = services.rectification_move(
        actor=clerk, rectification=fix, to_status="contacted", note="已联系"
    )
    fix = services.rectification_move(
        actor=clerk, rectification=fix, to_status="fixed", note="已整改"
    )
    services.rectification_move(
        actor=clerk, rectification=fix, to_status="revisited", note="满意", revisit_level=4
    )

    head = selectors.headline(user=users["tmx_leader"])
    assert head["count"] == 8
    assert head["good_rate"] == round(100 * 5 / 8, 2)
    assert head["bad_rate"] == 25.0
    assert (head["bad"], head["real_name_bad"]) == (2, 2)
    assert head["fixed_on_time"] == 100.0  # one fixed on time; the other not yet due
    assert head["revisit_rate"] == 50.0
    by_channel = dict(selectors.breakdown(user=users["tmx_leader"], metric=figures.BY_CHANNEL))
    assert sum(by_channel["qr"].values()) == 8
    assert core_figures.verify() == []
    # the other subdistrict sees none of it
    assert selectors.headline(user=users["bz_admin"])["count"] == 0


def test_the_command_runs_the_deadline_job_and_refuses_a_bad_date(users, desk):
    import io

    from django.core.management import CommandError, call_command

    rect = rate_by_link(users, done_ticket(users, desk), Level.UNSATISFIED).rectification
    out = io.StringIO()
    later = (rect.fix_due + timedelta(days=1)).isoformat()
    call_command("evaluations_sla_check", "--today", later, stdout=out)
    assert out.getvalue().startswith(("1 ", "2 "))
    with pytest.raises(CommandError):
        call_command("evaluations_sla_check", "--today", "2025-13-01", stdout=io.StringIO())
