"""Benchmarks of the livelihood pages as the number of projects grows.

Builds a throw-away SQLite database with the demo's org tree, users and programmes, then grows
it to each size in `BENCH_LH_SIZES` (default 100 and 2,000 projects), every project with its
stage moves, milestones, spending and (past the opinion survey) a closed survey with answers,
bulk-inserted. Times each page as the user who uses it (median of `BENCH_REPEAT`) and counts
its queries; ratios are against the smallest size in the same run. Run: `make bench`.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

SIZES = [int(s) for s in os.environ.get("BENCH_LH_SIZES", "100,2000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "9"))
ROOT = Path(__file__).resolve().parent.parent

CASES = [
    ("overview · livelihood office", "tmx_livelihood", "/livelihood/"),
    ("dashboard · livelihood office", "tmx_livelihood", "/livelihood/dashboard/"),
    ("dashboard · subdistrict leader", "tmx_leader", "/livelihood/dashboard/"),
    ("project list · livelihood office", "tmx_livelihood", "/livelihood/projects/"),
    ("project list · committee worker", "hx_worker", "/livelihood/projects/"),
    ("fund list · livelihood office", "tmx_livelihood", "/livelihood/funds/"),
    ("API project list · office", "tmx_livelihood", "/api/v1/livelihood/projects?limit=50"),
]


def setup_django(var_dir: str) -> None:
    os.environ["JIEDAO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir}/bench.sqlite3"
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn: Callable[[], Any], repeat: int = REPEAT) -> float:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


class QueryCounter:
    """Counts the queries a request runs (the test client resets `connection.queries`)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.n += 1
        return execute(*args)


class Grower:
    """Adds projects, with what each stage leaves behind, in bulk."""

    def __init__(self, rnd: random.Random) -> None:
        from jiedao.core.models import OrgKind, OrgUnit
        from jiedao.livelihood.models import Programme

        self.rnd = rnd
        self.tmx = OrgUnit.objects.get(code="TMX")
        self.committees = list(
            OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=self.tmx.path)
        )
        self.programmes = list(Programme.objects.filter(org_unit=self.tmx))
        self.funds: dict[tuple[int, int, int], Any] = {}
        self.count = 0

    def fund(self, programme: Any, org: Any, year: int) -> Any:
        from jiedao.livelihood.models import Fund, ProgrammeKind

        owner = self.tmx if programme.kind == ProgrammeKind.BEAUTIFUL_BLOCK else org
        key = (programme.pk, owner.pk, year)
        if key not in self.funds:
            self.funds[key] = Fund.objects.create(
                programme=programme, org_unit=owner, year=year, amount=Decimal("100000000")
            )
        return self.funds[key]

    def grow(self, to: int) -> None:
        from django.utils import timezone

        from jiedao.livelihood.models import (
            FUNDED_STAGES,
            STAGE_ORDER,
            Milestone,
            MilestoneState,
            Project,
            ProjectTransition,
            Question,
            QuestionKind,
            Response,
            ResponseAnswer,
            ResponseChannel,
            Spending,
            Stage,
            Survey,
            SurveyStatus,
        )

        rnd = self.rnd
        weights = [3, 3, 3, 3, 4, 6, 25, 50, 2, 2]  # proposed … evaluated, rejected, withdrawn
        stages = [*STAGE_ORDER, Stage.REJECTED, Stage.WITHDRAWN]
        projects = []
        for i in range(self.count, to):
            programme = rnd.choice(self.programmes)
            org = rnd.choice(self.committees)
            year = rnd.randrange(2020, 2027)
            stage = rnd.choices(stages, weights)[0]
            funded = stage in FUNDED_STAGES
            fund = self.fund(programme, org, year) if funded else None
            proposed = date(year, 1, 1) + timedelta(days=rnd.randrange(0, 200))
            projects.append(
                Project(
                    programme=programme,
                    org_unit=org,
                    year=year,
                    title=f"项目{i + 1}",
                    place_name=f"地点{i + 1}",
                    budget_requested=Decimal(rnd.randrange(20, 400) * 1000),
                    fund=fund,
                    budget_allocated=Decimal(rnd.randrange(20, 300) * 1000) if funded else None,
                    stage=stage,
                    stage_changed_at=timezone.now(),
                    proposed_on=proposed,
                    approved_on=proposed + timedelta(days=60) if funded else None,
                    published=rnd.random() < 0.8,
                )
            )
        projects = Project.objects.bulk_create(projects, batch_size=500)
        transitions, milestones, spendings, surveys = [], [], [], []
        now = timezone.now()
        for p in projects:
            path = (
                STAGE_ORDER[: STAGE_ORDER.index(Stage(p.stage)) + 1]
                if p.stage in STAGE_ORDER
                else [Stage.PROPOSED, p.stage]
            )
            for k, s in enumerate(path):
                transitions.append(
                    ProjectTransition(
                        project=p,
                        from_stage=path[k - 1] if k else "",
                        to_stage=s,
                        created_at=now - timedelta(days=len(path) - k),
                    )
                )
            if p.stage in FUNDED_STAGES:
                n = rnd.randrange(3, 6)
                done = n if p.stage in (Stage.COMPLETED, Stage.EVALUATED) else rnd.randrange(0, n)
                for k in range(n):
                    milestones.append(
                        Milestone(
                            project=p,
                            order=k + 1,
                            title=f"节点{k + 1}",
                            weight=rnd.randrange(1, 4),
                            state=MilestoneState.DONE if k < done else MilestoneState.PLANNED,
                            done_on=p.proposed_on + timedelta(days=90 + k) if k < done else None,
                        )
                    )
                for k in range(rnd.randrange(0, 4)):
                    spendings.append(
                        Spending(
                            project=p,
                            date=p.proposed_on + timedelta(days=100 + k),
                            amount=Decimal(rnd.randrange(1, 20) * 1000),
                            description="工程款",
                        )
                    )
            # Past the opinion survey: a closed survey with its answers.
            if p.stage in STAGE_ORDER and STAGE_ORDER.index(Stage(p.stage)) >= 3:
                surveys.append(
                    Survey(
                        project=p,
                        title="意见征询",
                        status=SurveyStatus.CLOSED,
                        opened_at=now - timedelta(days=30),
                        closed_at=now - timedelta(days=20),
                    )
                )
        ProjectTransition.objects.bulk_create(transitions, batch_size=2000)
        Milestone.objects.bulk_create(milestones, batch_size=2000)
        Spending.objects.bulk_create(spendings, batch_size=2000)
        surveys = Survey.objects.bulk_create(surveys, batch_size=500)
        questions = Question.objects.bulk_create(
            [
                Question(
                    survey=s,
                    order=1,
                    kind=QuestionKind.SINGLE,
                    text="同意吗？",
                    choices=["同意", "不同意"],
                )
                for s in surveys
            ],
            batch_size=1000,
        )
        responses = Response.objects.bulk_create(
            [
                Response(
                    survey=q.survey,
                    channel=ResponseChannel.PAPER,
                    collection_point="小区门岗",
                    created_at=now - timedelta(days=25),
                )
                for q in questions
                for _k in range(rnd.randrange(5, 15))
            ],
            batch_size=2000,
        )
        by_survey = {q.survey_id: q for q in questions}
        ResponseAnswer.objects.bulk_create(
            [
                ResponseAnswer(response=r, question=by_survey[r.survey_id], choices=["同意"])
                for r in responses
            ],
            batch_size=2000,
        )
        self.count = to


def main() -> None:
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        from django.db import connection
        from django.test import Client

        from jiedao.accounts.models import User
        from jiedao.core.demo import STEPS, DemoContext

        for name in ("core.org_tree", "core.places", "accounts.users", "livelihood.programmes"):
            STEPS[name].func(DemoContext(name, 1, lambda _s: None))
        grower = Grower(random.Random(1))
        baseline: dict[str, float] = {}
        print(f"{'projects':>8} {'case':<34} {'median ms':>10} {'× baseline':>11} {'queries':>8}")
        for size in SIZES:
            grower.grow(size)
            for name, username, url in CASES:
                client = Client()
                client.force_login(User.objects.get(username=username))
                response = client.get(url)
                if response.status_code != 200:
                    print(f"{size:>8} {name:<34} {'status ' + str(response.status_code):>10}")
                    continue
                counter = QueryCounter()
                with connection.execute_wrapper(counter):
                    client.get(url)
                seconds = timed(lambda c=client, u=url: c.get(u))
                baseline.setdefault(name, seconds)
                print(
                    f"{size:>8} {name:<34} {seconds * 1000:>10.1f} "
                    f"{seconds / baseline[name]:>10.2f}× {counter.n:>8}"
                )


if __name__ == "__main__":
    main()
