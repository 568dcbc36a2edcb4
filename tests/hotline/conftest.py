"""Fixtures of the 12345 tests: a small catalogue, and the order's people in 天目西路
(the centre `tmx_hotline`, 华新居委会's worker `hx_worker`, the reviewer `tmx_admin`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from jiedao.hotline.models import Category, CategoryKind
from tests.hotline.factories import make_category


@dataclass
class Catalogue:
    property: Category  # a complaint, 5 working days, extension needs approval
    consult: Category  # 1 working day, extension granted without approval
    complex: Category  # 15 working days
    emergency: Category  # 2 hours
    outside: Category  # the one category that may be sent back


@pytest.fixture
def cats(db: Any) -> Catalogue:
    return Catalogue(
        property=make_category("property", "物业服务", CategoryKind.COMPLAINT, days=5),
        consult=make_category(
            "consult", "政策咨询", CategoryKind.CONSULTATION, days=1, approval=False
        ),
        complex=make_category("complex", "复杂疑难", CategoryKind.COMPLEX, days=15),
        emergency=make_category("emergency", "紧急求助", CategoryKind.EMERGENCY, hours=2),
        outside=make_category(
            "outside", "非本辖区事项", CategoryKind.REQUEST, days=5, send_back=True
        ),
    )


@pytest.fixture
def centre(users: Any) -> Any:
    return users["tmx_hotline"]


@pytest.fixture
def worker(users: Any) -> Any:
    return users["hx_worker"]
