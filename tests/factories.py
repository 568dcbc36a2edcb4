"""Factories shared by every app's tests: an org tree, users with roles, people, firms."""

from __future__ import annotations

import random
from typing import Any

import factory
from factory.django import DjangoModelFactory

from jiedao.accounts.models import Membership, User
from jiedao.core import demo, figures
from jiedao.core.models import Compound, Enterprise, OfficeBuilding, OrgKind, OrgUnit, Person
from jiedao.core.services import PersonData, _apply_person_data

_rnd = random.Random(7)


def id_number(region: str = "310106") -> str:
    return demo.fake_id_number(_rnd, region=region)


def mobile() -> str:
    return demo.fake_mobile(_rnd)


def credit_code() -> str:
    return demo.fake_credit_code(_rnd)


class OrgUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrgUnit

    kind = OrgKind.CITY
    code = factory.Sequence(lambda n: f"ORG{n}")
    name = factory.Sequence(lambda n: f"组织{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @classmethod
    def with_role(cls, role: str, org: OrgUnit, **kwargs: Any) -> User:
        user = cls(**kwargs)
        user.save()
        Membership.objects.create(user=user, role=role, org_unit=org)
        return user


class CompoundFactory(DjangoModelFactory):
    class Meta:
        model = Compound

    name = factory.Sequence(lambda n: f"小区{n}")
    address = "测试路1号"


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = OfficeBuilding

    name = factory.Sequence(lambda n: f"大厦{n}")
    address = "测试路2号"


def make_person(
    org: OrgUnit,
    name: str = "张三",
    *,
    id_no: str | None = None,
    phone: str | None = None,
    address: str = "测试路1号101室",
    user: User | None = None,
) -> Person:
    person = Person(org_unit=org, user=user)
    _apply_person_data(person, PersonData(name, id_no or id_number(), phone or mobile(), address))
    person.save()
    return person


def make_enterprise(org: OrgUnit, name: str = "测试科技有限公司", **kwargs: Any) -> Enterprise:
    enterprise = Enterprise.objects.create(
        org_unit=org, name=name, credit_code=kwargs.pop("code", None) or credit_code(), **kwargs
    )
    figures.added(Enterprise, [enterprise.pk])  # as `enterprise_create` does
    return enterprise
