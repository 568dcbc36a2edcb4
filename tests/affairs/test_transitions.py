"""Tickets: opening one (due date, trips, typed attributes, numbers, who may) and moving it
along the transition map (every legal move recorded, every illegal one refused)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from jiedao.affairs import services
from jiedao.affairs.models import (
    TRANSITIONS,
    Channel,
    PointKind,
    Ticket,
    TicketStatus,
    TicketTransition,
    Trip,
)
from jiedao.affairs.services import IllegalTransition
from jiedao.core.permissions import NotPermitted
from tests.affairs.factories import advance, make_item, make_point, make_ticket
from tests.factories import make_person

SH = ZoneInfo("Asia/Shanghai")
S = TicketStatus

# The shortest way from a new ticket to each status.
PATH_TO: dict[str, list[str]] = {
    S.SUBMITTED: [],
    S.ACCEPTED: [S.ACCEPTED],
    S.IN_PROGRESS: [S.ACCEPTED, S.IN_PROGRESS],
    S.RETURNED: [S.RETURNED],
    S.RESUBMITTED: [S.RETURNED, S.RESUBMITTED],
    S.COMPLETED: [S.ACCEPTED, S.COMPLETED],
    S.REJECTED: [S.REJECTED],
    S.WITHDRAWN: [S.WITHDRAWN],
}
LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
ILLEGAL = [(a, b) for a in S.values for b in S.values if b not in TRANSITIONS[a]]


def sh(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SH)


@pytest.fixture
def setup(tree, users):
    item = make_item(tree.sub_a, time_limit_days=3)
    centre = make_point(tree.sub_a, items=[item])
    return item, centre


def new_ticket(setup, users, **kwargs) -> Ticket:
    item, centre = setup
    return make_ticket(actor=users["tmx_clerk"], item=item, point=centre, **kwargs)


# --- the map itself -----------------------------------------------------------------------------
def test_the_map_covers_every_status_and_closed_ones_are_final() -> None:
    assert set(TRANSITIONS) == set(S.values)
    for status in (S.COMPLETED, S.REJECTED, S.WITHDRAWN):
        assert TRANSITIONS[status] == frozenset()


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_every_legal_transition_succeeds_and_is_recorded(
    setup, users, from_status: str, to_status: str
) -> None:
    clerk = users["tmx_clerk"]
    ticket = advance(new_ticket(setup, users), clerk, *PATH_TO[from_status])
    assert ticket.status == from_status
    before = ticket.transitions.count()
    moment = sh(2025, 6, 3, 15)

    services.ticket_transition(
        actor=users["tmx_admin"], ticket=ticket, to_status=to_status, note="原因", at=moment
    )

    ticket.refresh_from_db()
    assert ticket.status == to_status
    assert ticket.transitions.count() == before + 1
    last = ticket.transitions.order_by("-id").first()
    assert last is not None
    assert (last.from_status, last.to_status) == (from_status, to_status)
    assert last.actor == users["tmx_admin"]
    assert last.at == moment
    assert last.note == "原因"


def test_a_new_ticket_starts_with_a_recorded_submission(setup, users) -> None:
    ticket = new_ticket(setup, users, submitted_at=sh(2025, 6, 3))
    (first,) = ticket.transitions.all()
    assert (first.from_status, first.to_status) == ("", S.SUBMITTED)
    assert first.actor == users["tmx_clerk"]
    assert first.at == sh(2025, 6, 3)


@pytest.mark.parametrize("from_status", S.values)
def test_illegal_transitions_are_refused_in_chinese_and_change_nothing(
    setup, users, from_status: str
) -> None:
    clerk = users["tmx_clerk"]
    ticket = advance(new_ticket(setup, users), clerk, *PATH_TO[from_status])
    targets = [b for a, b in ILLEGAL if a == from_status]
    assert targets, "every status has some move it may not make (at least to itself)"
    count = TicketTransition.objects.count()
    for to_status in [*targets, "bogus"]:
        with pytest.raises(IllegalTransition) as caught:
            services.ticket_transition(actor=clerk, ticket=ticket, to_status=to_status, note="x")
        assert "不能改为" in caught.value.messages[0]
        assert ticket.status == from_status
        ticket.refresh_from_db()
        assert ticket.status == from_status
    assert TicketTransition.objects.count() == count


def test_illegal_message_names_both_statuses(setup, users) -> None:
    ticket = new_ticket(setup, users)
    with pytest.raises(IllegalTransition) as caught:
        services.ticket_transition(actor=users["tmx_clerk"], ticket=ticket, to_status=S.COMPLETED)
    assert caught.value.messages == ["办件当前状态为“已提交”，不能改为“已办结”。"]


@pytest.mark.parametrize("to_status", [S.RETURNED, S.REJECTED])
@pytest.mark.parametrize("note", ["", "   "])
def test_returning_or_rejecting_needs_a_note(setup, users, to_status: str, note: str) -> None:
    ticket = new_ticket(setup, users)
    with pytest.raises(ValidationError) as caught:
        services.ticket_transition(
            actor=users["tmx_clerk"], ticket=ticket, to_status=to_status, note=note
        )
    assert "note" in caught.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == S.SUBMITTED
    assert ticket.transitions.count() == 1


def test_other_moves_need_no_note(setup, users) -> None:
    ticket = new_ticket(setup, users)
    services.ticket_transition(actor=users["tmx_clerk"], ticket=ticket, to_status=S.ACCEPTED)
    services.ticket_transition(actor=users["tmx_clerk"], ticket=ticket, to_status=S.WITHDRAWN)
    assert Ticket.objects.get(pk=ticket.pk).status == S.WITHDRAWN


def test_completing_sets_completed_at_and_nothing_else_does(setup, users) -> None:
    clerk = users["tmx_clerk"]
    ticket = new_ticket(setup, users, submitted_at=sh(2025, 6, 2))
    advance(ticket, clerk, S.ACCEPTED, S.IN_PROGRESS, at=sh(2025, 6, 3))
    ticket.refresh_from_db()
    assert ticket.completed_at is None
    services.ticket_transition(
        actor=clerk, ticket=ticket, to_status=S.COMPLETED, at=sh(2025, 6, 4, 16)
    )
    ticket.refresh_from_db()
    assert ticket.completed_at == sh(2025, 6, 4, 16)


def test_accepting_an_unassigned_ticket_makes_the_actor_its_handler(setup, users) -> None:
    ticket = new_ticket(setup, users, channel=Channel.ONLINE)
    assert ticket.handler is None
    services.ticket_transition(actor=users["tmx_admin"], ticket=ticket, to_status=S.ACCEPTED)
    ticket.refresh_from_db()
    assert ticket.handler == users["tmx_admin"]


def test_a_stale_copy_cannot_move_the_ticket_again(setup, users) -> None:
    ticket = new_ticket(setup, users)
    first = Ticket.objects.get(pk=ticket.pk)
    second = Ticket.objects.get(pk=ticket.pk)  # another clerk's page, loaded at the same time

    services.ticket_transition(actor=users["tmx_clerk"], ticket=first, to_status=S.ACCEPTED)
    for to_status in (S.ACCEPTED, S.REJECTED):
        with pytest.raises(IllegalTransition) as caught:
            services.ticket_transition(
                actor=users["tmx_admin"], ticket=second, to_status=to_status, note="重复"
            )
        assert "已被他人更新" in caught.value.messages[0]

    ticket.refresh_from_db()
    assert ticket.status == S.ACCEPTED
    assert list(ticket.transitions.values_list("to_status", flat=True)) == [
        S.SUBMITTED,
        S.ACCEPTED,
    ]


def test_only_workers_in_scope_may_move_a_ticket(setup, users) -> None:
    ticket = new_ticket(setup, users)
    for name in ("bz_admin", "tmx_leader", "hx_worker", "resident1"):
        with pytest.raises(NotPermitted):
            services.ticket_transition(actor=users[name], ticket=ticket, to_status=S.ACCEPTED)
    ticket.refresh_from_db()
    assert ticket.status == S.SUBMITTED


# --- opening a ticket ---------------------------------------------------------------------------
def test_due_date_counts_the_items_limit_in_working_days(tree, users) -> None:
    one_day = make_item(tree.sub_a, "D-1", time_limit_days=1)
    five_days = make_item(tree.sub_a, "D-5", time_limit_days=5)
    centre = make_point(tree.sub_a)
    clerk = users["tmx_clerk"]

    eve = make_ticket(actor=clerk, item=one_day, point=centre, submitted_at=sh(2025, 9, 30))
    assert eve.due_date == date(2025, 10, 9)  # National Day holiday skipped
    friday = make_ticket(actor=clerk, item=five_days, point=centre, submitted_at=sh(2025, 9, 26))
    # Sun 28th (make-up), 29th, 30th, then 9th and 10th.
    assert friday.due_date == date(2025, 10, 10)
    # 01:00 in Shanghai on the 30th is still the 29th in UTC: the local day counts.
    late_night = make_ticket(
        actor=clerk, item=one_day, point=centre, submitted_at=sh(2025, 9, 30, 1)
    )
    assert late_night.due_date == date(2025, 10, 9)


@pytest.mark.parametrize(
    ("channel", "trips"),
    [
        (Channel.WINDOW, 1),
        (Channel.HELP_POINT, 1),
        (Channel.SELF_SERVICE, 1),
        (Channel.ONLINE, 0),
        (Channel.PHONE, 0),
        (Channel.DOOR_TO_DOOR, 0),
    ],
)
def test_in_person_channels_record_one_trip(setup, users, channel: str, trips: int) -> None:
    ticket = new_ticket(setup, users, channel=channel, submitted_at=sh(2025, 9, 30, 1))
    assert ticket.trips.count() == trips
    if trips:
        trip = ticket.trips.get()
        assert trip.date == date(2025, 9, 30)
        assert trip.point == setup[1]
        assert trip.recorded_by == users["tmx_clerk"]


def test_window_ticket_is_handled_by_the_clerk_online_by_nobody(setup, users) -> None:
    assert new_ticket(setup, users).handler == users["tmx_clerk"]
    assert new_ticket(setup, users, channel=Channel.ONLINE).handler is None


def test_materials_checklist_follows_the_item(tree, users) -> None:
    item = make_item(tree.sub_a, materials=["身份证", "户口簿"])
    centre = make_point(tree.sub_a)
    ticket = make_ticket(
        actor=users["tmx_clerk"],
        item=item,
        point=centre,
        materials={"身份证": True, "无关材料": True},
    )
    assert ticket.materials == {"身份证": True, "户口簿": False}


ATTRIBUTES = [
    {"code": "household", "label": "家庭人数", "datatype": "number", "required": True},
    {
        "code": "housing",
        "label": "居住类型",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [{"key": "rent", "name": "租赁"}, {"key": "own", "name": "自有"}],
    },
    {
        "code": "needs",
        "label": "需求",
        "datatype": "multivaluelist",
        "required": False,
        "values": [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}],
    },
    {"code": "since", "label": "入住时间", "datatype": "datetime", "required": False},
    {"code": "remark", "label": "说明", "datatype": "string", "required": False},
]


@pytest.fixture
def typed(tree, users):
    item = make_item(tree.sub_a, "ATTR-1", attributes=ATTRIBUTES)
    return item, make_point(tree.sub_a)


def test_valid_attributes_are_stored_cleaned(typed, users) -> None:
    item, centre = typed
    ticket = make_ticket(
        actor=users["tmx_clerk"],
        item=item,
        point=centre,
        attributes={
            "household": "3",
            "housing": "rent",
            "needs": ["a", "b"],
            "since": "2024-05-01T09:00",
            "remark": "无",
            "unknown": "dropped",
        },
    )
    assert ticket.attributes == {
        "household": 3.0,
        "housing": "rent",
        "needs": ["a", "b"],
        "since": "2024-05-01T09:00",
        "remark": "无",
    }


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"housing": "rent"}, "请填写“家庭人数”。"),
        ({"household": "", "housing": "rent"}, "请填写“家庭人数”。"),
        ({"household": "三口", "housing": "rent"}, "“家庭人数”应为数字。"),
        ({"household": "3"}, "请填写“居住类型”。"),
        ({"household": "3", "housing": "hotel"}, "“居住类型”的选项无效。"),
        ({"household": "3", "housing": "rent", "needs": ["a", "z"]}, "“需求”的选项无效。"),
        ({"household": "3", "housing": "rent", "since": "去年"}, "“入住时间”应为日期时间。"),
    ],
)
def test_attributes_are_checked_by_datatype(typed, users, attributes, message: str) -> None:
    item, centre = typed
    with pytest.raises(ValidationError) as caught:
        make_ticket(actor=users["tmx_clerk"], item=item, point=centre, attributes=attributes)
    assert message in caught.value.message_dict["attributes"]
    assert not Ticket.objects.exists()


def test_all_attribute_errors_are_reported_at_once(typed, users) -> None:
    item, centre = typed
    with pytest.raises(ValidationError) as caught:
        make_ticket(actor=users["tmx_clerk"], item=item, point=centre, attributes={})
    assert caught.value.message_dict["attributes"] == ["请填写“家庭人数”。", "请填写“居住类型”。"]


def test_item_not_handled_at_the_point_is_refused(tree, users) -> None:
    handled = make_item(tree.sub_a, "H-1")
    other = make_item(tree.sub_a, "H-2")
    point = make_point(tree.sub_a, "帮办点", kind=PointKind.HELP_POINT, items=[handled])
    with pytest.raises(ValidationError) as caught:
        make_ticket(actor=users["tmx_clerk"], item=other, point=point)
    assert caught.value.message_dict["item"] == ["该服务点不办理此事项。"]
    assert make_ticket(actor=users["tmx_clerk"], item=handled, point=point).pk


def test_inactive_item_is_refused(setup, users) -> None:
    item, centre = setup
    item.active = False
    item.save(update_fields=["active"])
    with pytest.raises(ValidationError) as caught:
        make_ticket(actor=users["tmx_clerk"], item=item, point=centre)
    assert caught.value.message_dict["item"] == ["该事项已停用。"]


def test_a_ticket_needs_an_applicant(setup, users) -> None:
    item, centre = setup
    with pytest.raises(ValidationError) as caught:
        services.ticket_create(
            actor=users["tmx_clerk"], item=item, point=centre, channel=Channel.WINDOW
        )
    assert "applicant" in caught.value.message_dict


def test_committee_worker_cannot_open_a_ticket_at_another_committees_point(tree, users) -> None:
    item = make_item(tree.sub_a)
    hx_point = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT)
    fgn_point = make_point(tree.committee_b, "蕃瓜弄帮办点", kind=PointKind.HELP_POINT)
    worker = users["hx_worker"]
    person = make_person(tree.committee_a)

    ticket = make_ticket(
        actor=worker, item=item, point=hx_point, person=person, channel=Channel.HELP_POINT
    )
    assert ticket.org_unit == tree.committee_a
    with pytest.raises(NotPermitted):
        make_ticket(
            actor=worker, item=item, point=fgn_point, person=person, channel=Channel.HELP_POINT
        )
    with pytest.raises(NotPermitted):
        make_ticket(actor=users["bz_admin"], item=item, point=hx_point, person=person)
    assert Ticket.objects.count() == 1
    assert Trip.objects.count() == 1


def test_numbers_run_per_subdistrict_and_year(tree, users) -> None:
    item = make_item(tree.sub_a)
    centre_a = make_point(tree.sub_a)
    help_a = make_point(tree.committee_a, "华新帮办点", kind=PointKind.HELP_POINT)
    centre_b = make_point(tree.sub_b, "北站受理中心")
    clerk, bz = users["tmx_clerk"], users["bz_admin"]

    numbers = [
        make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=sh(2025, 3, 1)).number,
        make_ticket(actor=bz, item=item, point=centre_b, submitted_at=sh(2025, 3, 1)).number,
        make_ticket(actor=clerk, item=item, point=help_a, submitted_at=sh(2025, 3, 2)).number,
        make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=sh(2026, 1, 2)).number,
        # 01:00 on New Year's Day in Shanghai is still 2025 in UTC: the local year counts.
        make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=sh(2026, 1, 1, 1)).number,
        make_ticket(actor=clerk, item=item, point=centre_a, submitted_at=sh(2025, 4, 1)).number,
        make_ticket(actor=bz, item=item, point=centre_b, submitted_at=sh(2025, 5, 1)).number,
    ]
    assert numbers == [
        "TMX-2025-000001",
        "BZ-2025-000001",
        "TMX-2025-000002",  # a committee's point counts in its subdistrict
        "TMX-2026-000001",
        "TMX-2026-000002",
        "TMX-2025-000003",
        "BZ-2025-000002",
    ]
