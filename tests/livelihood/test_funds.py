"""Funds: a balance computed from the projects approved from them, approvals that would
overdraw refused, and spending kept within each project's allocation by the office."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jiedao.core.permissions import NotPermitted
from jiedao.livelihood import selectors as sel
from jiedao.livelihood import services as s
from jiedao.livelihood.models import (
    Fund,
    Programme,
    ProgrammeKind,
    Project,
    ProjectTransition,
    Spending,
    Stage,
)
from jiedao.livelihood.services import IllegalTransition, Overdraw
from tests.livelihood.factories import (
    make_fund,
    make_programme,
    make_project,
    walk_to,
)

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def programme(tree) -> Programme:
    return make_programme(tree.sub_a)


def _reviewed(programme, org, users) -> Project:
    """A project in expert review with one submitted review: ready for approval."""
    project = make_project(programme, org, actor=users["tmx_livelihood"])
    return _to_review(project, users)


def _to_review(project: Project, users) -> Project:
    office = users["tmx_livelihood"]
    project = walk_to(project, Stage.EXPERT_REVIEW, office=office)
    a = s.review_assign(actor=office, project=project, expert=users["expert1"])
    s.review_submit(
        actor=users["expert1"],
        assignment=a,
        scores={c.pk: 8 for c in project.programme.criteria.all()},
        feasibility="feasible",
        cost_estimate="40000",
        reasons="可行",
    )
    return project


def _figures(user, fund: Fund) -> tuple[Decimal, Decimal, Decimal]:
    f = sel.fund_get(user=user, pk=fund.pk)
    return f.allocated, f.spent, f.balance  # type: ignore[attr-defined]


def test_balance_is_amount_less_what_funded_projects_hold(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a, amount="100000")
    kept = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=kept, fund=fund, amount="30000")
    withdrawn = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=withdrawn, fund=fund, amount="20000")
    assert _figures(office, fund) == (Decimal("50000"), Decimal("0"), Decimal("50000"))
    s.project_transition(actor=office, project=withdrawn, to_stage=Stage.WITHDRAWN, note="撤回")
    rejected = _reviewed(programme, tree.committee_a, users)
    s.project_transition(actor=office, project=rejected, to_stage=Stage.REJECTED, note="否决")
    s.spending_record(actor=office, project=kept, day=TODAY, amount="5000", description="设计费")
    # Spending does not change the balance: the allocation already holds the money.
    assert _figures(office, fund) == (Decimal("30000"), Decimal("5000"), Decimal("70000"))
    assert s.fund_allocated(fund) == Decimal("30000")
    listed = {f.pk: f for f in sel.fund_list(user=office)}
    assert listed[fund.pk].balance == Decimal("70000")  # type: ignore[attr-defined]
    totals = sel.budget_figures(sel.fund_list(user=office))
    assert totals == {
        "amount": Decimal("100000"),
        "allocated": Decimal("30000"),
        "spent": Decimal("5000"),
        "balance": Decimal("70000"),
    }


def test_a_fund_without_projects_has_its_whole_amount(tree, users, programme) -> None:
    fund = make_fund(programme, tree.committee_a, amount="12345.60")
    assert _figures(users["tmx_livelihood"], fund) == (0, 0, Decimal("12345.60"))


def test_an_overdrawing_approval_is_refused_and_allocates_nothing(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a, amount="60000")
    first = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=first, fund=fund, amount="50000")
    second = _reviewed(programme, tree.committee_a, users)
    with pytest.raises(Overdraw) as exc:
        s.project_approve(actor=office, project=second, fund=fund, amount="10000.01")
    assert "amount" in exc.value.message_dict
    second.refresh_from_db()
    assert second.stage == Stage.EXPERT_REVIEW
    assert second.fund is None and second.budget_allocated is None
    assert not ProjectTransition.objects.filter(project=second, to_stage=Stage.APPROVED).exists()
    assert _figures(office, fund) == (Decimal("50000"), 0, Decimal("10000"))
    # Exactly what is left is fine: the balance goes to zero.
    s.project_approve(actor=office, project=second, fund=fund, amount="10000")
    second.refresh_from_db()
    assert second.stage == Stage.APPROVED
    assert _figures(office, fund) == (Decimal("60000"), 0, Decimal("0"))


def test_a_withdrawn_allocation_can_be_given_again(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a, amount="50000")
    first = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=first, fund=fund, amount="50000")
    second = _reviewed(programme, tree.committee_a, users)
    with pytest.raises(Overdraw):
        s.project_approve(actor=office, project=second, fund=fund, amount="1")
    s.project_transition(actor=office, project=first, to_stage=Stage.WITHDRAWN, note="撤回")
    s.project_approve(actor=office, project=second, fund=fund, amount="50000")
    assert s.fund_allocated(fund) == Decimal("50000")


@pytest.mark.parametrize("amount", [None, "", "0", "-5", "abc", "NaN", "Infinity"])
def test_an_approval_needs_a_positive_amount(tree, users, programme, amount) -> None:
    fund = make_fund(programme, tree.committee_a)
    project = _reviewed(programme, tree.committee_a, users)
    with pytest.raises(ValidationError) as exc:
        s.project_approve(actor=users["tmx_livelihood"], project=project, fund=fund, amount=amount)
    assert "amount" in exc.value.message_dict
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW


def test_an_approval_needs_a_fund(tree, users, programme) -> None:
    project = _reviewed(programme, tree.committee_a, users)
    with pytest.raises(ValidationError) as exc:
        s.project_transition(
            actor=users["tmx_livelihood"], project=project, to_stage=Stage.APPROVED, amount="10"
        )
    assert "fund" in exc.value.message_dict
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW


def test_a_fund_of_another_programme_year_or_committee_is_refused(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    project = _reviewed(programme, tree.committee_a, users)
    other_programme = make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")
    wrong = [
        make_fund(other_programme, tree.committee_a),
        make_fund(programme, tree.committee_a, year=TODAY.year - 1),
        make_fund(programme, tree.committee_b),
    ]
    for fund in wrong:
        with pytest.raises(ValidationError) as exc:
            s.project_approve(actor=office, project=project, fund=fund, amount="1000")
        assert not isinstance(exc.value, Overdraw)
        assert "fund" in exc.value.message_dict
    project.refresh_from_db()
    assert project.stage == Stage.EXPERT_REVIEW
    # The subdistrict's own fund may pay for a committee's project.
    subdistrict_fund = make_fund(programme, tree.sub_a)
    s.project_approve(actor=office, project=project, fund=subdistrict_fund, amount="1000")
    project.refresh_from_db()
    assert (project.stage, project.fund) == (Stage.APPROVED, subdistrict_fund)


# --- fund_save ---------------------------------------------------------------------------------
def test_the_office_creates_and_changes_a_fund(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = s.fund_save(
        actor=office, programme=programme, org_unit=tree.committee_a, year=2024, amount="80000"
    )
    assert (fund.amount, fund.year, fund.org_unit) == (Decimal("80000"), 2024, tree.committee_a)
    again = s.fund_save(
        actor=office,
        programme=programme,
        org_unit=tree.committee_a,
        year=2024,
        amount="90000.5",
        note="追加",
    )
    assert again.pk == fund.pk
    fund.refresh_from_db()
    assert (fund.amount, fund.note) == (Decimal("90000.50"), "追加")
    assert Fund.objects.count() == 1


def test_a_fund_is_not_lowered_below_what_its_projects_hold(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a, amount="100000")
    project = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=project, fund=fund, amount="40000")
    with pytest.raises(Overdraw) as exc:
        s.fund_save(
            actor=office,
            programme=programme,
            org_unit=tree.committee_a,
            year=fund.year,
            amount="39999.99",
        )
    assert "amount" in exc.value.message_dict
    fund.refresh_from_db()
    assert fund.amount == Decimal("100000")
    s.fund_save(
        actor=office, programme=programme, org_unit=tree.committee_a, year=fund.year, amount="40000"
    )
    fund.refresh_from_db()
    assert fund.amount == Decimal("40000")


def test_only_the_office_manages_funds(tree, users, programme) -> None:
    for user in ("hx_worker", "tmx_leader", "bz_admin", "ja_leader"):
        with pytest.raises(NotPermitted):
            s.fund_save(
                actor=users[user],
                programme=programme,
                org_unit=tree.committee_a,
                year=2024,
                amount="1000",
            )
    assert not Fund.objects.exists()


@pytest.mark.parametrize("amount", ["-1", "abc", "NaN"])
def test_a_fund_amount_must_be_money(tree, users, programme, amount) -> None:
    with pytest.raises(ValidationError) as exc:
        s.fund_save(
            actor=users["tmx_livelihood"],
            programme=programme,
            org_unit=tree.committee_a,
            year=2024,
            amount=amount,
        )
    assert "amount" in exc.value.message_dict


def test_a_fund_belongs_to_the_programmes_subdistrict(tree, users, programme) -> None:
    with pytest.raises(ValidationError) as exc:
        s.fund_save(
            actor=users["tmx_admin"],
            programme=programme,
            org_unit=tree.committee_c,
            year=2024,
            amount="1000",
        )
    assert "org_unit" in exc.value.message_dict


# --- spending ----------------------------------------------------------------------------------
def test_spending_stays_within_the_allocation(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a)
    project = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=project, fund=fund, amount="50000")
    first = s.spending_record(
        actor=office,
        project=project,
        day=TODAY,
        amount="30000",
        description=" 材料 ",
        payee="某公司",
    )
    assert (first.amount, first.description, first.payee, first.recorded_by) == (
        Decimal("30000"),
        "材料",
        "某公司",
        office,
    )
    with pytest.raises(Overdraw) as exc:
        s.spending_record(
            actor=office, project=project, day=TODAY, amount="20000.01", description="人工"
        )
    assert "amount" in exc.value.message_dict
    s.spending_record(actor=office, project=project, day=TODAY, amount="20000", description="人工")
    assert sum(Spending.objects.values_list("amount", flat=True)) == Decimal("50000")
    with pytest.raises(Overdraw):
        s.spending_record(
            actor=office, project=project, day=TODAY, amount="0.01", description="杂费"
        )
    assert _figures(office, fund) == (Decimal("50000"), Decimal("50000"), Decimal("50000"))


@pytest.mark.parametrize("stage", [Stage.PROPOSED, Stage.EXPERT_REVIEW])
def test_no_spending_before_approval(tree, users, programme, stage) -> None:
    office = users["tmx_livelihood"]
    project = walk_to(make_project(programme, tree.committee_a, actor=office), stage, office=office)
    with pytest.raises(IllegalTransition):
        s.spending_record(actor=office, project=project, day=TODAY, amount="1", description="x")
    assert not Spending.objects.exists()


def test_no_spending_on_a_withdrawn_project(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a)
    project = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=project, fund=fund, amount="5000")
    s.project_transition(actor=office, project=project, to_stage=Stage.WITHDRAWN, note="撤回")
    with pytest.raises(IllegalTransition):
        s.spending_record(actor=office, project=project, day=TODAY, amount="1", description="x")


def test_spending_is_recorded_by_the_office_only(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a)
    project = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=project, fund=fund, amount="5000")
    for user in ("hx_worker", "tmx_leader", "bz_admin"):
        with pytest.raises(NotPermitted):
            s.spending_record(
                actor=users[user], project=project, day=TODAY, amount="1", description="x"
            )
    assert not Spending.objects.exists()
    s.spending_record(
        actor=users["tmx_admin"], project=project, day=TODAY, amount="1", description="x"
    )
    assert Spending.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "description", "field"),
    [
        ("0", "材料", "amount"),
        ("-3", "材料", "amount"),
        ("NaN", "材料", "amount"),
        ("5", " ", "description"),
    ],
)
def test_spending_needs_an_amount_and_a_purpose(
    tree, users, programme, amount, description, field
) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a)
    project = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=project, fund=fund, amount="5000")
    with pytest.raises(ValidationError) as exc:
        s.spending_record(
            actor=office, project=project, day=TODAY, amount=amount, description=description
        )
    assert field in exc.value.message_dict


def test_fund_ledger_lists_the_funded_projects_and_spending(tree, users, programme) -> None:
    office = users["tmx_livelihood"]
    fund = make_fund(programme, tree.committee_a)
    kept = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=kept, fund=fund, amount="30000")
    gone = _reviewed(programme, tree.committee_a, users)
    s.project_approve(actor=office, project=gone, fund=fund, amount="20000")
    s.project_transition(actor=office, project=gone, to_stage=Stage.WITHDRAWN, note="撤回")
    s.spending_record(actor=office, project=kept, day=TODAY, amount="700", description="设计")
    ledger = sel.fund_ledger(fund)
    assert [p.pk for p in ledger["projects"]] == [kept.pk]
    assert ledger["projects"][0].spent == Decimal("700")
    assert [sp.amount for sp in ledger["spendings"]] == [Decimal("700")]
