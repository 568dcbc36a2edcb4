"""The livelihood demo adds up to the source's figures (39 Beautiful Blocks and 58
self-governance fund projects landed in 天目西路街道 in 2020–2024), tells the named stories
(光复路909号's gable wall; 望花园 and 望花园2.0) from records, overdraws no fund, shows no
photo's location, and a second run adds nothing.

Building it takes several seconds, so everything is checked in one test that runs it twice,
with only the steps it builds on (core, accounts) before it.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from PIL import Image

from jiedao.accounts.models import Membership, Role, User
from jiedao.core.models import Notification, OrgUnit
from jiedao.livelihood import selectors as sel
from jiedao.livelihood.demo import GREEN_FOREST
from jiedao.livelihood.models import (
    DONE_STAGES,
    Fund,
    Photo,
    PhotoKind,
    PlaceKind,
    Programme,
    ProgrammeKind,
    Project,
    ProposerKind,
    Response,
    ResponseChannel,
    Stage,
    SurveyStatus,
)
from tests.conftest import keep_demo_steps

BB = ProgrammeKind.BEAUTIFUL_BLOCK
SG = ProgrammeKind.SELF_GOVERNANCE
GPS_IFD = 0x8825


def _counts() -> dict[str, int]:
    models = [*apps.get_app_config("livelihood").get_models(), User, Membership, Notification]
    counts = {m._meta.label: m._default_manager.count() for m in models}
    counts["audit"] = LogEntry.objects.filter(content_type__app_label="livelihood").count()
    return counts


def _has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return GPS_IFD in exif or bool(exif.get_ifd(GPS_IFD))


@pytest.fixture
def only_livelihood_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The steps the livelihood demo builds on and its own (tickets and enterprises are tested
    in their modules' demo tests)."""
    keep_demo_steps(monkeypatch, "livelihood")


@pytest.mark.django_db
def test_the_demo_adds_up_to_the_source_and_a_second_run_adds_nothing(only_livelihood_steps):
    # when: the demo is built twice
    out = io.StringIO()
    call_command("demo", stdout=out)
    first = _counts()
    stamps = dict(Project.objects.values_list("pk", "updated_at"))
    call_command("demo", stdout=io.StringIO())

    # then: the second run added nothing and changed no project
    assert _counts() == first
    assert dict(Project.objects.values_list("pk", "updated_at")) == stamps

    office = User.objects.get(username="tmx_livelihood")
    tmx = OrgUnit.objects.get(code="TMX")
    today = timezone.localdate()

    # the headline figures, as the overview counts them for the office: landed = completed
    # or evaluated, per programme; all of them in the source's five years
    counts = sel.stage_counts(sel.project_list(user=office))
    landed = {k: sum(n for s, n in counts[k].items() if s in DONE_STAGES) for k in (BB, SG)}
    assert landed == {BB: 39, SG: 58}
    # the overview reads the same counts from the roll-ups the demo rebuilt
    assert sel.stage_counts_for(user=office) == counts
    assert sel.committee_counts_for(user=office) == sel.committee_counts(
        sel.project_list(user=office)
    )
    assert "39 美丽街区 and 58 自治金 projects landed" in out.getvalue()
    for kind, n in ((BB, 39), (SG, 58)):
        in_years = sel.project_list(
            user=office, programme=Programme.objects.get(org_unit=tmx, kind=kind).pk
        ).filter(stage__in=DONE_STAGES, year__range=(2020, 2024))
        assert in_years.count() == n
    assert Programme.objects.get(org_unit=tmx, kind=SG).brand == "添睦"
    for programme in Programme.objects.all():
        criteria = list(programme.criteria.all())
        assert 3 <= len(criteria) <= 4
        assert sum(c.weight for c in criteria) == 100
        assert all(c.max_score == 10 for c in criteria)

    # some projects of those years were rejected or withdrawn, with the reason written down
    stopped = Project.objects.filter(
        org_unit__path__startswith=tmx.path,
        year__range=(2020, 2024),
        stage__in=[Stage.REJECTED, Stage.WITHDRAWN],
    )
    assert stopped.filter(stage=Stage.REJECTED).exists()
    assert stopped.filter(stage=Stage.WITHDRAWN).exists()
    assert not stopped.filter(closing_reason="").exists()

    # this year's projects stand at every earlier stage, and none has landed
    current = Project.objects.filter(org_unit__path__startswith=tmx.path, year=today.year)
    assert {
        Stage.PROPOSED,
        Stage.SITE_SURVEY,
        Stage.OPINION_SURVEY,
        Stage.EXPERT_REVIEW,
        Stage.APPROVED,
        Stage.IN_WORKS,
    } <= set(current.values_list("stage", flat=True))
    assert not current.filter(stage__in=DONE_STAGES).exists()
    assert current.filter(surveys__status=SurveyStatus.OPEN).exists()
    in_works = current.filter(stage=Stage.IN_WORKS)
    assert all(0 < sel.project_progress(p) < 100 for p in in_works)
    # expert1 has a review waiting on the desk, and its notice unread
    pending = sel.review_list(user=User.objects.get(username="expert1")).filter(
        submitted_at__isnull=True
    )
    assert pending.count() == 1 and pending.get().project.stage == Stage.EXPERT_REVIEW
    assert Notification.objects.filter(
        user__username="expert1", read_at__isnull=True, key=f"livelihood-review:{pending.get().pk}"
    ).exists()
    # resident1 proposed one online: it is unpublished and names no one
    resident1 = User.objects.get(username="resident1")
    proposal = Project.objects.get(proposed_by=resident1)
    assert proposal.stage == Stage.PROPOSED and not proposal.published
    assert proposal.proposer_kind == ProposerKind.RESIDENT and proposal.proposer_name == ""
    assert proposal not in sel.public_projects()
    # most landed projects are published for the public pages
    landed_tmx = Project.objects.filter(org_unit__path__startswith=tmx.path, stage__in=DONE_STAGES)
    assert landed_tmx.filter(published=True).count() > 0.8 * landed_tmx.count()

    # 光复路909号: the gable wall at the 昌平路桥 corner, 2023
    wall = Project.objects.get(title__startswith="光复路909号")
    assert (wall.programme.kind, wall.year, wall.stage) == (BB, 2023, Stage.EVALUATED)
    assert wall.place_kind == PlaceKind.BUILDING_WALL and wall.address == "光复路909号"
    assert wall.theme == GREEN_FOREST == "自然、和谐——城市中的绿色树林"
    assert wall.org_unit.path.startswith(tmx.path) and wall.org_unit.code != "TMX"
    ring = wall.org_unit.boundary["coordinates"][0]
    assert min(p[0] for p in ring) <= float(wall.longitude) <= max(p[0] for p in ring)
    assert min(p[1] for p in ring) <= float(wall.latitude) <= max(p[1] for p in ring)
    visits = list(wall.site_surveys.all())
    assert len(visits) >= 2 and all(v.leaders for v in visits)
    survey = wall.surveys.get()
    assert survey.status == SurveyStatus.CLOSED
    results = sel.survey_results(survey, public=True)
    assert results["online"] > 0 and results["paper"] > 0
    assert results["total"] == results["online"] + results["paper"]
    assert {point for point, _n in results["collection_points"]} >= {"小区门岗"}
    points = set(
        Response.objects.exclude(collection_point="").values_list("collection_point", flat=True)
    )
    assert "华新居委会活动室" in points and not any("TMX" in p for p in points)
    assert all(survey.opened_at <= r.created_at <= survey.closed_at for r in survey.responses.all())
    assert survey.responses.filter(channel=ResponseChannel.ONLINE).count() == len(
        set(survey.responses.values_list("respondent", flat=True).exclude(respondent=None))
    )
    summary = sel.review_summary(wall)
    assert summary["submitted"] >= 3 and summary["mean_total"] is not None
    pairs = sel.photo_pairs(sel.photos_of(wall))
    assert len(pairs) >= 2 and all(after is not None for _before, after in pairs)
    assert sel.project_progress(wall) == 100
    moves = list(wall.transitions.values_list("to_stage", "created_at"))
    assert [s for s, _at in moves] == [
        Stage.PROPOSED,
        Stage.SITE_SURVEY,
        Stage.OPINION_SURVEY,
        Stage.EXPERT_REVIEW,
        Stage.APPROVED,
        Stage.IN_WORKS,
        Stage.COMPLETED,
        Stage.EVALUATED,
    ]
    assert all(at.year == 2023 for _s, at in moves)
    assert [at for _s, at in moves] == sorted(at for _s, at in moves)

    # 望花园 (2021) and 望花园2.0 (2024): linked both ways, same place and parties
    garden = Project.objects.get(title="望花园")
    garden2 = Project.objects.get(title="望花园2.0")
    assert (garden.programme.kind, garden.year, garden2.year) == (SG, 2021, 2024)
    assert garden.org_unit.code == garden2.org_unit.code == "TMX-HX"
    assert garden.compound is not None and garden.compound.name == "展望小区"
    assert garden2.previous == garden and list(garden.next_versions.all()) == [garden2]
    assert sel.versions_of(garden) == sel.versions_of(garden2) == [garden, garden2]
    assert garden2.version == garden.version + 1
    for field in ("place_kind", "place_name", "address", "compound_id", "longitude", "latitude"):
        assert getattr(garden2, field) == getattr(garden, field), field
    parties = sorted(garden.parties.values_list("kind", "name"))
    assert parties == sorted(garden2.parties.values_list("kind", "name"))
    assert {k for k, _n in parties} >= {
        "owners_committee",
        "property_company",
        "group_leader",
        "volunteer",
    }
    assert "党总支" in garden2.proposer_name
    assert garden.stage in DONE_STAGES and garden2.stage in DONE_STAGES
    assert garden2.surveys.get().responses.filter(respondent=resident1).exists()

    # funds: one a year for the subdistrict's Beautiful Blocks and for each committee's
    # self-governance projects; none overdrawn, no project spends beyond its allocation
    for year in (2020, 2021, 2022, 2023, 2024, today.year):
        assert Fund.objects.filter(programme__kind=BB, org_unit=tmx, year=year).exists()
        assert Fund.objects.filter(programme__kind=SG, org_unit__code="TMX-HX", year=year).exists()
    funds = list(sel.with_fund_figures(Fund.objects.all()))
    assert funds and all(f.balance >= 0 for f in funds)  # type: ignore[attr-defined]
    assert all(f.allocated > 0 for f in funds if f.year == 2023 and f.org_unit == tmx)  # type: ignore[attr-defined]
    for p in sel.with_project_figures(Project.objects.filter(stage__in=DONE_STAGES)):
        assert p.budget_allocated is not None
        assert Decimal(0) < p.spent <= p.budget_allocated  # type: ignore[attr-defined]
    totals = sel.budget_figures(sel.fund_list(user=office))
    assert f"funds: {totals['amount']:.2f} 元" in out.getvalue()
    spent = Project.objects.filter(org_unit__path__startswith=tmx.path).aggregate(
        s=Sum("spendings__amount")
    )["s"]
    assert totals["spent"] == spent

    # photos: the pages' copies carry no location; some originals did (phone photos)
    photos = list(Project.objects.get(pk=wall.pk).photos.all())
    assert any(p.original_had_location and _has_gps(bytes(p.original)) for p in photos)
    for photo in Photo.objects.all():
        assert not _has_gps(bytes(photo.display)) and not _has_gps(bytes(photo.thumb))
    assert Photo.objects.filter(kind=PhotoKind.AFTER, before__isnull=False).count() >= 8

    # resident accounts answer online only in their own committee's surveys
    online = (
        Response.objects.filter(channel=ResponseChannel.ONLINE)
        .select_related("survey__project__org_unit", "respondent")
        .prefetch_related("respondent__memberships__org_unit")
    )
    for response in online:
        assert response.respondent is not None
        homes = [
            m.org_unit.path
            for m in response.respondent.memberships.all()
            if m.role == Role.RESIDENT
        ]
        assert any(response.survey.project.org_unit.path.startswith(h) for h in homes)

    # 北站街道's own projects are out of 天目西路街道's sight, and the other way round
    bz = OrgUnit.objects.get(code="BZ")
    assert Project.objects.filter(org_unit__path__startswith=bz.path).count() >= 4
    assert not sel.project_list(user=office).filter(org_unit__path__startswith=bz.path).exists()
    bz_admin = User.objects.get(username="bz_admin")
    assert not sel.project_list(user=bz_admin).filter(org_unit__path__startswith=tmx.path).exists()
