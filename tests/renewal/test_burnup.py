"""The burn-up chart, days to 100% and the board, on a small fixture with known dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from jiedao.renewal import selectors
from jiedao.renewal.models import Answer, Phase
from jiedao.renewal.selectors import HouseholdState as S
from tests.renewal.factories import make_agreement, make_household, make_project


def d(day: int) -> date:
    return date(2025, 3, day)


def _fixture(tree):
    """Five households, started 1 March; every date known."""
    project = make_project(tree.committee_a, phase=Phase.MOVING_OUT, started_on=d(1))
    spec = [
        # answer, answered, signed, moved, keys, inspected
        (Answer.AGREE, d(1), d(3), d(5), d(6), d(6)),
        (Answer.AGREE, d(2), d(4), d(7), d(6), d(6)),
        (Answer.AGREE, d(2), d(4), d(7), d(7), d(7)),
        (Answer.DISAGREE, d(3), d(6), d(8), d(8), d(8)),
        (Answer.AGREE, d(4), d(5), d(6), d(7), d(8)),
    ]
    rows = []
    for i, (answer, answered, signed, moved, keys, inspected) in enumerate(spec):
        h = make_household(
            project,
            room=f"{101 + i}",
            answer=answer,
            answered_on=answered,
            moved_on=moved,
            keys_on=keys,
            inspected_on=inspected,
        )
        make_agreement(h, signed_on=signed)
        rows.append(h)
    # a revoked agreement, signed early, never counts
    make_agreement(
        rows[3], signed_on=d(2), revoked_at=datetime(2025, 3, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    return project


def test_burnup_counts_day_by_day(tree) -> None:
    series = selectors.burnup(_fixture(tree))
    got = [(p["day"], p["n"], p["agreed"], p["signed"], p["cleared"]) for p in series]
    assert got == [
        ("2025-03-01", 1, 1, 0, 0),
        ("2025-03-02", 2, 3, 0, 0),
        ("2025-03-03", 3, 3, 1, 0),
        ("2025-03-04", 4, 4, 3, 0),
        ("2025-03-05", 5, 4, 4, 0),
        ("2025-03-06", 6, 4, 5, 1),
        ("2025-03-07", 7, 4, 5, 3),
        ("2025-03-08", 8, 4, 5, 5),
    ]
    shares = [(p["agreed_share"], p["signed_share"], p["cleared_share"]) for p in series]
    assert shares == [
        (20.0, 0.0, 0.0),
        (60.0, 0.0, 0.0),
        (60.0, 20.0, 0.0),
        (80.0, 60.0, 0.0),
        (80.0, 80.0, 0.0),
        (80.0, 100.0, 20.0),
        (80.0, 100.0, 60.0),
        (80.0, 100.0, 100.0),
    ]


def test_days_to_full(tree) -> None:
    assert selectors.days_to_full(_fixture(tree)) == {"signed": 6, "cleared": 8}


def test_days_to_full_not_reached(tree) -> None:
    project = make_project(tree.committee_a, started_on=d(1))
    h = make_household(project)
    make_household(project)
    make_agreement(h, signed_on=d(2))
    assert selectors.days_to_full(project) == {"signed": None, "cleared": None}


def test_burnup_until_extends_the_series(tree) -> None:
    series = selectors.burnup(_fixture(tree), until=d(10))
    assert len(series) == 10
    assert (series[-1]["signed"], series[-1]["cleared"]) == (5, 5)


def test_burnup_without_start_is_empty(tree) -> None:
    assert selectors.burnup(make_project(tree.committee_a, households=3)) == []


def test_board_counts_by_state_block_and_staff(tree, users) -> None:
    project = make_project(tree.committee_a, phase=Phase.MOVING_OUT)
    worker = users["hx_worker"]
    make_household(project, block="1", room="101")  # no answer
    make_household(project, block="1", room="102", answer=Answer.DISAGREE, answered_on=d(1))
    make_household(
        project, block="1", room="103", answer=Answer.AGREE, answered_on=d(1), assigned_to=worker
    )
    signed = make_household(
        project, block="2", room="101", answer=Answer.AGREE, answered_on=d(1), assigned_to=worker
    )
    make_agreement(signed)
    moving = make_household(project, block="2", room="102", moved_on=d(5))
    make_agreement(moving)
    cleared = make_household(
        project, block="2", room="103", moved_on=d(5), keys_on=d(5), inspected_on=d(6)
    )
    make_agreement(cleared)
    revoked = make_household(project, block="2", room="104", answer=Answer.AGREE, answered_on=d(1))
    agreement = make_agreement(revoked)
    agreement.revoked_at = datetime(2025, 3, 3, tzinfo=ZoneInfo("Asia/Shanghai"))
    agreement.save()
    make_household(make_project(tree.committee_a), room="999")  # another project

    b = selectors.board(user=users["tmx_admin"], project=project)

    assert b["total"] == 7
    assert b["by_state"] == {
        S.NO_ANSWER: 1,
        S.DISAGREE: 1,
        S.AGREE: 2,
        S.SIGNED: 1,
        S.MOVING: 1,
        S.CLEARED: 1,
    }
    assert b["by_block"] == {
        "1": {S.NO_ANSWER: 1, S.DISAGREE: 1, S.AGREE: 1},
        "2": {S.AGREE: 1, S.SIGNED: 1, S.MOVING: 1, S.CLEARED: 1},
    }
    assert b["by_staff"][str(worker)] == {S.AGREE: 1, S.SIGNED: 1}
    assert sum(b["by_staff"]["未分配"].values()) == 5


def test_household_list_state_filter_matches_state_of(tree, users) -> None:
    project = make_project(tree.committee_a, phase=Phase.MOVING_OUT)
    make_household(project, room="1")
    make_household(project, room="2", answer=Answer.AGREE, answered_on=d(1))
    make_agreement(make_household(project, room="3", moved_on=d(2)))
    make_agreement(
        make_household(project, room="4", moved_on=d(2), keys_on=d(2), inspected_on=d(2))
    )
    user = users["tmx_admin"]
    for state in (S.NO_ANSWER, S.DISAGREE, S.AGREE, S.SIGNED, S.MOVING, S.CLEARED):
        rows = selectors.household_list(
            user=user, filters=selectors.HouseholdFilters(project=project.pk, state=state)
        )
        assert all(selectors.state_of(h) == state for h in rows)
    total = sum(
        selectors.household_list(
            user=user, filters=selectors.HouseholdFilters(project=project.pk, state=s)
        ).count()
        for s in (S.NO_ANSWER, S.DISAGREE, S.AGREE, S.SIGNED, S.MOVING, S.CLEARED)
    )
    assert total == 4
