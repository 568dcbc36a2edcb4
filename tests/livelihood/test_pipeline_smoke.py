"""The whole pipeline once, end to end, through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiedao.livelihood import selectors as sel
from jiedao.livelihood.models import ProgrammeKind, Stage
from tests.livelihood.factories import make_fund, make_programme, make_project, walk_to

pytestmark = pytest.mark.django_db


def test_project_walks_from_proposal_to_evaluation(tree, users):
    office = users["tmx_livelihood"]
    programme = make_programme(tree.sub_a, ProgrammeKind.SELF_GOVERNANCE, brand="添睦")
    fund = make_fund(programme, tree.committee_a, amount="60000")
    project = make_project(programme, tree.committee_a, actor=office, title="望花园")
    project = walk_to(
        project,
        Stage.EVALUATED,
        office=office,
        experts=[users["expert1"]],
        fund=fund,
        amount="50000",
    )
    assert project.stage == Stage.EVALUATED
    f = sel.fund_get(user=office, pk=fund.pk)
    assert f.allocated == Decimal("50000.00")  # type: ignore[attr-defined]
    assert f.balance == Decimal("10000.00")  # type: ignore[attr-defined]
    assert sel.project_progress(project) == 100
    kinds = [e.kind for e in sel.project_timeline(project, staff=True, reviews=True)]
    assert kinds.count("stage") == 8
    assert "review" in kinds and "site_survey" in kinds and "milestone" in kinds
