"""Benchmarks: how the cost of scoped list pages and search grows with the data.

Prints ratios against a baseline measured in the same run (the smallest data set), so the
numbers compare across machines. Run with `make bench`; results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))


def setup_django(var_dir: str) -> None:
    os.environ["JIEDAO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiedao.settings")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var_dir}/bench.sqlite3")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn, repeat: int = REPEAT) -> float:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        import random

        from django.test import Client

        from jiedao.accounts.models import Membership, Role, User
        from jiedao.core import demo
        from jiedao.core.models import OrgKind, OrgUnit, Person
        from jiedao.core.services import PersonData, _apply_person_data

        rnd = random.Random(1)
        city = OrgUnit(code="SH", kind=OrgKind.CITY, name="上海市")
        city.save()
        district = OrgUnit(code="JA", kind=OrgKind.DISTRICT, name="静安区", parent=city)
        district.save()
        sub = OrgUnit(code="TMX", kind=OrgKind.SUBDISTRICT, name="天目西路街道", parent=district)
        sub.save()
        committees = []
        for i in range(20):
            c = OrgUnit(code=f"C{i}", kind=OrgKind.COMMITTEE, name=f"居委会{i}", parent=sub)
            c.save()
            committees.append(c)
        worker = User.objects.create_user("worker", password="x")
        Membership.objects.create(user=worker, role=Role.COMMITTEE_WORKER, org_unit=committees[0])
        admin = User.objects.create_user("sadmin", password="x")
        Membership.objects.create(user=admin, role=Role.SUBDISTRICT_ADMIN, org_unit=sub)
        from faker import Faker

        fake = Faker("zh_CN")
        fake.seed_instance(1)
        rows = []
        have = 0
        seen: set[str] = set()
        print(f"{'people':>8} {'case':<34} {'median ms':>10} {'× baseline':>11}")
        baseline: dict[str, float] = {}
        for size in SIZES:
            batch = []
            while have + len(batch) < size:
                id_number = demo.fake_id_number(rnd)
                if id_number in seen:
                    continue
                seen.add(id_number)
                p = Person(org_unit=rnd.choice(committees))
                _apply_person_data(
                    p, PersonData(fake.name(), id_number, demo.fake_mobile(rnd), "x路1号")
                )
                batch.append(p)
            Person.objects.bulk_create(batch, batch_size=2000)
            have = size
            cases = {}
            for label, user in (("committee worker", worker), ("subdistrict admin", admin)):
                client = Client()
                client.force_login(user)
                cases[f"people list page · {label}"] = lambda c=client: c.get("/people/")
                cases[f"pinyin search 'zs' · {label}"] = lambda c=client: c.get("/people/?q=zs")
                cases[f"API people list · {label}"] = lambda c=client: c.get(
                    "/api/v1/people?limit=50"
                )
            for name, fn in cases.items():
                response = fn()
                assert response.status_code == 200, (name, response.status_code)
                seconds = timed(fn)
                baseline.setdefault(name, seconds)
                ratio = seconds / baseline[name]
                rows.append((size, name, seconds * 1000, ratio))
                print(f"{size:>8} {name:<34} {seconds * 1000:>10.1f} {ratio:>10.2f}×")


if __name__ == "__main__":
    main()
