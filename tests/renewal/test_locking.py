"""Optimistic locking: a save built on a stale version is refused and changes nothing."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection

from jiedao.renewal import services
from jiedao.renewal.models import Agreement, Answer, Household, LedgerEntry, Phase
from jiedao.renewal.services import StaleEdit
from tests.renewal.factories import make_agreement, make_household, make_project

D = date(2025, 3, 1)


def test_stale_answer_is_refused_and_changes_nothing(tree, users) -> None:
    # given a household saved once by a colleague (version 2)
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    services.household_record_answer(
        actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.AGREE, on=D
    )
    # when another form built on version 1 is saved
    stale = Household.objects.get(pk=h.pk)
    with pytest.raises(StaleEdit) as exc:
        services.household_record_answer(
            actor=users["tmx_admin"], household=stale, expected_version=1, answer=Answer.DISAGREE
        )
    # then the colleague's answer stands
    assert "已被其他工作人员修改" in exc.value.messages[0]
    h.refresh_from_db()
    assert (h.answer, h.answered_on, h.version) == (Answer.AGREE, D, 2)


def test_stale_signing_creates_no_agreement_and_no_commitment(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.SIGNING))
    with pytest.raises(StaleEdit):
        services.agreement_sign(
            actor=users["hx_worker"],
            household=h,
            expected_version=7,
            option="cash",
            number="XY-1",
            signed_on=D,
            signed_by="张三",
            compensation=Decimal("100"),
        )
    assert not Agreement.objects.exists()
    assert not LedgerEntry.objects.exists()
    h.refresh_from_db()
    assert h.version == 1


def test_stale_move_and_assign_change_nothing(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.MOVING_OUT))
    make_agreement(h)
    with pytest.raises(StaleEdit):
        services.household_record_move(
            actor=users["hx_worker"], household=h, expected_version=0, moved_on=D
        )
    with pytest.raises(StaleEdit):
        services.household_assign(
            actor=users["tmx_admin"], household=h, expected_version=2, staff=users["hx_worker"]
        )
    h.refresh_from_db()
    assert (h.moved_on, h.assigned_to, h.version) == (None, None, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the test database is SQLite in memory, which has no concurrent writers; "
    "CI runs this against PostgreSQL",
)
def test_two_colleagues_saving_at_once_one_wins(tree: Any, users: Any) -> None:
    # given a household both colleagues opened at version 1
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    barrier = threading.Barrier(2)
    won: list[str] = []
    stale: list[str] = []
    errors: list[BaseException] = []

    def save(who: str, answer: str) -> None:
        try:
            household = Household.objects.get(pk=h.pk)
            version = household.version
            barrier.wait(timeout=10)
            services.household_record_answer(
                actor=users[who], household=household, expected_version=version, answer=answer
            )
            won.append(answer)
        except StaleEdit:
            stale.append(answer)
        except BaseException as exc:  # collected and reported below
            errors.append(exc)
        finally:
            connection.close()

    # when each saves a different answer on its own connection
    threads = [
        threading.Thread(target=save, args=("hx_worker", Answer.AGREE)),
        threading.Thread(target=save, args=("tmx_admin", Answer.DISAGREE)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # then exactly one wins and the other is told to reload
    assert errors == []
    assert len(won) == 1
    assert len(stale) == 1
    h.refresh_from_db()
    assert h.answer == won[0]
    assert h.version == 2


def test_saved_answer_is_audited_with_its_diff_and_actor(tree, users) -> None:
    h = make_household(make_project(tree.committee_a, phase=Phase.CONSULTATION))
    services.household_record_answer(
        actor=users["hx_worker"], household=h, expected_version=1, answer=Answer.AGREE, on=D
    )
    entry = LogEntry.objects.get_for_object(h).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == users["hx_worker"]
    assert entry.changes_dict["answer"] == ["", "agree"]
    assert entry.changes_dict["answered_on"] == [None, "2025-03-01"]
