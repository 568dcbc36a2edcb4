"""`jiedao demo` builds the demo data set, and a second run adds nothing.

Building the demo takes several seconds, so everything is checked in one test that runs it
twice.
"""

from __future__ import annotations

import io

from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client

from jiedao.accounts.demo import DEMO_USERS
from jiedao.accounts.models import User
from jiedao.core.models import (
    Compound,
    Enterprise,
    OfficeBuilding,
    OrgKind,
    OrgUnit,
    Person,
    ResidentialBlock,
)
from jiedao.core.selectors import rollup_by_subdistrict


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label != "sessions.Session"
    }


def test_demo_builds_the_data_set_and_a_second_run_adds_nothing(db, settings, monkeypatch):
    # The ticket volume is the affairs module's concern (tests/affairs); keep this one quick.
    monkeypatch.setenv("JIEDAO_DEMO_TICKET_SCALE", "0.02")
    # when
    out = io.StringIO()
    call_command("demo", stdout=out)
    first = _counts()
    stamps = dict(Person.objects.values_list("pk", "updated_at"))
    call_command("demo", stdout=io.StringIO())
    second = _counts()

    # then: a second run adds nothing, to any table
    assert second == first
    # and the figures' roll-ups equal a recount of the records the demo made
    from jiedao.core import figures

    assert figures.verify() == []
    assert dict(Person.objects.values_list("pk", "updated_at")) == stamps

    # the org tree
    tmx = OrgUnit.objects.get(name="天目西路街道", kind=OrgKind.SUBDISTRICT)
    bz = OrgUnit.objects.get(name="北站街道", kind=OrgKind.SUBDISTRICT)
    assert tmx.parent == bz.parent == OrgUnit.objects.get(name="静安区")
    tmx_committees = OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=tmx.path)
    assert 10 <= tmx_committees.count() <= 14
    huaxin = tmx_committees.get(name="华新居委会")
    assert huaxin.boundary["type"] == "Polygon"
    assert OrgUnit.objects.filter(kind=OrgKind.COMMITTEE, path__startswith=bz.path).exists()

    # places
    tmx_buildings = OfficeBuilding.objects.filter(org_unit__path__startswith=tmx.path)
    assert tmx_buildings.count() == 64
    assert tmx_buildings.filter(name="凯德星贸广场").exists()
    for name in ("蕃瓜弄小区", "铁路新村", "毛家弄小区", "展望小区"):
        compound = Compound.objects.get(name=name)
        assert compound.org_unit.path.startswith(tmx.path)
        assert ResidentialBlock.objects.filter(compound=compound).exists()
    assert Compound.objects.get(name="展望小区").org_unit == huaxin

    # people and enterprises, with personal data stored the same way as anywhere else
    assert Person.objects.filter(org_unit=huaxin).count() > 0
    assert not Person.objects.filter(id_number_encrypted="").exists()
    assert Person.objects.filter(id_number_masked__regex=r"^\d{3}\*{11}[\dX]{4}$").count() == (
        Person.objects.count()
    )
    assert Enterprise.objects.filter(building__in=tmx_buildings).exists()

    # the roll-ups count the records
    rollups = {r.org.pk: r for r in rollup_by_subdistrict(user=User.objects.get(username="admin"))}
    assert rollups[tmx.pk].buildings == 64
    assert rollups[tmx.pk].committees == tmx_committees.count()
    assert (
        rollups[tmx.pk].people == Person.objects.filter(org_unit__path__startswith=tmx.path).count()
    )

    # every demo user logs in with the demo password
    assert len(DEMO_USERS) == 16
    assert settings.JIEDAO_DEMO_PASSWORD == "jiedao-demo"
    for username, _display, role, org_code in DEMO_USERS:
        user = authenticate(username=username, password="jiedao-demo")
        assert user is not None, username
        assert user.memberships.filter(role=role, org_unit__code=org_code).exists(), username
        assert authenticate(username=username, password="wrong-password") is None
    client = Client()
    response = client.post("/accounts/login/", {"username": "hx_worker", "password": "jiedao-demo"})
    assert response.status_code == 302
    assert client.get("/people/").status_code == 200
    assert User.objects.get(username="admin").is_superuser
    assert Person.objects.filter(user__username="resident1", org_unit=huaxin).exists()
    assert Enterprise.objects.filter(contact__user__username="enterprise1").exists()

    # and the command prints the logins
    assert "jiedao-demo" in out.getvalue()
