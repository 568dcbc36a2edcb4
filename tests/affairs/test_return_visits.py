"""Return visits (回访): a bad one flags the ticket and opens one linked follow-up, logged with
old and new state; the call list samples each item's share and always includes late and
complained tickets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from jiedao.affairs import selectors, services
from jiedao.affairs.models import (
    RETURN_VISIT_QUESTIONS,
    Channel,
    Resolution,
    ReturnVisit,
    Ticket,
    TicketStatus,
)
from jiedao.core.permissions import NotPermitted
from tests.affairs.factories import advance, make_item, make_point, make_ticket

SH = ZoneInfo("Asia/Shanghai")
S = TicketStatus


def sh(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture
def done(tree, users) -> Ticket:
    """A window ticket completed on time in March 2025."""
    clerk = users["tmx_clerk"]
    item = make_item(tree.sub_a, "RV-1", time_limit_days=5)
    ticket = make_ticket(
        actor=clerk, item=item, point=make_point(tree.sub_a), submitted_at=sh(2025, 3, 3)
    )
    return advance(ticket, clerk, S.ACCEPTED, S.COMPLETED, at=sh(2025, 3, 4))


def visit(ticket: Ticket, actor, satisfaction: int, resolution: str, **kw) -> ReturnVisit:
    return services.return_visit_record(
        actor=actor, ticket=ticket, satisfaction=satisfaction, resolution=resolution, **kw
    )


def _flag_entries(ticket: Ticket) -> list[LogEntry]:
    return [
        e
        for e in LogEntry.objects.get_for_object(ticket).order_by("timestamp", "pk")
        if e.action == LogEntry.Action.UPDATE and "needs_follow_up" in (e.changes_dict or {})
    ]


# --- flagging -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("satisfaction", "resolution"),
    [
        (1, Resolution.RESOLVED),
        (2, Resolution.PARTLY),
        (5, Resolution.NOT_RESOLVED),
        (3, Resolution.NOT_RESOLVED),
    ],
)
def test_a_bad_visit_flags_the_ticket_and_opens_one_follow_up(
    done: Ticket, users, satisfaction: int, resolution: str
) -> None:
    clerk = users["tmx_clerk"]
    visit(done, clerk, satisfaction, resolution, suggestions="材料要求没讲清楚")

    done.refresh_from_db()
    assert done.needs_follow_up is True
    assert done.status == S.COMPLETED  # the original stays closed; the follow-up carries on
    (follow_up,) = Ticket.objects.filter(follow_up_of=done)
    assert follow_up.status == S.SUBMITTED
    assert (follow_up.item, follow_up.point) == (done.item, done.point)
    assert follow_up.applicant_person == done.applicant_person
    assert follow_up.channel == Channel.PHONE
    assert follow_up.trips.count() == 0  # nobody came for it
    assert "回访跟进" in follow_up.notes
    assert "材料要求没讲清楚" in follow_up.notes


def test_the_flag_is_logged_with_old_and_new_state(done: Ticket, users) -> None:
    clerk = users["tmx_clerk"]
    assert _flag_entries(done) == []
    visit(done, clerk, 1, Resolution.NOT_RESOLVED)
    (entry,) = _flag_entries(done)
    assert entry.changes_dict["needs_follow_up"] == ["False", "True"]
    assert entry.actor == clerk


def test_a_second_bad_visit_opens_no_second_follow_up(done: Ticket, users) -> None:
    clerk = users["tmx_clerk"]
    visit(done, clerk, 2, Resolution.PARTLY)
    visit(done, users["tmx_admin"], 1, Resolution.NOT_RESOLVED)

    assert ReturnVisit.objects.filter(ticket=done).count() == 2
    assert Ticket.objects.filter(follow_up_of=done).count() == 1
    assert Ticket.objects.count() == 2
    assert len(_flag_entries(done)) == 1  # False → True once; nothing changed the second time


@pytest.mark.parametrize(
    ("satisfaction", "resolution"),
    [(3, Resolution.RESOLVED), (3, Resolution.PARTLY), (5, Resolution.RESOLVED)],
)
def test_a_good_visit_flags_nothing(done: Ticket, users, satisfaction: int, resolution) -> None:
    recorded = visit(
        done,
        users["tmx_clerk"],
        satisfaction,
        resolution,
        answers=["办好了", "一次", "很好"],
        called_at=sh(2025, 3, 10),
    )
    done.refresh_from_db()
    assert done.needs_follow_up is False
    assert not Ticket.objects.filter(follow_up_of=done).exists()
    assert _flag_entries(done) == []
    assert recorded.called_at == sh(2025, 3, 10)
    assert recorded.answers == [
        {"question": str(q), "answer": a}
        for q, a in zip(RETURN_VISIT_QUESTIONS, ["办好了", "一次", "很好"], strict=False)
    ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"satisfaction": 0, "resolution": Resolution.RESOLVED}, "satisfaction"),
        ({"satisfaction": 6, "resolution": Resolution.RESOLVED}, "satisfaction"),
        ({"satisfaction": 4, "resolution": "maybe"}, "resolution"),
    ],
)
def test_bad_input_is_refused(done: Ticket, users, kwargs, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.return_visit_record(actor=users["tmx_clerk"], ticket=done, **kwargs)
    assert field in caught.value.message_dict
    assert not ReturnVisit.objects.exists()


def test_only_completed_tickets_are_visited(tree, users) -> None:
    clerk = users["tmx_clerk"]
    ticket = make_ticket(actor=clerk, item=make_item(tree.sub_a), point=make_point(tree.sub_a))
    with pytest.raises(ValidationError) as caught:
        visit(ticket, clerk, 1, Resolution.NOT_RESOLVED)
    assert caught.value.message_dict["ticket"] == ["只能回访已办结的办件。"]
    assert Ticket.objects.count() == 1


def test_another_subdistrict_cannot_record_a_visit(done: Ticket, users) -> None:
    with pytest.raises(NotPermitted):
        visit(done, users["bz_admin"], 1, Resolution.NOT_RESOLVED)
    with pytest.raises(NotPermitted):
        visit(done, users["tmx_leader"], 5, Resolution.RESOLVED)
    assert not ReturnVisit.objects.exists()


# --- the call list ------------------------------------------------------------------------------
MARCH = date(2025, 3, 1)


def _complete(ticket: Ticket, actor, day: date) -> Ticket:
    return advance(ticket, actor, S.ACCEPTED, S.COMPLETED, at=sh(day.year, day.month, day.day))


@pytest.fixture
def calls(tree, users):
    """Completed March tickets of three items sampled at 0 %, 100 % and 50 %."""
    clerk = users["tmx_clerk"]
    never = make_item(tree.sub_a, "NEVER", time_limit_days=1, sample_rate=Decimal("0"))
    always = make_item(tree.sub_a, "ALWAYS", time_limit_days=1, sample_rate=Decimal("1"))
    half = make_item(tree.sub_a, "HALF", time_limit_days=5, sample_rate=Decimal("0.5"))
    centre = make_point(tree.sub_a)

    def ticket(item, submitted: date, completed: date | None) -> Ticket:
        t = make_ticket(
            actor=clerk,
            item=item,
            point=centre,
            submitted_at=sh(submitted.year, submitted.month, submitted.day),
        )
        return _complete(t, clerk, completed) if completed else t

    mon, tue, wed = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 5)
    out = {
        "never_on_time": ticket(never, mon, tue),
        "never_late": ticket(never, mon, wed),  # due Tue, done Wed
        "never_complained": ticket(never, mon, tue),
        "always_a": ticket(always, mon, tue),
        "always_visited": ticket(always, mon, tue),
        "always_open": ticket(always, mon, None),
        "always_april": ticket(always, date(2025, 3, 31), date(2025, 4, 1)),
        "always_february": ticket(always, date(2025, 2, 26), date(2025, 2, 27)),
        "half": [ticket(half, mon, date(2025, 3, 7)) for _ in range(20)],
    }
    Ticket.objects.filter(pk=out["never_complained"].pk).update(complained=True)
    visit(out["always_visited"], clerk, 5, Resolution.RESOLVED)
    return out


def test_call_list_samples_by_item_and_always_takes_late_and_complained(calls, users) -> None:
    listed = selectors.call_list(user=users["tmx_admin"], month=date(2025, 3, 17))
    numbers = {t.number for t in listed}

    assert calls["never_late"].number in numbers
    assert calls["never_complained"].number in numbers
    assert calls["never_on_time"].number not in numbers  # item sampled at 0 %
    assert calls["always_a"].number in numbers  # item sampled at 100 %
    assert calls["always_visited"].number not in numbers  # already called
    assert calls["always_open"].number not in numbers  # not completed
    assert calls["always_april"].number not in numbers  # another month
    assert calls["always_february"].number not in numbers
    half = [t for t in listed if t.item.code == "HALF"]
    assert 0 < len(half) < 20
    assert len(listed) == 3 + len(half)


def test_call_list_is_the_same_on_every_load(calls, users) -> None:
    first = [t.pk for t in selectors.call_list(user=users["tmx_admin"], month=MARCH)]
    again = [t.pk for t in selectors.call_list(user=users["tmx_clerk"], month=MARCH)]
    assert first == again
    # Raising the item's share only adds tickets: the draw of each ticket does not change.
    half = calls["half"][0].item
    half.sample_rate = Decimal("0.9")
    half.save(update_fields=["sample_rate"])
    wider = [t.pk for t in selectors.call_list(user=users["tmx_admin"], month=MARCH)]
    assert set(first) < set(wider)


def test_another_months_list_and_another_subdistrict(calls, users) -> None:
    april = selectors.call_list(user=users["tmx_admin"], month=date(2025, 4, 1))
    assert [t.number for t in april] == [calls["always_april"].number]
    assert selectors.call_list(user=users["bz_admin"], month=MARCH) == []


def test_a_visited_ticket_leaves_the_list(calls, users) -> None:
    late = calls["never_late"]
    visit(late, users["tmx_clerk"], 4, Resolution.RESOLVED)
    listed = selectors.call_list(user=users["tmx_admin"], month=MARCH)
    assert late.pk not in {t.pk for t in listed}


def test_a_bad_visit_on_a_retired_item_still_opens_the_follow_up(done: Ticket, users) -> None:
    # The item was retired and its form changed after the ticket was done; the case goes on.
    item = done.item
    item.active = False
    item.attributes = [{"code": "new", "label": "新增字段", "datatype": "string", "required": True}]
    item.save(update_fields=["active", "attributes"])

    visit(done, users["tmx_clerk"], 1, Resolution.NOT_RESOLVED)

    done.refresh_from_db()
    assert done.needs_follow_up is True
    (follow_up,) = Ticket.objects.filter(follow_up_of=done)
    assert follow_up.item == item
    assert follow_up.attributes == done.attributes
